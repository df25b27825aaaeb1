"""The nine tables as they travel: report definitions per sender level, and the tables read back from a received
workbook (values as stored, formulas refused, money back to integer 分).

A county package is read with the county definitions; a prefecture package with the consolidated definitions
(resources/reports/consolidation.toml) the prefecture built it with. Reading never trusts a cached formula value:
a cell holding a formula is refused, because what a spreadsheet shows for it is whatever was last saved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import tomllib
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

from app import resources
from app.models.reports import definitions
from app.models.reports.definitions import Column, Group, ReportDefs, TableDef
from app.models.values.errors import AppError

LADDER = {"county": "prefecture", "prefecture": "region"}
"""Who reports to whom: a file at the value's level receives packages from the key's level."""
LEVEL_NAMES = {"county": "县级", "prefecture": "地州级", "region": "自治区级"}


def lower_level(level: str) -> str | None:
    """The level whose packages a file at `level` receives (None for a county)."""
    for low, high in LADDER.items():
        if high == level:
            return low
    return None


@functools.lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    with open(resources.resources_dir() / "reports" / "consolidation.toml", "rb") as fh:
        return tomllib.load(fh)


def additive_tables() -> tuple[str, ...]:
    return tuple(_config()["tables"]["additive"])


def list_tables() -> tuple[str, ...]:
    return tuple(_config()["tables"]["list"])


LOWER_KEY = "lower_name"
LOWER_CODE = "lower_code"


@functools.lru_cache(maxsize=4)
def consolidated_defs(lower: str) -> ReportDefs:
    """The definitions of a table consolidated from `lower`-level packages: additive tables grouped by lower
    bureau, list tables with a lower-bureau column in front."""
    cfg = _config()
    base = definitions.load()
    col_cfg = cfg["lower_column"]
    tables = []
    for t in base.tables:
        if t.id in cfg["tables"]["additive"]:
            group = Group(key=LOWER_CODE, label=LOWER_KEY, format=str(cfg["meta"]["group_format"]), position="before",
                          indent=1, collapse_single=False)
            tables.append(dataclasses.replace(t, group=group, all_columns=()))  # rule columns are not consolidated
        elif t.id in cfg["tables"]["list"]:
            lower_col = Column(key=LOWER_KEY, header=(str(col_cfg[lower]),), type="text", width=int(col_cfg["width"]),
                               number_format="@", align="left", wrap=True, total="none")
            tables.append(dataclasses.replace(t, group=None, columns=(lower_col, *t.columns), all_columns=()))
        else:
            raise AppError(f"consolidation.toml 没有说明 {t.id} 如何汇总（additive 或 list）", field="汇总定义")
    return dataclasses.replace(base, id=f"{base.id}/{cfg['meta']['id_suffix']}", tables=tuple(tables))


def defs_for_sender(level: str) -> ReportDefs:
    """How a package from a bureau at `level` lays its tables out."""
    if level == "county":
        return definitions.load()
    low = lower_level(level)
    if low is None:
        raise AppError(f"不认识的单位级次 {level}", field="报送包")
    return consolidated_defs(low)


# -- reading a workbook back --------------------------------------------------------------------------------
class WorkbookError(AppError):
    """The workbook cannot be read as the nine tables (not our layout, a formula, a number stored as text…)."""


def _fen(value: object, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise WorkbookError(f"{where} 应为金额数字，实际为 {value!r}")
    try:
        fen = Decimal(str(value)) * 100
    except InvalidOperation as exc:
        raise WorkbookError(f"{where} 不是有效的金额：{value!r}") from exc
    if fen != fen.to_integral_value():
        raise WorkbookError(f"{where} 的金额 {value} 不是整分")
    return int(fen)


def _cell_value(col: Column, value: object, where: str) -> object:
    if col.type == "money":
        return _fen(value, where)
    if value is None:
        return None
    if col.type in ("int", "seq"):
        if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
            raise WorkbookError(f"{where} 应为整数，实际为 {value!r}")
        return int(value)
    if col.type == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    if col.type == "flag":
        return {"是": True, "否": False}.get(str(value), str(value))
    if col.type == "percent":
        return str(value)
    return str(value)


MAX_SHEET_ROWS = 60_000


class _Grid:
    """One sheet's cells, streamed once (openpyxl read-only mode: no merged-cell binding, 30× faster)."""

    def __init__(self, ws: Any, width: int, name: str) -> None:
        self.rows: list[tuple[Any, ...]] = []
        for row in ws.iter_rows(max_col=width):
            self.rows.append(row)
            if len(self.rows) > MAX_SHEET_ROWS:
                raise WorkbookError(f"{name} 的工作表 {ws.title} 行数过多，不是月报工作簿")

    def cell(self, r: int, c: int) -> Any:
        row = self.rows[r - 1] if 0 < r <= len(self.rows) else ()
        return row[c - 1] if 0 < c <= len(row) else None

    def value(self, r: int, c: int) -> Any:
        cell = self.cell(r, c)
        return None if cell is None else cell.value


