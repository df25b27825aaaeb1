"""Update records keep in `before` only the old values of the columns they changed (schema 26, issue #22).

`after` stays the whole new row; inserts and deletes are as they were. Records written before the upgrade keep
their whole `before` (hash-chained, signed): every reader takes a column's old value from `before` when it has the
key — a JSON null included — else from `after`, which reads both forms the same way. Each test here is what the
naive change (the trigger changed, the readers left as they were) gets wrong."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.export import evidence
from app.models.integrity import incremental
from app.models.ledger import account as ledger
from app.models.notices import obligations
from app.models.store import audit, audit_query, db, periods, setup, users
from app.models.store.book import Book, open_book
from tests.conftest import PASSWORD, FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.store.test_audit_runs import _bulk_payees, _rehash_from

PAYEE = ("INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, created_at) "
         "VALUES ('company', '旧名称', '916501000000000001', 1, '旧名称', '6217000000000001', '银行', "
         "'2026-01-05 10:00:00')")


@contextlib.contextmanager
def before_delta() -> Iterator[None]:
    """Files made by the program as it was before schema 26 (every step up to 0025: update records hold the whole
    old row), for as long as the block runs."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        schema = Path(folder) / "schema"
        schema.mkdir()
        for p in db.SCHEMA_DIR.glob("*.sql"):
            if int(p.name[:4]) < db.DELTA_STEP:
                shutil.copy2(p, schema / p.name)
        mp.setattr(db, "SCHEMA_DIR", schema)
        yield


def last(conn: sqlite3.Connection, table: str) -> tuple[int, str, str | None, str | None]:
    row = conn.execute("SELECT seq, action, before, after FROM audit_log WHERE tbl = ? ORDER BY seq DESC LIMIT 1",
                       (table,)).fetchone()
    return int(row[0]), str(row[1]), row[2], row[3]


def findings(book: Book) -> list[str]:
    return [str(f) for f in evidence.verify(book).findings]


def test_an_update_records_only_the_columns_it_changed(book: Book) -> None:
    with book.write("setup", system=True) as conn:
        pid = conn.execute(PAYEE).lastrowid
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET name = '新名称', id_confirmed_at = '2026-01-06' WHERE id = ?", (pid,))
    _seq, action, before, after = last(book.conn, "payees")
    assert action == "U" and before is not None and after is not None
    # the old value of each changed column, a NULL one as a JSON null (present), nothing else
    assert json.loads(before) == {"name": "旧名称", "id_confirmed_at": None}
    assert book.conn.execute("SELECT json_type(?, '$.id_confirmed_at'), json_type(?, '$.bank')",
                             (before, before)).fetchone()[:] == ("null", None)
    columns = [r[1] for r in book.conn.execute("PRAGMA table_info(payees)")]
    assert list(json.loads(after)) == columns and json.loads(after)["name"] == "新名称"  # after: the whole new row
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET id_confirmed_at = NULL WHERE id = ?", (pid,))
    assert json.loads(last(book.conn, "payees")[2] or "") == {"id_confirmed_at": "2026-01-06"}
    with book.write("edit", system=True) as conn:  # an update that changes nothing still leaves its record
        conn.execute("UPDATE payees SET note = note WHERE id = ?", (pid,))
    assert last(book.conn, "payees")[1:3] == ("U", "{}")
    with book.write("edit", system=True) as conn:  # a delete keeps the whole old row
        conn.execute("DELETE FROM payees WHERE id = ?", (pid,))
    _seq, action, before, after = last(book.conn, "payees")
    assert action == "D" and after is None and list(json.loads(before or "")) == columns
    assert findings(book) == []


def test_a_change_of_case_under_a_nocase_column_is_a_change(book: Book) -> None:
    """users.login compares without case (COLLATE NOCASE): the record still says the login was changed."""
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE users SET login = 'CLERK' WHERE login = 'clerk'")
    _seq, action, before, after = last(book.conn, "users")
    assert action == "U" and json.loads(before or "") == {"login": "clerk"}
    assert audit_query.differences(before, after) == [("login", "clerk", "CLERK")]


def test_the_audit_tab_lists_exactly_the_changed_fields_old_to_new(book: Book) -> None:
    with book.write("setup", system=True) as conn:
        pid = conn.execute(PAYEE).lastrowid
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET bank = '农商银行', id_confirmed_at = '2026-01-06' WHERE id = ?", (pid,))
    _seq, _action, before, after = last(book.conn, "payees")
    assert audit_query.differences(before, after) == [("id_confirmed_at", None, "2026-01-06"), ("bank", "银行", "农商银行")]
    shown = audit_query.differences(before, after, book=book, table="payees")
    assert [(o, n) for _f, o, n in shown] == [(None, "2026-01-06"), ("银行", "农商银行")]
    line = audit_query.summary(before, after, book=book, table="payees")
    assert line.count("→") == 2 and "银行 → 农商银行" in line and "（空） → 2026-01-06" in line
    assert "旧名称" not in line  # the columns it left alone are not changes
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET note = note WHERE id = ?", (pid,))
    _seq, _action, before, after = last(book.conn, "payees")
    assert audit_query.differences(before, after) == [] and audit_query.summary(before, after) == ""
    # the audit tab's list: the update records' 变更 column, newest first
    page = audit_query.LogQuery(book, audit_query.LogFilter(table="payees")).fetch(0, 5, None, True)
    assert [r["action"] for r in page] == ["U", "U", "I"]
    assert page[0]["changes"] == "" and page[1]["changes"] == line


