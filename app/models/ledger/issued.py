"""What the levels above have issued (下达) to this bureau for a budget year: the floor of a 年度计划数 (月报表1).

Here, below both the plan import and the monthly tables, so either can refuse a plan figure below it.
"""

from __future__ import annotations

from app.models.ledger.query import INCOME
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from app.models.values.money import format as fmt


def issued_for_year(book: Book, *, year: int, item: str) -> int:
    """What the levels above have already issued (下达) to this bureau for `year` on a fund item: the net income
    (after 调减/收回/缴回) of its indicators of that budget year — the floor of a 年度计划数."""
    row = book.conn.execute(
        f"SELECT coalesce(sum({INCOME}), 0) FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
        "WHERE i.year = ? AND i.item = ?", (int(year), item)).fetchone()
    return int(row[0])


def check_plan_covers_issued(book: Book, *, year: int, item: str, name: str, amount: int) -> None:
    issued = issued_for_year(book, year=year, item=item)
    if amount < issued:
        raise ValidationError(f"{year} 年“{name}”已下达 {fmt(issued)} 元，年度计划数 {fmt(amount)} 元不能少于已下达数",
                              field="年度计划数")
