"""Warnings W1–W9: each fires on a minimal case and stays silent at its boundary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.models.ledger import account as ledger
from app.models.ledger import catalogue, indicators, reconcile, treasury
from app.models.notices import records as notices
from app.models.payments import requests as payments
from app.models.store import periods
from app.models.store.book import Book
from app.models.warnings import engine as warnings
from tests.conftest import FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.ledger.test_treasury import row, write_xlsx
from tests.models.warnings.warning_fixtures import REGULAR_GOALS, START, at, pay, payee, project

D = dt.date


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def keys(book: Book, day: dt.date, code: str) -> set[str]:
    return {f.key for f in warnings.detect(book, day, codes=[code])}


def spend(book: Book, clock: FixedClock, ind: int, amount: int, day: dt.date) -> None:
    at(clock, day)
    ledger.post_expenditure(book, indicator_id=ind, amount=amount, entry_date=day,
                            voucher_no=f"ZF{day:%m%d}{amount}", payment_id=None, summary="支付")


# -- W1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("issued", "fires"), [(D(2026, 10, 12), False), (D(2026, 10, 13), True)])
def test_w1_prefecture_stage_late_by_one_working_day(book: Book, clock: FixedClock, issued: dt.date,
                                                     fires: bool) -> None:
    """Received 2026-09-29, 5 working days over National Day: due 10-12; issued on the 13th is late."""
    at(clock, D(2026, 10, 20))
    login_as(book, "clerk")
    ind = register(book, received_date=D(2026, 10, 14), upper_doc_date=D(2026, 9, 25), prefecture_doc_date=issued,
                   extra_events={"prefecture_received": D(2026, 9, 29)})
    found = [f for f in warnings.detect(book, D(2026, 10, 20), codes=["W1"]) if f.object_id == str(ind)]
    assert bool(found) is fires
    if fires:
        assert found[0].key == f"W1:{ind}:zx_prefecture"
        assert found[0].since == D(2026, 10, 13) and "2026-10-12" in found[0].detail


# -- W5 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spent", "fires"), [(3_100_000, False), (3_099_999, True)])
def test_w5_exactly_on_pace_is_silent(book: Book, clock: FixedClock, spent: int, fires: bool) -> None:
    """304,000.00 available on 31 January: 31 of 304 days → 31,000.00 must be spent."""
    at(clock, D(2026, 1, 10))
    login_as(book, "clerk")
    ind = register(book, amount=30_400_000, received_date=D(2026, 1, 10), upper_doc_date=D(2026, 1, 2),
                   prefecture_doc_date=D(2026, 1, 8))
    spend(book, clock, ind, spent, D(2026, 1, 20))
    found = [f for f in warnings.detect(book, D(2026, 1, 31), codes=["W5"]) if f.key == "W5:kind:ZX"]
    assert bool(found) is fires
    if fires:
        assert found[0].amount == 1 and "滞后 0.01 元" in found[0].detail


def test_w5_year_funds_unpaid_after_31_october(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 11, 2))
    login_as(book, "clerk")
    ind = register(book, amount=1_000_00)
    spend(book, clock, ind, 999_00, D(2026, 10, 30))
    on_the_day = [f for f in warnings.detect(book, D(2026, 10, 31), codes=["W5"]) if f.key == "W5:kind:ZX"]
    assert on_the_day and "序时进度 100.00%" in on_the_day[0].detail  # on the day itself: the pace is 100 %
    found = [f for f in warnings.detect(book, D(2026, 11, 1), codes=["W5"]) if f.key == "W5:unpaid:ZX:2026"]
    assert found and found[0].amount == 1_00 and found[0].since == D(2026, 11, 1)
    spend(book, clock, ind, 1_00, D(2026, 11, 2))
    assert "W5:unpaid:ZX:2026" not in keys(book, D(2026, 11, 2), "W5")


@pytest.mark.parametrize(("left_2026", "fires"), [(0, False), (250_00, True)])
def test_w5_after_31_october_counts_this_years_money_only(book: Book, clock: FixedClock, left_2026: int,
                                                          fires: bool) -> None:
    """The 31 October rule binds 当年安排 money: 5,000.00 carried in from 2025 and still unspent is not "当年资金
    未支付" (a rule that summed 年初结余 + 本年收入 would fire on it with the whole 5,250.00)."""
    at(clock, D(2025, 3, 10))
    login_as(book, "clerk")
    old = register(book, doc_no="新财农〔2025〕9号", year=2025, amount=8_000_00, received_date=D(2025, 3, 10),
                   upper_doc_date=D(2025, 3, 1), prefecture_doc_date=D(2025, 3, 6))
    spend(book, clock, old, 3_000_00, D(2025, 6, 2))
    at(clock, D(2026, 3, 10))
    ind = register(book, amount=1_000_00)
    spend(book, clock, ind, 1_000_00 - left_2026, D(2026, 10, 30))
    spend(book, clock, old, 1_00, D(2026, 10, 30))  # carried money spent this year is not this year's money spent
    found = [f for f in warnings.detect(book, D(2026, 11, 1), codes=["W5"]) if f.key.startswith("W5:unpaid:ZX")]
    assert bool(found) is fires
    if fires:
        assert found[0].key == "W5:unpaid:ZX:2026" and found[0].amount == left_2026
        assert "上年结转资金不在此列" in found[0].detail


