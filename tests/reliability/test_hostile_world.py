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


# -- 10. passwords -----------------------------------------------------------------------------------------------
def test_10_weak_passwords_are_refused_everywhere(book: Book) -> None:
    from app.models.store import users
    from app.models.values.errors import ValidationError
    from tests.conftest import PASSWORD

    clerk = book.conn.execute("SELECT id FROM users WHERE login = 'clerk'").fetchone()[0]
    for weak in ("short1", "clerk", "Clerk123", "12345678", "Password", "88888888", "qwerty123"):
        with pytest.raises(ValidationError):
            users.reset_password(book, user_id=clerk, password=weak)
    with pytest.raises(ValidationError, match="登录名"):
        users.add_user(book, login="zhangsan", name="张三", role="clerk", password="zhangsan")
    with pytest.raises(ValidationError, match="常见"):
        users.change_own_password(book, old=PASSWORD, new="password123")
    users.change_own_password(book, old=PASSWORD, new="Tianshan-2026")


def test_10_production_scrypt_is_owasp_and_old_hashes_are_upgraded_on_login(book: Book,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.store import users
    from tests.conftest import PASSWORD

    shipped = subprocess.run([sys.executable, "-c", "from app.models.store import users as u; "
                              "print(u.hash_password('Tianshan-2026').split('$')[1:4])"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert shipped.stdout.strip() == "['131072', '8', '1']", shipped.stderr
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)
    users.add_user(book, login="old", name="旧哈希", role="clerk", password=PASSWORD)
    assert book.conn.execute("SELECT pw_hash FROM users WHERE login='old'").fetchone()[0].startswith("scrypt$1024$")
    monkeypatch.setattr(users, "SCRYPT_N", 2**11)
    users.login(book, "old", PASSWORD)
    assert book.conn.execute("SELECT pw_hash FROM users WHERE login='old'").fetchone()[0].startswith("scrypt$2048$")
    users.login(book, "old", PASSWORD)


def test_10_lockout_refuses_the_right_password_until_unlocked(book: Book, clock) -> None:  # noqa: ANN001
    import datetime as dt

    from app.models.store import users
    from app.models.values.errors import AppError
    from tests.conftest import PASSWORD

    for _ in range(users.MAX_FAILED_LOGINS - 1):
        with pytest.raises(AppError, match="再错"):
            users.login(book, "clerk", "wrong-password-x")
    with pytest.raises(AppError, match="锁定"):
        users.login(book, "clerk", "wrong-password-x")
    with pytest.raises(AppError, match="锁定"):
        users.login(book, "clerk", PASSWORD)  # the right password, refused while locked
    raw = sqlite3.connect(book.path.resolve().as_uri() + "?mode=ro", uri=True)  # stored in the file itself
    count, until = raw.execute("SELECT failed_logins, locked_until FROM users WHERE login='clerk'").fetchone()
    ops = [r[0] for r in raw.execute("SELECT op FROM audit_log WHERE tbl='users' ORDER BY seq")]
    raw.close()
    assert count == users.MAX_FAILED_LOGINS and until > book.stamp()
    assert ops.count("login_failed") == users.MAX_FAILED_LOGINS - 1 and "lock_user" in ops
    users.login(book, "chief", PASSWORD)
    listed = {u["login"]: u for u in users.list_users(book)}
    assert listed["clerk"]["locked"] and listed["clerk"]["failed_logins"] == users.MAX_FAILED_LOGINS
    users.unlock(book, user_id=listed["clerk"]["id"])
    users.login(book, "clerk", PASSWORD)
    # and without the chief, the lock ends by itself
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AppError):
            users.login(book, "clerk", "wrong-password-x")
    clock.now += dt.timedelta(minutes=users.LOCK_MINUTES + 1)
    users.login(book, "clerk", PASSWORD)


def test_10_password_hashes_never_reach_the_audit_log_and_verify_still_proves_them(book: Book) -> None:
    from app.export import evidence
    from app.models.store import users

    clerk = book.conn.execute("SELECT id FROM users WHERE login = 'clerk'").fetchone()[0]
    users.reset_password(book, user_id=clerk, password="Kunlun-Shan-9")
    logged = " ".join(str(r[0]) + str(r[1]) for r in book.conn.execute("SELECT before, after FROM audit_log"))
    assert "scrypt$" not in logged
    assert evidence.verify(book).ok
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)  # the insider swaps the chief's hash for one he knows, triggers and all
    raw.execute("DROP TRIGGER fl_audit_users_u")
    raw.execute("UPDATE users SET pw_hash = (SELECT pw_hash FROM users WHERE login = 'clerk') WHERE login = 'chief'")
    raw.commit()
    raw.close()
    with open_book(path, read_only=True) as again:
        text = evidence.verify(again).text()
    assert "chief" in text and "密码哈希" in text


def test_10_an_older_file_is_upgraded_and_still_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.export import evidence
    from app.models.store import users
    from tests.conftest import PASSWORD

    old_schema = tmp_path / "schema"
    old_schema.mkdir()
    for p in sorted(db.SCHEMA_DIR.glob("*.sql")):
        if int(p.name[:4]) < 10:
            (old_schema / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    real = db.SCHEMA_DIR
    monkeypatch.setattr(db, "SCHEMA_DIR", old_schema)  # a file as the version before this one made it
    path = tmp_path / "old.db"
    b = open_book(path, create=True)
    with b.write("setup", system=True) as c:
        c.execute("INSERT INTO bureau (id, name, region_code, level, rule_set, created_at) "
                  "VALUES (1, '旧县财政局', '659902', 'county', 'xj-2019', '2026-01-01')")
        c.execute("INSERT INTO users (login, name, role, pw_hash, created_at) VALUES ('chief', '局长', 'chief', ?, "
                  "'2026-01-01')", (users.hash_password(PASSWORD),))
    b.close(backup=False)
    with sqlite3.connect(path) as raw:
        assert any("scrypt$" in (r[0] or "") for r in raw.execute("SELECT after FROM audit_log"))
    monkeypatch.setattr(db, "SCHEMA_DIR", real)
    with open_book(path) as up:
        assert db.user_version(up.conn) == db.latest_version()
        users.login(up, "chief", PASSWORD)
        assert evidence.verify(up).ok, evidence.verify(up).text()
        users.change_own_password(up, old=PASSWORD, new="Bogda-Feng-5445")
        seq = up.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        assert "scrypt$" not in up.conn.execute("SELECT after FROM audit_log WHERE seq = ?", (seq,)).fetchone()[0]
        assert evidence.verify(up).ok


# -- 11. commands that act before login --------------------------------------------------------------------------
def _cli(*args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FUNDLEDGER_PASSWORD=password)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_11_nothing_is_backed_up_or_thinned_before_login(book: Book) -> None:
    import datetime as dt

    start = dt.datetime(2026, 1, 31, 18)
    for i in range(8):
        backup.copy_file(book.conn, book.path, reason="签发前", now=start + dt.timedelta(days=31 * i))
    path = book.path
    book.close(backup=False)
    before = sorted(p.name for p in backup.backup_dir(path).iterdir())
    refused = _cli("backup", str(path), password="wrong-password-x")
    assert refused.returncode != 0 and "--user" in refused.stderr
    for _ in range(11):
        wrong = _cli("template-remove", str(path), "--table", "1", "--user", "chief", password="wrong-password-x")
        assert wrong.returncode == 2, wrong.stderr
    assert sorted(p.name for p in backup.backup_dir(path).iterdir()) == before
