"""The special account: posting rules, 收支余 (checked against an independent SQL sum on the demo),
listings, and `verify` finding a ledger made inconsistent with another tool."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from app.demo import build as demo
from app.export import evidence
from app.models.ledger import account as ledger
from app.models.ledger import indicators
from app.models.ledger import query as ledger_query
from app.models.store import periods, users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError, ClosedPeriodError, PermissionDenied, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

D = dt.date


def _entries(book: Book) -> int:
    return int(book.conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0])


APRIL_1 = D(2026, 4, 1)


def _pay(book: Book, ind: int, amount: int, day: dt.date = APRIL_1, voucher: str = "ZF1") -> int:
    return ledger.post_expenditure(book, indicator_id=ind, amount=amount, entry_date=day, voucher_no=voucher,
                                   payment_id=None, summary="支付")


@pytest.fixture
def funded(book: Book) -> tuple[Book, int]:
    login_as(book, "clerk")
    return book, register(book, amount=100_000_00)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount": 0}, "金额"),
    ({"amount": -5}, "金额"),
    ({"amount": 100_000_01}, "金额"),
    ({"entry_date": D(2026, 11, 21)}, "记账日期"),
    ({"entry_date": D(2026, 3, 9)}, "记账日期"),  # before the indicator was received
    ({"voucher_no": " "}, "凭证号"),
    ({"indicator_id": 999}, "指标"),
])
def test_expenditure_refusals_write_nothing(funded: tuple[Book, int], kwargs: dict[str, object], field: str) -> None:
    book, ind = funded
    args: dict[str, object] = {"indicator_id": ind, "amount": 1_00, "entry_date": D(2026, 4, 1), "voucher_no": "ZF9",
                               "payment_id": None, "summary": "支付"} | kwargs
    before = _entries(book)
    with pytest.raises(AppError) as err:  # ValidationError, or NotFound for an unknown indicator
        ledger.post_expenditure(book, **args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert _entries(book) == before


def test_expenditure_up_to_the_last_fen_then_refused(funded: tuple[Book, int]) -> None:
    book, ind = funded
    _pay(book, ind, 60_000_00, voucher="ZF1")
    _pay(book, ind, 40_000_00, voucher="ZF2")
    assert indicators.available(book, ind) == 0
    with pytest.raises(ValidationError, match="可用余额 0.00 元"):
        _pay(book, ind, 1, voucher="ZF3")


def test_same_voucher_cannot_be_posted_twice(funded: tuple[Book, int]) -> None:
    book, ind = funded
    _pay(book, ind, 1_00, voucher="ZF1")
    with pytest.raises(ValidationError, match="已记过账") as err:
        _pay(book, ind, 2_00, voucher="ZF1")
    assert err.value.field == "凭证号"


def test_entry_in_a_closed_month_is_refused(funded: tuple[Book, int]) -> None:
    book, ind = funded
    login_as(book, "chief")
    periods.close_month(book, month="2026-04")
    login_as(book, "clerk")
    with pytest.raises(ClosedPeriodError) as err:
        _pay(book, ind, 1_00, day=D(2026, 4, 30))
    assert err.value.field == "记账日期"
    with pytest.raises(ClosedPeriodError):
        ledger.post_manual(book, indicator_id=ind, entry_type="return", amount=1_00, entry_date=D(2026, 4, 3),
                           voucher_no="JH1", summary="缴回结余")
    _pay(book, ind, 1_00, day=D(2026, 5, 1))  # the next month is open


def test_payment_flow_roles_and_nesting(funded: tuple[Book, int]) -> None:
    book, ind = funded
    login_as(book, "auditor")
    with pytest.raises(PermissionDenied):
        _pay(book, ind, 1_00)
    login_as(book, "reviewer")
    with pytest.raises(RuntimeError):
        with book.write("post_ledger_entry"):  # the caller's transaction fails after posting
            _pay(book, ind, 5_00)
            raise RuntimeError("支付记录写入失败")
    assert indicators.get(book, ind)["paid"] == 0


def test_manual_refund_and_return(funded: tuple[Book, int]) -> None:
    book, ind = funded
    _pay(book, ind, 30_000_00)
    with pytest.raises(ValidationError, match="已支出") as err:
        ledger.post_manual(book, indicator_id=ind, entry_type="refund", amount=30_000_01, entry_date="2026-05-01",
                           voucher_no="TH1", summary="退回")
    assert err.value.field == "金额"
    ledger.post_manual(book, indicator_id=ind, entry_type="refund", amount=1_000_00, entry_date="2026-05-01",
                       voucher_no="TH1", summary="收款人退回多付款")
    with pytest.raises(ValidationError, match="可用余额"):
        ledger.post_manual(book, indicator_id=ind, entry_type="return", amount=71_000_01, entry_date="2026-05-02",
                           voucher_no="JH1", summary="缴回")
    ledger.post_manual(book, indicator_id=ind, entry_type="return", amount=71_000_00, entry_date="2026-05-02",
                       voucher_no="JH1", summary="结余缴回自治区")
    got = indicators.get(book, ind)
    assert (got["paid"], got["refunded"], got["returned"], got["net_amount"], got["available"]) == (
        29_000_00, 1_000_00, 71_000_00, 29_000_00, 0)
    with pytest.raises(ValidationError) as err:
        ledger.post_manual(book, indicator_id=ind, entry_type="expenditure", amount=1, entry_date="2026-05-02",
                           voucher_no="X", summary="x")
    assert err.value.field == "记账类型"
    with pytest.raises(ValidationError) as err:
        ledger.post_manual(book, indicator_id=ind, entry_type="refund", amount=1, entry_date="2026-05-02",
                           voucher_no="TH2", summary=" ")
    assert err.value.field == "摘要"


def test_opening_balance_is_the_previous_years_closing(book: Book) -> None:
    login_as(book, "clerk")
    old = register(book, year=2025, amount=50_000_00, received_date=D(2025, 11, 3), upper_doc_date=None,
                   prefecture_doc_date=None)
    _pay(book, old, 20_000_00, day=D(2025, 12, 10), voucher="ZF2025")
    new = register(book, amount=10_000_00, kind="ZH", item="ZH01", received_date=D(2026, 2, 2),
                   upper_doc_date=None, prefecture_doc_date=None, section="农业股")
    _pay(book, old, 5_000_00, day=D(2026, 2, 15), voucher="ZF1")
    _pay(book, new, 4_000_00, day=D(2026, 3, 3), voucher="ZF2")
    dec = {r["key"]: r for r in ledger_query.balances(book, month="2025-12")}
    feb = {r["key"]: r for r in ledger_query.balances(book, month="2026-02")}
    mar = {r["key"]: r for r in ledger_query.balances(book, month="2026-03")}
    assert dec["ZX"]["closing"] == 30_000_00 == feb["ZX"]["opening"]
    assert (feb["ZX"]["month_opening"], feb["ZX"]["expenditure_month"], feb["ZX"]["closing"]) == (30_000_00, 5_000_00, 25_000_00)
    assert (mar["ZH"]["opening"], mar["ZH"]["income_month"], mar["ZH"]["income_ytd"], mar["ZH"]["month_opening"],
            mar["ZH"]["expenditure_month"], mar["ZH"]["closing"]) == (0, 0, 10_000_00, 10_000_00, 4_000_00, 6_000_00)
    assert mar[""]["name"] == "合计" and mar[""]["closing"] == 31_000_00
    sections = {r["name"]: r["closing"] for r in ledger_query.balances(book, month="2026-03", by="section")}
    assert sections == {"扶贫资金管理股": 25_000_00, "农业股": 6_000_00, "合计": 31_000_00}
    by_indicator = ledger_query.balances(book, month="2026-03", by="indicator")
    assert {r["key"]: r["closing"] for r in by_indicator if not r["total"]} == {old: 25_000_00, new: 6_000_00}
    with pytest.raises(ValidationError):
        ledger_query.balances(book, month="2026-03", by="township")


# -- the demo county against an independent sum ---------------------------------------------------


@pytest.fixture
def demo_book(demo_book: Book) -> Book:
    """The session's demo county (tests/conftest.py), a copy of its own, as the clerk (jingban)."""
    users.login(demo_book, "jingban", demo.PASSWORD)
    return demo_book


