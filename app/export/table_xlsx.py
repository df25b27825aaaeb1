"""“导出 Excel”: any on-screen table to .xlsx — money as exact 元, dates as dates, every text as text.

A text cell is never a formula or a number: "=1+1", "+86…", "-5", "@x", an 18-digit ID and an
account number all come back exactly as typed. A date column holds real date cells (a value that is not
an ISO date, such as "—", stays text). The totals row holds numbers summed here from integer 分 — never
a formula, whose cached value a reader without Excel would not see (or that a workbook could fake).
The sheet prints landscape on A4, fitted to the page width, the header row repeated on every page,
the title in the page header and "第 n 页，共 m 页" in the footer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.models.values import money

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MONEY_FORMAT = "#,##0.00;-#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
PERCENT_FORMAT = "0.00%"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


@dataclass(frozen=True)
class ExportColumn:
    title: str
    kind: str = "text"  # text | money | int | date | bool | percent
    width: int = 0


def put_text(cell: Cell, text: str) -> None:
    """Store as a string cell, whatever it starts with; control characters are dropped."""
    cell.value = _CONTROL.sub("", text)
    cell.data_type = "s"


def as_date(value: object) -> dt.date | dt.datetime | None:
    """A date or a date and time (local, no zone: Excel has none) from a date or an ISO text; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
        if _ISO_DATETIME.fullmatch(text):
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:  # 2026-13-45: not a date, kept as the text it is
        return None
    return None


def _put(cell: Cell, kind: str, value: object) -> None:
    if value is None or value == "":
        cell.value = None
    elif kind == "money" and isinstance(value, int) and not isinstance(value, bool):
        cell.value = money.to_yuan(value)
        cell.number_format = MONEY_FORMAT
    elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        cell.value = value
    elif kind == "percent" and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
        cell.number_format = PERCENT_FORMAT
    elif kind == "date" and (when := as_date(value)) is not None:
        cell.value = when
        cell.number_format = DATETIME_FORMAT if isinstance(when, dt.datetime) else DATE_FORMAT
    elif kind == "bool":
        put_text(cell, "是" if value else "否")
    elif isinstance(value, (dt.date, dt.datetime)):
        put_text(cell, value.isoformat())
    else:
        put_text(cell, str(value))


def write_table(path: Path | str, *, title: str, columns: Sequence[ExportColumn], rows: Iterable[Sequence[object]],
                note: str = "", totals: bool = True) -> Path:
    """A title line, an optional note line (filters, date), a bold header, the rows; header frozen; a 合计 row
    under the money columns (when there is one and `totals`); print setup as in the module's note."""
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
    sums = [0] * len(columns)
    for r, values in enumerate(rows, start=header_row + 1):
        for c, (col, value) in enumerate(zip(columns, values, strict=True), start=1):
            _put(ws.cell(r, c), col.kind, value)
            if col.kind == "money":
                widths[c - 1] = max(widths[c - 1], 18)
                if isinstance(value, int) and not isinstance(value, bool):
                    sums[c - 1] += value
            elif col.kind == "date":
                widths[c - 1] = max(widths[c - 1], 20 if isinstance(as_date(value), dt.datetime) else 12)
            else:
                widths[c - 1] = min(max(widths[c - 1], len(str(value or "")) * 2 + 2), 60)
    last = max(r, header_row)
    last_col = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last}"
    money_cols = [c for c, col in enumerate(columns) if col.kind == "money"]
    if totals and money_cols:
        last += 1
        label = next((c for c in range(len(columns)) if c not in money_cols), None)
        if label is not None:
            put_text(ws.cell(last, label + 1), f"合计（{last - header_row - 1} 行）")
        for c in range(len(columns)):
            cell = ws.cell(last, c + 1)
            cell.font = Font(bold=True)
            if c in money_cols:
                _put(cell, "money", sums[c])
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    _print_setup(ws, title, header_row, f"A1:{last_col}{last}")
    wb.save(path)
    return path


def _print_setup(ws: Any, title: str, header_row: int, area: str) -> None:
    """Landscape A4, every column on one page width (as many pages down as needed), the header row on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = area
    ws.print_options.horizontalCentered = True
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
