"""Bounds for every workbook import, checked before a sheet is parsed: a booby-trapped file is refused in
seconds and little memory, with a Chinese message naming what is wrong.

A .xlsx is a zip of XML parts. What has hung or exhausted the program:
- a zip member that inflates to gigabytes (a "zip bomb": 1.4 MB → 1.5 GB of shared strings);
- a sheet that names row 2,000,000,000 or column ZZZZZZ (readers fill the gap with empty cells);
- a declared <dimension> of A1:XFD1048576 (openpyxl pads every row to it).
`check_zip` looks at the zip's directory only (declared sizes cannot lie: Python's zip reader stops at the
declared size and then fails the CRC); `scan_sheets` walks each sheet's XML once with expat, keeping only
counters, and records which cells hold formulas (their cached value is whatever the last program wrote).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError, iterparse
from xml.parsers import expat

from app.models.values.errors import ValidationError

EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384  # Excel's own limits: nothing real goes beyond them
MAX_COLUMNS = 1_024  # no import of ours has more than a few dozen columns
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell
MAX_MEMBERS = 2_000
MAX_SHEET_BYTES = 600 * 1024 * 1024  # uncompressed sheet XML (a 100,000-row treasury export is ~150 MB)
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # held in memory while the sheet is read
MAX_OTHER_BYTES = 32 * 1024 * 1024  # workbook.xml, styles, relationships…
MAX_RATIO = 200  # uncompressed ÷ compressed, for a member of more than RATIO_FLOOR bytes
RATIO_FLOOR = 4 * 1024 * 1024

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?(\d{1,12})$")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _refuse(file_name: str, reason: str) -> ValidationError:
    return ValidationError(f"“{file_name}”{reason}，文件异常（可能被损坏或恶意构造），未导入任何数据", field="文件")


def not_a_workbook(head: bytes, file_name: str) -> ValidationError:
    """The message for a file that is not a zip: a CSV renamed .xlsx is called a CSV."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ValidationError(f"“{file_name}”是旧版 Excel（.xls）文件，只是扩展名为 .xlsx，不是有效的 .xlsx 文件：请用 Excel 或 WPS 打开后"
                               "“另存为” .xlsx 格式再导入", field="文件")
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is not None and "\x00" not in text:
        first = text.splitlines()[0] if text.strip() else ""
        if first.count(",") >= 1 or first.count("\t") >= 1 or first.count(";") >= 1:
            return ValidationError(f"“{file_name}”其实是 CSV 文本文件（逗号分隔），只是扩展名为 .xlsx，不是有效的 .xlsx 文件：请用 Excel 或 WPS "
                                   "打开后“另存为” .xlsx 格式再导入（国库支付数据也可以直接选 .csv 文件导入）",
                                   field="文件")
        return ValidationError(f"“{file_name}”是文本文件，不是有效的 .xlsx 文件：请用 Excel 或 WPS 另存为 .xlsx 格式",
                               field="文件")
    return ValidationError(f"“{file_name}”不是有效的 .xlsx 文件（可能已损坏，或是其他格式改了扩展名），"
                           "请用 Excel 或 WPS 另存为 .xlsx 格式", field="文件")


def open_zip(source: Path | bytes, file_name: str) -> zipfile.ZipFile:
    """The workbook's zip, its directory checked (`check_zip`); anything else is a clear refusal."""
    if isinstance(source, bytes):
        if not source:
            raise ValidationError(f"文件“{file_name}”是空文件", field="文件")
        head, handle = source[:4096], io.BytesIO(source)
    else:
        try:
            with open(source, "rb") as fh:
                head = fh.read(4096)
        except OSError as exc:
            raise ValidationError(f"无法读取文件 {source}：{exc.strerror or exc}", field="文件") from exc
        if not head:
            raise ValidationError(f"文件“{file_name}”是空文件", field="文件")
        handle = source  # type: ignore[assignment]
    if not head.startswith(b"PK"):
        raise not_a_workbook(head, file_name)
    try:
        z = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise not_a_workbook(head, file_name) from exc
    try:
        check_zip(z, file_name)
    except BaseException:
        z.close()
        raise
    return z


