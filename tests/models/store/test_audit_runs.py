"""Bulk imports as runs (schema 20, issue #22 item 3): the insider's attacks on the compact records, and the
upgrade of a file written before them.

A run keeps one 32-byte hash per inserted row and not the row itself: verify reads each row back and hashes
it again. Each test is the attack that would defeat the naive compaction (one record saying "N rows imported"
with nothing tying it to the rows as they now stand): the insider with plain sqlite3 and no password.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.export import evidence
from app.models.store import audit, backup, db
from app.models.store import book as book_module
from app.models.store.book import Book, open_book
from app.models.values.errors import FileError
from benchmarks import make_county

SCALE = 0.005


@pytest.fixture(scope="module", params=["current", "upgraded"])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny large county (real-name lists, 专账 entries, September and October 2026 signed), schema 20 on.
    "upgraded": made by the program before schema 26 (update records holding the whole old row), then opened by
    this one."""
    path = tmp_path_factory.mktemp("runs") / "county.db"
    if request.param == "current":
        make_county.build(path, scale=SCALE)
        return path
    from tests.models.store.test_audit_delta import before_delta

    with before_delta():
        make_county.build(path, scale=SCALE)
    open_book(path).close(backup=False)  # the upgrade to schema 26
    return path


@pytest.fixture(scope="module")
def old_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same county written by the previous schema (every step before 0020): one audit row per row."""
    folder = tmp_path_factory.mktemp("old")
    schema = folder / "schema"
    schema.mkdir()
    for p in db.SCHEMA_DIR.glob("*.sql"):
        if int(p.name[:4]) < audit.RUNS_STEP:
            shutil.copy2(p, schema / p.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(db, "SCHEMA_DIR", schema)
        path = folder / "county.db"
        make_county.build(path, scale=SCALE)
    return path


@pytest.fixture
def copy(county: Path, tmp_path: Path) -> Path:
    shutil.copy2(county, tmp_path / "county.db")
    return tmp_path / "county.db"


def findings(path: Path) -> list[str]:
    ro = open_book(path, read_only=True)
    try:
        return [str(f) for f in evidence.verify(ro).findings]
    finally:
        ro.close()


def run_row(path: Path, table: str = "real_name_lines") -> tuple[int, int, int]:
    """(first seq of a run, one of its keys, that key's seq) from the middle of a run of `table`."""
    raw = sqlite3.connect(path)
    try:
        first, keys = raw.execute("SELECT first_seq, keys FROM audit_runs WHERE tbl = ? ORDER BY first_seq LIMIT 1",
                                  (table,)).fetchone()
    finally:
        raw.close()
    flat = [a + i for a, n in json.loads(keys) for i in range(n)]
    i = len(flat) // 2
    return int(first), flat[i], int(first) + i


def tamper(path: Path, *sql: str, quiet: tuple[str, ...] = (), only: str = "fl_") -> None:
    """Run `sql` with the audit triggers of the `quiet` tables dropped, then put them back word for word (so
    the trigger check has nothing to say: only the data and the log can give the change away)."""
    raw = sqlite3.connect(path)
    saved = []
    for table in quiet:
        for name, text in raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                      (table,)).fetchall():
            if name.startswith(only):
                saved.append(text)
                raw.execute(f'DROP TRIGGER "{name}"')
    for statement in sql:
        raw.execute(statement)
    for text in saved:
        raw.execute(text)
    raw.commit()
    raw.close()


def test_untouched_county_verifies_and_is_folded(county: Path) -> None:
    assert findings(county) == []
    raw = sqlite3.connect(county)
    try:
        folded = raw.execute("SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM audit_runs "
                             "WHERE tbl = 'real_name_lines'").fetchone()[0]
        lines = raw.execute("SELECT count(*) FROM real_name_lines").fetchone()[0]
        plain = raw.execute("SELECT count(*) FROM audit_log WHERE tbl = 'real_name_lines'").fetchone()[0]
    finally:
        raw.close()
    assert folded >= lines * 0.9 and plain < lines * 0.1  # the bulk of the lines' records are runs
    raw = sqlite3.connect(county)
    try:  # the folded records' pages go back to the disk (incremental vacuum), not into every backup
        assert raw.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert raw.execute("PRAGMA freelist_count").fetchone()[0] <= 2 * book_module.FREE_PAGES_KEPT
    finally:
        raw.close()