def test_a_whole_before_of_an_older_record_reads_the_same() -> None:
    """An update record of a file from before schema 26 (whole old row) and one written after it: the same change
    lists the same way, and the project stage history reads both."""
    whole = json.dumps({"id": 7, "name": "甲", "status": "pool", "note": ""}, ensure_ascii=False)
    after = json.dumps({"id": 7, "name": "甲", "status": "approved", "note": "批"}, ensure_ascii=False)
    delta = json.dumps({"status": "pool", "note": ""}, ensure_ascii=False)
    assert audit_query.differences(whole, after) == audit_query.differences(delta, after) == [
        ("status", "pool", "approved"), ("note", "", "批")]
    assert audit.old_row(whole, after) == audit.old_row(delta, after) == json.loads(whole)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at TEXT, tbl TEXT, row_key TEXT, action TEXT, "
                 "before TEXT, after TEXT)")
    rows = [(1, "2026-03-01 09:00:00", whole, after),  # older record: status moved
            (2, "2026-03-02 09:00:00", after, after.replace('"批"', '"改"')),  # older record: status stayed
            (3, "2026-03-03 09:00:00", json.dumps({"note": "批"}), after.replace('"批"', '"改"')),  # delta: stayed
            (4, "2026-03-04 09:00:00", json.dumps({"status": "approved"}),
             after.replace('"approved"', '"implementing"'))]  # delta: moved
    conn.executemany("INSERT INTO audit_log VALUES (?, ?, 'projects', '7', 'U', ?, ?)", rows)
    moves = conn.execute(obligations._STAGE_MOVES).fetchall()
    assert moves == [(7, "2026-03-01", "pool", "approved"), (7, "2026-03-04", "approved", "implementing")]
    # the closed-month check's old values: before's when present (a null included), else after's
    sql = f"SELECT {audit.old_value_sql('status')}, {audit.old_value_sql('name')} FROM audit_log a ORDER BY seq"
    assert conn.execute(sql).fetchall() == [("pool", "甲"), ("approved", "甲"), ("approved", "甲"), ("approved", "甲")]
    conn.execute("UPDATE audit_log SET before = '{\"name\":null}' WHERE seq = 4")
    assert conn.execute(sql + " LIMIT 1 OFFSET 3").fetchone() == ("implementing", None)


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    """A county bureau made before schema 26, with a payee changed (a whole-`before` update record) and closed
    months."""
    path = tmp_path / "old.db"
    with before_delta():
        b = setup.create(path, bureau_name="测试县财政局", region_code="659902", level="county", chief_login="chief",
                         chief_name="局长甲", chief_password=PASSWORD, clock=FixedClock(dt.datetime(2026, 11, 20, 10)))
        try:
            assert db.user_version(b.conn) == db.DELTA_STEP - 1
            with b.write("setup", system=True) as conn:
                pid = conn.execute(PAYEE).lastrowid
            with b.write("edit", system=True) as conn:
                conn.execute("UPDATE payees SET bank = '农商银行' WHERE id = ?", (pid,))
            before = last(b.conn, "payees")[2]
            assert before is not None and json.loads(before)["name"] == "旧名称"  # the whole old row
            assert findings(b) == []
        finally:
            b.close(backup=False)
    return path


