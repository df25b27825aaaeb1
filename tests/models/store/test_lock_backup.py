"""One writer per file, stale locks, and backups (thinning, restore, a corrupt backup)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from pathlib import Path

import pytest

from app.models.store import backup, lock, users
from app.models.store.book import Book, open_book
from app.models.values.errors import FileError, LockedError, PermissionDenied
from tests.conftest import PASSWORD, login_as


def test_lock_held_released_and_second_open_offered_read_only(book: Book) -> None:
    path = book.path
    lock_file = lock.lock_path(path)
    holder = json.loads(lock_file.read_text(encoding="utf-8"))
    assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
    fake = dict(holder, host="另一台电脑", user="zhang")
    lock_file.write_text(json.dumps(fake), encoding="utf-8")
    with pytest.raises(LockedError) as info:
        open_book(path)
    assert "另一台电脑" in str(info.value) and "只读" in str(info.value)
    ro = open_book(path, read_only=True)  # what the window offers next
    assert ro.read_only
    ro.close()
    lock_file.write_text(json.dumps(holder), encoding="utf-8")
    book.close(backup=False)
    assert not lock_file.exists()


def test_stale_lock_of_dead_process_is_recovered(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    lock.lock_path(path).write_text(json.dumps({"host": socket.gethostname(), "user": "x", "pid": 2**22 + 12345,
                                                "time": "2026-01-01T00:00:00"}), encoding="utf-8")
    b = open_book(path)
    assert json.loads(lock.lock_path(path).read_text(encoding="utf-8"))["pid"] == os.getpid()
    b.close(backup=False)


def test_backup_on_close_and_thinning(book: Book) -> None:
    path = book.path
    made = [backup.copy_file(book.conn, path, reason="测试", now=dt.datetime(2026, 1, 1) + dt.timedelta(days=i))
            for i in range(40)]
    assert len(backup.list_backups(path)) == 40
    removed = backup.thin(backup.backup_dir(path), {"recent": 3, "daily": 5, "weekly": 2, "monthly": 2})
    kept = {b.path for b in backup.list_backups(path)}
    assert made[-1] in kept and made[0] not in kept and len(removed) == 40 - len(kept)
    assert len(kept) <= 3 + 5 + 2 + 2
    book.close()
    assert any(b.reason == "关闭" for b in backup.list_backups(path))


def test_restore_only_by_chief_and_saves_current_first(book: Book) -> None:
    path = book.path
    snap = backup.copy_file(book.conn, path, reason="快照", now=dt.datetime(2026, 2, 1))
    users.add_user(book, login="later", name="后加", role="clerk", password=PASSWORD)
    login_as(book, "clerk")
    with pytest.raises(PermissionDenied):
        backup.restore(book, snap)
    login_as(book, "chief")
    summary = backup.summary(snap)
    assert summary["bureau"] == "测试县财政局"
    saved = backup.restore(book, snap)
    assert book.conn.execute("SELECT count(*) FROM users WHERE login = 'later'").fetchone()[0] == 0
    assert saved.exists() and "恢复前" in saved.name


def test_corrupt_backup_refused(book: Book, tmp_path: Path) -> None:
    bad = backup.copy_file(book.conn, book.path, reason="坏", now=dt.datetime(2026, 3, 1))
    bad.write_bytes(bad.read_bytes()[:2048])
    with pytest.raises(FileError):
        backup.restore(book, bad)
    assert book.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 5
