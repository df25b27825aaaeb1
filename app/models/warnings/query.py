"""Reading the stored warnings: the list (a row source), counts by type and status, and the 表7 rows
as of a month's last day (from the dated events, so a signed month re-creates the same numbers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.models.store import periods
from app.models.store.book import Book
from app.models.store.where import Where
from app.models.warnings import engine as warn

SORT = {"id": "w.id", "code": "w.code", "code_name": "w.code", "object_label": "w.object_label", "amount": "w.amount",
        "since": "w.since", "first_detected": "w.first_detected", "status_name": "w.status", "section_name": "w.section",
        "detail": "w.detail", "handled_on": "w.handled_on", "state_name": "w.cleared_on", "note": "w.note"}
ACTIVE, CLEARED = "active", "cleared"


@dataclass
class WarningQuery:
    """Filter by type, status, state (仍在触发 / 已消除) and free text; sort keys whitelisted."""

    book: Book
    code: str = ""
    status: str = ""
    state: str = ACTIVE  # "" for all
    text: str = ""

    def _where(self) -> tuple[str, list[Any]]:
        w = Where().equals("w.code", self.code).equals("w.status", self.status)
        if self.state == ACTIVE:
            w.add("w.cleared_on IS NULL")
        elif self.state == CLEARED:
            w.add("w.cleared_on IS NOT NULL")
        w.contains(self.text, "w.object_label", "w.detail", "w.section", "w.note")
        return w.sql, w.args

    def count(self) -> int:
        where, args = self._where()
        return int(self.book.conn.execute(f"SELECT count(*) FROM warnings w WHERE {where}", args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        """The table's order: the sort column (else the type, then the date it began), then the id (one place each)."""
        direction = "DESC" if descending else "ASC"
        second = "w.since, w.id" if not sort_key else "w.id"
        return f"{SORT.get(sort_key or '', 'w.code')} {direction}, {second}"

    def fetch(self, offset: int, limit: int, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        where, args = self._where()
        rows = self.book.conn.execute(
            f"SELECT w.*, coalesce(p.id, '') AS problem_id FROM warnings w LEFT JOIN problems p ON p.warning_id = w.id "
            f"WHERE {where} ORDER BY {self._order(sort_key, descending)} LIMIT ? OFFSET ?",
            [*args, int(limit), int(offset)])
        return [warn.decorate(self.book, dict(r)) for r in rows]

    def has(self, warning_id: int) -> bool:
        """Whether the warning is listed under this filter (one row looked up by its key)."""
        where, args = self._where()
        return self.book.conn.execute(f"SELECT 1 FROM warnings w WHERE {where} AND w.id = ?",
                                      [*args, int(warning_id)]).fetchone() is not None

    def position(self, warning_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The warning's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed warning is numbered: run it off the GUI thread."""
        where, args = self._where()
        row = self.book.conn.execute(
            f"SELECT at FROM (SELECT w.id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS at FROM warnings w WHERE {where}) WHERE rid = ?", [*args, int(warning_id)]).fetchone()
        return None if row is None else int(row[0])


@dataclass(frozen=True)
class TypeCount:
    code: str
    name: str
    active: int  # still firing
    by_status: dict[str, int]  # every warning of the type, by its current status
    total: int
    amount: int  # 分 involved in the ones still firing
    oldest: dt.date | None  # the earliest `since` among those still firing


def counts(book: Book) -> list[TypeCount]:
    """Per warning type (W1…W9, every type even when zero): what is firing, and every status."""
    data: dict[str, dict[str, Any]] = {w.code: {"active": 0, "by": {}, "total": 0, "amount": 0, "oldest": None}
                                       for w in book.rules.warnings}
    for code, status, active, n, amount, oldest in book.conn.execute(
            "SELECT code, status, cleared_on IS NULL, count(*), sum(amount), min(since) FROM warnings "
            "GROUP BY code, status, cleared_on IS NULL"):
        d = data.setdefault(code, {"active": 0, "by": {}, "total": 0, "amount": 0, "oldest": None})
        d["by"][status] = d["by"].get(status, 0) + int(n)
        d["total"] += int(n)
        if active:
            d["active"] += int(n)
            d["amount"] += int(amount)
            if d["oldest"] is None or oldest < d["oldest"]:
                d["oldest"] = oldest
    return [TypeCount(code, warn.warning_name(book, code), d["active"], d["by"], d["total"], d["amount"],
                      dt.date.fromisoformat(d["oldest"]) if d["oldest"] else None) for code, d in data.items()]


# -- 表7 ------------------------------------------------------------------------------------------

_AS_OF = """
SELECT w.id, w.code, w.first_detected,
  (SELECT e.status FROM warning_events e WHERE e.warning_id = w.id AND e.day <= :end
     ORDER BY e.day DESC, e.id DESC LIMIT 1) AS status,
  (SELECT e.amount FROM warning_events e WHERE e.warning_id = w.id AND e.event = 'detected'
     ORDER BY e.id LIMIT 1) AS detected_amount
FROM warnings w WHERE w.first_detected BETWEEN :year_start AND :end ORDER BY w.id
"""


def counted(book: Book, *, month: str) -> list[dict[str, Any]]:
    """The warnings 表7 of `month` counts (first detected from 1 January to the period's end),
    with their status on the period's last day and the amount when detected."""
    _start, end = periods.bounds(book, month)
    rows = book.conn.execute(_AS_OF, {"end": end.isoformat(), "year_start": f"{end.year:04d}-01-01"})
    return [{"id": int(r["id"]), "code": r["code"], "detected_on": dt.date.fromisoformat(r["first_detected"]),
             "status": r["status"] or warn.initial_status(book), "amount": int(r["detected_amount"] or 0)}
            for r in rows]


# The types 表7 lists even with nothing to count: the nine it had when the first months were signed. Types added
# since (the false-claim cross-checks W11–W16) are listed in a month only when they have a warning by then.
TABLE7_ALWAYS = frozenset(f"W{n}" for n in range(1, 10))

# 表7's counts per type in one statement (issue #22): the same warnings, status on the period's last day and amount
# when detected as `_AS_OF`, added up by SQLite rather than handed to Python one warning at a time.
# (MATERIALIZED: each warning's status is looked up once, not once for every place the sums name it.)
_SUMMARY = f"""
WITH counted AS MATERIALIZED ({_AS_OF.replace("ORDER BY w.id", "")}),
  closed AS MATERIALIZED (SELECT value AS code FROM json_each(:closed))
SELECT code, count(*) AS cum_count, sum(first_detected >= :start) AS new_month,
  coalesce(sum(CASE WHEN first_detected >= :start THEN coalesce(detected_amount, 0) END), 0) AS amount,
  sum(status IN closed) AS rectified, sum(status NOT IN closed AND status <> :first) AS rectifying,
  sum(status = :first) AS unrectified
FROM (SELECT code, first_detected, detected_amount, coalesce(nullif(status, ''), :first) AS status FROM counted)
GROUP BY code
"""


def warning_summary(book: Book, *, month: str) -> list[dict[str, Any]]:
    """表7 row source: per type — 本月新增 and its amount, 累计预警, 已整改 (incl. 已说明), 整改中, 未整改.

    Counts the warnings of `counted(month)`: 本月新增 those first detected in the month; 已整改 those whose status on
    the period's last day is a closed one, 未整改 those still at the first status, 整改中 the rest."""
    import json

    start, end = periods.bounds(book, month)
    closed = json.dumps(sorted(s.code for s in warn.statuses(book) if s.closed))
    found = {r["code"]: r for r in book.conn.execute(_SUMMARY, {
        "start": start.isoformat(), "end": end.isoformat(), "year_start": f"{end.year:04d}-01-01",
        "closed": closed, "first": warn.initial_status(book)})}
    out = []
    for w in book.rules_for(int(month[:4])).warnings:  # the month's own year's types and names (issue #17)
        r = found.get(w.code)
        if r is None and w.code not in TABLE7_ALWAYS:
            continue  # a type added later (W10 …) gets its row once it has a warning: signed months re-create as signed
        out.append({"code": w.code, "name": w.name}
                   | {k: int(r[k] or 0) if r is not None else 0 for k in _SUMMARY_KEYS})
    return out


_SUMMARY_KEYS = ("new_month", "amount", "cum_count", "rectified", "rectifying", "unrectified")


def counted_records(book: Book, *, month: str) -> list[tuple[int, str, dt.date]]:
    """(id, code, first detected) of the warnings `counted(month)` lists, in id order, without their status or
    amount (the package's warning list; 表7's figures come from `warning_summary`)."""
    _start, end = periods.bounds(book, month)
    day = _day_parser()
    return [(int(i), str(c), day(f)) for i, c, f in book.conn.execute(
        "SELECT w.id, w.code, w.first_detected FROM warnings w WHERE w.first_detected BETWEEN ? AND ? ORDER BY w.id",
        (f"{end.year:04d}-01-01", end.isoformat()))]


def _day_parser() -> Any:
    """date.fromisoformat with the few hundred distinct days of a year parsed once each."""
    import functools

    return functools.lru_cache(maxsize=None)(dt.date.fromisoformat)
