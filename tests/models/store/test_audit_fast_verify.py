"""The shortcuts of the faster chain walk and row check (issue #22 item 2) against the plain computation.

- a run's record text is built without a list per record: it must be the very text record_hash hashes;
- a run's rows are read range by range, and only rows with records of their own are looked up in the log: a row
  changed or deleted by the program since its import still verifies, one changed or deleted outside does not;
- the row check no longer builds the JSON of a row imported in bulk, and asks whether its key is in an import
  with a forward-moving pointer: the answer must be in_spans' for every key, in any order.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.store import audit
from app.models.store.book import Book

TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=("Cs",)),
               max_size=40)


@settings(max_examples=300, deadline=None)
@given(prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), seq=st.integers(1, 10**12),
       at=TEXT, actor=st.none() | TEXT, op=st.none() | TEXT, tbl=TEXT, key=st.integers(-10**15, 10**15),
       after=TEXT | st.dictionaries(TEXT, st.none() | st.integers() | TEXT, max_size=4).map(
           lambda d: audit._ENCODE(d)))
def test_run_record_text_is_the_record_hash_text(prev: str, seq: int, at: str, actor: str | None, op: str | None,
                                                 tbl: str, key: int, after: str) -> None:
    run = audit.Run(seq, seq, at, actor, op, tbl, [key], [], b"")
    fast = audit.run_record_payload(prev, seq, audit.run_middle(run), key, after)
    assert fast == audit._ENCODE([prev, seq, at, actor, op, tbl, str(key), "I", None, after])
    assert audit.record_hash(prev, (seq, at, actor, op, tbl, str(key), "I", None, after)) == \
        __import__("hashlib").sha256(fast.encode("utf-8")).hexdigest()


def _bulk_payees(book: Book, n: int) -> list[int]:
    with book.write("setup", system=True) as conn:
        conn.executemany(
            "INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, created_at) "
            "VALUES ('company', ?, ?, 1, ?, ?, '银行', '2026-01-05 10:00:00')",
            [(f"单位{i}", f"91650100{i:010d}", f"单位{i}", f"62170000{i:08d}") for i in range(n)])
    keys = [int(r[0]) for r in book.conn.execute("SELECT id FROM payees ORDER BY id")]
    assert book.conn.execute("SELECT count(*) FROM audit_runs WHERE tbl = 'payees'").fetchone()[0] == 1
    return keys


def _chain(book: Book) -> list[str]:
    return [str(f) for f in audit.check_chain(book.conn)] + [str(f) for f in audit.check_rows(book.conn)]


def test_rows_changed_and_deleted_by_the_program_after_their_import_still_verify(book: Book) -> None:
    """The walk looks up a later record only for keys that have records of their own: an edit and a delete made by
    the program (audited) must be found that way, or the chain would fail on an honest file."""
    keys = _bulk_payees(book, 40)
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET name = '改名\"\\\\单位' WHERE id = ?", (keys[5],))
        conn.execute("DELETE FROM payees WHERE id = ?", (keys[20],))  # a hole in the middle of the imported range
        conn.execute("DELETE FROM payees WHERE id = ?", (keys[-1],))  # and at its end
    assert _chain(book) == []


def _raw(book: Book, *sql: str) -> None:
    """Change the file the way someone with plain sqlite3 would: the payees' audit triggers dropped, then put back."""
    path = book.conn.execute("PRAGMA database_list").fetchone()[2]
    raw = sqlite3.connect(path)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'payees'").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    for statement in sql:
        raw.execute(statement)
    for _name, text in saved:
        raw.execute(text)
    raw.commit()
    raw.close()


def test_an_imported_row_changed_outside_after_an_audited_edit_is_found(book: Book) -> None:
    keys = _bulk_payees(book, 40)
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET bank = '另一家银行' WHERE id = ?", (keys[7],))
    _raw(book, f"UPDATE payees SET account_no = '6217000000009999' WHERE id = {keys[7]}")
    found = _chain(book)
    assert len(found) == 1 and f"payees 主键 {keys[7]}" in found[0] and "不一致" in found[0], found


