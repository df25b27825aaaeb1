"""Signed packages after the fact: verify re-creates them, the auditor compares and saves what was sent.

Re-creation gives the same bytes when the program, Qt, openpyxl and the bundled font are those the
manifest's "rendering" block names. When they are not, a differing file is not evidence of tampering:
verify then says which part of the environment differs (a Note, not a Finding), still requires every
file the difference cannot touch to re-create exactly, and checks the kept copies against the hashes.
Everything here only reads, so it works on a file opened read-only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.export import manifest
from app.export.region_templates import templates
from app.models.integrity.verify import Note
from app.models.reports import snapshot
from app.models.reports.monthly import ProgressFn, signed_package
from app.models.reports.package_data import PackageData
from app.models.store import signature
from app.models.store.audit import Finding
from app.models.store.book import Book
from app.models.store.signature import FILE_NAME as SIGNATURE_FILE
from app.models.values.errors import AppError


def rules_label(book: Book, year: int | None = None) -> str:
    """The rule set of fiscal year `year` (default: the current one) as the manifest records it: "xj-2019 2019.1"."""
    return (book.rules if year is None else book.rules_for(year)).label


def rendering_now(book: Book, year: int | None = None) -> dict[str, str | None]:
    """The rendering block this program on this machine writes for `book` (a month of fiscal year `year`)."""
    return manifest.rendering(rules_label(book, year))


def recorded_rendering(book: Book, row: dict[str, Any], package: PackageData) -> dict[str, str | None] | None:
    """The rendering block of the manifest kept at sign-off; None when that manifest has none (an older
    program) or is not the one whose hash was recorded."""
    name = manifest.file_names(package)["manifest"]
    recorded: dict[str, str] = json.loads(row["files"])
    found = book.conn.execute(
        "SELECT a.data FROM signoff_files f JOIN attachments a ON a.id = f.attachment_id "
        "WHERE f.signoff_id = ? AND f.name = ?", (row["id"], name)).fetchone()
    kept = bytes(found[0]) if found else None
    if kept is None or manifest.sha256(kept) != recorded.get(name):
        return None
    return manifest.rendering_of(kept)


def _signed_program(row: dict[str, Any]) -> str:
    """The program version the chief's signature of this sign-off names ("" when unsigned or unreadable)."""
    text = row.get("signature")
    if not text:
        return ""
    try:
        program = json.loads(text).get("program") or {}
    except (ValueError, AttributeError):
        return ""
    return str(program.get("version") or "")


def _describe(block: manifest.Rendering, keys: list[str]) -> str:
    return "、".join(f"{manifest.RENDERING_LABELS.get(k, k)} {block.get(k) or '（未记录）'}" for k in keys)


