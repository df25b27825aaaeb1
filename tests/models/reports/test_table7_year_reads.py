"""表7's 按发生时间 columns read only the year's warnings (issue #22 item 1), as SQLite actually runs the statement.

`review.arisen_query` searches the index on first_detected, but the statement `warnings_arisen` executes groups it by
code; SQLite flattened the query into the grouping and walked the (code, status) index through every year's
warnings instead. In a county whose warnings were found in their own years (make_county --warnings-history
monthly) that is all of history for a year's count. The counts must stay those of the old statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.reports import review
from app.models.store import periods
from app.models.store.book import Book, open_book
from tests.conftest import writable_copy
from tests.models.reports.test_carried_balances import months_between

MONTHS = months_between("2025-01", "2027-02")


@pytest.fixture(scope="module")
def demo(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    b = open_book(writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db"), read_only=True, check="deferred")
    yield b
    b.close(backup=False)


def old_counts(book: Book, start: dt.date, end: dt.date, known_by: str | None,
               indexed: bool) -> dict[str, dict[str, int]]:
    """warnings_arisen as it was: the query flattened into GROUP BY code."""
    sql, args = review.arisen_query(end, known_by, indexed)
    return {str(code): {"arose_month": int(m), "arose_cum": int(c), "found_later": int(later)}
            for code, m, c, later in book.conn.execute(
                "SELECT code, coalesce(sum(since >= :start), 0), count(*), coalesce(sum(first_detected > :end), 0) "
                f"FROM ({sql}) GROUP BY code", args | {"start": start.isoformat()})}


def executed(book: Book, fn: object, *args: object, **kw: object) -> list[str]:
    """The statements `fn` runs on the book's connection."""
    seen: list[str] = []
    book.conn.set_trace_callback(seen.append)
    try:
        fn(*args, **kw)  # type: ignore[operator]
    finally:
        book.conn.set_trace_callback(None)
    return seen


def test_the_year_count_searches_first_detected_as_run(demo: Book) -> None:
    start, end = periods.bounds(demo, "2027-02")
    older = demo.conn.execute("SELECT count(*) FROM warnings WHERE first_detected < '2027-01-01'").fetchone()[0]
    assert older > 0  # earlier years' warnings exist: a walk of every warning reads them
    statements = [s for s in executed(demo, review.warnings_arisen, demo, start, end, None, indexed=True)
                  if "warnings" in s]
    assert len(statements) == 1
    plan = [str(r[3]) for r in demo.conn.execute("EXPLAIN QUERY PLAN " + statements[0])]
    reads = [step for step in plan if " w " in f" {step} " or step.endswith(" w")]
    assert reads and all("warnings_detected" in step for step in reads), plan
    assert not any(step.startswith("SCAN w") for step in plan), plan


def test_the_counts_are_the_old_statements(demo: Book) -> None:
    signed = [str(r[0]) for r in demo.conn.execute("SELECT signed_at FROM signoffs ORDER BY signed_at")]
    assert signed
    nonzero = 0
    for month in MONTHS:
        start, end = periods.bounds(demo, month)
        for known in (None, signed[0], signed[-1]):
            for indexed in (False, True):
                got = review.warnings_arisen(demo, start, end, known, indexed=indexed)
                assert got == old_counts(demo, start, end, known, indexed), (month, known, indexed)
                nonzero += sum(t["arose_month"] + t["found_later"] for t in got.values())
    assert nonzero > 0
