"""汇总: the nine tables for this bureau, from received packages only (never a county's database).

Per county, the package consolidated is its latest version that was not returned and passed the cross-checks;
the others are listed with the reason they were left out. Additive tables (表1 表3 表4) get one row group per
county (the group's subtotal is that county's total) and the 合计; list tables carry the county in a first column.
Every consolidated row remembers where it came from (package, table, row), for the drill-down.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.models.prefecture import counties, receive, tables
from app.models.reports.definitions import ReportDefs
from app.models.store.book import Book
from app.models.values.errors import ValidationError

_NUMBERED = re.compile(r"^[一二三四五六七八九十]+、")


@dataclass(frozen=True)
class Source:
    package_id: int
    county: str
    table: str
    row: int  # index among the package's rows of that table (as read from its workbook)
    label: str


@dataclass
class Consolidation:
    month: str
    level: str  # the level of the packages consolidated (county, or prefecture at the region)
    defs: ReportDefs
    rows: dict[str, list[dict[str, Any]]]  # row-source name → raw rows for layout.build
    sources: dict[str, list[Source]]  # table id → one Source per data row, in order
    included: list[dict[str, Any]]  # received packages consolidated
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (county, reason)


def _own_level(book: Book) -> str:
    return str(book.conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()[0])


def _typed(defs_table: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Raw row values for layout.build from values as read. A percentage whose parts are not printed (such as
    序时进度, days over days) is carried as the printed ratio: its 0.01 % rounding is exactly what was printed."""
    out = dict(values)
    shown = {c.key for c in defs_table.columns}
    for col in defs_table.columns:
        if col.type == "percent" and col.ratio and not set(col.ratio) <= shown:
            num, den = col.ratio
            v = values.get(col.key)
            if v is None or v == "":
                out[num], out[den] = None, None
            elif v == "—":
                out[num], out[den] = 0, 0
            else:
                out[num], out[den] = int(Decimal(str(v)) * 10_000), 10_000
    for col in defs_table.columns:
        v = out.get(col.key)
        if col.type == "date" and isinstance(v, str) and v:
            try:
                out[col.key] = dt.date.fromisoformat(v[:10])
            except ValueError:
                pass
        elif col.type == "flag" and isinstance(v, str):
            out[col.key] = None
        elif col.type in ("percent", "seq"):
            out.pop(col.key, None)
    return out


def choose(book: Book, month: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The package consolidated for each county, and the counties left out with the reason."""
    rows = receive.packages(book, month=month)
    chosen, left = [], []
    for c in counties.list_counties(book, active_only=True):
        mine = [r for r in rows if r["county_id"] == c.id]
        if not mine:
            left.append((c.name, "未报送"))
            continue
        last = mine[-1]
        if last["returned"]:
            left.append((c.name, f"第 {last['version']} 版已退回，尚未收到更正版"))
        elif not last["checks_ok"]:
            left.append((c.name, f"第 {last['version']} 版表间勾稽关系未通过，待退回更正"))
        else:
            chosen.append(last)
    return chosen, left


def consolidate(book: Book, month: str) -> Consolidation:
    own = _own_level(book)
    lower = tables.lower_level(own)
    if lower is None:
        raise ValidationError("县级文件没有汇总：汇总在地州级（或自治区级）文件中进行", field="单位级次")
    defs = tables.consolidated_defs(lower)
    source_defs = tables.defs_for_sender(lower)
    chosen, left = choose(book, month)
    rows: dict[str, list[dict[str, Any]]] = {t.source: [] for t in defs.tables}
    sources: dict[str, list[Source]] = {t.id: [] for t in defs.tables}
    additive = set(tables.additive_tables())
    for p in chosen:
        read = receive.tables_of(book, int(p["id"]))
        for t in defs.tables:
            src_table = source_defs.table(t.id)
            for i, r in enumerate(read[t.id]["rows"]):
                if r["kind"] != "data":
                    continue
                values = _typed(src_table, r["values"])
                if t.id in additive:
                    values[tables.LOWER_CODE] = p["code"]
                    values[tables.LOWER_KEY] = p["county"]
                    if r["group"] and lower != "county":  # a prefecture's row: name its county in the label
                        label = str(values.get(t.label_column) or "")
                        values[t.label_column] = f"{_NUMBERED.sub('', r['group'])}·{label}"
                else:
                    inner = values.get(tables.LOWER_KEY)
                    values[tables.LOWER_KEY] = f"{p['county']}·{inner}" if inner else p["county"]
                for col in t.columns:
                    if col.type not in ("percent", "seq") and not col.compute:
                        values.setdefault(col.key, None)
                rows[t.source].append(values)
                sources[t.id].append(Source(int(p["id"]), str(p["county"]), t.id, i, r["label"]))
    return Consolidation(month, lower, defs, rows, sources, chosen, left)
