"""What the 监控预警 dashboard shows, read in one place: warning counts, spending progress by fund kind,
bond money's clocks and the deadlines coming up. Pure reads; the view only lays them out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from app.models.ledger import deadlines, progress
from app.models.plan import projects
from app.models.store import holidays, periods
from app.models.store.book import Book
from app.models.values.money import format as fmt
from app.models.warnings import query as warnings_query

UPCOMING_DAYS = 30
"""How far ahead the dashboard lists deadlines (a view setting, not policy)."""


@dataclass(frozen=True)
class Upcoming:
    """One deadline ahead: `object_type`/`object_id` say what opening it shows."""

    due: dt.date
    what: str
    label: str
    object_type: str
    object_id: str
    days_left: int


@dataclass(frozen=True)
class Overview:
    as_of: dt.date
    last_run: dict[str, object] | None
    counts: list[warnings_query.TypeCount]
    kinds: list[progress.KindProgress]
    pace: Fraction
    bonds: list[progress.BondClock]
    upcoming: list[Upcoming]


def overview(book: Book, as_of: dt.date | None = None, *, horizon: int = UPCOMING_DAYS) -> Overview:
    day = as_of or book.today()
    from app.models.warnings import engine as warn

    read = progress.figures(book, day)
    return Overview(day, warn.last_run(book), warnings_query.counts(book), progress.by_kind(book, day, of=read),
                    progress.pace(book, day), progress.bond_clocks(book, day, of=read),
                    upcoming(book, day, horizon=horizon, of=read))


def upcoming(book: Book, as_of: dt.date, *, horizon: int = UPCOMING_DAYS,
             of: list[progress.Figures] | None = None) -> list[Upcoming]:
    """Deadlines from today to `horizon` days ahead: monthly reports, the bureau's own indicator stages,
    bond money's three months, and notices on boards reaching their minimum days or their end date."""
    last = as_of + dt.timedelta(days=horizon)
    out: list[Upcoming] = []

    def add(due: dt.date, what: str, label: str, object_type: str, object_id: object) -> None:
        if as_of <= due <= last:
            out.append(Upcoming(due, what, label, object_type, str(object_id), (due - as_of).days))

    level = deadlines.bureau_level(book)
    closed = {r[0] for r in book.conn.execute("SELECT month FROM periods WHERE closed = 1")}
    cutoff = periods.cutoff_of(book)
    month = periods.month_of(as_of, cutoff)
    y, m = periods.parse_month(month)
    for back in range(0, 3):
        yy, mm = (y, m - back) if m - back >= 1 else (y - 1, m - back + 12)
        key = f"{yy:04d}-{mm:02d}"
        if key not in closed:
            add(book.rules_for(yy).reporting.due_date(yy, mm, level), "月报签发报送", f"{yy}年{mm}月月报", "month", key)
    longest = max((d.days for y in (as_of.year - 1, as_of.year) for d in book.rules_for(y).deadlines), default=30) * 2 + 14
    cal = holidays.calendar(book)
    for row in book.conn.execute("SELECT * FROM indicators WHERE received_date BETWEEN ? AND ? ORDER BY received_date",
                                 ((as_of - dt.timedelta(days=longest)).isoformat(), as_of.isoformat())):
        ind = dict(row)
        for s in deadlines.stages(book, ind, cal=cal, today=as_of):
            if not s["own"] or s["done"] is not None or s["late"]:
                continue
            if s["late"] is False or projects.unplanned(book, ind["id"]) > 0:  # None: judged by the plan
                add(s["due"], s["stage"] + ("（到期日为估算：该年节假日安排未录入）" if s["estimated"] else ""),
                    f"{ind['doc_no']} {ind['title']}".strip(), "indicator", ind["id"])
    for c in progress.bond_clocks(book, as_of, of=of):
        add(c.deadline, f"债券资金形成支出（尚余 {fmt(c.unspent)} 元）", f"{c.doc_no} {c.title}".strip(),
            "indicator", c.indicator_id)
    _notices(book, as_of, add)
    out.sort(key=lambda u: (u.due, u.what, u.label))
    return out


def _notices(book: Book, as_of: dt.date, add: Callable[[dt.date, str, str, str, object], None]) -> None:
    """Board notices: one taken down before the minimum days is listed on its own (it must be re-posted or
    kept up); those reaching the minimum are counted per day (photos can be taken, the board freed)."""
    min_days = book.rules_on(as_of).notices.min_board_days
    boards = [p.code for p in book.rules_on(as_of).notices.places if not p.permanent]
    if not boards:
        return
    marks = ",".join("?" * len(boards))
    full: dict[dt.date, list[tuple[int, str]]] = {}
    for r in book.conn.execute(
            f"SELECT id, title, start_date, end_date FROM notices WHERE place IN ({marks}) AND start_date <= ? "
            "AND (end_date IS NULL OR end_date >= ?) ORDER BY start_date, id", (*boards, as_of.isoformat(),
                                                                              as_of.isoformat())):
        reach = dt.date.fromisoformat(r["start_date"]) + dt.timedelta(days=min_days - 1)
        end = dt.date.fromisoformat(r["end_date"]) if r["end_date"] else None
        if end is not None and end < reach:
            add(end, f"公示将于当天撤下，不足 {min_days} 天", r["title"], "notice", r["id"])
        elif reach >= as_of:
            full.setdefault(reach, []).append((int(r["id"]), r["title"]))
    for day, items in full.items():
        titles = "、".join(t for _, t in items[:3]) + ("等" if len(items) > 3 else "")
        add(day, f"{len(items)} 条公示满 {min_days} 天", titles, "notice", items[0][0])
