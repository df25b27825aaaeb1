"""The monthly workbook: a 封面 sheet and one sheet per table, laid out from the definitions.

Amounts are written as exact Decimal 元 built from integer 分; text is always stored as text (a
project named "=1+1" or an 18-digit ID never becomes a formula or a number); the file is byte-stable
for a given PackageData (see stable.py).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Mapping
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.export import stable
from app.export.cells import put_text, put_value
from app.models.reports import definitions, layout
from app.models.reports.definitions import Column, ReportDefs, Style
from app.models.reports.layout import RenderRow, Section
from app.models.reports.package_data import PackageData

if TYPE_CHECKING:
    from app.export.template import TemplateSpec

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


class _Styles:
    """One style per (column, row kind, indent): built on the first cell, then copied (fast for big months)."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self._cache: dict[tuple[object, ...], object] = {}
        self.body = Font(name=style.font, size=style.font_size)
        self.bold = Font(name=style.font, size=style.font_size, bold=True)
        self.title = Font(name=style.title_font, size=style.title_size, bold=True)
        self.flag = Font(name=style.font, size=style.font_size, bold=True, color="C00000")  # 提示 (emphasis columns)
        self.fill = PatternFill("solid", fgColor=style.header_fill)

    def apply(self, cell: Cell, key: tuple[object, ...], build: Callable[[Cell], None]) -> None:
        cached = self._cache.get(key)
        if cached is None:
            build(cell)
            self._cache[key] = copy(cell._style)
        else:
            cell._style = copy(cached)

    def data(self, cell: Cell, col: Column, row: RenderRow, label: bool) -> None:
        indent = row.indent if label else 0
        flagged = col.emphasis and row.kind == "data" and bool(row.values.get(col.key))

        def build(c: Cell) -> None:
            c.font = self.flag if flagged else (self.body if row.kind == "data" else self.bold)
            c.border = _BORDER
            c.number_format = col.number_format
            align = "center" if label and row.kind == "total" else col.align
            c.alignment = Alignment(horizontal=align, vertical="center", wrap_text=col.wrap, indent=indent)

        self.apply(cell, ("data", col.key, row.kind, indent, label, flagged), build)

    def header(self, cell: Cell) -> None:
        def build(c: Cell) -> None:
            c.font, c.border, c.fill = self.bold, _BORDER, self.fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

        self.apply(cell, ("header",), build)

    def plain(self, cell: Cell, align: str, *, title: bool = False) -> None:
        def build(c: Cell) -> None:
            c.font = self.title if title else self.body
            c.alignment = Alignment(horizontal=align, vertical="center")

        self.apply(cell, ("plain", align, title), build)


