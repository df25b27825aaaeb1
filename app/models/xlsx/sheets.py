"""Reading the .xlsx sheets people fill in (plans, real-name lists) and writing their templates.

Headers are matched by name (with the usual variants), so column order does not matter; every cell
problem is collected as (row, field, reason) so an import can be refused whole with the full list.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.models.values import money
from app.models.values.errors import RowErrors, ValidationError
from app.models.xlsx import guard

MAX_ROWS = 20_000


@dataclass(frozen=True)
class Col:
    key: str
    title: str  # the template's header (a trailing * marks a required column)
    aliases: tuple[str, ...] = ()
    width: int = 14
    note: str = ""

    @property
    def label(self) -> str:
        return self.title.rstrip("*")

    @property
    def required(self) -> bool:
        return self.title.endswith("*")


def _norm(header: object) -> str:
    s = unicodedata.normalize("NFKC", "" if header is None else str(header))
    s = re.sub(r"[\s*＊]", "", s)
    return re.sub(r"[（(].*?[)）]", "", s)


SCAN_ROWS = 100_000  # a form import reads no further down than this (MAX_ROWS filled rows, with gaps)


class Workbook:
    """An openpyxl workbook (read-only, cached values) plus what `guard` found before it was opened: each
    sheet's real extent (openpyxl then reads no further than that, whatever <dimension> claims) and its
    formula cells."""

    def __init__(self, book: Any, scans: dict[str, guard.SheetScan], file_name: str) -> None:
        self.book, self.scans, self.file_name = book, scans, file_name

    @property
    def sheetnames(self) -> list[str]:
        return list(self.book.sheetnames)

    @property
    def worksheets(self) -> list[Any]:
        return list(self.book.worksheets)

    def __getitem__(self, name: str) -> Any:
        return self.book[name]

    def close(self) -> None:
        self.book.close()


def load(data: bytes, file_name: str) -> Workbook:
    """Bounds first (zip directory, every sheet scanned once: see guard.py), then openpyxl."""
    import openpyxl

    z = guard.open_zip(data, file_name)
    try:
        scans = guard.scan_workbook(z, file_name, max_rows=SCAN_ROWS)
    finally:
        z.close()
    try:
        return Workbook(openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True), scans, file_name)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError(f"“{file_name}”不是有效的 .xlsx 文件（{type(exc).__name__}），"
                              "请用 Excel 或 WPS 另存为 .xlsx 格式", field="文件") from exc


def sheet_rows(workbook: Workbook, ws: Any) -> Any:
    """values_only rows of a sheet, no further than its scanned extent."""
    scan = workbook.scans.get(ws.title)
    if scan is None or scan.max_row == 0:
        return iter(())
    return ws.iter_rows(min_row=1, max_row=scan.max_row, max_col=max(scan.max_col, 1), values_only=True)


def cell_problems(workbook: Workbook, sheet: str, number: int, values: Sequence[Any], where: Mapping[str, int],
                  cols: Sequence[Col], strict: Sequence[str] = ()) -> list[tuple[int, str, str]]:
    """Formula cells in any column read (named sheet!cell) and numbers in text columns. A formula's cached value is
    whatever the program that last saved the file wrote — a name or a village as much as an amount (the attack
    review imported 李四 where Excel shows 王五) — so no formula cell is read, whatever the column."""
    scan = workbook.scans.get(sheet)
    out = []
    for col in cols:
        i = where.get(col.key)
        if i is None:
            continue
        if scan is not None and (number, i + 1) in scan.formulas:
            out.append(guard.formula_error(sheet, number, i + 1, col.label))
            continue
        value = values[i] if i < len(values) else None
        if col.note == "text" and isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((number, col.label, f"单元格 {sheet}!{guard.cell_name(number, i + 1)} 是数字 {value!r}："
                                           "请将此列设为“文本”格式后重新填写（数字格式会丢失开头的 0 和末尾几位）"))
    return out


def read_file(path: Path | str) -> tuple[str, bytes]:
    p = Path(path)
    try:
        return p.name, p.read_bytes()
    except OSError as exc:
        raise ValidationError(f"无法读取文件 {p}：{exc.strerror or exc}", field="文件") from exc


def rows(workbook: Workbook, cols: Sequence[Col], *, sheet: str | None = None, what: str = "导入",
         strict: Sequence[str] = (), problems: list[tuple[int, str, str]] | None = None,
         ) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {key: cell value}) for every non-empty row under the header row.

    With `problems` given, the cell problems below are added to it (the caller lists them with its own);
    otherwise the file is refused whole (RowErrors) when a text column (ID, account, code) holds a number or a formula, or a
    `strict` column (amounts, dates) a formula: a formula's cached value is not trusted."""
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            raise RowErrors([(1, "工作表", f"文件中没有名为“{sheet}”的工作表（有：{'、'.join(workbook.sheetnames)}）")],
                            what=what)
        ws = workbook[sheet]
    else:
        ws = workbook.worksheets[0]
    it = sheet_rows(workbook, ws)
    header = next(it, None) or ()
    names = [_norm(h) for h in header]
    where: dict[str, int] = {}
    errors: list[tuple[int, str, str]] = []
    for col in cols:
        found = [i for i, n in enumerate(names) if n and n in {_norm(col.title), *map(_norm, col.aliases)}]
        if found:
            where[col.key] = found[0]
        elif col.required:
            errors.append((1, col.label, "缺少此列（请使用程序提供的模板）"))
    if errors:
        raise RowErrors(errors, what=what)
    out: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(it, start=2):
        cells = {key: (values[i] if i < len(values) else None) for key, i in where.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        if len(out) >= MAX_ROWS:
            raise RowErrors([(number, "行数", f"超过 {MAX_ROWS} 行，请分成几个文件")], what=what)
        errors += cell_problems(workbook, ws.title, number, values, where, cols, strict)
        out.append((number, cells))
    if errors and problems is None:
        raise RowErrors(errors, what=what)
    if problems is not None:
        problems += errors
    return out


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_code(value: Any, field: str) -> str:
    """ID and account numbers must be text cells: Excel keeps only 15 significant digits of a number."""
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) > 15):
        raise ValidationError("请将此列设为“文本”格式后重新填写（数字格式会丢失末尾几位）", field=field)
    return cell_text(value)


