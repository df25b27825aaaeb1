"""Small forms for the recorded exceptions of issue #18: the chief's 事前公示 exception and the 工程结算价 (项目计划
page), the region's 31 October exemption, and the county-level plan notices (公告公示 page). No rule here: every
check (document required, dates, amounts, who may) is the model's, shown as its Chinese message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from app.ui.kit.forms import GuardedDialog
from app.ui.kit.qdate import to_date

# (key, label, kind "text" | "date" | "money" | "choice", default, choices [(label, value)])
Field = tuple[str, str, str, Any, Sequence[tuple[str, Any]]]


class FormDialog(GuardedDialog):
    """A small form whose 确定 runs its operation (`submit`): a refused one keeps it open, the field focused."""

    def __init__(self, parent: QWidget | None, title: str, note: str, fields: Sequence[Field]) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            form.addRow(label)
        self.widgets: dict[str, tuple[str, QWidget]] = {}
        for key, label_text, kind, default, choices in fields:
            widget: QWidget
            if kind == "date":
                edit = QDateEdit(QDate(default.year, default.month, default.day) if default else QDate.currentDate())
                edit.setCalendarPopup(True)
                edit.setDisplayFormat("yyyy-MM-dd")
                widget = edit
            elif kind == "choice":
                box = QComboBox()
                for text, value in choices:
                    box.addItem(text, value)
                widget = box
            else:
                widget = QLineEdit("" if default is None else str(default))
            self.widgets[key] = (kind, widget)
            form.addRow(label_text, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        """What was typed (money as text, parsed by the caller inside its operation, so a typo is a shown message)."""
        out: dict[str, Any] = {}
        for key, (_kind, widget) in self.widgets.items():
            if isinstance(widget, QDateEdit):
                out[key] = to_date(widget.date())
            elif isinstance(widget, QComboBox):
                out[key] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                out[key] = widget.text()  # money as typed: the caller parses it inside its operation
        return out
