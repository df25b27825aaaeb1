"""Importing the plan from .xlsx: the app's own template, all or nothing, every bad row named."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from app.models.plan import plan_import, projects
from app.models.store.book import Book
from app.models.values.errors import RowErrors, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

ROW = {"项目编号*": "XM-001", "年度*": 2026, "项目名称*": "巴格其村道路硬化", "项目类别*": "乡村建设/基础设施",
       "建设性质*": "新建", "乡镇*": "城关镇", "村": "巴格其村", "建设任务*": "硬化村道 3.2 公里",
       "开工日期*": "2026-04-01", "完工日期*": "2026-09-30", "实施单位*": "城关镇人民政府", "责任人*": "张三",
       "资产类型*": "公益性", "基础建设类（是/否）": "是", "合同金额（元）": 800000, "质保金比例（%）": 3}


def fill(template: Path, projects_rows: list[dict], funding_rows: list[tuple]) -> bytes:
    wb = openpyxl.load_workbook(template)
    ws = wb["项目"]
    headers = [c.value for c in ws[1]]
    for r in projects_rows:
        ws.append([r.get(h) for h in headers])
    for r in funding_rows:
        wb["资金来源"].append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def template(book: Book, tmp_path: Path) -> Path:
    return plan_import.write_template(book.rules, tmp_path / "项目计划模板.xlsx")


def test_template_round_trip_imports_projects_with_funding(book: Book, template: Path) -> None:
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕3号", amount=1_000_000_00)
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["项目", "资金来源", "年度计划数", "填表说明"]
    second = ROW | {"项目编号*": "XM-002", "项目名称*": "托格拉克村养殖小区", "项目类别*": "industry",
                    "基础建设类（是/否）": "否", "合同金额（元）": None, "质保金比例（%）": None}
    data = fill(template, [ROW, second], [("XM-001", "新财农〔2026〕3号", None, 800000),
                                          ("XM-002", "新财农〔2026〕3号", 2026, "150,000.50")])
    ids = plan_import.import_plan(book, file_name="计划.xlsx", data=data)
    assert len(ids) == 2
    first = projects.by_code(book, "XM-001")
    assert first and (first["total"], first["contract_amount"], first["retention_bp"], first["infrastructure"]) == \
        (800_000_00, 800_000_00, 300, 1)
    assert projects.get(book, ids[1])["total"] == 150_000_50
    assert projects.unplanned(book, ind) == 1_000_000_00 - 950_000_50


def test_bad_rows_refuse_the_whole_file_naming_each(book: Book, template: Path) -> None:
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕3号", amount=500_000_00)
    bad = ROW | {"项目编号*": "XM-002", "项目类别*": "不知道", "完工日期*": "2026-02-01"}
    data = fill(template, [ROW, bad, ROW], [("XM-001", "新财农〔2026〕3号", None, 400000),
                                            ("XM-002", "新财农〔2026〕3号", None, 100000.01),
                                            ("XM-009", "新财农〔2026〕3号", None, 1),
                                            ("XM-001", "新财农〔2099〕1号", None, 1)])
    with pytest.raises(RowErrors) as err:
        plan_import.import_plan(book, file_name="计划.xlsx", data=data)
    found = {(row, field) for row, field, _ in err.value.errors}
    assert (3, "项目表·项目类别") in found and (3, "项目表·完工日期") in found
    assert (4, "项目表·项目编号") in found  # the same code twice
    assert (3, "资金来源表·金额") in found  # 400,000 + 100,000.01 > 500,000 unplanned
    assert (4, "资金来源表·项目编号") in found and (5, "资金来源表·指标文号") in found
    assert "未写入任何数据" in str(err.value)
    assert book.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0
    assert book.conn.execute("SELECT count(*) FROM project_funding").fetchone()[0] == 0


def test_not_an_xlsx_and_missing_columns(book: Book, template: Path, tmp_path: Path) -> None:
    login_as(book, "clerk")
    with pytest.raises(ValidationError) as err:
        plan_import.import_plan(book, file_name="计划.xlsx", data=b"PK\x03\x04 not really")
    assert err.value.field == "文件"
    wb = openpyxl.Workbook()
    wb.active.title = "项目"
    wb.active.append(["项目编号", "项目名称"])
    wb.create_sheet("资金来源").append(["项目编号", "指标文号", "金额"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(RowErrors) as rows:
        plan_import.import_plan(book, file_name="计划.xlsx", data=buf.getvalue())
    assert any(field == "年度" for _, field, _ in rows.value.errors)


def test_existing_code_refused(book: Book, template: Path) -> None:
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕3号")
    plan_import.import_plan(book, file_name="a.xlsx", data=fill(template, [ROW], []))
    with pytest.raises(RowErrors, match="已存在"):
        plan_import.import_plan(book, file_name="b.xlsx", data=fill(template, [ROW], []))


def _with_plans(template: Path, plans: list[tuple], project_rows: list[dict] | None = None) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(fill(template, project_rows or [], [])))
    for r in plans:
        wb["年度计划数"].append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_annual_plans_import_with_the_plan(book: Book, template: Path) -> None:
    """The optional 年度计划数 sheet: by item code or name, replacing an earlier figure, in the same transaction."""
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕3号", amount=1_000_000_00)
    data = _with_plans(template, [(2026, "ZX01", 1_200_000), (2026, "以工代赈资金", "300,000.50")], [ROW])
    ids = plan_import.import_plan(book, file_name="计划.xlsx", data=data)
    assert len(ids) == 1
    plans = dict(book.conn.execute("SELECT item, amount FROM annual_plans WHERE year = 2026").fetchall())
    assert plans == {"ZX01": 1_200_000_00, "ZX02": 300_000_50}
    only_plans = _with_plans(template, [(2026, "ZX01", 1_500_000)])  # no projects: just the plan figures
    assert plan_import.import_plan(book, file_name="计划2.xlsx", data=only_plans) == []
    assert book.conn.execute("SELECT amount FROM annual_plans WHERE item = 'ZX01'").fetchone()[0] == 1_500_000_00


def test_annual_plan_below_issued_refuses_the_whole_file(book: Book, template: Path) -> None:
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕3号", amount=1_000_000_00)
    data = _with_plans(template, [(2026, "ZX01", 999_999.99), (2026, "ZX02", 5), (2026, "ZX02", 6),
                                  (2026, "不存在的资金", 1), (None, "ZX03", 1)], [ROW])
    with pytest.raises(RowErrors) as err:
        plan_import.import_plan(book, file_name="计划.xlsx", data=data)
    found = {(row, field): reason for row, field, reason in err.value.errors}
    assert "不能少于已下达数" in found[(2, "年度计划数表·年度计划数")]
    assert "与第 3 行重复" in found[(4, "年度计划数表·资金项目")]
    assert (5, "年度计划数表·资金项目") in found and (6, "年度计划数表·年度") in found
    assert book.conn.execute("SELECT count(*) FROM annual_plans").fetchone()[0] == 0
    assert book.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0
