"""The 审计 table's next pages and 支付审批's 管理费 entry are read off the GUI thread (issue #22 item 5).

The audit table used to read its next page on the GUI thread when the view scrolled to the last row read (`fetchMore`,
`LIMIT … OFFSET …`: 0.5 s deep in the 1x county's 485,000 lines); now the page is read in a worker and, in an order by
seq, sought from the last row read (`LogQuery.seek`) instead of stepping over every row before it. The 管理费 entry (a W4
warning opened) looked for a management-fee request among the rows already read — it re-read the list on the GUI
thread when a read was under way, and found nothing when the first such request was further down or the filter hid
it; now the models layer finds it in a worker and the pages down to it are read there. Each test watches the list's
reads on the GUI thread and fails if there is one; the old code made them there."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.models.payments import query as payment_query
from app.models.store import audit_query
from app.models.store.book import Book
from app.ui.audit.tab import AuditTab
from app.ui.kit import ops
from app.ui.kit.table_models import LazyTableModel
from app.ui.payments.tab import RequestsPage
from tests.ui.test_filters_off_gui_thread import hold_first_worker_call
from tests.ui.test_select_off_gui_thread import list_reads

PAGE = 7  # rows per page here: several pages of the demo county's 13,000 audit lines and 288 requests
FETCH = audit_query.LogQuery.fetch  # the read itself, unwatched: what the table must show


def direct(book: Book, n: int, sort_key: str | None = None, descending: bool = False, **flt: str) -> list[dict[str, Any]]:
    """The first `n` lines of the log under the filter `flt`, read here in one go (not counted as the table's read)."""
    return FETCH(audit_query.LogQuery(book, audit_query.LogFilter(**flt)), 0, n, sort_key, descending)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LazyTableModel, "BATCH", PAGE)


def scroll(qtbot: Any, model: LazyTableModel, pages: int) -> None:
    """The view's `fetchMore` at the last row read, `pages` times, each page waited for (or the end of the list)."""
    for _ in range(pages):
        if len(model.rows) >= model.total:
            return
        before = len(model.rows)
        model.fetchMore()
        qtbot.waitUntil(lambda: not model.fetching, timeout=20000)
        qtbot.waitUntil(ops.idle, timeout=20000)
        assert len(model.rows) > before or len(model.rows) == model.total


def sort(model: LazyTableModel, key: str, descending: bool) -> None:
    column = next(n for n, c in enumerate(model.columns) if c.key == key)
    model.sort(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)


