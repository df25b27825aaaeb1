"""Hostile files and I/O faults: a clear Chinese message, no traceback, the file unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.export import evidence
from app.models.store import backup, db, lock, users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError, FileError, LockedError
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def truncated(src: Path, target: Path) -> None:
    target.write_bytes(src.read_bytes()[: src.stat().st_size // 2])


def random_bytes(src: Path, target: Path) -> None:
    target.write_bytes(os.urandom(64 * 1024))


def header_only(src: Path, target: Path) -> None:
    target.write_bytes(src.read_bytes()[:100])


def other_app(src: Path, target: Path) -> None:
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('别的程序的数据')")
    conn.commit()
    conn.close()


def newer_version(src: Path, target: Path) -> None:
    target.write_bytes(src.read_bytes())
    conn = sqlite3.connect(target)
    conn.execute(f"PRAGMA user_version = {db.latest_version() + 7}")
    conn.close()


def corrupted_page(src: Path, target: Path) -> None:
    data = bytearray(src.read_bytes())
    for i in range(4096 * 2, min(len(data), 4096 * 6)):
        data[i] = 0xA5
    target.write_bytes(bytes(data))


HOSTILE: dict[str, Callable[[Path, Path], None]] = {
    "截断的文件": truncated, "随机字节": random_bytes, "只有文件头": header_only, "其他程序的 SQLite 文件": other_app,
    "较新版本的文件": newer_version, "损坏的数据页": corrupted_page,
}


@pytest.fixture
def good_file(book: Book) -> Path:
    path = book.path
    book.close(backup=False)
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gets_clear_message_and_stays_unchanged(good_file: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / "hostile.db"
    HOSTILE[name](good_file, target)
    before = digest(target)
    for read_only in (False, True):
        with pytest.raises(FileError) as info:
            open_book(target, read_only=read_only)
        message = str(info.value)
        assert str(target) in message or target.name in message, message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert digest(target) == before
    assert not lock.lock_path(target).exists()
    result = cli("verify", str(target))
    assert result.returncode == 2 and "Traceback" not in result.stderr and "错误：" in result.stderr
    assert digest(target) == before


def test_locked_file_from_the_cli_says_who_holds_it(good_file: Path) -> None:
    lock.lock_path(good_file).write_text(json.dumps({"host": "财政局-03", "user": "zhang", "pid": 4242,
                                                      "time": "2026-11-20T09:00:00"}), encoding="utf-8")
    before = digest(good_file)
    result = cli("backup", str(good_file))
    assert result.returncode == 2 and "财政局-03" in result.stderr and "只读" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(LockedError):
        open_book(good_file)
    assert cli("verify", str(good_file)).returncode == 0  # verify reads without the lock
    assert digest(good_file) == before


def test_corrupt_backup_is_never_restored(book: Book) -> None:
    made = backup.copy_file(book.conn, book.path, reason="测试", now=dt.datetime(2026, 5, 1))
    made.write_bytes(os.urandom(8192))
    before = digest(book.path)
    with pytest.raises(FileError):
        backup.restore(book, made)
    assert digest(book.path) == before
    with pytest.raises(FileError):
        backup.summary(made)


@contextmanager
def mounted(options: str, size: str = "2m") -> Iterator[Path | None]:
    """A small tmpfs of our own (as root); None where the machine does not allow mounting."""
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="fl-mnt-"))
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},{options}", "tmpfs", str(where)],
                        capture_output=True).returncode == 0
    try:
        yield where if ok else None
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)
        where.rmdir()


def test_read_only_folder(good_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with mounted("rw") as folder:
        if folder is not None:
            target = folder / "bureau.db"
            target.write_bytes(good_file.read_bytes())
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:  # no mounting here: the same fault injected where the lock file is created
            target = good_file

            def refuse(*args: object, **kwargs: object) -> int:
                raise PermissionError(13, "Read-only file system")

            monkeypatch.setattr(lock.os, "open", refuse)
        before = digest(target)
        with pytest.raises(FileError, match="只读"):
            open_book(target)
        ro = open_book(target, read_only=True)
        assert evidence.verify(ro).ok
        ro.close()
        assert digest(target) == before


def _fill(folder: Path) -> Path:
    filler = folder / "filler.bin"
    fh = open(filler, "wb")  # noqa: SIM115 - closing on a full disk raises too
    try:
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()
    except OSError:
        pass
    try:
        fh.close()
    except OSError:
        pass
    return filler


def test_full_disk_leaves_previous_state(good_file: Path) -> None:
    size = good_file.stat().st_size
    with mounted("rw", size=f"{size // 1024 + 400}k") as folder:
        if folder is None:
            pytest.fail("this machine cannot mount a small tmpfs; the full-disk test needs one")
        target = folder / "bureau.db"
        target.write_bytes(good_file.read_bytes())
        book = open_book(target)
        users.login(book, "chief", PASSWORD)
        count = book.conn.execute("SELECT count(*) FROM users").fetchone()[0]
        filler = _fill(folder)
        with pytest.raises(AppError) as info:
            for i in range(200):  # enough writes to need new pages on a full disk
                users.add_user(book, login=f"bulk{i}", name="批量" * 20, role="clerk", password=PASSWORD,
                               section="股" * 200)
        assert "磁盘" in str(info.value), str(info.value)
        added = book.conn.execute("SELECT count(*) FROM users").fetchone()[0] - count
        book.close(backup=False)
        filler.unlink()
        again = open_book(target)
        assert evidence.verify(again).ok
        assert again.conn.execute("SELECT count(*) FROM users").fetchone()[0] == count + added
        again.close(backup=False)


def test_file_deleted_underneath(book: Book) -> None:
    users.login(book, "chief", PASSWORD)
    book.path.unlink()
    with pytest.raises(FileError, match="已被移走或删除"):
        users.add_user(book, login="gone", name="消失", role="clerk", password=PASSWORD)
    book.close()  # closing a book whose file vanished must not raise


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_restore_from_a_hostile_backup_is_refused(book: Book, tmp_path: Path, name: str) -> None:
    """A backup that is itself truncated, random, foreign, too new or damaged: a Chinese message, the open file's
    bytes unchanged, no backup of the current state taken for nothing, and the file still verifies."""
    good = backup.copy_file(book.conn, book.path, reason="测试", now=dt.datetime(2026, 5, 1))
    bad = good.with_name(good.name.replace("测试", "坏"))
    HOSTILE[name](good, bad)
    book.conn.commit()
    before = digest(book.path)
    taken = set(backup.backup_dir(book.path).iterdir())
    with pytest.raises(FileError) as info:
        backup.restore(book, bad)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value)) and bad.name in str(info.value), str(info.value)
    with pytest.raises(FileError):
        backup.summary(bad)
    assert digest(book.path) == before
    assert set(backup.backup_dir(book.path).iterdir()) == taken
    assert evidence.verify(book).ok
