"""Writing one value into one openpyxl cell, the same way for the built-in workbook and a region template:
text stays text (never a formula), money is exact 元, percentages are rounded exact ratios.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

from openpyxl.cell.cell import Cell

from app.models.reports import layout
from app.models.reports.definitions import Column
from app.models.values import money

_ESCAPED = re.compile(r"_x[0-9A-Fa-f]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f]")

def ooxml_text(text: str) -> str:
    """Escape text as OOXML stores it: CR and control characters as _xHHHH_, a literal "_xHHHH_" as
    "_x005F_xHHHH_" — so Excel shows exactly `text` (a bare CR would be read back as LF)."""
    text = _ESCAPED.sub(lambda m: "_x005F" + m[0], text)
    return _CONTROL.sub(lambda m: f"_x{ord(m[0]):04X}_", text)


def put_text(cell: Cell, text: str) -> None:
    """Store `text` as a string cell, never a formula: "=1+1", "+86", "-5", "@x", tab, CR stay text."""
    cell.value = ooxml_text(text)
    cell.data_type = "s"


def put_value(cell: Cell, col: Column, value: object) -> None:
    """A resolved value into a cell: money as exact 元, percentages as rounded exact ratios."""
    if value is None:
        cell.value = None
    elif isinstance(value, str):
        put_text(cell, value)
    elif isinstance(value, bool):
        put_text(cell, "是" if value else "否")
    elif col.type == "money" and isinstance(value, int):
        cell.value = money.to_yuan(value)
    elif isinstance(value, Fraction):
        cell.value = layout.percent_decimal(value)
    elif isinstance(value, int | dt.date):
        cell.value = value
    else:
        put_text(cell, str(value))


