"""Fill a bureau-registered .xlsx template (the region's official layout) instead of the built-in one.

A template marks cells with placeholders:
  {{bureau}} / {{填报单位}}, {{month}} / {{报表所属期}}, {{period}} / {{统计期间}}, {{chief}} / {{单位负责人}} …
  {{合计.累计到位小计}}   the 合计 row's value of a column (by key or by its joined header name)
  {{行.项目名称}}         the detail row: repeated once per row of the table (subtotal rows included)
  {{行[ZX01].累计到位小计}} one fixed row, found by its row id (an item code, a group code …)
A cell holding just one placeholder gets a typed value (amount, percent, date); text around a
placeholder makes the cell text. Validation names the sheet, the cell and the placeholder in Chinese.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from app.export.cells import put_text, put_value
from app.models.reports import definitions, layout
from app.models.reports.definitions import Column, ReportDefs, TableDef
from app.models.reports.layout import Section
from app.models.reports.package_data import PackageData
from app.models.values.errors import AppError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_ROW = re.compile(r"(?:行|row)(?:\[([^\]]+)\])?\.(.+)")
_TOTAL = re.compile(r"(?:合计|total)\.(.+)")
SCALARS: dict[str, tuple[str, ...]] = {
    "bureau": ("填报单位",), "month": ("报表所属期",), "period": ("统计期间",), "version": ("版本",),
    "chief": ("单位负责人",), "reviewer": ("审核人",), "preparer": ("填表人",), "signed_on": ("填报日期",),
    "title": ("表名",), "unit": ("单位",),
}  # fmt: skip
_ALIASES = {alias: name for name, aliases in SCALARS.items() for alias in (name, *aliases)}


class TemplateError(AppError):
    """A template that cannot be used: every problem found, each with its sheet and cell."""


@dataclass(frozen=True)
class TemplateSpec:
    """A registered template: which table it replaces, the file, and the sheet inside it."""

    table: str  # 表1 … 表9 (or the cover sheet name)
    path: Path
    sheet: str | None = None  # None: the workbook's only sheet


@dataclass(frozen=True)
class Slot:
    kind: Literal["scalar", "total", "row", "fixed"]
    name: str  # scalar name, or the column key
    row_id: str | None = None


def parse_placeholder(text: str, table: TableDef) -> Slot | str:
    """A Slot, or the Chinese reason the placeholder is not understood."""
    if text in _ALIASES:
        return Slot("scalar", _ALIASES[text])
    for pattern, kind in ((_TOTAL, "total"), (_ROW, "row")):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        name = match[match.lastindex or 1]
        col = table.find(name.strip())
        if col is None:
            return f"{table.id} 没有列“{name}”（可用：{'、'.join(c.name for c in table.columns)}）"
        if kind == "total":
            return Slot("total", col.key) if table.total else f"{table.id} 没有合计行"
        row_id = match[1] if match.lastindex == 2 else None
        return Slot("fixed" if row_id else "row", col.key, row_id.strip() if row_id else None)
    known = "、".join(f"{{{{{n}}}}}" for n in _ALIASES)
    return f"未知的占位符 {{{{{text}}}}}（可用：{known}、{{{{合计.列名}}}}、{{{{行.列名}}}}、{{{{行[行号].列名}}}}）"


def _open(spec: TemplateSpec) -> tuple[Workbook, Worksheet]:
    try:
        wb = load_workbook(spec.path)
    except FileNotFoundError:
        raise TemplateError(f"{spec.table} 模板文件不存在：{spec.path}") from None
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise TemplateError(f"{spec.table} 模板文件无法读取（应为 .xlsx）：{spec.path}（{exc}）") from None
    if spec.sheet is None:
        if len(wb.sheetnames) != 1:
            raise TemplateError(f"{spec.table} 模板 {spec.path.name} 有多个工作表（{'、'.join(wb.sheetnames)}），请指定使用哪一个")
        return wb, wb.worksheets[0]
    if spec.sheet not in wb.sheetnames:
        raise TemplateError(f"{spec.table} 模板 {spec.path.name} 中没有工作表“{spec.sheet}”（有：{'、'.join(wb.sheetnames)}）")
    return wb, wb[spec.sheet]


def _scan(ws: Worksheet, table: TableDef) -> tuple[dict[str, list[tuple[str, Slot]]], list[str]]:
    """cell coordinate → its placeholders; and every problem, with the cell it is in."""
    found: dict[str, list[tuple[str, Slot]]] = {}
    problems: list[str] = []
    repeat_rows: set[int] = set()
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or "{{" not in cell.value:
                continue
            for match in PLACEHOLDER.finditer(cell.value):
                slot = parse_placeholder(match[1], table)
                if isinstance(slot, str):
                    problems.append(f"{ws.title}!{cell.coordinate}：{slot}")
                    continue
                found.setdefault(cell.coordinate, []).append((match[0], slot))
                if slot.kind == "row":
                    repeat_rows.add(cell.row)
    if len(repeat_rows) > 1:
        problems.append(f"{ws.title}：明细行占位符 {{{{行.…}}}} 只能出现在同一行，实际出现在第 {'、'.join(map(str, sorted(repeat_rows)))} 行")
    return found, problems


def validate_template(spec: TemplateSpec, defs: ReportDefs | None = None) -> None:
    """Check a template before registering it; raises TemplateError listing every problem."""
    defs = defs or definitions.load()
    table = _table(spec, defs)
    _, ws = _open(spec)
    found, problems = _scan(ws, table)
    if not problems and not found:
        problems.append(f"{ws.title}：没有任何占位符（如 {{{{合计.{table.columns[-1].name}}}}}），模板不会填入数据")
    if problems:
        raise TemplateError(f"{spec.table} 模板 {spec.path.name} 不能使用：\n" + "\n".join(problems))


def _table(spec: TemplateSpec, defs: ReportDefs) -> TableDef:
    if spec.table == defs.cover_sheet:
        return defs.cover
    try:
        return defs.table(spec.table)
    except KeyError:
        ids = "、".join([defs.cover_sheet, *(t.id for t in defs.tables)])
        raise TemplateError(f"没有报表“{spec.table}”（可为：{ids}）") from None


def _scalars(section: Section, package: PackageData) -> dict[str, str]:
    f = package.fields()
    return {
        "bureau": package.bureau, "month": f"{package.year}年{package.month_number}月", "period": section.lines[0],
        "version": str(package.version), "chief": package.signoff.chief, "reviewer": package.signoff.reviewer,
        "preparer": package.signoff.preparer, "signed_on": str(f["signed_on"]), "title": section.title,
        "unit": section.info[2],
    }  # fmt: skip


def _shift_below(ws: Worksheet, after: int, count: int) -> None:
    """Insert `count` rows after row `after`, moving merged ranges and row heights along (openpyxl won't)."""
    moved = [r for r in ws.merged_cells.ranges if r.min_row > after]
    for r in moved:
        ws.merged_cells.remove(r)
    heights = {i: d.height for i, d in ws.row_dimensions.items() if i > after and d.height is not None}
    ws.insert_rows(after + 1, count)
    for r in moved:
        ws.merged_cells.add(CellRange(min_col=r.min_col, min_row=r.min_row + count, max_col=r.max_col,
                                      max_row=r.max_row + count))  # fmt: skip
    for i in sorted(heights, reverse=True):
        ws.row_dimensions[i + count].height = heights[i]
        ws.row_dimensions[i].height = None


def _write(cell: Cell, template: str, parts: list[tuple[str, Slot]], value_of: Callable[[Slot], tuple[Column | None, object]]) -> None:
    if len(parts) == 1 and template.strip() == parts[0][0]:
        col, value = value_of(parts[0][1])
        if col is None:
            put_text(cell, "" if value is None else str(value))
            return
        general = cell.number_format == "General"
        put_value(cell, col, value)
        if general and col.type in ("money", "int", "percent", "date"):
            cell.number_format = col.number_format
        return
    text = template
    for placeholder, slot in parts:
        col, value = value_of(slot)
        text = text.replace(placeholder, layout.display(col, value) if col else ("" if value is None else str(value)), 1)
    put_text(cell, text)


def fill_sheet(ws: Worksheet, section: Section, package: PackageData, table: TableDef) -> None:
    """Fill one template sheet in place."""
    found, problems = _scan(ws, table)
    if problems:
        raise TemplateError(f"{table.id} 模板不能使用：\n" + "\n".join(problems))
    built = section.built
    scalars = _scalars(section, package)
    by_id = {r.row_id: r for r in built.rows if r.row_id is not None}
    repeat = sorted({ws[c].row for c, parts in found.items() if any(s.kind == "row" for _, s in parts)})
    templates = {c: str(ws[c].value) for c in found}
    if repeat:
        base = repeat[0]
        rows = built.rows
        if len(rows) > 1:
            _shift_below(ws, base, len(rows) - 1)
            for offset in range(1, len(rows)):
                for col in range(1, ws.max_column + 1):
                    src, dst = ws.cell(base, col), ws.cell(base + offset, col)
                    if src.has_style and not isinstance(dst, MergedCell):
                        dst._style = copy(src._style)
        # rows below the repeat row moved: re-read their placeholders at the new coordinates
        shift = max(len(rows) - 1, 0)
        found = {(_moved(c, base, shift)): v for c, v in found.items()}
        templates = {(_moved(c, base, shift)): v for c, v in templates.items()}
    for coordinate, parts in found.items():
        cell = ws[coordinate]
        row_kinds = [s for _, s in parts if s.kind == "row"]
        if row_kinds:
            for offset, render in enumerate(built.rows or [None]):
                target = ws.cell(cell.row + offset, cell.column)

                def value_of(slot: Slot, render: layout.RenderRow | None = render) -> tuple[Column | None, object]:
                    if slot.kind == "row":
                        return table.column(slot.name), render.values.get(slot.name) if render else None
                    return _value(slot, table, scalars, built, by_id)

                _write(target, templates[coordinate], parts, value_of)
        else:
            _write(cell, templates[coordinate], parts, lambda s: _value(s, table, scalars, built, by_id))


def _moved(coordinate: str, base: int, shift: int) -> str:
    match = re.fullmatch(r"([A-Z]+)(\d+)", coordinate)
    assert match is not None
    row = int(match[2])
    return f"{match[1]}{row + shift if row > base else row}"


def _value(slot: Slot, table: TableDef, scalars: dict[str, str], built: layout.BuiltTable,
           by_id: dict[str, layout.RenderRow]) -> tuple[Column | None, object]:  # fmt: skip
    if slot.kind == "scalar":
        return None, scalars[slot.name]
    col = table.column(slot.name)
    if slot.kind == "total":
        return col, built.total.values.get(slot.name) if built.total else None
    render = by_id.get(slot.row_id or "")
    return col, render.values.get(slot.name) if render else None


def copy_sheet(src: Worksheet, dst: Worksheet) -> None:
    """Copy values, styles, merges, sizes and print setup to a sheet of another workbook."""
    for row in src.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):
                continue
            target = dst.cell(cell.row, cell.column)
            target.value = cell.value
            if isinstance(cell.value, str):
                target.data_type = cell.data_type  # our text stays text; the template's own formulas stay formulas
            if cell.has_style:
                target.font, target.border, target.fill = copy(cell.font), copy(cell.border), copy(cell.fill)
                target.number_format, target.alignment = cell.number_format, copy(cell.alignment)
                target.protection = copy(cell.protection)
    for merged in src.merged_cells.ranges:
        dst.merge_cells(merged.coord)
    for key, dim in src.column_dimensions.items():
        dst.column_dimensions[key].width = dim.width
    for index, rdim in src.row_dimensions.items():
        if rdim.height is not None:
            dst.row_dimensions[index].height = rdim.height
    dst.page_setup.orientation = src.page_setup.orientation
    dst.page_setup.paperSize = src.page_setup.paperSize
    dst.page_setup.fitToWidth, dst.page_setup.fitToHeight = src.page_setup.fitToWidth, src.page_setup.fitToHeight
    dst.sheet_properties.pageSetUpPr.fitToPage = src.sheet_properties.pageSetUpPr.fitToPage
    dst.print_title_rows = src.print_title_rows
    dst.page_margins = copy(src.page_margins)
    dst.freeze_panes = src.freeze_panes


