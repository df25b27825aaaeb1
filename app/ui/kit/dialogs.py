"""Message boxes and small dialogs; each has a class-level hook tests use to stand in for the user."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.models.values import filenames, privacy
from app.models.values.errors import AppError


class Ask:
    """Tests set `Ask.answer = lambda kind, text: …` to answer questions without a window."""

    answer: Callable[[str, str], Any] | None = None
    shown: list[tuple[str, str]] = []

    @classmethod
    def record(cls, kind: str, text: str) -> Any:
        cls.shown.append((kind, text))
        return cls.answer(kind, text) if cls.answer else None


def message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
                buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
                default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton) -> QMessageBox:
    """Every message box: its text is plain (a name the user typed is never rendered as HTML)."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    return box


def info(parent: QWidget | None, text: str, title: str = "提示") -> None:
    if Ask.answer is not None:
        Ask.record("info", text)
        return
    message_box(parent, QMessageBox.Icon.Information, title, text).exec()


def error(parent: QWidget | None, err: BaseException | str, title: str = "无法完成") -> None:
    """A Chinese message; an AppError shows its message, anything else the details behind a button."""
    text = str(err) if isinstance(err, (AppError, str)) else "程序内部错误，操作未完成。请点击“复制详情”发给维护人员。"
    if Ask.answer is not None:
        Ask.record("error", text)
        return
    if isinstance(err, BaseException) and not isinstance(err, AppError):
        ErrorDialog(parent, text, privacy.mask_text("".join(traceback.format_exception(err)))).exec()  # no full ID/account
        return
    message_box(parent, QMessageBox.Icon.Warning, title, text).exec()


def confirm(parent: QWidget | None, text: str, title: str = "请确认") -> bool:
    if Ask.answer is not None:
        return bool(Ask.record("confirm", text))
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    box = message_box(parent, QMessageBox.Icon.Question, title, text, buttons, QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    if Ask.answer is not None:
        result = Ask.record("text", label)
        return None if result is None else str(result)
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None


def ask_secret(parent: QWidget | None, title: str, label: str) -> str | None:
    """One existing password, typed hidden, e.g. to unlock the chief's signing key (tests answer kind "secret")."""
    if Ask.answer is not None:
        result = Ask.record("secret", label)
        return None if result is None else str(result)
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
    return value if ok else None


class PasswordDialog(QDialog):
    """A new password typed twice in password fields (and the current one, when changing one's own)."""

    def __init__(self, parent: QWidget | None, title: str, prompt: str, *, ask_old: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        label = QLabel(prompt)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        layout.addWidget(label)
        form = QFormLayout()
        self.old = QLineEdit()
        self.new = QLineEdit()
        self.again = QLineEdit()
        for field in (self.old, self.new, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        if ask_old:
            form.addRow("原密码", self.old)
        form.addRow("新密码", self.new)
        form.addRow("再输入一次", self.again)
        layout.addLayout(form)
        rules = QLabel("至少 8 位；不能与登录名相同；不能是 12345678、password 这类常见密码。")
        rules.setTextFormat(Qt.TextFormat.PlainText)
        rules.setWordWrap(True)
        layout.addWidget(rules)
        self.problem = QLabel("")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("color: #b00020")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        if self.new.text() != self.again.text():
            self.problem.setText("两次输入的新密码不一致，请重新输入。")
            self.again.clear()
            self.again.setFocus()
            return
        self.accept()


def ask_password(parent: QWidget | None, title: str, prompt: str, *, ask_old: bool = False
                 ) -> tuple[str, str] | None:
    """(current password, new password) — the current one "" unless `ask_old` — or None when cancelled.
    Tests answer through Ask with kind "password" and a (old, new, again) tuple."""
    if Ask.answer is not None:
        answer = Ask.record("password", prompt)
        if answer is None:
            return None
        old, new, again = answer
        if new != again:
            Ask.record("error", "两次输入的新密码不一致，请重新输入。")
            return None
        return old, new
    dialog = PasswordDialog(parent, title, prompt, ask_old=ask_old)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.old.text(), dialog.new.text()


def choose_path(parent: QWidget | None, kind: str, title: str, pattern: str, suggested: str = "", *,
                asked_as: str | None = None) -> Path | None:
    """A file dialog (`kind` "open" or "save"); tests answer through Ask with `asked_as` (default `kind`)."""
    if Ask.answer is not None:
        answer = Ask.record(asked_as or kind, title)
        return _chosen(kind, str(answer) if answer else "", title)
    if kind == "open":
        name, _ = QFileDialog.getOpenFileName(parent, title, "", pattern)
    else:
        name, _ = QFileDialog.getSaveFileName(parent, title, suggested, pattern)
    return _chosen(kind, name, title)


def _chosen(kind: str, name: str, title: str) -> Path | None:
    """A file to be written must have a name Windows accepts (Qt's own dialog on Linux takes `CON.xlsx`)."""
    if name and kind == "save":
        filenames.check_path(name, title)
    return Path(name) if name else None


class ErrorDialog(QDialog):
    """Unexpected errors: a plain message and 复制详情 for whoever maintains the app."""

    def __init__(self, parent: QWidget | None, text: str, details: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("程序错误")
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(label)
        box = QPlainTextEdit(details)
        box.setReadOnly(True)
        box.setVisible(False)
        layout.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("复制详情", QDialogButtonBox.ButtonRole.ActionRole)
        show = buttons.addButton("显示详情", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QApplication.clipboard().setText(details))
        show.clicked.connect(lambda: box.setVisible(not box.isVisible()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

