"""Columns an upgrade added (ALTER TABLE … ADD COLUMN, e.g. indicators.econ_code in schema 14, payments.review_opinion
in 16, signoffs.reopen_signature in 27) in rows written before it (attack review round 3, 2026-12-07).

Such a row's last audit record — or, for a bulk import folded into a run when the file reached schema 20, the run's
column list — predates the column. The row check compared only the columns the record holds ("a column added later
has no history yet"), so the insider could set the new column in those rows, triggers dropped and put back, with no
record at all, and every verify passed. The upgrade gave every such row the column's default; any other value was
written later, and each later write of the program leaves a record with the whole row. verify now holds a column
a row's record lacks to its default, for plain records and for rows of a run alike.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.models.store import audit, db, users
from app.models.store.book import open_book
from tests.conftest import PASSWORD, file_made_before

IMPORTED = 20  # indicators written in one transaction: folded into a run when the file is upgraded past schema 20


@pytest.fixture
def upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file made by the program as it was before schema 14 (no econ_code), upgraded to the latest schema."""
    def imported(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO fund_kinds (code, name, sort) VALUES ('ZX', '财政专项扶贫资金', 1)")
        c.execute("INSERT INTO fund_items (code, kind, name) VALUES ('ZX01', 'ZX', '中央专项')")
        for i in range(IMPORTED):
            c.execute("INSERT INTO indicators (doc_no, year, kind, item, source_level, amount, received_date, created_at) "
                      "VALUES (?, 2026, 'ZX', 'ZX01', 'central', 100000, '2026-03-02', '2026-03-02')", (f"新财农〔2026〕{i + 1}号",))

    def added(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO indicators (doc_no, year, kind, item, source_level, amount, received_date, created_at) "
                  "VALUES ('新财农〔2026〕99号', 2026, 'ZX', 'ZX01', 'central', 50000, '2026-04-01', '2026-04-01')")

    path = file_made_before(14, tmp_path, monkeypatch, imported, added)
    with open_book(path) as up:
        assert db.user_version(up.conn) == db.latest_version()
        users.login(up, "chief", PASSWORD)
        assert up.conn.execute("SELECT count(*) FROM audit_runs WHERE tbl = 'indicators'").fetchone()[0] == 1
        assert _audit_findings(up.conn) == []  # the honest upgrade: nothing to say
    return path


def _audit_findings(conn: sqlite3.Connection) -> list[str]:
    """The audit checks (the rows carry no ledger entries, so the business invariants are left out)."""
    return [str(f) for check in (audit.check_chain, audit.check_rows, audit.check_history) for f in check(conn)]


def _set_behind_the_triggers(path: Path, sql: str) -> None:
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        trigger = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'fl_audit_indicators_u'").fetchone()[0]
        raw.execute("BEGIN")
        raw.execute("DROP TRIGGER fl_audit_indicators_u")
        raw.execute(sql)
        raw.execute(trigger)
        raw.execute("COMMIT")
    finally:
        raw.close()


@pytest.mark.parametrize("which", ["plain record", "bulk import"])
def test_a_column_added_by_an_upgrade_changed_behind_the_triggers_is_named(upgraded: Path, which: str) -> None:
    doc = "新财农〔2026〕99号" if which == "plain record" else "新财农〔2026〕7号"
    _set_behind_the_triggers(upgraded, f"UPDATE indicators SET econ_code = '30101' WHERE doc_no = '{doc}'")
    with open_book(upgraded, read_only=True) as ro:
        key = ro.conn.execute("SELECT id FROM indicators WHERE doc_no = ?", (doc,)).fetchone()[0]
        found = _audit_findings(ro.conn)
    assert any(f.startswith("[数据核对]") and f"表 indicators 主键 {key}" in f for f in found), found
