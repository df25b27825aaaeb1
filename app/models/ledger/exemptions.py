"""10 月 31 日例外 (issue #18 item 4): an indicator's money the region (自治区) approved to be paid after the
year-end day (特殊情况报自治区审定), with the document number and date — refused without a document. The
31 October rule (`progress.by_kind`, warning W5) does not count the approved amount as unpaid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.ledger import common as lc
from app.models.ledger import indicators
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from app.models.values.money import format as fmt


def _doc(doc_no: object, field: str) -> str:
    text = lc.text(doc_no, field, max_len=80)
    if not text:
        raise ValidationError("须填写自治区审定文件的文号，没有文件不能登记例外", field=field)
    return text



def record_year_end_exemption(book: Book, *, indicator_id: int, year: int, amount: int, doc_no: str,
                              doc_date: dt.date | str, reason: str = "") -> dict[str, Any]:
    """The region's approval that `amount` of the indicator's `year` money may be paid after the year-end day."""
    ind = indicators.get(book, indicator_id)
    doc = _doc(doc_no, "自治区审定文号")
    day = lc.as_date(doc_date, "审定日期")
    lc.not_future(book, day, "审定日期")
    money = lc.amount(amount, "例外金额")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise ValidationError("应为 2000–2100 的年度", field="年度")
    if money > int(ind["net_amount"]):
        raise ValidationError(f"例外金额 {fmt(money)} 元超过指标净额 {fmt(int(ind['net_amount']))} 元", field="例外金额")
    why = lc.text(reason, "说明", max_len=500)
    if book.conn.execute("SELECT 1 FROM year_end_exemptions WHERE indicator_id = ? AND year = ?",
                         (indicator_id, year)).fetchone():
        raise ValidationError(f"指标 {ind['doc_no']} 的 {year} 年例外已登记", field="指标")
    with book.write("record_year_end_exemption") as conn:
        conn.execute("INSERT INTO year_end_exemptions (indicator_id, year, amount, doc_no, doc_date, reason, created_by, "
                     "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (indicator_id, year, money, doc, day.isoformat(), why, book.user_id, book.stamp()))
    return next(e for e in year_end_exemptions(book, year) if e["indicator_id"] == indicator_id)


def year_end_exemptions(book: Book, year: int) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT x.*, i.doc_no AS indicator_doc, i.kind FROM year_end_exemptions x JOIN indicators i ON i.id = x.indicator_id "
        "WHERE x.year = ? ORDER BY x.id", (year,))]


def exempt_by_kind(book: Book, as_of: dt.date) -> dict[str, int]:
    """Per fund kind: the money the region allowed to be paid after the year-end day of `as_of`'s year, approved by
    `as_of` (the 31 October rule does not count it as unpaid)."""
    return {r[0]: int(r[1]) for r in book.conn.execute(
        "SELECT i.kind, sum(x.amount) FROM year_end_exemptions x JOIN indicators i ON i.id = x.indicator_id "
        "WHERE x.year = ? AND x.doc_date <= ? GROUP BY i.kind", (as_of.year, as_of.isoformat()))}