def test_a_edited_amount_of_an_imported_row_is_found(copy: Path) -> None:
    _first, key, seq = run_row(copy)
    tamper(copy, f"UPDATE real_name_lines SET amount = amount + 100 WHERE id = {key}", quiet=("real_name_lines",))
    found = findings(copy)
    assert any(f"#{seq}（real_name_lines / {key}" in f and "被修改或替换" in f for f in found), found


def test_a_edit_with_the_triggers_in_place_is_found_too(copy: Path) -> None:
    _first, key, _seq = run_row(copy)
    tamper(copy, f"UPDATE real_name_lines SET account = '6217000000000000001' WHERE id = {key}",
           quiet=("real_name_lines",), only="fl_closed_")  # the month is closed: only that guard is dropped
    assert any("未经本程序封存" in f for f in findings(copy))


def test_b_deleted_imported_row_is_found(copy: Path) -> None:
    _first, key, seq = run_row(copy)
    tamper(copy, f"DELETE FROM real_name_lines WHERE id = {key}", quiet=("real_name_lines",))
    found = findings(copy)
    assert any(f"#{seq}（real_name_lines / {key}" in f and "已不在表中" in f for f in found), found


def test_c_row_added_to_an_import_batch_is_found(copy: Path) -> None:
    _first, key, _seq = run_row(copy)
    tamper(copy, "INSERT INTO real_name_lines (payment_id, row_no, name, id_number, village, amount, account) "
                 f"SELECT payment_id, 999, '外来', '650102199001011237', village, 100, '6217000000000000002' "
                 f"FROM real_name_lines WHERE id = {key}", quiet=("real_name_lines",))
    found = findings(copy)
    assert any("real_name_lines 主键" in f and "没有审计记录" in f for f in found), found


def test_c_row_swapped_under_an_imported_key_is_found(copy: Path) -> None:
    """Delete an imported row and put another one in under the same key: the key is still 'in the batch'."""
    _first, key, seq = run_row(copy)
    tamper(copy, f"UPDATE real_name_lines SET name = '替换', id_number = '650102199001011237' WHERE id = {key}",
           quiet=("real_name_lines",))
    found = findings(copy)
    assert any(f"#{seq}（real_name_lines / {key}" in f for f in found), found


def _rehash_from(raw: sqlite3.Connection, start: int) -> None:
    """What an insider who read audit.py would do: recompute every hash from record `start` to the end (plain
    records and runs alike) so that the chain is whole again, with the protecting triggers out of the way."""
    saved = [r[0] for r in raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                                       "('audit_log', 'audit_runs')").fetchall()]
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                               "('audit_log', 'audit_runs')").fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.row_factory = None
    prev = audit.hash_at(raw, start - 1) or audit.GENESIS
    runs = {r.first: r for r in audit.runs(raw, since=start - 1)}
    plain = raw.execute("SELECT seq, at, actor, op, tbl, row_key, action, before, after FROM audit_log "
                        "WHERE seq >= ? ORDER BY seq", (start,)).fetchall()
    seq, i = start, 0
    while i < len(plain) or seq in runs:
        if seq in runs:
            run = runs.pop(seq)
            afters = audit.inserted(raw, run.tbl, run.columns, run.keys, run.last)
            blob = b""
            for j, (key, after) in enumerate(zip(run.keys, afters, strict=True)):
                prev = audit.record_hash(prev, (run.first + j, run.at, run.actor, run.op, run.tbl, str(key), "I",
                                                None, after))
                blob += bytes.fromhex(prev)
            raw.execute("UPDATE audit_runs SET hashes = ? WHERE first_seq = ?", (blob, run.first))
            seq = run.last + 1
            continue
        row = plain[i]
        h = audit.record_hash(prev, row)
        raw.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, row[0]))
        prev, seq, i = h, row[0] + 1, i + 1
    for text in saved:
        raw.execute(text)
    raw.row_factory = sqlite3.Row