def test_a_file_upgraded_from_schema_25_verifies_before_and_after_and_keeps_its_records(old_file: Path) -> None:
    raw = sqlite3.connect(old_file)
    kept = raw.execute("SELECT seq, before, after, hash FROM audit_log ORDER BY seq").fetchall()
    raw.close()
    ro = open_book(old_file, read_only=True)  # the old file as it is (verify judges an upgraded temporary copy)
    try:
        assert findings(ro) == []
    finally:
        ro.close()
    book = open_book(old_file)
    try:
        book.clock = FixedClock(dt.datetime(2026, 11, 21, 10))
        assert db.DELTA_STEP in db.applied_steps(book.conn) and db.user_version(book.conn) >= db.DELTA_STEP
        now = book.conn.execute("SELECT seq, before, after, hash FROM audit_log WHERE seq <= ? ORDER BY seq",
                                (kept[-1][0],)).fetchall()
        assert [tuple(r) for r in now] == [tuple(r) for r in kept]  # not one old record rewritten
        old_seq, _action, old_before, old_after = last(book.conn, "payees")
        assert audit_query.differences(old_before, old_after) == [("bank", "银行", "农商银行")]
        with book.write("edit", system=True) as conn:
            conn.execute("UPDATE payees SET bank = '信用社' WHERE id = 1")
        seq, action, before, after = last(book.conn, "payees")
        assert seq > old_seq and action == "U" and json.loads(before or "") == {"bank": "农商银行"}
        assert audit_query.differences(before, after) == [("bank", "农商银行", "信用社")]
        assert findings(book) == []
        users.login(book, "chief", PASSWORD)
        head = audit.head(book.conn)
        assert incremental.record(book, mode="full", head=head) is not None
        with book.write("edit", system=True) as conn:
            conn.execute("UPDATE payees SET name = '新名称' WHERE id = 1")
        report = incremental.run(book)
        assert report is not None and report.ok, report.text()
    finally:
        book.close(backup=False)


def test_a_period_update_that_leaves_closed_alone_opens_no_window(book: Book) -> None:
    """The closed-month check reads when each month closed and reopened from the periods' update records: one
    that changes another column of a closed month (`closed` not in its `before`) neither closes it again nor
    keeps it closed after it is reopened."""
    login_as(book, "clerk")
    ind = register(book, received_date=dt.date(2026, 5, 6), amount=100_000_00)
    login_as(book, "chief")
    periods.close_month(book, month="2026-05")
    with book.write("touch", system=True) as conn:
        conn.execute("UPDATE periods SET closed_at = closed_at || ' ' WHERE month = '2026-05'")
    assert "closed" not in json.loads(last(book.conn, "periods")[2] or "")
    periods.reopen_month(book, month="2026-05", reason="更正五月数据")
    login_as(book, "clerk")
    ledger.post_expenditure(book, indicator_id=ind, amount=1_000_00, entry_date=dt.date(2026, 5, 20),
                            voucher_no="ZF-5", payment_id=None, summary="重新打开后记账")
    assert findings(book) == []


# -- a row imported in bulk (a run), changed later by an update record holding only what it changed -------------
@pytest.fixture
def imported(book: Book) -> tuple[Book, int, int]:
    """(book, a payee's key inside a bulk import, that import's first seq); an anchor before the import, then the
    payee's account name changed by the program."""
    head = audit.head(book.conn)
    assert findings(book) == []
    assert incremental.record(book, mode="full", head=head) is not None
    _bulk_payees(book, 20)
    run = next(audit.runs(book.conn, table="payees"))
    key = run.keys[7]
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET account_name = '改名后' WHERE id = ?", (key,))
    assert json.loads(last(book.conn, "payees")[2] or "") == {"account_name": f"单位{key - run.keys[0]}"}
    return book, key, run.first


def both(book: Book) -> tuple[list[str], list[str]]:
    """(incremental, full) findings on the file as it stands, read-only."""
    path = book.path
    book.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        inc = incremental.run(ro)
        assert inc is not None
        return [str(f) for f in inc.findings], [str(f) for f in evidence.verify(ro).findings]
    finally:
        ro.close()


def test_an_imported_row_changed_later_verifies(imported: tuple[Book, int, int]) -> None:
    book, key, _first = imported
    afters = audit.inserted(book.conn, "payees", json.loads(book.conn.execute(
        "SELECT columns FROM audit_runs WHERE tbl = 'payees'").fetchone()[0]), [key], 0)
    assert json.loads(afters[0] or "")["account_name"] != "改名后"  # as imported, every column there
    assert json.loads(afters[0] or "")["bank"] == "银行"
    inc, full = both(book)
    assert inc == [] and full == []


@pytest.mark.parametrize("forged", [
    "{}",  # "this update changed nothing": the import would have held the new name
    '{"account_name": "单位7", "bank": "别的银行"}',  # a column the update left alone claimed as changed too
])
def test_a_rewritten_update_record_of_an_imported_row_is_named_at_its_import(imported: tuple[Book, int, int],
                                                                              forged: str) -> None:
    book, key, first = imported
    seq = last(book.conn, "payees")[0]
    raw = sqlite3.connect(book.path)
    guard = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'").fetchone()[0]
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET before = ? WHERE seq = ?", (json.dumps(json.loads(forged), ensure_ascii=False), seq))
    raw.execute(guard)
    _rehash_from(raw, seq)  # the chain whole again from the rewritten record on
    raw.commit()
    raw.close()
    inc, full = both(book)
    where = f"（payees / {key}，批量导入 #{first}–"
    for found in (inc, full):
        assert any(where in f and "导入时的内容与其哈希不符" in f for f in found), found
