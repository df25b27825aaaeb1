"""Storing warnings: handling survives recomputation, a warning that stops firing is closed with the date,
one that fires again reopens; 表7 as of a month's end; the dashboard's numbers against plain SQL."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from app.export import evidence
from app.models.ledger import account as ledger
from app.models.ledger import progress
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import ClosedPeriodError, PermissionDenied, ValidationError
from app.models.warnings import dashboard, problems
from app.models.warnings import engine as warnings
from app.models.warnings import query as warnings_query
from tests.conftest import FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.warnings.warning_fixtures import START, at

D = dt.date


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def idle(book: Book, clock: FixedClock) -> tuple[Book, int]:
    """An indicator received 2026-03-10 and never paid: idle (W6) from 2026-06-09."""
    at(clock, D(2026, 6, 10))
    login_as(book, "clerk")
    return book, register(book, received_date=D(2026, 3, 10))


def w6(book: Book, ind: int) -> dict[str, object]:
    row = book.conn.execute("SELECT id FROM warnings WHERE key = ?", (f"W6:{ind}",)).fetchone()
    return warnings.get(book, int(row[0]))


def test_handling_survives_recomputation_and_clearing_closes_with_the_date(idle: tuple[Book, int],
                                                                          clock: FixedClock) -> None:
    book, ind = idle
    first = warnings.recompute(book, as_of=D(2026, 6, 10))
    assert first.added >= 1
    w = w6(book, ind)
    assert (w["status"], w["first_detected"], w["since"], w["active"]) == ("new", "2026-06-10", "2026-06-09", True)
    assert w["section"] == "扶贫资金管理股"
    warnings.handle(book, warning_id=int(w["id"]), status="rectifying", note="已督促项目单位加快实施", section="农业股")
    at(clock, D(2026, 6, 20))
    again = warnings.recompute(book, as_of=D(2026, 6, 20))
    assert again.added == 0 and again.cleared == 0
    w = w6(book, ind)
    assert (w["status"], w["note"], w["section"], w["first_detected"]) == (
        "rectifying", "已督促项目单位加快实施", "农业股", "2026-06-10")
    ledger.post_expenditure(book, indicator_id=ind, amount=1_000_000_00, entry_date=D(2026, 6, 20), voucher_no="ZF1",
                            payment_id=None, summary="全部支付")
    at(clock, D(2026, 6, 21))
    assert warnings.recompute(book, as_of=D(2026, 6, 21)).cleared >= 1
    w = w6(book, ind)
    assert (w["status"], w["cleared_on"], w["handled_on"], w["active"]) == ("rectified", "2026-06-21", "2026-06-21",
                                                                            False)
    assert w["note"] == "已督促项目单位加快实施"
    assert [e["event"] for e in warnings.events(book, int(w["id"]))] == ["detected", "handled", "cleared"]


def test_a_warning_that_fires_again_reopens_with_its_history(idle: tuple[Book, int], clock: FixedClock) -> None:
    book, ind = idle
    ledger.post_expenditure(book, indicator_id=ind, amount=1_00, entry_date=D(2026, 6, 10), voucher_no="ZF1",
                            payment_id=None, summary="支付")
    warnings.recompute(book, as_of=D(2026, 6, 10))
    assert book.conn.execute("SELECT count(*) FROM warnings WHERE key = ?", (f"W6:{ind}",)).fetchone()[0] == 0
    at(clock, D(2026, 9, 9))
    warnings.recompute(book, as_of=D(2026, 9, 9))  # 91 days after the last payment
    w = w6(book, ind)
    assert w["since"] == "2026-09-09"
    explained = warnings.handle(book, warning_id=int(w["id"]), status="explained", note="该项目待冬季施工后统一结算")
    assert explained["status"] == "explained" and explained["active"]
    at(clock, D(2026, 9, 10))
    warnings.recompute(book, as_of=D(2026, 9, 10))
    assert w6(book, ind)["status"] == "explained"  # 已说明 stays while it still fires
    ledger.post_expenditure(book, indicator_id=ind, amount=1_00, entry_date=D(2026, 9, 10), voucher_no="ZF2",
                            payment_id=None, summary="支付")
    warnings.recompute(book, as_of=D(2026, 9, 10))
    assert w6(book, ind)["cleared_on"] == "2026-09-10"
    at(clock, D(2026, 12, 10))
    result = warnings.recompute(book, as_of=D(2026, 12, 10))
    w = w6(book, ind)
    assert result.reopened >= 1 and w["status"] == "new" and w["cleared_on"] is None
    assert w["first_detected"] == "2026-09-09"
    assert [e["event"] for e in warnings.events(book, int(w["id"]))][-2:] == ["cleared", "reopened"]


def test_recompute_refuses_going_back_and_closed_months(idle: tuple[Book, int], clock: FixedClock) -> None:
    book, _ind = idle
    warnings.recompute(book, as_of=D(2026, 6, 10))
    with pytest.raises(ValidationError, match="不能早于上次计算的日期"):
        warnings.recompute(book, as_of=D(2026, 6, 9))
    login_as(book, "chief")
    periods.close_month(book, month="2026-06")
    with pytest.raises(ClosedPeriodError):
        warnings.recompute(book, as_of=D(2026, 6, 11))
    login_as(book, "auditor")
    at(clock, D(2026, 7, 2))
    with pytest.raises(PermissionDenied):
        warnings.recompute(book, as_of=D(2026, 7, 2))


def test_handling_needs_a_note_to_close_and_a_known_status(idle: tuple[Book, int]) -> None:
    book, ind = idle
    warnings.recompute(book, as_of=D(2026, 6, 10))
    wid = int(w6(book, ind)["id"])
    with pytest.raises(ValidationError, match="须写明"):
        warnings.handle(book, warning_id=wid, status="rectified", note="")
    with pytest.raises(ValidationError, match="只由系统"):
        warnings.handle(book, warning_id=wid, status="new", note="重新打开")
    with pytest.raises(ValidationError):
        warnings.handle(book, warning_id=wid, status="done", note="不存在的状态")
    with pytest.raises(ValidationError, match="早于预警发现日期"):
        warnings.handle(book, warning_id=wid, status="rectifying", note="整改", handled_on=D(2026, 6, 1))


def test_table7_counts_as_of_the_months_end_not_later_handling(idle: tuple[Book, int], clock: FixedClock) -> None:
    book, ind = idle
    warnings.recompute(book, as_of=D(2026, 6, 10))
    june = {r["code"]: r for r in warnings_query.warning_summary(book, month="2026-06")}
    w9 = book.conn.execute("SELECT count(*) FROM warnings WHERE code = 'W9'").fetchone()[0]
    assert june["W6"]["new_month"] == 1 and june["W6"]["amount"] == 1_000_000_00 and june["W6"]["unrectified"] == 1
    assert june["W9"]["new_month"] == w9 and sum(r["new_month"] for r in june.values()) == len(
        warnings_query.counted(book, month="2026-06"))
    at(clock, D(2026, 7, 3))
    warnings.handle(book, warning_id=int(w6(book, ind)["id"]), status="rectified", note="已全部安排支付")
    assert warnings_query.warning_summary(book, month="2026-06") == list(june.values())
    july = {r["code"]: r for r in warnings_query.warning_summary(book, month="2026-07")}
    assert july["W6"]["new_month"] == 0 and july["W6"]["cum_count"] == 1 and july["W6"]["rectified"] == 1


def test_problems_from_warnings_follow_their_handling_and_feed_table9(idle: tuple[Book, int],
                                                                      clock: FixedClock) -> None:
    book, ind = idle
    warnings.recompute(book, as_of=D(2026, 6, 10))
    wid = int(w6(book, ind)["id"])
    pid = problems.from_warning(book, warning_id=wid, measures="督促实施单位加快进度", deadline=D(2026, 7, 31))
    with pytest.raises(ValidationError, match="已列入问题台账"):
        problems.from_warning(book, warning_id=wid)
    manual = problems.add(book, description="村级公示栏未张贴监督电话", origin="inspection", section="扶贫资金管理股",
                          amount=0, measures="补充张贴", deadline=D(2026, 6, 30))
    warnings.handle(book, warning_id=wid, status="rectifying", note="已约谈实施单位")
    state = problems.get(book, pid)
    assert (state["status"], state["progress"], state["measures"]) == ("rectifying", "已约谈实施单位", "督促实施单位加快进度")
    at(clock, D(2026, 7, 5))
    problems.update(book, problem_id=manual, status="rectified", progress="已补充张贴并拍照留存")
    june = problems.table9_rows(book, month="2026-06")
    assert [r["warning_id"] for r in june] == [wid, None]
    assert june[1]["status"] == "新发现" and june[0]["deadline"] == D(2026, 7, 31)
    july = problems.table9_rows(book, month="2026-07")
    assert july[1]["status"] == "已整改：已补充张贴并拍照留存"
    counted = {r["id"] for r in warnings_query.counted(book, month="2026-06")}
    assert all(r["warning_id"] in counted for r in june if r["warning_id"])


def test_dashboard_numbers_agree_with_independent_queries(idle: tuple[Book, int], clock: FixedClock) -> None:
    book, ind = idle
    login_as(book, "clerk")
    zh = register(book, kind="ZH", item="ZH01", amount=50_000_00, received_date=D(2026, 5, 11),
                  upper_doc_date=D(2026, 4, 28), prefecture_doc_date=D(2026, 5, 8))
    ledger.post_expenditure(book, indicator_id=zh, amount=12_345_67, entry_date=D(2026, 6, 1), voucher_no="ZF9",
                            payment_id=None, summary="支付")
    warnings.recompute(book, as_of=D(2026, 6, 10))
    wid = int(w6(book, ind)["id"])
    warnings.handle(book, warning_id=wid, status="rectifying", note="整改中")
    view = dashboard.overview(book, D(2026, 6, 10))
    sql = {(r[0], r[1]): r[2] for r in book.conn.execute("SELECT code, status, count(*) FROM warnings GROUP BY 1, 2")}
    for c in view.counts:
        assert c.by_status == {s: n for (code, s), n in sql.items() if code == c.code}
        active = book.conn.execute("SELECT count(*), coalesce(sum(amount), 0) FROM warnings WHERE code = ? "
                                   "AND cleared_on IS NULL", (c.code,)).fetchone()
        assert (c.active, c.amount) == (active[0], active[1])
    assert [c.code for c in view.counts] == [f"W{n}" for n in (*range(1, 10), *range(11, 17))]  # W11–W16: false claims (#18)
    for k in view.kinds:
        income, spent = book.conn.execute(
            "SELECT sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE 0 END), "
            "sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount ELSE 0 END) FROM ledger_entries e "
            "JOIN indicators i ON i.id = e.indicator_id WHERE i.kind = ? AND e.entry_date BETWEEN '2026-01-01' "
            "AND '2026-06-10'", (k.kind,)).fetchone()
        assert (k.income, k.spent, k.opening) == (income, spent, 0)
    assert view.pace == Fraction(161, 304) == progress.pace(book, D(2026, 6, 10))
    zh_row = next(k for k in view.kinds if k.kind == "ZH")
    assert zh_row.behind and zh_row.gap == -(-(50_000_00 * 161) // 304) - 12_345_67


def test_upcoming_lists_this_months_report_and_open_indicator_stages(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 4, 20))
    login_as(book, "clerk")
    register(book, received_date=D(2026, 4, 14), upper_doc_date=D(2026, 4, 3), prefecture_doc_date=D(2026, 4, 10))
    items = dashboard.upcoming(book, D(2026, 4, 20))
    whats = [(u.what, u.due) for u in items]
    assert ("月报签发报送", D(2026, 4, 28)) in whats  # the March report, due on the 28th
    assert any(u.object_type == "indicator" and u.due == D(2026, 5, 14) for u in items)  # 30 days to plan it
    assert all(D(2026, 4, 20) <= u.due <= D(2026, 5, 20) for u in items)


def test_the_stored_warnings_pass_verify_and_an_outside_edit_is_named(idle: tuple[Book, int],
                                                                        clock: FixedClock) -> None:
    book, ind = idle
    warnings.recompute(book, as_of=D(2026, 6, 10))
    wid = int(w6(book, ind)["id"])
    at(clock, D(2026, 6, 12))
    warnings.handle(book, warning_id=wid, status="rectifying", note="整改中")
    with pytest.raises(ValidationError, match="最近一次记录"):
        warnings.handle(book, warning_id=wid, status="rectified", note="已整改完毕", handled_on=D(2026, 6, 11))
    problems.from_warning(book, warning_id=wid)
    assert evidence.verify(book).ok
    book.conn.execute("UPDATE warnings SET status = 'rectified' WHERE id = ?", (wid,))  # another tool, no history
    found = [str(f) for f in evidence.verify(book).findings]
    assert any("监控预警" in f and f"预警 #{wid}" in f and "处理记录" in f for f in found)
