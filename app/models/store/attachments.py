"""Scans and evidence kept inside the database file (auditors copy one file), checked by SHA-256."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import PurePosixPath

from app.models.store.book import Book
from app.models.values import filenames
from app.models.values.errors import NotFound, ValidationError

MIME = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}
_MAGIC = {"pdf": (b"%PDF",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}


def check(book: Book, name: str, data: bytes, *, field: str = "扫描件") -> tuple[str, str]:
    """Refuse a file of a type the rule set does not allow, over its size limit, or not what its name says.

    Returns (clean file name, mime type).
    """
    # PurePosixPath, not PurePath: on Windows PurePath("a:b.pdf") is drive "a:" + "b.pdf", so the name would be
    # silently cut to "b.pdf" there and refused on Linux; the same name must get the same answer on every system
    clean = PurePosixPath((name or "").replace("\\", "/")).name.strip()
    if not clean:
        raise ValidationError("缺少文件名", field=field)
    filenames.check(clean, field)  # it is saved back out under this name, on a Windows PC
    ext = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    allowed = book.rules.limits.evidence_types
    if ext not in allowed:
        raise ValidationError(f"文件“{clean}”的类型不允许，只能是 {'、'.join(allowed)}", field=field)
    if not data:
        raise ValidationError(f"文件“{clean}”是空文件", field=field)
    limit = book.rules.limits.scan_max_bytes
    if len(data) > limit:
        size_mb = len(data) / 1024 / 1024
        raise ValidationError(
            f"文件“{clean}”大小为 {size_mb:.1f} MB，超过上限 {book.rules.limits.scan_max_mb} MB；"
            "请降低扫描分辨率或分成几个文件", field=field)
    magic = _MAGIC.get(ext)
    if magic and not data.startswith(magic):
        raise ValidationError(f"文件“{clean}”的内容不是 {ext.upper()} 格式（扩展名与内容不符）", field=field)
    return clean, MIME.get(ext, "application/octet-stream")


def insert(conn: sqlite3.Connection, book: Book, name: str, data: bytes, *, field: str = "扫描件") -> int:
    """Store a checked file inside the caller's write transaction; returns its id."""
    clean, mime = check(book, name, data, field=field)
    cur = conn.execute(
        "INSERT INTO attachments (name, mime, size, sha256, data, added_at) VALUES (?, ?, ?, ?, ?, ?)",
        (clean, mime, len(data), hashlib.sha256(data).hexdigest(), data, book.stamp()),
    )
    return int(cur.lastrowid or 0)


def get(book: Book, attachment_id: int) -> dict[str, object]:
    """The file's metadata and bytes."""
    row = book.conn.execute("SELECT * FROM attachments WHERE id = ?", (attachment_id,)).fetchone()
    if row is None:
        raise NotFound(f"附件 #{attachment_id} 不存在", field="附件")
    return dict(row)
