"""The triggers the schema steps write out as text — the rule-set and calendar locks of signed years, the audit log's
and the runs' append-only guards, the search index's upkeep — were compared by name only (leftover of attack round 4,
2026-12-07): the insider re-creates one under its own name with `WHEN 0 AND …` and the lock is gone, unseen. And a
trigger the program never made was not looked at at all: it runs inside every honest write, so whatever it changes is
recorded by the audit triggers as the clerk's or the chief's own change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.export import evidence
from app.models.store import db
from app.models.store.book import open_book
from tests.reliability.test_signed_reopen import _named, findings
from tests.reliability.test_signed_reopen import county as county  # noqa: PLC0414 (the fixture)


def _rewrite(path: Path, name: str) -> None:
    """`name` dropped and made again with the same text behind `WHEN 0 AND (…)`: present, and never firing."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        sql = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).fetchone()[0]
        head, sep, rest = " ".join(sql.split()).partition(" WHEN ")
        weakened = f"{head} WHEN 0 AND ({rest.replace(' BEGIN ', ') BEGIN ', 1)}" if sep else head.replace(
            " BEGIN", " WHEN 0 BEGIN", 1)
        raw.execute("BEGIN")
        raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute(weakened)
        raw.execute("COMMIT")
        assert "WHEN 0" in raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    finally:
        raw.close()


def test_a_written_out_lock_kept_under_its_name_but_never_firing_is_named(county: Path) -> None:
    for name in ("rule_sets_locked_u", "calendar_days_locked_u", "audit_runs_no_update"):
        _rewrite(county, name)
    # the lock no longer holds: a signed year's rule set can be moved now, with plain sqlite3 (rolled back here)
    raw = sqlite3.connect(county)
    try:
        raw.execute("UPDATE rule_sets SET from_year = from_year + 1 WHERE id = (SELECT min(id) FROM rule_sets)")
        raw.rollback()
    finally:
        raw.close()
    for name in ("rule_sets_locked_u", "calendar_days_locked_u", "audit_runs_no_update"):
        _named(county, "[保护触发器]", f"触发器 {name}", "被改写过")


def test_a_trigger_the_program_never_made_is_named(county: Path) -> None:
    """Named like the program's own, it adds 100 分 to the newest payment whenever the chief signs a month off."""
    raw = sqlite3.connect(county, isolation_level=None)
    try:
        raw.execute("CREATE TRIGGER fl_audit_signoffs_x AFTER INSERT ON signoffs BEGIN "
                    "UPDATE payments SET amount = amount + 100 WHERE id = (SELECT max(id) FROM payments); END")
    finally:
        raw.close()
    _named(county, "[保护触发器]", "触发器 fl_audit_signoffs_x", "不是本程序建立的触发器")


def test_an_honest_file_has_its_written_triggers_as_its_steps_wrote_them(county: Path) -> None:
    """No false alarm: the demo's triggers are the steps' own, and a file before step 20 keeps the log guard of step 1."""
    full, since = findings(county)
    assert not [f for f in full + since if "保护触发器" in f], (full, since)
    book = open_book(county, read_only=True)
    try:
        want = db.reference_fixed_triggers(book.conn)
    finally:
        book.close()
    assert "WHEN OLD.hash IS NOT NULL" in want["audit_log_no_delete"]
    old = sqlite3.connect(":memory:")
    try:
        for number, _name, path in db.migrations():
            if number < db.NO_DELETE_STEP:
                for statement in db._statements(path):
                    old.execute(statement)
        old.execute(f"PRAGMA user_version = {db.NO_DELETE_STEP - 1}")
        have = {r[0]: r[1] for r in old.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
        assert db.reference_fixed_triggers(old) == have
    finally:
        old.close()


def test_a_lowered_schema_version_does_not_make_verify_expect_less(county: Path) -> None:
    """Attack review round 6: which triggers and views verify expects was read from user_version, which whoever holds
    the file sets. At 7, the rule-set locks and the runs' guards were no longer expected: dropped, nothing said.
    An honest file's user_version is the highest step it ran; the steps it ran are in schema_migrations."""
    raw = sqlite3.connect(county, isolation_level=None)
    try:
        raw.execute("PRAGMA user_version = 7")
        raw.execute("DROP TRIGGER rule_sets_locked_u")
    finally:
        raw.close()
    _named(county, "[架构步骤]", "版本号被改低过")
    _named(county, "[保护触发器]", "触发器 rule_sets_locked_u", "已被删除")


def test_a_step_unrecorded_below_the_ones_recorded_is_named(county: Path) -> None:
    """The calendar locks dropped and step 24 taken out of schema_migrations (user_version 23): the read-only verify
    judged a copy with step 24 put back and only told "an older format", though the file records steps 25 to 28."""
    raw = sqlite3.connect(county, isolation_level=None)
    try:
        for name in [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE name LIKE 'calendar_%_locked_%'")]:
            raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute("DELETE FROM schema_migrations WHERE number = 24")
        raw.execute("PRAGMA user_version = 23")
    finally:
        raw.close()
    ro = open_book(county, read_only=True)
    try:
        found = [str(f) for f in evidence.verify(ro).findings]
    finally:
        ro.close()
    assert any("[架构步骤]" in f and f"第 {db.latest_version()} 步" in f and "0024" in f for f in found), found
