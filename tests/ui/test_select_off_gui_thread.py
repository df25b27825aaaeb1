"""An object opened from elsewhere (a warning, the audit tab, the global search: `select`) is found off the GUI thread
(issue #22). 支付审批, 项目计划 and 收款人 used to read page after page on the GUI thread until the row turned up (and
read the whole list again there when the filter hid it). Now `select` answers at once (one row looked up by its key),
the models layer numbers the row in the filter and sort shown (`position`) in a worker, the pages down to it are read
there, and the row is selected when they arrive — the right one on page 4 under a sort. A newer request wins. Each
test watches every read of the list on the GUI thread (count, any page, the numbering) and fails if there is one."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.demo import build as demo
from app.models.store import users
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.kit.table_models import LazyTableModel
from tests.ui.test_writes_off_gui_thread import hold_first_worker_call, on_gui_thread

PAGE = 5  # rows per page in these tests: a row 17 rows down is on the fourth page


@pytest.fixture
def clerk(demo_book: Book, monkeypatch: pytest.MonkeyPatch) -> Book:
    monkeypatch.setattr(LazyTableModel, "BATCH", PAGE)
    users.login(demo_book, "jingban", demo.PASSWORD)
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield demo_book
    dialogs.Ask.answer = None


def list_reads(monkeypatch: pytest.MonkeyPatch, owner: Any, names: tuple[str, ...] = ("count", "fetch", "position")
               ) -> tuple[list[str], list[str]]:
    """owner's `names` (by default count, fetch — any page — and position) called: (the calls on the GUI thread, the
    calls in a worker)."""
    gui: list[str] = []
    worker: list[str] = []
    for name in names:
        real = getattr(owner, name)

        def wrapper(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            (gui if threading.current_thread() is threading.main_thread() else worker).append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)
    return gui, worker


def sort(model: LazyTableModel, key: str, descending: bool) -> None:
    column = next(n for n, c in enumerate(model.columns) if c.key == key)
    model.sort(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)


def test_a_payment_opened_from_elsewhere_is_found_off_the_gui_thread_on_page_four_under_a_sort(
        qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.payments import query as payment_query
    from app.ui.payments.tab import RequestsPage

    book = clerk
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    assert page.query.wait()
    sort(page.model, "amount", True)
    assert page.query.wait()
    direct = payment_query.PaymentQuery(book)
    everything = direct.fetch(0, direct.count(), "amount", True)
    index = 3 * PAGE + 2  # on the fourth page
    target = everything[index]
    gui, worker = list_reads(monkeypatch, payment_query.PaymentQuery)
    assert page.select("payment", target["id"])  # answered at once
    assert gui == []
    assert page.query.wait()
    assert gui == [] and "position" in worker
    assert len(page.model.rows) == (index // PAGE + 1) * PAGE  # the pages down to the row's, no more
    assert page.model.rows == everything[:len(page.model.rows)] and page.model.total == len(everything)
    assert page.current() == target and page.view.currentIndex().row() == index
    assert target["request_no"] in page.info.toPlainText()
    assert not page.select("payment", 10 ** 9)  # no such request: the caller's fallback runs


def test_a_payment_hidden_by_the_filter_is_shown_with_the_filter_cleared_and_a_newer_request_wins(
        qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.payments import query as payment_query
    from app.ui.payments.tab import RequestsPage

    book = clerk
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    assert page.query.wait()
    sort(page.model, "draft_date", False)
    assert page.query.wait()
    everything = payment_query.PaymentQuery(book).fetch(0, 10 ** 6, "draft_date", False)
    target = everything[4 * PAGE + 1]
    other = next(s for s in payment_query.STATUS_NAMES if s != target["status"]
                 and payment_query.PaymentQuery(book, status=s).count())
    page.status.setCurrentIndex(page.status.findData(other))
    assert page.query.wait()
    gui, _worker = list_reads(monkeypatch, payment_query.PaymentQuery)
    assert page.select("payment", target["id"])
    assert page.query.wait()
    assert gui == []
    assert page.status.currentData() == ""  # the filter hid it: cleared, as before
    assert page.current() == target and page.model.rows == everything[:len(page.model.rows)]

    # two objects opened one after the other, the first still being read: the second is shown
    first, second = everything[2 * PAGE], everything[3 * PAGE + 3]
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    assert page.select("payment", first["id"]) and page.select("payment", second["id"])
    gate.set()
    assert page.query.wait()
    qtbot.wait(50)
    assert gui == [] and page.current() == second

    # an object opened, then a filter applied before it arrived: the filter's rows are shown
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    assert page.select("payment", first["id"])
    page.status.setCurrentIndex(page.status.findData(other))  # applies the filter
    gate.set()
    assert page.query.wait()
    qtbot.wait(50)
    assert gui == [] and {r["status"] for r in page.model.rows} == {other}


def test_a_project_opened_from_elsewhere_is_found_off_the_gui_thread(qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.plan import projects
    from app.ui.plan.tab import PlanTab

    book = clerk
    tab = PlanTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    sort(tab.model, "name", True)
    assert tab.query.wait()
    direct = tab._source()(book)
    everything = direct.fetch(0, direct.count(), "name", True)
    assert len(everything) > 3 * PAGE
    index = 3 * PAGE + 1
    target = everything[index]
    tab.text.setText("不会匹配任何项目的筛选")
    tab.apply_filter()
    assert tab.query.wait() and tab.model.total == 0
    gui, worker = list_reads(monkeypatch, projects.ProjectQuery)
    totals = on_gui_thread(monkeypatch, projects.ProjectQuery, "total")
    assert tab.select("project", target["id"])
    assert gui == [] and totals == []
    assert tab.query.wait()
    assert gui == [] and totals == [] and "position" in worker
    assert tab.text.text() == ""  # the filter hid it: cleared
    assert len(tab.model.rows) == (index // PAGE + 1) * PAGE
    assert tab.model.rows == everything[:len(tab.model.rows)] and tab.current() == target
    assert target["name"] in tab.info.toPlainText()
    assert not tab.select("project", 10 ** 9)


def test_a_payee_saved_or_opened_is_read_again_off_the_gui_thread_and_selected(qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.plan import payees
    from app.ui.payments.dialogs import PayeeDialog
    from app.ui.payments.tab import PaymentsTab

    book = clerk
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    tab.setCurrentWidget(tab.payees)
    page = tab.payees
    assert page.query.wait()
    sort(page.model, "bank", True)
    assert page.query.wait()
    direct = payees.PayeeQuery(book)
    everything = direct.fetch(0, direct.count(), "bank", True)
    assert len(everything) > 3 * PAGE
    index = 3 * PAGE + 4
    target = everything[index]

    # opened from elsewhere (the global search), the filter hiding it
    page.text.setText("不会匹配任何收款人")
    page.reload()
    assert page.query.wait() and page.model.total == 0
    gui, worker = list_reads(monkeypatch, payees.PayeeQuery)
    assert page.select("payee", target["id"])
    assert gui == []
    assert page.query.wait()
    assert gui == [] and "position" in worker and page.text.text() == ""
    assert page.model.rows == everything[:len(page.model.rows)] and page.current() == target
    assert len(page.model.rows) == (index // PAGE + 1) * PAGE

    # saved (a note added): the list is read again in a worker, the payee stays selected on its page
    monkeypatch.setattr(PayeeDialog, "answer", staticmethod(lambda d: d.note.setText("已核对开户许可证") or True))
    page.edit()
    assert gui == []  # the old page counted and read the list again here, then lost the selection
    assert page.query.wait()
    assert gui == []
    assert payees.get(book, target["id"])["note"] == "已核对开户许可证"
    again = direct.fetch(0, direct.count(), "bank", True)
    assert page.model.rows == again[:len(page.model.rows)] and page.current()["id"] == target["id"]
    assert page.current()["note"] == "已核对开户许可证"


def test_scrolling_down_reads_the_next_page_off_the_gui_thread_and_a_newer_filter_wins(
        qtbot, clerk: Book, monkeypatch) -> None:
    """fetchMore (the view scrolled to the last row read) used to read the next page on the GUI thread, at an OFFSET
    that grows as the user scrolls; now it is read in a worker and added when it arrives."""
    from app.models.payments import query as payment_query
    from app.ui.kit import ops
    from app.ui.payments.tab import RequestsPage

    book = clerk
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    assert page.query.wait()
    sort(page.model, "amount", False)
    assert page.query.wait()
    everything = payment_query.PaymentQuery(book).fetch(0, 10 ** 6, "amount", False)
    gui, worker = list_reads(monkeypatch, payment_query.PaymentQuery)
    for _ in range(3):  # the view scrolled to the bottom three times: the rows grow page by page
        shown = len(page.model.rows)
        page.view.scrollToBottom()
        qtbot.waitUntil(lambda n=shown: len(page.model.rows) > n and ops.idle(), timeout=20000)
    assert gui == [] and "fetch" in worker
    assert page.model.rows == everything[:len(page.model.rows)] and len(page.model.rows) % PAGE == 0

    # a page still being read when a filter is applied: the filter's rows are shown, the old page not added to them
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "fetch")
    page.model.fetchMore()  # (as the view does)
    page.text.setText(str(everything[0]["request_no"]))
    page.apply_filter()
    assert page.query.wait()
    gate.set()
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert gui == []
    assert page.model.rows == [everything[0]] and page.model.total == 1
