"""Issue #7 'Done when', in the window: the chief previews October in the demo county, sees the cross-checks
pass, signs, and the month is closed; the auditor opens the file read-only, runs verify, and the re-created
package has the same bytes."""

from __future__ import annotations

import datetime as dt
import sqlite3
import traceback
from pathlib import Path

import pytest

from app.demo import build as demo
from app.models.reports import monthly
from app.models.store.book import Book, open_book
from app.ui.audit.tab import AuditTab
from app.ui.kit import dialogs
from app.ui.reports.tab import ReportsTab
from app.ui.shell.folders import Folders
from app.ui.shell.main_window import MainWindow
from app.ui.shell.start import LoginDialog
from tests.conftest import FixedClock, writable_copy


@pytest.fixture
def county(demo_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "示例县.db"
    writable_copy(demo_file, path)
    return path


def _log_in(qtbot, book: Book, login: str) -> None:
    """Through the login dialog, as a person does."""
    dialog = LoginDialog(book)
    qtbot.addWidget(dialog)
    dialog.login.setText(login)
    dialog.password.setText(demo.PASSWORD)
    dialog.try_login()
    assert dialog.result() == LoginDialog.DialogCode.Accepted, dialog.message.text()


def _tab(window: MainWindow, title: str):
    index = next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == title)
    window.tabs.setCurrentIndex(index)
    return window.tabs.widget(index)


def test_chief_signs_october_and_the_auditor_recreates_the_same_bytes(qtbot, county: Path, tmp_path: Path) -> None:
    sent = tmp_path / "报送"
    sent.mkdir()
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: {"folder": str(sent), "text": "同意报送", "confirm": True,
                                             "secret": demo.PASSWORD}.get(kind)
    Folders.enabled, Folders.opened = False, []
    try:
        # -- the chief -----------------------------------------------------------------------------
        book = open_book(county)
        book.clock = FixedClock(dt.datetime(2026, 11, 25, 9, 30))  # after the demo's last entry, before the 28th
        _log_in(qtbot, book, "juzhang")
        window = MainWindow(book)
        qtbot.addWidget(window)
        reports = _tab(window, "月报")
        assert isinstance(reports, ReportsTab)
        months = [r["month"] for r in reports.months_model.rows]
        status = {r["month"]: r["status"] for r in reports.months_model.rows}
        assert status["2026-08"] == "已签发" and status["2026-10"] == "待签发"
        reports.months.selectRow(months.index("2026-10"))
        reports.run_preview()
        qtbot.waitUntil(lambda: not reports.busy(), timeout=120000)
        lines = [reports.checks.item(i).text() for i in range(reports.checks.count())]
        assert len(lines) == 10 and all(line.startswith("✓") for line in lines), lines
        assert "10/10 条通过" in reports.note.text()
        reports.sign()
        qtbot.waitUntil(lambda: not reports.busy(), timeout=120000)
        assert reports.job is not None and reports.job.error is None, "".join(
            traceback.format_exception(reports.job.error)) if reports.job and reports.job.error else ""
        assert monthly.status(book, month="2026-10") == "已签发"
        row = next(r for r in reports.months_model.rows if r["month"] == "2026-10")
        assert (row["status"], row["version"], row["signed_by"]) == ("已签发", 1, "王建国")
        # September was still open: the chief was asked, and signed it together with October, in order
        assert any(k == "confirm" and "2026-09 尚未签发" in t for k, t in dialogs.Ask.shown)
        assert monthly.status(book, month="2026-09") == "已签发"
        package = sent / "示例县财政局_2026-10_v1"
        assert Folders.opened == [package]
        signed = {p.name: p.read_bytes() for p in package.iterdir()}
        assert len(signed) == 4 and "签名.json" in signed
        # the month is closed in the database itself: a raw insert dated in October is refused
        raw = sqlite3.connect(county, isolation_level=None)
        insert = ("INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, created_at) "
                  "VALUES (?, (SELECT min(id) FROM indicators), 'income', 'income', 1, 100, '2026-11-25 09:40:00')")
        with pytest.raises(sqlite3.IntegrityError, match="结账"):
            raw.execute(insert, ("2026-10-15",))
        raw.execute("BEGIN")
        raw.execute(insert, ("2026-11-03",))  # an open month takes the same row: the refusal is the closed month
        raw.rollback()
        raw.close()
        window.close()  # closes the book, leaving one complete .db file
        assert book.closed

        # -- the auditor, read-only --------------------------------------------------------------
        ro = open_book(county, read_only=True)
        _log_in(qtbot, ro, "shenji")
        window = MainWindow(ro)
        qtbot.addWidget(window)
        audit = _tab(window, "审计")
        assert isinstance(audit, AuditTab)
        audit.run_verify()
        qtbot.waitUntil(lambda: audit.verify_button.isEnabled(), timeout=300000)
        assert "全部通过" in audit.report.toPlainText(), audit.report.toPlainText()[-2000:]
        page = audit.packages
        audit.pages.setCurrentWidget(page)
        versions = [(r["month"], r["version"]) for r in page.model.rows]
        page.view.selectRow(versions.index(("2026-10", 1)))
        page.recreate()
        qtbot.waitUntil(lambda: not page.busy() and bool(page.checks), timeout=120000)
        assert [(c.name, c.same) for c in page.checks] == [(name, True) for name in sorted(signed) if name != "签名.json"]
        assert page.recreated is not None
        for name, data in signed.items():
            if name == "签名.json":  # made with the chief's key: verify checks it by the key
                continue
            assert (page.recreated / name).read_bytes() == data, name
        window.close()
    finally:
        dialogs.Ask.answer = None
        Folders.enabled = True
