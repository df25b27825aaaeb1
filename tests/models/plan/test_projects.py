"""项目计划: fields, funding lines within what an indicator has unplanned, approval, 调整 with history."""

from __future__ import annotations

import json

import pytest

from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store.book import Book
from app.models.values.errors import NotFound, PermissionDenied, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx


def test_create_project_with_every_field_and_names(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)
    pid = projects.create_project(book, fields=fx.project_fields(
        code="XM-A", households="120", persons=480, poor_households=35, poor_persons=140, infrastructure="是",
        contract_amount=300_000_00, retention_bp="3%", perf_goals="新建棚圈 20 座", mechanism="带动 35 户增收",
        subsidy_standard="每座 1.5 万元", category="产业发展"), funding=[(ind, 400_000_00)])
    p = projects.get(book, pid)
    assert (p["category"], p["category_name"], p["status_name"]) == ("industry", "产业发展", "入库")
    assert (p["households"], p["retention_bp"], p["infrastructure"], p["total"]) == (120, 300, 1, 400_000_00)
    assert projects.planned_on_indicator(book, ind) == 400_000_00
    assert projects.unplanned(book, ind) == 100_000_00
    assert projects.funding_lines(book, pid)[0]["left"] == 400_000_00


@pytest.mark.parametrize(("override", "field"), [
    ({"name": "  "}, "项目名称"),
    ({"category": "不存在的类别"}, "项目类别"),
    ({"start_date": "2026-11-01", "end_date": "2026-10-01"}, "完工日期"),
    ({"start_date": "2026-02-30"}, "开工日期"),
    ({"households": 10, "poor_households": 11}, "其中脱贫户/监测户数"),
    ({"infrastructure": "也许"}, "基础建设类"),
    ({"contract_amount": "12.345"}, "合同金额"),
    ({"retention_bp": "3.01"}, "质保金比例"),
    ({"bond_item": "ZX01"}, "申报债券项目"),
    ({"asset_type": ""}, "资产类型"),
])
def test_each_bad_field_is_refused_by_name_and_nothing_written(book: Book, override: dict, field: str) -> None:
    login_as(book, "clerk")
    with pytest.raises(ValidationError) as err:
        projects.create_project(book, fields=fx.project_fields(**override))
    assert err.value.field == field
    assert book.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0


def test_retention_rate_at_the_rule_limit_passes(book: Book) -> None:
    login_as(book, "clerk")
    pid = projects.create_project(book, fields=fx.project_fields(retention_bp="3"))
    assert projects.get(book, pid)["retention_bp"] == 300


def test_funding_up_to_the_last_fen_unplanned_and_not_one_more(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=100_000_00)
    projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 60_000_00)])
    with pytest.raises(ValidationError) as err:
        projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 40_000_01)])
    assert err.value.field == "资金来源" and "40,000.00" in err.value.message
    projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 40_000_00)])
    assert projects.unplanned(book, ind) == 0


def test_duplicate_code_and_duplicate_line_refused(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    projects.create_project(book, fields=fx.project_fields(code="XM-1"))
    with pytest.raises(ValidationError, match="已存在"):
        projects.create_project(book, fields=fx.project_fields(code="XM-1"))
    with pytest.raises(ValidationError, match="出现两次"):
        projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 1_00), (ind, 2_00)])


def test_bond_money_only_for_the_project_declaring_that_bond(book: Book) -> None:
    login_as(book, "clerk")
    from app.models.ledger import catalogue

    login_as(book, "chief")
    catalogue.add_item(book, kind="ZQ", code="ZQ2601", name="2026年脱贫攻坚债券（农村公路）")
    login_as(book, "clerk")
    bond = register(book, kind="ZQ", item="ZQ2601", source_level="region", amount=200_000_00)
    with pytest.raises(ValidationError, match="债券资金"):
        projects.create_project(book, fields=fx.project_fields(), funding=[(bond, 100_000_00)])
    pid = projects.create_project(book, fields=fx.project_fields(bond_item="ZQ2601", category="infrastructure"),
                                  funding=[(bond, 100_000_00)])
    assert projects.get(book, pid)["bond_item"] == "ZQ2601"


