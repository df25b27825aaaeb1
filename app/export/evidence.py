"""What an auditor relies on, whole: the data checks of models/integrity plus every signed package re-created.

`verify` here is the one the CLI, the window and the self-test run; the data-only `integrity.verify.run`
cannot re-create packages, since rendering stands on this floor.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.export import prefecture, signed
from app.models.integrity import anchors
from app.models.integrity import verify as integrity
from app.models.store.audit import Finding
from app.models.store.book import Book


def verify(book: Book, progress: Callable[[int, int, str], None] | None = None,
           against: Sequence[Path | str] = ()) -> integrity.Report:
    """Every check of `fundledger verify`, in order; `progress` may raise to cancel.

    `against`: package folders or .zip files as they were sent upward; each proves the file's history up to
    it is unchanged (the anchors from outside the file)."""
    more: list[tuple[str, integrity.Check]] = [
        ("签发记录的审计链头、签名与签名密钥", anchors.check_signoffs),
        ("重新打开已签发月份都有局长签名", anchors.check_reopens),
        ("已签发月份按现有数据重新汇总与签发时一致", anchors.check_drift_on),
        ("已签发报送包可重新生成且哈希一致", lambda _conn: signed.check_signed(book)),
        ("汇总报送包可重新生成且哈希一致、签名有效", lambda _conn: prefecture.check_forwarded(book)),
    ]
    for path in [p for given in against for p in anchors.expand(Path(given))]:
        more.append((f"与报送包 {path.name} 核对（文件、签名、密钥、审计链、用户）", _against(path)))
    return integrity.run(book, progress, more=more)


def _against(path: Path) -> integrity.Check:
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        return anchors.check_against(conn, path)

    return check
