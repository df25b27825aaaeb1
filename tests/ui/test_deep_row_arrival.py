"""A row opened far down a list (a W4 warning's 管理费 request at row 40,200 of 支付审批 sorted by type, on the 1× county)
has every row above it read in a worker (`ops.Query.reload(reach=…)`), and that read used to pause the GUI thread in
proportion to the row's position (issue #22 item 5): the list sources read the page with `fetchall()`, so the
worker held 40,400 `sqlite3.Row` objects at once — objects Python's cyclic collector tracks — and the collection the
GUI thread runs every second (`shell.collector`) traversed them all when it fell during the read (0.05 s at 1×,
growing with the position; the arrival itself, `LazyTableModel.load` and the selection, stays ~0.013 s). The sources
now decorate row by row, each `sqlite3.Row` freed before the next is read. These tests count the `sqlite3.Row`
objects alive while a page is decorated: at most the one being decorated (and the cursor's), whatever the page size;
with `fetchall()` it is the whole page."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from app.models.ledger import indicator_query, indicators
from app.models.notices import query as notice_query
from app.models.notices import records
from app.models.payments import query as payment_query
from app.models.plan import payees, projects
from app.models.store.book import Book

# (source, the module whose function decorates one row, that function's name)
SOURCES: list[tuple[str, Callable[[Book], Any], Any, str]] = [
    ("支付审批", lambda b: payment_query.PaymentQuery(b), payment_query, "decorate"),
    ("项目计划", lambda b: projects.ProjectQuery(b), projects, "decorate"),
    ("收款人", lambda b: payees.PayeeQuery(b), payees, "_decorate"),
    ("公示", lambda b: notice_query.NoticeQuery(b), records, "decorate"),
    ("指标", lambda b: indicator_query.IndicatorQuery(b), indicators, "_row"),
]


def rows_alive() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is sqlite3.Row)


@pytest.mark.parametrize(("name", "make", "module", "function"), SOURCES, ids=[s[0] for s in SOURCES])
def test_a_page_is_decorated_row_by_row_so_the_worker_never_holds_the_page_as_sqlite_rows(
        demo_book: Book, monkeypatch: pytest.MonkeyPatch, name: str, make: Callable[[Book], Any], module: Any,
        function: str) -> None:
    source = make(demo_book)
    size = min(60, source.count())
    assert size >= 8, name  # enough rows for the difference to show
    real = getattr(module, function)
    alive: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        alive.append(rows_alive())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, function, counting)
    before = rows_alive()
    rows = source.fetch(0, size, None, False)
    assert len(rows) == size and len(alive) == size
    assert max(alive) - before <= 2, (name, max(alive) - before)  # the row being decorated (and the cursor's next)
