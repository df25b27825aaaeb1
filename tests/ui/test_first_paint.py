"""Each tab's first paint does only what the page the user sees needs (issue #22 item 5): a sub-tab that is not
open (支付审批 › 收款人, 月报 › 自治区模板, 基础设置 › 规则集) reads nothing until it is opened, and then shows
exactly what an eager read shows. Each test counts calls of the model function the page reads with; the old
pages called it while the tab was being built, before anything was opened, and fail."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from app.export import region_templates
from app.models.plan import payees
from app.models.rules import load as rules_load
from app.models.store import audit_query, rule_sets
from app.models.store.book import Book
from app.ui.audit.tab import AuditTab
from app.ui.kit.widgets import fill_when_shown
from app.ui.payments.tab import PaymentsTab
from app.ui.reports.tab import ReportsTab
from app.ui.settings.rule_sets import RuleSetsPage
from app.ui.settings.tab import SettingsTab


def counted(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Replace owner.name by a wrapper that counts its calls; the list grows by one per call."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_fill_when_shown_runs_once_at_the_first_show(qtbot) -> None:
    calls: list[int] = []
    parent = QWidget()
    qtbot.addWidget(parent)
    child = QWidget(parent)
    fill_when_shown(child, lambda: calls.append(1))
    assert calls == []  # built, not shown
    parent.show()
    assert calls == [1]
    child.hide()
    child.show()
    assert calls == [1]  # once
    fill_when_shown(child, lambda: calls.append(2))  # already visible: at once
    assert calls == [1, 2]


def test_payees_are_read_when_their_page_is_opened(qtbot, demo_book: Book, monkeypatch) -> None:
    counts = counted(monkeypatch, payees.PayeeQuery, "count")
    tab = PaymentsTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert counts == [] and tab.payees.model.rows == []  # 支付申请 is open; 收款人 not read
    tab.setCurrentWidget(tab.payees)
    assert tab.payees.query.wait() and counts  # read when opened (off the GUI thread)
    expected = payees.PayeeQuery(demo_book)
    assert tab.payees.model.total == expected.count() > 0
    assert tab.payees.model.rows == expected.fetch(0, tab.payees.model.BATCH, None, False)


def test_templates_are_read_when_their_page_is_opened(qtbot, demo_book: Book, monkeypatch) -> None:
    calls = counted(monkeypatch, region_templates, "template_list")
    tab = ReportsTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert calls == [] and tab.templates.model.rows == []
    tab.pages.setCurrentWidget(tab.templates)
    assert calls == [1]
    expected = [r["table"] for r in region_templates.template_list(demo_book)]
    assert [r["table"] for r in tab.templates.model.rows] == expected and len(expected) == 10
    assert tab.templates.selected_table() == expected[1]  # the page selects 表2 as before
    del calls[:]  # (the expected list above was read through the counter)
    tab.pages.setCurrentIndex(0)
    tab.pages.setCurrentWidget(tab.templates)
    assert calls == []  # opened again: not read again (changes reload it, see on_changes)


def test_rule_sets_are_read_when_the_rule_sets_page_is_opened(qtbot, demo_book: Book, monkeypatch) -> None:
    calls = counted(monkeypatch, rule_sets, "years")
    tab = SettingsTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    page = next(tab.widget(i) for i in range(tab.count()) if tab.tabText(i) == "规则集")
    assert isinstance(page, RuleSetsPage)
    assert calls == [] and page.model.rows == [] and page.choice.count() == 0
    tab.setCurrentWidget(page)
    shipped = list(rules_load.shipped_ids())
    assert calls == [1]
    assert [page.choice.itemData(i) for i in range(page.choice.count())] == shipped
    eager = RuleSetsPage(demo_book)  # built on its own (not lazy): filled at once, the same rows
    qtbot.addWidget(eager)
    assert page.model.rows == eager.model.rows != []
    assert [eager.choice.itemText(i) for i in range(eager.choice.count())] == \
        [page.choice.itemText(i) for i in range(page.choice.count())]


def test_the_audit_log_is_read_off_the_gui_thread_when_the_tab_is_built(qtbot, demo_book: Book, monkeypatch) -> None:
    """Counting 1.7 million records was the 审计 tab's slowest read (1× county): the tab paints at once and its first
    page arrives from a worker thread; what it shows equals a direct read."""
    seen: list[threading.Thread] = []
    real = audit_query.LogQuery.count

    def count(self: Any) -> int:
        seen.append(threading.current_thread())
        return real(self)

    monkeypatch.setattr(audit_query.LogQuery, "count", count)
    tab = AuditTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert "正在读取" in tab.count.text() or tab.model.rows  # (a fast worker may already have answered)
    assert tab.query.wait()
    assert seen and all(t is not threading.main_thread() for t in seen)
    direct = audit_query.LogQuery(demo_book)
    assert tab.model.total == direct.count() > 0
    assert tab.model.rows == direct.fetch(0, tab.model.BATCH, None, False)
    assert str(tab.model.total) in tab.count.text()


def test_a_sort_made_while_the_first_page_is_read_is_not_undone(qtbot, demo_book: Book, monkeypatch) -> None:
    """A remembered sort restored while the worker reads (or a header clicked) re-reads in a newer request (off the
    GUI thread, `Query.follow`); the worker's older, unsorted page must not replace it when it arrives."""
    gate = threading.Event()
    real = audit_query.LogQuery.count

    def slow_count(self: Any) -> int:
        if threading.current_thread() is not threading.main_thread():
            gate.wait(30)
        return real(self)

    monkeypatch.setattr(audit_query.LogQuery, "count", slow_count)
    tab = AuditTab(demo_book)
    qtbot.addWidget(tab)
    column = next(i for i, c in enumerate(tab.model.columns) if c.key == "seq")  # oldest first (the default: newest)
    tab.model.sort(column)  # while the worker waits
    gate.set()
    assert tab.query.wait()
    sorted_rows = audit_query.LogQuery(demo_book).fetch(0, tab.model.BATCH, "seq", False)
    assert sorted_rows and sorted_rows[0]["seq"] < sorted_rows[-1]["seq"]
    assert tab.model.rows == sorted_rows and tab.model.sort_key == "seq"
    assert str(tab.model.total) in tab.count.text()


