"""The window as a user meets it: first run, login, the calendar editor, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from app.models.store.book import Book, open_book
from app.ui.kit import dialogs
from app.ui.settings.tab import CalendarPage, SettingsTab, YearDialog
from app.ui.shell.main_window import MainWindow
from app.ui.shell.start import LoginDialog, NewBureauDialog
from tests.conftest import PASSWORD


@pytest.fixture
def answers():
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


def test_login_then_edit_calendar(qtbot, book: Book, answers) -> None:
    path = book.path
    book.close(backup=False)
    b = open_book(path)
    login = LoginDialog(b)
    qtbot.addWidget(login)
    login.login.setText("clerk")
    login.password.setText("wrong-password")
    login.try_login()
    assert login.result() != QDialog.DialogCode.Accepted
    assert "密码错误" in login.message.text()
    login.password.setText(PASSWORD)
    login.try_login()
    assert login.result() == QDialog.DialogCode.Accepted and b.user and b.user.login == "clerk"

    page = CalendarPage(b)
    qtbot.addWidget(page)
    years_before = page.years_model.rowCount()
    dialog = YearDialog(page, 2027, "国务院办公厅关于2027年部分节假日安排的通知", [])
    dialog.holidays.setPlainText("2027-01-01 元旦\n2027-10-01 国庆节")
    dialog.workdays.setPlainText("2027-10-09 国庆节")
    qtbot.addWidget(dialog)
    YearDialog.answer = staticmethod(lambda d: True)  # the user presses OK
    try:
        assert page.open_year_dialog(dialog) is True
    finally:
        YearDialog.answer = None
    assert page.years_model.rowCount() == years_before + 1
    assert page.years_model.rows[0]["year"] == 2027
    days = {r["day"]: r["kind"] for r in page.days_model.rows}
    assert days == {"2027-01-01": "休", "2027-10-01": "休", "2027-10-09": "班"}
    # 2027 now has data: 2027-09-30 + 5 working days is no longer an estimate
    page.start.setDate(page.start.date().fromString("2027-12-01", "yyyy-MM-dd"))
    page.compute()
    assert "估算" not in page.result.text()
    b.close(backup=False)


def test_calendar_dialog_rejects_bad_day_and_writes_nothing(qtbot, book: Book, answers, monkeypatch) -> None:
    page = CalendarPage(book)
    qtbot.addWidget(page)
    before = book.conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0]
    dialog = YearDialog(page, 2027, "通知", [])
    dialog.workdays.setPlainText("2027-10-11 周一不是周末")
    pressed: list[str] = []  # OK once; the form stays open on the refusal; then 取消
    monkeypatch.setattr(YearDialog, "answer", staticmethod(lambda d: not pressed.append(d.workdays.toPlainText())
                                                            and len(pressed) == 1))
    assert page.open_year_dialog(dialog) is False
    assert pressed == ["2027-10-11 周一不是周末"] * 2  # shown again with what was typed
    assert answers and answers[-1][0] == "error" and "调休上班日期" in answers[-1][1]
    assert book.conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0] == before


def test_main_window_status_and_read_only(qtbot, book: Book, answers) -> None:
    path = book.path
    book.close(backup=False)
    ro = open_book(path, read_only=True)
    ro.user = None
    from app.models.store import users

    users.login(ro, "chief", PASSWORD)
    window = MainWindow(ro)
    qtbot.addWidget(window)
    assert "只读" in window._status.text() and "局长甲" in window._status.text()
    settings = window.tabs.widget(window.tabs.count() - 1)
    assert isinstance(settings, SettingsTab)
    bureau_page = settings.widget(0)
    assert not bureau_page.name.isEnabled()
    users_page = settings.widget(1)
    users_page.table.selectRow(1)
    users_page.toggle()
    assert answers[-1][0] == "error" and "只读" in answers[-1][1]
    window.close()


def test_new_bureau_dialog_creates_file(qtbot, tmp_path: Path, answers) -> None:
    dialog = NewBureauDialog()
    qtbot.addWidget(dialog)
    dialog.file.setText(str(tmp_path / "new.db"))
    dialog.name.setText("新县财政局")
    dialog.code.setText("12345")  # 5 digits: refused
    dialog.chief_login.setText("boss")
    dialog.chief_name.setText("局长乙")
    dialog.password.setText("long-enough-1")
    dialog.password2.setText("long-enough-1")
    dialog._create()
    assert "行政区划代码" in answers[-1][1] and not (tmp_path / "new.db").exists()
    dialog.code.setText("653101")
    dialog._create()
    assert dialog.book is not None and dialog.book.user and dialog.book.user.role == "chief"
    dialog.book.close(backup=False)


def test_table_models_pass_modeltester(qtmodeltester, book: Book) -> None:
    settings = SettingsTab(book)
    for page in (settings.widget(1), settings.widget(2), settings.calendar_page):
        model = getattr(page, "model", None) or page.years_model
        qtmodeltester.check(model)


def test_calendar_page_names_the_missing_year_and_imports_its_file(qtbot, book: Book, tmp_path: Path) -> None:
    """On 2026-11-20 (the fixture's clock) 2027 is needed and the shipped calendar stops at 2026: the page says so in
    red, and 从文件导入… takes the year's list (a made-up file: the program ships no guessed year)."""
    from app.models.store import users
    from tests.models.store.test_calendar_years import TEST_2027

    users.login(book, "clerk", PASSWORD)
    page = CalendarPage(book)
    qtbot.addWidget(page)
    page.resize(1000, 520)
    page.show()
    assert page.missing.isVisibleTo(page) and "2027 年的节假日安排尚未录入" in page.missing.text()
    page.grab().save(str(tmp_path / "calendar_missing.png"))
    year = tmp_path / "2027.toml"
    year.write_text(TEST_2027, encoding="utf-8")
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: str(year) if kind == "open" else True
    try:
        page.import_file()
    finally:
        dialogs.Ask.answer = None
    assert not page.missing.isVisibleTo(page)
    assert page.years_model.rows[0]["year"] == 2027
    assert any("2027 年改动 3 天" in str(text) for _kind, text in dialogs.Ask.shown)