FLOAT_TOLERANCE = 1e-9  # yuan: a binary float artefact, not a third decimal


def float_cents(value: float, field: str) -> int:
    """A float cell in 元 as whole 分: Excel stores 0.3 as 0.30000000000000004 and shows 0.30, so a value
    within 1e-9 元 of a whole 分 is that 分; anything further off has a real third decimal and is refused."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError("不是有效的金额", field=field)
    cents = round(value * 100)
    if abs(value - cents / 100) > max(FLOAT_TOLERANCE, abs(value) * 4e-16):
        raise ValidationError(f"{value!r} 不是精确到分的金额（最多两位小数）", field=field)
    return int(cents)


def cell_fen(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """An amount cell in 元: numbers exactly, text through money.parse; no floats ever reach 分."""
    if isinstance(value, bool):
        raise ValidationError("不是有效的金额", field=field)
    if isinstance(value, int):
        return money.yuan_to_fen(value, field=field, allow_zero=allow_zero)
    if isinstance(value, float):
        return money.yuan_to_fen(Decimal(float_cents(value, field)) / 100, field=field, allow_zero=allow_zero)
    if isinstance(value, Decimal):
        return money.yuan_to_fen(value, field=field, allow_zero=allow_zero)
    if value is None or not str(value).strip():
        if allow_zero:
            return 0
        raise ValidationError("不能为空", field=field)
    return money.parse(str(value), field=field, allow_zero=allow_zero)


def write_template(path: Path | str, sheets: Sequence[tuple[str, Sequence[Col]]], *,
                   notes: Sequence[str] = (), choices: Mapping[str, Sequence[str]] | None = None) -> Path:
    """A template: one sheet per table (bold header, text-formatted code columns, pick lists) + 填表说明."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, cols in sheets:
        ws = wb.create_sheet(title)
        for i, col in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=i, value=col.title)
            cell.font = Font(bold=True, color="FFFFFF" if col.required else "000000")
            cell.fill = PatternFill("solid", fgColor="C62828" if col.required else "E0E0E0")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            letter = cell.column_letter
            ws.column_dimensions[letter].width = col.width
            if col.note == "text":  # ID and account numbers: text, or Excel drops their last digits
                ws.column_dimensions[letter].number_format = "@"
            listed = ",".join(choices.get(col.key, ())) if choices else ""
            if listed and len(listed) < 250:
                dv = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
                dv.add(f"{letter}2:{letter}501")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        ws.row_dimensions[1].height = 32
    info = wb.create_sheet("填表说明")
    info.column_dimensions["A"].width = 110
    for r, line in enumerate(notes, start=1):
        info.cell(row=r, column=1, value=line).alignment = Alignment(wrap_text=True)
    target = Path(path)
    wb.save(target)
    return target
