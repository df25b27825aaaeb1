"""审计 › 已签发月报 on a read-only file: re-create and compare each file, export a version exactly as sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.export import signoff
from app.models.store import users
from app.models.store.book import Book, open_book
from app.ui.audit.tab import AuditTab
from app.ui.kit import dialogs
from app.ui.shell.folders import Folders
from tests.conftest import PASSWORD
from tests.models.reports.test_monthly import october  # noqa: F401 - fixture


@pytest.fixture
def signed(october: Book, tmp_path: Path):  # noqa: F811
    """October signed by the chief; the file then opened read-only by the auditor."""
    result = signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=tmp_path / "sent", comment="同意报送")
    path = october.path
    october.close(backup=False)
    out = tmp_path / "exported"
    out.mkdir()
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: str(out) if kind == "folder" else None
    Folders.enabled, Folders.opened = False, []
    yield path, result, out
    dialogs.Ask.answer = None
    Folders.enabled = True


def _auditor(path: Path) -> Book:
    ro = open_book(path, read_only=True)
    users.login(ro, "auditor", PASSWORD)
    return ro


def test_recreate_and_export_on_a_read_only_file(qtbot, qtmodeltester, signed) -> None:
    path, result, out = signed
    ro = _auditor(path)
    try:
        tab = AuditTab(ro)
        qtbot.addWidget(tab)
        page = tab.packages
        qtmodeltester.check(page.model)
        assert page.model.rowCount() == 2  # September (signed first: months close in order) and October
        at = [r["month"] for r in page.model.rows].index("2026-10")
        page.view.selectRow(at)
        row = page.model.rows[at]
        assert (row["month"], row["version"], row["signed_by"], row["comment"]) == ("2026-10", 1, "局长甲", "同意报送")
        assert row["audit"].startswith(f"{row['audit_seq']}:") and len(row["audit_hash"]) == 64
        assert page.files.rowCount() == 4 and page.files.item(0, 1).text() == ""  # not compared yet (签名.json listed)
        page.recreate()
        qtbot.waitUntil(lambda: not page.busy() and bool(page.checks), timeout=60000)
        assert [c.same for c in page.checks] == [True, True, True]
        assert {page.files.item(i, 1).text() for i in range(3)} == {"✓ 一致"}
        assert "完全一致" in page.result.text()
        for name, digest in result.hashes.items():
            if name == "签名.json":  # made with the chief's key: verify checks it, re-creation cannot
                continue
            assert (page.recreated / name).read_bytes() == (result.folder / name).read_bytes(), name
            assert any(c.name == name and c.recreated == digest for c in page.checks)
        page.export()
        written = out / result.folder.name
        assert sorted(p.name for p in written.iterdir()) == sorted(result.hashes)
        for name in result.hashes:
            assert (written / name).read_bytes() == (result.folder / name).read_bytes()
        assert Folders.opened == [written]
        page.export()  # a second time into the same place: refused, nothing overwritten
        assert dialogs.Ask.shown[-1][0] == "error" and "文件夹已存在" in dialogs.Ask.shown[-1][1]
    finally:
        ro.close()


def test_an_edited_sign_off_shows_which_file_differs(qtbot, signed) -> None:
    path, _result, out = signed
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER fl_audit_signoffs_u")
    raw.execute("UPDATE signoffs SET files = json_set(files, '$.\"manifest.json\"', 'ffff')")
    raw.commit()
    raw.close()
    ro = _auditor(path)
    try:
        tab = AuditTab(ro)
        qtbot.addWidget(tab)
        page = tab.packages
        page.view.selectRow([r["month"] for r in page.model.rows].index("2026-10"))
        page.recreate()
        qtbot.waitUntil(lambda: not page.busy() and bool(page.checks), timeout=60000)
        verdicts = {page.files.item(i, 0).text(): page.files.item(i, 1).text() for i in range(page.files.rowCount())}
        assert verdicts["manifest.json"] == "✗ 不一致"
        assert sorted(verdicts.values()) == ["✓ 一致", "✓ 一致", "✗ 不一致"]
        assert "不一致" in page.result.text()
        page.export()
        assert dialogs.Ask.shown[-1][0] == "error" and "manifest.json 与签发时记录的哈希不符" in dialogs.Ask.shown[-1][1]
        assert list(out.iterdir()) == []
    finally:
        ro.close()


def test_the_auditor_verifies_against_the_packages_as_sent(qtbot, signed) -> None:
    """与报送包核对…: a folder of packages as received; each becomes an anchor in the same report."""
    path, result, _out = signed
    dialogs.Ask.answer = lambda kind, text: str(result.folder.parent) if kind == "folder" else None
    ro = _auditor(path)
    try:
        tab = AuditTab(ro)
        qtbot.addWidget(tab)
        tab.verify_against()
        qtbot.waitUntil(lambda: tab.verify_button.isEnabled() and tab.against_button.isEnabled(), timeout=120000)
        text = tab.report.toPlainText()
        assert f"✓ 与报送包 {result.folder.name} 核对" in text, text
        tab.grab().save(str(path.with_name("audit-against.png")))
    finally:
        ro.close()
