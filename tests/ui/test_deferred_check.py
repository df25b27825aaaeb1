"""The window opens a file with its PRAGMA quick_check deferred (open_book(check="deferred")): the check runs in
the background once the window shows; a file that fails it ends read-only with a Chinese message, unwritten."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.demo import build as demo
from app.models.store import backup, users
from app.models.store.book import open_book
from app.models.values.errors import FileError, ReadOnlyError
from app.ui.kit import dialogs
from app.ui.shell import files
from app.ui.shell.main_window import MainWindow
from tests.conftest import writable_copy


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corrupt_audit_page(src: Path, target: Path) -> None:
    """As tests/reliability/test_hostile_files.corrupted_page, but the page overwritten is the root of the audit
    log: the header, application_id, schema and the users table still read, so only quick_check finds it."""
    writable_copy(src, target)
    conn = sqlite3.connect(target)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").fetchone()[0]
    conn.close()
    data = bytearray(target.read_bytes())
    start = (root - 1) * page_size
    data[start:start + page_size] = b"\xa5" * page_size
    target.write_bytes(bytes(data))


@pytest.fixture
def corrupt_file(demo_file: Path, tmp_path: Path) -> Path:
    target = tmp_path / "损坏.db"
    corrupt_audit_page(demo_file, target)
    return target


@pytest.fixture
def answers():
    dialogs.Ask.shown.clear()
    dialogs.Ask.answer = lambda kind, text: None
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


def test_full_check_still_refuses_the_file_at_open(corrupt_file: Path) -> None:
    with pytest.raises(FileError, match="已损坏"):
        open_book(corrupt_file)
    with pytest.raises(FileError, match="已损坏"):
        open_book(corrupt_file, read_only=True)


def test_deferred_check_runs_before_the_first_write_and_backup(corrupt_file: Path) -> None:
    before = digest(corrupt_file)
    book = open_book(corrupt_file, check="deferred")  # cheap checks only: it opens
    assert book.integrity == "pending" and not book.read_only
    users.login(book, "juzhang", demo.PASSWORD)
    with pytest.raises(ReadOnlyError, match="已损坏"), book.write("update_bureau") as conn:
        conn.execute("UPDATE bureau SET name = name || '改' WHERE id = 1")
    assert book.integrity == "failed" and book.read_only
    with pytest.raises(FileError, match="未备份"):
        backup.make(book, reason="手动")
    book.close()
    assert digest(corrupt_file) == before
    assert not backup.list_backups(corrupt_file)


def test_sound_file_opened_deferred_is_checked_and_stays_writable(demo_file: Path, tmp_path: Path) -> None:
    path = writable_copy(demo_file, tmp_path / "好.db")
    book = open_book(path, check="deferred")
    results: list[str | None] = []
    book.start_check(results.append)
    book.ensure_checked()
    assert book.integrity == "ok" and not book.read_only and results == [None]
    book.close(backup=False)


def test_window_ends_read_only_with_a_chinese_message(qtbot, corrupt_file: Path, answers,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.dashboard.tab import DashboardTab

    before = digest(corrupt_file)

    def login(parent, book, hint=""):  # the login dialog, answered
        users.login(book, "juzhang", demo.PASSWORD)
        return book

    monkeypatch.setattr(files, "login", login)
    monkeypatch.setattr(DashboardTab, "AUTO_RECOMPUTE", False)
    book = files.open_path(None, corrupt_file)  # the window's way of opening: the check is deferred
    assert book is not None and book.integrity == "pending" and not book.read_only
    window = MainWindow(book)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: any(kind == "error" for kind, _ in answers), timeout=20000)
    kind, text = next(a for a in answers if a[0] == "error")
    assert "完整性检查未通过" in text and "已损坏" in text and "只读" in text
    assert book.read_only and book.integrity == "failed"
    assert "只读" in window.windowTitle() and "【只读】" in window._status.text()
    settings = window.tabs.widget(window.tabs.count() - 1)
    assert not settings.widget(0).name.isEnabled()  # the rebuilt tabs offer no writing
    window.close()
    assert digest(corrupt_file) == before
    assert not backup.list_backups(corrupt_file)


def test_window_on_a_sound_file_stays_writable(qtbot, demo_file: Path, tmp_path: Path, answers,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.dashboard.tab import DashboardTab

    path = writable_copy(demo_file, tmp_path / "好.db")

    def login(parent, book, hint=""):
        users.login(book, "juzhang", demo.PASSWORD)
        return book

    monkeypatch.setattr(files, "login", login)
    monkeypatch.setattr(DashboardTab, "AUTO_RECOMPUTE", False)
    book = files.open_path(None, path)
    assert book is not None
    window = MainWindow(book)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: book.integrity == "ok", timeout=20000)
    qtbot.wait(50)
    assert not book.read_only and "只读" not in window.windowTitle() and not answers
    window.close()