@pytest.mark.parametrize(("spent_on", "as_of", "fires"), [
    (D(2026, 6, 15), D(2026, 6, 16), False),   # spent on the last day of the third month
    (None, D(2026, 6, 15), False),             # not yet overdue on the last day
    (None, D(2026, 6, 16), True),              # unspent the day after
    (D(2026, 6, 17), D(2026, 6, 16), True),    # spent too late
])
def test_w5_bond_money_three_months(book: Book, clock: FixedClock, spent_on: dt.date | None, as_of: dt.date,
                                    fires: bool) -> None:
    at(clock, D(2026, 6, 20))
    login_as(book, "clerk")
    ind = register(book, kind="YD", item="YD02", source_level="region", amount=500_000_00,
                   received_date=D(2026, 3, 15), upper_doc_date=D(2026, 3, 10), prefecture_doc_date=D(2026, 3, 12))
    if spent_on:
        spend(book, clock, ind, 500_000_00, spent_on)
    found = [f for f in warnings.detect(book, as_of, codes=["W5"]) if f.key == f"W5:bond:{ind}"]
    assert bool(found) is fires
    if fires:
        assert found[0].since == D(2026, 6, 16) and found[0].amount == 500_000_00


def test_w5_bond_deadline_is_clamped_to_month_end(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 6, 1))
    login_as(book, "clerk")
    catalogue.add_item(book, kind="ZQ", code="ZQ2601", name="2026年第一期脱贫攻坚债券")
    ind = register(book, kind="ZQ", item="ZQ2601", source_level="region", amount=100_00,
                   received_date=D(2026, 1, 31), upper_doc_date=D(2026, 1, 28), prefecture_doc_date=D(2026, 1, 29))
    assert f"W5:bond:{ind}" not in keys(book, D(2026, 4, 30), "W5")
    assert f"W5:bond:{ind}" in keys(book, D(2026, 5, 1), "W5")


# -- W6 ------------------------------------------------------------------------------------------


def test_w6_idle_after_more_than_the_idle_days(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 7, 1))
    login_as(book, "clerk")
    ind = register(book, received_date=D(2026, 3, 10))
    assert book.rules.spending.idle_days == 90
    assert f"W6:{ind}" not in keys(book, D(2026, 6, 8), "W6")  # exactly 90 days
    found = [f for f in warnings.detect(book, D(2026, 6, 9), codes=["W6"]) if f.key == f"W6:{ind}"]
    assert found and found[0].since == D(2026, 6, 9) and found[0].amount == 1_000_000_00
    spend(book, clock, ind, 1_00, D(2026, 6, 1))
    assert f"W6:{ind}" not in keys(book, D(2026, 6, 9), "W6")


def test_w6_silent_when_nothing_is_left(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 7, 1))
    login_as(book, "clerk")
    ind = register(book, amount=100_00, received_date=D(2026, 1, 10), upper_doc_date=D(2026, 1, 2),
                   prefecture_doc_date=D(2026, 1, 8))
    spend(book, clock, ind, 100_00, D(2026, 1, 20))
    assert f"W6:{ind}" not in keys(book, D(2026, 7, 1), "W6")


# -- W8 ------------------------------------------------------------------------------------------


