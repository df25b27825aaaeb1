"""In the 支付审批 tab (#20 items 12, 13): select several requests, 审核通过 once with one 审核意见 — each is done
through the model operation and refusals are listed per request; the confirmation dialog keeps a warned
request's dialog open until the 审核意见 is written; the opinion shows in the request's detail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel

from app.models.payments import query as payment_query
from app.models.payments import requests as payments
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.payments.review import BatchResultDialog, ReviewDialog
from app.ui.payments.tab import PaymentsTab
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


@pytest.fixture(autouse=True)
def answers() -> Iterator[list[tuple[str, Any]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None
    ReviewDialog.answer = None
    BatchResultDialog.answer = None


def _submitted(book: Book, pid: int, ind: int, payee: int, amount: int, **kw: Any) -> int:
    login_as(book, "clerk")
    pay = fx.request(book, pid, ind, payee, amount, **kw)
    payments.submit(book, payment_id=pay, reason="设备须整批订购" if kw.get("kind") == "prepayment" else "")
    return pay


def _select(page: Any, ids: list[int]) -> None:
    view = page.view
    view.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r, row in enumerate(view.lazy_model().rows):
        if row["id"] in ids:
            view.selectionModel().select(view.model().index(r, 0), flags)
            view.selectionModel().setCurrentIndex(view.model().index(r, 0), QItemSelectionModel.SelectionFlag.NoUpdate)


def test_batch_review_in_the_window_with_one_opinion(qtbot, book: Book, answers: list) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    good = [_submitted(book, pid, ind, payee, 10_000_00) for _ in range(3)]
    warned = _submitted(book, pid, ind, payee, 250_000_01, kind="prepayment")
    login_as(book, "reviewer")
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.requests
    _select(page, [*good, warned])
    assert len(page.view.selected_rows()) == 4
    seen: list[ReviewDialog] = []

    def fill(d: ReviewDialog) -> bool:
        seen.append(d)
        d.opinion.setPlainText("资料齐全，同意")
        return True
    ReviewDialog.answer = staticmethod(fill)
    page.review()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert len(seen[0].requests) == 4 and "4 笔" in seen[0].windowTitle()
    for pay in good:
        assert payment_query.get(book, pay)["review_opinion"] == "资料齐全，同意"
        assert payment_query.get(book, pay)["status"] == "approved"
    assert payment_query.get(book, warned)["status"] == "submitted"
    report = next(text for kind, text in answers if kind == "info")
    assert report.count("已办理") == 3 and "未办理" in report and "原则上" in report
    page.reload(good[0])
    assert page.query.wait()  # the list is read again off the GUI thread
    assert "审核意见：资料齐全，同意" in page.info.toPlainText()


def test_a_warned_request_keeps_the_dialog_open_until_the_opinion_is_written(qtbot, book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    warned = _submitted(book, pid, ind, payee, 250_000_01, kind="prepayment")
    login_as(book, "reviewer")
    dialog = ReviewDialog(None, book, [payment_query.get(book, warned)])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.warns and "设备须整批订购" in " ".join(label.text() for label in dialog.findChildren(type(dialog.problem)))
    dialog._accept()
    assert dialog.isVisible() and "审核意见" in dialog.problem.text() and dialog.result() == 0
    dialog.opinion.setPlainText("已核实合同，同意预付")
    dialog._accept()
    assert not dialog.isVisible() and dialog.result() == 1


def test_batch_return_reports_each(qtbot, book: Book, answers: list) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    pays = [_submitted(book, pid, ind, payee, 10_000_00) for _ in range(2)]
    login_as(book, "reviewer")
    payments.review(book, payment_id=pays[1])
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.requests
    _select(page, pays)
    dialogs.Ask.answer = lambda kind, text: "缺验收单" if kind == "text" else True
    page.return_()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert payment_query.get(book, pays[0])["status"] == "returned"
    assert payment_query.get(book, pays[1])["status"] == "approved"
    report = next(text for kind, text in answers if kind == "info")
    assert "已办理" in report and "已审核" in report


def test_choosing_a_status_filter_keeps_it_even_when_the_selected_request_is_not_in_it(qtbot, book: Book) -> None:
    """Before: the selected (approved) request was not among 已提交, so reload cleared the filter back to 全部."""
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    waiting = _submitted(book, pid, ind, payee, 10_000_00)
    done = _submitted(book, pid, ind, payee, 20_000_00)
    login_as(book, "reviewer")
    payments.review(book, payment_id=done)
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.requests
    page.reload(done)
    assert page.query.wait()  # the list is read again off the GUI thread
    assert page.current()["id"] == done
    page.status.setCurrentIndex(page.status.findData("submitted"))
    assert page.status.currentData() == "submitted"
    # the filter reads in the background (issue #22): wait for its page, then the filter must still be 已提交
    qtbot.waitUntil(lambda: [r["id"] for r in page.model.rows] == [waiting], timeout=10000)
    assert page.status.currentData() == "submitted"
