"""“导出当前表格”: any on-screen table to .xlsx — money as exact 元, every text as text.

A text cell is never a formula or a number: "=1+1", "+86…", "-5", "@x", an 18-digit ID and an
account number all come back exactly as typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.models.values import money

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MONEY_FORMAT = "#,##0.00;-#,##0.00"


@dataclass(frozen=True)
class ExportColumn:
    title: str
    kind: str = "text"  # text | money | int | date | bool
    width: int = 0


def put_text(cell: Cell, text: str) -> None:
    """Store as a string cell, whatever it starts with; control characters are dropped."""
    cell.value = _CONTROL.sub("", text)
    cell.data_type = "s"


def _put(cell: Cell, kind: str, value: object) -> None:
    if value is None or value == "":
        cell.value = None
    elif kind == "money" and isinstance(value, int) and not isinstance(value, bool):
        cell.value = money.to_yuan(value)
        cell.number_format = MONEY_FORMAT
    elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        cell.value = value
    elif kind == "bool":
        put_text(cell, "是" if value else "否")
    elif isinstance(value, (dt.date, dt.datetime)):
        put_text(cell, value.isoformat())
    else:
        put_text(cell, str(value))


def write_table(path: Path | str, *, title: str, columns: Sequence[ExportColumn], rows: Iterable[Sequence[object]],
                note: str = "") -> Path:
    """A title line, an optional note line (filters, date), a bold header, the rows; header frozen."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path.with_suffix(".xlsx")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = re.sub(r"[\\/*?:\[\]]", "", title)[:31] or "表格"
    put_text(ws.cell(1, 1), title)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    header_row = 2
    if note:
        put_text(ws.cell(2, 1), note)
        header_row = 3
    fill = PatternFill("solid", fgColor="DDEBF7")
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(header_row, c)
        put_text(cell, col.title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [max(len(col.title) * 2 + 2, col.width) for col in columns]
    r = header_row
    for r, values in enumerate(rows, start=header_row + 1):
        for c, (col, value) in enumerate(zip(columns, values, strict=True), start=1):
            _put(ws.cell(r, c), col.kind, value)
            if col.kind != "money":
                widths[c - 1] = min(max(widths[c - 1], len(str(value or "")) * 2 + 2), 60)
            else:
                widths[c - 1] = max(widths[c - 1], 18)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(max(len(columns), 1))}{max(r, header_row)}"
    wb.save(path)
    return path
