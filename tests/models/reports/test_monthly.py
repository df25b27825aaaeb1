"""Sign-off closes the month, packages re-create byte for byte, reopening makes v2 and keeps v1."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from app.export import evidence, signoff
from app.models.ledger import account as ledger
from app.models.reports import monthly
from app.models.store.book import Book, open_book, worker_book
from app.models.values.errors import PermissionDenied, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register


@pytest.fixture
def october(book: Book, clock) -> Book:
    """Receipts in September and October, one refund-free month of activity, signed in November."""
    clock.now = dt.datetime(2026, 11, 2, 9, 0)
    login_as(book, "clerk")
    register(book, received_date=dt.date(2026, 9, 10), amount=500_000_00, doc_no="新财农〔2026〕90号")
    register(book, received_date=dt.date(2026, 10, 9), amount=123_456_78, doc_no="新财农〔2026〕101号",
             source_level="region", item="ZX02", upper_doc_date=dt.date(2026, 10, 1), prefecture_doc_date=dt.date(2026, 10, 5))
    register(book, received_date=dt.date(2026, 10, 20), amount=10_000_00, doc_no="县财〔2026〕7号", source_level="county",
             kind="ZX", item="ZX01", upper_doc_date=None, prefecture_doc_date=None)
    clock.now = dt.datetime(2026, 11, 20, 10, 0)
    login_as(book, "chief")
    return book


def test_only_chief_signs_and_only_after_the_month(october: Book, tmp_path: Path, clock) -> None:
    login_as(october, "clerk")
    with pytest.raises(PermissionDenied):
        signoff.sign_off(october, month="2026-10", out_dir=tmp_path)
    login_as(october, "chief")
    with pytest.raises(ValidationError, match="结束后才能签发"):
        signoff.sign_off(october, month="2026-11", out_dir=tmp_path)


def test_sign_off_writes_package_and_closes_month(october: Book, tmp_path: Path) -> None:
    preview = monthly.preview(october, month="2026-10")
    assert preview.ok, [c.detail for c in preview.checks if not c.ok]
    result = signoff.sign_off(october, month="2026-10", out_dir=tmp_path, comment="同意报送")
    assert set(result.paths) == {"workbook", "pdf", "manifest"}
    assert monthly.status(october, month="2026-10") == "已签发"
    wb = openpyxl.load_workbook(result.paths["workbook"])
    assert wb.sheetnames[0] == "封面" and "表9" in wb.sheetnames
    # 表1 合计 of 累计到位 equals an independent SQL sum of the year's net income up to 31 October
    income = october.conn.execute(
        "SELECT sum(CASE WHEN side = 'income' THEN sign * amount END) FROM ledger_entries "
        "WHERE entry_date BETWEEN '2026-01-01' AND '2026-10-31'").fetchone()[0]
    rows = {r["item_code"]: r for r in preview.package.rows["fund_receipts"]}
    assert sum(r[f"cum_{c}"] for r in rows.values() for c in ("central", "region", "prefecture", "county")) == income
    # the month is closed in the database itself: raw SQL into October is refused
    raw = sqlite3.connect(october.path)
    with pytest.raises(sqlite3.IntegrityError, match="已签发结账"):
        raw.execute("UPDATE ledger_entries SET amount = amount + 1 WHERE entry_date = '2026-10-09'")
    raw.close()
    indicator = october.conn.execute("SELECT id FROM indicators WHERE doc_no = '新财农〔2026〕90号'").fetchone()[0]
    login_as(october, "clerk")
    with pytest.raises(Exception, match="结账"):
        ledger.post_manual(october, indicator_id=indicator, entry_type="return", amount=100,
                           entry_date=dt.date(2026, 10, 30), voucher_no="JH-1", summary="缴回测试")


def test_reexport_is_byte_identical_and_verify_checks_it(october: Book, tmp_path: Path) -> None:
    signed = signoff.sign_off(october, month="2026-10", out_dir=tmp_path / "sent")
    again = signoff.export(october, month="2026-10", out_dir=tmp_path / "again")
    for key in ("workbook", "manifest", "pdf"):
        assert signed.paths[key].read_bytes() == again.paths[key].read_bytes(), key
    path = october.path
    october.close(backup=False)
    ro = open_book(path, read_only=True)
    assert evidence.verify(ro).ok
    ro.close()


def test_reopen_creates_v2_and_keeps_v1(october: Book, tmp_path: Path, clock) -> None:
    signoff.sign_off(october, month="2026-10", out_dir=tmp_path)
    with pytest.raises(ValidationError, match="理由"):
        monthly.reopen(october, month="2026-10", reason="改")
    monthly.reopen(october, month="2026-10", reason="更正县本级资金的收到日期")
    assert monthly.status(october, month="2026-10") in ("待签发", "逾期")
    second = signoff.sign_off(october, month="2026-10", out_dir=tmp_path)
    assert second.folder.name.endswith("_v2")
    versions = [(s["version"], s["status"]) for s in monthly.signoffs(october, month="2026-10")]
    assert versions == [(1, "superseded"), (2, "signed")]
    assert (tmp_path / second.folder.name.replace("_v2", "_v1")).exists()
    assert signoff.export(october, month="2026-10", version=1, out_dir=tmp_path / "v1").folder.name.endswith("_v1")


def test_failed_cross_check_blocks_sign_off(october: Book, tmp_path: Path) -> None:
    """A ledger expenditure with no payment behind it makes 表3 and 表5 disagree (勾稽 3)."""
    indicator = october.conn.execute("SELECT id FROM indicators WHERE doc_no = '新财农〔2026〕90号'").fetchone()[0]
    login_as(october, "clerk")
    with october.write("post_ledger_entry"):
        ledger.post_expenditure(october, indicator_id=indicator, amount=1_00, entry_date=dt.date(2026, 10, 15),
                                voucher_no="ZF-X", payment_id=None, summary="无支付单的支出")
    login_as(october, "chief")
    with pytest.raises(ValidationError, match="第 3 条"):
        signoff.sign_off(october, month="2026-10", out_dir=tmp_path / "out")
    assert monthly.status(october, month="2026-10") != "已签发"
    assert not (tmp_path / "out").exists()


def test_verify_names_an_edited_signed_package(october: Book, tmp_path: Path) -> None:
    signoff.sign_off(october, month="2026-10", out_dir=tmp_path / "sent")
    path = october.path
    october.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER fl_audit_signoffs_u")
    raw.execute("UPDATE signoffs SET files = json_set(files, '$.\"manifest.json\"', 'ffff')")
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    report = evidence.verify(ro)
    ro.close()
    assert not report.ok
    text = report.text()
    assert "2026-10 第 1 版报送包" in text and "manifest.json" in text


def test_a_cancelled_sign_off_leaves_nothing(october: Book, tmp_path: Path) -> None:
    """The window's 取消 raises from the progress callback; every step it can raise at is before the commit."""
    from app.ui.kit.ops import Cancelled

    steps: list[str] = []

    def cancel_at(n: int):
        def progress(done: int, total: int, text: str) -> None:
            steps.append(text)
            if done == n:
                raise Cancelled()
        return progress

    audit_before = october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    for n in range(5):
        with pytest.raises(Cancelled):
            signoff.sign_off(october, month="2026-10", out_dir=tmp_path / "out", progress=cancel_at(n))
        assert monthly.status(october, month="2026-10") != "已签发"
        assert october.conn.execute("SELECT count(*) FROM signoffs").fetchone()[0] == 0
        assert october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before
        assert not (tmp_path / "out").exists()
    assert "写出报送包…" in steps
    result = signoff.sign_off(october, month="2026-10", out_dir=tmp_path / "out", progress=lambda *a: None)
    assert result.folder.name.endswith("_v1")


def test_a_worker_connection_keeps_the_windows_writes_out_of_the_sign_off(october: Book, tmp_path: Path) -> None:
    """The window signs off on a connection of its own: a write the GUI thread starts meanwhile waits and is
    refused with a Chinese message, instead of landing inside the sign-off's transaction."""
    from app.models.values.errors import FileError

    seen: list[bool] = []

    def progress(done: int, total: int, text: str) -> None:
        if done == 3:  # inside the sign-off's transaction
            october.conn.execute("PRAGMA busy_timeout = 200")
            with pytest.raises(FileError, match="占用"):
                with october.write("set_annual_plan", system=True):
                    pass
            seen.append(own.conn.in_transaction and not october.conn.in_transaction)

    with worker_book(october) as own:
        assert own is not october and own.user == october.user
        signoff.sign_off(own, month="2026-10", out_dir=tmp_path, progress=progress)
    assert seen == [True]
    assert monthly.status(october, month="2026-10") == "已签发"  # the window's connection sees the commit
