"""A region's own .xlsx template filled at its placeholders, with Chinese errors for a broken one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from app.export.template import TemplateError, TemplateSpec, fill_template, validate_template
from app.export.workbook import render_workbook
from app.models.reports.package_data import PackageData
from tests.export.conftest import text, yuan
from tests.models.reports import sample


def make_table5_template(path: Path, *, extra: dict[str, str] | None = None) -> Path:
    """A plausible region layout for 表5: its own title rows, one detail row, a 合计 row, a footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附表5"
    ws["A1"] = "附表5  {{title}}"
    ws["A2"] = "填报单位（盖章）：{{填报单位}}    {{报表所属期}}"
    ws.append(["项目编号", "项目名称", "本月支付金额（元）", "支付进度", "累计支付（元）"])
    ws.append(["{{行.项目编号}}", "{{行.项目名称}}", "{{行.本月支付金额}}", "{{行.pay_progress}}", "{{行.累计支付}}"])
    ws.append(["合计", "", "{{合计.本月支付金额}}", "{{合计.支付进度}}", "{{合计.paid_cum}}"])
    ws["A6"] = "单位负责人：{{chief}}    填表人：{{填表人}}    填报日期：{{signed_on}}"
    ws.merge_cells("A6:E6")
    ws.row_dimensions[6].height = 30
    ws["A4"].font = Font(name="仿宋", bold=True)
    ws["C4"].number_format = "#,##0.00"
    for key, value in (extra or {}).items():
        ws[key] = value
    wb.save(path)
    return path


def test_detail_row_repeats_and_totals_fill(package: PackageData, tmp_path: Path) -> None:
    spec = TemplateSpec("表5", make_table5_template(tmp_path / "t5.xlsx"))
    out = tmp_path / "filled.xlsx"
    fill_template(spec, package, out)
    ws = openpyxl.load_workbook(out)["附表5"]
    assert ws["A1"].value == "附表5  表5　扶贫项目资金支付审核情况表"
    assert ws["A2"].value == "填报单位（盖章）：示例县财政局    2026年10月"
    n = len(sample.PROJECTS)
    assert [ws.cell(r, 1).value for r in range(4, 4 + n)] == [p[0] for p in sample.PROJECTS]
    assert yuan(ws["C5"].value) == Decimal("1698000.00") and ws["C5"].number_format == "#,##0.00"
    assert yuan(ws["D4"].value) == Decimal("0.8") and ws["D4"].number_format == "0.00%"  # General → ours
    assert ws.cell(4 + n - 1, 1).font.b and ws.cell(4 + n - 1, 1).font.name == "仿宋"  # detail style copied down
    total = 4 + n
    assert ws.cell(total, 1).value == "合计" and yuan(ws.cell(total, 3).value) == Decimal("12967999.99")
    assert yuan(ws.cell(total, 4).value) == Decimal("0.8289")
    footer = total + 1
    assert ws.cell(footer, 1).value == "单位负责人：艾力·买买提    填表人：李娜    填报日期：2026-11-20"
    assert f"A{footer}:E{footer}" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.row_dimensions[footer].height == 30


