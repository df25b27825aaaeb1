"""#20 defect 1: no form closes on a refused operation; the error names the field and the focus returns to it."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

import app.ui
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.kit.forms import GuardedDialog
from app.ui.payments.dialogs import PayeeDialog, PaymentDialog
from app.ui.payments.tab import PaymentsTab
from tests.models.payments import payment_fixtures as fx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def recorded() -> Iterator[list[tuple[str, str]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None
    PaymentDialog.answer = None
    PayeeDialog.answer = None


def _press(dialog: QDialog, text: str) -> None:
    next(b for b in dialog.findChildren(QPushButton) if b.text() == text).click()


def _open(kind: type) -> QDialog:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible())


def _as_user(kind: type, step: Any) -> Any:
    """A timer step: find the open `kind` dialog and act; whatever goes wrong, the dialog is closed."""
    def run() -> None:
        d = _open(kind)
        try:
            step(d)
        except BaseException:
            d.reject()
            raise
    return run


def test_payment_draft_with_6wan_stays_open_with_focus_on_amount(qtbot, book: Book, recorded: list) -> None:
    """As the clerk would: the real dialog (exec), amount "6万", 保存草稿 — the dialog must still be open after
    the error, with "6万" in the 金额 box and the focus there; then 60000 saves the draft."""
    _ind, _pid, payee = fx.setup_funds(book, amount=300_000_00)
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    seen: dict[str, object] = {}

    def step_two(d: Any) -> None:
        seen["open_after_error"] = d.isVisible()
        seen["text_kept"] = d.amount.text()
        seen["focus"] = d.focusWidget() is d.amount or QApplication.focusWidget() is d.amount or d.focused is d.amount
        d.amount.setText("60000")
        _press(d, "保存草稿")
        seen["closed_on_success"] = not d.isVisible()
        if d.isVisible():  # refused again: the test fails below, the dialog must not hang it
            d.reject()

    def step_one(d: Any) -> None:
        d.amount.setText("6万")
        d.purpose.setText("产业扶贫")
        d.payee.setCurrentIndex(d.payee.findData(payee))
        _press(d, "保存草稿")  # refused: the dialog stays open
        QTimer.singleShot(0, _as_user(PaymentDialog, step_two))

    QTimer.singleShot(0, _as_user(PaymentDialog, step_one))
    tab.requests.new()
    assert tab.requests.query.wait()  # the list is read again off the GUI thread
    errors = [text for kind, text in recorded if kind == "error"]
    assert errors and "金额" in errors[0], errors
    assert seen == {"open_after_error": True, "text_kept": "6万", "focus": True, "closed_on_success": True}, recorded
    assert tab.requests.model.total == 1  # the corrected draft was saved, once
    assert tab.requests.model.rows[0]["amount"] == 60_000_00


def test_hook_sees_the_form_again_after_a_refusal(qtbot, book: Book, recorded: list) -> None:
    """The test hook stands in for the user: after a refusal it is shown the same form, with the error."""
    fx.setup_funds(book)
    tab = PaymentsTab(book)
    qtbot.addWidget(tab)
    assert tab.requests.query.wait()  # the first page is read off the GUI thread
    calls: list[str] = []

    def user(d: PayeeDialog) -> bool:
        calls.append(d.name.text())
        if not calls[1:]:
            d.ptype.setCurrentIndex(d.ptype.findData("enterprise"))
            d.name.setText("某某合作社")
            d.code.setText("123")  # not a USCC
            d.account.setText("6217000000000001")
            d.bank.setText("农行")
            return True
        assert d.focused is d.code, d.refused
        return False  # the user gives up: 取消

    PayeeDialog.answer = staticmethod(user)
    tab.payees.new()
    assert calls == ["", "某某合作社"]  # the typed name is still there the second time


# -- every form in the window ---------------------------------------------------------------------------------

NOT_FORMS = {
    # dialogs that run no operation of their own on 确定 (a list, a message, a picker, the login and start screens),
    # and three that keep themselves open their own way: OpDialog (专账: runs inside accept()), the treasury import
    # (导入 stays disabled until the dry run passes) and RegisterTemplateDialog (register() shows the problem inside)
    "ListDialog", "ErrorDialog", "ReceiptsDialog", "StartDialog", "LoginDialog", "NewBureauDialog",
    "RestoreDialog", "AttachmentViewer", "PasswordDialog", "TreasuryImportDialog", "OpDialog", "RegisterTemplateDialog",
}


def _ui_modules() -> list[object]:
    found = []
    for info in pkgutil.walk_packages(app.ui.__path__, "app.ui."):
        found.append(importlib.import_module(info.name))
    return found


def test_every_form_dialog_is_guarded() -> None:
    """Each QDialog subclass in app/ui that is a form keeps itself open on a refusal (GuardedDialog), or is a
    named exception that does so its own way (OpDialog runs inside accept(); checked below)."""
    unguarded = []
    for module in _ui_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, QDialog):
                continue
            if any(k.__name__ in NOT_FORMS for k in cls.__mro__) or issubclass(cls, GuardedDialog):
                continue
            unguarded.append(f"{module.__name__}.{name}")
    assert not unguarded, unguarded


def test_no_operation_runs_after_a_form_has_closed() -> None:
    """The bug's shape: `if dialog.exec()/ask()/run(): ops.run_op(...)` — the form is gone when the error shows.
    No such statement anywhere in app/ui."""
    offenders = []
    for path in (ROOT / "app" / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.If):
                continue
            shown = [c for c in ast.walk(node.test) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                     and c.func.attr in {"exec", "ask", "run"}]
            if not shown:
                continue
            body_calls = [c for stmt in node.body for c in ast.walk(stmt) if isinstance(c, ast.Call)]
            runs = [c for c in [*body_calls, *ast.walk(node.test)] if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Attribute) and c.func.attr in {"run_op", "run_now"}]
            if runs:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
