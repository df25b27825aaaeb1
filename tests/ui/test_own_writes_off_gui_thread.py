"""A tab's own save re-reads its list off the GUI thread (issue #22 item 5): 支付审批, 项目计划, 绩效目标 and 专账 used
to count and read the list again there after each save (and read on page after page to find the saved row). Each
test watches the model functions the tab reads its list with and fails if the GUI thread called them after the
save; once the rows arrive, the saved row is selected — pages down (a page is 5 rows here), so the worker read on
to it — and what is shown is compared with a direct read. A newer request wins; what is typed meanwhile is kept."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.demo import build as demo
from app.models.store import users
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.kit.table_models import LazyTableModel
from tests.ui.test_writes_off_gui_thread import hold_first_worker_call, on_gui_thread

PAGE = 5  # rows per page in these tests: a row 12 rows down is on the third page


@pytest.fixture
def clerk(demo_book: Book, monkeypatch: pytest.MonkeyPatch) -> Book:
    monkeypatch.setattr(LazyTableModel, "BATCH", PAGE)
    users.login(demo_book, "jingban", demo.PASSWORD)
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield demo_book
    dialogs.Ask.answer = None


def first_pages_on_gui_thread(monkeypatch: pytest.MonkeyPatch, owner: Any) -> list[str]:
    """owner.fetch from row 0 on the GUI thread: a list read again there. (Later pages are what Qt asks for to
    fill the view or as the user scrolls; the old tabs also counted, which `on_gui_thread(..., "count")` sees.)"""
    calls: list[str] = []
    real = owner.fetch

    def fetch(self: Any, offset: int, *args: Any, **kwargs: Any) -> Any:
        if offset == 0 and threading.current_thread() is threading.main_thread():
            calls.append("fetch")
        return real(self, offset, *args, **kwargs)

    monkeypatch.setattr(owner, "fetch", fetch)
    return calls


def whole_pages(model: LazyTableModel, index: int) -> None:
    """The rows shown reach the selected one (pages down) in whole pages (Qt may ask for more to fill the view)."""
    assert len(model.rows) % PAGE == 0 and len(model.rows) > index >= 2 * PAGE


def test_a_payment_voided_in_the_tab_is_read_again_off_the_gui_thread_and_stays_selected(
        qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.payments import query as payment_query
    from app.models.payments import requests as payments
    from app.ui.payments.tab import RequestsPage

    book = clerk
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    assert page.query.wait()
    target = next(r for r in payment_query.PaymentQuery(book).fetch(0, 500, None, False)[2 * PAGE:]
                  if "void" in payments.actions_for(book, r) and
                  payment_query.PaymentQuery(book, status=r["status"]).count() > PAGE)
    status = target["status"]
    page.status.setCurrentIndex(page.status.findData(status))
    assert page.query.wait()
    page.view.select_id(target["id"])  # (setting up: on the GUI thread)
    gui = [on_gui_thread(monkeypatch, payment_query.PaymentQuery, "count"),
           first_pages_on_gui_thread(monkeypatch, payment_query.PaymentQuery)]
    gui.append(on_gui_thread(monkeypatch, payment_query, "counts"))
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    dialogs.Ask.answer = lambda kind, text: "重复申请" if kind == "text" else True
    page.void()
    assert gui == [[], [], []]  # the old tab counted, read and searched page after page here
    page.text.setText("尚未回车")  # typed while the rows are read, not yet applied
    gate.set()
    assert page.query.wait()
    assert gui == [[], [], []]
    assert payment_query.get(book, target["id"])["status"] == "voided"
    # voided, it left the status filter: shown with that filter cleared (as before); what was typed stays
    assert page.status.currentData() == "" and page.text.text() == "尚未回车"
    direct = payment_query.PaymentQuery(book)
    everything = direct.fetch(0, direct.count(), None, False)
    index = [r["id"] for r in everything].index(target["id"])
    whole_pages(page.model, index)
    assert page.model.total == direct.count() and page.model.rows == everything[:len(page.model.rows)]
    assert page.current() == everything[index] and page.current()["status"] == "voided"
    assert "作废原因：重复申请" in page.info.toPlainText()
    counts = payment_query.counts(book)
    assert page.status.itemText(page.status.findData("voided")) == \
        f"{payment_query.STATUS_NAMES['voided']}（{counts['voided']}）"


def test_a_project_saved_in_the_plan_tab_stays_selected_and_a_newer_filter_wins(
        qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.plan import projects
    from app.ui.plan.dialogs import ProjectDialog
    from app.ui.plan.tab import PlanTab

    book = clerk
    tab = PlanTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    direct = tab._source()(book)
    listed = direct.fetch(0, direct.count(), None, False)
    index = next(i for i, r in enumerate(listed) if i >= 2 * PAGE and tab.view.select_id(r["id"])
                 and tab.buttons["edit"].isEnabled())
    target = listed[index]
    monkeypatch.setattr(ProjectDialog, "answer", staticmethod(lambda d: d.name.setText(d.name.text() + "（改）") or True))
    gui = [on_gui_thread(monkeypatch, projects.ProjectQuery, n) for n in ("count", "total")]
    gui.append(first_pages_on_gui_thread(monkeypatch, projects.ProjectQuery))
    tab.edit_project()
    assert gui == [[], [], []]  # the old tab counted, summed and read page after page here
    assert tab.query.wait()
    assert gui == [[], [], []]
    assert projects.get(book, target["id"])["name"] == target["name"] + "（改）"
    everything = direct.fetch(0, direct.count(), None, False)
    whole_pages(tab.model, index)
    assert tab.model.rows == everything[:len(tab.model.rows)] and tab.current() == everything[index]
    assert tab.summary.text() == f"共 {direct.count()} 个项目，资金规模 {_money(direct.total())} 元"
    assert tab.current()["name"] in tab.info.toPlainText()

    # saved again while the rows are read, a filter applied meanwhile: the filter's rows are shown
    for calls in gui:
        calls.clear()  # (the direct reads above)
    gate = hold_first_worker_call(monkeypatch, projects.ProjectQuery, "count")
    monkeypatch.setattr(ProjectDialog, "answer", staticmethod(lambda d: d.name.setText(target["name"]) or True))
    tab.edit_project()
    tab.text.setText(str(listed[0]["code"]))
    tab.apply_filter()
    gate.set()
    assert tab.query.wait()
    assert gui == [[], [], []]
    narrow = projects.ProjectQuery(book, year=tab.year.currentData(), status="", text=str(listed[0]["code"]))
    assert tab.text.text() == listed[0]["code"] and tab.model.rows == narrow.fetch(0, PAGE, None, False)
    assert tab.summary.text() == f"共 {narrow.count()} 个项目，资金规模 {_money(narrow.total())} 元"


def _money(value: int) -> str:
    from app.models.values import money
    return money.format(value)


def test_a_goal_removed_on_the_performance_tab_keeps_its_project_selected(qtbot, clerk: Book, monkeypatch) -> None:
    from app.models.performance import goals as performance
    from app.models.performance import query as perf_query
    from app.ui.performance.tab import PerformanceTab

    book = clerk
    tab = PerformanceTab(book)
    qtbot.addWidget(tab)
    assert tab.query_.wait()
    direct = tab._source()(book)
    listed = direct.fetch(0, direct.count(), None, False)
    index = next(i for i, r in enumerate(listed) if i >= 2 * PAGE and performance.goals(book, int(r["id"])))
    target = listed[index]
    assert tab.select("perf_goals", target["id"]) and tab.query_.wait()  # (setting up: found off the GUI thread)
    tab.goal_view.selectRow(0)
    goal = tab.goal_view.current_row()
    assert goal is not None and not goal["removed_on"]
    gui = [on_gui_thread(monkeypatch, perf_query.PerfProjectQuery, "count"),
           first_pages_on_gui_thread(monkeypatch, perf_query.PerfProjectQuery)]
    tab.remove_goal()
    assert gui == [[], []]  # the old tab counted and read page after page here
    goals = performance.with_monitoring(book, performance.goals(book, int(target["id"])))
    shown = tab.goals.rows  # the project's own goals at once (a page of them: 5 here)
    assert shown and shown == goals[:len(shown)] and goal["id"] not in [g["id"] for g in goals]
    assert tab.query_.wait()
    assert gui == [[], []]
    everything = direct.fetch(0, direct.count(), None, False)
    whole_pages(tab.projects, index)
    assert tab.projects.rows == everything[:len(tab.projects.rows)]
    assert tab.project == everything[index] and tab.project_view.current_row() == everything[index]
    assert tab.goals.rows == goals[:len(tab.goals.rows)]
    assert tab.count.text().startswith(f"共 {direct.count()} 个项目")


def test_a_ledger_write_keeps_its_indicator_selected_and_an_explained_difference(
        qtbot, clerk: Book, monkeypatch) -> None:
    import datetime as dt

    from app.models.ledger import treasury
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.dialogs import ManualEntryDialog
    from app.ui.ledger.tab import LedgerTab

    book = clerk
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.query.wait()
    direct = tab._indicator_query()(book)
    listed = direct.fetch(0, direct.count(), None, False)
    index = next(i for i, r in enumerate(listed) if i >= 2 * PAGE and r["paid"] > 0)
    assert tab.indicators.select_id(listed[index]["id"])  # (setting up: on the GUI thread)
    ind = tab.current_indicator()
    assert ind is not None
    gui = [on_gui_thread(monkeypatch, IndicatorQuery, "count"), first_pages_on_gui_thread(monkeypatch, IndicatorQuery)]
    dialog = ManualEntryDialog(book, ind, tab)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("refund"))
    dialog.day.set_value(dt.date(2026, 11, 24))
    dialog.voucher.setText("TH2026-77")
    dialog.amount.setText("100.00")
    dialog.summary.setText("收款人退回多付款")

    def accept() -> int:
        dialog.accept()
        return dialog.result()

    dialog.exec = accept  # type: ignore[method-assign]
    assert tab.run_dialog(dialog) is True
    assert gui == [[], []]  # the old tab counted and read 指标登记 here (a deadline summary per row)
    assert tab.query.wait()
    assert gui == [[], []]
    everything = direct.fetch(0, direct.count(), None, False)
    whole_pages(tab.indicators.lazy_model(), index)
    assert tab.indicators.lazy_model().rows == everything[:len(tab.indicators.lazy_model().rows)]
    assert tab.indicators.current_row() == everything[index]
    assert everything[index]["paid"] == listed[index]["paid"] - 100_00
    assert tab.stage_title.text().startswith(f"下达时限：{ind['doc_no']}")

    # a difference explained on 对账: read again off the GUI thread, the explained one still selected
    tab.pages.setCurrentIndex(3)
    model = tab.diffs.lazy_model()
    row = next(i for i, r in enumerate(model.rows) if not r["explained"])
    key = model.rows[row]["key"]
    tab.diffs.selectRow(row)
    from app.ui.ledger import tab as ledger_tab
    gui2 = [on_gui_thread(monkeypatch, ledger_tab, "_reconciliation"), on_gui_thread(monkeypatch, treasury, "imports")]
    dialogs.Ask.answer = lambda kind, text: "次月对平" if kind == "text" else True
    tab.explain()
    assert gui2 == [[], []]  # the old tab compared the three ledgers again here (the write itself finds the one)
    assert tab.page_queries[3].wait()
    assert gui2 == [[], []]
    assert tab.diffs.current_row()["key"] == key and tab.diffs.current_row()["note"] == "次月对平"
    fresh = LedgerTab(book)
    qtbot.addWidget(fresh)
    fresh.pages.setCurrentIndex(3)
    assert fresh.page_queries[3].wait()
    assert (fresh._recon_title.text(), fresh._diffs.lazy_model().rows) == (tab._recon_title.text(), model.rows)


def test_a_sort_while_a_saved_request_is_read_still_brings_the_new_status_counts(
        qtbot, clerk: Book, monkeypatch) -> None:
    """The sort replaces the re-read after the save before it arrived: the counts beside the status filter, which
    that re-read was to bring, come with the sorted page instead of staying as they were before the save."""
    from PySide6.QtCore import Qt

    from app.models.payments import query as payment_query
    from app.models.payments import requests as payments
    from app.ui.payments.tab import RequestsPage

    book = clerk
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    assert page.query.wait()
    target = next(r for r in page.model.rows if "void" in payments.actions_for(book, r))
    before = payment_query.counts(book)
    assert page.view.select_id(target["id"])
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    dialogs.Ask.answer = lambda kind, text: "重复申请" if kind == "text" else True
    page.void()
    amount = next(i for i, c in enumerate(page.model.columns) if c.key == "amount")
    page.view.sortByColumn(amount, Qt.SortOrder.DescendingOrder)
    gate.set()
    assert page.query.wait()
    counts = payment_query.counts(book)
    assert counts["voided"] == before["voided"] + 1
    assert page.status.itemText(page.status.findData("voided")) == \
        f"{payment_query.STATUS_NAMES['voided']}（{counts['voided']}）"
    assert page.model.rows == payment_query.PaymentQuery(book).fetch(0, len(page.model.rows), "amount", True)


def test_a_request_opened_from_elsewhere_while_a_saved_one_is_read_stays_shown(
        qtbot, clerk: Book, monkeypatch) -> None:
    """Navigation (`select`) answers at once and finds the row off the GUI thread; the re-read after the save,
    arriving later, does not take the selection back to the saved request (the newer request wins)."""
    from app.models.payments import query as payment_query
    from app.models.payments import requests as payments
    from app.ui.payments.tab import RequestsPage

    book = clerk
    page = RequestsPage(book, background=True)
    qtbot.addWidget(page)
    assert page.query.wait()
    saved = next(r for r in page.model.rows if "void" in payments.actions_for(book, r))
    other = payment_query.PaymentQuery(book).fetch(3 * PAGE, 1, None, False)[0]  # pages down
    assert other["id"] != saved["id"]
    assert page.view.select_id(saved["id"])
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    dialogs.Ask.answer = lambda kind, text: "重复申请" if kind == "text" else True
    page.void()
    assert page.select("payment", other["id"])
    gate.set()
    assert page.query.wait()
    qtbot.wait(50)
    assert page.current()["id"] == other["id"]
    assert payment_query.get(book, saved["id"])["status"] == "voided"
