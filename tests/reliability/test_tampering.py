"""Tampering with another tool (plain sqlite3, a text editor): verify names the first broken record or file.

Complements tests/models/test_audit.py and test_monthly.py (which test the mechanisms one by one) on a file
with real business data: a paid payment with its 专账 entry, a signed month with its package on disk.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from app.export import evidence, signoff
from app.models.payments import requests as payments
from app.models.reports import package_check
from app.models.store import users
from app.models.store.book import open_book
from tests.models.store.test_audit_delta import before_delta
from tests.reliability import crash_child as cc


@pytest.fixture(scope="module", params=["current", "upgraded"])
def signed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(bureau file, package folder): one payment paid with its 专账 entry; January signed and written out.
    "upgraded": made by the program before schema 26 (update records holding the whole old row), then opened by
    this one."""
    folder = tmp_path_factory.mktemp("tamper")
    with before_delta() if request.param == "upgraded" else contextlib.nullcontext():
        path, package = _signed(folder)
    if request.param == "upgraded":
        open_book(path).close(backup=False)  # the upgrade to schema 26
    return path, package


def _signed(folder: Path) -> tuple[Path, Path]:
    path = cc.prepare(folder / "bureau.db")
    book = open_book(path)
    try:
        users.login(book, "clerk", cc.PASSWORD)
        cc.payment_flow(book, random.Random(1), 1)
        users.login(book, "chief", cc.PASSWORD)
        result = signoff.sign_off(book, password=cc.PASSWORD, month="2026-01", out_dir=folder / "sent")
    finally:
        book.close(backup=False)
    return path, result.folder


@pytest.fixture
def copy(signed: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    path, package = signed
    shutil.copy2(path, tmp_path / "bureau.db")
    shutil.copytree(package, tmp_path / package.name)
    return tmp_path / "bureau.db", tmp_path / package.name


def tamper(path: Path, *sql: str, drop_triggers_on: tuple[str, ...] = ()) -> None:
    raw = sqlite3.connect(path)
    for table in drop_triggers_on:
        for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)):
            raw.execute(f'DROP TRIGGER "{name}"')
    for statement in sql:
        raw.execute(statement)
    raw.commit()
    raw.close()


def findings(path: Path) -> list[str]:
    ro = open_book(path, read_only=True)
    try:
        return [str(f) for f in evidence.verify(ro).findings]
    finally:
        ro.close()


def paid_entry(path: Path) -> tuple[int, int]:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT id, ledger_entry_id FROM payments WHERE status = 'paid'").fetchone()
    finally:
        raw.close()


def test_untouched_file_and_package_verify(copy: tuple[Path, Path]) -> None:
    path, package = copy
    assert findings(path) == []
    book = open_book(path, read_only=True)
    try:
        assert package_check.check_folder(book, package) == []
    finally:
        book.close()


def test_amount_altered_with_triggers_in_place(copy: tuple[Path, Path]) -> None:
    path, _ = copy
    _pid, entry = paid_entry(path)
    tamper(path, f"UPDATE ledger_entries SET amount = amount + 100 WHERE id = {entry}")
    found = findings(path)
    assert found and "未经本程序封存" in found[0] and f"ledger_entries / {entry}" in found[0], found


def test_amount_altered_after_dropping_triggers(copy: tuple[Path, Path]) -> None:
    path, _ = copy
    _pid, entry = paid_entry(path)
    tamper(path, f"UPDATE ledger_entries SET amount = amount + 100 WHERE id = {entry}",
           drop_triggers_on=("ledger_entries",))
    found = findings(path)
    assert found and "触发器" in found[0], found
    assert any(f"表 ledger_entries 主键 {entry}" in f and "被修改过" in f for f in found), found


def test_payment_row_deleted(copy: tuple[Path, Path]) -> None:
    path, _ = copy
    pid, entry = paid_entry(path)
    tamper(path, "PRAGMA foreign_keys = OFF", f"DELETE FROM payment_events WHERE payment_id = {pid}",
           f"DELETE FROM payment_checks WHERE payment_id = {pid}", f"DELETE FROM payments WHERE id = {pid}",
           drop_triggers_on=("payments", "payment_events", "payment_checks"))
    found = findings(path)
    assert any("触发器" in f for f in found)
    # the first broken record in table order (payment_checks before payments) is named, as deleted
    assert any(f.startswith("[数据核对] 表 payment") and "被删除过" in f for f in found), found


