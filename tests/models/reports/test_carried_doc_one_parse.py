"""The parts of the last signed month a later month carries (表1, 表3, 表4's balances) are cut out of its stored data
with one json_extract of every path, so SQLite parses the stored text once, not once per part (issue #22 item 1:
the text holds a row per object of the whole history in 表6/表8 and the month's warning list). The parts must be
those the four separate extracts gave, a part the month did not store (or stored as null) absent."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.models.reports import sources
from app.models.store.book import Book, open_book
from tests.conftest import writable_copy
from tests.models.reports.test_carried_balances import months_between


@pytest.fixture(scope="module")
def demo(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    b = open_book(writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db"), read_only=True, check="deferred")
    yield b
    b.close(backup=False)


def old_read(book: Any, p: sources.Period) -> tuple[dt.date, dict[str, Any]] | None:
    """_read_carried_doc as it was: one json_extract per part."""
    row = book.conn.execute(
        "SELECT month, " + ", ".join(f"json_extract(data, '{path}')" for path in sources.CARRIED_PARTS.values()) +
        " FROM signoffs WHERE status = 'signed' AND month < ? ORDER BY month DESC LIMIT 1", (p.month,)).fetchone()
    if row is None:
        return None
    month = str(row[0])
    if book.conn.execute("SELECT 1 FROM periods WHERE month <= ? AND closed = 0 LIMIT 1", (month,)).fetchone() \
            or not book.conn.execute("SELECT 1 FROM periods WHERE month = ? AND closed = 1", (month,)).fetchone():
        return None
    parts = {name: json.loads(text) for name, text in zip(sources.CARRIED_PARTS, row[1:], strict=True)
             if text is not None}
    end = dt.date.fromisoformat(parts["period_end"]["$date"])
    if end >= p.start:
        return None
    if end >= p.year_start and int(month[:4]) != p.year:
        return None
    doc: dict[str, Any] = {"period_end": parts["period_end"],
                           "rows": {k: parts[k] for k in ("ledger_balances", "fund_receipts") if k in parts}}
    if "balances" in parts:
        doc["balances"] = parts["balances"]
    return end, doc


def statements(book: Any, p: sources.Period) -> list[str]:
    seen: list[str] = []
    book.conn.set_trace_callback(seen.append)
    try:
        sources._read_carried_doc(book, p)
    finally:
        book.conn.set_trace_callback(None)
    return [s for s in seen if "signoffs" in s]


def test_every_month_of_the_demo_carries_the_same_parts(demo: Book) -> None:
    carried = 0
    first = str(demo.conn.execute("SELECT min(entry_date) FROM ledger_entries").fetchone()[0])[:7]
    for month in months_between(first, "2027-02"):
        p = sources.Period(demo, month)
        got = sources._read_carried_doc(demo, p)
        assert got == old_read(demo, p), month
        carried += got is not None and "balances" in got[1]
    assert carried >= 6
    p = sources.Period(demo, "2026-11")
    [sql] = statements(demo, p)
    assert sql.count("json_extract(") == 1, sql  # the stored text parsed once


class _Fake(SimpleNamespace):
    conn: sqlite3.Connection


@pytest.mark.parametrize("data", [
    {"period_end": {"$date": "2026-09-30"}, "rows": {"ledger_balances": [{"item_code": "a", "x": 1}],
                                                      "fund_receipts": [{"item_code": "a", "y": 2}]},
     "balances": {"7": [1, 2, 3, 4, 5, 6]}, "warnings": [[1, "W1", "2026-09-01"]] * 50},
    {"period_end": {"$date": "2026-09-30"}, "rows": {"ledger_balances": [{"item_code": "a"}]}},  # no 表1, no balances
    {"period_end": {"$date": "2026-09-30"}, "rows": {"fund_receipts": []}, "balances": None},  # stored as null
    {"period_end": {"$date": "2026-11-30"}, "rows": {}, "balances": {}},  # not before the month: nothing carried
    {"period_end": {"$date": "2025-12-31"}, "rows": {"ledger_balances": []}, "balances": {"1": [0] * 6}},
])
def test_parts_missing_or_null_are_absent_as_before(data: dict[str, Any]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE signoffs (month TEXT, status TEXT, data TEXT)")
    conn.execute("CREATE TABLE periods (month TEXT, closed INTEGER)")
    month = data["period_end"]["$date"][:7]
    conn.execute("INSERT INTO signoffs VALUES (?, 'signed', ?)", (month, json.dumps(data)))
    conn.execute("INSERT INTO periods VALUES (?, 1)", (month,))
    book = _Fake(conn=conn)
    for target in ("2026-11", "2026-12", "2027-01"):
        p = SimpleNamespace(month=target, start=dt.date.fromisoformat(f"{target}-01"),
                            year_start=dt.date(int(target[:4]), 1, 1), year=int(target[:4]))
        assert sources._read_carried_doc(book, p) == old_read(book, p), (target, data)  # type: ignore[arg-type]
