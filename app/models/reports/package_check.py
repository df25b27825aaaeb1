"""A package folder as received upstream (or kept on a share), checked file by file against the SHA-256
recorded in the database at sign-off: the auditor learns which file was edited, added or removed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from app.models.store.audit import Finding
from app.models.store.book import Book
from app.models.values.errors import AppError

MANIFEST = "manifest.json"


def check_folder(book: Book, folder: Path | str) -> list[Finding]:
    """Findings in file-name order, [] when every file is the one signed. Reads only."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AppError(f"报送包文件夹不存在：{folder}", field="报送包")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        month, version = str(manifest["month"]), int(manifest["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Finding("报送包", f"{folder.name}/{MANIFEST}", f"清单文件缺失或无法读取（{exc}），无法确定是哪一版报送包")]
    row = book.conn.execute("SELECT files FROM signoffs WHERE month = ? AND version = ?", (month, version)).fetchone()
    where = f"{month} 第 {version} 版报送包"
    if row is None:
        return [Finding("报送包", where, "数据库中没有这一版的签发记录")]
    recorded: dict[str, str] = json.loads(row[0])
    present = {p.name for p in folder.iterdir() if p.is_file()}
    found = []
    for name in sorted(recorded.keys() | present):
        if name not in recorded:
            found.append(Finding("报送包", f"{where}：{name}", "签发时没有这个文件，是后来加入的"))
        elif name not in present:
            found.append(Finding("报送包", f"{where}：{name}", "文件缺失"))
        elif hashlib.sha256((folder / name).read_bytes()).hexdigest() != recorded[name]:
            found.append(Finding("报送包", f"{where}：{name}", "内容与签发时记录的 SHA-256 不符，文件被改动过"))
    return found
