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

    def count(self) -> int:
        where, args = self._where()
        sql = ("SELECT count(*) FROM indicators i JOIN fund_items it ON it.code = i.item JOIN fund_kinds k "
               f"ON k.code = i.kind WHERE {where}")
        return int(self.book.conn.execute(sql, args).fetchone()[0])

    def fetch(self, offset: int, limit: int, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        where, args = self._where()
        order = SORT.get(sort_key or "", "received_date")
        direction = "DESC" if descending else "ASC"
        sql = (f"SELECT * FROM ({indicators.SELECT} WHERE {where}) ORDER BY {order} {direction}, id {direction} "
               "LIMIT ? OFFSET ?")
        rows = self.book.conn.execute(sql, [*args, int(limit), int(offset)]).fetchall()
        cal = holidays.calendar(self.book)
        today = self.book.today()
        out = []
        for r in rows:
            d = indicators._row(self.book, r)
            d.update(deadlines.summary(self.book, d, cal=cal, today=today))
            d["has_scan"] = d["scan_id"] is not None
            out.append(d)
        return out

    def all(self, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        return self.fetch(0, max(self.count(), 1), sort_key, descending)
