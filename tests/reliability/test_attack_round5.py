"""The fifth attack round, each break written as the attack that made it (insider with the file, sqlite3, no
password; and the honest clerk whose late record failed verify): a swapped password laundered by a re-run upgrade
step, a table taken off the audit list, a doctored rule text under a shipped set's name for a year with no signed
month, and a goal back-dated into a signed month."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from app.models.integrity import incremental
from app.models.integrity import verify as full
from app.models.performance import goals
from app.models.store import users
from app.models.store.book import open_book
from app.models.values.errors import AppError, ValidationError
from app.resources import resources_dir
from tests.reliability.test_incremental_attacks import anchored, demo, sealed  # noqa: F401 - fixtures


def _both(path: Path) -> tuple[list[str], list[str]]:
    """What the full verify's base checks and the window's start-up check each find (opened as the auditor does)."""
    book = open_book(path, read_only=True)
    try:
        found = [str(f) for name, check in full.base_checks() for f in check(book.conn)]
        report = incremental.run(book)
        assert report is not None
        return found, [str(f) for f in report.findings]
    finally:
        book.close()


def test_a_swapped_password_is_not_laundered_by_a_re_run_upgrade_step(anchored: Path) -> None:  # noqa: F811
    """The chief's pw_hash swapped with sqlite3; the step table dropped and step 7's only object (an index) dropped so
    the loader re-runs step 7 and its data fill-in — which used to re-tag every password as the system, audited and
    sealed, so the swapped hash verified and its maker logged in as chief."""
    pw, salt = "Hack-2026!x", os.urandom(16)
    swapped = (f"scrypt${2**14}$8$1${salt.hex()}$"
               f"{hashlib.scrypt(pw.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()}")
    raw = sqlite3.connect(anchored, isolation_level=None)
    trigger = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'fl_audit_users_u'").fetchone()[0]
    raw.execute("BEGIN")
    raw.execute("DROP TRIGGER fl_audit_users_u")
    raw.execute("UPDATE users SET pw_hash = ? WHERE login = 'juzhang'", (swapped,))
    raw.execute(trigger)
    raw.execute("DROP TABLE schema_migrations")
    raw.execute("DROP INDEX audit_log_actor")
    raw.execute("COMMIT")
    raw.close()
    found, quick = _both(anchored)
    assert any("密码" in f and "juzhang" in f for f in found), found
    assert any("密码" in f and "juzhang" in f for f in quick), quick
    book = open_book(anchored)  # the read-write open re-runs the step on the file itself: still no laundering
    book.close(backup=False)
    found, _quick = _both(anchored)
    assert any("密码" in f and "juzhang" in f for f in found), found


def test_a_table_taken_off_the_audit_list_is_named(anchored: Path) -> None:  # noqa: F811
    """payees deleted from tracked_tables, its audit triggers dropped, an account number changed with no audit record,
    the triggers put back: every check that read the file's own list (triggers expected, rows against the log) was
    blind to the table."""
    raw = sqlite3.connect(anchored, isolation_level=None)
    saved = [r[0] for r in raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                                       "'fl_audit_payees_%'")]
    raw.execute("BEGIN")
    raw.execute("DELETE FROM tracked_tables WHERE name = 'payees'")
    for name in [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE name LIKE 'fl_audit_payees_%'")]:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE payees SET account_no = '6217000000000000666' WHERE id = 1")
    for sql in saved:
        raw.execute(sql)
    raw.execute("COMMIT")
    raw.close()
    found, quick = _both(anchored)
    assert any("审计跟踪清单" in f and "payees" in f for f in found), found
    assert any("审计跟踪清单" in f and "payees" in f for f in quick), quick


def test_a_doctored_rule_text_under_a_shipped_name_for_an_open_year(anchored: Path) -> None:  # noqa: F811
    """A year with no signed month (2025) given a copy of xj-2019 whose negative list is cut to one item, still called
    'xj-2019 2019.1', written with the lock triggers dropped and the audit records sealed as the program seals them:
    no signature covers an open year, so the text itself is judged."""
    text = (resources_dir() / "rules" / "xj-2019.toml").read_text(encoding="utf-8")
    start = text.index("usage = [", text.index("§三(一)1"))
    end = text.index("]", text.index('"urban"', start)) + 1
    bad = text[:start] + 'usage = ["urban"]' + text[end:]
    digest = hashlib.sha256(bad.encode("utf-8")).hexdigest()
    raw = sqlite3.connect(anchored)
    first = raw.execute("SELECT rule_set, version, file_hash, origin, reason, set_by, set_at FROM rule_sets "
                        "WHERE from_year = 2000").fetchone()
    raw.close()
    sealed(anchored, "juzhang", "assign_rule_set",
           ("INSERT INTO rule_set_files (file_hash, rule_set, text, added_at) VALUES (?, 'xj-2019', ?, "
            "'2026-11-25 09:12:00')", (digest, bad)),
           ("INSERT INTO rule_sets (from_year, rule_set, version, file_hash, origin, reason, set_by, set_at) "
            "VALUES (2025, 'xj-2019', '2019.1', ?, 'bureau', '财农〔2025〕1号', 1, '2026-11-25 09:12:00')", (digest,)),
           ("INSERT INTO rule_sets (from_year, rule_set, version, file_hash, origin, reason, set_by, set_at) "
            "VALUES (2026, ?, ?, ?, ?, ?, ?, ?)", tuple(first)),
           drop=("rule_sets_locked_i", "rule_sets_locked_u", "rule_sets_locked_d"))
    found, quick = _both(anchored)
    assert any("规则集" in f and "2025" in f and "借用" in f for f in found), found
    assert any("规则集" in f and "2025" in f for f in quick), quick


def test_the_untouched_file_passes_the_new_checks(anchored: Path) -> None:  # noqa: F811
    found, quick = _both(anchored)
    assert found == [] and quick == []


def test_a_goal_cannot_be_back_dated_or_edited_in_place_inside_a_signed_month(anchored: Path) -> None:  # noqa: F811
    """The honest clerk recorded late a goal set in March (signed): the program took it, and verify then blamed
    tampering for the changed 表8 of March. Now it is refused with the field and reason; so is editing in place a
    goal in force since a signed month (remove it and set a new one from today)."""
    book = open_book(anchored)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        pid = book.conn.execute("SELECT id FROM projects ORDER BY id LIMIT 1").fetchone()[0]
        fields = {"level1": "产出指标", "level2": "数量指标", "name": "新建大棚（补录）", "comparator": "≥", "target": "20",
                  "unit": "座"}
        before = book.conn.execute("SELECT count(*) FROM perf_goals").fetchone()[0]
        with pytest.raises(AppError, match="设定日期 2026-03-01 所在月份已签发结账"):
            goals.add_goal(book, project_id=pid, set_on="2026-03-01", fields=fields)
        assert book.conn.execute("SELECT count(*) FROM perf_goals").fetchone()[0] == before
        old = book.conn.execute("SELECT id, set_on FROM perf_goals WHERE removed_on IS NULL AND set_on <= '2026-08-31' "
                                "ORDER BY id LIMIT 1").fetchone()
        assert old is not None
        current = goals.get_goal(book, int(old[0]))
        with pytest.raises(ValidationError, match="已结账"):
            goals.update_goal(book, goal_id=int(old[0]), fields={k: current[k] for k in goals.GOAL_FIELDS} | {"target": "0"})
        assert goals.get_goal(book, int(old[0]))["target"] == current["target"]
        assert goals.add_goal(book, project_id=pid, fields=fields, set_on=book.today()) > 0  # from today: fine
    finally:
        book.close(backup=False)


def test_verify_says_when_it_judged_an_upgraded_copy_and_names_a_step_removed(anchored: Path) -> None:  # noqa: F811
    """Step 24 forgotten in schema_migrations and its six calendar-lock triggers dropped: the auditor's read-only verify
    upgraded a temporary copy (triggers re-created there) and passed without a word. A file that claims the step
    and lacks its objects is now a finding; an honest old-format file gets a note that the copy was checked."""
    raw = sqlite3.connect(anchored, isolation_level=None)
    raw.execute("BEGIN")
    raw.execute("DELETE FROM schema_migrations WHERE number = 24")
    for name in [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                           "name LIKE 'calendar_%_locked_%'")]:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("COMMIT")
    raw.close()
    book = open_book(anchored, read_only=True)
    try:
        assert book.upgraded is not None and book.upgraded[1] == [24]
        report = full.run(book)
        assert any("架构步骤" in str(f) and "0024" in str(f) for f in report.findings), report.findings
    finally:
        book.close()
