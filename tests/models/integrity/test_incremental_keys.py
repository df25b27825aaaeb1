"""The incremental verify reads only the rows written since its anchor through the keys' indexes (issue #22 item 2):
an old row (before the anchor) that the program changed after it, then someone changed outside the program, must
still be among the rows it checks — for an integer key and for a text key alike. Reading only the rows appended
beyond the anchor (rowid > anchored highest) would miss both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.models.store.book import Book
from tests.models.integrity.test_incremental_verify import anchored, raw_edit, reports

__all__ = ["anchored"]  # the fixture, shared


@pytest.fixture
def touched(anchored: tuple[Book, dict[str, int]]) -> Iterator[tuple[Book, dict[str, int], str]]:
    """After the anchor, the program changes an old 专账 entry and an old fund item (audited, sealed)."""
    book, ids = anchored
    code = str(book.conn.execute("SELECT code FROM fund_items ORDER BY code LIMIT 1").fetchone()[0])
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE ledger_entries SET summary = '锚点之后由本程序改过' WHERE id = ?", (ids["old_entry"],))
        conn.execute("UPDATE fund_items SET name = name || '（改）' WHERE code = ?", (code,))
    yield book, ids, code


def test_the_program_edits_after_the_anchor_pass(touched: tuple[Book, dict[str, int], str]) -> None:
    book, _ids, _code = touched
    inc, full = reports(book)
    assert inc == [] and full == []


def test_an_old_integer_keyed_row_changed_outside_after_an_edit_is_found(touched: tuple[Book, dict[str, int], str]) -> None:
    book, ids, _code = touched
    raw_edit(book.path, ("UPDATE ledger_entries SET amount = amount + 1 WHERE id = ?", (ids["old_entry"],)))
    inc, full = reports(book)
    assert inc and inc[0].startswith(f"[数据核对] 表 ledger_entries 主键 {ids['old_entry']}") and "不一致" in inc[0], inc
    assert full


def test_an_old_text_keyed_row_changed_outside_after_an_edit_is_found(touched: tuple[Book, dict[str, int], str]) -> None:
    book, _ids, code = touched
    raw_edit(book.path, ("UPDATE fund_items SET name = '外改' WHERE code = ?", (code,)))
    inc, full = reports(book)
    assert inc and inc[0].startswith(f"[数据核对] 表 fund_items 主键 {code}") and "不一致" in inc[0], inc
    assert full


def test_an_old_row_deleted_outside_after_an_edit_is_named(touched: tuple[Book, dict[str, int], str]) -> None:
    book, ids, _code = touched
    raw_edit(book.path, ("DELETE FROM ledger_entries WHERE id = ?", (ids["old_entry"],)))
    inc, _full = reports(book)
    assert inc and inc[0].startswith(f"[数据核对] 表 ledger_entries 主键 {ids['old_entry']}") and "已不在表中" in inc[0], inc