def check_package(book: Book, month: str, version: int, now: manifest.Rendering) -> Finding | None:
    """One signed package re-created and compared: None, a Finding (changed) or a Note (cannot be re-created here)."""
    where = f"{month} 第 {version} 版报送包"
    row, package = signed_package(book, month=month, version=version)
    recorded: dict[str, str] = json.loads(row["files"])
    recorded.pop(SIGNATURE_FILE, None)  # made with the chief's key, not re-creatable: verify checks it by its key
    names = manifest.file_names(package)
    specs = templates(book, json.loads(row["templates"]))
    then = recorded_rendering(book, row, package)
    files = manifest.package_files(package, templates=specs, rendering_block=then if then is not None else now)
    bad = [n for n, digest in sorted(recorded.items()) if n not in files or manifest.sha256(files[n]) != digest]
    kept = signed_files(book, month=month, version=version)
    # the copies kept at sign-off are the ones recorded, whether or not the rest re-creates: `save_signed` hands
    # them out as the signed files (a PDF swapped in the file had passed while the package re-created exactly)
    for name, digest in sorted(json.loads(row["files"]).items()):
        if name not in kept or manifest.sha256(kept[name]) != digest:
            return Finding("报送包", f"{where}：{name}", "数据库中保存的这个文件与签发时记录的 SHA-256 不符，被改动过")
    if SIGNATURE_FILE in kept and kept[SIGNATURE_FILE] != str(row["signature"]).encode("utf-8"):
        return Finding("报送包", f"{where}：{SIGNATURE_FILE}", "数据库中保存的签名文件与签发记录中的签名不同，被改动过")
    if not bad:
        return None
    changed = manifest.rendering_differences(then, now)
    if not changed:  # the very program, libraries and font that signed it: the difference is in the data or files
        return Finding("报送包", where, f"重新生成的 {'、'.join(bad)} 与签发时记录的哈希不一致")
    signed_by = _signed_program(row)
    if then is not None and signed_by and str(then.get("program")) != signed_by:  # the excuse must fit the signature
        return Finding("报送包", f"{where}：{names['manifest']}",
                       f"清单记录的程序版本 {then.get('program')} 与局长签名中记下的程序版本 {signed_by} 不同："
                       "清单被改写过，不能以“另一程序版本生成”解释重新生成的差异")
    roles = {role for key in changed for role in manifest.RENDERING_AFFECTS.get(key, ("workbook", "pdf"))}
    affected = {names[r] for r in roles}
    if "program" in changed:  # another program may also have named its files otherwise
        affected |= set(recorded) - set(files)
    strict = [n for n in bad if n not in affected and n != names["manifest"]]
    if strict:  # a file the difference cannot touch must still re-create exactly
        return Finding("报送包", where, f"重新生成的 {'、'.join(strict)} 与签发时记录的哈希不一致"
                       f"（本机与签发时只有{_describe(now, changed)}不同，这不会改变{'、'.join(strict)}）")
    manifest_checked = then is not None and "program" not in changed  # another program may write another manifest
    if manifest_checked:  # the manifest, with the kept copies of the files this machine cannot re-create
        body = {n: (kept[n] if n in affected else files[n]) for n in files if n != names["manifest"]}
        again = manifest.manifest_bytes(package, body, templates=specs, rendering_block=then)
        if manifest.sha256(again) != recorded.get(names["manifest"]):
            return Finding("报送包", f"{where}：{names['manifest']}", "按签发数据重新生成的清单与签发时记录的哈希不一致")
    matched = sorted(n for n in files if n not in bad and n != names["manifest"])
    same = f"{'、'.join(matched)} 重新生成后与签发时逐字节一致；" if matched else ""
    if then is None:
        cannot = "、".join(sorted(bad))
        return Note("无法在本机重现", where,
                    f"签发这一版的程序没有在清单中记录渲染环境（早于 FundLedger {now['program']} 的版本），"
                    f"本机无法逐字节重新生成 {cannot}。这不表示报送包被篡改：{same}数据库中保存的各文件与签发时"
                    f"记录的哈希一致。如需逐字节核对，请用签发时的程序版本运行 verify。")
    cannot = "、".join(sorted(n for n in bad if n != names["manifest"] or not manifest_checked))
    listed = f"清单（{names['manifest']}）按保存的文件核对一致，" if manifest_checked else ""
    return Note("无法在本机重现", where,
                f"这一版由 {_describe(then, changed)} 生成，本机为 {_describe(now, changed)}，所以本机无法逐字节重新"
                f"生成 {cannot}。这不表示报送包被篡改：{same}{listed}数据库中保存的各文件与签发时记录的哈希一致。"
                f"如需逐字节核对 {cannot}，请在签发时的环境（{_describe(then, changed)}）中运行 verify。")


def why_different(book: Book, *, month: str, version: int) -> Finding | None:
    """After a re-creation that did not match: a Note when another program/Qt/font explains it (not
    tampering), a Finding when it does not, None when the package does re-create after all."""
    return check_package(book, month, version, rendering_now(book))


def compare_summary(month: str, version: int, checks: list[FileCheck], why: Finding | None) -> str:
    """What a window says after "重新生成并比对": all the same, cannot be re-created here (not tampering), or not the same."""
    if all(c.same for c in checks):
        return f"✓ {month} 第 {version} 版：重新生成的 {len(checks)} 个文件与签发时记录的 SHA-256 完全一致。"
    if isinstance(why, Note):
        return f"○ {month} 第 {version} 版无法在本机逐字节重现（不表示被篡改）：{why.detail}"
    return f"✗ {month} 第 {version} 版：有文件与签发时记录的 SHA-256 不一致（见上表）。" + (f"\n{why}" if why else "")


def check_signed(book: Book) -> Iterator[Finding]:
    """verify: every signed package's data is untouched and re-creates the files it recorded.

    The first changed package stops the check; a package this machine cannot re-create (another
    program version, Qt or font, see check_package) is a Note and the next one is still checked."""
    now = rendering_now(book)
    for s in book.conn.execute("SELECT id, month, version FROM signoffs ORDER BY month, version").fetchall():
        try:
            found = check_package(book, s["month"], s["version"], now)
        except AppError as exc:
            found = _older_data(book, int(s["id"]), str(s["month"]), int(s["version"]), exc)
            yield found
            if not isinstance(found, Note):
                return
            continue
        if found is not None:
            yield found
            if not isinstance(found, Note):
                return


