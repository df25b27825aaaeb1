"""Row sources for the 公告公示 tab: obligations (computed, sorted in Python) and notice records (SQL).

Both follow the table models' protocol: count() and fetch(offset, limit, sort_key, descending), with
sort keys taken only from a whitelist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.store.book import Book
from app.models.store.where import Where

OBLIGATION_SORT_KEYS = ("status", "kind_name", "level_name", "object_label", "place", "since_text", "amount", "days",
                        "detail")
NOTICE_SORT_KEYS = {"id": "n.id", "start_date": "n.start_date", "end_date": "n.end_date", "title": "n.title",
                    "kind_name": "n.kind", "level_name": "n.level", "place_name": "n.place", "publisher": "n.publisher",
                    "evidence": "evidence", "feedback": "feedback"}


class ObligationSource:
    """The obligations on `as_of`, filtered by status group, kind, level and text."""

    def __init__(self, book: Book, *, as_of: dt.date, status: str = "", kind: str = "", level: str = "",
                 text: str = "", computed: list[ob.Obligation] | None = None) -> None:
        """`computed`: obligations already derived for `as_of` (a view re-filtering need not derive them again)."""
        wanted = {"open": ob.OPEN_STATUSES, "": ob.STATUSES}.get(status, (status,))
        rows = []
        self.all_counts = dict.fromkeys(ob.STATUSES, 0)  # before filtering: what the tab's summary line shows
        for o in ob.obligations(book, as_of=as_of) if computed is None else computed:
            self.all_counts[o.status] += 1
            if o.status not in wanted or (kind and o.kind != kind) or (level and o.level != level):
                continue
            row = o.as_row()
            if text and not any(text in str(row[k]) for k in ("object_label", "place", "detail", "kind_name")):
                continue
            rows.append(row)
        self.rows = rows
        self._sorted: dict[tuple[str, bool], list[dict[str, Any]]] = {}  # the rows in an order, sorted once

    def _in_order(self, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        """The rows in the table's order, sorted once per order (the first page is read in a worker: the view's
        later pages, on the GUI thread, are slices of the same list — no sort of every obligation per page)."""
        if sort_key not in OBLIGATION_SORT_KEYS:
            return self.rows
        key = (str(sort_key), descending)
        if key not in self._sorted:
            rows = self.rows
            if sort_key == "status":
                order = {s: i for i, s in enumerate(ob.STATUSES)}
                rows = sorted(rows, key=lambda r: order[r["status"]], reverse=descending)
            elif sort_key in ("amount", "days"):
                rows = sorted(rows, key=lambda r: (r[str(sort_key)] is None, r[str(sort_key)] or 0), reverse=descending)
            else:
                rows = sorted(rows, key=lambda r: str(r[str(sort_key)] or ""), reverse=descending)
            self._sorted[key] = rows
        return self._sorted[key]

    def count(self) -> int:
        return len(self.rows)

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        return self._in_order(sort_key, descending)[offset: offset + limit]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ob.STATUSES, 0)
        for r in self.rows:
            out[r["status"]] += 1
        return out


_NOTICE_ROWS = ("SELECT n.*, (SELECT count(*) FROM notice_evidence e WHERE e.notice_id = n.id) AS evidence, "
                "(SELECT count(*) FROM notice_feedback f WHERE f.notice_id = n.id) AS feedback FROM notices n")


class NoticeQuery:
    """Recorded notices, newest first; optionally only those about one object, or matching a text."""

    def __init__(self, book: Book, *, object_type: str = "", object_id: int | None = None, text: str = "") -> None:
        self.book = book
        w = Where()
        if object_type and object_id is not None:
            w.add("n.object_type = ? AND n.object_id = ?", object_type, object_id)
        w.contains(text, "n.title", "n.publisher", "n.location")
        self.where, self.args = w.clause, w.args

    def count(self) -> int:
        return int(self.book.conn.execute("SELECT count(*) FROM notices n" + self.where, self.args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        """The table's order: the sort column (else the newest start first), then the newest record (one place each)."""
        order = NOTICE_SORT_KEYS.get(sort_key or "")
        return f"{order} {'DESC' if descending else 'ASC'}, n.id DESC" if order else "n.start_date DESC, n.id DESC"

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        rows = self.book.conn.execute(
            f"{_NOTICE_ROWS}{self.where} ORDER BY {self._order(sort_key, descending)} LIMIT ? OFFSET ?",
            [*self.args, limit, offset])
        return [notices.decorate(self.book, r) for r in rows]  # row by row, not fetchall (payments.query.fetch says why)

    def has(self, notice_id: int) -> bool:
        """Whether the record is listed under this filter (one row looked up by its key)."""
        where = (self.where + " AND" if self.where else " WHERE") + " n.id = ?"
        return self.book.conn.execute(f"SELECT 1 FROM notices n{where}", [*self.args, int(notice_id)]).fetchone() \
            is not None

    def position(self, notice_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The record's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed row is numbered (the sort may be a count): run it off the GUI thread."""
        row = self.book.conn.execute(
            f"SELECT at FROM (SELECT id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS at FROM ({_NOTICE_ROWS}{self.where}) n) WHERE rid = ?", [*self.args, int(notice_id)]).fetchone()
        return None if row is None else int(row[0])
