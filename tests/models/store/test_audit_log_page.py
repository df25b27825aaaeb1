"""The 审计 tab's page names each bulk-import run by its own record (issue #22 item 5): one primary-key lookup
per run shown, not a read of every run after it with all their hashes (5.4 s for the tab's first paint on the
5-year county before)."""

from __future__ import annotations

import json

from app.models.store import audit_query
from app.models.store.book import Book


def _bulk_payees(book: Book, n: int, start: int) -> list[int]:
    with book.write("setup", system=True) as conn:
        conn.executemany(
            "INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, created_at) "
            "VALUES ('company', ?, ?, 1, ?, ?, '银行', '2026-01-05 10:00:00')",
            [(f"单位{i}", f"91650100{i:010d}", f"单位{i}", f"62170000{i:08d}") for i in range(start, start + n)])
    return [int(r[0]) for r in book.conn.execute("SELECT id FROM payees WHERE name GLOB '单位*' ORDER BY id")][-n:]


def test_each_run_line_names_its_own_run_and_reads_no_other(book: Book) -> None:
    sizes = (20, 30, 17)
    keys = []
    for k, n in enumerate(sizes):
        keys.append(_bulk_payees(book, n, start=1000 * k))
    q = audit_query.LogQuery(book, audit_query.LogFilter(table="payees"))
    statements: list[str] = []
    book.conn.set_trace_callback(statements.append)
    try:
        rows = q.fetch(0, 10, None, True)
    finally:
        book.conn.set_trace_callback(None)
    runs = [r for r in rows if r["action"] == "R"]
    stored = [(int(a), int(b), json.loads(k)) for a, b, k in book.conn.execute(
        "SELECT first_seq, last_seq, keys FROM audit_runs WHERE tbl = 'payees' ORDER BY first_seq DESC")]
    assert len(stored) == len(sizes) and [r["seq"] for r in runs] == [a for a, _b, _k in stored]
    assert [r["changes"].split("（")[0] for r in runs] == [f"导入 {b - a + 1} 行" for a, b, _k in stored]
    assert [r["row_key"] for r in runs] == [f"{k[0][0]}–{k[0][0] + k[0][1] - 1}" for _a, _b, k in stored]
    # each run holds keys of its own batch, newest first
    for (_a, _b, k), ks in zip(stored, reversed(keys), strict=True):
        assert len(k) == 1 and set(range(k[0][0], k[0][0] + k[0][1])) <= set(ks)
    assert all("程序内批量写入" in r["changes"] for r in runs)
    # each run looked up by its key; never "every run after this one"
    assert not [s for s in statements if "audit_runs" in s and "last_seq >" in s], statements


def test_span_of_a_run_from_its_ranges() -> None:
    assert audit_query._span([[5, 1]]) == "5"
    assert audit_query._span([[5, 3]]) == "5–7"
    assert audit_query._span([[5, 2], [9, 1]]) == "5 等"


def test_run_rows_expand_the_run_asked_for(book: Book) -> None:
    """The detail table lists the rows of the run selected, found by its first record."""
    _bulk_payees(book, 20, start=0)
    _bulk_payees(book, 18, start=500)
    stored = [(int(a), json.loads(k)) for a, k in book.conn.execute(
        "SELECT first_seq, keys FROM audit_runs WHERE tbl = 'payees' ORDER BY first_seq")]
    assert len(stored) == 2
    for seq, ranges in stored:
        shown = audit_query.run_rows(book, seq)
        listed = [int(str(line[0]).rsplit("主键 ", 1)[1]) for line in shown if "主键 " in str(line[0])]
        assert listed == [a + i for a, n in ranges for i in range(n)], shown[:3]
