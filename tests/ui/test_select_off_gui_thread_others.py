"""An object opened from elsewhere (`select`) and the view's next page (`fetchMore`) are read off the GUI thread on the
other paged lists too (issue #22 item 5): 专账 › 指标登记 (and 专账明细's next page), 公告公示's records, 绩效目标's
projects, 监控预警's 预警清单 and 问题台账. Their `select` used to read page after page on the GUI thread until the row
turned up (clearing the filter and reading again when it hid the object); scrolling read the next page there. Now
`select` answers at once (one row looked up by its key), the models layer numbers the row in the filter and sort shown
(`position`) in a worker, the pages down to it are read there, and the row is selected when they arrive. Each test
watches every read of the list on the GUI thread (count, any page, the numbering) and fails if there is one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.models.store.book import Book
from app.ui.kit import ops
from app.ui.kit.table_models import LazyTableModel
from app.ui.kit.widgets import DataTable
from tests.ui.test_filters_off_gui_thread import on_gui_thread
from tests.ui.test_select_off_gui_thread import list_reads, sort

PAGE = 5  # rows per page in these tests: a row 16 rows down is on the fourth page


@pytest.fixture
def book(demo_book: Book, monkeypatch: pytest.MonkeyPatch) -> Iterator[Book]:
    monkeypatch.setattr(LazyTableModel, "BATCH", PAGE)
    yield demo_book


def scroll_three_pages(qtbot: Any, view: DataTable) -> None:
    """The view scrolled to the bottom three times (as the user does): the rows grow page by page."""
    model = view.lazy_model()
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert len(model.rows) < model.total
    for _ in range(3):
        shown = len(model.rows)
        if shown == model.total:
            break
        view.scrollToBottom()
        qtbot.waitUntil(lambda n=shown: len(model.rows) > n and ops.idle(), timeout=20000)


def test_an_indicator_opened_from_elsewhere_is_found_off_the_gui_thread_with_the_filters_cleared(
        qtbot, book: Book, monkeypatch) -> None:
    from app.models.ledger import query as ledger_query
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import LedgerTab

    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    sort(tab.indicators.lazy_model(), "amount", True)
    assert tab.query.wait()
    listed = IndicatorQuery(book, year=tab.year.currentData()).fetch(0, 10 ** 6, "amount", True)
    everything = IndicatorQuery(book).fetch(0, 10 ** 6, "amount", True)
    gui, worker = list_reads(monkeypatch, IndicatorQuery)
    model = tab.indicators.lazy_model()
    # scrolling down 指标登记: the next pages are read in a worker
    tab.resize(1100, 500)
    tab.show()
    scroll_three_pages(qtbot, tab.indicators)
    assert gui == [] and "fetch" in worker
    assert [r["id"] for r in model.rows] == [r["id"] for r in listed[:len(model.rows)]]

    index = 3 * PAGE + 1  # on the fourth page
    target = everything[index]
    tab.text.setText("不会匹配任何指标的筛选")
    tab.apply_filter()
    assert tab.query.wait() and model.total == 0 and tab.year.currentData() is not None
    assert tab.select("indicator", target["id"])  # answered at once
    assert gui == []
    assert tab.query.wait()
    assert gui == [] and "position" in worker
    assert tab.text.text() == "" and tab.year.currentData() is None  # the filter hid it: every filter cleared
    qtbot.waitUntil(ops.idle, timeout=20000)  # (shown: the view may ask for one more page to fill itself)
    assert len(model.rows) >= (index // PAGE + 1) * PAGE  # the pages down to the row's
    assert [r["id"] for r in model.rows] == [r["id"] for r in everything[:len(model.rows)]]
    assert tab.indicators.current_row()["id"] == target["id"]
    assert tab.indicators.currentIndex().row() == index
    assert tab.stage_title.text().startswith(f"下达时限：{target['doc_no']}")
    assert not tab.select("indicator", 10 ** 9)  # no such indicator: the caller's fallback runs

    # 专账明细 too
    tab.pages.setCurrentIndex(1)
    assert tab.page_queries[1].wait()
    counted = on_gui_thread(monkeypatch, ledger_query.EntryQuery, "count")
    fetched = on_gui_thread(monkeypatch, ledger_query.EntryQuery, "fetch")
    scroll_three_pages(qtbot, tab._entries)
    assert counted == fetched == [] and gui == []  # (the old page read each next page here)
    direct = ledger_query.EntryQuery(book, **tab.filters())
    assert tab._entries.lazy_model().rows == direct.fetch(0, len(tab._entries.lazy_model().rows), None, False)


def test_a_notice_record_opened_from_elsewhere_is_found_off_the_gui_thread(qtbot, book: Book, monkeypatch) -> None:
    from app.models.notices.query import NoticeQuery
    from app.ui.notices.tab import NoticesTab

    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    qtbot.waitUntil(ops.idle, timeout=20000)
    model = tab.notice_model
    sort(model, "title", True)
    assert tab.query.wait()
    everything = NoticeQuery(book).fetch(0, 10 ** 6, "title", True)
    index = 3 * PAGE + 2
    target = everything[index]
    gui, worker = list_reads(monkeypatch, NoticeQuery)
    assert tab.select("notice", target["id"])
    assert gui == []
    assert tab.query.wait()
    assert gui == [] and "position" in worker
    assert len(model.rows) == (index // PAGE + 1) * PAGE
    assert [r["id"] for r in model.rows] == [r["id"] for r in everything[:len(model.rows)]]
    assert tab.current_notice()["id"] == target["id"] and tab.records.currentIndex().row() == index
    assert not tab.select("notice", 10 ** 9)

    tab.resize(1200, 800)
    tab.show()
    scroll_three_pages(qtbot, tab.records)
    assert gui == [] and "fetch" in worker
    assert [r["id"] for r in model.rows] == [r["id"] for r in everything[:len(model.rows)]]


def test_a_project_opened_on_its_goals_is_found_off_the_gui_thread_with_the_filter_cleared(
        qtbot, book: Book, monkeypatch) -> None:
    from app.models.performance import query as perf_query
    from app.ui.performance.tab import PerformanceTab

    tab = PerformanceTab(book)
    qtbot.addWidget(tab)
    assert tab.query_.wait()
    sort(tab.projects, "funded", True)  # a figure: every project's is computed to sort by it
    assert tab.query_.wait()
    everything = perf_query.PerfProjectQuery(book).fetch(0, 10 ** 6, "funded", True)
    irregular = {r["id"] for r in perf_query.PerfProjectQuery(book, irregular_only=True).fetch(0, 10 ** 6)}
    index = next(n for n, r in enumerate(everything) if n >= 3 * PAGE and r["id"] not in irregular)
    target = everything[index]
    tab.irregular.setChecked(True)  # hides it
    assert tab.query_.wait() and target["id"] not in {r["id"] for r in tab.projects.rows}
    gui, worker = list_reads(monkeypatch, perf_query.PerfProjectQuery)
    assert tab.select("perf_goals", target["id"])
    assert gui == []
    assert tab.query_.wait()
    assert gui == [] and "position" in worker
    assert not tab.irregular.isChecked() and tab.year.currentIndex() == 0  # the filter hid it: cleared
    assert len(tab.projects.rows) == (index // PAGE + 1) * PAGE
    assert [r["id"] for r in tab.projects.rows] == [r["id"] for r in everything[:len(tab.projects.rows)]]
    assert tab.project is not None and tab.project["id"] == target["id"]
    assert tab.project_view.currentIndex().row() == index and target["code"] in tab.heading.text()
    assert not tab.select("perf_goals", 10 ** 9)

    tab.resize(1100, 800)
    tab.show()
    if len(tab.projects.rows) + 3 * PAGE <= tab.projects.total:
        scroll_three_pages(qtbot, tab.project_view)
    else:  # the demo county has few projects: from the top
        tab.apply_filter()
        assert tab.query_.wait()
        scroll_three_pages(qtbot, tab.project_view)
    assert gui == [] and "fetch" in worker
    assert [r["id"] for r in tab.projects.rows] == [r["id"] for r in everything[:len(tab.projects.rows)]]


def test_a_warning_opened_from_elsewhere_is_found_off_the_gui_thread(qtbot, book: Book, monkeypatch) -> None:
    from app.models.warnings import query as warnings_query
    from app.ui.dashboard.warning_pages import WarningsPage

    page = WarningsPage(book)
    qtbot.addWidget(page)
    page.reload()
    sort(page.model, "amount", True)
    everything = warnings_query.WarningQuery(book, state="").fetch(0, 10 ** 6, "amount", True)
    index = 3 * PAGE + 3
    target = everything[index]
    other = next(w.code for w in book.rules.warnings if w.code != target["code"])
    page.code.setCurrentIndex(page.code.findData(other))  # hides it (read off the GUI thread; `select` wins)
    gui, worker = list_reads(monkeypatch, warnings_query.WarningQuery)
    assert page.select("warning", target["id"])
    assert gui == []
    assert page.query_.wait()
    assert gui == [] and "position" in worker
    assert page.code.currentIndex() == 0 and page.state.currentData() == ""  # every filter cleared, as before
    assert len(page.model.rows) == (index // PAGE + 1) * PAGE
    assert [r["id"] for r in page.model.rows] == [r["id"] for r in everything[:len(page.model.rows)]]
    assert page.view.current_row()["id"] == target["id"] and page.view.currentIndex().row() == index
    assert page.count.text().startswith(f"共 {len(everything)} 条")
    assert not page.select("warning", 10 ** 9)

    page.resize(1100, 700)
    page.show()
    scroll_three_pages(qtbot, page.view)
    assert gui == [] and "fetch" in worker
    assert [r["id"] for r in page.model.rows] == [r["id"] for r in everything[:len(page.model.rows)]]


def test_a_problem_opened_from_elsewhere_is_found_off_the_gui_thread(qtbot, book: Book, monkeypatch) -> None:
    from app.models.warnings import problems
    from app.ui.dashboard.warning_pages import ProblemsPage

    monkeypatch.setattr(LazyTableModel, "BATCH", 1)  # the demo county has three problems: one a page
    page = ProblemsPage(book)
    qtbot.addWidget(page)
    page.text.setText("不会匹配任何问题")
    page.reload()
    assert page.query_.wait() and page.model.total == 0
    everything = problems.ProblemQuery(book).fetch(0, 10 ** 6)
    assert len(everything) >= 3
    target = everything[2]  # on the third page
    gui, worker = list_reads(monkeypatch, problems.ProblemQuery)
    assert page.select("problem", target["id"])
    assert gui == []
    assert page.query_.wait()
    assert gui == [] and "position" in worker
    assert page.text.text() == "" and page.state.currentData() == ""
    assert [r["id"] for r in page.model.rows] == [r["id"] for r in everything[:3]]
    assert page.view.current_row()["id"] == target["id"]
    assert not page.select("problem", 10 ** 9)


def test_the_obligations_next_page_is_a_slice_not_a_sort_of_every_obligation_on_the_gui_thread(
        qtbot, book: Book, monkeypatch) -> None:
    """公告公示's obligations are derived, filtered and sorted in a worker (the first page); the view's next pages are
    read on the GUI thread from the same list in memory. They used to sort every obligation again for each page (a
    sort per page, growing with the county); now the order is sorted once and the pages are slices of it."""
    import builtins
    import threading

    from app.models.notices import query as notice_query
    from app.ui.notices.tab import NoticesTab

    sorts: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        sorts.append("main" if threading.current_thread() is threading.main_thread() else "worker")
        return builtins.sorted(*args, **kwargs)

    monkeypatch.setattr(notice_query, "sorted", counted, raising=False)  # the module's sorts, counted by thread
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    model = tab.obligation_model
    sort(model, "amount", True)  # re-sorted in the background (the first page)
    model = tab.obligation_model
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert "worker" in sorts
    sorts.clear()  # (a page the view asked for while the new order was being read is not what this test is about)
    shown = len(model.rows)  # (the view may have asked for a few pages to fill itself)
    assert shown + 3 * PAGE < model.total
    for _ in range(3):
        model.fetchMore()  # (as the view does; this list's pages are read on the GUI thread: slices)
    assert sorts == [] and len(model.rows) == shown + 3 * PAGE
    source = tab.source
    expected = builtins.sorted(source.rows, key=lambda r: (r["amount"] is None, r["amount"] or 0), reverse=True)
    assert model.rows == expected[:len(model.rows)]