def test_an_imported_row_deleted_or_changed_outside_is_named(book: Book) -> None:
    keys = _bulk_payees(book, 40)
    first = int(book.conn.execute("SELECT first_seq FROM audit_runs WHERE tbl = 'payees'").fetchone()[0])
    _raw(book, f"DELETE FROM payees WHERE id = {keys[12]}", f"UPDATE payees SET name = 'x' WHERE id = {keys[30]}")
    found = [str(f) for f in audit.check_chain(book.conn)]
    assert len(found) == 1 and f"#{first + 12}（payees / {keys[12]}" in found[0] and "已不在表中" in found[0], found
    _raw(book, "INSERT INTO payees (id, payee_type, name, id_code, id_check_ok, account_name, account_no, bank, created_at) "
               f"VALUES ({keys[12]}, 'company', '冒名单位', '91650100{12:010d}', 1, '单位12', '62170000{12:08d}', '银行', "
               "'2026-01-05 10:00:00')")  # a look-alike put back under the deleted key
    found = [str(f) for f in audit.check_chain(book.conn)]
    assert len(found) == 1 and f"#{first + 12}（payees / {keys[12]}" in found[0] and "被修改或替换" in found[0], found


def test_a_row_added_outside_between_and_after_imports_is_found(book: Book) -> None:
    keys = _bulk_payees(book, 40)
    _raw(book, f"DELETE FROM payees WHERE id = {keys[-1]}")  # the import's last key, now free
    _raw(book, "INSERT INTO payees (id, payee_type, name, id_code, id_check_ok, account_name, account_no, bank, "
               f"created_at) VALUES ({keys[-1] + 5}, 'company', '外来', '916501009999999999', 1, '外来', '6217000099999999', '银行', "
               "'2026-01-05 10:00:00')")
    rows = [str(f) for f in audit.check_rows(book.conn)]
    assert len(rows) == 1 and f"payees 主键 {keys[-1] + 5}" in rows[0] and "没有审计记录" in rows[0], rows


@settings(max_examples=300, deadline=None)
@given(starts=st.lists(st.tuples(st.integers(-50, 200), st.integers(1, 12)), max_size=12),
       asked=st.lists(st.integers(-60, 260).map(str) | st.sampled_from(["007", "1.0", "-0", "x", "²", "", " 5"]),
                      max_size=60),
       ascending=st.booleans())
def test_span_pointer_answers_as_bisection_does(starts: list[tuple[int, int]], asked: list[str], ascending: bool) -> None:
    spans, end = [], -10**9
    for start, n in sorted(starts):
        if start > end:
            spans.append((start, start + n - 1))
            end = start + n - 1
    if ascending:
        asked = sorted(asked, key=lambda k: audit._int_key(k) or 0)
    pointer = audit.Spans(spans)
    assert [k in pointer for k in asked] == [audit.in_spans(spans, k) for k in asked]


def test_runs_read_back_in_small_chunks_give_the_same_answers(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run is read back CHUNK rows at a time (flat memory for a large import): holes, edits and an outside change
    that fall on and across chunk borders are judged as with one read."""
    monkeypatch.setattr(audit, "CHUNK", 7)
    keys = _bulk_payees(book, 40)
    with book.write("edit", system=True) as conn:
        conn.execute("UPDATE payees SET name = '改名' WHERE id = ?", (keys[7],))  # first row of the second chunk
        conn.execute("DELETE FROM payees WHERE id = ?", (keys[13],))  # last row of the second chunk
    assert _chain(book) == []
    first = int(book.conn.execute("SELECT first_seq FROM audit_runs WHERE tbl = 'payees'").fetchone()[0])
    _raw(book, f"UPDATE payees SET bank = '外改' WHERE id = {keys[21]}")  # first row of the fourth chunk
    found = [str(f) for f in audit.check_chain(book.conn)]
    assert len(found) == 1 and f"#{first + 21}（payees / {keys[21]}" in found[0], found
