"""Storage core: transactions, migrations, versions, closed months, read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.models.store import db, periods, setup, users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError, ClosedPeriodError, FileError, ReadOnlyError, ValidationError
from tests.conftest import PASSWORD, login_as


def test_new_file_is_ours_and_current(book: Book) -> None:
    conn = book.conn
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert db.user_version(conn) == db.latest_version()
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    strict = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                          "AND name NOT LIKE 'search_index%'").fetchall()
    assert strict and all(sql.rstrip().endswith("STRICT") for _name, sql in strict)
    # the one exception: the search index (derived data) is an FTS5 virtual table; SQLite makes its shadow tables
    derived = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE '%STRICT'"
                                          " AND name NOT LIKE 'sqlite_%'")}
    assert derived == {"search_index", *(f"search_index_{s}" for s in ("data", "idx", "content", "docsize", "config"))}


def test_failing_operation_leaves_no_trace(book: Book) -> None:
    """sqlite-utils' own methods nest as savepoints inside our transaction: all rolled back."""
    before_users = book.conn.execute("SELECT count(*) FROM users").fetchone()[0]
    before_audit = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(RuntimeError):
        with book.write("add_user") as conn:
            users.insert_user(conn, login="temp1", name="临时", role="clerk", password=PASSWORD, now="2026-01-01")
            book.db["fund_kinds"].insert({"code": "XX", "name": "临时大类", "sort": 99})
            with book.write("add_user"):
                users.insert_user(conn, login="temp2", name="临时2", role="clerk", password=PASSWORD, now="2026-01-01")
            raise RuntimeError("boom")
    assert book.conn.execute("SELECT count(*) FROM users").fetchone()[0] == before_users
    assert book.conn.execute("SELECT count(*) FROM fund_kinds WHERE code = 'XX'").fetchone()[0] == 0
    assert book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before_audit
    assert not book.conn.in_transaction


def test_nested_failure_rolls_back_only_inner(book: Book) -> None:
    with book.write("add_user") as conn:
        users.insert_user(conn, login="outer", name="外层", role="clerk", password=PASSWORD, now="x")
        with pytest.raises(ValidationError):
            with book.write("add_user"):
                users.insert_user(conn, login="inner", name="内层", role="clerk", password=PASSWORD, now="x")
                raise ValidationError("测试", field="字段")
    logins = {r[0] for r in book.conn.execute("SELECT login FROM users")}
    assert "outer" in logins and "inner" not in logins


def test_migrate_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    b = open_book(path, create=True)
    assert db.user_version(b.conn) == db.latest_version()
    assert b.conn.execute("SELECT count(*) FROM tracked_tables").fetchone()[0] > 0
    b.close(backup=False)


