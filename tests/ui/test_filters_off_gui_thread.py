"""Filters, writes elsewhere and sorts re-read a list's first page off the GUI thread (issue #22 item 5): 专账 ›
指标登记 (each indicator's deadline status), 项目计划 (projects, count and 资金规模), 绩效目标 (each project's goal
figures) and 公告公示 (the records; the obligations filtered and sorted in Python). Each test watches the model
function the page reads with and fails if the GUI thread called it; the old tabs called it there. Where the
worker is held back, a newer request must win over the older page when that one arrives."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.models.store.book import Book
from app.models.store.changes import Changes
from app.ui.kit.ops import Query
from app.ui.kit.table_models import Column, LazyTableModel, ListSource


def on_gui_thread(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[str]:
    """Wrap owner.name: each call on the GUI thread adds an entry (a worker's calls add nothing)."""
    calls: list[str] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def hold_first_worker_call(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> threading.Event:
    """The first call of owner.name in a worker thread waits until the returned event is set; later calls don't."""
    gate = threading.Event()
    real: Callable[..., Any] = getattr(owner, name)
    first = [True]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread() and first[0]:
            first[0] = False
            gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return gate


def test_a_sort_through_a_followed_query_is_read_off_the_gui_thread(qtbot, demo_book: Book) -> None:
    """`Query.follow`: the model's sort (a header click, a remembered sort) re-reads through the query, in a worker."""
    reads: list[threading.Thread] = []

    class Source(ListSource):
        def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
            reads.append(threading.current_thread())
            return super().fetch(offset, limit, sort_key, descending)

    rows = [{"n": n} for n in (3, 1, 2)]
    model = LazyTableModel([Column("n", "n", "int")], Source(rows), read=False)
    query = Query(None, demo_book)
    query.follow(model, lambda: (lambda _book: Source(rows)))
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert [t for t in reads if t is threading.main_thread()] == []
    assert query.wait()
    assert [r["n"] for r in model.rows] == [3, 2, 1] and model.sort_key == "n" and model.descending
    assert reads and all(t is not threading.main_thread() for t in reads)


# -- 专账 › 指标登记 ----------------------------------------------------------------------------------------

def test_an_indicator_filter_is_read_off_the_gui_thread_and_an_older_page_is_dropped(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.ledger import deadlines
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import STAGE_TITLE, LedgerTab

    year = demo_book.today().year
    unfiltered = IndicatorQuery(demo_book, year=year).fetch(0, 200, None, False)
    wanted = unfiltered[-1]
    filtered = IndicatorQuery(demo_book, year=year, text=str(wanted["doc_no"])).fetch(0, 200, None, False)
    gate = hold_first_worker_call(monkeypatch, IndicatorQuery, "count")  # the tab's first page waits
    gui = on_gui_thread(monkeypatch, deadlines, "summary")
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    older = tab.query.current
    tab.text.setText(str(wanted["doc_no"]))
    tab.text.returnPressed.emit()  # Enter in the filter box while the first page is still being read
    assert gui == []  # no deadline computed on the GUI thread for the filter
    assert tab.query.wait()
    model = tab.indicators.lazy_model()
    assert model.rows == filtered and model.total == len(filtered) < len(unfiltered)
    gate.set()
    assert older is not None and older.wait()  # the older, unfiltered page arrives last
    assert model.rows == filtered and tab.indicators.current_row() is None
    assert tab.stage_title.text() == STAGE_TITLE
    assert gui == []


def test_a_write_elsewhere_rereads_the_indicators_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.ledger import deadlines
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import LedgerTab

    direct = IndicatorQuery(demo_book, year=demo_book.today().year).fetch(0, 200, None, False)
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    gui = on_gui_thread(monkeypatch, deadlines, "summary")
    tab.on_changes(Changes({"indicators": frozenset({"1"})}))
    assert gui == []
    assert tab.query.wait()
    assert tab.indicators.lazy_model().rows == direct != []
    assert gui == []


def test_a_remembered_sort_of_the_indicators_is_read_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch) -> None:
    """A user who once sorted 指标登记: restoring the sort used to re-read the first page (200 deadline statuses) on
    the GUI thread during the tab's first paint. Now the sorted page arrives from a worker and its first row is
    selected with its deadlines, as without a remembered sort."""
    from app.models.ledger import deadlines
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import LedgerTab

    donor = LedgerTab(demo_book)  # the layout a user left: sorted by 指标金额, largest first
    qtbot.addWidget(donor)
    column = next(i for i, c in enumerate(donor.indicators.lazy_model().columns) if c.key == "amount")
    donor.indicators.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)
    assert donor.query.wait()
    state = donor.indicators.save_state()
    direct = IndicatorQuery(demo_book, year=demo_book.today().year).fetch(0, 200, "amount", True)
    gui = on_gui_thread(monkeypatch, deadlines, "summary")
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    assert tab.indicators.restore_state(state)  # as MainWindow does once the tab is built
    tab.show()
    assert gui == []
    assert tab.query.wait()
    model = tab.indicators.lazy_model()
    assert model.sort_key == "amount" and model.descending and model.rows == direct != []
    assert tab.indicators.current_row() == direct[0]
    assert tab.stage_title.text().startswith(f"下达时限：{direct[0]['doc_no']}")
    assert gui == []


# -- 项目计划 ---------------------------------------------------------------------------------------------

def test_projects_are_read_off_the_gui_thread_then_the_first_is_selected(qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.plan import projects
    from app.models.values import money
    from app.ui.plan.tab import PlanTab

    gui = [on_gui_thread(monkeypatch, projects.ProjectQuery, n) for n in ("count", "fetch", "total")]
    tab = PlanTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert gui == [[], [], []]
    assert tab.query.wait()
    assert gui == [[], [], []]
    monkeypatch.undo()
    direct = projects.ProjectQuery(demo_book)
    assert tab.model.total == direct.count() > 0 and tab.model.rows == direct.fetch(0, 200, None, False)
    assert tab.current() == tab.model.rows[0]
    assert tab.summary.text() == f"共 {direct.count()} 个项目，资金规模 {money.format(direct.total())} 元"
    assert tab.funding.lazy_model().rows == projects.funding_lines(demo_book, tab.model.rows[0]["id"])


def test_a_project_filter_is_read_off_the_gui_thread_and_an_older_page_is_dropped(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.plan import projects
    from app.ui.plan.tab import PlanTab

    everything = projects.ProjectQuery(demo_book).fetch(0, 200, None, False)
    wanted = everything[-1]
    filtered = projects.ProjectQuery(demo_book, text=str(wanted["code"]))
    rows, count = filtered.fetch(0, 200, None, False), filtered.count()
    gate = hold_first_worker_call(monkeypatch, projects.ProjectQuery, "count")
    tab = PlanTab(demo_book)
    qtbot.addWidget(tab)
    older = tab.query.current
    gui = [on_gui_thread(monkeypatch, projects.ProjectQuery, n) for n in ("count", "fetch", "total")]
    tab.text.setText(str(wanted["code"]))
    tab.text.returnPressed.emit()
    assert gui == [[], [], []]
    assert tab.query.wait()
    assert tab.model.rows == rows and tab.model.total == count < len(everything)
    assert f"共 {count} 个项目" in tab.summary.text()
    gate.set()
    assert older is not None and older.wait()
    assert tab.model.rows == rows and tab.text.text() == str(wanted["code"])
    assert gui == [[], [], []]


# -- 绩效目标 ---------------------------------------------------------------------------------------------

def test_performance_projects_are_read_off_the_gui_thread_then_the_first_is_shown(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.performance import query as perf_query
    from app.ui.performance.tab import PerformanceTab

    irregular = perf_query.PerfProjectQuery(demo_book, irregular_only=True)
    irregular_rows, irregular_count = irregular.fetch(0, 200), irregular.count()
    direct = perf_query.PerfProjectQuery(demo_book)
    rows, count = direct.fetch(0, 200), direct.count()
    gui = [on_gui_thread(monkeypatch, perf_query.PerfProjectQuery, n) for n in ("count", "fetch")]
    tab = PerformanceTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert gui == [[], []]
    assert tab.query_.wait()
    assert tab.projects.total == count > 0 and tab.projects.rows == rows
    assert tab.project == tab.projects.rows[0] and str(tab.project["code"]) in tab.heading.text()
    assert f"共 {count} 个项目" in tab.count.text()
    tab.irregular.setChecked(True)  # a filter
    assert gui == [[], []]
    assert tab.query_.wait()
    assert tab.projects.rows == irregular_rows and tab.projects.total == irregular_count
    assert gui == [[], []]


# -- 公告公示 ---------------------------------------------------------------------------------------------

def test_notice_records_are_read_off_the_gui_thread_then_the_first_is_selected(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.notices import query as notice_query
    from app.ui.notices.tab import NoticesTab

    direct = notice_query.NoticeQuery(demo_book).fetch(0, 200, None, False)
    gui = [on_gui_thread(monkeypatch, notice_query.NoticeQuery, n) for n in ("count", "fetch")]
    tab = NoticesTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert gui == [[], []]
    assert tab.query.wait()
    assert tab.notice_model.rows == direct != []
    assert tab.records.current_row() == tab.notice_model.rows[0]
    assert gui == [[], []]


def test_an_obligation_filter_is_applied_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch) -> None:
    """Filtering (and sorting) tens of thousands of derived obligations runs in a worker, over those derived."""
    from app.models.notices import obligations as ob
    from app.models.notices import query as notice_query
    from app.ui.notices.tab import NoticesTab

    tab = NoticesTab(demo_book)
    qtbot.addWidget(tab)
    counts = tab.counts.text()
    derived = on_gui_thread(monkeypatch, ob, "obligations")
    built = on_gui_thread(monkeypatch, notice_query.ObligationSource, "__init__")
    tab.status.setCurrentIndex(tab.status.findData(""))  # 全部
    column = next(i for i, c in enumerate(tab.obligation_model.columns) if c.key == "amount")
    assert derived == [] and built == []
    tab.obligation_model.sort(column, Qt.SortOrder.DescendingOrder)
    assert tab.counts.text() == counts  # the counts stay while filtering (nothing is derived again)
    model = tab.obligation_model  # waits for the filter
    assert derived == [] and built == []
    direct = notice_query.ObligationSource(demo_book, as_of=demo_book.today())
    assert model.total == direct.count() > 0 and model.rows == direct.fetch(0, 200, "amount", True)
    assert tab.counts.text() == counts