def test_d_rehashed_chain_after_an_edited_import_is_found_by_the_signatures(copy: Path) -> None:
    first, key, _seq = run_row(copy)
    raw = sqlite3.connect(copy)
    signed_head = raw.execute("SELECT min(audit_seq) FROM signoffs").fetchone()[0]
    assert first < signed_head  # the import is before the signed months
    tamper(copy, f"UPDATE real_name_lines SET amount = amount + 100 WHERE id = {key}", quiet=("real_name_lines",))
    _rehash_from(raw, first)
    raw.commit()
    # the chain is whole again and every row matches it: only what was signed can tell
    assert list(audit.check_chain(raw)) == [] and list(audit.check_rows(raw)) == []
    raw.close()
    found = findings(copy)
    assert any("签发锚点" in f and "审计链被重新计算过" in f for f in found), found


def test_run_record_cannot_be_changed_or_removed_by_the_program_rules(copy: Path) -> None:
    raw = sqlite3.connect(copy)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
            raw.execute("UPDATE audit_runs SET keys = '[]'")
        with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
            raw.execute("DELETE FROM audit_runs")
        with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
            raw.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    finally:
        raw.close()


def test_runs_dropped_entirely_are_found(copy: Path) -> None:
    tamper(copy, "DROP TRIGGER audit_runs_no_delete", "DELETE FROM audit_runs WHERE tbl = 'real_name_lines'",
           "CREATE TRIGGER audit_runs_no_delete BEFORE DELETE ON audit_runs "
           "BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END")
    found = findings(copy)
    assert any("记录缺失" in f for f in found) and any("没有审计记录" in f for f in found), found


# -- the upgrade of a file written before schema 20 -----------------------------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def old_copy(old_county: Path, tmp_path: Path) -> Path:
    shutil.copy2(old_county, tmp_path / "county.db")
    return tmp_path / "county.db"


def _hashes(path: Path) -> Iterator[tuple[int, str]]:
    raw = sqlite3.connect(path)
    try:
        yield from raw.execute("SELECT seq, hash FROM audit_log ORDER BY seq").fetchall()
    finally:
        raw.close()


def test_upgrade_folds_an_older_file_keeping_every_hash_and_signature(old_copy: Path) -> None:
    raw = sqlite3.connect(old_copy)
    assert raw.execute("PRAGMA user_version").fetchone()[0] < audit.RUNS_STEP
    assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'audit_runs'").fetchone()[0] == 0
    raw.close()
    old_hashes = dict(_hashes(old_copy))
    size = old_copy.stat().st_size
    book = open_book(old_copy)  # the upgrade: backup, check, fold, check, vacuum
    book.close(backup=False)
    assert any("升级前" in info.reason for info in backup.list_backups(old_copy))
    assert old_copy.stat().st_size < size * 0.75
    raw = sqlite3.connect(old_copy)
    try:
        folded = raw.execute("SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM audit_runs").fetchone()[0]
        assert folded > len(old_hashes) // 2
        # every record of the old chain still has its hash, in audit_log or inside a run: nothing signed moved
        assert all(audit.hash_at(raw, seq) == digest for seq, digest in old_hashes.items())
        # the stored copies of the previous hash are gone (each hash covers it): the chain still links, see verify
        assert raw.execute("SELECT count(*) FROM audit_log WHERE prev_hash IS NOT NULL").fetchone()[0] == 0
        assert raw.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    finally:
        raw.close()
    ro = open_book(old_copy, read_only=True)
    try:
        report = evidence.verify(ro)
        assert report.ok, report.text()
        assert ("签发记录的审计链头、签名与签名密钥", 0) in report.steps
    finally:
        ro.close()