def test_edit_and_delete_only_before_approval(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    pid = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 10_000_00)])
    projects.update_project(book, project_id=pid, fields={"name": "改名后的项目"}, funding=[(ind, 20_000_00)])
    assert (projects.get(book, pid)["name"], projects.get(book, pid)["total"]) == ("改名后的项目", 20_000_00)
    plan.approve_plan(book, project_ids=[pid], decision_no="示扶组发〔2026〕1号", decision_date="2026-04-01")
    with pytest.raises(ValidationError, match="调整"):
        projects.update_project(book, project_id=pid, fields={"name": "再改"})
    with pytest.raises(ValidationError, match="不能删除"):
        projects.delete_project(book, project_id=pid)
    other = projects.create_project(book, fields=fx.project_fields())
    projects.delete_project(book, project_id=other)
    with pytest.raises(NotFound):
        projects.get(book, other)


def test_auditor_cannot_write_the_plan(book: Book) -> None:
    login_as(book, "auditor")
    with pytest.raises(PermissionDenied):
        projects.create_project(book, fields=fx.project_fields())


def test_approval_records_the_decision_and_version_one(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    a = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 10_000_00)])
    b = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 20_000_00)])
    empty = projects.create_project(book, fields=fx.project_fields())
    with pytest.raises(ValidationError, match="资金来源"):
        plan.approve_plan(book, project_ids=[a, empty], decision_no="示扶组发〔2026〕1号", decision_date="2026-04-01")
    with pytest.raises(ValidationError, match="未来"):
        plan.approve_plan(book, project_ids=[a], decision_no="示扶组发〔2026〕1号", decision_date="2026-12-01")
    decision = plan.approve_plan(book, project_ids=[a, b], decision_no="示扶组发〔2026〕1号", decision_date="2026-04-01",
                                 title="关于审定2026年度扶贫项目计划的决定")
    got = projects.get(book, a)
    assert (got["status_name"], got["decision_id"], got["version"], got["decision_no"]) == \
        ("审定", decision, 1, "示扶组发〔2026〕1号")
    history = plan.versions(book, a)
    assert len(history) == 1 and history[0]["data"]["funding"][0]["amount"] == 10_000_00
    with pytest.raises(ValidationError, match="审定"):
        plan.approve_plan(book, project_ids=[a], decision_no="示扶组发〔2026〕2号", decision_date="2026-04-02")
    c = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 1_00)])
    with pytest.raises(ValidationError, match="日期"):
        plan.approve_plan(book, project_ids=[c], decision_no="示扶组发〔2026〕1号", decision_date="2026-04-05")
    assert projects.get(book, empty)["decision_id"] is None


