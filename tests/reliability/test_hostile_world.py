"""Issue 15, the hostile world: every attack is first made with plain Python/sqlite3, then refused.

Each test here fails on the code before the fix (see the issue's numbered items in the test names)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.models.store import backup, db
from app.models.store import book as book_module
from app.models.store.book import Book, open_book
from app.models.values.errors import FileError

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def good_file(book: Book) -> Path:
    path = book.path
    book.close(backup=False)
    return path


CRASH_WRITER = r"""
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = DELETE")
conn.execute("PRAGMA cache_size = 5")  # spill to the file before commit, as a big transaction does
conn.execute("BEGIN IMMEDIATE")
table = sys.argv[2]
for i in range(400):
    conn.execute(f"INSERT INTO {table} ({sys.argv[3]}) VALUES (?)", ("x" * 900 + str(i),))
os._exit(0)  # killed before COMMIT: a hot journal stays beside the file
"""


def crash_leaving_journal(path: Path, table: str, column: str) -> Path:
    """Kill a plain sqlite3 writer in mid-transaction; returns the hot journal it leaves."""
    subprocess.run([sys.executable, "-c", CRASH_WRITER, str(path), table, column], check=True, timeout=60)
    journal = path.with_name(path.name + "-journal")
    assert journal.read_bytes()[:8] == bytes.fromhex("d9d505f920a163d7"), "the attack needs a hot journal"
    return journal


def other_database(folder: Path) -> Path:
    other = folder / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [("n" * 500,)] * 300)
    conn.commit()
    conn.close()
    return other


# -- 1. a foreign rollback journal -------------------------------------------------------------------------------
def test_01_foreign_journal_is_refused_and_the_file_stays_sound(good_file: Path, tmp_path: Path) -> None:
    other = other_database(tmp_path / "..")
    foreign = crash_leaving_journal(other, "notes", "body")
    journal = good_file.with_name(good_file.name + "-journal")
    journal.write_bytes(foreign.read_bytes())
    before = digest(good_file)
    for read_only in (False, True):
        with pytest.raises(FileError, match="不属于它的日志文件"):
            open_book(good_file, read_only=read_only)
    assert digest(good_file) == before
    assert journal.exists(), "the evidence stays where it was"
    conn = sqlite3.connect(good_file.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    conn.close()


def test_01_foreign_journal_of_another_bureau_file_is_refused(book: Book, tmp_path: Path) -> None:
    """Another FundLedger file's journal: same page size and program, but not this file's page 1."""
    from app.models.store import setup
    from tests.conftest import PASSWORD

    path = book.path
    book.close(backup=False)
    (tmp_path / "b").mkdir()
    second = setup.create(tmp_path / "b" / "second.db", bureau_name="别的县财政局", region_code="659903",
                          level="county", chief_login="chief", chief_name="局长乙", chief_password=PASSWORD)
    for i in range(30):  # a different history: a different change counter
        setup.update_bureau(second, name=f"别的县财政局{i}", region_code="659903", level="county")
    second.close(backup=False)
    conn = sqlite3.connect(second.path, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS scratch (body TEXT)")
    conn.close()
    foreign = crash_leaving_journal(second.path, "scratch", "body")
    path.with_name(path.name + "-journal").write_bytes(foreign.read_bytes())
    before = digest(path)
    with pytest.raises(FileError, match="不属于它的日志文件"):
        open_book(path)
    assert digest(path) == before


def test_01_own_journal_after_a_crash_is_still_rolled_back(good_file: Path) -> None:
    conn = sqlite3.connect(good_file, isolation_level=None)
    conn.execute("CREATE TABLE scratch (body TEXT)")  # made by someone else, but then rolled away by the crash
    conn.close()
    crash_leaving_journal(good_file, "scratch", "body")
    with open_book(good_file) as again:
        assert again.conn.execute("SELECT count(*) FROM scratch").fetchone()[0] == 0


# -- 2. a file that is not ours, in WAL mode ---------------------------------------------------------------------
def test_02_wal_file_of_another_program_is_not_touched(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE notes (body TEXT)")
    writer.executemany("INSERT INTO notes VALUES (?)", [("别的程序",)] * 50)
    target = tmp_path / "wal.db"  # a copy while the writer still holds frames in its WAL
    target.write_bytes(live.read_bytes())
    Path(str(target) + "-wal").write_bytes(Path(str(live) + "-wal").read_bytes())
    writer.close()
    before, wal_before = digest(target), digest(Path(str(target) + "-wal"))
    with pytest.raises(FileError, match="不是 FundLedger 数据库"):
        open_book(target)
    assert digest(target) == before
    assert digest(Path(str(target) + "-wal")) == wal_before


def test_02_newer_fundledger_file_in_wal_mode_is_not_touched(good_file: Path) -> None:
    conn = sqlite3.connect(good_file, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {db.latest_version() + 3}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    before = digest(good_file)
    with pytest.raises(FileError, match="较新版本"):
        open_book(good_file)
    assert digest(good_file) == before


# -- 3. a 0-byte file --------------------------------------------------------------------------------------------
def test_03_empty_file_is_called_empty(tmp_path: Path) -> None:
    empty = tmp_path / "bureau.db"
    empty.write_bytes(b"")
    with pytest.raises(FileError) as err:
        open_book(empty)
    assert "0 字节" in str(err.value) and "不存在" not in str(err.value)
    assert empty.stat().st_size == 0


# -- 4. temporary copies of personal data ------------------------------------------------------------------------
def test_04_read_only_copies_are_removed_on_close_and_at_next_start(good_file: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    conn = sqlite3.connect(good_file, isolation_level=None)
    conn.execute("CREATE TABLE scratch (body TEXT)")
    conn.close()
    crash_leaving_journal(good_file, "scratch", "body")
    before = digest(good_file)
    for _ in range(4):
        ro = open_book(good_file, read_only=True)
        assert "临时副本" in ro.notice
        ro.close()
    assert list(temp.iterdir()) == []
    assert digest(good_file) == before
    # a killed process leaves its copy behind: the next start removes it (the pid is no longer running)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = temp / f"fundledger-ro-{dead.stdout.strip()}-abc"
    orphan.mkdir()
    (orphan / good_file.name).write_bytes(good_file.read_bytes())
    assert orphan in book_module.sweep_temp_copies()
    assert not orphan.exists()


# -- 5. backups that cannot restore ------------------------------------------------------------------------------
def test_05_unusable_files_are_not_listed_as_backups(book: Book) -> None:
    made = backup.make(book, reason="手动")
    folder = backup.backup_dir(book.path)
    (folder / f"{book.path.stem}_20261120-100001_关闭.db").write_bytes(b"")  # killed while writing
    other = sqlite3.connect(folder / f"{book.path.stem}_20261120-100002_关闭.db")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    (folder / f"{book.path.stem}_20261120-100003_关闭.db").write_bytes(made.read_bytes()[:8192])  # truncated
    assert [b.path for b in backup.list_backups(book.path)] == [made]


def test_05_a_backup_that_fails_its_check_never_gets_a_backup_name(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "quick_check_problem", lambda conn, path: f"文件 {path} 已损坏")
    with pytest.raises(FileError, match="备份"):
        backup.make(book, reason="手动")
    folder = backup.backup_dir(book.path)
    assert list(folder.iterdir()) == [] if folder.exists() else True


def test_05_thinning_keeps_every_backup_taken_before_a_sign_off(book: Book) -> None:
    import datetime as dt

    folder = backup.backup_dir(book.path)
    start = dt.datetime(2026, 1, 1, 9)
    for i in range(8):
        backup.copy_file(book.conn, book.path, reason="签发前", now=start + dt.timedelta(days=i, hours=1))
    for i in range(40):
        backup.copy_file(book.conn, book.path, reason="关闭", now=start + dt.timedelta(days=9, minutes=i))
    backup.thin(folder, {"recent": 1, "daily": 0, "weekly": 0, "monthly": 0})
    left = backup.list_backups(book.path)
    assert sum(b.reason == "签发前" for b in left) == 8
    assert os.path.isdir(folder)
