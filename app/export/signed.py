"""Signed packages after the fact: verify re-creates them, the auditor compares and saves what was sent.

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
from app.models.reports.monthly import ProgressFn, signed_package
from app.models.store.audit import Finding
from app.models.store.book import Book
from app.models.store.signature import FILE_NAME as SIGNATURE_FILE
from app.models.values.errors import AppError


def recreate_mismatches(book: Book, signoff: dict[str, Any]) -> list[str]:
    """File names whose re-created bytes differ from the hashes recorded at sign-off."""
    row, package = signed_package(book, month=signoff["month"], version=signoff["version"])
    recorded: dict[str, str] = json.loads(row["files"])
    files = manifest.package_files(package, templates=templates(book, json.loads(row["templates"])))
    return [name for name, digest in sorted(recorded.items()) if name != SIGNATURE_FILE  # checked by its key
            and (name not in files or manifest.sha256(files[name]) != digest)]


def check_signed(book: Book) -> Iterator[Finding]:
    """verify: every signed package's data is untouched and re-creates the files it recorded."""
    for s in book.conn.execute("SELECT id, month, version FROM signoffs ORDER BY month, version").fetchall():
        where = f"{s['month']} 第 {s['version']} 版报送包"
        try:
            bad = recreate_mismatches(book, {"month": s["month"], "version": s["version"]})
        except AppError as exc:
            yield Finding("报送包", where, str(exc))
            return
        if bad:
            yield Finding("报送包", where, f"重新生成的 {'、'.join(bad)} 与签发时记录的哈希不一致")
            return


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
    result = manifest.write_package(package, out_dir, templates=specs, overwrite=True)
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