def check_zip(z: zipfile.ZipFile, file_name: str) -> None:
    """Every member's declared size and compression ratio within bounds (nothing is inflated here)."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(file_name, f"包含 {len(infos)} 个部件（正常的工作簿只有几十个）")
    for info in infos:
        name = info.filename
        if name.startswith("xl/worksheets/"):
            limit = MAX_SHEET_BYTES
        elif name == "xl/sharedStrings.xml":
            limit = MAX_SHARED_STRINGS_BYTES
        elif name.endswith((".xml", ".rels")):
            limit = MAX_OTHER_BYTES
        else:
            continue  # pictures and the like are never read
        if info.file_size > limit:
            raise _refuse(file_name, f"中的部件 {name} 解压后有 {_mb(info.file_size)}（上限 {_mb(limit)}）")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise _refuse(file_name, f"中的部件 {name} 压缩比为 {ratio}:1（{_mb(info.compress_size)} 解压成 "
                                     f"{_mb(info.file_size)}，正常不超过 {MAX_RATIO}:1）")


def column_index(letters: str) -> int:
    """1-based column number of A, B, …, XFD (no bound: the caller compares with the limits)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell_name(row: int, col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) of every worksheet, in the workbook's order."""
    try:
        with z.open("xl/workbook.xml") as fh:
            root = _root(fh)
        with z.open("xl/_rels/workbook.xml.rels") as fh:
            rels = _root(fh)
    except (KeyError, ParseError, zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(f"工作簿结构无法读取（{exc}）", field="文件") from exc
    targets = {}
    for rel in rels.iter(f"{PKG_REL}Relationship"):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = part
    out = []
    for sheet in root.iter(f"{MAIN}sheet"):
        found = targets.get(sheet.get(f"{REL}id") or "")
        if found:
            out.append((sheet.get("name", ""), found))
    return out


def _root(fh: IO[bytes]) -> Element:
    root = None
    for _event, el in iterparse(fh, events=("end",)):
        root = el
    if root is None:
        raise ParseError("empty")
    return root


@dataclass
class SheetScan:
    """What one pass over a sheet's XML found: its extent and its formula cells as (row, column), 1-based."""

    name: str
    max_row: int = 0
    max_col: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)


class Limits:
    """The row/column/text bounds, checked as a reader meets each row and cell (shared by scan and stream)."""

    def __init__(self, file_name: str, sheet: str, *, max_rows: int = EXCEL_ROWS, max_columns: int = MAX_COLUMNS) -> None:
        self.file_name, self.sheet = file_name, sheet
        self.max_rows, self.max_columns = min(max_rows, EXCEL_ROWS), min(max_columns, EXCEL_COLUMNS)

    def dimension(self, ref: str) -> None:
        end = ref.split(":")[-1]
        m = _REF.match(end)
        if not m:
            return
        col, row = column_index(m.group(1)), int(m.group(2))
        if row > EXCEL_ROWS or col > EXCEL_COLUMNS:
            raise _refuse(self.file_name, f"的工作表“{self.sheet}”声明的范围 {ref} 超出了 Excel 的上限"
                                          f"（{EXCEL_ROWS} 行 × {EXCEL_COLUMNS} 列）")

    def row(self, number: int) -> None:
        if number > self.max_rows:
            raise _refuse(self.file_name, f"的工作表“{self.sheet}”含有第 {number} 行（导入最多读到第 {self.max_rows} 行）")

    def cell(self, ref: str) -> tuple[int, int]:
        m = _REF.match(ref)
        if not m:
            raise _refuse(self.file_name, f"的工作表“{self.sheet}”中有无效的单元格地址“{ref[:20]}”")
        col, row = column_index(m.group(1)), int(m.group(2))
        if col > self.max_columns:
            raise _refuse(self.file_name, f"的工作表“{self.sheet}”中的单元格 {ref[:20]} 超出了导入允许的范围"
                                          f"（最多 {self.max_columns} 列）")
        self.row(row)
        return row, col

    def text(self, length: int, where: str) -> None:
        if length > MAX_CELL_CHARS * 4:  # UTF-8 bytes of at most 32,767 characters
            raise _refuse(self.file_name, f"的工作表“{self.sheet}”中{where}的文字超过 Excel 单元格的上限 "
                                          f"{MAX_CELL_CHARS} 个字符")


