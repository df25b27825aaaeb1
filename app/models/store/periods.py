"""Reporting periods and closed months; the database triggers are the real guard, this names it."""

from __future__ import annotations

import datetime as dt
import re

from app.models.store.book import Book
from app.models.values.errors import ClosedPeriodError, ValidationError

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, *, field: str = "月份") -> tuple[int, int]:
    m = MONTH_RE.match((text or "").strip())
    if not m:
        raise ValidationError(f"应为 YYYY-MM 格式，例如 2026-10（收到：{text!r}）", field=field)
    return int(m[1]), int(m[2])


def bounds(book: Book, month: str) -> tuple[dt.date, dt.date]:
    """The statistical period of a month, from the rule set's cut-off day (DOMAIN §4.7)."""
    year, mon = parse_month(month)
    return book.rules_for(year).reporting.period(year, mon)


def cutoff_of(book: Book) -> int | None:
    """The statistical cut-off day: file-wide (every year's rule set has the same one, see rule_years.shared)."""
    from app.models.store import rule_years

    return rule_years.shared(book).reporting.cutoff_day


def month_of(day: dt.date, cutoff_day: int | None = None) -> str:
    """Which reporting month a business date belongs to."""
    if cutoff_day is not None and day.day > cutoff_day:
        nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        return f"{nxt.year:04d}-{nxt.month:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def ensure(book: Book, month: str) -> None:
    """Create the period row when first needed (inside the caller's transaction)."""
    start, end = bounds(book, month)
    book.conn.execute(
        "INSERT OR IGNORE INTO periods (month, start_date, end_date, closed) VALUES (?, ?, ?, 0)",
        (month, start.isoformat(), end.isoformat()),
    )


def is_closed(book: Book, day: dt.date | str) -> bool:
    text = day.isoformat() if isinstance(day, dt.date) else day
    row = book.conn.execute("SELECT ? <= (SELECT max(end_date) FROM periods WHERE closed = 1)", (text,)).fetchone()
    return bool(row[0])


def require_open(book: Book, day: dt.date | str, *, field: str = "日期") -> None:
    """A friendly refusal before the trigger's; the trigger still guards raw SQL."""
    if is_closed(book, day):
        text = day.isoformat() if isinstance(day, dt.date) else day
        raise ClosedPeriodError(f"{field} {text} 所在月份已签发结账（或早于最后一个已签发的月份），不能新增、修改或删除", field=field)


def close_month(book: Book, *, month: str) -> None:
    """The mechanism the chief's sign-off uses: from now on the month's rows are frozen."""
    parse_month(month)
    with book.write("close_month") as conn:
        ensure(book, month)
        conn.execute(
            "UPDATE periods SET closed = 1, closed_at = ?, closed_by = ? WHERE month = ?",
            (book.stamp(), book.user.id if book.user else None, month),
        )


def reopen_month(book: Book, *, month: str, reason: str) -> None:
    """Chief only, with a written reason (kept in the audit log through the periods row)."""
    parse_month(month)
    if len((reason or "").strip()) < 5:
        raise ValidationError("请写明重新打开的理由（至少 5 个字）", field="理由")
    with book.write("reopen_month") as conn:
        row = conn.execute("SELECT closed FROM periods WHERE month = ?", (month,)).fetchone()
        if not row or not row[0]:
            raise ValidationError(f"{month} 尚未结账，无需重新打开", field="月份")
        conn.execute("UPDATE audit_context SET op = ? WHERE id = 1", (f"reopen_month：{reason.strip()}",))
        conn.execute(
            "UPDATE periods SET closed = 0, closed_at = ?, closed_by = ? WHERE month = ?",
            (book.stamp(), book.user.id if book.user else None, month),
        )


def list_periods(book: Book) -> list[dict[str, object]]:
    return [dict(r) for r in book.conn.execute("SELECT * FROM periods ORDER BY month DESC")]


def years_in_use(book: Book) -> list[int]:
    """Every fiscal year from the first one with money or a month in it (a document's year or arrival, a closed or
    signed month) to this year, newest first: the years the chief picks a month report or a rule set from."""
    row = book.conn.execute(
        "SELECT min(y) FROM (SELECT min(year) AS y FROM indicators "
        "UNION ALL SELECT CAST(substr(min(received_date), 1, 4) AS INTEGER) FROM indicators "
        "UNION ALL SELECT CAST(substr(min(month), 1, 4) AS INTEGER) FROM periods "
        "UNION ALL SELECT CAST(substr(min(month), 1, 4) AS INTEGER) FROM signoffs)").fetchone()
    this_year = book.today().year
    first = min(int(row[0]), this_year) if row and row[0] else this_year
    return list(range(this_year, first - 1, -1))