def test_upgraded_file_still_finds_an_edited_import(old_copy: Path) -> None:
    book = open_book(old_copy)
    book.close(backup=False)
    _first, key, seq = run_row(old_copy)
    tamper(old_copy, f"UPDATE real_name_lines SET amount = amount - 1 WHERE id = {key}", quiet=("real_name_lines",))
    found = findings(old_copy)
    assert any(f"#{seq}（real_name_lines / {key}" in f for f in found), found


def test_upgrade_refused_and_file_untouched_when_verify_fails_first(old_copy: Path) -> None:
    raw = sqlite3.connect(old_copy)
    key = raw.execute("SELECT max(id) FROM real_name_lines").fetchone()[0]
    raw.close()
    tamper(old_copy, f"UPDATE real_name_lines SET amount = amount + 1 WHERE id = {key}", quiet=("real_name_lines",))
    before = _digest(old_copy)
    with pytest.raises(FileError, match="升级前的核验未通过"):
        open_book(old_copy)
    assert _digest(old_copy) == before
    raw = sqlite3.connect(old_copy)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] < audit.RUNS_STEP
    finally:
        raw.close()


def test_old_file_opened_read_only_verifies_and_stays_as_it_was(old_copy: Path) -> None:
    """The auditor's read-only look at an older file: upgraded in a temporary copy (not folded), the file untouched."""
    before = _digest(old_copy)
    assert findings(old_copy) == []
    assert _digest(old_copy) == before


@pytest.mark.parametrize("undated", [False, True])
def test_forged_run_into_a_closed_month_appended_at_the_end_is_found(copy: Path, undated: bool) -> None:
    """The quieter insider, in the new format: closed-month guards dropped, sixteen 专账 entries dated in signed
    September put in, and a well-formed run for them sealed onto the end of the chain (hashes right, rows match).
    Chain and rows agree; only the order of closing and writing gives it away — runs are judged like records.
    `undated`: the run's columns leave out entry_date (its hashes made to match): a run the program never writes."""
    raw = sqlite3.connect(copy)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries' "
                        "AND (name LIKE 'fl_closed_%' OR name = 'fl_audit_ledger_entries_i')").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    top = raw.execute("SELECT max(id) FROM ledger_entries").fetchone()[0]
    keys = list(range(top + 1, top + 17))
    for k in keys:
        raw.execute("INSERT INTO ledger_entries (id, entry_date, indicator_id, entry_type, side, sign, amount, voucher_no, "
                    "summary, created_by, created_at) SELECT ?, '2026-09-15', indicator_id, 'expenditure', 'expenditure', "
                    "1, 1000, 'ZF-FORGED-' || ?, '支付', created_by, created_at FROM ledger_entries WHERE id = ?", (k, k, top))
    row_json = db.row_json_sql(raw, "ledger_entries", set(), "x")
    if undated:
        row_json = f"json_remove({row_json}, '$.entry_date')"
    afters = [raw.execute(f"SELECT {row_json} FROM ledger_entries x WHERE id = ?", (k,)).fetchone()[0] for k in keys]
    first, prev = audit.last_seq(raw) + 1, audit.head(raw)[1]
    at, actor, op = "2026-11-26 10:00:00.000", "jingban#2", "post_entry"
    blob = b""
    for i, (k, after) in enumerate(zip(keys, afters, strict=True)):
        prev = audit.record_hash(prev, (first + i, at, actor, op, "ledger_entries", str(k), "I", None, after))
        blob += bytes.fromhex(prev)
    raw.execute("INSERT INTO audit_runs (first_seq, last_seq, at, actor, op, tbl, keys, columns, hashes) "
                "VALUES (?, ?, ?, ?, ?, 'ledger_entries', ?, ?, ?)",
                (first, first + 15, at, actor, op, json.dumps([[keys[0], 16]]),
                 json.dumps(list(json.loads(afters[0]))), blob))
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.row_factory = sqlite3.Row
    assert list(audit.check_chain(raw)) == []  # the chain holds
    # the row check holds too, except that a run without the date column now has its rows' entry_date held to the
    # column's default (a column the import's list lacks was added later: audit.added_since_runs)
    assert [f.where for f in audit.check_rows(raw)] == ([f"表 ledger_entries 主键 {keys[0]}"] if undated else [])
    raw.close()
    found = findings(copy)
    said = "记录中没有判断所属月份的列（entry_date）" if undated else "结账之后新增了日期为 2026-09-15"
    assert any(f"审计记录 #{first}（表 ledger_entries" in f and said in f for f in found), found