def test_ledger_entries_are_read_when_their_page_is_opened(qtbot, demo_book: Book, monkeypatch) -> None:
    """专账明细 counts every ledger entry of the filter: read when the page is opened (or its table asked for), not
    while the 专账 tab is built with 指标登记 in front."""
    from app.models.ledger import query as ledger_query
    from app.ui.ledger.tab import LedgerTab

    calls = counted(monkeypatch, ledger_query.EntryQuery, "count")
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert calls == [] and tab._entries.lazy_model().rows == []
    tab.pages.setCurrentIndex(1)  # read off the GUI thread
    assert tab.page_queries[1].wait() and calls == [1]
    direct = ledger_query.EntryQuery(demo_book, **tab.filters())
    model = tab.entries.lazy_model()
    assert model.total == direct.count() > 0
    assert model.rows == direct.fetch(0, model.BATCH, None, False)
    del calls[:]
    tab.reload()  # a change elsewhere, 专账明细 in front: read again at once
    assert calls == [1]
    tab.pages.setCurrentIndex(0)
    del calls[:]
    tab.reload()  # … and behind 指标登记: only when shown again
    assert calls == []
    tab.pages.setCurrentIndex(1)
    assert tab.page_queries[1].wait() and calls == [1]


def test_columns_are_fitted_from_the_text_of_the_first_rows_as_qt_fits_them(qtbot) -> None:
    """The fit measures each cell's text once (Qt's own asks the model for ~10 roles per cell): the widths equal
    what `resizeColumnsToContents` gives for the same rows, capped as before; it reads no more than FIT_ROWS rows."""
    from PySide6.QtCore import Qt

    from app.ui.kit.table_models import Column, LazyTableModel, ListSource
    from app.ui.kit.widgets import DataTable

    asked: list[tuple[int, int]] = []

    class Counting(LazyTableModel):
        def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            asked.append((index.row(), int(role)))
            return super().data(index, role)

    rows = [{"n": i * 7919, "text": "甲乙" * (i % 9) + ("\n第二行很长很长很长" if i % 11 == 0 else ""),
             "money": i * 123_456, "long": "长" * (i % 70), "empty": ""} for i in range(300)]
    rows[120]["text"] = "这一行超出前五十行，不计入宽度" * 5  # beyond the rows a fit measures
    columns = [Column("n", "编号", "int"), Column("text", "说明"), Column("money", "金额", "money"),
               Column("long", "很长的列"), Column("empty", "空列标题也要显示完整")]
    model = Counting(columns, ListSource(rows))
    table = DataTable(model)
    qtbot.addWidget(table)
    del asked[:]
    model.reload()
    ours = [table.columnWidth(c) for c in range(len(columns))]
    assert len(asked) <= len(columns) * DataTable.FIT_ROWS  # one display read per measured cell, nothing else
    assert max(r for r, _ in asked) < DataTable.FIT_ROWS
    assert {role for _, role in asked} == {int(Qt.ItemDataRole.DisplayRole)}
    table.horizontalHeader().setResizeContentsPrecision(DataTable.FIT_ROWS)
    table.resizeColumnsToContents()  # Qt's own fit, independent of ours
    expected = [min(table.columnWidth(c), DataTable.MAX_FIT) for c in range(len(columns))]
    assert ours == expected
    assert ours[3] == DataTable.MAX_FIT  # a long text is capped (its cells show it as a tooltip)