def text_width(text: str) -> int:
    """Roughly how many Excel width units a text needs: a CJK character takes two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text) + 2


def lines_needed(text: str, units: float) -> int:
    """How many lines a wrapped text takes in a column `units` wide — row heights are set from this,
    because LibreOffice and WPS do not grow rows for wrapped text on their own."""
    usable = max(units - 1.5, 1.0)
    return sum(max(1, math.ceil((text_width(part) - 2) / usable)) for part in text.split("\n"))


def segments(widths: list[int], needs: list[int]) -> list[tuple[int, int]] | None:
    """Split columns 1..n into len(needs) adjacent (first, last) spans, each at least as wide as its
    need and cut as near to equal printed widths as that allows; None when they cannot all fit."""
    parts = len(needs)
    edges = [0]
    for w in widths:
        edges.append(edges[-1] + w)
    cuts = [0]
    for k in range(1, parts + 1):
        lo, hi = cuts[-1] + 1, len(widths) - (parts - k)
        while lo <= hi and edges[lo] - edges[cuts[-1]] < needs[k - 1]:
            lo += 1
        if lo > hi:
            return None
        target = edges[-1] * k / parts
        cuts.append(len(widths) if k == parts else min(range(lo, hi + 1), key=lambda i: (abs(edges[i] - target), i)))
    return [(cuts[i] + 1, cuts[i + 1]) for i in range(parts)]


def _line(ws: Worksheet, styles: _Styles, row: int, widths: list[int], texts: tuple[str, ...], aligns: tuple[str, ...]) -> int:
    """Texts spread over one row (merged spans); over two or more rows when the sheet is too narrow."""
    per_row = len(texts)
    while per_row > 1 and segments(widths, [text_width(t) for t in texts[:per_row]]) is None:
        per_row -= 1
    rows = -(-len(texts) // per_row)
    per_row = -(-len(texts) // rows)  # balanced: 4 texts that fit 3 a row go 2 + 2, not 3 + 1
    for start in range(0, len(texts), per_row):
        chunk = texts[start : start + per_row]
        spans = segments(widths, [text_width(t) for t in chunk]) or segments(widths, [0] * len(chunk)) or []
        for (first, last), text, align in zip(spans, chunk, aligns[start:], strict=False):
            cell = ws.cell(row, first)
            put_text(cell, text)
            styles.plain(cell, align)
            if last > first:
                ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        row += 1
    return row - 1


def write_section(ws: Worksheet, section: Section, style: Style, page_number: str) -> None:
    """Lay one section out on a sheet: title, period, info line, merged headers, rows, 合计, footer."""
    table = section.built.table
    columns = table.columns
    width = len(columns)
    widths = [c.width for c in columns]
    styles = _Styles(style)
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    row = 1
    title = ws.cell(row, 1)
    put_text(title, section.title)
    styles.plain(title, "center", title=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = style.title_size * 2
    for text in section.lines:
        row += 1
        row = _line(ws, styles, row, widths, (text,), ("center",))
    row += 1
    row = _line(ws, styles, row, widths, section.info, ("left", "center", "right"))
    head = row + 1
    for r in range(head, head + table.depth):
        for c in range(1, width + 1):
            styles.header(ws.cell(r, c))
    line = style.font_size * 1.4  # points per line of text
    lines = [1] * table.depth
    for hc in sorted(table.header_cells(), key=lambda c: c.rows):
        need = lines_needed(hc.text, sum(widths[hc.col : hc.col + hc.cols]))
        have = sum(lines[hc.row : hc.row + hc.rows])
        lines[hc.row + hc.rows - 1] += max(0, need - have)
    for i, n in enumerate(lines):
        ws.row_dimensions[head + i].height = n * line + 6
    for hc in table.header_cells():
        cell = ws.cell(head + hc.row, 1 + hc.col)
        put_text(cell, hc.text)
        if hc.rows > 1 or hc.cols > 1:
            ws.merge_cells(start_row=head + hc.row, start_column=1 + hc.col,
                           end_row=head + hc.row + hc.rows - 1, end_column=hc.col + hc.cols)  # fmt: skip
    row = head + table.depth
    built = section.built
    wrapped = [col for col in columns if col.wrap and col.type == "text"]
    for render in [*built.rows, *([built.total] if built.total else [])]:
        for c, col in enumerate(columns, 1):
            cell = ws.cell(row, c)
            put_value(cell, col, render.values.get(col.key))
            styles.data(cell, col, render, col.key == table.label_column)
        texts = [(render.values.get(col.key), col.width - 2 * render.indent) for col in wrapped]
        n = max((lines_needed(t, w) for t, w in texts if isinstance(t, str) and t), default=1)
        if n > 1:
            ws.row_dimensions[row].height = n * line + 4
        row += 1
    footer_row = row + 1
    last = _line(ws, styles, footer_row, widths, section.footer, tuple("left" for _ in section.footer))
    _print_setup(ws, head, head + table.depth - 1, last, width, page_number)


def _print_setup(ws: Worksheet, first_header: int, last_header: int, last_row: int, width: int, page: str) -> None:
    ws.freeze_panes = ws.cell(last_header + 1, 1)
    ws.print_title_rows = f"{first_header}:{last_header}"
    ws.print_area = f"A1:{get_column_letter(width)}{last_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.oddFooter.center.text = page.replace("{page}", "&P").replace("{pages}", "&N")


def build_workbook(
    package: PackageData,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
) -> Workbook:
    """The workbook in memory: 封面 then 表1 … 表9; a table with a registered template is filled into it."""
    defs = definitions.worded(defs or definitions.load(), package.wording)  # the month's words (calc 2)
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    stamp = package.stamp().astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.creator = wb.properties.lastModifiedBy = "FundLedger"
    wb.properties.title = f"{package.bureau} {package.year}年{package.month_number}月 {defs.name}"
    wb.properties.created = wb.properties.modified = stamp
    for section in layout.sections(defs, package):
        ws = wb.create_sheet(section.sheet)
        spec = (templates or {}).get(section.sheet)
        if spec is not None:
            from app.export import template

            template.fill_into(ws, spec, section, package, defs)
        else:
            write_section(ws, section, defs.style, defs.texts.page_number)
    return wb


def workbook_bytes(
    package: PackageData,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
) -> bytes:
    wb = build_workbook(package, defs=defs, templates=templates)
    buffer = io.BytesIO()
    with stable.exact_decimals():
        wb.save(buffer)
    return stable.stable_xlsx(buffer.getvalue(), package.stamp())


def render_workbook(
    package: PackageData,
    path: Path | str,
    *,
    defs: ReportDefs | None = None,
    templates: Mapping[str, TemplateSpec] | None = None,
) -> bytes:
    """Write the workbook to `path`; returns the bytes written (the package hashes them)."""
    data = workbook_bytes(package, defs=defs, templates=templates)
    Path(path).write_bytes(data)
    return data
