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
from tests.conftest import PASSWORD, login_as
from tests.models.ledger.ledger_fixtures import register


@pytest.fixture
def october(book: Book, clock, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """Receipts in September and October, one refund-free month of activity, signed in November (September
    first: months are signed in order)."""
    clock.now = dt.datetime(2026, 11, 2, 9, 0)
    login_as(book, "clerk")
    register(book, received_date=dt.date(2026, 9, 10), amount=500_000_00, doc_no="新财农〔2026〕90号")
    register(book, received_date=dt.date(2026, 10, 9), amount=123_456_78, doc_no="新财农〔2026〕101号",
             source_level="region", item="ZX02", upper_doc_date=dt.date(2026, 10, 1), prefecture_doc_date=dt.date(2026, 10, 5))
    register(book, received_date=dt.date(2026, 10, 20), amount=10_000_00, doc_no="县财〔2026〕7号", source_level="county",
             kind="ZX", item="ZX01", upper_doc_date=None, prefecture_doc_date=None)
    clock.now = dt.datetime(2026, 11, 20, 10, 0)
    login_as(book, "chief")
    signoff.sign_off(book, month="2026-09", out_dir=tmp_path_factory.mktemp("september"), password=PASSWORD)
    return book


def test_only_chief_signs_and_only_after_the_month(october: Book, tmp_path: Path, clock) -> None:
    login_as(october, "clerk")
    with pytest.raises(PermissionDenied):
        signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path)
    login_as(october, "chief")
    with pytest.raises(ValidationError, match="结束后才能签发"):
        signoff.sign_off(october, password=PASSWORD, month="2026-11", out_dir=tmp_path)


def test_sign_off_writes_package_and_closes_month(october: Book, tmp_path: Path) -> None:
    preview = monthly.preview(october, month="2026-10")
    assert preview.ok, [c.detail for c in preview.checks if not c.ok]
    result = signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path, comment="同意报送")
    assert set(result.paths) == {"workbook", "pdf", "manifest", "signature"}
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
    signed = signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "sent")
    again = signoff.export(october, month="2026-10", out_dir=tmp_path / "again")
    for key in ("workbook", "manifest", "pdf"):
        assert signed.paths[key].read_bytes() == again.paths[key].read_bytes(), key
    path = october.path
    october.close(backup=False)
    ro = open_book(path, read_only=True)
    assert evidence.verify(ro).ok
    ro.close()


def test_reopen_creates_v2_and_keeps_v1(october: Book, tmp_path: Path, clock) -> None:
    signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path)
    with pytest.raises(ValidationError, match="理由"):
        monthly.reopen(october, month="2026-10", reason="改", password=PASSWORD)
    monthly.reopen(october, month="2026-10", reason="更正县本级资金的收到日期", password=PASSWORD)
    assert monthly.status(october, month="2026-10") in ("待签发", "逾期")
    second = signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path)
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
        signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "out")
    assert monthly.status(october, month="2026-10") != "已签发"
    assert not (tmp_path / "out").exists()


def test_verify_names_an_edited_signed_package(october: Book, tmp_path: Path) -> None:
    signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "sent")
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
    assert "2026-10 第 1 版" in text and "manifest.json" in text


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
            signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "out", progress=cancel_at(n))
        assert monthly.status(october, month="2026-10") != "已签发"
        assert october.conn.execute("SELECT count(*) FROM signoffs WHERE month = '2026-10'").fetchone()[0] == 0
        assert october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before
        assert not (tmp_path / "out").exists()
    assert "写出报送包…" in steps
    result = signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "out", progress=lambda *a: None)
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
        signoff.sign_off(own, password=PASSWORD, month="2026-10", out_dir=tmp_path, progress=progress)
    assert seen == [True]
    assert monthly.status(october, month="2026-10") == "已签发"  # the window's connection sees the commit


# -- months close in order and stay closed ----------------------------------------------------------------------
def test_november_cannot_be_signed_while_october_is_open(october: Book, tmp_path: Path, clock) -> None:
    clock.now = dt.datetime(2026, 12, 3, 9, 0)
    before = october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(ValidationError, match="2026-10 尚未签发"):
        signoff.sign_off(october, password=PASSWORD, month="2026-11", out_dir=tmp_path / "out")
    assert october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    assert not (tmp_path / "out").exists()
    # signed together, in order, each its own signed package
    results = signoff.sign_months(october, months=["2026-11", "2026-10"], out_dir=tmp_path / "out", password=PASSWORD)
    assert [r.folder.name[-10:] for r in results] == ["2026-10_v1", "2026-11_v1"]
    assert [monthly.status(october, month=m) for m in ("2026-10", "2026-11")] == ["已签发", "已签发"]
    # and reopened only from the latest back
    with pytest.raises(ValidationError, match="2026-11 已签发"):
        monthly.reopen(october, month="2026-10", reason="更正十月数据的测试", password=PASSWORD)


def test_an_entry_dated_before_the_last_signed_month_is_refused(book: Book, tmp_path: Path, clock) -> None:
    """A month that was never signed but lies before the last signed one is closed as well, in the program and
    in the triggers (sqlite3 users are stopped too)."""
    clock.now = dt.datetime(2026, 11, 2, 9, 0)
    login_as(book, "clerk")
    register(book, received_date=dt.date(2026, 10, 9), amount=100_00, doc_no="新财农〔2026〕120号")
    clock.now = dt.datetime(2026, 11, 20, 10, 0)
    login_as(book, "chief")
    signoff.sign_off(book, password=PASSWORD, month="2026-10", out_dir=tmp_path)  # October is the first month in use
    login_as(book, "clerk")
    with pytest.raises(Exception, match="早于最后一个已签发的月份|已签发结账"):
        register(book, received_date=dt.date(2026, 9, 20), amount=100_00, doc_no="新财农〔2026〕121号")
    raw = sqlite3.connect(book.path)
    with pytest.raises(sqlite3.IntegrityError, match="已签发结账"):
        raw.execute("INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, created_at) "
                    "VALUES ('2026-09-20', (SELECT min(id) FROM indicators), 'income', 'income', 1, 100, '2026-11-20')")
    raw.close()