@pytest.mark.parametrize("where", ["middle", "tail"])
def test_audit_record_removed(copy: tuple[Path, Path], where: str) -> None:
    path, _ = copy
    raw = sqlite3.connect(path)
    first, last = raw.execute("SELECT min(seq), max(seq) FROM audit_log").fetchone()
    raw.close()
    seq = (first + last) // 2 if where == "middle" else last
    tamper(path, f"DELETE FROM audit_log WHERE seq = {seq}", drop_triggers_on=("audit_log",))
    found = findings(path)
    assert found, "a removed audit record went unnoticed"
    if where == "middle":
        assert any(f"审计记录 #{seq}" in f and "缺失" in f for f in found), found
    else:  # the newest record: the chain is shorter but whole; the row it described no longer matches its history
        assert any("数据核对" in f or "报送包" in f or "审计" in f for f in found), found


def test_audit_record_edited(copy: tuple[Path, Path]) -> None:
    path, _ = copy
    tamper(path, "UPDATE audit_log SET actor = 'someone#99' WHERE seq = 5", drop_triggers_on=("audit_log",))
    found = findings(path)
    assert any("审计记录 #5" in f and "被改动过" in f for f in found), found


def test_stored_package_file_edited(copy: tuple[Path, Path]) -> None:
    path, _ = copy
    tamper(path, "UPDATE attachments SET data = CAST(data || x'00' AS BLOB) WHERE id = (SELECT attachment_id FROM signoff_files "
                 "WHERE name LIKE '%.pdf')", drop_triggers_on=("attachments",))
    found = findings(path)
    assert any("附件" in f and ".pdf" in f and "被改动过" in f for f in found), found


def test_signed_data_edited(copy: tuple[Path, Path]) -> None:
    path, _ = copy
    tamper(path, "UPDATE signoffs SET comment = '改过' WHERE month = '2026-01'", drop_triggers_on=("signoffs",))
    found = findings(path)
    assert any("signoffs" in f for f in found), found


def _edit_workbook(folder: Path) -> str:
    target = next(p for p in folder.iterdir() if p.suffix == ".xlsx")
    target.write_bytes(target.read_bytes() + b"\0")
    return target.name


def _edit_manifest_figure(folder: Path) -> str:
    target = folder / "manifest.json"
    target.write_text(target.read_text(encoding="utf-8").replace("2026-01", "2026-01 ", 1).replace("2026-01 ", "2026-01", 1)
                      + " ", encoding="utf-8")
    return "manifest.json"


def _remove_pdf(folder: Path) -> str:
    target = next(p for p in folder.iterdir() if p.suffix == ".pdf")
    target.unlink()
    return target.name


def _add_file(folder: Path) -> str:
    (folder / "说明.txt").write_text("后来加入", encoding="utf-8")
    return "说明.txt"


@pytest.mark.parametrize("edit", [_edit_workbook, _edit_manifest_figure, _remove_pdf, _add_file],
                         ids=["workbook", "manifest", "pdf-removed", "file-added"])
def test_package_folder_edited_is_named(copy: tuple[Path, Path], edit: Callable[[Path], str]) -> None:
    path, package = copy
    name = edit(package)
    book = open_book(path, read_only=True)
    try:
        found = package_check.check_folder(book, package)
    finally:
        book.close()
    assert len(found) == 1 and name in found[0].where and "2026-01 第 1 版" in found[0].where, found


def test_package_check_reads_only(copy: tuple[Path, Path]) -> None:
    path, package = copy
    before = path.read_bytes()
    book = open_book(path, read_only=True)
    try:
        package_check.check_folder(book, package)
        assert payments.get(book, paid_entry(path)[0])["status"] == "paid"
    finally:
        book.close()
    assert path.read_bytes() == before


def test_cli_check_package_names_the_edited_file(copy: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main as cli

    path, package = copy
    assert cli.run(["check-package", str(path), str(package)]) == 0
    name = _edit_workbook(package)
    assert cli.run(["check-package", str(path), str(package)]) == 1
    out = capsys.readouterr().out
    assert "首个问题" in out and name in out and "被改动过" in out
