"""A signed month never drifts on an honest file: facts recorded later, dated after the month's end, must not
change what verify re-sums for it (as-of semantics, docs/月报说明.md 表2), while the insider who back-dates or
post-dates a fact with sqlite3 is still caught."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from app.export import signoff
from app.models.integrity import anchors, incremental
from app.models.ledger import indicators
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.reports import monthly, snapshot
from app.models.store import users
from app.models.store.book import Book, open_book
from tests.conftest import FixedClock
from tests.reliability import crash_child as cc

FIELDS = {"code": "XM-LATER-002", "year": 2026, "name": "示例村道路硬化项目", "category": "infrastructure",
          "construction_type": "new", "township": "城关镇", "village": "巴格其村", "content": "硬化村道 2 公里",
          "start_date": "2026-06-15", "end_date": "2026-10-31", "implementer": "城关镇人民政府",
          "responsible": "李四", "asset_type": "public"}


def _signed_march(tmp_path: Path) -> tuple[Path, Book]:
    """The base file (an indicator received 03-10, half of it planned 04-01: the county's own stage 资金全部安排
    is open at the end of March) with January–March signed on 06-03."""
    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    book.clock = FixedClock(dt.datetime(2026, 6, 3, 9, 0))
    users.login(book, "chief", cc.PASSWORD)
    signoff.sign_months(book, months=["2026-01", "2026-02", "2026-03"], out_dir=tmp_path / "sent", password=cc.PASSWORD)
    return path, book


def _plan_the_rest(book: Book, day: dt.date) -> None:
    """The clerk plans the other half of the indicator in a second project, approved on `day` (after March)."""
    ind, *_ = cc._ids(book)
    net = int(book.conn.execute("SELECT amount FROM indicators WHERE id = ?", (ind,)).fetchone()[0])
    cc._as(book, "clerk")
    pid = projects.create_project(book, fields=FIELDS, funding=[(ind, net - net // 2)])
    plan.approve_plan(book, project_ids=[pid], decision_no="示扶组发〔2026〕7号", decision_date=day)


def _march_row(book: Book) -> dict[str, object]:
    [row] = monthly.assemble(book, month="2026-03", carried=False).rows["indicators"]
    return dict(row)


def _unguard(raw: sqlite3.Connection) -> None:
    """The insider drops every trigger on the plan decisions (closed-month guard, audit)."""
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'plan_decisions'"
                               ).fetchall():
        raw.execute(f"DROP TRIGGER {name}")


def _drift(book: Book) -> list[str]:
    return [str(f) for f in anchors.check_drift(book)]


def test_a_completion_recorded_later_dated_after_the_month_does_not_drift_it(tmp_path: Path) -> None:
    path, book = _signed_march(tmp_path)
    try:
        signed = snapshot.loads(book.conn.execute(
            "SELECT data FROM signoffs WHERE month = '2026-03' AND status = 'signed'").fetchone()[0])
        [row] = signed.rows["indicators"]
        assert row["issued_on"] is None and row["overdue"] is False  # open on 03-31, due 04-09
        assert row["days_used"] == "21个自然日"
        assert _drift(book) == []
        book.clock = FixedClock(dt.datetime(2026, 6, 12, 9, 0))
        _plan_the_rest(book, dt.date(2026, 6, 10))  # done 06-10: 92 days, late — but not as of 03-31
        assert _march_row(book) == dict(row)
        assert _drift(book) == []
        assert list(incremental.signed_data(book.conn)) == []  # the start-up / incremental check
        # the month not yet signed sees the completion once it is inside its period
        [june] = monthly.assemble(book, month="2026-06").rows["indicators"]
        assert june["issued_on"] == dt.date(2026, 6, 10) and june["overdue"] is True
        assert june["days_used"] == "92个自然日"
    finally:
        book.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        assert _drift(ro) == []
    finally:
        ro.close()


def test_the_insider_who_back_dates_the_completion_into_the_signed_month_is_caught(tmp_path: Path) -> None:
    path, book = _signed_march(tmp_path)
    try:
        book.clock = FixedClock(dt.datetime(2026, 6, 12, 9, 0))
        _plan_the_rest(book, dt.date(2026, 6, 10))
        assert _drift(book) == []
    finally:
        book.close(backup=False)
    raw = sqlite3.connect(path)  # with sqlite3: the decision now "happened" on 03-20, inside signed March
    _unguard(raw)
    raw.execute("UPDATE plan_decisions SET decision_date = '2026-03-20' WHERE doc_no = '示扶组发〔2026〕7号'")
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        found = _drift(ro)
        assert any("2026-03" in f and "表2" in f for f in found), found
    finally:
        ro.close()


def test_the_insider_who_post_dates_a_completion_out_of_the_signed_month_is_caught(tmp_path: Path) -> None:
    """A completion inside March, signed as done; moved with sqlite3 to after March, it would read as 'not done
    then' under the as-of rule — a different figure from the signed one, so caught."""
    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    try:
        book.clock = FixedClock(dt.datetime(2026, 5, 12, 9, 0))
        raw_day = dt.date(2026, 3, 25)
        # a second document received 03-05, wholly planned honestly inside March (dated 03-25) before it is signed
        cc._as(book, "clerk")
        ind = indicators.register(book, doc_no="新财农〔2026〕901号", year=2026, kind="ZX", item="ZX01",
                                  source_level="central", amount=1_000_000_00, received_date=dt.date(2026, 3, 10),
                                  upper_doc_date=dt.date(2026, 3, 1), prefecture_doc_date=dt.date(2026, 3, 6),
                                  func_code="2130505", section="扶贫资金管理股", title="三月指标")
        pid = projects.create_project(book, fields=FIELDS, funding=[(ind, 1_000_000_00)])
        plan.approve_plan(book, project_ids=[pid], decision_no="示扶组发〔2026〕7号", decision_date=raw_day)
        book.clock = FixedClock(dt.datetime(2026, 6, 3, 9, 0))
        users.login(book, "chief", cc.PASSWORD)
        signoff.sign_months(book, months=["2026-01", "2026-02", "2026-03"], out_dir=tmp_path / "sent",
                            password=cc.PASSWORD)
        [row] = [r for r in snapshot.loads(book.conn.execute(
            "SELECT data FROM signoffs WHERE month = '2026-03'").fetchone()[0]).rows["indicators"]
                 if r["doc_no"] == "新财农〔2026〕901号"]
        assert row["issued_on"] == raw_day and row["days_used"] == "15个自然日"
        assert _drift(book) == []
    finally:
        book.close(backup=False)
    raw = sqlite3.connect(path)
    _unguard(raw)
    raw.execute("UPDATE plan_decisions SET decision_date = '2026-04-20' WHERE doc_no = '示扶组发〔2026〕7号'")
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        found = _drift(ro)
        assert any("2026-03" in f and "表2" in f for f in found), found
    finally:
        ro.close()


