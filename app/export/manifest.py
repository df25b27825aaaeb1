"""The package folder: workbook, PDF and manifest.json with the SHA-256 of each file.

`<bureau>_<YYYY-MM>_v<N>/` holds `<bureau>_<YYYY>年<M>月_扶贫资金监管月报.xlsx`, the PDF of the same
and `manifest.json` (bureau, month, version, who signed off when, the audit-chain head, hashes, and
what the files' bytes depend on besides the data: the "rendering" block).
The manifest is deterministic JSON, so a re-created package has the same bytes, file by file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import PySide6
from PySide6.QtCore import qVersion

from app import __version__
from app.export import fonts, pdf, workbook
from app.models.reports import definitions, snapshot
from app.models.reports.definitions import ReportDefs
from app.models.reports.package_data import PackageData
from app.models.values import filenames
from app.models.values.errors import AppError, FileError

if TYPE_CHECKING:
    from app.export.template import TemplateSpec

MANIFEST_FORMAT = 1
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


@dataclass(frozen=True)
class PackageResult:
    folder: Path
    paths: dict[str, Path]  # "workbook" / "pdf" / "manifest" → where it was written
    hashes: dict[str, str]  # file name → SHA-256 (hex) of every file, the manifest included


def safe_name(text: str) -> str:
    """A file-name part that Windows accepts: reserved characters become "_", no trailing dot/space."""
    cleaned = _UNSAFE.sub("_", text).strip().rstrip(". ")
    return cleaned or "_"


def file_names(package: PackageData, defs: ReportDefs | None = None) -> dict[str, str]:
    """folder / workbook / pdf / manifest names for this package, from report.toml [names]."""
    names = (defs or definitions.load()).names
    fields = {"bureau": safe_name(package.bureau), "month": package.month, "year": package.year,
              "month_number": package.month_number, "version": package.version}  # fmt: skip
    return filenames.check_names({  # the folder and files are opened on the clerks' Windows PCs
        "folder": names.folder.format(**fields),
        "workbook": names.workbook.format(**fields),
        "pdf": names.pdf.format(**fields),
        "manifest": names.manifest,
    }, "报送包文件夹或文件名（由单位名称和报表定义生成）")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- what rendering depends on ---------------------------------------------------------------------
# The same data gives the same bytes only with the same program, libraries and font. The manifest
# records them ("rendering"), so that when a package cannot be re-created byte for byte, verify can
# say why (another program version, Qt or font) instead of calling the file tampered with.

Rendering = Mapping[str, str | None]

RENDERING_LABELS = {
    "program": "FundLedger 程序版本",
    "rules": "规则集",
    "python": "Python 版本",
    "os": "操作系统",
    "qt": "Qt 版本",
    "pyside6": "PySide6 版本",
    "openpyxl": "openpyxl 版本",
    "zlib": "zlib 版本",
    "font_file": "打印字体文件",
    "font_sha256": "打印字体文件的 SHA-256",
}
"""Each key of the block and its name in verify's messages."""

RENDERING_AFFECTS = {
    "program": ("workbook", "pdf"),
    "rules": (),  # recorded for the auditor; the files are drawn from the signed data, not the rules
    "python": ("workbook",),  # zipfile
    "os": ("pdf",),  # Qt's font engine: DirectWrite on Windows, FreeType elsewhere
    "qt": ("pdf",),
    "pyside6": ("pdf",),
    "openpyxl": ("workbook",),
    "zlib": ("workbook",),  # the deflate of the .xlsx entries
    "font_file": ("pdf",),
    "font_sha256": ("pdf",),
}
"""Which files (file_names roles) a difference in each key can change; the manifest follows from them."""


def rendering(rules: str | None = None) -> dict[str, str | None]:
    """This program's rendering block; `rules` names the file's rule set ("xj-2019 2019.1")."""
    return {
        "program": __version__,
        "rules": rules,
        "python": platform.python_version(),
        "os": platform.system(),
        "qt": qVersion(),
        "pyside6": PySide6.__version__,
        "openpyxl": openpyxl.__version__,
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
        "font_file": fonts.FONT_FILE,
        "font_sha256": fonts.font_sha256(),
    }


def rendering_of(manifest_data: bytes) -> dict[str, str | None] | None:
    """The rendering block recorded in a manifest.json; None when there is none (an older program's)."""
    try:
        block = json.loads(manifest_data.decode("utf-8")).get("rendering")
    except (ValueError, AttributeError):
        return None
    if not isinstance(block, dict) or not all(isinstance(v, str | None) for v in block.values()):
        return None
    return {str(k): v for k, v in block.items()}


def rendering_differences(then: Rendering | None, now: Rendering) -> list[str]:
    """Keys whose value differs (every key of `now` when nothing was recorded), in RENDERING_LABELS order."""
    keys = [*RENDERING_LABELS, *sorted(set(now) - set(RENDERING_LABELS))]
    if then is None:
        return keys
    extra = sorted(set(then) - set(keys))
    return [k for k in [*keys, *extra] if then.get(k) != now.get(k)]