def _independent(conn: sqlite3.Connection, kind: str, lo: str, hi: str, side: str | None) -> int:
    """Plain sums over the raw entries, written without the app's query helpers."""
    total = 0
    for entry_side, sign, amount in conn.execute(
            "SELECT e.side, e.sign, e.amount FROM ledger_entries e, indicators i "
            "WHERE e.indicator_id = i.id AND i.kind = ? AND e.entry_date >= ? AND e.entry_date <= ?", (kind, lo, hi)):
        if side is None:
            total += sign * amount if entry_side == "income" else -sign * amount
        elif entry_side == side:
            total += sign * amount
    return total


def test_demo_balances_match_an_independent_sum(demo_book: Book) -> None:
    conn = demo_book.conn
    kinds = [r[0] for r in conn.execute("SELECT code FROM fund_kinds")]
    assert {r[0] for r in conn.execute("SELECT DISTINCT kind FROM indicators")} == set(kinds)  # every kind is in the demo
    for month in range(1, 12):
        last = (D(2026, month % 12 + 1, 1) if month < 12 else D(2027, 1, 1)) - dt.timedelta(days=1)
        first = f"2026-{month:02d}-01"
        rows = {r["key"]: r for r in ledger_query.balances(demo_book, month=f"2026-{month:02d}")}
        for kind in kinds:
            r = rows.get(kind)
            expected = (
                _independent(conn, kind, "0000-01-01", "2025-12-31", None),
                _independent(conn, kind, first, last.isoformat(), "income"),
                _independent(conn, kind, "2026-01-01", last.isoformat(), "income"),
                _independent(conn, kind, first, last.isoformat(), "expenditure"),
                _independent(conn, kind, "2026-01-01", last.isoformat(), "expenditure"),
                _independent(conn, kind, "0000-01-01", last.isoformat(), None),
            )
            got = (0, 0, 0, 0, 0, 0) if r is None else (
                r["opening"], r["income_month"], r["income_ytd"], r["expenditure_month"], r["expenditure_ytd"],
                r["closing"])
            assert got == expected, (month, kind)
            if r is not None:
                assert r["closing"] == r["opening"] + r["income_ytd"] - r["expenditure_ytd"]
    zx = {r["key"]: r for r in ledger_query.balances(demo_book, month="2026-01")}["ZX"]
    assert zx["opening"] > 0  # the 2025 indicator's balance carried into 2026