def test_a_drifted_signed_month_is_named_by_verify(october: Book, tmp_path: Path) -> None:
    signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "sent")
    path = october.path
    october.close(backup=False)
    raw = sqlite3.connect(path)  # an entry slipped into September around the lock: triggers dropped, then restored
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries'").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE ledger_entries SET amount = amount + 1000000 WHERE entry_date = '2026-09-10'")
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    report = evidence.verify(ro)
    ro.close()
    drift = [str(f) for f in report.findings if f.check == "已签发月份"]
    assert any(f.startswith("[已签发月份] 2026-10 已签发报送包") and "表1" in f and "签发时" in f for f in drift), drift
    assert any("2026-09" in f for f in drift), drift


def test_cross_checks_run_again_on_the_data_actually_signed(october: Book, tmp_path: Path, monkeypatch) -> None:
    """Data that changes between the chief's preview and the signing transaction (here: written while the
    pre-signing backup runs) is checked again inside the transaction, on what is signed."""
    from app.export import signoff as signoff_module

    indicator = october.conn.execute("SELECT id FROM indicators WHERE doc_no = '新财农〔2026〕90号'").fetchone()[0]
    real_backup = signoff_module.backup.make

    def backup_then_a_late_entry(book: Book, *, reason: str) -> Path:
        out = real_backup(book, reason=reason)
        chief = book.user
        login_as(book, "clerk")  # a clerk on another PC, in the moment between preview and signing
        ledger.post_expenditure(book, indicator_id=indicator, amount=1_00, entry_date=dt.date(2026, 10, 15),
                                voucher_no="ZF-LATE", payment_id=None, summary="预览之后写入的支出")
        book.user = chief
        return out

    monkeypatch.setattr(signoff_module.backup, "make", backup_then_a_late_entry)
    october.backup_covers = None  # the fixture signed September just now: without this no backup would be taken
    with pytest.raises(ValidationError, match="(?s)按签发时的数据重新核对.*第 3 条"):
        signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "out")
    assert monthly.status(october, month="2026-10") != "已签发"
    assert not (tmp_path / "out").exists()


def test_a_sign_off_assembles_and_renders_once_and_takes_one_backup(october: Book, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """Issue #22: the month is assembled once, its files rendered once (the bytes hashed and signed are the
    bytes written), and the sign-off with the close after it takes one full copy of the file; a restore from
    that copy gives back the file as it was before signing."""
    from app.export import manifest
    from app.export import signoff as signoff_module
    from app.models.store import backup

    calls: dict[str, int] = {}

    def count(owner: object, name: str) -> None:
        real = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    october.backup_covers = None  # as when the chief opens the file to sign (the fixture signed September just now)
    for owner, name in ((signoff_module, "assemble"), (manifest, "package_files"), (backup, "copy_file")):
        count(owner, name)
    before = october.conn.execute("SELECT count(*) FROM signoffs").fetchone()[0]
    earlier = {b.path for b in backup.list_backups(october.path)}
    result = signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "out")
    october.close()  # the close takes no second copy: nothing was written since the backup but the sign-off
    assert calls == {"assemble": 1, "package_files": 1, "copy_file": 1}
    written = {p.name: p.read_bytes() for p in result.folder.iterdir()}
    raw = sqlite3.connect(october.path)
    recorded = raw.execute("SELECT files FROM signoffs WHERE month = '2026-10' AND status = 'signed'").fetchone()[0]
    raw.close()
    import hashlib
    import json

    assert json.loads(recorded) == {n: hashlib.sha256(d).hexdigest() for n, d in written.items()}
    new = [b for b in backup.list_backups(october.path) if b.path not in earlier]
    assert [b.reason for b in new] == [backup.SIGN_OFF_REASON]
    pre = new[0]
    again = open_book(october.path)
    login_as(again, "chief")
    backup.restore(again, pre.path)
    again.close(backup=False)
    restored = open_book(october.path)
    try:
        assert restored.conn.execute("SELECT count(*) FROM signoffs").fetchone()[0] == before
        assert monthly.status(restored, month="2026-10") != "已签发"
        assert evidence.verify(restored).ok
    finally:
        restored.close(backup=False)


def test_sign_months_takes_one_backup_for_all_the_months(october: Book, tmp_path: Path, clock, monkeypatch) -> None:
    from app.models.store import backup

    copies: list[str] = []
    real = backup.copy_file
    monkeypatch.setattr(backup, "copy_file", lambda *a, **k: copies.append(str(k.get("reason"))) or real(*a, **k))
    october.backup_covers = None
    clock.now = dt.datetime(2027, 1, 5, 10, 0)
    signoff.sign_months(october, months=["2026-10", "2026-11", "2026-12"], out_dir=tmp_path, password=PASSWORD)
    assert copies == [backup.SIGN_OFF_REASON]
    login_as(october, "clerk")
    ledger.post_expenditure(october, indicator_id=1, amount=1_00, entry_date=dt.date(2027, 1, 4), voucher_no="ZF-JAN",
                            payment_id=None, summary="签发之后的写入")
    october.close()  # written after the sign-offs: the close copies the file again
    assert copies == [backup.SIGN_OFF_REASON, "关闭"]
