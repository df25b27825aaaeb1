"""A form dialog that stays open until its operation succeeds.

    dialog = PayeeDialog(self, self.book)
    pid = dialog.submit(self.book, lambda: payees.create_payee(self.book, **dialog.values()))

`submit` shows the form; 确定 (or any button that accepts it) runs the operation through `ops.Op(...).run_now()`
with the form still open. A refused operation (an AppError: bad amount, closed month, no permission) shows its
Chinese message, the form stays open with everything typed, and the focus goes to the field the error names
(`AppError.field`, or the text before "：" in its message, matched against the form's labels). Only a
successful operation closes the form. It returns the operation's result (True when that is None), or None when
the user cancelled.

Tests stand in for the user with the class hook `answer(dialog) -> bool` (fill the fields, return whether to
press 确定). After a refusal the hook is called again, as the user would see the form again: it can correct a
field and return True, or return False (取消). `refused` lists the errors shown while the form was open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from app.models.store.book import Book
from app.models.values.errors import AppError
from app.ui.kit import dialogs, ops

_NOTE = re.compile(r"[（(][^）)]*[）)]|[*：:\s]")


def _label_name(text: str) -> str:
    """A form label as a field name: "金额（元）" → "金额", "* 收款人名称：" → "收款人名称"."""
    return _NOTE.sub("", text.replace("&", ""))


def named_field(error: BaseException) -> str:
    """The field an error concerns: its `field`, else what its message says before the first "："."""
    field = getattr(error, "field", None)
    if field:
        return str(field)
    head = str(error).split("：", 1)
    return head[0].strip() if len(head) == 2 and len(head[0]) <= 16 else ""


def _editor(widget: QWidget | None) -> QWidget | None:
    """The widget that takes typing in a form row (a row may hold a layout of several)."""
    if widget is None:
        return None
    if isinstance(widget, (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit)):
        return widget
    for kind in (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit):
        found = widget.findChild(kind)
        if found is not None:
            return found
    return None


def form_fields(dialog: QWidget) -> dict[str, QWidget]:
    """Every labelled row of every QFormLayout in `dialog`: field name → the widget that takes the input."""
    found: dict[str, QWidget] = {}
    for form in dialog.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label_item is None or field_item is None or not isinstance(label_item.widget(), QLabel):
                continue
            label = label_item.widget()
            assert isinstance(label, QLabel)
            widget = field_item.widget()
            layout = field_item.layout()
            if widget is None and layout is not None:
                items = [layout.itemAt(i) for i in range(layout.count())]
                widget = next((w for w in (item.widget() for item in items if item is not None)
                               if _editor(w) is not None), None)
            editor = _editor(widget)
            name = _label_name(label.text())
            if editor is not None and name and name not in found:
                found[name] = editor
    return found


def focus_field(dialog: QWidget, error: BaseException) -> QWidget | None:
    """Put the focus on the field `error` names (exact label first, then a label containing it or contained in
    it); the widget focused, or None when the error names no field of this form."""
    name = named_field(error)
    if not name:
        return None
    fields = {**form_fields(dialog), **getattr(dialog, "field_widgets", lambda: {})()}
    widget = fields.get(name) or next((w for label, w in fields.items() if name in label or label in name), None)
    if widget is None:
        return None
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    return widget


class GuardedDialog(QDialog):
    """A form whose 确定 runs an operation and closes only when it succeeds (see the module doc)."""

    answer: ClassVar[Callable[[Any], bool] | None] = None
    attempts: ClassVar[int] = 4  # a test hook that keeps pressing 确定 on refused input stops here

    _pending: tuple[Book, Callable[[], Any], str | None] | None = None
    _outcome: Any = None
    refused: list[BaseException]
    focused: QWidget | None = None

    def submit(self, book: Book, operation: Callable[[], Any], *, done: str | None = None) -> Any:
        """Show the form until `operation` succeeds (its result, True for None) or the user cancels (None)."""
        self._pending = (book, operation, done)
        self._outcome = None
        self.refused = []
        try:
            hook = type(self).answer
            if hook is not None:
                for _ in range(self.attempts):
                    if not hook(self):
                        return None
                    if self._attempt():
                        return self._outcome
                return None
            return self._outcome if self.exec() == QDialog.DialogCode.Accepted else None
        finally:
            self._pending = None

    def accept(self) -> None:
        if self._pending is not None and not self._attempt():
            return  # refused: the form stays open with what was typed
        super().accept()

    def _attempt(self) -> bool:
        assert self._pending is not None
        book, operation, done = self._pending
        op: ops.Op[Any] = ops.Op(self, book, "", lambda _book, _progress: operation(), cancellable=False)
        op.failure(self._refused)
        if done:
            op.done_text(done)
        result = op.run_now()
        if op.error is not None:
            return False
        self._outcome = True if result is None else result
        return True

    def _refused(self, error: BaseException) -> None:
        self.refused.append(error)
        dialogs.error(self, error)
        self.focused = focus_field(self, error)

    def refuse(self, error: AppError) -> None:
        """A check the form itself makes before the operation (e.g. two passwords that differ)."""
        self.refused = [*getattr(self, "refused", []), error]
        dialogs.error(self, error)
        self.focused = focus_field(self, error)
