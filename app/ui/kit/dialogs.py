"""Message boxes and small dialogs; each has a class-level hook tests use to stand in for the user."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
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


def info(parent: QWidget | None, text: str, title: str = "提示") -> None:
    if Ask.answer is not None:
        Ask.record("info", text)
        return
    QMessageBox.information(parent, title, text)


def error(parent: QWidget | None, err: BaseException | str, title: str = "无法完成") -> None:
    """A Chinese message; an AppError shows its message, anything else the details behind a button."""
    text = str(err) if isinstance(err, (AppError, str)) else "程序内部错误，操作未完成。请点击“复制详情”发给维护人员。"
    if Ask.answer is not None:
        Ask.record("error", text)
        return
    if isinstance(err, BaseException) and not isinstance(err, AppError):
        ErrorDialog(parent, text, privacy.mask_text("".join(traceback.format_exception(err)))).exec()  # no full ID/account
        return
    QMessageBox.warning(parent, title, text)


def confirm(parent: QWidget | None, text: str, title: str = "请确认") -> bool:
    if Ask.answer is not None:
        return bool(Ask.record("confirm", text))
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    return QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    if Ask.answer is not None:
        result = Ask.record("text", label)
        return None if result is None else str(result)
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None


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
        layout.addWidget(QLabel(text))
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


def run_op(parent: QWidget | None, fn: Callable[[], Any], *, done: str | None = None) -> Any:
    """Call one models operation; its AppError becomes a message and nothing else happens."""
    try:
        result = fn()
    except AppError as exc:
        error(parent, exc)
        return None
    if done:
        info(parent, done)
    return result if result is not None else True
