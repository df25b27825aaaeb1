"""The workbook as an auditor opens it: cells, merges, formats, print setup, 合计, safe text, stable bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from app.export.cells import ooxml_text
from app.export.workbook import render_workbook, segments, text_width
from app.models.reports import definitions, layout
from app.models.reports.layout import ReportDataError
from app.models.reports.package_data import PackageData, SignOff
from tests.export.conftest import render, sheet_xml, text, yuan
from tests.models.reports import sample

SHEETS = ["封面", *(f"表{n}" for n in range(1, 10))]


def fen_to_yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def test_sheets_title_lines_and_merged_headers_of_table1(package: PackageData, tmp_path: Path) -> None:
    wb, _ = render(package, tmp_path)
    assert wb.sheetnames == SHEETS
    ws = wb["表1"]
    assert ws["A1"].value == "表1　财政扶贫资金筹集及到位情况表" and ws["A1"].font.b
    assert ws["A2"].value == "统计期间：2026年10月1日至2026年10月31日"
    assert [c.value for c in ws[3] if c.value] == ["填报单位：示例县财政局", "报表所属期：2026年10月", "单位：元"]
    assert ws["A3"].alignment.horizontal == "left" and ws.cell(3, 13).value is None
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:M1", "A2:M2", "A4:A5", "B4:B5", "C4:G4", "H4:L4", "M4:M5"} <= merged
    assert [ws.cell(4, c).value for c in (1, 2, 3, 8, 13)] == ["资金类别", "年度计划数", "本月到位", "累计到位", "到位率"]
    assert [ws.cell(5, c).value for c in range(3, 8)] == ["中央", "自治区", "地州", "县本级", "小计"]
    assert ws["C4"].font.b and ws["C4"].alignment.horizontal == "center"


def test_table1_groups_items_under_kinds_with_subtotals(package: PackageData, tmp_path: Path) -> None:
    ws = render(package, tmp_path)[0]["表1"]
    labels = [ws.cell(r, 1).value for r in range(6, 17)]
    assert labels == ["一、财政专项扶贫资金", "扶贫发展资金", "以工代赈资金", "少数民族发展资金", "二、涉农整合扶贫资金",
                      "农业生产发展资金", "农村综合改革转移支付", "三、地方政府债券用于扶贫的资金",
                      "2026年脱贫攻坚债券（第一批）", "四、贫困人口脱贫兜底专项基金", "合计"]  # fmt: skip
    assert ws["A6"].font.b and not ws["A7"].font.b and ws["A7"].alignment.indent == 1
    zx = [f for f in sample.FUNDS if f[0] == "ZX"]
    assert yuan(ws["B6"].value) == fen_to_yuan(sum(f[4] for f in zx))  # 年度计划数 subtotal of the kind
    assert yuan(ws["L6"].value) == fen_to_yuan(sum(sum(f[6]) for f in zx))  # 累计到位小计 of the kind
    # 扶贫发展资金: 小计 columns are the sum of the four levels, 到位率 from integers (41.8M / 45M)
    assert yuan(ws["G7"].value) == Decimal("4700000.00") and yuan(ws["L7"].value) == Decimal("41800000.00")
    assert yuan(ws["M7"].value) == Decimal("0.9289") and ws["M7"].number_format == "0.00%"
    assert ws["B7"].number_format == "#,##0.00" and ws["B7"].alignment.horizontal == "right"


def test_total_rows_equal_independent_sums_of_the_source_data(package: PackageData, tmp_path: Path) -> None:
    wb, _ = render(package, tmp_path)
    ws = wb["表1"]
    total = 16
    assert ws.cell(total, 1).value == "合计" and ws.cell(total, 2).font.b
    for col, index in ((2, 4), (3, None), (12, None)):
        if index is not None:
            expected = sum(f[index] for f in sample.FUNDS)
        elif col == 3:
            expected = sum(f[5][0] for f in sample.FUNDS)
        else:
            expected = sum(sum(f[6]) for f in sample.FUNDS)
        assert yuan(ws.cell(total, col).value) == fen_to_yuan(expected)
    assert yuan(ws.cell(total, 13).value) == Decimal("0.9387")  # 105.6M / 112.5M, not an average of rates
    ws5 = wb["表5"]
    rows = range(6, 6 + len(sample.PROJECTS))
    assert ws5.cell(6 + len(sample.PROJECTS), 1).value == "合计"
    # 表5: 功能科目 and 经济分类 stand after 项目类别, so 本月支付笔数/金额 are columns 7 and 8
    assert yuan(ws5.cell(13, 8).value) == fen_to_yuan(sum(p[5] for p in sample.PROJECTS)) == Decimal("12967999.99")
    assert ws5.cell(13, 7).value == sum(p[4] for p in sample.PROJECTS) == 15
    assert yuan(ws5.cell(13, 8).value) == sum(yuan(ws5.cell(r, 8).value) for r in rows)
    ws3 = wb["表3"]
    closing = sum(opening + sum(cum) - spent for *_, cum, opening, _, spent, _, _, _ in sample.FUNDS)
    # 表3: 功能科目 stands after 资金类别, so 期末结余 is column 8 and 账实差额 column 10
    assert ws3.cell(16, 1).value == "合计" and yuan(ws3.cell(16, 8).value) == fen_to_yuan(closing)
    assert yuan(ws3.cell(16, 10).value) == fen_to_yuan(sum(f[9] - f[10] for f in sample.FUNDS)) == Decimal("50000.00")


def test_amounts_are_written_digit_for_digit(package: PackageData, tmp_path: Path) -> None:
    _, data = render(package, tmp_path)
    xml = sheet_xml(data, 6)  # 表5
    assert "<v>987654.32</v>" in xml and "<v>12967999.99</v>" in xml and "<v>1780000.5</v>" not in xml
    assert "<v>1780000.50</v>" in xml
    tiny = sample.with_rows(package, "project_payments", [{**sample.project_rows()[0], "paid_month": 7}])
    assert "<v>0.07</v>" in sheet_xml(render(tiny, tmp_path, "tiny.xlsx")[1], 6)  # openpyxl alone writes 0.07000000000000001


def test_print_setup_and_footer(package: PackageData, tmp_path: Path) -> None:
    wb, _ = render(package, tmp_path)
    for name, header in (("表1", "$4:$5"), ("表2", "$4:$4"), ("封面", "$6:$6")):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == header
    ws = wb["表1"]
    footer = [c.value for c in ws[18] if c.value]
    assert footer == ["单位负责人：艾力·买买提", "审核人：王建华", "填表人：李娜", "填报日期：2026-11-20"]
    assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text


def test_cover_sheet_lists_every_table_total(package: PackageData, tmp_path: Path) -> None:
    ws = render(package, tmp_path)[0]["封面"]
    assert ws["A1"].value == "财政扶贫资金监督管理各类情况月报表"
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["统计期间：2026年10月1日至2026年10月31日", "版本：第 1 版",
                                                         "签发：艾力·买买提 于 2026-11-20 10:30 签发"]  # fmt: skip
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 7)] for r in range(7, 16)}
    assert list(rows) == SHEETS[1:]
    assert rows["表1"][0] == "财政扶贫资金筹集及到位情况表" and yuan(rows["表1"][3]) == Decimal("105600000.00")
    assert rows["表5"][2:] == ["本月支付金额；本月支付笔数", pytest.approx(12967999.99), 15]
    assert rows["表6"][3] is None and rows["表6"][4] == 67
    assert rows["表2"][1] == len(sample.INDICATORS)


def test_cover_footer_wraps_to_two_rows_when_narrow(package: PackageData, tmp_path: Path) -> None:
    ws = render(package, tmp_path)[0]["封面"]
    assert [c.value for c in ws[17] if c.value] == ["单位负责人：艾力·买买提", "审核人：王建华"]
    assert [c.value for c in ws[18] if c.value] == ["填表人：李娜", "填报日期：2026-11-20"]
    assert ws.print_area == "'封面'!$A$1:$F$18"


def test_preview_leaves_signature_blank_and_says_so(tmp_path: Path) -> None:
    wb, _ = render(sample.make_package(signed=False), tmp_path)
    assert wb["封面"]["A4"].value == "签发：预览稿（未签发）"
    assert [c.value for c in wb["表3"][18] if c.value] == ["单位负责人：", "审核人：王建华", "填表人：李娜", "填报日期："]


def test_corrected_version_is_named_on_the_cover(tmp_path: Path) -> None:
    wb, _ = render(sample.make_package(version=2), tmp_path)
    assert wb["封面"]["A3"].value == "版本：更正版（第 2 版）"


DANGEROUS = ["=1+1", "+86 0991", "-5", "@SUM(A1)", "\t制表符开头", "\r回车开头", "_x000D_字面", "=HYPERLINK(\"http://x\")"]


def test_text_that_looks_like_a_formula_stays_text(package: PackageData, tmp_path: Path) -> None:
    rows = sample.project_rows()
    for row, name in zip(rows, DANGEROUS, strict=False):
        row["project_name"] = name
    rows[-1]["return_reasons"] = DANGEROUS[-1]
    wb, data = render(sample.with_rows(package, "project_payments", rows), tmp_path)
    ws = wb["表5"]
    for r, name in zip(range(6, 13), DANGEROUS, strict=False):
        cell = ws.cell(r, 2)
        assert cell.data_type == "s" and text(cell.value) == name
    assert text(ws.cell(12, 14).value) == DANGEROUS[-1] and ws.cell(12, 14).data_type == "s"  # 退回主要原因
    assert "<f>" not in sheet_xml(data, 6)


def test_long_ids_stay_text_not_numbers(package: PackageData, tmp_path: Path) -> None:
    rows = sample.project_rows()
    rows[0]["project_no"] = "650102198001011234"  # 18 digits: as a number Excel would show 6.50102E+17
    rows[1]["project_no"] = "6228480012345678901"  # a 19-digit account number
    ws = render(sample.with_rows(package, "project_payments", rows), tmp_path)[0]["表5"]
    assert (ws["A6"].value, ws["A6"].data_type, ws["A6"].number_format) == ("650102198001011234", "s", "@")
    assert (ws["A7"].value, ws["A7"].data_type) == ("6228480012345678901", "s")


def test_same_package_gives_identical_bytes(package: PackageData, tmp_path: Path) -> None:
    first = render_workbook(package, tmp_path / "a.xlsx")
    time.sleep(1.1)  # zip entry times have two-second resolution; core.xml has seconds
    second = render_workbook(package, tmp_path / "b.xlsx")
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert z.namelist()[:2] == ["[Content_Types].xml", "_rels/.rels"]
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 20, 10, 30, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2026-11-20T02:30:00Z</dcterms:created>" in core and "2026-11-20T02:30:00Z</dcterms:modified>" in core


def test_the_sign_off_time_is_what_fixes_the_bytes(package: PackageData, tmp_path: Path) -> None:
    later = dataclasses.replace(package, signoff=dataclasses.replace(package.signoff, signed_at=dt.datetime(2026, 11, 21, 9, 0)))
    assert render_workbook(package, tmp_path / "a.xlsx") != render_workbook(later, tmp_path / "b.xlsx")
    preview = dataclasses.replace(package, signoff=SignOff())
    assert render_workbook(preview, tmp_path / "c.xlsx") == render_workbook(preview, tmp_path / "d.xlsx")


def test_bad_rows_from_the_data_layer_are_named(package: PackageData, tmp_path: Path) -> None:
    rows = sample.fund_rows()[0]
    rows[1]["plan"] = 8000000.0  # a float: money must be int 分
    with pytest.raises(ReportDataError, match=r"表1（数据源 fund_receipts）第 2 行 字段 plan：应为整数"):
        render(sample.with_rows(package, "fund_receipts", rows), tmp_path)
    del rows[1]["plan"]
    with pytest.raises(ReportDataError, match="第 2 行 字段 plan：缺少该字段"):
        render(sample.with_rows(package, "fund_receipts", rows), tmp_path)
    missing = dataclasses.replace(package, rows={k: v for k, v in package.rows.items() if k != "notices"})
    with pytest.raises(ReportDataError, match="表6 扶贫资金项目公告公示情况表：缺少数据源 notices"):
        render(missing, tmp_path)


def test_empty_month_still_renders_headers_and_zero_totals(package: PackageData, tmp_path: Path) -> None:
    empty = dataclasses.replace(package, rows={k: [] for k in package.rows})
    ws = render(empty, tmp_path)[0]["表3"]
    assert ws["A6"].value == "合计" and ws["B6"].value is None and ws["A8"].value.startswith("单位负责人")


def test_helpers() -> None:
    assert segments([10] * 12, [0, 0, 0]) == [(1, 4), (5, 8), (9, 12)] and segments([5, 5], [0, 0, 0]) is None
    assert segments([8, 40, 10, 30, 20, 12], [26, 16]) == [(1, 3), (4, 6)]
    assert segments([8, 40, 10, 30, 20, 12], [26, 16, 14, 22]) is None  # the cover is too narrow for four
    assert text_width("审核人：王建华") == 16
    assert ooxml_text("\r_x0041_a\tb") == "_x000D__x005F_x0041_a\tb"
    assert layout.chinese_numeral(1) == "一" and layout.chinese_numeral(12) == "十二" and layout.chinese_numeral(20) == "二十"
    table = definitions.load().table("表1")
    assert table.find("累计到位小计") is table.column("cum_total")