def manifest_bytes(
    package: PackageData,
    files: Mapping[str, bytes],
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
    rendering_block: Rendering | None = None,
) -> bytes:
    """manifest.json: sorted keys, fixed separators, UTF-8 (Chinese as is), one trailing newline.

    `rendering_block`: this program's (rendering()) when not given; re-creating a signed package passes
    the block it recorded, so the manifest re-creates whenever the files do.
    """
    defs = defs or definitions.load()
    sign = package.signoff
    doc = {
        "format": MANIFEST_FORMAT,
        "report": {"id": defs.id, "name": defs.name, "version": defs.version},
        "bureau": package.bureau,
        "bureau_level": package.bureau_level,
        "month": package.month,
        "period": {"start": package.period_start.isoformat(), "end": package.period_end.isoformat()},
        "version": package.version,
        "signoff": {
            "chief": sign.chief, "reviewer": sign.reviewer, "preparer": sign.preparer, "comment": sign.comment,
            "signed_at": sign.signed_at.isoformat(timespec="seconds") if sign.signed_at else None,
        },  # fmt: skip
        "audit_head": {"seq": package.audit_head[0], "hash": package.audit_head[1]} if package.audit_head else None,
        "document_time": package.stamp().isoformat(timespec="seconds"),
        "files": [{"name": name, "bytes": len(data), "sha256": sha256(data)} for name, data in sorted(files.items())],
        "templates": [
            {"table": spec.table, "file": spec.path.name, "sheet": spec.sheet, "sha256": sha256(spec.path.read_bytes())}
            for _, spec in sorted((templates or {}).items())
        ],
        "rendering": dict(rendering() if rendering_block is None else rendering_block),
    }
    if package.signing_key:  # the chief's key: the copy sent upward anchors the county's file from outside
        doc["signing_key"] = {"algorithm": "Ed25519", "fingerprint": package.signing_key}
    if package.rule_set:  # the month's rule set (issue 17): id, version and the SHA-256 of its file
        rid, version, digest = (package.rule_set.split(" ") + ["", ""])[:3]
        doc["rule_set"] = {"id": rid, "version": version, "sha256": digest}
    if package.calendar:  # the working-day calendar through the period's end (holidays and 调休 its deadlines used)
        through, _, cal_digest = package.calendar.partition(" ")
        doc["calendar"] = {"through": through, "sha256": cal_digest}
    if package.calc:  # how the figures were computed (package_data.CALC): signed, so it cannot be swapped behind
        doc["calc"] = package.calc
    if package.balances:  # calc 3: the indicator balances later months carry (issue #22), signed by their digest
        doc["balances"] = {"indicators": len(package.balances), "sha256": snapshot.balances_digest(package.balances)}
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": "))
    return (text + "\n").encode("utf-8")


def package_files(
    package: PackageData,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
    rendering_block: Rendering | None = None,
) -> dict[str, bytes]:
    """Every file of the package in memory, by file name (what `verify` re-creates and hashes)."""
    defs = defs or definitions.load()
    names = file_names(package, defs)
    files = {
        names["workbook"]: workbook.workbook_bytes(package, defs=defs, templates=templates),
        names["pdf"]: pdf.pdf_bytes(package, defs=defs),
    }
    files[names["manifest"]] = manifest_bytes(package, files, defs=defs, templates=templates,
                                              rendering_block=rendering_block)
    return files


def write_package(
    package: PackageData,
    out_dir: Path | str,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
    overwrite: bool = False,
    rendering_block: Rendering | None = None,
    extra: Mapping[str, bytes] | None = None,
    files: Mapping[str, bytes] | None = None,
) -> PackageResult:
    """Write `<out_dir>/<bureau>_<YYYY-MM>_v<N>/` whole or not at all (a temp folder renamed at the end).

    `files`: the package's files already rendered by `package_files` for this package (the sign-off renders
    once, hashes and signs those bytes, and writes the same bytes); otherwise they are rendered here."""
    defs = defs or definitions.load()
    names = file_names(package, defs)
    out = Path(out_dir)
    folder = out / names["folder"]
    if folder.exists() and not overwrite:
        raise AppError(f"报送包文件夹已存在：{folder}。每个版本只生成一次；如需重新生成，请换一个输出目录。")
    files = dict(files) if files is not None else package_files(package, defs=defs, templates=templates,
                                                                 rendering_block=rendering_block)
    files.update(extra or {})  # 签名.json: made from the manifest, so written beside it, not listed in it
    staging = out / f".{names['folder']}.{os.getpid()}.tmp"
    try:
        out.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        for name, data in files.items():
            with open(staging / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise FileError(f"无法写入报送包（{exc}），未留下不完整的文件夹。") from exc
    role = {names["workbook"]: "workbook", names["pdf"]: "pdf", names["manifest"]: "manifest"}
    role.update({name: "signature" for name in (extra or {})})
    return PackageResult(
        folder,
        {role[name]: folder / name for name in files},
        {name: sha256(data) for name, data in files.items()},
    )
