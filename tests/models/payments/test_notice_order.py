"""事前公示 as a hard payment check and the recorded exceptions the rules allow (issue #18 items 2 and 4):
a payment requested before the project's plan notice has been on the board the rule set's minimum days is refused,
the same request dated on the day it has is allowed; the chief's recorded exception (document, reason, audited)
turns the refusal into a warning the reviewer must confirm; 31 October exemptions need the region's document; the
质保金 limit is taken of the settled price once it is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models.ledger import exemptions, progress
from app.models.payments import checks, exceptions
from app.models.payments import requests as payments
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store.book import Book
from app.models.values.errors import PermissionDenied, ValidationError
from tests.conftest import login_as, post_plan_notice
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx

D = dt.date


def unnoticed_project(book: Book) -> tuple[int, int, int]:
    """(indicator, project approved 2026-04-01 without any notice yet, payee), as the clerk."""
    login_as(book, "clerk")
    ind = register(book)
    pid = projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 1_000_000_00)])
    plan.approve_plan(book, project_ids=[pid], decision_no="示扶组发〔2026〕88号", decision_date=D(2026, 4, 1))
    return ind, pid, fx.enterprise(book)


def outcome(book: Book, payment_id: int) -> dict[str, Any]:
    return next(o for o in checks.stored(book, payment_id) if o["rule"] == "notice_order")


def test_minimum_days_come_from_the_rule_set_with_their_basis(book: Book) -> None:
    order = book.rules.notice_order
    assert order.min_days == 10 and order.required_kind == "project_plan" and "国开办发" in order.basis


def test_refused_before_the_minimum_days_and_allowed_on_the_day_they_are_reached(book: Book) -> None:
    ind, pid, payee = unnoticed_project(book)
    none = fx.request(book, pid, ind, payee, 100_00, draft_date=D(2026, 5, 6))
    result = payments.submit(book, payment_id=none)
    assert result["payment"]["status"] == "returned" and "事前公示未满 10 天" in result["payment"]["return_reason"]
    assert outcome(book, none)["outcome"] == "fail" and "没有有效的项目计划安排公告" in outcome(book, none)["actual"]

    post_plan_notice(book, pid, D(2026, 5, 1), level="village")
    login_as(book, "clerk")
    early = fx.request(book, pid, ind, payee, 100_00, draft_date=D(2026, 5, 10))  # 9 days on the board
    assert payments.submit(book, payment_id=early)["payment"]["status"] == "returned"
    assert "2026-05-11 方满 10 天" in outcome(book, early)["message"]

    on_time = fx.request(book, pid, ind, payee, 100_00, draft_date=D(2026, 5, 11))  # the 10th full day has passed
    fx.approve(book, on_time)
    assert payments.get(book, on_time)["status"] == "approved"
    assert outcome(book, on_time)["outcome"] == "pass"


def test_a_notice_taken_down_early_or_from_before_the_approval_does_not_count(book: Book) -> None:
    ind, pid, payee = unnoticed_project(book)
    from app.models.notices import records as notices

    nid = post_plan_notice(book, pid, D(2026, 4, 10))
    login_as(book, "clerk")
    notices.update_notice(book, notice_id=nid, fields={"end_date": D(2026, 4, 15)})  # six days on the board, then gone
    y = fx.request(book, pid, ind, payee, 100_00, draft_date=D(2026, 6, 1))
    assert payments.submit(book, payment_id=y)["payment"]["status"] == "returned"


def test_the_chiefs_recorded_exception_turns_the_refusal_into_a_confirmed_warning(book: Book) -> None:
    ind, pid, payee = unnoticed_project(book)
    login_as(book, "clerk")
    with pytest.raises(PermissionDenied):  # only the chief records it
        exceptions.grant_notice_exception(book, project_id=pid, doc_no="示政办函〔2026〕9号", reason="抢农时先行支付")
    login_as(book, "chief")
    with pytest.raises(ValidationError) as exc:
        exceptions.grant_notice_exception(book, project_id=pid, doc_no="  ", reason="抢农时先行支付")
    assert exc.value.field == "文号" and "没有文件" in exc.value.message
    with pytest.raises(ValidationError):
        exceptions.grant_notice_exception(book, project_id=pid, doc_no="示政办函〔2026〕9号", reason="急")
    head = book.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    exceptions.grant_notice_exception(book, project_id=pid, doc_no="示政办函〔2026〕9号", reason="抢农时先行支付种苗款")
    audited = book.conn.execute("SELECT op, tbl, actor FROM audit_log WHERE seq > ?", (head,)).fetchall()
    assert [(r["op"], r["tbl"]) for r in audited] == [("grant_notice_exception", "notice_exceptions")]
    login_as(book, "clerk")
    y = fx.request(book, pid, ind, payee, 100_00, draft_date=D(2026, 5, 6))
    with pytest.raises(ValidationError):  # a warning: the clerk must give a reason …
        payments.submit(book, payment_id=y)
    fx.approve(book, y, reason="种苗季节性强，经批准先行支付", override="已核对例外批准文件")  # … the reviewer confirms it
    o = outcome(book, y)
    assert payments.get(book, y)["status"] == "approved"
    assert o["outcome"] == "warn" and "示政办函〔2026〕9号" in o["message"] and "局长甲" in o["message"]


def test_year_end_exemption_needs_the_regions_document_and_lowers_what_31_october_expects(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)
    for bad in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            exemptions.record_year_end_exemption(book, indicator_id=ind, year=2026, amount=100_000_00, doc_no=bad,
                                                 doc_date=D(2026, 10, 20))
        assert exc.value.field == "自治区审定文号"
    with pytest.raises(ValidationError):  # more than the indicator
        exemptions.record_year_end_exemption(book, indicator_id=ind, year=2026, amount=600_000_00,
                                             doc_no="新财农〔2026〕200号", doc_date=D(2026, 10, 20))
    assert book.conn.execute("SELECT count(*) FROM year_end_exemptions").fetchone()[0] == 0
    before = {k.kind: k for k in progress.by_kind(book, D(2026, 11, 15))}["ZX"]
    exemptions.record_year_end_exemption(book, indicator_id=ind, year=2026, amount=100_000_00,
                                         doc_no="新财农〔2026〕200号", doc_date=D(2026, 10, 20), reason="跨年工程")
    after = {k.kind: k for k in progress.by_kind(book, D(2026, 11, 15))}["ZX"]
    assert before.unpaid - after.unpaid == 100_000_00
    assert {k.kind: k for k in progress.by_kind(book, D(2026, 10, 19))}["ZX"].exempt == before.exempt  # not yet approved


def test_retention_on_the_settled_price_once_recorded(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book)
    with book.write("edit_project") as conn:  # a contract of 1,000,000.00 元 on the project (test set-up)
        conn.execute("UPDATE projects SET contract_amount = 100000000, retention_bp = 300 WHERE id = ?", (pid,))
    draft = checks.Draft(pid, ind, payee, 29_000_00, "retention", "industry", "direct")
    ret = next(o for o in checks.evaluate(book, draft) if o.rule == "retention")
    assert ret.outcome == "pass" and "合同金额" in ret.message  # 2.9 % of the contract
    with pytest.raises(ValidationError):
        exceptions.record_settlement(book, project_id=pid, amount=900_000_00, settled_on=D(2026, 10, 1), doc_no="")
    exceptions.record_settlement(book, project_id=pid, amount=900_000_00, settled_on=D(2026, 10, 1),
                                 doc_no="示审结〔2026〕12号")
    ret = next(o for o in checks.evaluate(book, draft) if o.rule == "retention")
    assert ret.outcome == "fail" and "工程结算价" in ret.message  # 29,000 > 3 % of 900,000 = 27,000
    exact = checks.Draft(pid, ind, payee, 27_000_00, "retention", "industry", "direct")
    assert next(o for o in checks.evaluate(book, exact) if o.rule == "retention").outcome == "pass"


def test_w15_lists_money_paid_before_the_notice_matured_and_not_after(book: Book) -> None:
    from app.models.warnings import engine

    ind, pid, payee = unnoticed_project(book)
    post_plan_notice(book, pid, D(2026, 5, 1), level="village")
    login_as(book, "clerk")
    on_time = fx.request(book, pid, ind, payee, 100_00, draft_date=D(2026, 5, 11))
    fx.approve(book, on_time)
    payments.mark_paid(book, payment_id=on_time, voucher_no="V-OK", pay_date=D(2026, 5, 12))
    assert [f for f in engine.detect(book, codes=["W16"]) if f.code == "W16"] == []  # the near miss
    ind2, early_project, _ = unnoticed_project(book)
    post_plan_notice(book, early_project, D(2026, 5, 1), level="village")
    login_as(book, "chief")
    exceptions.grant_notice_exception(book, project_id=early_project, doc_no="示政办函〔2026〕9号", reason="抢农时先行支付种苗款")
    login_as(book, "clerk")
    early = fx.request(book, early_project, ind2, payee, 100_00, draft_date=D(2026, 5, 5))
    fx.approve(book, early, reason="种苗季节性强", override="已核对例外批准文件")
    payments.mark_paid(book, payment_id=early, voucher_no="V-EARLY", pay_date=D(2026, 5, 6))
    (f,) = [f for f in engine.detect(book, codes=["W16"]) if f.code == "W16"]
    assert f.object_id == str(early_project) and f.since == D(2026, 5, 6) and f.amount == 100_00
    assert "2026-05-11 方满 10 天" in f.detail and "示政办函〔2026〕9号" in f.detail