def test_payment_requests_and_their_counts_are_read_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch) -> None:
    """支付申请 counts every request twice (the list, and each status for the filter's labels): the 支付审批 tab
    paints with the status names and an empty table, and both arrive from a worker; they equal a direct read,
    and the first request is selected with its details as before."""
    from app.models.payments import query as payment_query

    seen: list[threading.Thread] = []
    real_count, real_counts = payment_query.PaymentQuery.count, payment_query.counts

    def count(self: Any) -> int:
        seen.append(threading.current_thread())
        return real_count(self)

    def counts(book: Book) -> dict[str, int]:
        seen.append(threading.current_thread())
        return real_counts(book)

    monkeypatch.setattr(payment_query.PaymentQuery, "count", count)
    monkeypatch.setattr(payment_query, "counts", counts)
    tab = PaymentsTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    page = tab.requests
    assert page.query.wait()
    assert len(seen) == 2 and all(t is not threading.main_thread() for t in seen)
    direct = payment_query.PaymentQuery(demo_book)
    assert page.model.total == real_count(direct) > 0
    assert page.model.rows == direct.fetch(0, page.model.BATCH, None, False)
    statuses = real_counts(demo_book)
    assert page.status.itemText(0) == f"全部（{sum(statuses.values())}）"
    assert [page.status.itemText(i) for i in range(1, page.status.count())] == \
        [f"{name}（{statuses.get(code, 0)}）" for code, name in payment_query.STATUS_NAMES.items()]
    assert page.current() == page.model.rows[0] and page.info.toPlainText()  # selected, details shown
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # the layout pass after the labels grew
    text = page.status.fontMetrics().horizontalAdvance(page.status.currentText())
    assert page.status.width() >= text + 20  # "全部（N）" and the arrow shown whole, not cut to "全部（"