def _older_data(book: Book, signoff_id: int, month: str, version: int, exc: AppError) -> Finding:
    """A signed month whose recorded data this program cannot turn into a package again (recorded by an earlier
    version: e.g. before 表3/表5 had 功能科目). A Note when every file kept at sign-off still has the hash recorded
    then and the chief's signature (when the month has one) is over that manifest for that month and version;
    else a Finding. The recorded data itself cannot change unseen: a sign-off is never updated but to stand down
    at a signed reopening, and its kept files are add-only (verify names any other record of them)."""
    where = f"{month} 第 {version} 版报送包"
    row = book.conn.execute("SELECT files, signature, data, data_sha256 FROM signoffs WHERE id = ?",
                            (signoff_id,)).fetchone()
    if snapshot.digest(str(row["data"])) != row["data_sha256"]:
        return Finding("报送包", where, f"无法按签发数据重新生成（{exc}）：签发数据与签发时记录的哈希不符，被改动过")
    recorded: dict[str, str] = json.loads(row["files"])
    kept = {str(r[0]): bytes(r[1]) for r in book.conn.execute(
        "SELECT f.name, a.data FROM signoff_files f JOIN attachments a ON a.id = f.attachment_id "
        "WHERE f.signoff_id = ?", (signoff_id,))}
    bad = sorted(n for n, digest in recorded.items() if n not in kept or manifest.sha256(kept[n]) != digest)
    if not recorded or bad:
        return Finding("报送包", where, f"无法按签发数据重新生成（{exc}），数据库中保存的 {'、'.join(bad) or '文件'} "
                                       "与签发时记录的哈希也不符")
    text = str(row["signature"] or "")
    if text:
        try:
            doc = signature.parse(text.encode("utf-8"), where=where)
            d = doc.doc
            sound = doc.valid() and (str(d["month"]), int(d["version"])) == (month, version) and \
                kept.get(SIGNATURE_FILE) == text.encode("utf-8") and \
                manifest.sha256(kept.get(str(d["manifest"]["name"]), b"")) == d["manifest"]["sha256"]
        except (AppError, KeyError, TypeError, ValueError):
            sound = False
        if not sound:
            return Finding("报送包", where, f"无法按签发数据重新生成（{exc}），局长签名也不能证明保存的文件未被改动")
    return Note("无法在本机重现", where, f"签发数据由较早版本的程序记录，本程序不能据此重新生成报送包（{exc}）。这不表示被篡改："
                                  "数据库中保存的各文件与签发时记录的哈希一致" + ("，局长对清单的签名有效" if text else "") +
                "。如需逐字节核对，请用签发时的程序版本运行 verify。")


@dataclass(frozen=True)
class FileCheck:
    """One file of a signed package: the SHA-256 recorded at sign-off and the one re-created now."""

    name: str
    recorded: str  # "" when the file was not part of the signed package
    recreated: str | None  # None when re-creation did not produce this file

    @property
    def same(self) -> bool:
        return bool(self.recorded) and self.recorded == self.recreated


def recreate_compare(book: Book, *, month: str, version: int, out_dir: Path | str,
                     progress: ProgressFn | None = None) -> tuple[Path, list[FileCheck]]:
    """Re-create one signed version into `out_dir` and compare each file's SHA-256 with the recorded one."""
    step = progress or (lambda done, total, text: None)
    step(0, 3, f"读取 {month} 第 {version} 版的签发数据…")
    row, package = signed_package(book, month=month, version=version)
    recorded: dict[str, str] = json.loads(row["files"])
    recorded.pop(SIGNATURE_FILE, None)  # made with the chief's key, not re-creatable: verify checks it by its key
    specs = templates(book, json.loads(row["templates"]))
    step(1, 3, "重新生成工作簿、PDF 和清单…")
    result = manifest.write_package(package, out_dir, templates=specs, overwrite=True,
                                    rendering_block=recorded_rendering(book, row, package))
    step(2, 3, "比对 SHA-256…")
    names = sorted(set(recorded) | set(result.hashes))
    return result.folder, [FileCheck(n, recorded.get(n, ""), result.hashes.get(n)) for n in names]


def signed_files(book: Book, *, month: str, version: int) -> dict[str, bytes]:
    """The files exactly as they were sent, kept in the database at sign-off."""
    row, _package = signed_package(book, month=month, version=version)
    return {r["name"]: bytes(r["data"]) for r in book.conn.execute(
        "SELECT f.name, a.data FROM signoff_files f JOIN attachments a ON a.id = f.attachment_id "
        "WHERE f.signoff_id = ? ORDER BY f.name", (row["id"],))}


def save_signed(book: Book, *, month: str, version: int, out_dir: Path | str) -> Path:
    """Write the signed files of one version to `<out_dir>/<bureau>_<YYYY-MM>_v<N>/`, after checking their hashes.

    Reads only: works on a file opened read-only.
    """
    row, package = signed_package(book, month=month, version=version)
    recorded: dict[str, str] = json.loads(row["files"])
    files = signed_files(book, month=month, version=version)
    bad = [n for n, digest in sorted(recorded.items()) if n not in files or manifest.sha256(files[n]) != digest]
    if bad:
        raise AppError(f"{month} 第 {version} 版保存的 {'、'.join(bad)} 与签发时记录的哈希不符，被改动过；未导出")
    folder = Path(out_dir) / manifest.file_names(package)["folder"]
    if folder.exists():
        raise AppError(f"文件夹已存在：{folder}。请换一个导出位置。")
    staging = folder.with_name(f".{folder.name}.tmp")
    try:
        staging.mkdir(parents=True)
        for name, data in files.items():
            (staging / name).write_bytes(data)
        staging.rename(folder)
    except OSError as exc:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise AppError(f"无法写入 {folder}（{exc}）") from exc
    return folder