def _coordinate(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c)}{r}"


def _find_header(grid: _Grid, table: TableDef) -> int:
    """The sheet row of the first header row: where every top-level header text stands in its column."""
    tops = [c for c in table.header_cells() if c.row == 0]
    for r in range(1, min(len(grid.rows), 40) + 1):
        if all(grid.value(r, 1 + c.col) == c.text for c in tops):
            return r
    raise WorkbookError(f"工作表 {table.id} 中找不到表头（{'、'.join(c.text for c in tops[:3])}……）："
                        "工作簿不是本程序的标准格式")


def read_workbook(data: bytes, defs: ReportDefs, *, name: str) -> dict[str, Any]:
    """{table id: {"rows": [{"kind", "group", "label", "values"}], "total": values | None}} from the workbook's
    stored values. Data rows are the ones printed in the body font; subtotals and 合计 are bold."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > 64 * 1024 * 1024:
                raise WorkbookError(f"{name} 解开后过大，不是月报工作簿")
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise WorkbookError(f"{name} 无法作为工作簿打开（{type(exc).__name__}）") from exc
    try:
        return _read_tables(wb, defs, name)
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed sheet openpyxl chokes on
        raise WorkbookError(f"{name} 的内容无法读取（{type(exc).__name__}）") from exc
    finally:
        wb.close()


def _read_tables(wb: Any, defs: ReportDefs, name: str) -> dict[str, Any]:
    total_label = defs.texts.total_label
    out: dict[str, Any] = {}
    for table in defs.tables:
        if table.id not in wb.sheetnames:
            raise WorkbookError(f"{name} 中缺少工作表 {table.id}")
        width = len(table.columns)
        grid = _Grid(wb[table.id], width, name)
        head = _find_header(grid, table)
        rows: list[dict[str, Any]] = []
        total: dict[str, Any] | None = None
        group = ""
        label_index = [c.key for c in table.columns].index(table.label_column)
        r = head + table.depth
        while r <= len(grid.rows):
            raw = [grid.cell(r, i + 1) for i in range(width)]
            if all(c is None or c.value is None for c in raw):
                break
            label_cell = raw[label_index]
            font = getattr(label_cell, "font", None)
            bold = bool(font is not None and font.b)
            is_total = bool(table.total and bold and label_cell is not None and label_cell.value == total_label)
            values: dict[str, Any] = {}
            for i, (col, cell) in enumerate(zip(table.columns, raw, strict=True)):
                value = None if cell is None else cell.value
                if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")
                                                                and col.type != "text"):
                    raise WorkbookError(f"{name} 的单元格 {table.id}!{_coordinate(r, i + 1)} 是公式"
                                        f"（{str(value)[:40]}）：报送包只收录数值，公式的缓存值不可信")
                if is_total and col.key == table.label_column:
                    values[col.key] = total_label
                    continue
                try:
                    values[col.key] = _cell_value(col, value, "")
                except WorkbookError as exc:
                    raise WorkbookError(f"{name} 的单元格 {table.id}!{_coordinate(r, i + 1)}{exc}") from None
            label = str(values.get(table.label_column) if values.get(table.label_column) is not None else "")
            if is_total:
                total = values
                break
            if bold and table.group is not None:
                group = label
                rows.append({"kind": "subtotal", "group": label, "label": label, "values": values})
            else:
                rows.append({"kind": "data", "group": group if table.group is not None else "", "label": label,
                             "values": values})
            r += 1
        if table.total and total is None:
            raise WorkbookError(f"{name} 的工作表 {table.id} 没有合计行")
        out[table.id] = {"rows": rows, "total": total}
    return out


def data_rows(tables: dict[str, Any], table_id: str) -> list[dict[str, Any]]:
    return [r for r in tables[table_id]["rows"] if r["kind"] == "data"]