def test_years_are_every_entry_year_found_by_index_seeks(demo_book: Book) -> None:
    """The 专账 tab's year filter: every year with an entry, newest first, read by one index seek per year
    (issue #22: the first paint must not pass over every entry of every year)."""
    conn = demo_book.conn
    expected = sorted({int(str(r[0])[:4]) for r in conn.execute("SELECT entry_date FROM ledger_entries")}, reverse=True)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        got = ledger_query.years(demo_book)
    finally:
        conn.set_trace_callback(None)
    assert got == expected and len(expected) >= 2
    plan = " | ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {statements[-1]}"))
    assert "SCAN ledger_entries" not in plan and "ledger_entries_date" in plan, plan


def test_stages_read_the_bureau_level_once_and_name_what_the_plain_lookups_name(demo_book: Book) -> None:
    """The register's deadline column (200 indicators a page): `stages` reads the bureau's level and the
    indicator's stages once and reuses them for every label and date; what it shows is what the one-at-a-time
    lookups (`event_label`, `event_dates`, `applicable`) give for every indicator of the demo."""
    from app.models.ledger import deadlines

    book = demo_book
    inds = [indicators._row(book, r) for r in book.conn.execute(indicators.SELECT)]
    assert len(inds) > 10
    shown = 0
    for ind in inds:
        statements: list[str] = []
        book.conn.set_trace_callback(statements.append)
        try:
            found = deadlines.stages(book, ind)
        finally:
            book.conn.set_trace_callback(None)
        assert sum("FROM bureau" in s for s in statements) == 1, statements
        known = deadlines.event_dates(book, ind)
        assert [s["code"] for s in found] == [d.code for d in deadlines.applicable(book, ind) if d.from_event in known]
        for s in found:
            assert s["from_name"] == deadlines.event_label(book, ind, s["from_event"])
            assert s["to_name"] == deadlines.event_label(book, ind, s["to_event"])
            assert s["from_date"] == known[s["from_event"]]
            shown += 1
    assert shown > len(inds)


