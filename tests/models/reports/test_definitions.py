"""The nine tables are data: the shipped files load, and a broken file is a Chinese error naming file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.models.reports import definitions
from app.models.reports.definitions import ReportDefinitionError
from app.resources import resources_dir

SHIPPED = resources_dir() / "reports"


def test_shipped_definitions() -> None:
    defs = definitions.load()
    assert [t.id for t in defs.tables] == [f"表{n}" for n in range(1, 10)]
    assert [t.source for t in defs.tables] == ["fund_receipts", "indicators", "ledger_balances", "spending_progress",
                                               "project_payments", "notices", "warning_summary", "performance",
                                               "problems"]  # fmt: skip
    t1 = defs.table("表1")
    assert t1.depth == 2 and t1.group is not None and t1.group.key == "kind_code"
    cells = {(c.row, c.col): (c.rows, c.cols, c.text) for c in t1.header_cells()}
    assert cells[(0, 2)] == (1, 5, "本月到位") and cells[(0, 0)] == (2, 1, "资金类别") and cells[(1, 6)] == (1, 1, "小计")
    money = [c for t in defs.tables for c in t.columns if c.type == "money"]
    assert money and all(c.number_format == "#,##0.00" for c in money)
    assert all(c.number_format == "0.00%" for t in defs.tables for c in t.columns if c.type == "percent")
    assert defs.texts.footer == ("单位负责人：{chief}", "审核人：{reviewer}", "填表人：{preparer}", "填报日期：{signed_on}")


def edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = tmp_path / "reports"
    shutil.copytree(SHIPPED, folder)
    text = (folder / file).read_text("utf-8")
    assert old in text, old
    (folder / file).write_text(text.replace(old, new, 1), "utf-8")
    return folder


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        ("table1.toml", 'type = "money"', 'type = "currency"', r"table1.toml：columns\[2\].type 应为 text / money"),
        ("table2.toml", 'align = "center"', 'algin = "center"', r"table2.toml：columns\[3\].algin 不是可识别的键"),
        ("table1.toml", "width = 16\n", "widht = 16\n", r"table1.toml：columns\[2\].width 缺失（必填项）"),
        ("table3.toml", 'header = ["支出", "累计"]', 'header = ["收入", "累计2"]', r"分组 收入 的子列不相邻"),
        ("table3.toml", 'header = ["收入", "本月"]', 'header = ["年初结余", "本月"]', r"既是列 'opening' 又是分组"),
        ("table1.toml", 'ratio = ["cum_total", "plan"]', 'ratio = ["cum_total", "planned"]', r"分子分母须是本列之前"),
        ("table4.toml", 'difference = ["progress", "time_pace"]', 'difference = ["progress", "spent_cum"]',
         r"difference\[2\] 应引用本列之前的 percent 列"),
        ("table1.toml", 'compute = "cum_central', 'compute = "cum_central *', r"应为列名的加减式"),
        ("report.toml", 'bureau_line = "填报单位：{bureau}"', 'bureau_line = "填报单位：{单位}"', r"占位符 \{单位\} 不可用"),
        ("table2.toml", 'id = "表2"', 'id = "表1"', r"工作表名 '表1' 重复"),
        ("table5.toml", 'cover_count = "pay_count_month"', 'cover_count = "paid_month"', r"cover_count 应为本表合计方式为 sum 的 int 列"),
        ("report.toml", "format = 1", "format = 2", r"格式版本 2 高于本程序支持的 1"),
        ("table6.toml", 'source = "notices"', "source = 3", r"source 应为非空文字，实际为整数 3"),
        ("table1.toml", 'rule = "industry_share"', 'rule = "产业比重"', r"columns\[14\].rule 应为规则集 \[\[ratio_rules\]\] 的代码"),
        ("table1.toml", 'rule = "industry_share"', "rule = 1", r"columns\[14\].rule 应为非空文字"),
        ("table1.toml", 'rule = "industry_share"\n', "", r"分子分母须是本列之前"),  # only a rule's column may divide row fields
    ],
)
def test_broken_definitions_name_file_and_key(tmp_path: Path, file: str, old: str, new: str, message: str) -> None:
    folder = edited(tmp_path, file, old, new)
    with pytest.raises(ReportDefinitionError, match=message):
        definitions.load_from(folder)


def test_unreadable_files(tmp_path: Path) -> None:
    folder = edited(tmp_path, "table9.toml", 'id = "表9"', 'id = "表9')
    with pytest.raises(ReportDefinitionError, match="table9.toml：TOML 格式错误"):
        definitions.load_from(folder)
    (folder / "table9.toml").unlink()
    with pytest.raises(ReportDefinitionError, match="table9.toml：找不到文件"):
        definitions.load_from(folder)
