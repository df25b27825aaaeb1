"""监控预警's 预警清单 and 问题台账: a filter (a box changed, Enter in the text), a header click and the overview's
打开该类预警 read the list off the GUI thread (issue #22 item 5). They used to count and read the first page on the GUI
thread (0.07–0.22 s at 1×, 157,647 warnings; more at 3×). Now the table keeps its rows and the count line until the new
ones arrive from a worker; a later filter wins over an earlier one still running; the row selected stays selected
when it is among the rows that arrive. Each test watches every read of the list on the GUI thread (count, any page,
the numbering) and fails if there is one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from app.models.store.book import Book
from app.models.warnings import problems
from app.models.warnings import query as warnings_query
from app.ui.kit import ops
from app.ui.kit.table_models import LazyTableModel
from tests.ui.test_filters_off_gui_thread import hold_first_worker_call
from tests.ui.test_select_off_gui_thread import list_reads, sort

T = TypeVar("T")
PAGE = 5  # rows per page: the demo county's lists are several pages long


@pytest.fixture
def book(demo_book: Book, monkeypatch: pytest.MonkeyPatch) -> Book:
    monkeypatch.setattr(LazyTableModel, "BATCH", PAGE)
    return demo_book


def ids(rows: list[dict[str, Any]]) -> list[Any]:
    return [r["id"] for r in rows]


def listed(model: LazyTableModel, every: list[dict[str, Any]]) -> bool:
    """The model shows the first page of `every` (and any further page the view asked for meanwhile), and its count."""
    n = len(model.rows)
    return n >= min(model.BATCH, len(every)) and model.total == len(every) and ids(model.rows) == ids(every[:n])


def unwatched(gui: list[str], read: Callable[[], T]) -> T:
    """The test's own direct read (on the GUI thread, as the expected rows): not counted as the page's."""
    n = len(gui)
    try:
        return read()
    finally:
        del gui[n:]


def test_a_warning_filter_and_a_header_click_read_off_the_gui_thread_and_a_later_filter_wins(
        qtbot, book: Book, monkeypatch) -> None:
    from app.ui.dashboard.warning_pages import WarningsPage

    page = WarningsPage(book)
    qtbot.addWidget(page)
    page.ensure_loaded()
    assert page.query_.wait()
    first = warnings_query.WarningQuery(book)  # the default filter: every type, 仍在触发
    assert listed(page.model, first.fetch(0, 10 ** 6))
    page.view.selectRow(0)
    kept = page.model.rows[0]
    before_rows, before_count = list(page.model.rows), page.count.text()

    gui, worker = list_reads(monkeypatch, warnings_query.WarningQuery)
    gate = hold_first_worker_call(monkeypatch, warnings_query.WarningQuery, "count")  # the first filter's read waits
    older_status = next(page.status.itemData(i) for i in range(1, page.status.count()))
    page.status.setCurrentIndex(page.status.findData(older_status))  # a filter: its read is held in the worker
    older = page.query_.current
    assert gui == []  # nothing read on the GUI thread: the box's change returned at once
    assert page.model.rows == before_rows and page.count.text() == before_count  # the old rows stay meanwhile
    assert page.view.current_row() == kept

    page.status.setCurrentIndex(0)  # a later filter: the selected warning's type, every status
    page.code.setCurrentIndex(page.code.findData(kept["code"]))
    assert gui == []
    assert page.query_.wait()
    later = warnings_query.WarningQuery(book, code=kept["code"])
    later_rows, later_count = unwatched(gui, lambda: (later.fetch(0, 10 ** 6), later.count()))
    assert listed(page.model, later_rows)
    assert page.count.text().startswith(f"共 {later_count} 条")
    assert page.view.current_row()["id"] == kept["id"]  # still listed (first in its type): still selected
    gate.set()
    assert older is not None and older.wait()  # the earlier filter's result arrives last: discarded
    assert listed(page.model, later_rows)
    assert gui == [] and "count" in worker and "fetch" in worker

    page.text.setText(str(kept["object_label"])[:2])
    page.text.returnPressed.emit()  # Enter in the text filter
    assert gui == []
    assert page.query_.wait()
    texted = warnings_query.WarningQuery(book, code=kept["code"], text=page.text.text())
    assert listed(page.model, unwatched(gui, lambda: texted.fetch(0, 10 ** 6)))

    page.text.clear()
    page.text.returnPressed.emit()
    assert page.query_.wait()
    shown = list(page.model.rows)
    sort(page.model, "amount", True)  # a header click
    assert gui == [] and page.model.rows == shown  # the old order stays until the new one arrives
    assert page.query_.wait()
    assert listed(page.model, unwatched(gui, lambda: later.fetch(0, 10 ** 6, "amount", True))) and gui == []


def test_the_overviews_open_type_reads_the_type_once_off_the_gui_thread(qtbot, book: Book, monkeypatch) -> None:
    from app.ui.dashboard.tab import DashboardTab

    monkeypatch.setattr(DashboardTab, "AUTO_RECOMPUTE", False)
    tab = DashboardTab(book)
    qtbot.addWidget(tab)
    assert tab.wait()  # the overview is read off the GUI thread
    page = tab.warnings_page
    code = next(r["code"] for r in tab.overview.counts.rows if r["code"] and r["active"])
    gui, worker = list_reads(monkeypatch, warnings_query.WarningQuery)
    tab.overview.count_view.setCurrentIndex(
        tab.overview.counts.index(next(n for n, r in enumerate(tab.overview.counts.rows) if r["code"] == code), 0))
    tab.overview.open_type()  # 双击查看该类预警
    assert tab.currentWidget() is page and page.code.currentData() == code
    assert gui == []
    assert page.query_.wait()
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert gui == [] and worker.count("count") == 1  # one read: not the unfiltered list as well
    direct = warnings_query.WarningQuery(book, code=code)
    assert len(page.model.rows) >= PAGE  # (the view may have asked for a further page meanwhile)
    assert (ids(page.model.rows), page.model.total) == unwatched(gui, lambda: (
        ids(direct.fetch(0, len(page.model.rows))), direct.count()))
    assert {r["code"] for r in page.model.rows} == {code}

    gate = hold_first_worker_call(monkeypatch, warnings_query.WarningQuery, "count")
    other = next(r["code"] for r in tab.overview.counts.rows if r["code"] not in ("", code) and r["active"])
    before = list(page.model.rows)
    tab.show_warnings(other)  # held: the rows of the first type stay meanwhile
    older = page.query_.current
    assert gui == [] and page.model.rows == before
    page.show_code(code, active_only=False)  # a later request wins
    assert page.query_.wait()
    gate.set()
    assert older is not None and older.wait()
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert gui == []
    every = warnings_query.WarningQuery(book, code=code, state="")
    assert (ids(page.model.rows), page.model.total) == unwatched(gui, lambda: (
        ids(every.fetch(0, len(page.model.rows))), every.count()))


def test_a_problem_filter_and_a_header_click_read_off_the_gui_thread_and_a_later_filter_wins(
        qtbot, book: Book, monkeypatch) -> None:
    from app.ui.dashboard.warning_pages import ProblemsPage

    monkeypatch.setattr(LazyTableModel, "BATCH", 1)  # the demo county has a few problems: one a page
    everything = problems.ProblemQuery(book, state="").fetch(0, 10 ** 6)
    assert len(everything) >= 3
    page = ProblemsPage(book)
    qtbot.addWidget(page)
    page.ensure_loaded()
    assert page.query_.wait()
    gui, worker = list_reads(monkeypatch, problems.ProblemQuery)
    gate = hold_first_worker_call(monkeypatch, problems.ProblemQuery, "count")
    before_rows, before_count = list(page.model.rows), page.count.text()
    page.state.setCurrentIndex(page.state.findData("closed"))  # held
    older = page.query_.current
    assert gui == [] and page.model.rows == before_rows and page.count.text() == before_count
    page.state.setCurrentIndex(page.state.findData(""))  # 全部: the later filter
    assert gui == []
    assert page.query_.wait()
    assert listed(page.model, everything)
    assert page.count.text() == f"共 {len(everything)} 个问题"
    gate.set()
    assert older is not None and older.wait()
    assert listed(page.model, everything)

    sort(page.model, "found_on", True)  # a header click
    assert gui == []
    assert page.query_.wait()
    assert gui == [] and "count" in worker and "fetch" in worker
    assert listed(page.model, problems.ProblemQuery(book, state="").fetch(0, 10 ** 6, "found_on", True))


@pytest.mark.parametrize("state", [warnings_query.ACTIVE, warnings_query.CLEARED, ""])
def test_the_next_page_in_the_default_order_is_read_from_an_index(book: Book, state: str) -> None:
    """The page the view asks for next (default order: type, the day it began, id) comes from the index `warnings_order`
    (schema 28), not from a temporary B-tree sorting every warning of a type for each page (0.66-0.72 s for the page
    at row 20,000 of the 1x five-year county, read in a worker while the bottom of the table stayed blank). The
    demo county's 164 warnings are few enough that SQLite rightly sorts them instead: the planner is given the 1x
    county's statistics for the table (as ANALYZE left them there; none yet for the new index)."""
    book.conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'warnings'")
    book.conn.executemany("INSERT INTO sqlite_stat1 VALUES ('warnings', ?, ?)", [
        ("warnings_live", "152733 16971 5 5"), ("warnings_detected", "157647 2719"),
        ("warnings_code", "157647 17517 14332"), ("sqlite_autoindex_warnings_1", "157647 1")])
    book.conn.execute("ANALYZE sqlite_schema")  # the planner reads the statistics again
    statements: list[str] = []
    book.conn.set_trace_callback(statements.append)
    try:
        rows = warnings_query.WarningQuery(book, state=state).fetch(2 * PAGE, PAGE)
    finally:
        book.conn.set_trace_callback(None)
    [sql] = [s for s in statements if "FROM warnings w LEFT JOIN problems" in s]
    plan = " / ".join(r[3] for r in book.conn.execute("EXPLAIN QUERY PLAN " + sql))
    assert "warnings_order" in plan and "TEMP B-TREE" not in plan, plan
    every = warnings_query.WarningQuery(book, state=state).fetch(0, 10 ** 6)
    assert ids(rows) == ids(sorted(every, key=lambda r: (r["code"], r["since"], r["id"]))[2 * PAGE: 3 * PAGE])
