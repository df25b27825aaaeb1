"""Issue 15 in the window: breaking a lock after a warning, and password fields typed twice."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QLineEdit

from app.models.store import users
from app.models.store.book import Book
from app.ui.kit import dialogs
from tests.conftest import PASSWORD


@pytest.fixture
def answers():
    dialogs.Ask.shown.clear()
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


def test_window_breaks_a_foreign_lock_only_after_a_warning_naming_holder_and_age(
        qtbot, book: Book, answers, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.shell import files

    path = book.path
    book.close(backup=False)
    path.with_name(path.name + ".lock").write_text(json.dumps(
        {"host": "档案室电脑", "user": "clerk", "pid": 77, "time": "2026-11-01T08:00:00"}, ensure_ascii=False),
        encoding="utf-8")
    monkeypatch.setattr(files, "login", lambda parent, b, hint="": b)
    replies = iter([False, False])  # not read-only; and do not break either
    dialogs.Ask.answer = lambda kind, text: next(replies)
    assert files.open_path(None, path) is None
    warning = answers[-1][1]
    assert "档案室电脑" in warning and "已持续" in warning and "审计日志" in warning
    replies = iter([False, True])
    dialogs.Ask.answer = lambda kind, text: next(replies)
    opened = files.open_path(None, path)
    assert opened is not None and not opened.read_only
    assert opened.conn.execute("SELECT count(*) FROM lock_breaks").fetchone()[0] == 1
    opened.close(backup=False)


def test_password_dialogs_hide_what_is_typed_and_need_it_twice(qtbot, book: Book, answers) -> None:
    from app.ui.settings.tab import UsersPage

    box = dialogs.PasswordDialog(None, "修改我的密码", "输入原密码，再输入两次新密码：", ask_old=True)
    qtbot.addWidget(box)
    fields = box.findChildren(QLineEdit)
    assert len(fields) == 3 and all(f.echoMode() == QLineEdit.EchoMode.Password for f in fields)
    page = UsersPage(book)
    qtbot.addWidget(page)
    before = book.conn.execute("SELECT pw_hash FROM users WHERE login = 'chief'").fetchone()[0]
    dialogs.Ask.answer = lambda kind, text: (PASSWORD, "Tianshan-2026", "Tianshan-2062") if kind == "password" else None
    page.own_password()
    assert ("error", "两次输入的新密码不一致，请重新输入。") in answers
    assert book.conn.execute("SELECT pw_hash FROM users WHERE login = 'chief'").fetchone()[0] == before
    dialogs.Ask.answer = lambda kind, text: (PASSWORD, "12345678", "12345678") if kind == "password" else None
    page.own_password()
    assert any(kind == "error" and "常见" in text for kind, text in answers)
    dialogs.Ask.answer = lambda kind, text: (PASSWORD, "Tianshan-2026", "Tianshan-2026") if kind == "password" else None
    page.own_password()
    users.login(book, "chief", "Tianshan-2026")


def test_the_chief_sees_a_locked_account_and_unlocks_it(qtbot, book: Book, answers) -> None:
    from app.models.values.errors import AppError
    from app.ui.settings.tab import UsersPage

    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AppError):
            users.login(book, "clerk", "wrong-password-x")
    users.login(book, "chief", PASSWORD)
    page = UsersPage(book)
    qtbot.addWidget(page)
    rows = {r["login"]: r for r in page.rows()}
    assert rows["clerk"]["lock_state"].startswith("锁定至")
    page.table.select_id(rows["clerk"]["id"])
    dialogs.Ask.answer = lambda kind, text: True
    page.unlock()
    assert any("已解除" in text for _kind, text in answers)
    users.login(book, "clerk", PASSWORD)


