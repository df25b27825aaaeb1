"""支付审批 workflow: the done-when flow, every illegal transition, idempotency, closed months, money."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models.ledger import account as ledger
from app.models.ledger import indicators
from app.models.ledger import query as ledger_query
from app.models.payments import checks
from app.models.payments import query as payment_query
from app.models.payments import requests as payments
from app.models.payments.requests import TransitionError
from app.models.plan import projects
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import AppError, ClosedPeriodError, PermissionDenied, ValidationError
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


def count(book: Book, table: str) -> int:
    return int(book.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_done_when_refused_for_prohibited_use_fixed_approved_paid_and_ledger_moves(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    balance_before = indicators.get(book, ind)["available"]
    zx_before = ledger_query.balances(book, month="2026-05", kind="ZX")[0]
    pay = fx.request(book, pid, ind, payee, 120_000_00, usage="vehicles_comms", purpose="购买项目用车")
    refused = payments.submit(book, payment_id=pay)
    assert refused["blocked"] and refused["payment"]["status"] == "returned"
    assert "购买交通工具及通讯设备" in refused["payment"]["return_reason"]
    stored = {c["rule"]: c for c in checks.stored(book, pay)}
    assert stored["usage"]["outcome"] == "fail" and stored["usage"]["stage"] == "submit"
    assert len(stored) == len(checks.RULES)
    fx_args = {"project_id": pid, "indicator_id": ind, "payee_id": payee, "amount": 120_000_00, "kind": "progress",
               "usage": "industry", "func_code": "2130505", "econ_code": "31005", "method": "direct",
               "draft_date": "2026-05-06", "purpose": "养殖棚圈建设进度款"}
    payments.update(book, payment_id=pay, **fx_args)
    assert payment_query.get(book, pay)["status"] == "draft"
    with pytest.raises(PermissionDenied, match="本人"):
        payments.submit(book, payment_id=pay) and payments.review(book, payment_id=pay)
    login_as(book, "reviewer")
    approved = payments.review(book, payment_id=pay)
    assert approved["payment"]["status"] == "approved" and not approved["blocked"]
    assert {c["stage"] for c in checks.stored(book, pay)} == {"review"}
    login_as(book, "clerk")
    entry = payments.mark_paid(book, payment_id=pay, voucher_no="ZF2026050001", pay_date="2026-05-12")
    assert ledger.entry(book, entry)["payment_id"] == pay
    assert indicators.get(book, ind)["available"] == balance_before - 120_000_00
    zx_after = ledger_query.balances(book, month="2026-05", kind="ZX")[0]
    assert zx_after["expenditure_month"] == zx_before["expenditure_month"] + 120_000_00
    assert zx_after["closing"] == zx_before["closing"] - 120_000_00
    got = payment_query.get(book, pay)
    assert (got["status_name"], got["voucher_no"], got["pay_date"]) == ("已支付", "ZF2026050001", "2026-05-12")
    assert projects.get(book, pid)["status_name"] == "实施中"
    actions = [e["action"] for e in payment_query.events(book, pay)]
    assert actions == ["draft", "return", "edit", "submit", "review", "paid"]


ILLEGAL = [
    ("draft", "review"), ("draft", "return"), ("draft", "paid"),
    ("submitted", "submit"), ("submitted", "edit"), ("submitted", "paid"),
    ("approved", "submit"), ("approved", "edit"), ("approved", "review"), ("approved", "return"),
    ("paid", "submit"), ("paid", "edit"), ("paid", "review"), ("paid", "return"), ("paid", "void"), ("paid", "paid"),
    ("returned", "review"), ("returned", "paid"), ("returned", "return"),
    ("voided", "submit"), ("voided", "edit"), ("voided", "review"), ("voided", "paid"), ("voided", "void"),
]


def bring_to(book: Book, state: str) -> tuple[int, dict]:
    ind, pid, payee = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, payee, 10_000_00)
    args = {"project_id": pid, "indicator_id": ind, "payee_id": payee, "amount": 10_000_00, "kind": "progress",
            "usage": "industry", "func_code": "2130505", "econ_code": "31005", "method": "direct",
            "draft_date": "2026-05-06"}
    if state in ("submitted", "approved", "paid", "returned"):
        payments.submit(book, payment_id=pay)
    login_as(book, "reviewer")
    if state == "returned":
        payments.return_payment(book, payment_id=pay, reason="附件不全")
    if state in ("approved", "paid"):
        payments.review(book, payment_id=pay)
    if state == "voided":
        payments.void(book, payment_id=pay, reason="重复申请")
    login_as(book, "clerk")
    if state == "paid":
        payments.mark_paid(book, payment_id=pay, voucher_no="ZF1", pay_date="2026-05-10")
    assert payment_query.get(book, pay)["status"] == state
    return pay, args


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_transition_is_refused(book: Book, state: str, action: str) -> None:
    pay, args = bring_to(book, state)
    audit_before = count(book, "audit_log")
    login_as(book, "reviewer" if action in ("review", "return", "void") else "clerk")
    calls = {
        "submit": lambda: payments.submit(book, payment_id=pay, reason="理由"),
        "edit": lambda: payments.update(book, payment_id=pay, **args),
        "review": lambda: payments.review(book, payment_id=pay, override_note="同意"),
        "return": lambda: payments.return_payment(book, payment_id=pay, reason="退回"),
        "void": lambda: payments.void(book, payment_id=pay, reason="作废"),
        "paid": lambda: payments.mark_paid(book, payment_id=pay, voucher_no="ZF9", pay_date="2026-05-11"),
    }
    with pytest.raises(TransitionError) as err:
        calls[action]()
    assert err.value.field == "状态"
    assert payment_query.get(book, pay)["status"] == state
    assert count(book, "audit_log") == audit_before


def test_double_submit_creates_one_payment(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book)
    first = fx.request(book, pid, ind, payee, 5_000_00, client_token="form-1")
    again = fx.request(book, pid, ind, payee, 5_000_00, client_token="form-1")
    assert first == again and count(book, "payments") == 1
    payments.submit(book, payment_id=first)
    with pytest.raises(TransitionError):
        payments.submit(book, payment_id=first)
    assert [e["action"] for e in payment_query.events(book, first)].count("submit") == 1


def test_amount_above_what_is_left_refused_before_saving_and_last_fen_accepted(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    with pytest.raises(ValidationError) as err:
        fx.request(book, pid, ind, payee, 100_000_01)
    assert err.value.field == "金额" and count(book, "payments") == 0
    pay = fx.request(book, pid, ind, payee, 100_000_00)
    assert payments.submit(book, payment_id=pay)["payment"]["status"] == "submitted"


def test_in_flight_requests_count_against_what_is_left(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    a = fx.request(book, pid, ind, payee, 60_000_00)
    b = fx.request(book, pid, ind, payee, 50_000_00)  # both fit alone: drafts promise nothing yet
    payments.submit(book, payment_id=a)
    result = payments.submit(book, payment_id=b)
    assert result["payment"]["status"] == "returned"
    failed = {o.rule for o in result["outcomes"] if o.outcome == "fail"}
    assert failed == {"indicator_balance", "project_balance"}


def test_closed_month_refuses_a_request_dated_in_it(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, payee, 10_000_00)
    fx.approve(book, pay)
    login_as(book, "chief")
    periods.close_month(book, month="2026-05")
    login_as(book, "clerk")
    with pytest.raises(ClosedPeriodError):
        fx.request(book, pid, ind, payee, 1_00, draft_date="2026-05-20")
    with pytest.raises(ClosedPeriodError):
        payments.mark_paid(book, payment_id=pay, voucher_no="ZF1", pay_date="2026-05-25")
    payments.mark_paid(book, payment_id=pay, voucher_no="ZF1", pay_date="2026-06-02")
    assert payment_query.get(book, pay)["status"] == "paid"


def test_paid_month_closed_freezes_the_payment_in_the_database(book: Book) -> None:
    pay, _args = bring_to(book, "paid")
    login_as(book, "chief")
    periods.close_month(book, month="2026-05")
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        book.conn.execute("UPDATE payments SET purpose = '改动' WHERE id = ?", (pay,))


def test_void_rules(book: Book) -> None:
    pay, _args = bring_to(book, "approved")
    with pytest.raises(PermissionDenied, match="只能由审核人作废"):
        payments.void(book, payment_id=pay, reason="不再需要")
    login_as(book, "reviewer")
    with pytest.raises(ValidationError) as err:
        payments.void(book, payment_id=pay, reason="  ")
    assert err.value.field == "作废理由"
    payments.void(book, payment_id=pay, reason="项目变更，改由其他资金支付")
    got = payment_query.get(book, pay)
    assert (got["status_name"], got["void_reason"]) == ("作废", "项目变更，改由其他资金支付")


def test_return_needs_a_reason_and_can_be_fixed_and_resubmitted(book: Book) -> None:
    pay, args = bring_to(book, "submitted")
    login_as(book, "reviewer")
    with pytest.raises(ValidationError):
        payments.return_payment(book, payment_id=pay, reason="")
    payments.return_payment(book, payment_id=pay, reason="缺少验收单")
    login_as(book, "clerk2")
    with pytest.raises(PermissionDenied, match="起草人"):
        payments.update(book, payment_id=pay, **args)
    login_as(book, "clerk")
    payments.update(book, payment_id=pay, **(args | {"purpose": "附验收单"}))
    assert payments.submit(book, payment_id=pay)["payment"]["status"] == "submitted"


def test_soft_limit_needs_clerk_reason_and_reviewer_override(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    pay = fx.request(book, pid, ind, payee, 50_000_01, kind="prepayment")
    with pytest.raises(ValidationError) as err:
        payments.submit(book, payment_id=pay)
    assert err.value.field == "超限理由" and payment_query.get(book, pay)["status"] == "draft"
    assert count(book, "payment_checks") == 0
    payments.submit(book, payment_id=pay, reason="设备须整批订购，供货商要求预付")
    login_as(book, "reviewer")
    with pytest.raises(ValidationError) as err:
        payments.review(book, payment_id=pay)
    assert err.value.field == "审核意见" and "设备须整批订购" in err.value.message
    payments.review(book, payment_id=pay, override_note="已核实合同条款，同意")
    got = payment_query.get(book, pay)
    assert (got["status"], got["soft_reason"], got["override_note"]) == \
        ("approved", "设备须整批订购，供货商要求预付", "已核实合同条款，同意")
    assert {c["rule"]: c["outcome"] for c in checks.stored(book, pay)}["prepayment"] == "warn"


def test_mark_paid_is_all_or_nothing_with_the_ledger(book: Book) -> None:
    pay, _args = bring_to(book, "approved")
    got = payment_query.get(book, pay)
    with pytest.raises(ValidationError) as err:
        payments.mark_paid(book, payment_id=pay, voucher_no="ZF1", pay_date="2026-05-01")
    assert err.value.field == "支付日期"
    with pytest.raises(ValidationError):
        payments.mark_paid(book, payment_id=pay, voucher_no="ZF1", pay_date=dt.date(2026, 12, 1))
    # money left through another door after approval: the ledger refuses, and the request stays approved
    ledger.post_expenditure(book, indicator_id=got["indicator_id"], amount=indicators.available(book, got["indicator_id"]),
                            entry_date=dt.date(2026, 5, 8), voucher_no="ZF-OTHER", payment_id=None, summary="其他支出")
    entries = count(book, "ledger_entries")
    with pytest.raises(AppError):
        payments.mark_paid(book, payment_id=pay, voucher_no="ZF2", pay_date="2026-05-10")
    assert payment_query.get(book, pay)["status"] == "approved" and count(book, "ledger_entries") == entries


def test_payee_required_unless_real_name_list(book: Book) -> None:
    ind, pid, _payee = fx.setup_funds(book)
    with pytest.raises(ValidationError) as err:
        fx.request(book, pid, ind, None, 1_000_00)
    assert err.value.field == "收款人"
    pay = fx.request(book, pid, ind, None, 2_000_00, kind="household_subsidy", usage="household_subsidy")
    assert payment_query.get(book, pay)["payee_display"] == "实名制名册（未导入）"


@pytest.mark.parametrize(("field", "value", "label"), [
    ("kind", "gift", "支付类型"), ("usage", "nothing", "支出用途"), ("method", "cash", "支付方式"),
    ("func_code", "21305x", "功能科目"), ("econ_code", "", "经济科目"), ("draft_date", "2026-13-01", "申请日期"),
    ("draft_date", "2026-03-01", "申请日期"), ("amount", "0", "金额"), ("amount", "1.234", "金额"),
])
def test_bad_fields_refused_by_name(book: Book, field: str, value: str, label: str) -> None:
    ind, pid, payee = fx.setup_funds(book)
    args = {"amount": 1_000_00} | {field: value}
    with pytest.raises(ValidationError) as err:
        fx.request(book, pid, ind, payee, **args)
    assert err.value.field == label and count(book, "payments") == 0


def test_payment_list_filters(book: Book) -> None:
    pay, _ = bring_to(book, "approved")
    assert payment_query.PaymentQuery(book, status="approved").count() == 1
    assert payment_query.PaymentQuery(book, status="paid").count() == 0
    rows = payment_query.PaymentQuery(book, text="示例").fetch(0, 10, "amount", True)
    assert rows[0]["id"] == pay and rows[0]["status_name"] == "已审核"
    assert payment_query.counts(book) == {"approved": 1}