def test_audit_pages_are_read_off_the_gui_thread_sought_by_seq_complete_and_in_order(
        qtbot, demo_book: Book, small_pages: None, monkeypatch: pytest.MonkeyPatch) -> None:
    book = demo_book
    tab = AuditTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    qtbot.waitUntil(ops.idle, timeout=20000)  # (a view whose rows do not fill it asks for the next page itself)
    gui, worker = list_reads(monkeypatch, audit_query.LogQuery, ("count", "fetch", "seek"))
    start = len(tab.model.rows)

    # newest first (the default order): six pages more, each sought from the last row read
    scroll(qtbot, tab.model, 6)
    assert gui == [] and len(tab.model.rows) >= start + 6 * PAGE
    assert worker == ["seek"] * ((len(tab.model.rows) - start) // PAGE)  # one seek a page, no offset read
    assert tab.model.rows == direct(book, len(tab.model.rows))  # every row once, in order: no gap, no duplicate

    # one table's lines, the bulk imports among them (one line each), read to the end of the list
    tab.table.setCurrentIndex(tab.table.findData("real_name_lines"))
    tab.apply_filter()
    assert tab.query.wait()
    everything = direct(book, 10 ** 6, table="real_name_lines")
    assert len(everything) > 3 * PAGE and any(r["action"] == audit_query.RUN for r in everything)
    scroll(qtbot, tab.model, len(everything) // PAGE + 2)
    assert gui == [] and tab.model.rows == everything and tab.model.total == len(everything)
    assert not tab.model.canFetchMore()

    # oldest first (a click on 序号): sought the other way
    tab.table.setCurrentIndex(0)
    tab.apply_filter()
    assert tab.query.wait()
    sort(tab.model, "seq", False)
    assert tab.query.wait()
    qtbot.waitUntil(ops.idle, timeout=20000)
    worker.clear()
    start = len(tab.model.rows)
    scroll(qtbot, tab.model, 4)
    assert gui == [] and len(tab.model.rows) >= start + 4 * PAGE
    assert worker == ["seek"] * ((len(tab.model.rows) - start) // PAGE)
    assert tab.model.rows == direct(book, len(tab.model.rows), "seq", False)
    assert [r["seq"] for r in tab.model.rows] == sorted(r["seq"] for r in tab.model.rows)


def test_an_audit_page_still_being_read_when_the_filter_changes_is_dropped(
        qtbot, demo_book: Book, small_pages: None, monkeypatch: pytest.MonkeyPatch) -> None:
    book = demo_book
    tab = AuditTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    qtbot.waitUntil(ops.idle, timeout=20000)
    gui, _worker = list_reads(monkeypatch, audit_query.LogQuery, ("count", "fetch", "seek"))
    gate = hold_first_worker_call(monkeypatch, audit_query.LogQuery, "seek")
    shown = len(tab.model.rows)
    tab.model.fetchMore()  # the next page of every line: held in the worker
    assert tab.model.fetching and len(tab.model.rows) == shown  # nothing read here meanwhile
    tab.model.fetchMore()  # the view asks again while it is read: no second read
    tab.table.setCurrentIndex(tab.table.findData("payments"))
    tab.apply_filter()
    assert tab.query.wait()  # the filter's first page arrives first
    gate.set()
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert gui == []
    # the old page not added (the view itself may have asked for the filter's next page: a short list fills no view)
    assert {r["tbl"] for r in tab.model.rows} == {"payments"}
    assert tab.model.rows == direct(book, len(tab.model.rows), table="payments")
    scroll(qtbot, tab.model, 2)  # and the next pages are the filter's
    assert gui == [] and len(tab.model.rows) >= 3 * PAGE
    assert tab.model.rows == direct(book, len(tab.model.rows), table="payments")


def test_the_management_fee_entry_finds_the_first_fee_request_off_the_gui_thread(
        qtbot, demo_book: Book, small_pages: None, monkeypatch: pytest.MonkeyPatch) -> None:
    book = demo_book
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    assert page.query.wait()
    sort(page.model, "payee_display", False)  # an order in which the first fee request is several pages down
    assert page.query.wait()
    fees = set(payment_query.fee_kinds(book))
    everything = payment_query.PaymentQuery(book).fetch(0, 10 ** 6, "payee_display", False)
    index = next(n for n, r in enumerate(everything) if r["kind"] in fees)
    assert index >= 3 * PAGE
    other = next(s for s in payment_query.STATUS_NAMES if payment_query.PaymentQuery(book, status=s).count()
                 and not any(r["kind"] in fees for r in payment_query.PaymentQuery(book, status=s).fetch(0, 10 ** 6,
                                                                                                     None, False)))
    page.status.setCurrentIndex(page.status.findData(other))  # a filter that hides every fee request
    assert page.query.wait()
    gui, worker = list_reads(monkeypatch, payment_query.PaymentQuery, ("count", "fetch", "position", "first_of_kinds"))
    assert page.select("management_fee", "2026")  # answered at once
    assert gui == []
    assert page.query.wait()
    assert gui == [] and "first_of_kinds" in worker and "position" in worker
    assert page.status.currentData() == ""  # the filter cleared
    assert len(page.model.rows) == (index // PAGE + 1) * PAGE and page.model.rows == everything[:len(page.model.rows)]
    assert page.current() == everything[index] and page.view.currentIndex().row() == index
    assert everything[index]["request_no"] in page.info.toPlainText()

    # asked for while the list is being read (a filter applied just before): nothing read here, the fee request shown
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    page.status.setCurrentIndex(page.status.findData(other))
    assert page.query.busy()
    assert page.select("management_fee", "2026")
    gate.set()
    assert page.query.wait()
    qtbot.wait(50)
    assert gui == [] and page.current() == everything[index]

    # no fee request at all: False, the caller's fallback runs
    monkeypatch.setattr(payment_query, "fee_kinds", lambda _book: ["no_such_kind"])
    assert not page.select("management_fee", "2026")


def test_an_in_memory_list_is_sorted_once_not_on_every_page(small_pages: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ListSource` (settings lists, a roster's people): a sort orders the rows once; each next page the view asks for
    on the GUI thread is a slice of that order (it sorted every row again for every page)."""
    from app.ui.kit import table_models
    from app.ui.kit.table_models import Column, ListSource

    rows = [{"id": n, "name": f"名{(n * 7919) % 101:03d}"} for n in range(60)]
    model = LazyTableModel([Column("id", "编号", "int"), Column("name", "姓名")], ListSource(rows))
    sorts: list[int] = []

    def counting(items: Any, **kwargs: Any) -> list[Any]:
        sorts.append(1)
        return sorted(items, **kwargs)

    monkeypatch.setattr(table_models, "sorted", counting, raising=False)
    sort(model, "name", True)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rows == sorted(rows, key=lambda r: r["name"], reverse=True)  # complete, in order
    assert len(sorts) == 1  # one sort for the nine pages
    sort(model, "name", False)
    model.fetchMore()
    assert len(sorts) == 2 and model.rows == sorted(rows, key=lambda r: r["name"])[:2 * PAGE]