class _Cursor:
    """Where the scan is: the current row, column, cell and the length of the current text."""

    def __init__(self) -> None:
        self.row = 0
        self.col = 0
        self.cell = (0, 0)
        self.text = 0


def scan_sheet(fh: IO[bytes], limits: Limits) -> SheetScan:
    """One expat pass: bounds enforced as they are met, formula cells recorded; memory stays flat."""
    scan = SheetScan(limits.sheet)
    at = _Cursor()

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                r, c = limits.cell(ref)
            else:
                r, c = at.row, at.col + 1
                if c > limits.max_columns:
                    raise _refuse(limits.file_name, f"的工作表“{limits.sheet}”第 {r} 行的单元格超过 {limits.max_columns} 列")
            at.col = c
            at.cell = (r, c)
            scan.max_col = max(scan.max_col, c)
        elif tag == "row":
            text = attrs.get("r")
            if text and not text.isdigit():
                raise _refuse(limits.file_name, f"的工作表“{limits.sheet}”中有无效的行号“{text[:20]}”")
            number = int(text) if text else at.row + 1
            limits.row(number)
            at.row, at.col = number, 0
            scan.max_row = max(scan.max_row, number)
        elif tag == "f":
            scan.formulas.add(at.cell)
        elif tag == "dimension":
            limits.dimension(attrs.get("ref", ""))
        elif tag in ("v", "t"):
            at.text = 0

    def data(text: str) -> None:
        at.text += len(text)
        if at.text > MAX_CELL_CHARS * 4:
            limits.text(at.text, f"单元格 {cell_name(*at.cell)} ")

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.CharacterDataHandler = data
    try:
        while True:
            chunk = fh.read(1 << 18)
            parser.Parse(chunk, not chunk)
            if not chunk:
                break
    except expat.ExpatError as exc:
        raise ValidationError(f"工作表“{limits.sheet}”的内容已损坏（{exc}）", field="文件") from exc
    return scan


def scan_shared_strings(z: zipfile.ZipFile, file_name: str) -> None:
    """No single shared string longer than a cell may hold (the list itself is bounded by `check_zip`)."""
    if "xl/sharedStrings.xml" not in z.namelist():
        return
    limits = Limits(file_name, "共享字符串")
    length = [0]

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rsplit(":", 1)[-1] == "si":
            length[0] = 0

    def data(text: str) -> None:
        length[0] += len(text)
        if length[0] > MAX_CELL_CHARS * 4:
            limits.text(length[0], "一个字符串")

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.CharacterDataHandler = data
    with z.open("xl/sharedStrings.xml") as fh:
        try:
            while True:
                chunk = fh.read(1 << 18)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    break
        except expat.ExpatError as exc:
            raise ValidationError(f"“{file_name}”的共享字符串已损坏（{exc}）", field="文件") from exc


def scan_workbook(z: zipfile.ZipFile, file_name: str, *, sheets: Iterable[str] | None = None,
                  max_rows: int = EXCEL_ROWS, max_columns: int = MAX_COLUMNS) -> dict[str, SheetScan]:
    """Scan the named sheets (all when None) and the shared strings; {sheet name: scan}."""
    wanted = None if sheets is None else set(sheets)
    scan_shared_strings(z, file_name)
    out: dict[str, SheetScan] = {}
    for name, part in sheet_parts(z):
        if wanted is not None and name not in wanted:
            continue
        try:
            with z.open(part) as fh:
                out[name] = scan_sheet(fh, Limits(file_name, name, max_rows=max_rows, max_columns=max_columns))
        except KeyError:
            continue
    return out


def formula_error(sheet: str, row: int, col: int, field_name: str) -> tuple[int, str, str]:
    """(row, field, reason) for a formula where a number, code or date must be typed."""
    return (row, field_name, f"单元格 {sheet}!{cell_name(row, col)} 是公式：文件里保存的计算结果可能已过时"
                             "（程序不重新计算公式），请复制后“选择性粘贴 → 数值”再导入")