def test_w8_treasury_payment_missing_from_the_ledger_until_explained(book: Book, clock: FixedClock,
                                                                     tmp_path: Path) -> None:
    at(clock, D(2026, 5, 10))
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕500号", received_date=D(2026, 3, 10))
    spend(book, clock, ind, 10_000_00, D(2026, 4, 2))
    book.conn.execute("SELECT 1")
    voucher = book.conn.execute("SELECT voucher_no FROM ledger_entries WHERE entry_type = 'expenditure'").fetchone()[0]
    treasury.import_file(book, write_xlsx(tmp_path / "t.xlsx", [row(voucher), row("ZF-X", "500.00")]))
    found = [f for f in warnings.detect(book, D(2026, 5, 10), codes=["W8"])]
    assert [f.key for f in found] == ["W8:2026-04:treasury:ZF-X"] and found[0].amount == 500_00
    assert "W8:2026-04:treasury:ZF-X" not in keys(book, D(2026, 4, 1), "W8")  # not yet on that day
    reconcile.explain(book, month="2026-04", key="treasury:ZF-X", note="跨月入账，5月已补记")
    assert keys(book, D(2026, 5, 10), "W8") == set()


# -- W9 ------------------------------------------------------------------------------------------


def test_w9_report_not_signed_off_by_the_28th_of_the_next_month(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 3, 2))
    assert "W9:2026-01" not in keys(book, D(2026, 2, 28), "W9")
    found = [f for f in warnings.detect(book, D(2026, 3, 1), codes=["W9"])]
    assert [f.key for f in found] == ["W9:2026-01"] and found[0].since == D(2026, 3, 1)
    periods.close_month(book, month="2026-01")
    assert keys(book, D(2026, 3, 1), "W9") == set()


def test_w9_months_before_the_bureau_started_are_not_counted(book: Book, clock: FixedClock) -> None:
    assert all(k >= "W9:2026-01" for k in keys(book, D(2026, 6, 1), "W9"))


# -- W2 ------------------------------------------------------------------------------------------


def test_w2_goals_missing_irregular_then_regular(book: Book, clock: FixedClock) -> None:
    from app.models.performance import goals as performance

    at(clock, D(2026, 3, 25))
    login_as(book, "clerk")
    ind = register(book)
    pid = project(book, ind, 100_000_00)
    unapproved = project(book, ind, 1_000_00, approve_on=None)
    found = {f.key: f for f in warnings.detect(book, D(2026, 3, 25), codes=["W2"])}
    assert set(found) == {f"W2:project:{pid}"} and "未编制绩效目标" in found[f"W2:project:{pid}"].detail
    assert found[f"W2:project:{pid}"].amount == 100_000_00 and found[f"W2:project:{pid}"].since == D(2026, 3, 20)
    assert f"W2:project:{unapproved}" not in found
    goals = [performance.add_goal(book, project_id=pid, fields=g) for g in REGULAR_GOALS]
    assert keys(book, D(2026, 3, 25), "W2") == set()
    performance.update_goal(book, goal_id=goals[0], fields=REGULAR_GOALS[0] | {"target": "明显增加"})
    detail = warnings.detect(book, D(2026, 3, 25), codes=["W2"])[0].detail
    assert "“明显增加”，不是数值" in detail
    performance.update_goal(book, goal_id=goals[0], fields=REGULAR_GOALS[0] | {"unit": ""})
    assert "没有计量单位" in warnings.detect(book, D(2026, 3, 25), codes=["W2"])[0].detail
    performance.update_goal(book, goal_id=goals[0], fields=REGULAR_GOALS[0])
    performance.remove_goal(book, goal_id=goals[2])
    assert "缺少一级指标：满意度指标" in warnings.detect(book, D(2026, 3, 25), codes=["W2"])[0].detail


# -- W3 ------------------------------------------------------------------------------------------


def test_w3_hard_check_failed_until_voided(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 4, 1))
    login_as(book, "clerk")
    ind = register(book)
    pid = project(book, ind, 100_000_00)
    who = payee(book)
    ok = pay(book, project_id=pid, indicator_id=ind, payee_id=who, amount=1_000_00, day=D(2026, 4, 1))
    bad = pay(book, project_id=pid, indicator_id=ind, payee_id=who, amount=1_000_00, day=D(2026, 4, 1),
              usage="bonuses")
    assert payments.get(book, bad)["status"] == "returned"
    found = [f for f in warnings.detect(book, D(2026, 4, 1), codes=["W3"])]
    assert [f.key for f in found] == [f"W3:payment:{bad}"] and f"W3:payment:{ok}" not in {f.key for f in found}
    assert "负面清单" in found[0].detail and found[0].project_id == pid
    payments.void(book, payment_id=bad, reason="用途不合规，作废")
    assert keys(book, D(2026, 4, 1), "W3") == set()


