"""Reading a treasury payment export (.xlsx or .csv): header detection, column mapping, row parsing.

Pure reading: nothing here touches the database. Rows come back parsed (int 分, dates) or as
(row number, field, reason) errors — spreadsheet row numbers, as the clerk sees them in Excel.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.models.values import money, workdays
from app.models.values.errors import AppError, ValidationError
from app.models.xlsx import guard
from app.models.xlsx import stream as xlsx_stream
from app.models.xlsx.sheets import float_cents

# field: (standard header, required, other headers seen in exports)
FIELDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "voucher_no": ("支付凭证号", True, ("凭证号", "支付凭证编号", "凭证编号", "支付令号", "支付凭证单号")),
    "pay_date": ("支付日期", True, ("日期", "付款日期", "支付时间", "清算日期", "凭证日期")),
    "doc_no": ("指标文号", True, ("文号", "指标文件号", "预算指标文号", "指标来源文号")),
    "func_code": ("功能科目", False, ("功能分类", "功能分类科目", "支出功能分类", "功能科目编码")),
    "econ_code": ("经济科目", False, ("经济分类", "经济分类科目", "支出经济分类", "经济科目编码")),
    "payee_name": ("收款人全称", True, ("收款人", "收款人名称", "收款单位", "收款单位名称")),
    "payee_account": ("收款人账号", False, ("收款账号", "收款人帐号", "收款帐号")),
    "payee_bank": ("收款人开户行", False, ("开户行", "收款银行", "收款人开户银行", "收款人银行")),
    "amount": ("金额", True, ("支付金额", "金额（元）", "金额(元)", "支付金额（元）", "支付金额(元)")),
    "purpose": ("用途", False, ("摘要", "资金用途", "支付用途")),
    "pay_method": ("支付方式", False, ("支付类型",)),
}
MAX_LEN = {"voucher_no": 60, "doc_no": 80, "func_code": 20, "econ_code": 20, "payee_name": 100,
           "payee_account": 40, "payee_bank": 100, "purpose": 200, "pay_method": 20}
HEADER_SCAN_ROWS = 20
# Columns whose formula cells are refused (a cached value is not trusted), and the identifiers among them,
# which must be text: Excel keeps 15 significant digits of a number and drops leading zeros.
STRICT = ("voucher_no", "pay_date", "doc_no", "payee_account", "amount")
IDENTIFIERS = ("voucher_no", "payee_account")
FOOTER_WORDS = ("合计", "总计", "小计")


def label(field: str) -> str:
    return FIELDS[field][0]


def _norm(value: Any) -> str:
    """Header text compared loosely: NFKC (full-width → half-width), no spaces, no '*' marks."""
    return re.sub(r"[\s*＊]", "", unicodedata.normalize("NFKC", str(value or "")))


@dataclass
class Sheet:
    """A file's header row and its data rows (row number, raw cells), read lazily."""

    name: str
    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    # (row number, 0-based column) of formula cells, filled as rows are read (empty for a .csv)
    formulas: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    sheet_name: str = ""


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ValidationError(f"“{path.name}”不是 .xlsx 或 .csv 文件（国库支付系统导出的 Excel 请另存为 .xlsx）", field="文件")
    if not path.is_file():
        raise ValidationError(f"找不到文件 {path}", field="文件")
    return suffix


def open_sheet(path: Path, names: tuple[str, ...] = ()) -> Sheet:
    """Open the file and find its header row (exports often put a title above it).

    The header is the first row naming at least three known columns (the standard names, their
    usual variants, and `names`: the remembered or chosen ones); failing that, the first row of
    at least three text cells, so that the clerk can map its columns by hand.
    """
    suffix = check_suffix(path)
    formulas: set[tuple[int, int]] = set()
    rows = _xlsx_rows(path, formulas) if suffix == ".xlsx" else _csv_rows(path)
    known = {_norm(n) for n in names} | {_norm(n) for std, _r, other in FIELDS.values() for n in (std, *other)}
    head: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in rows:
        head.append((number, cells))
        if len({_norm(c) for c in cells if c is not None} & known) >= 3:
            return Sheet(path.name, number, [_norm(c) for c in cells], rows, formulas, _first_sheet_name(path))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    for number, cells in head:
        texts = [c for c in cells if isinstance(c, str) and c.strip() and not _is_number(c)]
        if len(texts) >= 3:
            rest = (r for r in head if r[0] > number)
            return Sheet(path.name, number, [_norm(c) for c in cells], itertools.chain(rest, rows), formulas,
                         _first_sheet_name(path))
    wanted = "、".join(label(f) for f, (_, req, _) in FIELDS.items() if req)
    raise ValidationError(f"“{path.name}”的前 {HEADER_SCAN_ROWS} 行中找不到表头（应含 {wanted} 等列）", field="文件")


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[\d,.\-\s]+", text))