def _gated_indicator_count(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """指标登记's count waits in a worker thread until the returned event is set (the GUI thread's does not)."""
    from app.models.ledger.indicator_query import IndicatorQuery

    gate = threading.Event()
    real = IndicatorQuery.count

    def slow_count(self: Any) -> int:
        if threading.current_thread() is not threading.main_thread():
            gate.wait(30)
        return real(self)

    monkeypatch.setattr(IndicatorQuery, "count", slow_count)
    return gate


def test_the_indicator_register_is_read_off_the_gui_thread_then_its_first_row_is_selected(
        qtbot, demo_book: Book, monkeypatch) -> None:
    """指标登记's first page computes each indicator's deadline status (`deadlines.summary`, 0.2 s for 200 on the
    1× county): the 专账 tab is built and painted without it, the rows arrive from a worker, and then — as before —
    the first indicator is selected with its 下达时限 and 调减/收回 shown. The rows equal a direct read."""
    from app.models.ledger import deadlines, indicators
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import STAGE_TITLE, LedgerTab

    seen: list[threading.Thread] = []
    real = deadlines.summary

    def summary(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(deadlines, "summary", summary)
    gate = _gated_indicator_count(monkeypatch)  # the worker waits: what the GUI thread did alone is seen below
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert seen == []  # built and shown: no deadline computed on the GUI thread
    assert tab.indicators.lazy_model().rows == [] and tab.stage_title.text() == STAGE_TITLE
    gate.set()
    assert tab.query.wait()
    assert seen and all(t is not threading.main_thread() for t in seen)  # none of the page's on the GUI thread
    direct = IndicatorQuery(demo_book, year=demo_book.today().year)
    model = tab.indicators.lazy_model()
    assert model.total == direct.count() > 0
    assert model.rows == direct.fetch(0, model.BATCH, None, False)
    first = model.rows[0]
    assert tab.indicators.current_row() == first  # selected once the rows arrived
    assert tab.stage_title.text().startswith(f"下达时限：{first['doc_no']}")
    ind = indicators.get(demo_book, int(first["id"]))
    assert tab.stages.lazy_model().rows == deadlines.stages(demo_book, ind) != []
    assert tab.reductions.lazy_model().rows == indicators.reductions(demo_book, int(first["id"]))


def test_a_filter_applied_while_the_first_page_is_read_is_not_undone(qtbot, demo_book: Book, monkeypatch) -> None:
    """A filter typed (or a change elsewhere reloaded) before 指标登记's first page arrived is read by a newer
    request (off the GUI thread too); the worker's older, unfiltered page must not replace it, nor select its
    first row."""
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import LedgerTab

    year = demo_book.today().year
    unfiltered = IndicatorQuery(demo_book, year=year).fetch(0, 200, None, False)
    wanted = unfiltered[-1]
    gate = _gated_indicator_count(monkeypatch)
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    older = tab.query.current
    tab.text.setText(str(wanted["doc_no"]))
    tab.text.returnPressed.emit()  # Enter in the filter box, while the worker still reads
    model = tab.indicators.lazy_model()
    filtered = IndicatorQuery(demo_book, year=year, text=str(wanted["doc_no"])).fetch(0, 200, None, False)
    assert len(filtered) < len(unfiltered)
    gate.set()
    assert tab.query.wait() and older is not None and older.wait()
    assert model.rows == filtered and model.total == len(filtered)
    assert tab.indicators.current_row() is None  # not the older page's first row


def test_an_indicator_opened_before_the_first_page_arrived_keeps_the_filter(qtbot, demo_book: Book,
                                                                          monkeypatch) -> None:
    """A warning or a search result opens an indicator on 专账 before its first page has arrived (navigate.open_object):
    `select` answers at once, the first read is replaced by one that reads on to the indicator (off the GUI thread),
    so an indicator of the year shown is found under the filter (not by clearing it), and the first page arriving
    late neither replaces the rows nor moves the selection."""
    from app.models.ledger.indicator_query import IndicatorQuery
    from app.ui.ledger.tab import LedgerTab

    year = demo_book.today().year
    wanted = IndicatorQuery(demo_book, year=year).fetch(0, 200, None, False)[-1]
    gate = _gated_indicator_count(monkeypatch)
    tab = LedgerTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.select("indicator", wanted["id"])
    gate.set()
    assert tab.query.wait()
    assert tab.indicators.current_row()["id"] == wanted["id"] and tab.year.currentData() == year
    assert tab.stage_title.text().startswith(f"下达时限：{wanted['doc_no']}")
