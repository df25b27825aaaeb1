"""全局搜索 on the demo county: the toolbar box (Ctrl+K) finds payees, projects, indicators, payment requests
and notices, and Enter opens each in its own tab; the index survives closed months and verify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.export import evidence
from app.models.search import index as search
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.shell.main_window import MainWindow


@pytest.fixture
def window(qtbot, demo_book: Book) -> Iterator[MainWindow]:
    from app.ui.dashboard.tab import DashboardTab

    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: None
    DashboardTab.AUTO_RECOMPUTE = False
    w = MainWindow(demo_book)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    yield w
    DashboardTab.AUTO_RECOMPUTE = True
    dialogs.Ask.answer = None


def _one(book: Book, sql: str) -> Any:
    return book.conn.execute(sql).fetchone()


@pytest.mark.parametrize("kind, sql, tab", [
    ("payee", "SELECT id, name FROM payees WHERE name LIKE '%路桥%'", "支付审批"),
    ("project", "SELECT id, name FROM projects ORDER BY id LIMIT 1", "项目计划"),
    ("indicator", "SELECT id, doc_no FROM indicators ORDER BY year, id LIMIT 1", "专账"),
    ("payment", "SELECT id, request_no FROM payments WHERE status = 'paid' ORDER BY id LIMIT 1", "支付审批"),
    ("notice", "SELECT id, title FROM notices ORDER BY id LIMIT 1", "公告公示"),
])
def test_typing_lists_hits_and_enter_opens_the_object_in_its_tab(qtbot, window: MainWindow, demo_book: Book,
                                                                 kind: str, sql: str, tab: str) -> None:
    object_id, text = _one(demo_book, sql)
    box = window.search
    window.tabs.setCurrentIndex(0)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)  # Ctrl+K: into the box
    assert box.hasFocus() or window.focusWidget() is box
    box.setText(str(text))
    box.textEdited.emit(box.text())
    qtbot.waitUntil(lambda: bool(box.hits), timeout=5000)  # after the typing pause, without pressing anything
    row = next(i for i, h in enumerate(box.hits) if (h.kind, h.object_id) == (kind, object_id))
    assert box.results.rowCount() == len(box.hits) and "【" in box.results.item(row).text()
    assert box.open(row)
    qtbot.waitUntil(ops.idle, timeout=20000)  # a payment, project or payee row is found off the GUI thread
    assert window.tabs.tabText(window.tabs.currentIndex()) == tab
    page = window.tabs.currentWidget()
    shown = {
        "payee": lambda: page.payees.current()["id"],
        "project": lambda: page.current()["id"],
        "indicator": lambda: page.indicators.current_row()["id"],
        "payment": lambda: page.requests.current()["id"],
        "notice": lambda: page.records.current_row()["id"],
    }[kind]()
    assert shown == object_id and box.text() == ""


def test_two_characters_and_nothing_found(qtbot, window: MainWindow, demo_book: Book) -> None:
    box = window.search
    box.setText("路桥")
    assert any(h.kind == "payee" for h in box.run())
    box.setText("不存在的名称甲乙丙")
    assert box.run() == [] and box.results.rowCount() == 1 and not box.results.item(0).isEnabled()
    box.setText("字" * 101)
    assert box.run() == [] and dialogs.Ask.shown[-1][0] == "error" and "搜索内容过长" in dialogs.Ask.shown[-1][1]


def test_closed_months_do_not_block_the_index_and_verify_passes(demo_book: Book) -> None:
    closed = _one(demo_book, "SELECT count(*) FROM periods WHERE closed = 1")[0]
    assert closed > 0  # the demo has signed months
    in_closed = _one(demo_book, "SELECT y.id, y.request_no FROM payments y JOIN periods p ON p.closed = 1 "
                                "AND y.pay_date BETWEEN p.start_date AND p.end_date LIMIT 1")
    assert in_closed is not None
    assert ("payment", in_closed[0]) in {(h.kind, h.object_id) for h in search.find(demo_book, in_closed[1])}
    audit_before = _one(demo_book, "SELECT max(seq) FROM audit_log")[0]
    assert search.rebuild(demo_book) > 0  # writes only the index: a closed month does not refuse it
    assert _one(demo_book, "SELECT max(seq) FROM audit_log")[0] == audit_before  # and leaves no audit record
    report = evidence.verify(demo_book)
    assert report.ok, report.text()
    assert ("搜索索引与业务数据一致（派生数据）", 0) in report.steps
