"""Fuzzed form input for every form-level operation: indicators, 专账 manual entries, projects, payees,
payments (draft, submit reason, mark paid), plan decisions, notices, performance goals and monthly values.

Each example takes one field of one form and gives it hostile input (full-width digits, spaces, emoji, 10 KB
strings, NUL and control characters, SQL- and formula-looking text, impossible amounts and dates), the other
fields valid: the operation accepts it correctly or refuses it with an AppError in Chinese naming THAT field —
never another exception, never a partial write (tests/reliability/fuzz_support.attempt).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.models.ledger import account as ledger
from app.models.ledger import indicators
from app.models.notices import records as notices
from app.models.payments import requests as payments
from app.models.performance import goals as performance
from app.models.plan import decisions as plan
from app.models.plan import payees, projects
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import ValidationError
from tests.conftest import FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.notices import notice_fixtures as nf
from tests.models.payments import payment_fixtures as fx
from tests.reliability.fuzz_support import AMOUNTS, DATES, FIGURES, FUZZ, HOSTILE, attempt, has_chinese

_seq = itertools.count(1)
Form = tuple[dict[str, st.SearchStrategy[Any]], dict[str, set[str]]]  # field → strategy, field → labels it may name


def _funds(book: Book) -> tuple[int, int, int]:
    """(indicator, approved project, payee), made once per book; logged in as the clerk."""
    row = book.conn.execute("SELECT f.indicator_id, p.id, (SELECT min(id) FROM payees) FROM projects p "
                            "JOIN project_funding f ON f.project_id = p.id WHERE p.code LIKE 'XM2026-%' "
                            "AND (SELECT min(id) FROM payees) IS NOT NULL ORDER BY p.id LIMIT 1").fetchone()
    login_as(book, "clerk")
    if row:
        return int(row[0]), int(row[1]), int(row[2])
    ind = register(book, amount=900_000_000_00)  # half of it left unplanned for the projects the tests add
    return ind, fx.approved_project(book, [(ind, 450_000_000_00)]), fx.enterprise(book)


def one_field(form: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.sampled_from(sorted(form)).flatmap(lambda f: st.tuples(st.just(f), form[f]))


def collapse(text: str) -> str:
    return " ".join(str(text).split())


@FUZZ
@given(amount=AMOUNTS)
def test_money_parse_every_amount_text(amount: object) -> None:
    """Every amount typed in a form goes through money.parse: 分 within the limit, or a refusal naming the field."""
    FIGURES["金额解析"] = FIGURES.get("金额解析", 0) + 1
    try:
        value = money.parse(str(amount), field="金额")
    except ValidationError as exc:
        assert exc.field == "金额" and has_chinese(exc.message)
        return
    assert isinstance(value, int) and 0 <= value <= 99_999_999_999_999


INDICATOR: dict[str, st.SearchStrategy[Any]] = {
    "doc_no": HOSTILE, "title": HOSTILE, "section": HOSTILE, "func_code": HOSTILE, "received_date": DATES,
    "upper_doc_date": DATES, "note": HOSTILE, "amount": st.integers(min_value=-10**16, max_value=10**16),
}
INDICATOR_LABELS = {"doc_no": {"文号"}, "title": {"标题"}, "section": {"业务股室"}, "func_code": {"功能科目"},
                    "received_date": {"收到日期", "年度"}, "upper_doc_date": {"上级文件日期", "收到日期"},
                    "note": {"备注"}, "amount": {"金额"}}


@FUZZ
@given(change=one_field(INDICATOR))
def test_register_indicator(book: Book, change: tuple[str, Any]) -> None:
    field, value = change
    login_as(book, "clerk")
    args: dict[str, Any] = {"doc_no": f"新财农〔2026〕{next(_seq)}号", "year": 2026, "kind": "ZX", "item": "ZX01",
                            "source_level": "central", "amount": 1_000_00, "received_date": "2026-03-10",
                            "title": "模糊测试指标"}
    args[field] = value
    got = attempt(book, "登记指标", lambda: indicators.register(book, **args), INDICATOR_LABELS[field])
    if got is not None and field in ("doc_no", "title"):
        assert indicators.get(book, got)[field] == collapse(value)


LEDGER: dict[str, st.SearchStrategy[Any]] = {"amount": AMOUNTS, "entry_date": DATES, "voucher_no": HOSTILE,
                                             "summary": HOSTILE}
LEDGER_LABELS = {"amount": {"金额"}, "entry_date": {"记账日期"}, "voucher_no": {"凭证号"}, "summary": {"摘要"}}


@FUZZ
@given(change=one_field(LEDGER))
def test_manual_ledger_entry(book: Book, change: tuple[str, Any]) -> None:
    field, value = change
    ind, _pid, _payee = _funds(book)
    if field == "amount":  # the form turns the typed text into 分 first (money.parse, fuzzed above)
        try:
            value = money.parse(str(value), field="金额")
        except ValidationError:
            return
    args: dict[str, Any] = {"indicator_id": ind, "entry_type": "return", "amount": 1_00, "entry_date": "2026-04-02",
                            "voucher_no": f"JH{next(_seq)}", "summary": "缴回结余"}
    args[field] = value
    attempt(book, "专账手工记账", lambda: ledger.post_manual(book, **args), LEDGER_LABELS[field])


PROJECT: dict[str, st.SearchStrategy[Any]] = {
    "code": HOSTILE, "name": HOSTILE, "township": HOSTILE, "village": HOSTILE, "content": HOSTILE, "start_date": DATES,
    "end_date": DATES, "implementer": HOSTILE, "responsible": HOSTILE, "households": HOSTILE, "persons": AMOUNTS,
    "contract_amount": AMOUNTS, "retention_bp": AMOUNTS, "category": HOSTILE, "asset_type": HOSTILE, "note": HOSTILE,
    "subsidy_standard": HOSTILE, "mechanism": HOSTILE,
}


@FUZZ
@given(change=one_field(PROJECT))
def test_create_project(book: Book, change: tuple[str, Any]) -> None:
    from app.models.plan import fields as pf

    field, value = change
    login_as(book, "clerk")
    fields = fx.project_fields(code=f"XMF-{next(_seq)}")
    fields[field] = value
    labels = {pf.LABELS[field]} | ({"完工日期", "开工日期"} if "date" in field else set())
    got = attempt(book, "录入项目", lambda: projects.create_project(book, fields=fields), labels)
    if got is not None and field in ("name", "township", "implementer"):
        assert projects.get(book, got)[field] == collapse(value)


PAYEE: dict[str, st.SearchStrategy[Any]] = {"name": HOSTILE, "id_code": HOSTILE, "account_no": HOSTILE, "bank": HOSTILE,
                                            "village": HOSTILE, "account_name": HOSTILE, "note": HOSTILE,
                                            "payee_type": HOSTILE}
PAYEE_LABELS = {"name": {"名称", "收款人名称", "姓名"}, "id_code": {"统一社会信用代码", "公民身份号码", "证件号码"},
                "account_no": {"账号"}, "bank": {"开户银行", "开户行"}, "village": {"村"}, "account_name": {"户名", "账户名称"},
                "note": {"备注"}, "payee_type": {"收款人类型"}}


@FUZZ
@given(change=one_field(PAYEE), kind=st.sampled_from(["enterprise", "other_person"]))
def test_create_payee(book: Book, change: tuple[str, Any], kind: str) -> None:
    field, value = change
    login_as(book, "clerk")
    n = next(_seq)
    args: dict[str, Any] = {"payee_type": kind, "name": f"收款人{n}", "account_no": f"62220000{n:08d}", "bank": "农行",
                            "id_code": fx.valid_uscc(n) if kind == "enterprise" else fx.valid_id(n % 1000)}
    args[field] = value
    got = attempt(book, "登记收款人", lambda: payees.create_payee(book, **args), PAYEE_LABELS[field])
    if got is not None and field == "name":
        assert got["name"] == collapse(value)


PAYMENT: dict[str, st.SearchStrategy[Any]] = {"amount": AMOUNTS, "func_code": HOSTILE, "econ_code": HOSTILE,
                                              "draft_date": DATES, "purpose": HOSTILE, "kind": HOSTILE, "usage": HOSTILE,
                                              "method": HOSTILE}
PAYMENT_LABELS = {"amount": {"金额"}, "func_code": {"功能科目"}, "econ_code": {"经济科目"}, "draft_date": {"申请日期"},
                  "purpose": {"用途说明", "用途", "支付用途", "资金用途"}, "kind": {"支付类型"}, "usage": {"支出用途"},
                  "method": {"支付方式"}}


@FUZZ
@given(change=one_field(PAYMENT), reason=HOSTILE, voucher=HOSTILE, pay_date=DATES)
@example(change=("purpose", "=SUM(A1:A9)"), reason="", voucher="ZF\x00１", pay_date="２０２６-０５-０８")
@example(change=("amount", "１，２３４．５"), reason="😀", voucher="'; DROP TABLE payments; --", pay_date="2026-02-30")
@example(change=("purpose", "进度款"), reason="", voucher="ZF-2026/0001", pay_date="2026-05-08")
def test_payment_fields(book: Book, change: tuple[str, Any], reason: str, voucher: str, pay_date: str) -> None:
    """Draft with one hostile field; then submit with a hostile reason and mark paid with a hostile voucher/date."""
    field, value = change
    ind, pid, payee = _funds(book)
    args: dict[str, Any] = {"project_id": pid, "indicator_id": ind, "payee_id": payee, "amount": "100.00",
                            "kind": "progress", "usage": "industry", "func_code": "2130505", "econ_code": "31005",
                            "method": "direct", "draft_date": "2026-05-06", "purpose": "进度款"}
    args[field] = value
    got = attempt(book, "起草支付申请", lambda: payments.draft(book, **args), PAYMENT_LABELS[field])
    if got is None:
        return
    result = attempt(book, "提交支付申请", lambda: payments.submit(book, payment_id=got, reason=reason), {"超限理由"})
    if result is None or result["payment"]["status"] != "submitted":
        return
    login_as(book, "reviewer")
    payments.review(book, payment_id=got, override_note="确认超限，同意支付")
    login_as(book, "clerk")
    for v, d in ((voucher, "2026-05-08"), (f"ZF{next(_seq)}", pay_date)):
        if attempt(book, "登记已支付", lambda v=v, d=d: payments.mark_paid(book, payment_id=got, voucher_no=v, pay_date=d),
                   {"支付凭证号"} if d == "2026-05-08" else {"支付日期"}) is not None:
            entry = book.conn.execute("SELECT amount, voucher_no FROM ledger_entries WHERE payment_id = ?",
                                      (got,)).fetchone()
            assert entry is not None and entry[1] == payments.get(book, got)["voucher_no"]
            break


DECISION: dict[str, st.SearchStrategy[Any]] = {"decision_no": HOSTILE, "decision_date": DATES, "title": HOSTILE}


@FUZZ
@given(change=one_field(DECISION))
def test_plan_decision(book: Book, change: tuple[str, Any]) -> None:
    field, value = change
    ind, _pid, _payee = _funds(book)
    pid = projects.create_project(book, fields=fx.project_fields(code=f"XMD-{next(_seq)}"), funding=[(ind, 100)])
    args: dict[str, Any] = {"project_ids": [pid], "decision_no": f"示扶组发〔2026〕{next(_seq)}号",
                            "decision_date": "2026-04-01", "title": ""}
    args[field] = value
    attempt(book, "审定项目计划", lambda: plan.approve_plan(book, **args),
            {"decision_no": {"决定文号", "审定文号", "文号"}, "decision_date": {"决定日期", "审定日期"},
             "title": {"标题", "决定标题", "决定名称"}}[field])


NOTICE: dict[str, st.SearchStrategy[Any]] = {"title": HOSTILE, "publisher": HOSTILE, "phones": HOSTILE,
                                             "location": HOSTILE, "note": HOSTILE, "start_date": DATES, "end_date": DATES,
                                             "place": HOSTILE}


@FUZZ
@given(change=one_field(NOTICE))
def test_record_notice(book: Book, clock: FixedClock, change: tuple[str, Any]) -> None:
    field, value = change
    if not hasattr(book, "_fuzz_county"):
        book._fuzz_county = nf.build(book, clock)  # type: ignore[attr-defined]
    county = book._fuzz_county  # type: ignore[attr-defined]
    login_as(book, "clerk")
    args: dict[str, Any] = {"kind": "project_plan", "level": "village", "object_type": "project",
                            "object_id": county.village_project, "title": "关于项目计划安排的公示", "place": "board",
                            "start_date": "2026-11-06", "end_date": "2026-11-17", "publisher": "村民委员会"}
    args[field] = value
    labels = {notices.LABELS[field]} | ({"开始日期", "结束日期"} if "date" in field else set())
    got = attempt(book, "登记公告公示", lambda: notices.record_notice(book, **args), labels)
    if got is not None and field == "title":
        assert notices.get(book, got)["title"] == collapse(value)


GOAL: dict[str, st.SearchStrategy[Any]] = {k: HOSTILE for k in performance.GOAL_FIELDS}
MONTH: dict[str, st.SearchStrategy[Any]] = {"month": HOSTILE, "actual": HOSTILE, "forecast": HOSTILE, "note": HOSTILE}


@FUZZ
@given(goal=one_field(GOAL), month=one_field(MONTH))
def test_performance_goal_and_month(book: Book, goal: tuple[str, Any], month: tuple[str, Any]) -> None:
    _ind, pid, _payee = _funds(book)
    fields = {"level1": "产出", "level2": "数量", "name": f"硬化村组道路{next(_seq)}", "comparator": "≥", "target": "6",
              "unit": "公里"}
    fields[goal[0]] = goal[1]
    gid = attempt(book, "编制绩效目标", lambda: performance.add_goal(book, project_id=pid, fields=fields),
                  {performance.GOAL_FIELDS[goal[0]]})
    if gid is None:
        gid = book.conn.execute("SELECT max(id) FROM perf_goals").fetchone()[0]
        if gid is None:
            return
    args = {"month": "2026-10", "actual": "2", "forecast": "", "note": ""}
    args[month[0]] = month[1]
    attempt(book, "录入绩效监控值", lambda: performance.record_actual(book, goal_id=gid, **args),
            {"month": {"月份", "监控月份"}, "actual": {"实际值", "本月完成值", "完成值", "累计完成值", "实际完成值"},
             "forecast": {"预计全年", "全年预计", "预计完成值", "全年预计完成值"}, "note": {"说明", "备注", "偏离原因"}}[month[0]]
            | {performance.GOAL_FIELDS["name"]})


@pytest.mark.parametrize("op", ["draft", "notice"])
def test_formula_text_is_stored_as_text(book: Book, clock: FixedClock, op: str) -> None:
    """Formula-looking text is kept verbatim as text (never evaluated) — exports write it as a string cell."""
    formula = "=HYPERLINK(\"http://x\",\"点我\")"
    ind, pid, payee = _funds(book)
    if op == "draft":
        got = payments.draft(book, project_id=pid, indicator_id=ind, payee_id=payee, amount="1.00", kind="progress",
                             usage="industry", func_code="2130505", econ_code="31005", method="direct",
                             draft_date="2026-05-06", purpose=formula)
        assert payments.get(book, got)["purpose"] == formula
    else:
        pid2 = projects.create_project(book, fields=fx.project_fields(code="XMF-formula", name=formula),
                                       funding=[(ind, 100)])
        assert projects.get(book, pid2)["name"] == formula
