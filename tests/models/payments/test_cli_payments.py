"""The 项目计划 / 支付审批 commands: template → import → approve → check → form, with Chinese errors."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from app.cli import main as cli
from app.models.payments import query as payment_query
from app.models.plan import projects
from app.models.store.book import Book, open_book
from tests.conftest import PASSWORD, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx


@pytest.fixture
def on_disk(book: Book) -> Path:
    """The fixture's bureau with one indicator, closed so the CLI can open it."""
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕3号", amount=500_000_00)
    path = book.path
    book.close(backup=False)
    return path


def test_plan_from_template_to_approval(on_disk: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    template = tmp_path / "计划.xlsx"
    assert cli.run(["plan-template", str(template), "--db", str(on_disk)]) == 0
    wb = openpyxl.load_workbook(template)
    ws = wb["项目"]
    headers = [c.value for c in ws[1]]
    row = {"项目编号*": "XM-CLI-1", "年度*": 2026, "项目名称*": "命令行导入的项目", "项目类别*": "产业发展",
           "建设性质*": "新建", "乡镇*": "城关镇", "建设任务*": "建设棚圈", "开工日期*": "2026-04-01",
           "完工日期*": "2026-10-31", "实施单位*": "城关镇人民政府", "责任人*": "张三", "资产类型*": "经营性"}
    ws.append([row.get(h) for h in headers])
    wb["资金来源"].append(["XM-CLI-1", "新财农〔2026〕3号", 2026, 100000])
    wb.save(template)
    assert cli.run(["import-plan", str(on_disk), str(template), "--user", "clerk"]) == 0
    assert cli.run(["approve-plan", str(on_disk), "--decision", "示扶组发〔2026〕1号", "--date", "2026-04-01",
                    "--user", "clerk"]) == 0
    assert cli.run(["approve-plan", str(on_disk), "--decision", "示扶组发〔2026〕2号", "--date", "2026-04-01",
                    "--projects", "XM-404", "--user", "clerk"]) == 2
    err = capsys.readouterr().err
    assert "错误" in err and "XM-404" in err
    book = open_book(on_disk, read_only=True)
    try:
        got = projects.by_code(book, "XM-CLI-1")
        assert got and got["status_name"] == "审定" and got["total"] == 100_000_00
    finally:
        book.close()


def test_check_and_form_of_a_request(on_disk: Path, tmp_path: Path, capsys) -> None:
    book = open_book(on_disk)
    try:
        login_as(book, "clerk")
        ind = book.conn.execute("SELECT id FROM indicators").fetchone()[0]
        pid = fx.approved_project(book, [(ind, 100_000_00)])
        pay = fx.request(book, pid, ind, fx.enterprise(book), 12_345_00, usage="bonuses")
        request_no = payment_query.get(book, pay)["request_no"]
    finally:
        book.close(backup=False)
    assert cli.run(["check-payment", str(on_disk), request_no]) == 1  # 奖金津贴 is on the negative list
    assert "✗ 支出用途符合资金性质" in capsys.readouterr().out
    pdf = tmp_path / "单.pdf"
    assert cli.run(["payment-form", str(on_disk), request_no, str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert cli.run(["payments", str(on_disk), "--status", "draft"]) == 0
    assert request_no in capsys.readouterr().out
    assert cli.run(["payment-form", str(on_disk), "SQ1999-0001", str(tmp_path / "x.pdf")]) == 2


def test_advance_projects_moves_a_2026_project_into_reserve(book: Book, monkeypatch, capsys) -> None:
    """Under xj-2021 (2021 on) approve-plan refuses a project at 入库（申报）; advance-projects moves it to 储备."""
    from app.models.store import rule_sets

    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕3号", amount=500_000_00)
    projects.create_project(book, fields=fx.project_fields(code="XM-CLI-2"), funding=[(ind, 100_000_00)])
    path = book.path
    book.close(backup=False)
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    approve = ["approve-plan", str(path), "--decision", "示扶组发〔2026〕1号", "--date", "2026-04-01",
               "--projects", "XM-CLI-2", "--user", "clerk"]
    assert cli.run(approve) == 2
    assert "储备" in capsys.readouterr().err
    assert cli.run(["advance-projects", str(path), "--projects", "XM-CLI-2", "--user", "clerk"]) == 0
    assert "入库（申报） → 储备（论证通过，纳入项目库）" in capsys.readouterr().out
    assert cli.run(["advance-projects", str(path), "--projects", "XM-CLI-2", "--user", "clerk"]) == 2
    assert "待审定，请用 approve-plan" in capsys.readouterr().err
    assert cli.run(approve) == 0
    with open_book(path, read_only=True) as ro:
        assert projects.by_code(ro, "XM-CLI-2")["status_name"] == "纳入年度实施计划"