def fill_into(ws: Worksheet, spec: TemplateSpec, section: Section, package: PackageData, defs: ReportDefs) -> None:
    """Fill the template and copy the result onto `ws` (a sheet of the package workbook)."""
    _, src = _open(spec)
    fill_sheet(src, section, package, _table(spec, defs))
    copy_sheet(src, ws)


def fill_template(spec: TemplateSpec, package: PackageData, out: Path | str, *, defs: ReportDefs | None = None) -> None:
    """Write the filled template alone as its own .xlsx (a preview, or when the region wants one file per table)."""
    defs = defs or definitions.load()
    table = _table(spec, defs)
    section = next(s for s in layout.sections(defs, package) if s.sheet == table.id)
    wb, ws = _open(spec)
    fill_sheet(ws, section, package, table)
    wb.save(out)


# -- what a template uses, and marking a plain template through a mapping file -------------------------

_SCALAR_NAMES = {"bureau": "单位名称", "month": "报表所属期", "period": "统计期间", "version": "版本号",
                 "chief": "单位负责人", "reviewer": "审核人", "preparer": "填表人", "signed_on": "填报日期",
                 "title": "表名", "unit": "金额单位"}  # fmt: skip


@dataclass(frozen=True)
class Use:
    """One placeholder in a template: where it is, as written, and what will be filled in (in Chinese)."""

    cell: str  # 工作表!B5
    placeholder: str  # {{合计.累计到位小计}}
    meaning: str


