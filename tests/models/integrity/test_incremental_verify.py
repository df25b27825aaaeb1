"""Incremental verify from the last anchor (issue #22 item 2): it finds what was done after the anchor — a row
changed or added or removed outside the program, an audit record rewritten, the anchored record itself
re-hashed — and the full verify finds what was done before it, which the incremental one cannot see."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.export import evidence
from app.models.integrity import incremental
from app.models.ledger import account as ledger
from app.models.store import audit
from app.models.store.book import Book, open_book
from tests.conftest import PASSWORD, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.reliability.test_insider import recompute_chain


@pytest.fixture
def anchored(book: Book) -> Iterator[tuple[Book, dict[str, int]]]:
    """Some history, a full verify that passed and its anchor; then more history after the anchor."""
    login_as(book, "clerk")
    old = register(book, received_date=dt.date(2026, 3, 10), amount=900_000_00)
    old_entry = ledger.post_expenditure(book, indicator_id=old, amount=10_000_00, entry_date=dt.date(2026, 4, 2),
                                        voucher_no="ZF-OLD", payment_id=None, summary="锚点之前")
    head = audit.head(book.conn)
    assert evidence.verify(book).ok
    assert incremental.record(book, mode="full", head=head) is not None
    new = register(book, received_date=dt.date(2026, 10, 9), amount=50_000_00)
    new_entry = ledger.post_expenditure(book, indicator_id=new, amount=2_000_00, entry_date=dt.date(2026, 10, 20),
                                        voucher_no="ZF-NEW", payment_id=None, summary="锚点之后")
    login_as(book, "chief")
    yield book, {"old_entry": old_entry, "new_entry": new_entry, "old": old, "new": new}


def raw_edit(path: Path, *statements: tuple[str, tuple[object, ...]], rehash: bool = False) -> None:
    """The insider: sqlite3, the triggers dropped and put back word for word afterwards."""
    raw = sqlite3.connect(path)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    for sql, args in statements:
        raw.execute(sql, args)
    if rehash:
        recompute_chain(raw)
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.close()


def reports(book: Book) -> tuple[list[str], list[str]]:
    path = book.path
    book.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        inc = incremental.run(ro)
        assert inc is not None
        return [str(f) for f in inc.findings], [str(f) for f in evidence.verify(ro).findings]
    finally:
        ro.close()


def test_an_honest_file_passes_and_moves_the_anchor(anchored: tuple[Book, dict[str, int]]) -> None:
    book, _ids = anchored
    first = incremental.last_anchor(book.conn)
    report, anchor = incremental.run_and_record(book)
    assert report is not None and report.ok, report.text()
    assert anchor is not None and first is not None and anchor.seq > first.seq and anchor.mode == "incremental"
    again, _ = incremental.run_and_record(book)  # from the new anchor (its own record is checked too)
    assert again is not None and again.ok, again.text()
    assert "完整核验" in again.text()  # the report says what it does not cover


def test_a_row_changed_after_the_anchor_is_found(anchored: tuple[Book, dict[str, int]]) -> None:
    book, ids = anchored
    raw_edit(book.path, ("UPDATE ledger_entries SET amount = 1 WHERE id = ?", (ids["new_entry"],)))
    inc, full = reports(book)
    assert inc and inc[0].startswith("[数据核对] 表 ledger_entries 主键") and full


def test_history_before_the_anchor_rewritten_and_rehashed_is_found(anchored: tuple[Book, dict[str, int]]) -> None:
    """An old row and its audit records rewritten and the whole chain re-hashed: every link is consistent again,
    but the record at the anchor's seq no longer has the anchored hash. (A rewrite after the anchor, re-hashed,
    is beyond any unkeyed chain — incremental or full alike; a later sign-off's signed checkpoints, or the
    packages sent upward with `--against`, catch it: tests/reliability/test_insider.py.)"""
    book, ids = anchored
    raw_edit(book.path,
             ("UPDATE ledger_entries SET amount = 1 WHERE id = ?", (ids["old_entry"],)),
             ("UPDATE audit_log SET after = json_set(after, '$.amount', 1) WHERE tbl = 'ledger_entries' AND row_key = ?",
              (str(ids["old_entry"]),)), rehash=True)
    inc, _full = reports(book)
    assert inc and inc[0].startswith("[审计链]") and "锚点" in inc[0]


def test_a_record_appended_after_the_anchor_unsealed_is_found(anchored: tuple[Book, dict[str, int]]) -> None:
    book, ids = anchored
    raw = sqlite3.connect(book.path)  # triggers left in place: the update is audited, but nobody sealed it
    raw.execute("UPDATE ledger_entries SET summary = '改过' WHERE id = ?", (ids["new_entry"],))
    raw.commit()
    raw.close()
    inc, _full = reports(book)
    assert inc and inc[0].startswith("[审计链]") and "未经本程序封存" in inc[0]


@pytest.mark.parametrize("attack", ["insert", "delete"])
def test_a_row_added_or_removed_anywhere_changes_the_count(anchored: tuple[Book, dict[str, int]], attack: str) -> None:
    book, ids = anchored
    if attack == "insert":
        raw_edit(book.path, ("INSERT INTO ledger_entries (indicator_id, entry_type, side, sign, amount, entry_date, "
                             "voucher_no, summary, created_at) SELECT indicator_id, entry_type, side, sign, amount, "
                             "entry_date, 'ZF-X', summary, created_at FROM ledger_entries WHERE id = ?",
                             (ids["old_entry"],)))
    else:
        raw_edit(book.path, ("DELETE FROM ledger_entries WHERE id = ?", (ids["old_entry"],)))
    inc, full = reports(book)
    assert inc and "ledger_entries" in inc[0] and full


def test_an_old_row_changed_before_the_anchor_needs_the_full_verify(anchored: tuple[Book, dict[str, int]]) -> None:
    """The limit of the incremental mode, stated in its report: an old row changed with the triggers dropped and
    put back leaves the log and the counts alone. The full verify names it."""
    book, ids = anchored
    raw_edit(book.path, ("UPDATE ledger_entries SET summary = '改过的旧行' WHERE id = ?", (ids["old_entry"],)))
    inc, full = reports(book)
    assert inc == []
    assert full and any("ledger_entries" in f and str(ids["old_entry"]) in f for f in full)


def test_the_anchor_row_itself_is_evidence(anchored: tuple[Book, dict[str, int]]) -> None:
    """Moving the anchor forward by hand (so that the tampered record falls before it) is itself a change to an
    audited row after the previous anchor."""
    book, ids = anchored
    anchor = incremental.last_anchor(book.conn)
    assert anchor is not None
    last = audit.head(book.conn)
    sizes = json.dumps(incremental.table_sizes(book.conn), sort_keys=True)
    raw_edit(book.path,
             ("UPDATE ledger_entries SET amount = 1 WHERE id = ?", (ids["new_entry"],)),
             ("UPDATE verify_anchors SET seq = ?, hash = ?, tables = ? WHERE id = ?", (last[0], last[1], sizes, anchor.id)))
    inc, full = reports(book)
    assert inc and inc[0].startswith(f"[审计链] 核验锚点 #{anchor.id}") and full


def test_no_anchor_means_no_incremental_verify_and_auditor_records_none(book: Book) -> None:
    assert incremental.run(book) is None
    login_as(book, "auditor")
    assert incremental.record(book, mode="full", head=audit.head(book.conn)) is None
    login_as(book, "chief")
    head = audit.head(book.conn)
    login_as(book, "clerk")
    register(book, received_date=dt.date(2026, 3, 10))  # written after the verify began: no anchor
    login_as(book, "chief")
    assert incremental.record(book, mode="full", head=head) is None
    assert PASSWORD


def test_the_command_line_runs_it_from_the_anchor(anchored: tuple[Book, dict[str, int]]) -> None:
    import os
    import subprocess
    import sys

    book, ids = anchored
    path = book.path
    book.close(backup=False)
    run = [sys.executable, "-m", "app", "verify", str(path), "--incremental"]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    ok = subprocess.run(run, capture_output=True, encoding="utf-8", env=env)
    assert ok.returncode == 0 and "审计日志哈希链（自锚点 #" in ok.stdout and "完整核验" in ok.stdout, ok.stdout + ok.stderr
    raw_edit(path, ("UPDATE ledger_entries SET amount = 1 WHERE id = ?", (ids["new_entry"],)))
    bad = subprocess.run(run, capture_output=True, encoding="utf-8", env=env)
    assert bad.returncode == 1 and "ledger_entries" in bad.stdout
