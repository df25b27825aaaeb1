"""支付审批 and 项目计划 in the window: the done-when flow driven through the tabs and their dialogs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate

from app.models.ledger import indicators
from app.models.payments import query as payment_query
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.payments.dialogs import MarkPaidDialog, PayeeDialog, PaymentDialog
from app.ui.payments.tab import PaymentsTab
from app.ui.plan.dialogs import DecisionDialog, ProjectDialog
from app.ui.plan.tab import PlanTab
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx


@pytest.fixture(autouse=True)
def answers() -> Iterator[list[tuple[str, str]]]:
    """Stand in for the user: text questions get `replies[kind]`; every message is recorded."""
    replies: dict[str, Any] = {}
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: replies.get(kind, True)
    answers.replies = replies  # type: ignore[attr-defined]
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None
    for cls in (PaymentDialog, MarkPaidDialog, PayeeDialog, ProjectDialog, DecisionDialog):
        cls.answer = None


def fill_payment(usage: str, amount: str, payee: int, *, submit: bool = True) -> Any:
    def run(d: PaymentDialog) -> bool:
        d.amount.setText(amount)
        d.usage.setCurrentIndex(d.usage.findData(usage))
        d.payee.setCurrentIndex(d.payee.findData(payee))
        d.kind.setCurrentIndex(d.kind.findData("progress"))
        d.day.setDate(QDate(2026, 5, 6))
        d.refresh()
        d.submit_after = submit
        return True
    return run


def test_done_when_in_the_window(qtbot, qtmodeltester, book: Book, answers: list) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=300_000_00)
    available = indicators.available(book, ind)
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.requests
    qtmodeltester.check(page.model)

    # the clerk drafts a payment for a prohibited use: saved, submitted, refused by the rules
    PaymentDialog.answer = staticmethod(fill_payment("vehicles_comms", "80,000.00", payee))
    page.new()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert page.model.total == 1
    pay = page.model.rows[0]
    assert pay["status"] == "returned"
    assert any(kind == "error" and "购买交通工具及通讯设备" in text for kind, text in answers)
    assert "不通过" in {r["outcome_name"] for r in page.checks.lazy_model().rows}

    # fixes it and submits again
    assert page.select("payment", pay["id"]) and page.query.wait()  # found off the GUI thread
    assert page.buttons["edit"].isEnabled() and not page.buttons["review"].isEnabled()
    PaymentDialog.answer = staticmethod(fill_payment("industry", "80,000.00", payee))
    page.edit()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert payment_query.get(book, pay["id"])["status"] == "submitted"

    # a reviewer (not the drafter) approves
    login_as(book, "reviewer")
    page.reload(pay["id"])
    assert page.query.wait()  # the list is read again off the GUI thread
    assert page.buttons["review"].isEnabled()
    page.review()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert payment_query.get(book, pay["id"])["status"] == "approved"
    assert not page.buttons["edit"].isEnabled()

    # the clerk records the treasury voucher: paid, and the 专账 balance moves
    login_as(book, "clerk")
    page.reload(pay["id"])
    assert page.query.wait()  # the list is read again off the GUI thread

    def voucher(d: MarkPaidDialog) -> bool:
        d.voucher.setText("ZF2026051200001")
        d.day.setDate(QDate(2026, 5, 12))
        return True
    MarkPaidDialog.answer = staticmethod(voucher)
    page.mark_paid()
    assert page.query.wait()  # the list is read again off the GUI thread
    got = payment_query.get(book, pay["id"])
    assert (got["status"], got["voucher_no"], got["pay_date"]) == ("paid", "ZF2026051200001", "2026-05-12")
    paid_note = [text for kind, text in answers if kind == "info"][-1]  # #20: says what was recorded, not "记录 #287"
    assert "ZF2026051200001" in paid_note and "80,000.00 元" in paid_note and "#" not in paid_note, paid_note
    assert indicators.available(book, ind) == available - 80_000_00
    assert [r["action_name"] for r in page.events.lazy_model().rows][-1] == "登记已支付"
    qtmodeltester.check(page.checks.lazy_model())


def test_drafter_cannot_review_and_pdf_export(qtbot, book: Book, tmp_path: Path, answers: list) -> None:
    ind, pid, payee = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, payee, 1_000_00)
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.requests
    assert page.select("payment", pay) and page.query.wait()  # found off the GUI thread
    page.submit()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert payment_query.get(book, pay)["status"] == "submitted"
    assert not page.buttons["review"].isEnabled()
    answers.clear()
    dialogs.Ask.answer = lambda kind, text: str(tmp_path / "单.pdf") if kind == "save" else True
    page.export_pdf()
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert (tmp_path / "单.pdf").read_bytes().startswith(b"%PDF")


def test_soft_warning_asks_for_reason_and_override(qtbot, book: Book, answers: list) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    pay = fx.request(book, pid, ind, payee, 60_000_00, kind="prepayment")
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.requests
    assert page.select("payment", pay) and page.query.wait()  # found off the GUI thread
    dialogs.Ask.answer = lambda kind, text: "合作社须一次性购置母羊" if kind == "text" else True
    page.submit()
    assert page.query.wait()  # the list is read again off the GUI thread
    assert payment_query.get(book, pay)["soft_reason"] == "合作社须一次性购置母羊"
    login_as(book, "reviewer")
    page.reload(pay)
    assert page.query.wait()  # the list is read again off the GUI thread
    dialogs.Ask.answer = lambda kind, text: "已核实合同，同意" if kind == "text" else True
    page.review()
    assert page.query.wait()  # the list is read again off the GUI thread
    got = payment_query.get(book, pay)
    assert (got["status"], got["override_note"]) == ("approved", "已核实合同，同意")


def test_dialog_shows_what_is_left_while_typing(qtbot, book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=100_000_00)
    d = PaymentDialog(None, book)
    qtbot.addWidget(d)
    d.project.setCurrentIndex(d.project.findData(pid))
    d.kind.setCurrentIndex(d.kind.findData("prepayment"))
    d.amount.setText("30000")
    d.refresh()
    assert "70,000.00" in d.left_indicator.text() and "70,000.00" in d.left_line.text()
    assert d.ratio.text().startswith("30.00%") and d.daxie.text() == "叁万元整"
    d.amount.setText("100000.01")
    d.refresh()
    assert "-0.01" in d.left_indicator.text()
    assert d.table.item(2, 1).text() == "不通过"


def test_payees_page(qtbot, qtmodeltester, book: Book, answers: list) -> None:
    login_as(book, "clerk")
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    page = tab.payees

    def fill(d: PayeeDialog) -> bool:
        d.name.setText("示例县鑫源农资经销部")
        d.ptype.setCurrentIndex(d.ptype.findData("individual_business"))
        d.code.setText(fx.bad_uscc(5))
        d.account.setText("6217 0100 0120 1005 566")
        d.bank.setText("新疆农村信用社示例县联社")
        return True
    PayeeDialog.answer = staticmethod(fill)
    page.new()
    assert page.query.wait()  # the list is read again off the GUI thread, the new payee selected
    qtmodeltester.check(page.model)
    assert page.model.total == 1 and page.model.rows[0]["id_state"].startswith("校验码不符")
    assert page.current() == page.model.rows[0]
    assert any("审核人确认" in text for _kind, text in answers)
    assert not page.buttons["confirm"].isEnabled()
    login_as(book, "reviewer")
    page.reload()
    assert page.query.wait()
    assert page.current() == page.model.rows[0] and page.buttons["confirm"].isEnabled()
    page.confirm()
    assert page.query.wait()
    assert page.model.rows[0]["id_state"] == "已由审核人确认"


def test_plan_tab_new_approve_adjust(qtbot, qtmodeltester, book: Book, answers: list) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)
    tab = PlanTab(book)
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.model)

    def new_project(d: ProjectDialog) -> bool:
        d.code.setText("XM-UI-1")
        d.name.setText("界面新增的村道项目")
        d.category.setCurrentIndex(d.category.findData("infrastructure"))
        d.township.setText("城关镇")
        d.content.setPlainText("硬化村道 2 公里")
        d.implementer.setText("城关镇人民政府")
        d.responsible.setText("张三")
        d.start.setDate(QDate(2026, 4, 1))
        d.end.setDate(QDate(2026, 10, 31))
        d.add_line(ind, "200,000")
        return True
    ProjectDialog.answer = staticmethod(new_project)
    tab.new_project()
    assert tab.query.wait()  # the list is read again off the GUI thread
    assert tab.model.total == 1
    project = tab.current()
    assert project and project["code"] == "XM-UI-1" and project["total"] == 200_000_00
    assert tab.buttons["approve"].isEnabled() and not tab.buttons["adjust"].isEnabled()

    def decision(doc: str, reason: str = "") -> Any:
        def run(d: DecisionDialog) -> bool:
            d.doc_no.setText(doc)
            d.day.setDate(QDate(2026, 4, 1) if not reason else QDate(2026, 6, 1))
            d.reason.setPlainText(reason)
            return True
        return run
    DecisionDialog.answer = staticmethod(decision("示扶组发〔2026〕1号"))
    tab.approve()
    assert tab.query.wait()  # the list is read again off the GUI thread
    assert tab.current()["status_name"] == "审定"
    assert tab.buttons["adjust"].isEnabled() and not tab.buttons["edit"].isEnabled()

    def bigger(d: ProjectDialog) -> bool:
        d.lines.item(0, 2).setText("250,000")
        return True
    ProjectDialog.answer = staticmethod(bigger)
    DecisionDialog.answer = staticmethod(decision("示扶组发〔2026〕6号", "增加 0.5 公里"))
    tab.adjust()
    assert tab.query.wait()  # the list is read again off the GUI thread
    assert projects.get(book, project["id"])["total"] == 250_000_00
    assert [v["change_name"] for v in tab.versions.lazy_model().rows] == ["审定", "调整"]
    assert len(plan.versions(book, project["id"])) == 2