def test_entry_query_filters_sorts_and_pages(demo_book: Book) -> None:
    q = ledger_query.EntryQuery(demo_book, year=2026, month=10)
    rows = q.all()
    assert len(rows) == q.count() > 0 and all(r["entry_date"].startswith("2026-10") for r in rows)
    page1, page2 = q.fetch(0, 3, "entry_date", False), q.fetch(3, 3, "entry_date", False)
    assert [r["id"] for r in page1 + page2] == [r["id"] for r in rows[:6]]
    by_amount = q.fetch(0, q.count(), "expenditure", True)
    values = [r["expenditure"] for r in by_amount if r["expenditure"] is not None]
    assert values == sorted(values, reverse=True)
    injected = q.fetch(0, 5, "entry_date; DROP TABLE ledger_entries", False)  # not whitelisted: default order
    assert len(injected) == 5
    text = ledger_query.EntryQuery(demo_book, text="缴回")
    assert [r["entry_type"] for r in text.all()] == ["return"]
    sec = ledger_query.EntryQuery(demo_book, section="农业股", kind="ZH")
    assert sec.count() > 0 and all(r["section"] == "农业股" and r["kind"] == "ZH" for r in sec.all())


# -- verify finds what another tool did ----------------------------------------------------------


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for name in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("PRAGMA ignore_check_constraints = ON")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _findings(path: Path) -> list[str]:
    b = open_book(path, read_only=True)
    try:
        report = evidence.verify(b)
    finally:
        b.close()
    return [str(f) for f in report.findings]


def test_verify_passes_the_demo_and_flags_an_overdrawn_indicator(demo_book: Book) -> None:
    path = demo_book.path
    demo_book.close(backup=False)
    assert _findings(path) == []
    _tamper(path, "UPDATE ledger_entries SET amount = amount * 100 WHERE id = "
                  "(SELECT min(id) FROM ledger_entries WHERE entry_type = 'expenditure')")
    found = _findings(path)
    assert any("专账不变量" in f and "超过收入" in f for f in found), found


def test_verify_flags_an_indicator_amount_changed_behind_the_ledger(demo_book: Book) -> None:
    path = demo_book.path
    demo_book.close(backup=False)
    _tamper(path, "UPDATE indicators SET amount = amount + 100 WHERE id = 1")
    found = _findings(path)
    assert any("专账不变量" in f and "二者不符" in f for f in found), found


def test_verify_flags_an_entry_dated_outside_every_period(demo_book: Book) -> None:
    path = demo_book.path
    demo_book.close(backup=False)
    _tamper(path, "UPDATE ledger_entries SET entry_date = '2026/05/01' WHERE id = "
                  "(SELECT max(id) FROM ledger_entries WHERE entry_type = 'expenditure')")
    found = _findings(path)
    assert any("收支余" in f and "不是有效日期" in f for f in found), found
