"""Reporting periods and closed months; the database triggers are the real guard, this names it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

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


def signed_carry(book: Book, month: str, start: dt.date, paths: Mapping[str, str]
                 ) -> tuple[str, dt.date, dict[str, Any]] | None:
    """What a month `month` (or a day's figures: its calendar month, `start` the day) may carry from the last month
    signed before it: (that month, its period end, the parts of its stored data at `paths` — {name: JSON path},
    "period_end" among them; a part it did not store is absent). None when nothing may be carried — no such month,
    that month or an earlier one open (entries dated up to its end could have changed since; closed months cannot:
    the closed-month triggers), its period reaching `start` or later, or its period end in `month`'s year while the
    signed month is another year's (its 年初结余 and year figures do not carry).

    The one rule of carrying for the nine tables (reports.sources) and the day's indicator figures (ledger.progress);
    what is carried is covered by the sign-off's signature and summed again from the entries by verify."""
    # one json_extract of every path: SQLite parses the stored text (a row per object of the whole history in 表6/表8,
    # the month's warning list) once, not once per part; the parts come back as one JSON array, a missing one null
    row = book.conn.execute(
        "SELECT month, json_extract(data, " + ", ".join(f"'{path}'" for path in paths.values()) +
        ") FROM signoffs WHERE status = 'signed' AND month < ? ORDER BY month DESC LIMIT 1", (month,)).fetchone()
    if row is None:
        return None
    signed = str(row[0])
    if book.conn.execute("SELECT 1 FROM periods WHERE month <= ? AND closed = 0 LIMIT 1", (signed,)).fetchone() \
            or not book.conn.execute("SELECT 1 FROM periods WHERE month = ? AND closed = 1", (signed,)).fetchone():
        return None
    values = json.loads(row[1]) if len(paths) > 1 else [json.loads(row[1]) if row[1] is not None else None]
    parts = {name: value for name, value in zip(paths, values, strict=True) if value is not None}
    if "period_end" not in parts:
        return None
    end = dt.date.fromisoformat(parts["period_end"]["$date"])
    year = int(month[:4])
    if end >= start or (end >= dt.date(year, 1, 1) and int(signed[:4]) != year):
        return None
    return signed, end, parts
