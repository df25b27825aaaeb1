"""The insider who forges a single audit record — Python's sqlite3, no password, the source read — and the two holes an
attack review found in verify on 2026-12-07 (both older than schema 26, which made the first easier to use):

1. A record's claimed old state was never compared with what the row's previous record left. An update that moves a
   row out of a closed, signed month (a notice's start date from February to November) with `before` leaving the
   old date out — or, in the whole-row form of the records before schema 26, giving a false one — was judged by the
   closed-month check on the dates the record itself claims, all in the open month: full and incremental verify
   passed. audit.check_history now names the record: the row just before it must be the previous record's `after`.
2. A record with a column twice: SQLite's json_extract reads the first value, json.loads the last. A decoy date put
   first in `after` showed the closed-month check an open month while the row check saw the true row: a paid
   payment of March moved to another payee passed both verifies. audit.strict_json refuses a column named twice.

Each attack is appended to the chain after the last sign-off and sealed by audit.seal, as the program seals; only
the closed-month guards are dropped for it (and put back word for word), so the triggers check has nothing to say.
The naive verify (no history check, json.loads for the row check) passes every one of them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from app.demo import build as demo
from app.export import evidence
from app.models.integrity import incremental
from app.models.store import audit, users
from app.models.store.book import open_book
from tests.conftest import writable_copy

Edit = Callable[[sqlite3.Connection, list[tuple[int, str | None, str | None]]], None]


def forge(path: Path, sql: str, edit: Edit) -> int:
    """`sql` with the audit triggers on (they write the honest record) and the closed-month guards off; `edit`
    rewrites the unsealed records; sealed onto the chain head. Returns the seq of the last record written."""
    raw = sqlite3.connect(path, isolation_level=None)
    guards = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                         "(name LIKE 'fl_closed_%' OR name = 'audit_log_no_update')").fetchall()
    raw.execute("BEGIN")
    for name, _sql in guards:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE audit_context SET at = '2026-11-25 10:00:00.000', actor = 'jingban#4', op = 'edit' WHERE id = 1")
    raw.execute(sql)
    raw.execute("UPDATE audit_context SET at = NULL, actor = NULL, op = NULL WHERE id = 1")
    rows = raw.execute("SELECT seq, before, after FROM audit_log WHERE hash IS NULL ORDER BY seq").fetchall()
    assert rows, "the audit trigger wrote nothing"
    edit(raw, rows)
    audit.seal(raw, audit.head(raw)[0])
    for _name, text in guards:
        raw.execute(text)
    raw.execute("COMMIT")
    raw.close()
    return int(rows[-1][0])


def findings(path: Path) -> tuple[list[str], list[str]]:
    """(full verify's findings, incremental verify's from the anchor the honest file's verify recorded)."""
    ro = open_book(path, read_only=True)
    try:
        full = [str(f) for f in evidence.verify(ro).findings if f.check != "报送包"]
        report = incremental.run(ro)
        assert report is not None
        return full, [str(f) for f in report.findings]
    finally:
        ro.close()


@pytest.fixture
def county(demo_file: Path, tmp_path: Path) -> Path:
    """A copy of the demo with a real anchor recorded by the program (the clerk, as the window does)."""
    path = writable_copy(demo_file, tmp_path / "示例县.db")
    book = open_book(path)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        assert incremental.record(book, mode="full", head=audit.head(book.conn)) is not None
    finally:
        book.close(backup=False)
    return path


def _set_before(change: Callable[[dict[str, object]], dict[str, object]]) -> Edit:
    def edit(raw: sqlite3.Connection, rows: list[tuple[int, str | None, str | None]]) -> None:
        for seq, before, _after in rows:
            if before is not None:
                raw.execute("UPDATE audit_log SET before = ? WHERE seq = ?",
                            (json.dumps(change(json.loads(before)), ensure_ascii=False, separators=(",", ":")), seq))
    return edit


def _notice_in_february(path: Path) -> int:
    raw = sqlite3.connect(path)
    try:
        row = raw.execute("SELECT id FROM county_notices WHERE start_date < '2026-03-01' ORDER BY id LIMIT 1").fetchone()
        closed = raw.execute("SELECT closed FROM periods WHERE month = '2026-02'").fetchone()
    finally:
        raw.close()
    assert row is not None and closed == (1,)  # a notice of a closed (and signed) month
    return int(row[0])


@pytest.mark.parametrize("claim", ["old date left out", "old date false"])
def test_a_row_moved_out_of_a_closed_month_by_a_record_that_lies_about_its_old_date(county: Path, claim: str) -> None:
    key = _notice_in_february(county)
    if claim == "old date left out":  # schema 26's form: "start_date did not change"
        edit = _set_before(lambda b: {k: v for k, v in b.items() if k not in ("start_date", "end_date")})
    else:  # the whole-row form of records before schema 26, with the old dates made up
        edit = _whole_before
    seq = forge(county, "UPDATE county_notices SET start_date = '2026-11-20', end_date = NULL, "
                        f"title = title || '（改）' WHERE id = {key}", edit)
    full, since = findings(county)
    for found in (full, since):
        assert any(f"审计记录 #{seq}（表 county_notices 主键 {key}）" in f and "上一条审计记录" in f for f in found), found


def _whole_before(raw: sqlite3.Connection, rows: list[tuple[int, str | None, str | None]]) -> None:
    """A whole old row in `before`, as records before schema 26 hold it, with the dates the forger wants."""
    for seq, before, after in rows:
        if before is not None and after is not None:
            whole = {**json.loads(after), **json.loads(before), "start_date": "2026-11-20", "end_date": None}
            raw.execute("UPDATE audit_log SET before = ? WHERE seq = ?",
                        (json.dumps(whole, ensure_ascii=False, separators=(",", ":")), seq))


def test_a_record_naming_the_date_twice_is_named(county: Path) -> None:
    raw = sqlite3.connect(county)
    try:
        pid, day = raw.execute("SELECT id, pay_date FROM payments WHERE status = 'paid' AND pay_date < '2026-04-01' "
                               "ORDER BY id LIMIT 1").fetchone()
        other = raw.execute("SELECT id FROM payees WHERE id <> (SELECT payee_id FROM payments WHERE id = ?) "
                            "ORDER BY id LIMIT 1", (pid,)).fetchone()[0]
    finally:
        raw.close()

    def decoy(raw: sqlite3.Connection, rows: list[tuple[int, str | None, str | None]]) -> None:
        for seq, _before, after in rows:
            if after is not None:  # the open month's date first: json_extract reads it, json.loads the true one
                raw.execute("UPDATE audit_log SET after = ? WHERE seq = ?", ('{"pay_date":"2026-11-20",' + after[1:], seq))

    seq = forge(county, f"UPDATE payments SET payee_id = {other} WHERE id = {pid}", decoy)
    after = sqlite3.connect(county).execute("SELECT pay_date, payee_id FROM payments WHERE id = ?", (pid,)).fetchone()
    assert after == (day, other)  # the payment stays in its closed month, paid to another payee
    full, since = findings(county)
    for found in (full, since):
        # both readers refuse it: the row check (the row's last record) and the history check (every update)
        assert any(f.startswith("[数据核对] 表 payments") and f"#{seq}" in f for f in found), found
        assert any(f.startswith("[审计链]") and f"#{seq}（表 payments" in f and "同一列出现两次" in f for f in found), found


def test_the_program_own_edits_keep_the_history_whole(county: Path) -> None:
    """No false alarm: updates and deletes the program writes (in both record forms, upgraded demo included) pass."""
    full, since = findings(county)
    assert full == [] and since == []



# -- attack review round 3 (2026-12-07): records with no honest place in the row's history --------------------------
def _free_notice_in_august(path: Path) -> int:
    """A notice of signed August that nothing refers to (it can be deleted on its own)."""
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute(
            "SELECT min(n.id) FROM notices n WHERE n.start_date LIKE '2026-08%' AND NOT EXISTS "
            "(SELECT 1 FROM notice_evidence e WHERE e.notice_id = n.id) AND NOT EXISTS "
            "(SELECT 1 FROM notice_feedback f WHERE f.notice_id = n.id)").fetchone()[0])
    finally:
        raw.close()