def test_w3_treasury_payment_without_an_approved_request(book: Book, clock: FixedClock, tmp_path: Path) -> None:
    at(clock, D(2026, 4, 10))
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕500号")
    pid = project(book, ind, 100_000_00)
    paid = pay(book, project_id=pid, indicator_id=ind, payee_id=payee(book), amount=1_000_00, day=D(2026, 4, 2))
    voucher = payments.get(book, paid)["voucher_no"]
    login_as(book, "clerk")
    treasury.import_file(book, write_xlsx(tmp_path / "t.xlsx", [row(voucher, "1000.00"), row("ZF-Y", "700.00")]))
    assert keys(book, D(2026, 4, 10), "W3") == {"W3:treasury:ZF-Y"}


# -- W4 ------------------------------------------------------------------------------------------


def test_w4_management_fee_at_the_cap_then_above_it(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 4, 10))
    login_as(book, "clerk")
    ind = register(book, amount=100_000_00)  # central ZX: cap 1 % = 1,000.00
    fee = project(book, ind, 50_000_00, category="management_fee")
    pay(book, project_id=fee, indicator_id=ind, payee_id=payee(book), amount=1_000_00, day=D(2026, 4, 1),
        kind="management_fee", usage="management_fee")
    assert keys(book, D(2026, 4, 10), "W4") == set()
    login_as(book, "clerk")
    indicators.reduce(book, indicator_id=ind, kind="reduce", doc_no="新财农〔2026〕调1号", reduction_date=D(2026, 4, 5),
                      amount=10_000_00, reason="调减")
    found = warnings.detect(book, D(2026, 4, 10), codes=["W4"])
    assert [f.key for f in found] == ["W4:2026"] and found[0].amount == 100_00  # cap now 900.00


# -- W7 ------------------------------------------------------------------------------------------


def test_w7_project_plan_not_noticed_until_posted_ten_days(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 4, 10))
    login_as(book, "clerk")
    ind = register(book)
    pid = project(book, ind, 100_000_00, village="", notice=False)
    key = f"W7:project_plan:township:project:{pid}"
    assert key in keys(book, D(2026, 4, 10), "W7")
    notices.record_notice(book, kind="project_plan", level="township", object_type="project", object_id=pid,
                          title="示例乡项目计划公示", place="board", start_date=D(2026, 3, 22),
                          end_date=D(2026, 3, 30), publisher="示例乡人民政府")
    too_short = [f for f in warnings.detect(book, D(2026, 4, 10), codes=["W7"]) if f.key == key]
    assert too_short and "公示期不足" in too_short[0].detail
    notices.record_notice(book, kind="project_plan", level="township", object_type="project", object_id=pid,
                          title="示例乡项目计划公示（重新张贴）", place="board", start_date=D(2026, 4, 1),
                          end_date=D(2026, 4, 10), publisher="示例乡人民政府")
    assert key not in keys(book, D(2026, 4, 10), "W7")


def test_since_is_fixed_when_a_warning_is_first_stored(book: Book, clock: FixedClock) -> None:
    """A live warning whose condition changes shape (a due date moved by a later payment) keeps the day its problem
    arose: moved later it would be "found" before it "arose" (表7's two halves disagreeing), moved at all it would
    change the 表7 of a month already signed. A `since` after the day of detection is stored as that day."""
    from dataclasses import replace

    from app.models.warnings.base import Finding

    at(clock, D(2026, 3, 2))
    login_as(book, "clerk")
    first = Finding("W7", "W7:test", "project", "1", "测试项目", 100, D(2026, 2, 20), "计划公示未满 10 天")
    later = Finding("W7", "W7:later", "project", "2", "测试项目二", 100, D(2026, 3, 9), "未到期")
    warnings.recompute(book, as_of=D(2026, 3, 2), findings=[first, later])
    at(clock, D(2026, 11, 2))
    warnings.recompute(book, as_of=D(2026, 11, 2), findings=[
        replace(first, since=D(2026, 10, 30), detail="乡级资金使用情况未公示", amount=500), later])
    rows = {r[0]: tuple(r[1:]) for r in book.conn.execute(
        "SELECT key, since, first_detected, detail, amount FROM warnings")}
    assert rows["W7:test"] == ("2026-02-20", "2026-03-02", "乡级资金使用情况未公示", 500)
    assert rows["W7:later"][:2] == ("2026-03-02", "2026-03-02")
    assert all(since <= found for since, found, *_ in rows.values())
