"""What an auditor relies on, whole: the data checks of models/integrity plus every signed package re-created.

`verify` here is the one the CLI, the window and the self-test run; the data-only `integrity.verify.run`
cannot re-create packages, since rendering stands on this floor.
"""

from __future__ import annotations

from collections.abc import Callable

from app.export import signed
from app.models.integrity import verify as integrity
from app.models.store.book import Book


def verify(book: Book, progress: Callable[[int, int, str], None] | None = None) -> integrity.Report:
    """Every check of `fundledger verify`, in order; `progress` may raise to cancel."""
    return integrity.run(book, progress, more=[
        ("已签发报送包可重新生成且哈希一致", lambda _conn: signed.check_signed(book)),
    ])