def _rewrite(change: Callable[[sqlite3.Connection, int, dict[str, object]], None]) -> Edit:
    def edit(raw: sqlite3.Connection, rows: list[tuple[int, str | None, str | None]]) -> None:
        for seq, before, after in rows:
            change(raw, seq, json.loads(before or after or "{}"))
    return edit


def test_a_delete_record_that_names_another_row_is_named(county: Path) -> None:
    """A notice of signed August deleted, its delete record claiming another key (so no previous record to compare
    with) and a September date: the history check skipped it, the closed-month check judged September."""
    key = _free_notice_in_august(county)

    def other_key(raw: sqlite3.Connection, seq: int, old: dict[str, object]) -> None:
        old.update(id=999999, start_date="2026-09-15")
        raw.execute("UPDATE audit_log SET before = ? WHERE seq = ?",
                    (json.dumps(old, ensure_ascii=False, separators=(",", ":")), seq))

    seq = forge(county, f"DELETE FROM notices WHERE id = {key}", _rewrite(other_key))
    full, since = findings(county)
    for found in (full, since):
        assert any(f"审计记录 #{seq}（表 notices 主键 {key}）" in f and "写的是另一行（主键 999999）" in f for f in found), found


def test_an_update_written_as_an_insert_of_an_existing_row_is_named(county: Path) -> None:
    """A notice moved out of signed August, its update record rewritten as an insert ('I', no `before`): inserts
    were neither history-checked nor judged by an old date."""
    key = _free_notice_in_august(county)

    def as_insert(raw: sqlite3.Connection, seq: int, _old: dict[str, object]) -> None:
        raw.execute("UPDATE audit_log SET action = 'I', before = NULL WHERE seq = ?", (seq,))

    seq = forge(county, "UPDATE notices SET start_date = '2026-09-15', end_date = CASE WHEN end_date IS NULL THEN NULL ELSE "
                f"'2026-09-25' END, title = title || '（已撤销）' WHERE id = {key}",
                _rewrite(as_insert))
    full, since = findings(county)
    for found in (full, since):
        assert any(f"审计记录 #{seq}（表 notices 主键 {key}）" in f and "新增记录的主键此前已有一行" in f for f in found), found