def test_refuses_newer_file_and_leaves_it_unchanged(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {db.latest_version() + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(FileError, match="较新版本"):
        open_book(path)
    assert path.read_bytes() == before
    assert not (path.parent / (path.name + ".lock")).exists()


def test_refuses_foreign_and_garbage_files(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(FileError, match="不是 FundLedger 数据库"):
        open_book(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(FileError, match="不是 FundLedger 数据库"):
        open_book(junk)


def test_truncated_file_gets_clear_message(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(FileError) as info:
        open_book(path)
    assert str(path) in str(info.value)


def test_upgrade_takes_backup_first(tmp_path: Path, book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file one version behind is upgraded after a backup copy (simulated with an extra step)."""
    path = book.path
    book.close(backup=False)
    extra = tmp_path / "schema"
    extra.mkdir()
    for p in db.SCHEMA_DIR.glob("*.sql"):
        (extra / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    n = db.latest_version() + 1
    (extra / f"{n:04d}_test_step.sql").write_text("CREATE TABLE test_step (id INTEGER PRIMARY KEY) STRICT;\n", encoding="utf-8")
    monkeypatch.setattr(db, "SCHEMA_DIR", extra)
    b = open_book(path)
    assert db.user_version(b.conn) == n
    from app.models.store import backup

    assert any("升级前" in info.reason for info in backup.list_backups(path))
    b.close(backup=False)


def test_read_only_refuses_every_write(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    ro = open_book(path, read_only=True)
    login_as(ro, "chief")
    with pytest.raises(ReadOnlyError):
        users.add_user(ro, login="x1", name="x", role="clerk", password=PASSWORD)
    with pytest.raises(ReadOnlyError):
        setup.update_bureau(ro, name="改名", region_code="659902", level="county")
    with pytest.raises(sqlite3.OperationalError):
        ro.conn.execute("DELETE FROM users")  # even raw SQL: query_only and mode=ro
    ro.close()


def _dated_table(book: Book) -> None:
    """A dated business table registered like the real ones, to test the mechanism itself."""
    with book.write("setup", system=True) as conn:
        conn.execute("CREATE TABLE dated (id INTEGER PRIMARY KEY, day TEXT NOT NULL, amount INTEGER NOT NULL) STRICT")
        conn.execute("INSERT INTO tracked_tables (name, key_column, date_expr) VALUES ('dated', 'id', '{row}.day')")
        db.install_triggers(conn)
        conn.execute("INSERT INTO dated (day, amount) VALUES ('2026-09-15', 100), ('2026-10-03', 200)")


def test_closed_month_refuses_raw_sql(book: Book) -> None:
    _dated_table(book)
    periods.close_month(book, month="2026-09")
    raw = sqlite3.connect(book.path)  # another tool, no app functions, triggers still apply
    for sql in ("INSERT INTO dated (day, amount) VALUES ('2026-09-30', 1)",
                "UPDATE dated SET amount = 5 WHERE day = '2026-09-15'",
                "UPDATE dated SET day = '2026-09-01' WHERE day = '2026-10-03'",
                "DELETE FROM dated WHERE day = '2026-09-15'"):
        with pytest.raises(sqlite3.IntegrityError, match="已签发结账"):
            raw.execute(sql)
    raw.execute("INSERT INTO dated (day, amount) VALUES ('2026-10-31', 1)")  # October is open
    raw.commit()
    raw.close()
    with pytest.raises(ClosedPeriodError):
        with book.write("setup", system=True) as conn:
            conn.execute("UPDATE dated SET amount = 7 WHERE day = '2026-09-15'")


def test_reopen_needs_chief_and_reason(book: Book) -> None:
    _dated_table(book)
    periods.close_month(book, month="2026-09")
    login_as(book, "clerk")
    with pytest.raises(AppError, match="无权"):
        periods.reopen_month(book, month="2026-09", reason="更正一笔错账的金额")
    login_as(book, "chief")
    with pytest.raises(ValidationError, match="理由"):
        periods.reopen_month(book, month="2026-09", reason="  ")
    periods.reopen_month(book, month="2026-09", reason="更正一笔错账的金额")
    with book.write("setup", system=True) as conn:
        conn.execute("UPDATE dated SET amount = 7 WHERE day = '2026-09-15'")
    op = book.conn.execute("SELECT op FROM audit_log WHERE tbl = 'periods' ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert "更正一笔错账的金额" in op


def test_period_bounds_with_cutoff(book: Book) -> None:
    import dataclasses
    import datetime as dt

    assert periods.bounds(book, "2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    literal = dataclasses.replace(book.rules, reporting=dataclasses.replace(book.rules.reporting, cutoff_day=27))
    book._rules = literal  # a prefecture that wants the seed's literal timing
    assert periods.bounds(book, "2026-03") == (dt.date(2026, 2, 28), dt.date(2026, 3, 27))
    assert periods.month_of(dt.date(2026, 3, 28), 27) == "2026-04"
    assert periods.month_of(dt.date(2026, 12, 28), 27) == "2027-01"
    with pytest.raises(ValidationError, match="月份"):
        periods.parse_month("2026-13")
