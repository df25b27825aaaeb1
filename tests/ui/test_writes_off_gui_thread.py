"""A tab's own write, F5 and a header click re-read off the GUI thread (issue #22 item 5): 公告公示 (a notice recorded
or changed derives every obligation again: 0.8 s at 1×), 支付审批 and 审计 (a sort re-reads the first page and
counts the matching rows). Each test watches the model function the page reads with and fails if the GUI thread
called it (the old tabs called it there); what is shown once the rows arrive is compared with a direct read."""

from __future__ import annotations

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
from tests.ui.test_filters_off_gui_thread import hold_first_worker_call, on_gui_thread


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


# -- 专账: the other pages on a filter, F5 ----------------------------------------------------------------

def ledger(qtbot: Any, book: Book, page: int) -> Any:
    from app.ui.ledger.tab import LedgerTab

    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.query.wait()
    tab.pages.setCurrentIndex(page)
    qtbot.waitUntil(ops.idle, timeout=20000)
    return tab


def test_a_filter_with_the_ledger_entries_in_front_reads_them_off_the_gui_thread(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.ledger import query as ledger_query

    tab = ledger(qtbot, demo_book, 1)
    gui = [on_gui_thread(monkeypatch, ledger_query.EntryQuery, n) for n in ("count", "fetch")]
    tab.month.setCurrentIndex(tab.month.findData(7))
    tab._entries.sortByColumn(column(tab._entries.lazy_model(), "income"), Qt.SortOrder.DescendingOrder)  # a sort of 专账明细 too
    assert gui == [[], []]  # the old tab counted and read every entry of the filter here
    model = tab.entries.lazy_model()  # waits
    assert gui == [[], []]
    direct = ledger_query.EntryQuery(demo_book, **tab.filters())
    assert tab.filters()["month"] == 7 and model.total == direct.count() > 0
    assert model.rows == direct.fetch(0, model.BATCH, "income", True)


def test_balances_and_reconciliation_are_read_off_the_gui_thread_as_they_were_read_on_it(
        qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.ledger import query as ledger_query
    from app.models.ledger import reconcile

    tab = ledger(qtbot, demo_book, 2)
    fresh = ledger(qtbot, demo_book, 0)  # read on the GUI thread when its tables are asked for (as before)
    gui = [on_gui_thread(monkeypatch, ledger_query, "balances"),
           on_gui_thread(monkeypatch, reconcile, "differences"), on_gui_thread(monkeypatch, reconcile, "section_table")]
    tab.month.setCurrentIndex(tab.month.findData(6))
    tab.by.setCurrentIndex(tab.by.findData("section"))
    assert gui == [[], [], []]  # the old tab computed the balances here, twice
    assert tab.balances.lazy_model().rows != [] and gui == [[], [], []]
    tab.pages.setCurrentIndex(3)
    assert gui == [[], [], []]  # … and the reconciliation here
    tab.sections  # noqa: B018 - waits
    assert gui == [[], [], []]
    for box in (fresh.month, fresh.by):
        box.blockSignals(True)
    fresh.month.setCurrentIndex(fresh.month.findData(6))
    fresh.by.setCurrentIndex(fresh.by.findData("section"))
    fresh.apply_filter()
    assert fresh.query.wait()
    assert (fresh.balance_title.text(), fresh.balances.lazy_model().rows) == (
        tab.balance_title.text(), tab.balances.lazy_model().rows)
    assert tab.balance_title.text().startswith("2026-06") and "股室" in tab.balance_title.text()
    fresh.sections  # noqa: B018 - read now, on the GUI thread
    assert (fresh._recon_title.text(), fresh.sections.lazy_model().rows, fresh.diffs.lazy_model().rows) == (
        tab._recon_title.text(), tab.sections.lazy_model().rows, tab.diffs.lazy_model().rows)
    assert gui[0] and gui[1]  # the fresh tab's reads, asked for on the GUI thread


def test_the_tabs_own_write_meanwhile_wins_over_an_older_page(qtbot, demo_book: Book, monkeypatch) -> None:
    """A page being read in the background when the tab re-reads on the GUI thread (its own write): the older
    result arriving afterwards is not shown."""
    from app.models.ledger import query as ledger_query

    tab = ledger(qtbot, demo_book, 2)
    gate = hold_first_worker_call(monkeypatch, ledger_query, "balances")
    tab.month.setCurrentIndex(tab.month.findData(7))  # read in a worker, held
    tab.month.blockSignals(True)
    tab.month.setCurrentIndex(tab.month.findData(8))
    tab.reload()  # as after the tab's own write: at once, on the GUI thread
    shown = (tab._balance_title.text(), tab._balances.lazy_model().rows)
    assert shown[0].startswith("2026-08")
    gate.set()
    qtbot.waitUntil(ops.idle, timeout=20000)
    qtbot.wait(50)
    assert (tab._balance_title.text(), tab._balances.lazy_model().rows) == shown


def test_f5_on_the_ledger_reads_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch) -> None:
    from app.models.ledger import deadlines
    from app.models.ledger import query as ledger_query
    from app.ui.shell import main_window

    tab = ledger(qtbot, demo_book, 1)
    before = (tab.indicators.lazy_model().rows, tab.entries.lazy_model().rows)
    gui = [on_gui_thread(monkeypatch, deadlines, "summary"), on_gui_thread(monkeypatch, ledger_query.EntryQuery, "count")]
    window = type("Window", (), {"tabs": type("Tabs", (), {"currentWidget": lambda _self: tab})()})()
    main_window.MainWindow.refresh_current(window)  # F5
    assert gui == [[], []]  # the old tab re-read both on the GUI thread
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert (tab.indicators.lazy_model().rows, tab.entries.lazy_model().rows) == before
    assert gui == [[], []]
