"""The package folder: workbook, PDF and manifest.json with the SHA-256 of each file.

`<bureau>_<YYYY-MM>_v<N>/` holds `<bureau>_<YYYY>年<M>月_扶贫资金监管月报.xlsx`, the PDF of the same
and `manifest.json` (bureau, month, version, who signed off when, the audit-chain head, hashes).
The manifest is deterministic JSON, so a re-created package has the same bytes, file by file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.export import pdf, workbook
from app.models.reports import definitions
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


def manifest_bytes(
    package: PackageData,
    files: Mapping[str, bytes],
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
) -> bytes:
    """manifest.json: sorted keys, fixed separators, UTF-8 (Chinese as is), one trailing newline."""
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
    }
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": "))
    return (text + "\n").encode("utf-8")


def package_files(
    package: PackageData,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
) -> dict[str, bytes]:
    """Every file of the package in memory, by file name (what `verify` re-creates and hashes)."""
    defs = defs or definitions.load()
    names = file_names(package, defs)
    files = {
        names["workbook"]: workbook.workbook_bytes(package, defs=defs, templates=templates),
        names["pdf"]: pdf.pdf_bytes(package, defs=defs),
    }
    files[names["manifest"]] = manifest_bytes(package, files, defs=defs, templates=templates)
    return files


def write_package(
    package: PackageData,
    out_dir: Path | str,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
    overwrite: bool = False,
) -> PackageResult:
    """Write `<out_dir>/<bureau>_<YYYY-MM>_v<N>/` whole or not at all (a temp folder renamed at the end)."""
    defs = defs or definitions.load()
    names = file_names(package, defs)
    out = Path(out_dir)
    folder = out / names["folder"]
    if folder.exists() and not overwrite:
        raise AppError(f"报送包文件夹已存在：{folder}。每个版本只生成一次；如需重新生成，请换一个输出目录。")
    files = package_files(package, defs=defs, templates=templates)
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
    return PackageResult(
        folder,
        {role[name]: folder / name for name in files},
        {name: sha256(data) for name, data in files.items()},
    )