def test_adjustment_needs_a_new_decision_and_keeps_history(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    with pytest.raises(ValidationError, match="新的领导小组决定"):
        plan.adjust_project(book, project_id=pid, fields={}, funding=[(ind, 90_000_00)], reason="压减",
                            decision_no=projects.get(book, pid)["decision_no"], decision_date="2026-04-01")
    with pytest.raises(ValidationError) as err:
        plan.adjust_project(book, project_id=pid, fields={}, funding=[(ind, 90_000_00)], reason=" ",
                            decision_no="示扶组发〔2026〕99号", decision_date="2026-06-01")
    assert err.value.field == "调整理由"
    payment = fx.request(book, pid, ind, payee, 95_000_00)
    fx.approve(book, payment)
    with pytest.raises(ValidationError, match="95,000.00"):
        plan.adjust_project(book, project_id=pid, fields={}, funding=[(ind, 90_000_00)], reason="压减规模",
                            decision_no="示扶组发〔2026〕99号", decision_date="2026-06-01")
    assert book.conn.execute("SELECT count(*) FROM plan_decisions WHERE doc_no = '示扶组发〔2026〕99号'").fetchone()[0] == 0
    version = plan.adjust_project(book, project_id=pid, fields={"name": "调整后的项目"}, funding=[(ind, 96_000_00)],
                                  reason="增加建设内容", decision_no="示扶组发〔2026〕99号", decision_date="2026-06-01")
    assert version == 2
    history = plan.versions(book, pid)
    assert [v["change_name"] for v in history] == ["审定", "调整"]
    assert history[0]["data"]["funding"][0]["amount"] == 100_000_00
    assert history[1]["data"]["project"]["name"] == "调整后的项目" and history[1]["reason"] == "增加建设内容"
    assert json.loads(book.conn.execute("SELECT snapshot FROM plan_versions WHERE version = 2").fetchone()[0])


def test_status_moves_forward_only(book: Book) -> None:
    ind, pid, _payee = fx.setup_funds(book)
    with pytest.raises(ValidationError, match="向后"):
        plan.advance_status(book, project_id=pid, status="pooled")
    plan.advance_status(book, project_id=pid, status="completed")
    assert projects.get(book, pid)["status_name"] == "已完工"
    with pytest.raises(ValidationError, match="向后"):
        plan.advance_status(book, project_id=pid, status="in_progress")
    pooled = projects.create_project(book, fields=fx.project_fields())
    with pytest.raises(ValidationError, match="审定"):
        plan.advance_status(book, project_id=pooled, status="completed")


def test_project_query_filters_and_sorts(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    for i, town in enumerate(("城关镇", "英阿瓦提乡", "城关镇")):
        projects.create_project(book, fields=fx.project_fields(township=town, implementer="县农业农村局"), funding=[(ind, (i + 1) * 1_000_00)])
    q = projects.ProjectQuery(book, text="城关")
    assert q.count() == 2
    rows = projects.ProjectQuery(book).fetch(0, 10, "total", True)
    assert [r["total"] for r in rows] == [3_000_00, 2_000_00, 1_000_00]
    assert projects.ProjectQuery(book).fetch(0, 10, "'; DROP TABLE projects; --", False)


def test_filter_years_are_the_project_years_and_this_year(book: Book) -> None:
    """The 项目计划 tab's year filter, read from the year column alone (issue #22: its first paint decorated every
    project of every year just to list the years)."""
    login_as(book, "clerk")
    assert projects.filter_years(book) == [book.today().year]
    ind = register(book, amount=500_000_00)
    for year in (2026, 2027, 2027):
        projects.create_project(book, fields=fx.project_fields(year=year), funding=[(ind, 1_000_00)])
    assert projects.filter_years(book) == sorted({book.today().year, 2026, 2027}, reverse=True)
    assert projects.filter_years(book) == sorted({int(p["year"]) for p in projects.choices(book)} | {book.today().year},
                                                 reverse=True)


def test_planned_on_is_the_decision_that_completed_the_plan_of_an_indicator(book: Book) -> None:
    from app.models.ledger import deadlines, indicators

    login_as(book, "clerk")
    ind = register(book, amount=100_000_00, received_date="2026-03-10")
    a = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 60_000_00)])
    b = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 40_000_00)])
    plan.approve_plan(book, project_ids=[a], decision_no="示扶组发〔2026〕1号", decision_date="2026-03-20")
    assert deadlines.planned_on(book, {"id": ind}) is None  # 40,000 still waits for the leading group
    plan.approve_plan(book, project_ids=[b], decision_no="示扶组发〔2026〕2号", decision_date="2026-04-15")
    assert deadlines.planned_on(book, {"id": ind}).isoformat() == "2026-04-15"
    plan.adjust_project(book, project_id=a, fields={}, funding=[(ind, 50_000_00)], reason="压减",
                        decision_no="示扶组发〔2026〕3号", decision_date="2026-05-01")
    assert deadlines.planned_on(book, {"id": ind}).isoformat() == "2026-04-15"  # the stage was completed then
    assert projects.unplanned(book, ind) == 10_000_00  # what the adjustment freed waits to be planned again
    stage = next(s for s in deadlines.stages(book, indicators.get(book, ind)) if s["code"] == "county_plan")
    assert stage["late"] is True  # due 2026-04-09 (30 days), the plan was complete only on 2026-04-15
