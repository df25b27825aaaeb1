"""The 绩效目标 list reads its page, not the history (issue #22 item 5): a page of projects is chosen from
`projects` first and decorated with a fixed number of queries, and every page, in every order and filter, equals
what the whole-list computation (the previous implementation, written out here) gives for the same slice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.performance import goals as perf
from app.models.performance import query as perf_query
from app.models.store.book import Book


def _whole_list(book: Book, q: perf_query.PerfProjectQuery, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
    """Every filtered project with its figures in the list's order, each decorated on its own: its goals read by
    its own query (no batch, no name cache) and its own monitoring values — as the list did before paging."""
    where, args = ["1 = 1"], {"day": "9999-12-31", "month": "9999-12"}
    if q.year:
        where.append("year = :year")
        args["year"] = q.year
    if q.text.strip():
        where.append("(instr(code, :text) OR instr(name, :text))")
        args["text"] = q.text.strip()
    order = perf_query.SORT.get(sort_key or "", "code")
    sql = (f"SELECT * FROM ({perf_query._BASE}) WHERE {' AND '.join(where)} "
           f"ORDER BY {order} {'DESC' if descending else 'ASC'}, id")
    rows = [dict(r) for r in book.conn.execute(sql, args)]
    if q.irregular_only:
        flagged = perf.irregular(book, on=dt.date.max)
        rows = [r for r in rows if r["id"] in flagged]
    tree = {c.code: i for i, c in enumerate(book.rules.performance.classes)}
    out = []
    for r in rows:
        goals = sorted((perf.decorate_goal(book, g) for g in book.conn.execute(
            "SELECT * FROM perf_goals WHERE project_id = ? AND removed_on IS NULL ORDER BY sort, id", (r["id"],))),
            key=lambda g: (tree.get(g["level1"], 99), g["sort"], g["id"]))
        out.append(perf_query._decorate(book, r, perf.with_monitoring(book, goals)))
    return out


def _pages(q: perf_query.PerfProjectQuery, size: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while True:
        page = q.fetch(len(got), size, sort_key, descending)
        got += page
        if len(page) < size:
            return got


def test_every_page_in_every_order_equals_the_whole_list(demo_book: Book) -> None:
    book = demo_book
    years = perf_query.years(book)
    assert years and book.conn.execute("SELECT count(*) FROM perf_actuals").fetchone()[0] > 0
    filters = [perf_query.PerfProjectQuery(book), perf_query.PerfProjectQuery(book, year=years[0]),
               perf_query.PerfProjectQuery(book, text="XM2026"), perf_query.PerfProjectQuery(book, irregular_only=True),
               perf_query.PerfProjectQuery(book, year=years[-1], text="0")]
    seen_issues = seen_deviation = False
    for q in filters:
        for sort_key in (None, *perf_query.SORT):
            for descending in (False, True):
                whole = _whole_list(book, q, sort_key, descending)
                assert q.count() == len(whole), (q, sort_key)
                assert _pages(q, 7, sort_key, descending) == whole, (q, sort_key, descending)
                seen_issues = seen_issues or any(r["issues"] for r in whole)
                seen_deviation = seen_deviation or any(r["deviations"] for r in whole)
    # the demo exercises the decorated figures, so a wrong batch would show
    assert seen_issues and seen_deviation


def test_a_page_costs_a_fixed_number_of_queries(demo_book: Book) -> None:
    """A page of N projects is read with the same number of statements whatever N: the per-project sub-queries
    (three per project before) would make it grow with the page and with the history before it."""
    book = demo_book
    q = perf_query.PerfProjectQuery(book)
    q.fetch(0, 1)  # the rule set's first read (cached for the book) is not the page's cost
    statements: list[str] = []
    book.conn.set_trace_callback(statements.append)
    try:
        counts = []
        for size in (3, 30):
            statements.clear()
            rows = q.fetch(0, size)
            assert len(rows) == size
            counts.append(len([s for s in statements if "perf_" in s or "projects" in s]))
            statements.clear()
            q.count()
            assert len(statements) == 1 and "perf_goals" not in statements[0]
    finally:
        book.conn.set_trace_callback(None)
    assert counts[0] == counts[1] <= 5, counts
