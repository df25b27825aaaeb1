"""Dialogs of the 监控预警 tab: handling a warning, entering and rectifying a problem, a history, a detail.

Each form has a class-level `answer` hook: tests set it to a function that fills the fields and returns
True (OK) or False (Cancel), standing in for the user without a modal loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.store.book import Book
from app.models.values import money
from app.models.warnings import engine as warn
from app.models.warnings import problems
from app.ui.kit.forms import GuardedDialog


def date_edit(value: dt.date | None = None, *, optional: bool = False) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    if optional:
        edit.setMinimumDate(QDate(2000, 1, 1))
        edit.setSpecialValueText("（不填）")
    day = value or dt.date.today()
    edit.setDate(QDate(day.year, day.month, day.day) if value or not optional else edit.minimumDate())
    return edit


def date_of(edit: QDateEdit) -> dt.date | None:
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return None
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


class FormDialog(GuardedDialog):
    """A form with OK/Cancel: `submit(book, operation)` (kit.forms) keeps it open until the operation succeeds;
    `values()` reads the fields (and may raise a ValidationError for what the user typed, e.g. an amount, so
    callers read it inside the operation)."""

    answer: ClassVar[Callable[[Any], bool] | None] = None

    def __init__(self, parent: QWidget | None, title: str, intro: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        return {}


def _combo(items: Sequence[tuple[str, str]], current: str = "") -> QComboBox:
    box = QComboBox()
    for code, name in items:
        box.addItem(name, code)
    if current:
        box.setCurrentIndex(max(box.findData(current), 0))
    return box


class HandleDialog(FormDialog):
    """整改中 with the plan, 已整改 / 已说明 with what was done or why."""

    def __init__(self, parent: QWidget | None, book: Book, row: dict[str, Any]) -> None:
        super().__init__(parent, "登记预警处理情况", f"{row['code']} {row['code_name']}：{row['object_label']}\n{row['detail']}")
        choices = [(s.code, s.name) for s in warn.statuses(book) if s.code != warn.initial_status(book)]
        self.status = _combo(choices, row["status"])
        self.section = QLineEdit(row["section"])
        self.section.setPlaceholderText("例如：扶贫资金管理股、国库股、农业股")
        self.note = QPlainTextEdit(row["note"])
        self.note.setPlaceholderText("整改中：写明整改措施；已整改：写明整改结果；已说明：写明理由（至少 4 个字）")
        self.day = date_edit(book.today())
        self.form.addRow("处理状态", self.status)
        self.form.addRow("责任股室", self.section)
        self.form.addRow("整改说明", self.note)
        self.form.addRow("处理日期", self.day)

    def values(self) -> dict[str, Any]:
        return {"status": str(self.status.currentData()), "section": self.section.text(),
                "note": self.note.toPlainText(), "handled_on": date_of(self.day)}


class ProblemDialog(FormDialog):
    """A problem found by 自查、审计、巡视 or 群众反映."""

    def __init__(self, parent: QWidget | None, book: Book, projects: Sequence[tuple[int, str]]) -> None:
        super().__init__(parent, "新增问题", "登记非预警来源的问题（来自预警的问题请在“预警清单”中“列入问题台账”）。")
        self.category = _combo(problems.categories(book))
        self.origin = _combo([(k, v) for k, v in problems.ORIGINS.items() if k != "warning"])
        self.description = QPlainTextEdit()
        self.project = QComboBox()
        self.project.addItem("（不涉及具体项目）", None)
        for pid, label in projects:
            self.project.addItem(label, pid)
        self.amount = QLineEdit("0")
        self.section = QLineEdit(book.user.section if book.user else "")
        self.found = date_edit(book.today())
        self.measures = QPlainTextEdit()
        self.deadline = date_edit(None, optional=True)
        for label, widget in (("问题类型", self.category), ("问题来源", self.origin), ("问题描述", self.description),
                              ("涉及项目", self.project), ("涉及金额（元）", self.amount), ("责任股室", self.section),
                              ("发现日期", self.found), ("整改措施", self.measures), ("整改时限", self.deadline)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        return {"category": str(self.category.currentData()), "origin": str(self.origin.currentData()),
                "description": self.description.toPlainText(), "project_id": self.project.currentData(),
                "amount": money.parse(self.amount.text() or "0", field="涉及金额"), "section": self.section.text(),
                "found_on": date_of(self.found), "measures": self.measures.toPlainText(),
                "deadline": date_of(self.deadline)}


class ProblemUpdateDialog(FormDialog):
    """One step of rectification: status, 整改情况, measures and time limit."""

    def __init__(self, parent: QWidget | None, book: Book, row: dict[str, Any]) -> None:
        super().__init__(parent, "登记整改情况", f"{row['category_name']}：{row['description']}")
        self.status = _combo([(s.code, s.name) for s in warn.statuses(book)], row["status"])
        self.progress = QPlainTextEdit()
        self.progress.setPlaceholderText("本次整改情况；办结（已整改/已说明）须写明结果或理由")
        self.measures = QPlainTextEdit(row["measures"])
        self.deadline = date_edit(dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None, optional=True)
        self.day = date_edit(book.today())
        for label, widget in (("整改状态", self.status), ("整改情况", self.progress), ("整改措施", self.measures),
                              ("整改时限", self.deadline), ("日期", self.day)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        return {"status": str(self.status.currentData()), "progress": self.progress.toPlainText(),
                "measures": self.measures.toPlainText(), "deadline": date_of(self.deadline), "day": date_of(self.day)}


class SectionsDialog(FormDialog):
    """Which section answers for each warning type whose object names none (e.g. 月报逾期 → 国库股)."""

    def __init__(self, parent: QWidget | None, book: Book) -> None:
        super().__init__(parent, "预警默认责任股室", "对象本身带有业务股室的预警（如指标、项目）按对象的股室；"
                                                  "其余按这里的设置。留空表示不指定。已有预警的股室不变，可逐条修改。")
        current = warn.default_sections(book)
        self.edits: dict[str, QLineEdit] = {}
        for w in book.rules.warnings:
            edit = QLineEdit(current.get(w.code, ""))
            self.edits[w.code] = edit
            self.form.addRow(f"{w.code} {w.name}", edit)

    def values(self) -> dict[str, Any]:
        return {code: edit.text() for code, edit in self.edits.items()}


class ListDialog(QDialog):
    """A read-only list (a warning's or a problem's history) under a few lines of text."""

    shown: ClassVar[list[tuple[str, str]]] = []
    quiet: ClassVar[bool] = False  # tests: record instead of showing

    def __init__(self, parent: QWidget | None, title: str, text: str, headers: Sequence[str],
                 rows: Sequence[Sequence[object]]) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.table = QTableWidget(len(rows), len(headers))
        self.table.setHorizontalHeaderLabels(list(headers))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem("" if value is None else str(value)))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @classmethod
    def show_list(cls, parent: QWidget | None, title: str, text: str, headers: Sequence[str],
                  rows: Sequence[Sequence[object]]) -> None:
        if cls.quiet:
            cls.shown.append((title, text))
            return
        cls(parent, title, text, headers, rows).exec()


def warning_detail(parent: QWidget | None, book: Book, warning_id: int) -> None:
    """What a warning is about and what has been done, when no tab can show its object."""
    w = warn.get(book, warning_id)
    text = (f"{w['code']} {w['code_name']}\n对象：{w['object_label']}\n{w['detail']}\n"
            f"涉及金额：{money.format(int(w['amount']))} 元　发生日期：{w['since']}　首次发现：{w['first_detected']}\n"
            f"状态：{w['status_name']}（{w['state_name']}）　责任股室：{w['section_name']}\n"
            f"整改说明：{w['note'] or '（无）'}")
    rows = [(e["day"], e["event_name"], e["status_name"], money.format(int(e["amount"])), e["section"], e["by_name"],
             e["note"]) for e in warn.events(book, warning_id)]
    ListDialog.show_list(parent, "预警详情", text, ["日期", "事件", "状态", "涉及金额", "责任股室", "经办人", "说明"], rows)