def test_a_delete_record_of_a_row_that_never_was_is_named(county: Path) -> None:
    """A delete record for a key with no history at all (the incremental verify's row count balanced with it)."""
    key = _free_notice_in_august(county)

    def ghost(raw: sqlite3.Connection, seq: int, old: dict[str, object]) -> None:
        old["id"] = 999998
        raw.execute("UPDATE audit_log SET row_key = '999998', action = 'D', before = ?, after = NULL WHERE seq = ?",
                    (json.dumps(old, ensure_ascii=False, separators=(",", ":")), seq))

    # the trigger's record of a harmless update becomes the ghost's delete record (the row itself is restored)
    seq = forge(county, f"UPDATE notices SET title = title WHERE id = {key}", _rewrite(ghost))
    full, since = findings(county)
    for found in (full, since):
        assert any(f"审计记录 #{seq}（表 notices 主键 999998）" in f and "此前没有任何记录" in f for f in found), found


def test_a_row_dated_before_the_first_period_changed_after_a_close_is_named(county: Path) -> None:
    """The closed-month triggers refuse every date up to the last closed month's end, but verify judged only days
    inside some period: a 2024 or 2025 ledger entry (before the demo's first period) was rewritten unseen."""
    raw = sqlite3.connect(county)
    try:
        first = raw.execute("SELECT min(start_date) FROM periods").fetchone()[0]
        key, day = raw.execute("SELECT id, entry_date FROM ledger_entries WHERE entry_date < ? ORDER BY id LIMIT 1",
                               (first,)).fetchone()
    finally:
        raw.close()
    seq = forge(county, f"UPDATE ledger_entries SET summary = summary || '（改）' WHERE id = {key}", lambda raw, rows: None)
    full, since = findings(county)
    for found in (full, since):
        assert any(f"审计记录 #{seq}（表 ledger_entries 主键 {key}）" in f and f"日期为 {day} 的行" in f for f in found), found


def test_an_update_record_claiming_another_row_s_history_is_named(county: Path) -> None:
    """Round 5: the history check followed a `before` naming another key to that row's history (for a key that
    changed), and the closed-month check took the old date from it; the program never changes a key. A row of a
    closed month rewritten with `before` copied from an open-month row passed both verifies."""
    key = _free_notice_in_august(county)
    raw = sqlite3.connect(county)
    try:
        other, after = raw.execute(
            "SELECT n.id, (SELECT a.after FROM audit_log a WHERE a.tbl = 'notices' AND a.row_key = CAST(n.id AS TEXT) "
            "ORDER BY a.seq DESC LIMIT 1) FROM notices n WHERE n.start_date >= '2026-09-01' ORDER BY n.id LIMIT 1").fetchone()
    finally:
        raw.close()

    def claim(raw: sqlite3.Connection, seq: int, _old: dict[str, object]) -> None:
        raw.execute("UPDATE audit_log SET before = ? WHERE seq = ?", (after, seq))

    seq = forge(county, f"UPDATE notices SET start_date = '2026-11-20', end_date = NULL WHERE id = {key}", _rewrite(claim))
    full, since = findings(county)
    for found in (full, since):
        assert any(f"审计记录 #{seq}（表 notices 主键 {key}）" in f and f"写的是另一行（主键 {other}）" in f for f in found), found
