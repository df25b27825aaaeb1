"""Every payment rule: one case it blocks (or warns on) and the boundary that passes — 30 %, 50 %, 1 %, 3 %,
the last 分 left on an indicator — all from the rule set."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.models.ledger import catalogue
from app.models.payments import checks
from app.models.plan import decisions as plan
from app.models.plan import payees, projects
from app.models.store.book import Book
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx


def outcome(book: Book, rule: str, **draft: object) -> checks.Outcome:
    result = {o.rule: o for o in checks.evaluate(book, checks.Draft(**draft))}  # type: ignore[arg-type]
    return result[rule]


def base(pid: int, ind: int, payee: int | None, amount: int, **kw: object) -> dict[str, object]:
    return {"project_id": pid, "indicator_id": ind, "payee_id": payee, "amount": amount, "kind": "progress",
            "usage": "industry", "method": "direct"} | kw


def test_rules_come_from_the_rule_set(book: Book) -> None:
    r = book.rules.ratios
    assert (r.prepayment.value, r.infra_prepayment.value, r.management_fee.value, r.retention.value,
            r.labour_share.value) == (Fraction(1, 2), Fraction(3, 10), Fraction(1, 100), Fraction(3, 100), Fraction(3, 10))
    assert checks.scope_of(book, r.management_fee.base) == ({"central"}, {"ZX"})
    assert checks.scope_of(book, r.labour_share.base) == ({"central"}, None)


def test_last_fen_on_the_indicator_passes_one_more_fails(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    assert outcome(book, "indicator_balance", **base(pid, ind, payee, 100_000_00)).outcome == "pass"
    failed = outcome(book, "indicator_balance", **base(pid, ind, payee, 100_000_01))
    assert failed.outcome == "fail" and failed.limit == "100,000.00 元"


def test_project_line_boundary(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=100_000_00)
    pid = fx.approved_project(book, [(ind, 40_000_00)])
    payee = fx.enterprise(book)
    assert outcome(book, "project_balance", **base(pid, ind, payee, 40_000_00)).outcome == "pass"
    assert outcome(book, "project_balance", **base(pid, ind, payee, 40_000_01)).outcome == "fail"
    other = register(book, amount=10_000_00)
    missing = outcome(book, "project_balance", **base(pid, other, payee, 1_00))
    assert missing.outcome == "fail" and "没有指标" in missing.message


def test_plan_must_be_approved(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    pooled = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 10_000_00)])
    assert outcome(book, "plan", **base(pooled, ind, None, 1_00)).outcome == "fail"
    plan.approve_plan(book, project_ids=[pooled], decision_no="示扶组发〔2026〕1号", decision_date="2026-04-01")
    assert outcome(book, "plan", **base(pooled, ind, None, 1_00)).outcome == "pass"


@pytest.mark.parametrize(("kind", "item", "usage", "expected"), [
    ("ZX", "ZX01", "vehicles_comms", "fail"),        # negative list
    ("ZX", "ZX01", "industry", "pass"),
    ("ZH", "ZH01", "village_public_facilities", "fail"),
    ("ZH", "ZH01", "rural_environment", "fail"),     # only by the exception
    ("YD", "YD01", "industry", "fail"),              # positive list
    ("YD", "YD01", "relocation_housing", "pass"),
])
def test_usage_by_fund_kind(book: Book, kind: str, item: str, usage: str, expected: str) -> None:
    login_as(book, "clerk")
    ind = register(book, kind=kind, item=item)
    pid = fx.approved_project(book, [(ind, 10_000_00)])
    assert outcome(book, "usage", **base(pid, ind, None, 1_00, usage=usage)).outcome == expected


def test_zh_exception_by_decision_and_other_channel_funds(book: Book) -> None:
    login_as(book, "clerk")
    zh = register(book, kind="ZH", item="ZH01")
    pid = fx.approved_project(book, [(zh, 10_000_00)], usage_exception_doc="示扶组发〔2026〕3号")
    got = outcome(book, "usage", **base(pid, zh, None, 1_00, usage="rural_environment"))
    assert got.outcome == "pass" and "示扶组发〔2026〕3号" in got.message
    qt = register(book, kind="QT", item="QT05", poverty_use=False)
    pid2 = fx.approved_project(book, [(qt, 10_000_00)])
    assert outcome(book, "usage", **base(pid2, qt, None, 1_00, usage="unrelated")).message.startswith("不适用")


def test_direct_payment_only(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book)
    assert outcome(book, "direct_payment", **base(pid, ind, payee, 1_00)).outcome == "pass"
    for method in ("authorized", "special_account", "unit_account"):
        assert outcome(book, "direct_payment", **base(pid, ind, payee, 1_00, method=method)).outcome == "fail"
    assert outcome(book, "direct_payment", **base(pid, ind, None, 1_00)).outcome == "fail"
    payees.set_active(book, payee_id=payee, active=False)
    assert outcome(book, "direct_payment", **base(pid, ind, payee, 1_00)).outcome == "fail"


def test_payee_uscc_warns_until_confirmed(book: Book) -> None:
    ind, pid, _ = fx.setup_funds(book)
    doubtful = fx.enterprise(book, id_code=fx.bad_uscc(77), account_no="6222999900001111")
    assert outcome(book, "payee_id", **base(pid, ind, doubtful, 1_00)).outcome == "warn"
    login_as(book, "reviewer")
    payees.confirm_id(book, payee_id=doubtful)
    assert outcome(book, "payee_id", **base(pid, ind, doubtful, 1_00)).outcome == "pass"


def test_bond_money_only_for_the_declared_project(book: Book) -> None:
    login_as(book, "chief")
    catalogue.add_item(book, kind="ZQ", code="ZQ2601", name="2026年脱贫攻坚债券（农村公路）")
    login_as(book, "clerk")
    bond = register(book, kind="ZQ", item="ZQ2601", source_level="region", amount=100_000_00)
    road = fx.approved_project(book, [(bond, 100_000_00)], bond_item="ZQ2601", category="infrastructure")
    other = fx.approved_project(book, [(register(book), 10_000_00)])
    ok = outcome(book, "bond_project", **base(road, bond, None, 1_00, usage="rural_roads"))
    assert ok.outcome == "pass"
    bad = outcome(book, "bond_project", **base(other, bond, None, 1_00, usage="rural_roads"))
    assert bad.outcome == "fail" and "不得自行调整" in bad.message


def test_prepayment_exactly_half_passes_one_fen_more_warns(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    assert outcome(book, "prepayment", **base(pid, ind, payee, 50_000_00, kind="prepayment")).outcome == "pass"
    warned = outcome(book, "prepayment", **base(pid, ind, payee, 50_000_01, kind="prepayment"))
    assert warned.outcome == "warn" and "原则上" in warned.message
    assert outcome(book, "prepayment", **base(pid, ind, payee, 90_000_00)).message.startswith("不适用")


def test_prepayments_add_up_across_requests(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    first = fx.request(book, pid, ind, payee, 30_000_00, kind="prepayment")
    fx.approve(book, first)
    assert outcome(book, "prepayment", **base(pid, ind, payee, 20_000_00, kind="prepayment")).outcome == "pass"
    assert outcome(book, "prepayment", **base(pid, ind, payee, 20_000_01, kind="prepayment")).outcome == "warn"


def test_infrastructure_prepayment_exactly_30_percent_of_contract(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=100_000_00)
    pid = fx.approved_project(book, [(ind, 100_000_00)], infrastructure=True, contract_amount=80_000_00,
                              category="infrastructure")
    assert outcome(book, "infra_prepayment", **base(pid, ind, None, 24_000_00, kind="prepayment")).outcome == "pass"
    assert outcome(book, "infra_prepayment", **base(pid, ind, None, 24_000_01, kind="prepayment")).outcome == "warn"
    no_contract = fx.approved_project(book, [(register(book), 10_000_00)], infrastructure=True)
    assert outcome(book, "infra_prepayment",
                   **base(no_contract, ind, None, 1_00, kind="prepayment")).outcome == "warn"


def test_management_fee_exactly_1_percent_of_central_zx_of_the_year(book: Book) -> None:
    login_as(book, "clerk")
    central = register(book, amount=10_000_000_00)              # central ZX: the base
    register(book, amount=5_000_000_00, source_level="region")  # not in the base
    register(book, kind="ZH", item="ZH01", amount=5_000_000_00)  # not ZX
    pid = fx.approved_project(book, [(central, 1_000_000_00)], category="management_fee")
    fee = {"kind": "management_fee", "usage": "management_fee"}
    assert outcome(book, "management_fee", **base(pid, central, None, 100_000_00, **fee)).outcome == "pass"
    over = outcome(book, "management_fee", **base(pid, central, None, 100_000_01, **fee))
    assert over.outcome == "fail" and "100,000.00" in over.limit
    assert checks.fee_cap_base(book, 2026) == 10_000_000_00


def test_retention_exactly_3_percent_of_contract(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=100_000_00)
    pid = fx.approved_project(book, [(ind, 100_000_00)], contract_amount=90_000_00, retention_bp=300)
    assert outcome(book, "retention", **base(pid, ind, None, 2_700_00, kind="retention")).outcome == "pass"
    assert outcome(book, "retention", **base(pid, ind, None, 2_700_01, kind="retention")).outcome == "fail"
    bare = fx.approved_project(book, [(register(book), 10_000_00)])
    assert outcome(book, "retention", **base(bare, ind, None, 1_00, kind="retention")).outcome == "fail"


def test_labour_share_of_work_relief_exactly_30_percent(book: Book) -> None:
    login_as(book, "clerk")
    central = register(book, item="ZX02", amount=100_000_00)
    pid = fx.approved_project(book, [(central, 100_000_00)], work_relief=True, category="infrastructure")
    payee = fx.enterprise(book)
    works = {"usage": "work_relief"}
    assert outcome(book, "labour_share", **base(pid, central, payee, 70_000_00, **works)).outcome == "pass"
    low = outcome(book, "labour_share", **base(pid, central, payee, 70_000_01, **works))
    assert low.outcome == "warn" and "30%" in low.message
    labour = outcome(book, "labour_share", **base(pid, central, None, 99_000_00, kind="labour_pay", usage="labour_pay"))
    assert labour.outcome == "pass" and labour.message.startswith("不适用")
    plain = fx.approved_project(book, [(register(book), 10_000_00)])
    assert outcome(book, "labour_share", **base(plain, central, payee, 1_00)).message.startswith("不适用")


def test_real_name_list_required_and_total_matches(book: Book) -> None:
    ind, pid, _ = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, None, 3_000_00, kind="household_subsidy", usage="household_subsidy")
    args = base(pid, ind, None, 3_000_00, kind="household_subsidy", usage="household_subsidy", payment_id=pay)
    assert outcome(book, "real_name", **args).outcome == "fail"
    fx.attach_roster(book, pay, fx.households(3))
    got = outcome(book, "real_name", **args)
    assert got.outcome == "pass" and got.actual.startswith("3 人")
    assert outcome(book, "real_name", **(args | {"amount": 3_000_01})).outcome == "fail"


def test_preview_shows_what_is_left_and_the_prepayment_ratio(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=200_000_00)
    pid = fx.approved_project(book, [(ind, 80_000_00)])
    got = checks.preview(book, base(pid, ind, None, 30_000_00, kind="prepayment"))
    assert (got["indicator_left_after"], got["line_left_after"], got["prepayment_ratio_after"]) == \
        (170_000_00, 50_000_00, "37.50%")
    assert got["blocked"]  # no payee chosen yet
    assert [o.rule for o in got["outcomes"]] == list(checks.RULES)
