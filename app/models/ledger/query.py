"""Reading the special account: filtered, paged entry listings and the monthly 收支余 (balances).

Opening balances are never typed: the opening of a year is everything posted before it (the
previous year's closing), and every figure is a sum over `ledger_entries`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.models.ledger import common as lc
from app.models.store import periods
from app.models.store.book import Book
from app.models.store.where import Where
from app.models.values.errors import ValidationError

# Signed effect of an entry on the balance: income adds, expenditure takes.
BALANCE = "(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE -e.sign * e.amount END)"
INCOME = "(CASE WHEN e.side = 'income' THEN e.sign * e.amount END)"
EXPENSE = "(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount END)"

ENTRY_SORT = {
    "id": "e.id", "entry_date": "e.entry_date", "entry_type_name": "e.entry_type", "doc_no": "i.doc_no",
    "kind": "i.kind", "kind_name": "k.sort", "item_name": "it.name", "section": "i.section", "summary": "e.summary",
    "voucher_no": "e.voucher_no", "income": INCOME, "expenditure": EXPENSE, "amount": "e.amount",
}


def year_start(book: Book, year: int) -> dt.date:
    return periods.bounds(book, f"{year:04d}-01")[0]


def month_bounds(book: Book, month: str) -> tuple[dt.date, dt.date]:
    return periods.bounds(book, lc.month_text(month))


@dataclass
class EntryQuery:
    """A row source over ledger entries: filters in SQL, sorting on whitelisted keys, offset paging."""

    book: Book
    year: int | None = None
    month: int | None = None
    kind: str | None = None
    section: str | None = None
    text: str = ""
    indicator_id: int | None = None
    entry_type: str | None = None

    def _where(self) -> tuple[str, list[Any]]:
        w = Where()
        if self.year is not None and self.month:
            start, end = month_bounds(self.book, f"{self.year:04d}-{self.month:02d}")
            w.between("e.entry_date", start.isoformat(), end.isoformat())
        elif self.year is not None:
            start = year_start(self.book, self.year)
            end = year_start(self.book, self.year + 1) - dt.timedelta(days=1)
            w.between("e.entry_date", start.isoformat(), end.isoformat())
        elif self.month:
            w.add("substr(e.entry_date, 6, 2) = ?", f"{self.month:02d}")
        w.equals("i.kind", self.kind).equals("e.indicator_id", self.indicator_id).equals("e.entry_type", self.entry_type)
        if self.section is not None and self.section != "":
            w.add("i.section = ?", "" if self.section == lc.NO_SECTION else self.section)
        w.contains(self.text, "i.doc_no", "i.title", "e.summary", "e.voucher_no", "it.name")
        return w.sql, w.args

    _FROM = ("FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id JOIN fund_kinds k ON k.code = i.kind "
             "JOIN fund_items it ON it.code = i.item")

    def count(self) -> int:
        where, args = self._where()
        return int(self.book.conn.execute(f"SELECT count(*) {self._FROM} WHERE {where}", args).fetchone()[0])

    def fetch(self, offset: int, limit: int, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        where, args = self._where()
        order = ENTRY_SORT.get(sort_key or "", "e.entry_date")
        direction = "DESC" if descending else "ASC"
        sql = (f"SELECT e.*, i.doc_no, i.title, i.kind, k.name AS kind_name, i.item, it.name AS item_name, i.section, "
               f"{INCOME} AS income, {EXPENSE} AS expenditure {self._FROM} WHERE {where} "
               f"ORDER BY {order} {direction}, e.id {direction} LIMIT ? OFFSET ?")
        rows = self.book.conn.execute(sql, [*args, int(limit), int(offset)]).fetchall()
        return [dict(r) | {"entry_type_name": lc.entry_type_name(r["entry_type"]),
                           "section": r["section"] or lc.NO_SECTION} for r in rows]

    def all(self, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        return self.fetch(0, max(self.count(), 1), sort_key, descending)


GROUPS = {
    # by: (key expression, name expression, extra columns)
    "kind": ("i.kind", "k.name", "k.sort AS sort"),
    "item": ("i.item", "it.name", "k.sort AS sort, i.kind AS kind"),
    "indicator": ("i.id", "i.doc_no || CASE WHEN i.title <> '' THEN ' ' || i.title ELSE '' END",
                  "k.sort AS sort, i.kind AS kind, i.section AS section"),
    "section": ("i.section", "CASE WHEN i.section = '' THEN '" + lc.NO_SECTION + "' ELSE i.section END", "0 AS sort"),
}
FIGURES = ("opening", "month_opening", "income_month", "income_ytd", "expenditure_month", "expenditure_ytd", "closing")


def balances(book: Book, *, month: str, by: str = "kind", kind: str | None = None) -> list[dict[str, Any]]:
    """收支余 of one month, one row per kind/item/indicator/section, then a 合计 row (total=True).

    opening = 年初余额 (the previous year's closing), month_opening = 月初余额,
    closing = opening + income_ytd − expenditure_ytd (computed independently as the sum to month end).
    """
    if by not in GROUPS:
        raise ValidationError(f"应为 {'、'.join(GROUPS)} 之一", field="汇总方式")
    ms, me = month_bounds(book, month)
    ys = year_start(book, int(lc.month_text(month)[:4]))
    key, name, extra = GROUPS[by]
    filt, args = "", [ys.isoformat(), ms.isoformat(), ms.isoformat(), ys.isoformat(), ms.isoformat(), ys.isoformat(),
                      ys.isoformat(), me.isoformat()]
    if kind:
        filt = " AND i.kind = ?"
        args.append(kind)
    sql = f"""
        SELECT {key} AS key, {name} AS name, {extra},
          coalesce(sum(CASE WHEN e.entry_date < ? THEN {BALANCE} END), 0) AS opening,
          coalesce(sum(CASE WHEN e.entry_date < ? THEN {BALANCE} END), 0) AS month_opening,
          coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_month,
          coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_ytd,
          coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS expenditure_month,
          coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS expenditure_ytd,
          coalesce(sum({BALANCE}), 0) AS closing,
          count(CASE WHEN e.entry_date >= ? THEN 1 END) AS entries_in_year
        FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id
        JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item
        WHERE e.entry_date <= ?{filt}
        GROUP BY {key} ORDER BY sort, key"""
    rows = []
    for r in book.conn.execute(sql, args):
        d = dict(r)
        if d["entries_in_year"] == 0 and d["closing"] == 0:
            continue  # settled in an earlier year, nothing to show
        rows.append(d | {"total": False})
    total: dict[str, Any] = {"key": "", "name": "合计", "total": True}
    for f in FIGURES:
        total[f] = sum(int(r[f]) for r in rows)
    return [*rows, total]


def years(book: Book) -> list[int]:
    """Years that have ledger entries (newest first), for the year filter."""
    # one seek on ledger_entries_date per year (newest entry, then the newest before that year's 1 January),
    # not a pass over every entry: the 专账 tab's first paint asks this, and the file keeps every year
    rows = book.conn.execute(
        "WITH RECURSIVE y(d) AS (SELECT max(entry_date) FROM ledger_entries UNION ALL "
        "SELECT (SELECT max(entry_date) FROM ledger_entries WHERE entry_date < substr(y.d, 1, 4) || '-01-01') "
        "FROM y WHERE y.d IS NOT NULL) SELECT CAST(substr(d, 1, 4) AS INTEGER) FROM y WHERE d IS NOT NULL")
    return [int(r[0]) for r in rows]


def sections(book: Book) -> list[str]:
    rows = book.conn.execute("SELECT DISTINCT section FROM indicators ORDER BY section")
    return [r[0] or lc.NO_SECTION for r in rows]


def section_choices(book: Book) -> list[str]:
    """The 股室 a form offers: those indicators already carry and those staff belong to (sorted, no blank)."""
    names = {s for s in sections(book) if s != lc.NO_SECTION}
    names |= {r[0] for r in book.conn.execute("SELECT DISTINCT section FROM users WHERE section <> ''")}
    return sorted(names)