# -- what other code reads from the log sees a run ---------------------------------------------------------------
def _bulk_payees(book: Book, n: int, start: int = 0) -> None:
    with book.write("setup", system=True) as conn:
        conn.executemany(
            "INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, created_at) "
            "VALUES ('company', ?, ?, 1, ?, ?, '银行', '2026-01-05 10:00:00')",
            [(f"单位{i}", f"91650100{i:010d}", f"单位{i}", f"62170000{i:08d}") for i in range(start, start + n)])


def test_changes_and_warnings_see_a_bulk_import(book: Book) -> None:
    """The window refreshes from `changes.since` and the warnings decide what to recompute from the tables written
    since their last run: a folded import must be in both, or a page stays stale after an import."""
    from app.models.store import changes

    mark = changes.mark(book.conn)
    _bulk_payees(book, 20)
    conn = book.conn
    assert conn.execute("SELECT count(*) FROM audit_runs WHERE tbl = 'payees' AND last_seq > ?", (mark,)).fetchone()[0] == 1
    seen = changes.since(conn, mark)
    ids = {str(r[0]) for r in conn.execute("SELECT id FROM payees")}
    assert seen.rows["payees"] == frozenset(ids) and len(ids) == 20
    assert changes.mark(conn) == audit.last_seq(conn) > mark
    assert any(r.tbl == "payees" for r in audit.runs(conn, since=mark))


def test_tables_read_record_by_record_are_never_folded(book: Book) -> None:
    from app.models.store import users

    with book.write("setup", system=True) as conn:
        for i in range(20):
            users.insert_user(conn, login=f"user{i:02d}", name=f"用户{i}", role="clerk", password="secret-pass-1",
                              now="2026-01-05 10:00:00")
    conn = book.conn
    assert conn.execute("SELECT count(*) FROM audit_runs WHERE tbl = 'users'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM audit_log WHERE tbl = 'users' AND action = 'I'").fetchone()[0] >= 20


def test_runs_after_a_point_are_the_same_by_key_as_by_a_scan(county: Path) -> None:
    """`audit.runs(since=…)` finds the runs after a point through the primary key (the one run holding the point,
    and those beginning after it) instead of scanning every run the file keeps: for every point around every run's
    bounds, and per table, the same runs as the plain scan `last_seq > since`."""
    conn = sqlite3.connect(f"file:{county}?mode=ro", uri=True)
    try:
        bounds = conn.execute("SELECT first_seq, last_seq, tbl FROM audit_runs ORDER BY first_seq").fetchall()
        assert len(bounds) >= 3
        points = sorted({0, *(s + d for a, b, _t in bounds for s in (a, b) for d in (-1, 0, 1)),
                         bounds[-1][1] + 100})
        for since in points:
            plain = [r[0] for r in conn.execute("SELECT first_seq FROM audit_runs WHERE last_seq > ? "
                                                "ORDER BY first_seq", (since,))]
            assert [r.first for r in audit.runs(conn, since=since)] == plain, since
            for table in {t for _a, _b, t in bounds}:
                by_table = [r[0] for r in conn.execute(
                    "SELECT first_seq FROM audit_runs WHERE tbl = ? AND last_seq > ? ORDER BY first_seq",
                    (table, since))]
                assert [r.first for r in audit.runs(conn, since=since, table=table)] == by_table, (since, table)
        # the one holding a point strictly inside it is found (a naive `first_seq > since` would miss it)
        a, b, _t = bounds[len(bounds) // 2]
        if b > a:
            assert [r.first for r in audit.runs(conn, since=a)][0] == a
    finally:
        conn.close()
