"""The streaming .xlsx reader returns what openpyxl's read-only mode returns, on the files clerks meet."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.models.xlsx import stream as xlsx_stream

VALUES: list[list[Any]] = [
    ["国库集中支付明细"],
    ["支付凭证号", "支付日期", "金额", "备注", "布尔"],
    ["ZF001", dt.date(2026, 3, 5), Decimal("1234567.89"), "含 & < > 的文字", True],
    ["ZF002", dt.datetime(2026, 3, 6, 14, 30), 12, None, False],
    [None, "2026-03-07", 0.1, "  前后空格  ", None],
    [],
    ["ZF003", 46090, -5.25, "=1+1", "#N/A"],
]


def openpyxl_rows(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [(n, _trim(r)) for n, r in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def _trim(row: tuple[Any, ...]) -> tuple[Any, ...]:
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def fast_rows(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    return [(n, _trim(r)) for n, r in xlsx_stream.rows(path)]


def write(path: Path, date1904: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904 if date1904 else openpyxl.utils.datetime.CALENDAR_WINDOWS_1900
    for row in VALUES:
        ws.append(row)
    ws["D7"].data_type = "s"  # "=1+1" as text, as the treasury system writes it
    ws["B7"].number_format = "yyyy\"年\"m\"月\"d\"日\""
    wb.save(path)
    return path


def to_shared_strings(src: Path, dst: Path) -> Path:
    """Rewrite inline strings as a shared-strings table with a phonetic guide, as Excel writes files."""
    zin = zipfile.ZipFile(src)
    sheet = zin.read("xl/worksheets/sheet1.xml").decode()
    strings: list[str] = []

    def repl(m: re.Match[str]) -> str:
        strings.append(m.group(2))
        return f'<c r="{m.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', repl, sheet)
    items = "".join(f'<si><r><t xml:space="preserve">{s}</t></r><rPh sb="0" eb="1"><t>ピン</t></rPh></si>'
                    for s in strings)
    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f"{items}</sst>")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.'
                                    b'org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            zout.writestr(item, data)
        zout.writestr("xl/sharedStrings.xml", sst)
    return dst


@pytest.mark.parametrize("date1904", [False, True])
def test_inline_strings_match_openpyxl(tmp_path: Path, date1904: bool) -> None:
    path = write(tmp_path / "a.xlsx", date1904)
    assert fast_rows(path) == openpyxl_rows(path)
    rows = dict(fast_rows(path))
    assert rows[3][1] == dt.datetime(2026, 3, 5) and rows[3][2] == 1234567.89 and rows[3][3] == "含 & < > 的文字"
    assert rows[7][3] == "=1+1" and rows[6] == ()


def test_shared_strings_with_phonetic_guides_match_openpyxl(tmp_path: Path) -> None:
    path = to_shared_strings(write(tmp_path / "a.xlsx"), tmp_path / "shared.xlsx")
    assert "sharedStrings" in str(zipfile.ZipFile(path).namelist())
    assert fast_rows(path) == openpyxl_rows(path)
    assert dict(fast_rows(path))[2][0] == "支付凭证号"  # the phonetic guide is not part of the text


def test_unknown_structure_is_declined(tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(xlsx_stream.Unsupported):
        xlsx_stream.rows(path)
