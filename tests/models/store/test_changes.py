"""What an operation changed is read from the audit log, and a worker's book follows the window's book."""

from __future__ import annotations

import sqlite3

import pytest

from app.models.store import changes, users
from app.models.store.book import Book, worker_book
from app.models.values.errors import ReadOnlyError
from tests.conftest import PASSWORD


def test_changes_name_the_tables_and_rows_written(book: Book) -> None:
    mark = changes.mark(book.conn)
    users.add_user(book, login="new1", name="新用户", role="clerk", password=PASSWORD, section="")
    found = changes.since(book.conn, mark)
    new_id = book.conn.execute("SELECT id FROM users WHERE login = 'new1'").fetchone()[0]
    assert found.touches("users") and not found.touches("payments")
    assert found.ids("users") == {new_id}
    assert changes.since(book.conn, changes.mark(book.conn)) == changes.NONE  # nothing since: nothing claimed


def test_a_write_on_another_connection_is_included(book: Book) -> None:
    """Changes come from the file, not from the connection that ran the operation: a worker's write counts."""
    mark = changes.mark(book.conn)
    with worker_book(book) as own:
        users.add_user(own, login="new2", name="后台用户", role="clerk", password=PASSWORD, section="")
    assert changes.since(book.conn, mark).touches("users")


def test_a_rolled_back_write_claims_nothing(book: Book) -> None:
    mark = changes.mark(book.conn)
    with pytest.raises(RuntimeError), book.write("add_user") as conn:
        conn.execute("INSERT INTO users (login, name, role, pw_hash, created_at) VALUES ('x', 'x', 'clerk', 'x', 'x')")
        raise RuntimeError("stopped")
    assert not changes.since(book.conn, mark)


def test_worker_book_is_its_own_connection_and_read_only_when_asked(book: Book) -> None:
    with worker_book(book, read_only=True) as own:
        assert own.conn is not book.conn and own.user == book.user and own.read_only
        with pytest.raises((ReadOnlyError, sqlite3.Error)):
            users.add_user(own, login="x2", name="x", role="clerk", password=PASSWORD, section="")
    assert own.closed and not book.closed


def test_worker_book_refuses_writes_when_the_window_book_failed_its_check(book: Book) -> None:
    """The window's book opened with its check deferred: a worker's write waits for it and follows its verdict."""
    book.integrity = "failed"  # as _run_check leaves it when quick_check found damage
    book.read_only, book.notice = True, "完整性检查未通过"
    with worker_book(book) as own, pytest.raises(ReadOnlyError):
        users.add_user(own, login="x3", name="x", role="clerk", password=PASSWORD, section="")
    book.read_only = False
    book.integrity = "failed"
    with worker_book(book) as own:  # opened writable, but the check's verdict arrives before its write
        assert not own.read_only
        with pytest.raises(ReadOnlyError):
            users.add_user(own, login="x4", name="x", role="clerk", password=PASSWORD, section="")
    assert book.conn.execute("SELECT count(*) FROM users WHERE login IN ('x3', 'x4')").fetchone()[0] == 0
