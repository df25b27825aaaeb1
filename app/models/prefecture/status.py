"""报送情况: counties × months — 未报 / 已报 / 逾期报送 / 退回 / 已更正 — with the deadline from the rule set
(the 28th of the next month for a county, the 30th for a prefecture) moved to the next working day when it falls
on a holiday or weekend of the working-day calendar; a warning for each late or missing county."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.models.prefecture import counties, receive, tables
from app.models.store import holidays, periods
from app.models.store.book import Book
from app.models.values import workdays

NOT_SENT, SENT, LATE, RETURNED, CORRECTED = "未报", "已报", "逾期报送", "退回", "已更正"


@dataclass(frozen=True)
class Cell:
    county_id: int
    month: str
    status: str
    versions: int
    received_at: str
    package_id: int | None  # the latest version
    checks_ok: bool | None
    late: bool


def deadline(book: Book, month: str, level: str) -> dt.date:
    """When `level`'s report of `month` is due: the rule set's day, then the next working day if it is not one."""
    year, mon = periods.parse_month(month)
    day = book.rules_for(year).reporting.due_date(year, mon, level)  # the month's own year's rules
    cal = holidays.calendar(book)
    while not workdays.is_working_day(day, cal):
        day += dt.timedelta(days=1)
    return day


def _own_level(book: Book) -> str:
    return str(book.conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()[0])


def matrix(book: Book, months: list[str]) -> dict[tuple[int, str], Cell]:
    lower = tables.lower_level(_own_level(book)) or "county"
    rows = receive.packages(book)
    out: dict[tuple[int, str], Cell] = {}
    for month in months:
        due = deadline(book, month, lower)
        for c in counties.list_counties(book):
            mine = [r for r in rows if r["county_id"] == c.id and r["month"] == month]
            if not mine:
                overdue = book.today() > due
                out[(c.id, month)] = Cell(c.id, month, NOT_SENT, 0, "", None, None, overdue)
                continue
            first, last = mine[0], mine[-1]
            late = receive.received_on(first) > due
            if last["returned"]:
                status = RETURNED
            elif len(mine) > 1 or last["version"] > 1:
                status = CORRECTED
            else:
                status = LATE if late else SENT
            out[(c.id, month)] = Cell(c.id, month, status, len(mine), str(last["received_at"]), int(last["id"]),
                                      bool(last["checks_ok"]), late)
    return out


def warnings(book: Book, month: str) -> list[str]:
    """One line per county that reported late or has not reported by its deadline."""
    lower = tables.lower_level(_own_level(book)) or "county"
    due = deadline(book, month, lower)
    cells = matrix(book, [month])
    out = []
    for c in counties.list_counties(book, active_only=True):
        cell = cells[(c.id, month)]
        if cell.status == NOT_SENT and cell.late:
            out.append(f"{c.name} {month} 月报应于 {due.isoformat()} 前报送，至今未报")
        elif cell.late:
            out.append(f"{c.name} {month} 月报应于 {due.isoformat()} 前报送，{cell.received_at[:10]} 才收到（逾期报送）")
    return out


def own_deadline(book: Book, month: str) -> dt.date | None:
    """This bureau's own due date upward (the prefecture's 30th); None at the top (the rule set names none)."""
    level = _own_level(book)
    if level not in {d.level for d in book.rules_for(int(month[:4])).reporting.due}:
        return None
    return deadline(book, month, level)


def months_received(book: Book) -> list[str]:
    return [str(r[0]) for r in book.conn.execute("SELECT DISTINCT month FROM received_packages ORDER BY month")]


def months_seen(book: Book) -> list[str]:
    """From the first month any package arrived for (or the last ended month) through the last ended month, so
    未报 shows before anything arrives and no month in between is skipped."""
    today = book.today()
    last = periods.month_of(today.replace(day=1) - dt.timedelta(days=1))
    got = months_received(book)
    first = min([*got, last])
    out, (y, m) = [], periods.parse_month(first)
    while f"{y:04d}-{m:02d}" <= max([*got, last]):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
