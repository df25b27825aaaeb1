"""#20 defects 3 and 4 in the main window: the auditor sees no enabled write button in any tab (from the
permission table, before any form is filled); 打开对象 on a W1 warning and a bond row open the 指标 in 专账."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QPushButton

from app.models.store.book import Book
from app.ui.dashboard import tab as dashboard_tab
from app.ui.dashboard import warning_pages
from app.ui.kit import dialogs, ops
from app.ui.kit.widgets import OP_PROPERTY
from app.ui.shell.main_window import MainWindow
from tests.conftest import login_as

WRITES = re.compile("新增|新建|修改|录入|删除|登记|导入|审核|提交|退回|作废|重置|解除|保存|签发|结账|恢复|停用|启用|改名|调整|"
                    "审定|推进|确认|起草|处理…|整改…")
# buttons whose names carry a write verb but which write nothing to the file (an auditor uses them)
READS = {"下载导入模板…", "重新生成已签发报送包…"}


@pytest.fixture(autouse=True)
def quiet() -> Iterator[list[tuple[str, str]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: None
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


def _settle() -> None:
    for op in list(ops.Op.running):
        op.wait(60)


def _walk(window: MainWindow) -> dict[str, list[str]]:
    enabled: dict[str, list[str]] = {}
    for i in range(window.tabs.count()):
        page = window.tabs.widget(i)
        _settle()
        assert page is not None
        for button in page.findChildren(QPushButton):
            if button.isEnabled() and button.text() not in READS and (WRITES.search(button.text())
                                                                        or button.property(OP_PROPERTY)):
                enabled.setdefault(window.tabs.tabText(i), []).append(button.text())
    return enabled


def test_auditor_has_no_enabled_write_button_in_any_tab(qtbot, book: Book) -> None:
    login_as(book, "auditor")
    window = MainWindow(book)
    qtbot.addWidget(window)
    window.set_book(book)
    assert _walk(window) == {}


def test_clerk_still_has_write_buttons(qtbot, book: Book) -> None:
    """The walk can fail: the same walk as a clerk finds write buttons (so an empty result above means something)."""
    login_as(book, "clerk")
    window = MainWindow(book)
    qtbot.addWidget(window)
    window.set_book(book)
    found = _walk(window)
    assert "录入/修改年度安排…" in found.get("基础设置", [])
    assert "新增用户" not in found.get("基础设置", [])  # a clerk may not add users either


def test_w1_warning_and_bond_row_open_the_indicator_in_ledger(qtbot, demo_book: Book, monkeypatch) -> None:
    popups: list[str] = []
    monkeypatch.setattr(warning_pages, "warning_detail", lambda *a: popups.append("warning"))
    monkeypatch.setattr(dashboard_tab.ListDialog, "show_list", classmethod(lambda cls, *a, **k: popups.append("list")))
    window = MainWindow(demo_book)
    qtbot.addWidget(window)
    window.set_book(demo_book)
    _settle()
    dash = window.tabs.widget(0)
    page = dash.warnings_page
    page.reload()
    _settle()  # the list is read off the GUI thread
    row = next(i for i, r in enumerate(page.model.rows) if r["code"] == "W1")
    wanted = int(page.model.rows[row]["object_id"])
    page.view.selectRow(row)
    page.open_current()
    _settle()  # the indicator is found off the GUI thread
    ledger = window.tabs.currentWidget()
    assert window.tabs.tabText(window.tabs.currentIndex()) == "专账" and popups == []
    assert ledger.indicators.current_row()["id"] == wanted

    window.tabs.setCurrentIndex(0)
    bonds = dash.overview.bond_view
    assert bonds.lazy_model().rows
    bond = bonds.lazy_model().rows[0]["id"]
    bonds.selectRow(0)
    bonds.doubleClicked.emit(bonds.model().index(0, 0))
    _settle()
    assert window.tabs.tabText(window.tabs.currentIndex()) == "专账" and popups == []
    assert ledger.indicators.current_row()["id"] == bond


def test_empty_search_clears_the_stage_title(qtbot, book: Book) -> None:
    """#20 item 8: a search that finds no 指标 must not leave the 下达时限 title of the last one selected."""
    from app.ui.ledger.tab import STAGE_TITLE, LedgerTab
    from tests.models.ledger.ledger_fixtures import register

    login_as(book, "clerk")
    register(book)
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.reload()
    tab.indicators.selectRow(0)
    tab.show_stages()
    assert tab.stage_title.text().startswith("下达时限：")
    tab.text.setText("没有这个文号")
    tab.reload()
    assert tab.indicators.lazy_model().rowCount() == 0
    assert tab.stage_title.text() == STAGE_TITLE
