"""The demo county in the window: its fixed day on the start screen, the login and the title; the first
打开示例县 copies the ready-made demo in seconds and leaves nothing but the file in the data folder."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from app.demo import build as demo
from app.demo import prebuilt
from app.models.store import clock as clocks
from app.models.store.book import Book, open_book
from app.ui.shell import files
from app.ui.shell.main_window import MainWindow
from app.ui.shell.start import LoginDialog, StartDialog
from tests.conftest import writable_copy

LABEL = clocks.label(demo.TODAY)  # 示例县 · 演示日期 2026-11-25


def test_start_screen_says_the_demo_day(qtbot) -> None:
    dialog = StartDialog()
    qtbot.addWidget(dialog)
    buttons = [b.text() for b in dialog.findChildren(QPushButton)]
    assert any("打开示例县" in t and f"演示日期 {demo.TODAY.isoformat()}" in t for t in buttons)
    assert LABEL in dialog.findChild(QLabel, "demo_day_note").text()


def test_title_status_and_login_say_the_demo_day(qtbot, demo_book: Book) -> None:
    window = MainWindow(demo_book)
    qtbot.addWidget(window)
    window.refresh_status()
    assert window.windowTitle().startswith(LABEL)
    assert LABEL in window._status.text()
    login = LoginDialog(demo_book)
    qtbot.addWidget(login)
    assert any(LABEL in label.text() for label in login.findChildren(QLabel))


def test_a_real_file_shows_no_demo_day(qtbot, tmp_path: Path) -> None:
    from app.models.store import setup, users

    book = setup.create(tmp_path / "某县.db", bureau_name="某某县财政局", region_code="653101", level="county",
                        chief_login="chief", chief_name="局长", chief_password="real-pass-1")
    users.login(book, "chief", "real-pass-1")
    window = MainWindow(book)
    qtbot.addWidget(window)
    window.refresh_status()
    assert "演示日期" not in window.windowTitle() and "演示日期" not in window._status.text()
    window.close()


def test_first_open_copies_the_ready_made_demo(qtbot, demo_file: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cache, data = tmp_path / "cache", tmp_path / "data"
    data.mkdir()
    prebuilt.keep(cache, demo_file)
    monkeypatch.setattr(files, "data_dir", lambda: data)
    monkeypatch.setattr(files, "demo_cache_dir", lambda: cache)
    monkeypatch.setattr(prebuilt, "shipped_dir", lambda: tmp_path / "no-packaged-copy")
    start = time.perf_counter()
    path = files.demo_path(None)
    took = time.perf_counter() - start
    assert path == data / "示例县.db" and took < 5.0, took
    assert sorted(p.name for p in data.iterdir()) == ["示例县.db"]  # no backups, no half-made file
    with open_book(path, read_only=True) as book:
        assert book.demo_day == demo.TODAY


def test_an_old_demo_without_its_day_is_pointed_out(demo_file: Path, tmp_path: Path) -> None:
    import sqlite3

    assert prebuilt.has_fixed_day(demo_file)
    old = writable_copy(demo_file, tmp_path / "示例县.db")
    with sqlite3.connect(old) as raw:
        raw.execute("DROP TABLE demo_clock")  # what a demo made by an older program looks like
    assert not prebuilt.has_fixed_day(old)
    assert not prebuilt.has_fixed_day(tmp_path / "missing.db")