def test_a_month_signed_by_the_previous_version_still_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A month signed before the as-of rule (no `calc` in its signed data) is re-summed as that version summed it.
    The previous version signs March on 06-12, after the clerk recorded a completion dated 06-10: its 表2 counted
    用时 to 06-10 (92 days, late). After the upgrade that honest old file still verifies; a new sign-off of the
    same facts states calc 1 and counts to 03-31."""
    from app.models.reports import package_data

    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    try:
        book.clock = FixedClock(dt.datetime(2026, 6, 12, 9, 0))
        _plan_the_rest(book, dt.date(2026, 6, 10))
        users.login(book, "chief", cc.PASSWORD)
        with monkeypatch.context() as old:  # the previous program version
            old.setattr(package_data, "CALC", 0)
            signoff.sign_months(book, months=["2026-01", "2026-02", "2026-03"], out_dir=tmp_path / "sent",
                                password=cc.PASSWORD)
        data = json.loads(book.conn.execute("SELECT data FROM signoffs WHERE month = '2026-03'").fetchone()[0])
        assert "calc" not in data  # the old text, byte for byte as the old version wrote it
        [row] = data["rows"]["indicators"]
        assert row["days_used"] == "92个自然日" and row["overdue"] is True
        assert _drift(book) == []  # re-summed the old way
        assert _march_row(book)["days_used"] == "21个自然日"  # the new way, for a month signed now
        monthly.reopen(book, month="2026-03", reason="更正：按截至期末的口径重新签发", password=cc.PASSWORD)
        signoff.sign_off(book, password=cc.PASSWORD, month="2026-03", out_dir=tmp_path / "sent2")
        new = json.loads(book.conn.execute("SELECT data FROM signoffs WHERE month = '2026-03' AND status = 'signed'"
                                           ).fetchone()[0])
        assert new["calc"] == package_data.CALC >= 1 and new["rows"]["indicators"][0]["days_used"] == "21个自然日"
        assert _drift(book) == []
    finally:
        book.close(backup=False)


def test_the_insider_who_strips_calc_from_a_new_signed_month_is_caught(tmp_path: Path) -> None:
    """calc is signed with the package (its manifest): removing it from the stored data with sqlite3, the data's
    hash redone, so that the re-sum would take the old rule, makes the package re-create differently."""
    from app.export import signed as signed_packages
    from app.models.reports import package_data

    path, book = _signed_march(tmp_path)
    try:
        assert signed_packages.check_package(book, "2026-03", 1, signed_packages.rendering_now(book, 2026)) is None
        data = book.conn.execute("SELECT data FROM signoffs WHERE month = '2026-03'").fetchone()[0]
        assert snapshot.loads(data).calc == package_data.CALC
    finally:
        book.close(backup=False)
    raw = sqlite3.connect(path)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'signoffs'").fetchall():
        raw.execute(f"DROP TRIGGER {name}")
    stripped = data.replace(f',"calc":{package_data.CALC}', "")
    assert snapshot.loads(stripped).calc == 0
    raw.execute("UPDATE signoffs SET data = ?, data_sha256 = ? WHERE month = '2026-03'", (stripped, snapshot.digest(stripped)))
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        found = signed_packages.check_package(ro, "2026-03", 1, signed_packages.rendering_now(ro, 2026))
        assert found is not None and "manifest" in str(found), found
    finally:
        ro.close()


def test_a_plan_adjusted_after_a_signed_month_does_not_drift_its_table5(tmp_path: Path) -> None:
    """表5's 计划金额 and name (and 表8's name, 表6's 应公示数) of a signed month are the plan approved by its end:
    a later 调整 (dated after it, here renaming the project and adding money) leaves them."""
    from app.models.payments import requests as payments
    from app.models.plan import decisions

    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    try:
        book.clock = FixedClock(dt.datetime(2026, 5, 12, 9, 0))
        ind, pid, payee, _ = cc._ids(book)
        cc._as(book, "clerk")
        pay = payments.draft(book, project_id=pid, indicator_id=ind, payee_id=payee, amount=2_000_00, kind="progress",
                             usage="industry", func_code="2130505", econ_code="31005", method="direct",
                             draft_date=dt.date(2026, 4, 20))
        got = payments.submit(book, payment_id=pay)["payment"]
        assert got["status"] == "submitted", got["return_reason"]
        cc._as(book, "reviewer")
        payments.review(book, payment_id=pay)
        cc._as(book, "clerk")
        payments.mark_paid(book, payment_id=pay, voucher_no="ZF-APR-1", pay_date=dt.date(2026, 4, 25))
        book.clock = FixedClock(dt.datetime(2026, 6, 3, 9, 0))
        users.login(book, "chief", cc.PASSWORD)
        signoff.sign_months(book, months=["2026-01", "2026-02", "2026-03", "2026-04"], out_dir=tmp_path / "sent",
                            password=cc.PASSWORD)
        [row] = snapshot.loads(book.conn.execute(
            "SELECT data FROM signoffs WHERE month = '2026-04'").fetchone()[0]).rows["project_payments"]
        net = int(book.conn.execute("SELECT amount FROM indicators WHERE id = ?", (ind,)).fetchone()[0])
        assert row["planned"] == net // 2
        book.clock = FixedClock(dt.datetime(2026, 6, 12, 9, 0))
        cc._as(book, "clerk")
        decisions.adjust_project(book, project_id=pid, fields={"name": "示例村产业发展项目（扩建）"}, funding=[(ind, net // 2 + 100_000_00)],
                                 decision_no="示扶组发〔2026〕8号", decision_date=dt.date(2026, 6, 10), reason="追加资金")
        # 表5 and 表6 (应公示数: the project was approved by the end of April, whatever was decided later) hold
        assert _drift(book) == []
        [april] = monthly.assemble(book, month="2026-04", carried=False).rows["project_payments"]
        assert april["planned"] == net // 2 and april["project_name"] == row["project_name"]
        [june] = monthly.assemble(book, month="2026-06").rows["project_payments"]
        assert june["planned"] == net // 2 + 100_000_00
    finally:
        book.close(backup=False)


def test_a_reduction_recorded_later_does_not_complete_a_signed_months_stage(tmp_path: Path) -> None:
    """April signed with the own stage open (half planned on 04-01). A 调减 of the unplanned half dated 06-10
    makes the plan cover the indicator — from 06-10, not from 04-01: April's 表2 stays as signed."""
    from app.models.ledger import indicators as ledger_indicators

    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    try:
        ind, *_ = cc._ids(book)
        book.clock = FixedClock(dt.datetime(2026, 6, 3, 9, 0))
        users.login(book, "chief", cc.PASSWORD)
        signoff.sign_months(book, months=["2026-01", "2026-02", "2026-03", "2026-04"], out_dir=tmp_path / "sent",
                            password=cc.PASSWORD)
        [row] = snapshot.loads(book.conn.execute(
            "SELECT data FROM signoffs WHERE month = '2026-04'").fetchone()[0]).rows["indicators"]
        assert row["issued_on"] is None and row["overdue"] is True and "县：逾期未完成" in row["stages"]
        book.clock = FixedClock(dt.datetime(2026, 6, 12, 9, 0))
        cc._as(book, "clerk")
        net = int(book.conn.execute("SELECT amount FROM indicators WHERE id = ?", (ind,)).fetchone()[0])
        ledger_indicators.reduce(book, indicator_id=ind, kind="reduce", doc_no="新财农〔2026〕950号",
                                 reduction_date=dt.date(2026, 6, 10), amount=net - net // 2, reason="调减未安排部分")
        assert _drift(book) == []
        [june] = monthly.assemble(book, month="2026-06").rows["indicators"]
        assert june["issued_on"] is not None  # fully planned by the end of June (planned_on names its decision day)
        monthly_old = monthly.assemble(book, month="2026-04", carried=False, calc=0).rows["indicators"]
        assert monthly_old[0]["issued_on"] == dt.date(2026, 4, 1)  # the old rule would have drifted April
    finally:
        book.close(backup=False)
