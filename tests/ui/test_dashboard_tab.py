"""The 监控预警 tab on the demo county: its models pass qtmodeltester, its numbers agree with plain SQL,
every item opens its object, handling and the 问题台账 work from the window; the 绩效目标 tab likewise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.demo import build as demo
from app.models.performance import goals_import as perf_import
from app.models.store import users
from app.models.store.book import Book, open_book
from app.ui.dashboard.dialogs import HandleDialog, ListDialog, ProblemDialog, SectionsDialog
from app.ui.dashboard.tab import DashboardTab
from app.ui.kit import dialogs, ops
from app.ui.performance.dialogs import GoalDialog, MonthDialog
from app.ui.performance.tab import PerformanceTab
from app.ui.shell.main_window import MainWindow, tab_factories
from tests.conftest import FixedClock, writable_copy

DEMO_NOW = dt.datetime(2026, 11, 24, 17, 0, 0)


@pytest.fixture
def county(demo_file: Path, tmp_path: Path) -> Iterator[Book]:
    path = tmp_path / "county.db"
    writable_copy(demo_file, path)
    book = open_book(path)
    book.clock = FixedClock(DEMO_NOW)
    users.login(book, "juzhang", demo.PASSWORD)
    yield book
    book.close(backup=False)


@pytest.fixture(autouse=True)
def quiet() -> Iterator[list[tuple[str, str]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    ListDialog.quiet, ListDialog.shown = True, []
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None
    ListDialog.quiet = False
    for form in (HandleDialog, ProblemDialog, GoalDialog, MonthDialog, SectionsDialog):
        form.answer = None


def sql(book: Book, query: str, *args: object) -> list[tuple[object, ...]]:
    return [tuple(r) for r in book.conn.execute(query, args)]


def test_dashboard_is_first_and_its_numbers_agree_with_the_data(qtbot, qtmodeltester, county: Book) -> None:
    assert tab_factories()[0][0] == "监控预警"
    tab = DashboardTab(county)
    qtbot.addWidget(tab)
    page = tab.overview
    tab.setCurrentWidget(tab.warnings_page)
    tab.setCurrentWidget(tab.problems_page)
    qtbot.waitUntil(ops.idle, timeout=20000)  # the lists are read off the GUI thread
    for model in (page.counts, page.bonds, page.upcoming, tab.warnings_page.model, tab.problems_page.model):
        qtmodeltester.check(model)
    assert tab.warnings_page.model.total == sql(county, "SELECT count(*) FROM warnings WHERE cleared_on IS NULL")[0][0]
    rows = {r["code"]: r for r in page.counts.rows if r["code"]}
    assert list(rows) == [f"W{n}" for n in (*range(1, 10), *range(11, 17))]  # W11–W16: false claims (#18)
    for code, row in rows.items():
        [(active, amount)] = sql(county, "SELECT count(*), coalesce(sum(amount), 0) FROM warnings WHERE code = ? "
                                         "AND cleared_on IS NULL", code)
        assert (row["active"], row["amount"]) == (active, amount) and active >= 1, code
        for status, n in sql(county, "SELECT status, count(*) FROM warnings WHERE code = ? GROUP BY status", code):
            assert row[f"s_{status}"] == n
    total = page.counts.rows[-1]
    assert total["type"] == "合计" and total["active"] == sql(county, "SELECT count(*) FROM warnings "
                                                                      "WHERE cleared_on IS NULL")[0][0]
    bonds = {r["doc_no"]: r["unspent"] for r in page.bonds.rows}
    for doc, net, spent in sql(county, "SELECT i.doc_no, sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount END), "
                                       "coalesce(sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount END), 0) "
                                       "FROM indicators i JOIN ledger_entries e ON e.indicator_id = i.id "
                                       "WHERE i.item IN ('YD02') OR i.kind = 'ZQ' GROUP BY i.id"):
        if net - spent:
            assert bonds[doc] == net - spent
    shown = {bar.key: bar for bar in page.chart.bars}
    for kind, income, spent in sql(county, "SELECT i.kind, sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount "
                                           "ELSE 0 END), sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount "
                                           "ELSE 0 END) FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
                                           "WHERE e.entry_date >= '2026-01-01' GROUP BY i.kind"):
        k = next(k for k in page.current.kinds if k.kind == kind)
        assert (k.income, k.spent) == (income, spent) and shown[kind].behind
    assert "2026-11-24" in page.title.text()


def test_counts_row_opens_the_list_and_an_item_opens_its_object(qtbot, county: Book) -> None:
    window = MainWindow(county)
    qtbot.addWidget(window)
    tab = window.tabs.widget(0)
    assert isinstance(tab, DashboardTab)
    assert tab.wait()  # the overview is read off the GUI thread
    view = tab.overview.count_view
    view.setCurrentIndex(tab.overview.counts.index(1, 0))  # W2
    tab.overview.open_type()
    assert tab.currentWidget() is tab.warnings_page
    qtbot.waitUntil(ops.idle, timeout=20000)  # the type's warnings are read off the GUI thread
    assert {r["code"] for r in tab.warnings_page.model.rows} == {"W2"}
    tab.warnings_page.view.selectRow(0)
    project_id = int(tab.warnings_page.model.rows[0]["object_id"])
    tab.warnings_page.open_current()
    qtbot.waitUntil(ops.idle, timeout=20000)  # the project is found off the GUI thread
    perf = window.tabs.currentWidget()
    assert isinstance(perf, PerformanceTab) and perf.project is not None and perf.project["id"] == project_id
    assert "未编制绩效目标" in perf.heading.text()
    window.tabs.setCurrentIndex(0)
    tab.warnings_page.show_code("W3")
    qtbot.waitUntil(ops.idle, timeout=20000)
    payment = next(i for i, r in enumerate(tab.warnings_page.model.rows) if r["object_type"] == "payment")
    tab.warnings_page.view.selectRow(payment)
    tab.warnings_page.open_current()
    assert window.tabs.tabText(window.tabs.currentIndex()) == "支付审批"
    window.tabs.setCurrentIndex(0)
    tab.warnings_page.show_code("W9")
    qtbot.waitUntil(ops.idle, timeout=20000)
    tab.warnings_page.view.selectRow(0)
    tab.warnings_page.open_current()  # the 月报 tab if it can show a month, else the detail dialog
    shown_in_tab = window.tabs.tabText(window.tabs.currentIndex()) == "月报"
    assert shown_in_tab or (ListDialog.shown and "月报逾期" in ListDialog.shown[-1][1])


def test_handling_and_problems_from_the_window(qtbot, county: Book) -> None:
    users.login(county, "jingban", demo.PASSWORD)  # handling a warning is the clerk's entry, not the chief's
    tab = DashboardTab(county)
    qtbot.addWidget(tab)
    page = tab.warnings_page
    page.show_code("W4")
    qtbot.waitUntil(ops.idle, timeout=20000)  # read off the GUI thread
    page.view.selectRow(0)
    wid = page.model.rows[0]["id"]

    def fill(d: HandleDialog) -> bool:
        d.status.setCurrentIndex(d.status.findData("explained"))
        d.note.setPlainText("自治区调减资金所致，已申请调整管理费")
        return True

    HandleDialog.answer = fill
    page.handle_current()
    assert sql(county, "SELECT status, note FROM warnings WHERE id = ?", wid) == [
        ("explained", "自治区调减资金所致，已申请调整管理费")]
    assert page.query_.wait()  # the list is read again off the GUI thread
    assert page.view.current_row()["id"] == wid  # still selected after the reload
    page.to_problems()
    assert sql(county, "SELECT count(*) FROM problems WHERE warning_id = ?", wid) == [(1,)]
    tab.setCurrentWidget(tab.problems_page)  # loaded when first shown (off the GUI thread)
    qtbot.waitUntil(ops.idle, timeout=20000)
    before = tab.problems_page.model.total
    assert before == sql(county, "SELECT count(*) FROM problems p WHERE (SELECT u.status FROM problem_updates u "
                                 "WHERE u.problem_id = p.id ORDER BY u.id DESC LIMIT 1) NOT IN ('rectified', 'explained')")[0][0]

    def problem(d: ProblemDialog) -> bool:
        d.description.setPlainText("巡察发现：某村公示栏未留存公示照片")
        d.origin.setCurrentIndex(d.origin.findData("inspection"))
        d.amount.setText("1,200.50")
        return True

    ProblemDialog.answer = problem
    tab.problems_page.add()
    qtbot.waitUntil(ops.idle, timeout=20000)  # the list is read again off the GUI thread
    assert tab.problems_page.model.total == before + 1
    assert sql(county, "SELECT amount, origin FROM problems ORDER BY id DESC LIMIT 1") == [(120050, "inspection")]


def test_chief_sets_the_default_sections(qtbot, county: Book) -> None:
    tab = DashboardTab(county)
    qtbot.addWidget(tab)
    SectionsDialog.answer = lambda d: (d.edits["W9"].setText("预算股"), d.edits["W8"].setText(""), True)[-1]
    tab.overview.edit_sections()
    assert dict(sql(county, "SELECT code, section FROM warning_sections")) == {
        "W4": "扶贫资金管理股", "W5": "扶贫资金管理股", "W9": "预算股"}


def test_recompute_runs_off_the_gui_thread_and_stores(qtbot, county: Book, monkeypatch) -> None:
    import threading

    from app.models.warnings import engine as warn

    county.clock = FixedClock(DEMO_NOW + dt.timedelta(days=3))
    DashboardTab.AUTO_RECOMPUTE = False
    try:
        tab = DashboardTab(county)
    finally:
        DashboardTab.AUTO_RECOMPUTE = True
    qtbot.addWidget(tab)
    assert tab.needs_recompute()
    stored_on: list[tuple[threading.Thread, Any]] = []
    recompute = warn.recompute

    def spy(book: Book, **kw: Any) -> Any:
        stored_on.append((threading.current_thread(), book.conn))
        return recompute(book, **kw)

    monkeypatch.setattr(warn, "recompute", spy)
    tab.recompute()
    assert tab.detecting
    qtbot.waitUntil(lambda: not tab.detecting, timeout=10000)
    # the save ran in a worker thread, on a connection of its own (not the window's)
    assert len(stored_on) == 1 and stored_on[0][0] is not threading.main_thread() and stored_on[0][1] is not county.conn
    assert not tab.needs_recompute()
    assert sql(county, "SELECT max(as_of) FROM warning_runs") == [("2026-11-27",)]
    assert "2026-11-27" in tab.overview.title.text()


def test_auditor_sees_the_stored_result_read_only(qtbot, county: Book) -> None:
    path = county.path
    county.close(backup=False)
    ro = open_book(path, read_only=True)
    ro.clock = FixedClock(DEMO_NOW + dt.timedelta(days=10))
    users.login(ro, "shenji", demo.PASSWORD)
    try:
        tab = DashboardTab(ro)
        qtbot.addWidget(tab)
        assert tab.wait()  # the overview is read off the GUI thread
        assert not tab.needs_recompute() and not tab.overview.recompute_button.isEnabled()
        assert "只读" in tab.overview.title.text()
        assert not tab.warnings_page.buttons["handle"].isEnabled()
    finally:
        ro.close()


def test_performance_tab_goals_months_and_import(qtbot, qtmodeltester, county: Book, tmp_path: Path) -> None:
    users.login(county, "jingban", demo.PASSWORD)  # goals and monthly values are the clerk's entries
    tab = PerformanceTab(county)
    qtbot.addWidget(tab)
    assert tab.query_.wait()  # the first page is read off the GUI thread
    qtmodeltester.check(tab.projects)
    qtmodeltester.check(tab.goals)
    tab.irregular.setChecked(True)
    assert tab.query_.wait()  # so is a filter
    flagged = {r["code"]: r for r in tab.projects.rows}
    assert tab.projects.total == len(flagged) == sql(county, "SELECT count(*) FROM warnings WHERE code = 'W2' "
                                                             "AND cleared_on IS NULL")[0][0]
    road = flagged["JX2026-102"]  # the demo's road project, approved without goals
    assert road["goals_state"] == "未编制"
    assert tab.select("perf_goals", road["id"]) and tab.query_.wait()  # found off the GUI thread
    assert tab.irregular.isChecked() and tab.project is not None and tab.project["id"] == road["id"]
    GoalDialog.answer = lambda d: (d.name.setText("硬化村组道路"), d.target.setText("6"), d.unit.setText("公里"), True)[-1]
    tab.add_goal()
    assert [g["name"] for g in tab.goals.rows] == ["硬化村组道路"]
    assert tab.query_.wait()  # the projects are read again off the GUI thread
    assert "缺少一级指标" in tab.projects.rows[0]["issues"]

    def month(d: MonthDialog) -> bool:
        d.month.setText("2026-11")
        d.table.item(0, 2).setText("2")
        d.table.item(0, 3).setText("5")
        return True

    MonthDialog.answer = month
    tab.record_month()
    assert tab.query_.wait()
    assert tab.goals.rows[0]["deviates"] and tab.goals.rows[0]["judgement"] == "未达目标（偏离）"
    assert tab.goal_view.model().data(tab.goals.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    template = perf_import.write_template(tmp_path / "模板.xlsx")
    tab.choose_file = lambda kind, suggested: template
    tab.import_goals()  # the template's project code does not exist: refused whole, nothing written
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert any("XM2026001" in text for _kind, text in dialogs.Ask.shown)


def test_counts_total_row_is_not_covered_by_the_scroll_bar(qtbot, county: Book, monkeypatch) -> None:
    """#20 item 6: at a clerk's usual window size the counts table is wider than its box; the horizontal scroll
    bar appears and must not cover the 合计 row (the table's height is fixed to its rows). The overview is read off
    the GUI thread: its rows are held until the page has been shown and laid out empty, as on a large file."""
    from app.models.warnings import dashboard
    from tests.ui.test_filters_off_gui_thread import hold_first_worker_call

    gate = hold_first_worker_call(monkeypatch, dashboard, "overview")
    tab = DashboardTab(county)
    qtbot.addWidget(tab)
    tab.resize(900, 700)
    tab.show()
    qtbot.waitExposed(tab)
    qtbot.waitUntil(lambda: tab.overview.count_view.height() > 0, timeout=5000)  # laid out before the rows arrive
    gate.set()
    assert tab.wait()
    view = tab.overview.count_view
    qtbot.waitUntil(lambda: view.horizontalScrollBar().isVisible(), timeout=5000)
    last = view.model().rowCount() - 1
    assert tab.overview.counts.rows[last]["type"] == "合计"

    def uncovered() -> bool:  # once the layout has taken in the rows that arrived (a posted layout request)
        return view.visualRect(view.model().index(last, 0)).bottom() <= view.viewport().height()

    qtbot.waitUntil(uncovered, timeout=5000)
