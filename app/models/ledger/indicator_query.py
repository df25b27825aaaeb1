"""The 指标 register as a row source: filters and sorting in SQL, deadline status computed per page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models.ledger import common as lc
from app.models.ledger import deadlines, indicators
from app.models.store import holidays
from app.models.store.book import Book
from app.models.store.where import Where

SORT = {  # display key → column of the inner query (never user text in ORDER BY)
    "id": "id", "doc_no": "doc_no", "year": "year", "kind_name": "kind", "item_name": "item_name",
    "source_level_name": "source_level", "amount": "amount", "received_date": "received_date",
    "upper_doc_date": "upper_doc_date", "prefecture_doc_date": "prefecture_doc_date", "section": "section",
    "section_name": "section", "func_code": "func_code", "title": "title", "net_amount": "net_amount", "paid": "paid",
    "available": "(net_amount - paid)",
}


@dataclass
class IndicatorQuery:
    """count()/fetch() over indicators, filtered by year, kind, section and free text (文号、标题、项目)."""

    book: Book
    year: int | None = None
    kind: str | None = None
    section: str | None = None
    text: str = ""

    def _where(self) -> tuple[str, list[Any]]:
        w = Where().equals("i.year", self.year).equals("i.kind", self.kind)
        if self.section:
            w.add("i.section = ?", "" if self.section == lc.NO_SECTION else self.section)
        w.contains(self.text, "i.doc_no", "i.title", "it.name", "i.func_code")
        return w.sql, w.args

    _FROM = "FROM indicators i JOIN fund_items it ON it.code = i.item JOIN fund_kinds k ON k.code = i.kind"

    def count(self) -> int:
        where, args = self._where()
        return int(self.book.conn.execute(f"SELECT count(*) {self._FROM} WHERE {where}", args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        """The table's order: the sort column (else the date received), then the id the same way (one place each)."""
        direction = "DESC" if descending else "ASC"
        return f"{SORT.get(sort_key or '', 'received_date')} {direction}, id {direction}"

    def fetch(self, offset: int, limit: int, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        where, args = self._where()
        sql = (f"SELECT * FROM ({indicators.SELECT} WHERE {where}) ORDER BY {self._order(sort_key, descending)} "
               "LIMIT ? OFFSET ?")
        cal = holidays.calendar(self.book)
        rows = self.book.conn.execute(sql, [*args, int(limit), int(offset)])  # row by row (payments.query.fetch)
        today = self.book.today()
        out = []
        for r in rows:
            d = indicators._row(self.book, r)
            d.update(deadlines.summary(self.book, d, cal=cal, today=today))
            d["has_scan"] = d["scan_id"] is not None
            out.append(d)
        return out

    def has(self, indicator_id: int) -> bool:
        """Whether the indicator is listed under this filter (one row looked up by its key)."""
        where, args = self._where()
        return self.book.conn.execute(f"SELECT 1 {self._FROM} WHERE {where} AND i.id = ?",
                                      [*args, int(indicator_id)]).fetchone() is not None

    def position(self, indicator_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The indicator's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed row is numbered (the sort may be a computed figure): run it off the GUI thread."""
        where, args = self._where()
        row = self.book.conn.execute(
            f"SELECT n FROM (SELECT id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS n FROM ({indicators.SELECT} WHERE {where})) WHERE rid = ?", [*args, int(indicator_id)]).fetchone()
        return None if row is None else int(row[0])

    def all(self, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        return self.fetch(0, max(self.count(), 1), sort_key, descending)
