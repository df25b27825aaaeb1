"""What the prefecture's tabs show, as text: received tables, consolidated tables with the source of each row,
and the drill-down from a consolidated figure to the county's received row. No Qt here; the tabs only lay it out."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.models.prefecture import receive, tables
from app.models.prefecture.consolidate import Consolidation, Source
from app.models.reports import layout
from app.models.reports.definitions import Column, ReportDefs
from app.models.store.book import Book
from app.models.values import money


@dataclass(frozen=True)
class Line:
    kind: str  # data / subtotal / total
    cells: list[str]
    source: Source | None = None


def _text(col: Column, value: object) -> str:
    if value is None:
        return ""
    if col.type == "money" and isinstance(value, int) and not isinstance(value, bool):
        return money.format(value)
    if col.type == "percent" and isinstance(value, str) and value not in ("—", ""):
        try:
            return layout.percent_text(Fraction(value))
        except (ValueError, ZeroDivisionError):
            return value
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def headers(defs: ReportDefs, table_id: str) -> list[str]:
    return [c.name for c in defs.table(table_id).columns]


def received_lines(book: Book, package_id: int, table_id: str) -> tuple[list[str], list[Line]]:
    """A received package's table as read from its workbook (subtotals and 合计 included)."""
    p = receive.package(book, package_id)
    defs = tables.defs_for_sender(str(p["level"]))
    table = defs.table(table_id)
    got = receive.tables_of(book, package_id)[table_id]
    lines = [Line(r["kind"], [_text(c, r["values"].get(c.key)) for c in table.columns]) for r in got["rows"]]
    if got["total"] is not None:
        lines.append(Line("total", [_text(c, got["total"].get(c.key)) for c in table.columns]))
    return headers(defs, table_id), lines


def consolidated_lines(c: Consolidation, table_id: str) -> tuple[list[str], list[Line]]:
    table = c.defs.table(table_id)
    built = layout.build(table, c.rows[table.source], c.defs.texts.total_label)
    out = []
    for r in [*built.rows, *([built.total] if built.total else [])]:
        cells = [layout.display(col, r.values.get(col.key)) for col in table.columns]
        src = c.sources[table_id][r.index] if r.kind == "data" and r.index is not None else None
        out.append(Line(r.kind, cells, src))
    return headers(c.defs, table_id), out


def drill(book: Book, source: Source) -> dict[str, Any]:
    """Where a consolidated row came from: the county, its package (version, when received, hashes) and the row
    exactly as read from the county's workbook."""
    p = receive.package(book, source.package_id)
    heads, lines = received_lines(book, source.package_id, source.table)
    got = receive.tables_of(book, source.package_id)[source.table]["rows"]
    position = sum(1 for r in got[: source.row + 1])  # 1-based position among the rows as printed
    return {
        "county": p["county"], "code": p["code"], "version": p["version"], "received_at": p["received_at"],
        "signed_at": p["signed_at"], "digest": p["digest"], "table": source.table, "row": position,
        "headers": heads, "cells": lines[source.row].cells,
    }


def checks_lines(book: Book, package_id: int) -> list[tuple[bool, str]]:
    p = receive.package(book, package_id)
    return [(bool(c["ok"]), f"第 {c['no']} 条 {c['name']}：{c['detail']}") for c in p["checks"]]
