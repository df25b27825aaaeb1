"""A tab's own write, F5 and a header click re-read off the GUI thread (issue #22 item 5): 公告公示 (a notice recorded
or changed derives every obligation again: 0.8 s at 1×), 支付审批 and 审计 (a sort re-reads the first page and
counts the matching rows). Each test watches the model function the page reads with and fails if the GUI thread
called it (the old tabs called it there); what is shown once the rows arrive is compared with a direct read."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt

from app.models.notices import obligations as ob
from app.models.notices import query as notice_query
from app.models.notices import records as notices
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.notices.dialogs import NoticeDialog
from app.ui.notices.tab import NoticesTab
from tests.conftest import FixedClock, login_as
from tests.models.notices import notice_fixtures as nf


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


@pytest.fixture
def answers():
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def settled(tab: NoticesTab) -> NoticesTab:
    tab.obligation_model  # noqa: B018 - waits for the obligations
    tab.query.wait()
    return tab


def shown(tab: NoticesTab) -> tuple[str, int, list[dict[str, Any]], list[dict[str, Any]], Any]:
    """What the tab shows once everything has arrived: counts, obligations (all of them), records, selected notice."""
    model = tab.obligation_model
    return (tab.counts.text(), model.total, model.rows, tab.notice_model.rows,
            (tab.records.current_row() or {}).get("id"))


# -- 公告公示: the tab's own writes and F5 ---------------------------------------------------------------

def test_recording_a_notice_derives_the_obligations_off_the_gui_thread(
        qtbot, book: Book, county: nf.County, answers, monkeypatch) -> None:
    tab = settled(NoticesTab(book))
    qtbot.addWidget(tab)
    tab.show()
    tab.kind.setCurrentIndex(tab.kind.findData("project_plan"))
    tab.level.setCurrentIndex(tab.level.findData("village"))
    assert [r["status"] for r in tab.obligation_model.rows] == [ob.MISSING]
    tab.obligations.selectRow(0)
    derived = on_gui_thread(monkeypatch, ob, "obligations")
    read = [on_gui_thread(monkeypatch, notice_query.NoticeQuery, n) for n in ("count", "fetch")]

    def fill_in(dialog: NoticeDialog) -> bool:
        dialog.start.setDate(QDate(2026, 11, 6))
        dialog.open_ended.setChecked(False)
        dialog.end.setDate(QDate(2026, 11, 17))
        return True

    monkeypatch.setattr(NoticeDialog, "answer", staticmethod(fill_in))
    qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert answers[-1] == ("info", "公告已登记。")
    assert derived == [] and read == [[], []]  # the old tab derived every obligation here, on the GUI thread
    assert tab._counts.text().startswith("正在计算截至 2026-11-20 的公示义务")
    assert tab.obligation_model.rows == []  # waits: the duty is done, the filters are kept
    assert tab.kind.currentData() == "project_plan" and tab.level.currentData() == "village"
    assert derived == [] and read == [[], []]
    assert tab.notice_model.total == 1
    tab.kind.setCurrentIndex(0)
    tab.level.setCurrentIndex(0)
    tab.status.setCurrentIndex(tab.status.findData(""))
    fresh = settled(NoticesTab(book))  # what a newly opened tab shows
    qtbot.addWidget(fresh)
    fresh.status.setCurrentIndex(fresh.status.findData(""))
    assert shown(tab)[:4] == shown(fresh)[:4]
    assert tab.records.current_row() is None  # no notice was selected before, as the old tab left it
    assert "缺失 8" in tab.counts.text()


def test_changing_a_notice_rereads_off_the_gui_thread_and_keeps_it_selected(
        qtbot, book: Book, county: nf.County, answers, monkeypatch) -> None:
    for project, level in ((county.township_project, "township"), (county.village_project, "village")):
        notices.record_notice(book, kind="project_plan", level=level, object_type="project", object_id=project,
                              title=f"公示 {project}", place="board", start_date="2026-04-10", end_date="2026-04-12",
                              publisher="阿克苏乡人民政府")
    tab = settled(NoticesTab(book))
    qtbot.addWidget(tab)
    tab.show()
    assert tab.notice_model.total == 2
    tab.records.selectRow(1)
    chosen = tab.records.current_row()
    assert chosen is not None
    derived = on_gui_thread(monkeypatch, ob, "obligations")
    read = [on_gui_thread(monkeypatch, notice_query.NoticeQuery, n) for n in ("count", "fetch")]

    def longer(dialog: NoticeDialog) -> bool:
        dialog.end.setDate(QDate(2026, 4, 30))
        return True

    monkeypatch.setattr(NoticeDialog, "answer", staticmethod(longer))
    tab.edit_notice()
    assert answers[-1] == ("info", "公告已修改。")
    assert derived == [] and read == [[], []]
    assert tab.records.current_row() == tab.notice_model.rows[1] != chosen  # re-read, still the same notice
    assert tab.records.current_row()["id"] == chosen["id"] and tab.records.current_row()["end_date"] == "2026-04-30"
    assert derived == [] and read == [[], []]
    fresh = settled(NoticesTab(book))
    qtbot.addWidget(fresh)
    fresh.records.selectRow(1)
    assert shown(tab) == shown(fresh)


def test_f5_while_a_derivation_is_held_keeps_a_filter_chosen_meanwhile(
        qtbot, book: Book, county: nf.County, monkeypatch) -> None:
    """F5 (`reload`) derives in a worker; a filter chosen before that arrives is what is shown (nothing is lost),
    and a second F5 meanwhile replaces the first."""
    tab = settled(NoticesTab(book))
    qtbot.addWidget(tab)
    tab.show()
    before = tab.obligation_model.rows
    derived = on_gui_thread(monkeypatch, ob, "obligations")
    gate = hold_first_worker_call(monkeypatch, ob, "obligations")
    tab.reload()
    tab.status.setCurrentIndex(tab.status.findData(ob.SHOWN))  # while the obligations are being derived
    tab.reload()  # a second F5: the first one's result is dropped
    assert tab._obligation_model.rows == before  # the old rows stay until the new ones arrive
    gate.set()
    model = tab.obligation_model
    assert derived == []
    assert tab.status.currentData() == ob.SHOWN
    direct = notice_query.ObligationSource(book, as_of=book.today(), status=ob.SHOWN)
    assert model.total == direct.count() and model.rows == direct.fetch(0, 200, None, False)
    assert ops.idle() or tab.query.wait()


# -- 支付审批 and 审计: a header click ------------------------------------------------------------------

def column(model: Any, key: str) -> int:
    return next(i for i, c in enumerate(model.columns) if c.key == key)


def test_a_payments_sort_is_read_off_the_gui_thread_with_the_filter_asked_for(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.payments import query as payment_query
    from app.ui.payments.tab import PaymentsTab

    tab = PaymentsTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    page = tab.requests
    assert page.query.wait()
    page.status.setCurrentIndex(page.status.findData("paid"))
    assert page.query.wait()
    page.view.selectRow(2)
    labels = [page.status.itemText(i) for i in range(page.status.count())]
    gui = [on_gui_thread(monkeypatch, payment_query.PaymentQuery, n) for n in ("count", "fetch")]
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "fetch")
    page.text.setText("2026")
    page.text.returnPressed.emit()  # a filter asked for, still being read when the header is clicked
    page.view.sortByColumn(column(page.model, "amount"), Qt.SortOrder.DescendingOrder)
    assert gui == [[], []]  # the old page re-read the first page here, on the GUI thread (with the filter before)
    gate.set()
    assert page.query.wait()
    assert gui == [[], []]
    direct = payment_query.PaymentQuery(demo_book, status="paid", text="2026")
    assert page.model.total == direct.count() > 0
    assert page.model.rows == direct.fetch(0, 200, "amount", True)
    assert page.model.sort_key == "amount" and page.model.descending
    assert page.status.currentData() == "paid" and page.text.text() == "2026"
    assert [page.status.itemText(i) for i in range(page.status.count())] == labels
    assert page.current() is None  # as a sort always left it: no request selected


def test_a_remembered_payments_sort_before_the_first_page_still_counts_and_selects(
        qtbot, demo_book: Book, monkeypatch) -> None:
    """A sort restored while the first page is being read replaces that read: the counts beside the status filter
    and the first request's selection come with the sorted page."""
    from app.models.payments import query as payment_query
    from app.ui.payments.tab import RequestsPage

    gui = on_gui_thread(monkeypatch, payment_query, "counts")
    gate = hold_first_worker_call(monkeypatch, payment_query.PaymentQuery, "count")
    page = RequestsPage(demo_book, background=True)
    qtbot.addWidget(page)
    page.view.sortByColumn(column(page.model, "draft_date"), Qt.SortOrder.AscendingOrder)
    gate.set()
    assert page.query.wait()
    direct = payment_query.PaymentQuery(demo_book)
    assert page.model.rows == direct.fetch(0, 200, "draft_date", False)
    assert page.current() == page.model.rows[0]
    counts = payment_query.counts(demo_book)
    assert page.status.itemText(0) == f"全部（{sum(counts.values())}）"
    assert gui == ["counts"]  # the direct read just above only


def test_an_audit_sort_is_read_off_the_gui_thread_with_the_filter_asked_for(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.store import audit_query
    from app.ui.audit.tab import AuditTab

    tab = AuditTab(demo_book)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.query.wait()
    tab.table.setCurrentIndex(tab.table.findData("payments"))
    gui = [on_gui_thread(monkeypatch, audit_query.LogQuery, n) for n in ("count", "fetch")]
    gate = hold_first_worker_call(monkeypatch, audit_query.LogQuery, "count")
    tab.apply_filter()
    tab.view.sortByColumn(column(tab.model, "seq"), Qt.SortOrder.AscendingOrder)
    assert gui == [[], []]  # the old tab counted and read here, on the GUI thread
    gate.set()
    assert tab.query.wait()
    assert gui == [[], []]
    direct = audit_query.LogQuery(demo_book, audit_query.LogFilter(table="payments"))
    assert tab.model.total == direct.count() > 200
    assert tab.model.rows == direct.fetch(0, 200, "seq", False)
    assert tab.count.text() == f"共 {direct.count()} 条审计记录（红色：未经本程序封存的记录）"
    assert tab.view.current_row() is None