def describe(slot: Slot, table: TableDef) -> str:
    if slot.kind == "scalar":
        return _SCALAR_NAMES.get(slot.name, slot.name)
    col = table.column(slot.name)
    if slot.kind == "total":
        return f"合计行 · {col.name}"
    if slot.kind == "row":
        return f"明细行（按表中行数重复）· {col.name}"
    return f"第 {slot.row_id} 行 · {col.name}"


def placeholders(spec: TemplateSpec, defs: ReportDefs | None = None) -> list[Use]:
    """Every placeholder the template's sheet uses, in reading order (after validating it)."""
    defs = defs or definitions.load()
    table = _table(spec, defs)
    validate_template(spec, defs)
    _, ws = _open(spec)
    found, _problems = _scan(ws, table)
    return [Use(f"{ws.title}!{coordinate}", text, describe(slot, table))
            for coordinate, parts in found.items() for text, slot in parts]


_CELL = re.compile(r"(?:(.+)!)?\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")


def read_mapping(data: bytes, name: str) -> list[tuple[int, str | None, str, str]]:
    """A mapping file: one `单元格 = 占位符` per line (or `单元格,占位符`); # starts a comment.

    Returns (line, sheet or None, cell, text to write). A placeholder may be written without braces
    (`合计.累计到位小计`); text that already holds {{…}} is written as it is.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise TemplateError(f"对应文件 {name} 无法读取：应为 UTF-8 或 GBK 编码的文本文件")
    entries: list[tuple[int, str | None, str, str]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        for sep in ("=", "\t", ",", "，"):
            if sep in line:
                left, right = (part.strip().strip('"').strip() for part in line.split(sep, 1))
                break
        else:
            problems.append(f"第 {number} 行：应写成“单元格 = 占位符”，例如 B5 = 合计.累计到位小计")
            continue
        match = _CELL.fullmatch(left)
        if match is None:
            problems.append(f"第 {number} 行：“{left}”不是单元格地址（应如 B5 或 附表1!B5）")
            continue
        if not right:
            problems.append(f"第 {number} 行：单元格 {left} 后面没有写占位符")
            continue
        value = right if "{{" in right else f"{{{{{right.strip('{} ')}}}}}"
        entries.append((number, match[1], f"{match[2].upper()}{match[3]}", value))
    if not entries and not problems:
        problems.append("没有任何对应（每行一条，如 B5 = 合计.累计到位小计）")
    if problems:
        raise TemplateError(f"对应文件 {name} 有错误：\n" + "\n".join(problems))
    return entries


def mark_template(spec: TemplateSpec, mapping: bytes, mapping_name: str, out: Path | str) -> None:
    """Write the mapping's placeholders into a copy of the template at `out` (the original is untouched)."""
    entries = read_mapping(mapping, mapping_name)
    wb, ws = _open(spec)
    problems: list[str] = []
    for number, sheet, coordinate, value in entries:
        target = ws
        if sheet is not None and sheet != ws.title:
            if sheet not in wb.sheetnames:
                problems.append(f"第 {number} 行：模板中没有工作表“{sheet}”")
                continue
            problems.append(f"第 {number} 行：工作表“{sheet}”不是本表使用的工作表“{ws.title}”")
            continue
        cell = target[coordinate]
        if isinstance(cell, MergedCell):
            problems.append(f"第 {number} 行：{coordinate} 在合并单元格中间，请写合并区域左上角的单元格")
            continue
        cell.value = value
        cell.data_type = "s"
    if problems:
        raise TemplateError(f"对应文件 {mapping_name} 不能用于模板 {spec.path.name}：\n" + "\n".join(problems))
    wb.save(out)


def sheet_names(path: Path | str) -> list[str]:
    """The sheets of a candidate template, so the user can pick one; a file that is not .xlsx is a TemplateError."""
    try:
        wb = load_workbook(path, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise TemplateError(f"模板文件无法读取（应为 .xlsx）：{Path(path).name}（{exc}）") from None
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()