def _first_sheet_name(path: Path) -> str:
    if path.suffix.lower() != ".xlsx":
        return ""
    try:
        with zipfile.ZipFile(path) as z:
            return guard.sheet_parts(z)[0][0]
    except (zipfile.BadZipFile, OSError, IndexError, ValidationError):
        return "Sheet1"


def _xlsx_rows(path: Path, formulas: set[tuple[int, int]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The first sheet's rows: the fast streaming reader, or openpyxl (read-only) when it declines.
    Both are bounded before they parse (guard.py); formula cells are collected into `formulas`."""
    guard.open_zip(path, path.name).close()  # a renamed CSV or .xls, a zip bomb: refused here with a clear message
    try:
        fast = xlsx_stream.rows(path, formulas=formulas)
    except xlsx_stream.Unsupported:
        return _openpyxl_rows(path, formulas)

    def gen() -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            yield from fast
        except xlsx_stream.Unsupported as exc:
            raise ValidationError(f"“{path.name}”内容已损坏，无法读取（{exc}）", field="文件") from exc

    return gen()


def _openpyxl_rows(path: Path, formulas: set[tuple[int, int]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    import openpyxl

    with guard.open_zip(path, path.name) as z:
        scans = guard.scan_workbook(z, path.name, sheets=[guard.sheet_parts(z)[0][0]])
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValidationError(f"“{path.name}”无法作为 .xlsx 打开：{exc}", field="文件") from exc
    ws = wb.worksheets[0]
    scan = scans.get(ws.title) or guard.SheetScan(ws.title)
    formulas.update((r, c - 1) for r, c in scan.formulas)

    def gen() -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            if scan.max_row:
                yield from enumerate(ws.iter_rows(min_row=1, max_row=scan.max_row, max_col=max(scan.max_col, 1),
                                                  values_only=True), start=1)
        finally:
            wb.close()

    return gen()


def _csv_rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(f"“{path.name}”既不是 UTF-8 也不是 GBK 编码的文本", field="文件")
    if "\x00" in text:
        raise ValidationError(f"“{path.name}”不是文本格式的 .csv 文件", field="文件")
    reader = csv.reader(io.StringIO(text, newline=""))

    def gen() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for cells in reader:
            yield reader.line_num, tuple(cells)

    return gen()


def resolve_mapping(headers: list[str], wanted: Mapping[str, str] | None = None,
                    remembered: Mapping[str, str] | None = None) -> dict[str, int]:
    """field → column index: the caller's choice, else the remembered mapping, else the known names."""
    index = {h: i for i, h in reversed(list(enumerate(headers))) if h}
    out: dict[str, int] = {}
    for field, (std, _req, other) in FIELDS.items():
        if wanted and wanted.get(field):
            if _norm(wanted[field]) not in index:
                raise ValidationError(f"文件中没有名为“{wanted[field]}”的列", field=label(field))
            out[field] = index[_norm(wanted[field])]
            continue
        for name in ((remembered or {}).get(field), std, *other):
            if name and _norm(name) in index:
                out[field] = index[_norm(name)]
                break
    missing = [label(f) for f, (_s, req, _o) in FIELDS.items() if req and f not in out]
    if missing:
        raise ValidationError(f"文件中找不到必需的列：{'、'.join(missing)}（可在导入对话框中指定对应的列）", field="列对应")
    return out


def _text(value: Any) -> str:
    """Cell text with whitespace runs collapsed (str.split also splits on the full-width space)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a voucher or account number Excel stored as a number
    return " ".join(str(value).split())


def _amount(value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError("不是有效的金额", field="金额")
    if isinstance(value, int):
        return money.yuan_to_fen(value, allow_zero=False)
    if isinstance(value, float):
        try:
            return money.yuan_to_fen(Decimal(float_cents(value, "金额")) / 100, allow_zero=False)
        except InvalidOperation as exc:
            raise ValidationError("不是有效的金额", field="金额") from exc
    return money.parse(_text(value), allow_zero=False)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        raise ValidationError("不能为空", field="支付日期")
    text = text.split(" ")[0]
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    return workdays.parse_date(text, "支付日期")


def _is_footer(cells: tuple[Any, ...], mapping: Mapping[str, int]) -> bool:
    """A 合计/总计 line: one cell says so and the row has no date and no 文号 (it is not a payment)."""
    if _text(cells[mapping["pay_date"]]) or _text(cells[mapping["doc_no"]]):
        return False
    return any(re.sub(r"[\s:：]", "", _text(c)) in FOOTER_WORDS for c in cells)


@dataclass(slots=True)
class Row:
    """One parsed payment; fields in the order of FIELDS (parse_rows builds it positionally)."""

    row: int
    voucher_no: str
    pay_date: dt.date
    doc_no: str
    func_code: str
    econ_code: str
    payee_name: str
    payee_account: str
    payee_bank: str
    amount: int
    purpose: str
    pay_method: str


Progress = Callable[[int, int, str], None]


MAX_ERRORS = 200  # enough to show the clerk what is wrong; memory and time stay bounded however many bad rows


def parse_rows(sheet: Sheet, mapping: Mapping[str, int], *, today: dt.date,
               progress: Progress | None = None) -> tuple[list[Row], list[tuple[int, str, str]]]:
    """Every data row parsed, or its errors; blank rows and a trailing 合计 row are skipped.

    `progress(rows read, 0, text)` is called now and then; it may raise to cancel.
    """
    rows: list[Row] = []
    errors: list[tuple[int, str, str]] = []
    width = max(mapping.values()) + 1
    order = [(f, mapping.get(f), label(f), FIELDS[f][1], MAX_LEN.get(f, 0)) for f in FIELDS]
    assert [f.name for f in dataclasses.fields(Row)][1:] == list(FIELDS)
    dates: dict[Any, dt.date | str] = {}  # exports repeat the same few hundred dates: parse each once
    voucher_col, date_col = mapping["voucher_no"], mapping["pay_date"]
    strict = [(f, mapping[f]) for f in STRICT if f in mapping]
    for count, (number, raw_cells) in enumerate(sheet.rows, start=1):
        if progress is not None and count % 5000 == 0:
            progress(count, 0, f"已读取 {count} 行")
        cells = raw_cells if len(raw_cells) >= width else tuple(raw_cells) + (None,) * (width - len(raw_cells))
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if (cells[voucher_col] is None or cells[date_col] is None) and _is_footer(cells, mapping):
            continue
        values: list[Any] = [number]
        bad = False
        for field, at in strict:
            raw = cells[at]
            if (number, at) in sheet.formulas:
                errors.append(guard.formula_error(sheet.sheet_name, number, at + 1, label(field)))
                bad = True
            elif field in IDENTIFIERS and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                errors.append((number, label(field), f"单元格 {sheet.sheet_name}!{guard.cell_name(number, at + 1)} 是数字"
                                                     f" {raw!r}：请将此列设为“文本”格式后重新导出或填写（数字格式会丢失"
                                                     "开头的 0 和第 15 位以后的数字）"))
                bad = True
        if bad:
            continue
        for field, col, name, required, max_len in order:
            raw = None if col is None else cells[col]
            try:
                if field == "amount":
                    values.append(_amount(raw))
                elif field == "pay_date":
                    day = dates.get(raw) if isinstance(raw, str) else None
                    if day is None:
                        day = _date(raw)
                        if day > today:
                            day = f"{day.isoformat()} 晚于今天"
                        if isinstance(raw, str):
                            dates[raw] = day
                    if isinstance(day, str):
                        raise ValidationError(day, field=name)
                    values.append(day)
                else:
                    text = _text(raw)
                    if required and not text:
                        raise ValidationError("不能为空", field=name)
                    if len(text) > max_len:
                        raise ValidationError(f"超过 {max_len} 个字符", field=name)
                    values.append(text)
            except AppError as exc:
                errors.append((number, name, exc.message))
                bad = True
        if not bad:
            rows.append(Row(*values))
        elif len(errors) >= MAX_ERRORS:  # a file of bad rows (or a million tiny ones) is refused now, not after them all
            errors.insert(0, (number, "文件", f"错误过多：读到第 {number} 行时已有 {len(errors)} 处错误，其余的行不再读取。"
                                              "请先改正下面列出的错误，或确认选的是国库支付系统导出的文件"))
            break
    return rows, errors