def test_fixed_rows_by_item_and_kind_code(package: PackageData, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "扶贫发展资金", "{{行[ZX01].累计到位小计}}"
    ws["A2"], ws["B2"] = "财政专项扶贫资金小计", "{{行[ZX].cum_total}}"
    ws["A3"], ws["B3"] = "（本年未安排的项目）", "{{行[ZX09].累计到位小计}}"
    ws["A4"] = "到位率 {{合计.到位率}}，累计到位 {{合计.累计到位小计}} 元"
    wb.save(tmp_path / "t1.xlsx")
    fill_template(TemplateSpec("表1", tmp_path / "t1.xlsx"), package, tmp_path / "out.xlsx")
    out = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert yuan(out["B1"].value) == Decimal("41800000.00") and yuan(out["B2"].value) == Decimal("51800000.00")
    assert out["B3"].value in (None, "")
    assert out["A4"].value == "到位率 93.87%，累计到位 105,600,000.00 元"


def test_template_replaces_the_built_in_sheet_in_the_package_workbook(package: PackageData, tmp_path: Path) -> None:
    rows = sample.project_rows()
    rows[0]["project_name"] = "=1+1"
    pkg = sample.with_rows(package, "project_payments", rows)
    spec = TemplateSpec("表5", make_table5_template(tmp_path / "t5.xlsx"))
    render_workbook(pkg, tmp_path / "wb.xlsx", templates={"表5": spec})
    wb = openpyxl.load_workbook(tmp_path / "wb.xlsx")
    assert wb.sheetnames[5] == "表5" and wb["表5"]["A1"].value.startswith("附表5")
    assert (text(wb["表5"]["B4"].value), wb["表5"]["B4"].data_type) == ("=1+1", "s")
    assert wb["表4"]["A1"].value == "表4　财政扶贫资金支出进度情况表"  # the others keep the built-in layout
    again = render_workbook(pkg, tmp_path / "wb2.xlsx", templates={"表5": spec})
    assert again == (tmp_path / "wb.xlsx").read_bytes()


def test_empty_table_leaves_one_blank_detail_row(package: PackageData, tmp_path: Path) -> None:
    spec = TemplateSpec("表5", make_table5_template(tmp_path / "t5.xlsx"))
    fill_template(spec, sample.with_rows(package, "project_payments", []), tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert ws["A4"].value in (None, "") and ws["A5"].value == "合计" and ws["C5"].value is None


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"F1": "{{填报人}}"}, r"附表5!F1：未知的占位符 \{\{填报人\}\}"),
        ({"F2": "{{合计.本年支付}}"}, r"附表5!F2：表5 没有列“本年支付”"),
        ({"F7": "{{行.项目名称}}"}, r"明细行占位符 \{\{行\.…\}\} 只能出现在同一行，实际出现在第 4、7 行"),
    ],
)
def test_broken_templates_are_refused_in_chinese(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    spec = TemplateSpec("表5", make_table5_template(tmp_path / "t.xlsx", extra=extra))
    with pytest.raises(TemplateError, match=message):
        validate_template(spec)


def test_file_sheet_and_table_errors(tmp_path: Path, package: PackageData) -> None:
    path = make_table5_template(tmp_path / "t.xlsx")
    validate_template(TemplateSpec("表5", path))  # a good one passes
    with pytest.raises(TemplateError, match="模板 t.xlsx 中没有工作表“表5”"):
        validate_template(TemplateSpec("表5", path, sheet="表5"))
    with pytest.raises(TemplateError, match="模板文件不存在"):
        validate_template(TemplateSpec("表5", tmp_path / "none.xlsx"))
    (tmp_path / "bad.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(TemplateError, match="无法读取"):
        validate_template(TemplateSpec("表5", tmp_path / "bad.xlsx"))
    with pytest.raises(TemplateError, match="没有报表“表10”"):
        validate_template(TemplateSpec("表10", path))
    wb = openpyxl.Workbook()
    wb.active["A1"] = "没有占位符"
    wb.create_sheet("第二页")
    wb.save(tmp_path / "two.xlsx")
    with pytest.raises(TemplateError, match="有多个工作表"):
        validate_template(TemplateSpec("表5", tmp_path / "two.xlsx"))
    with pytest.raises(TemplateError, match="没有任何占位符"):
        validate_template(TemplateSpec("表5", tmp_path / "two.xlsx", sheet="Sheet"))
    with pytest.raises(TemplateError, match="未知的占位符"):
        bad = make_table5_template(tmp_path / "bad2.xlsx", extra={"A9": "{{x}}"})
        render_workbook(package, tmp_path / "wb.xlsx", templates={"表5": TemplateSpec("表5", bad)})


def make_table1_template(path: Path, *, extra: dict[str, str] | None = None, marked: bool = True) -> Path:
    """A region-style 表1: title, one detail row, 合计; `marked=False` leaves the cells blank for a mapping file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附表1"
    ws.append(["附表1 {{表名}}" if marked else "附表1 财政扶贫资金筹集及到位情况表（自治区格式）"])
    ws.append(["填报单位：{{填报单位}}　所属期：{{报表所属期}}" if marked else "填报单位：　　所属期："])
    ws.append(["资金类别", "累计到位小计（元）", "到位率"])
    ws.append(["{{行.资金类别}}", "{{行.累计到位小计}}", "{{行.到位率}}"] if marked else ["", "", ""])
    ws.append(["合计", "{{合计.累计到位小计}}" if marked else "", ""])
    ws.append(["单位负责人：{{单位负责人}}" if marked else "单位负责人："])
    for key, value in (extra or {}).items():
        ws[key] = value
    wb.save(path)
    return path


TABLE1_MAPPING = """# 自治区表1 的单元格对应：单元格 = 占位符
A1 = 附表1 {{表名}}
A4 = 行.资金类别
B4 = 行.累计到位小计
C4 = 行.到位率
附表1!B5 = 合计.累计到位小计
"""


def test_mapping_file_marks_a_plain_template(package: PackageData, tmp_path: Path) -> None:
    from app.export.template import mark_template, placeholders

    plain = make_table1_template(tmp_path / "plain.xlsx", marked=False)
    with pytest.raises(TemplateError, match="没有任何占位符"):
        validate_template(TemplateSpec("表1", plain))
    marked = tmp_path / "marked.xlsx"
    mark_template(TemplateSpec("表1", plain), TABLE1_MAPPING.encode("gb18030"), "对应.txt", marked)
    uses = {u.cell: u.meaning for u in placeholders(TemplateSpec("表1", marked))}
    assert uses["附表1!B5"] == "合计行 · 累计到位小计" and uses["附表1!A4"].startswith("明细行")
    fill_template(TemplateSpec("表1", marked), package, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    total = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert yuan(ws.cell(total, 2).value) == Decimal("105600000.00")
    assert ws["A1"].value == "附表1 表1　财政扶贫资金筹集及到位情况表"


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("B5 合计.累计到位小计", "第 1 行：应写成“单元格 = 占位符”"),
        ("五行 = 合计.累计到位小计", "第 1 行：“五行”不是单元格地址"),
        ("B5 =", "第 1 行：单元格 B5 后面没有写占位符"),
        ("# 只有注释\n", "没有任何对应"),
        ("表9!B5 = 合计.累计到位小计", "第 1 行：模板中没有工作表“表9”"),
        ("B5 = 合计.本年到位", "附表1!B5：表1 没有列“本年到位”"),
    ],
)
def test_bad_mapping_files_are_refused_in_chinese(tmp_path: Path, mapping: str, message: str) -> None:
    from app.export.template import mark_template, placeholders

    plain = make_table1_template(tmp_path / "plain.xlsx", marked=False)
    with pytest.raises(TemplateError, match=message):
        mark_template(TemplateSpec("表1", plain), mapping.encode(), "对应.txt", tmp_path / "m.xlsx")
        placeholders(TemplateSpec("表1", tmp_path / "m.xlsx"))
