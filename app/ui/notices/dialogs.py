"""Dialogs of the 公告公示 tab: the notice editor (with evidence files), feedback and its handling.

Each has a class-level `ask(…)` returning the values (or None when cancelled), which tests replace.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.store.book import Book
from app.models.values.errors import FileError
from app.ui.kit.forms import GuardedDialog


def _date_edit(value: str | None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    day = dt.date.fromisoformat(value) if value else dt.date.today()
    edit.setDate(QDate(day.year, day.month, day.day))
    return edit


def _iso(edit: QDateEdit) -> str:
    return edit.date().toString("yyyy-MM-dd")


def choose_evidence_files(parent: QWidget | None, book: Book) -> list[Path]:
    """The file picker for photos and scans, limited to the rule set's evidence types."""
    types = " ".join(f"*.{t}" for t in book.rules.limits.evidence_types)
    names, _ = QFileDialog.getOpenFileNames(parent, "选择公示照片或扫描件", "", f"照片和扫描件 ({types})")
    return [Path(n) for n in names]


def read_evidence(book: Book, path: Path) -> tuple[str, bytes]:
    """(name, bytes) of a chosen file; a huge file is read only far enough for the size check to refuse it."""
    limit = book.rules.limits.scan_max_bytes
    try:
        with path.open("rb") as fh:
            return path.name, fh.read(limit + 1)
    except OSError as exc:
        raise FileError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc


class NoticeDialog(GuardedDialog):
    """登记/修改公告: every field of the record, the content fields, and evidence files to attach."""

    def __init__(self, parent: QWidget | None, book: Book, initial: dict[str, Any], *, editing: bool = False) -> None:
        super().__init__(parent)
        self.book = book
        self.initial = initial
        self.setWindowTitle("修改公告" if editing else "登记公告公示")
        self.resize(720, 720)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        rules = book.rules.notices
        kind = next((k.name for k in rules.kinds if k.code == initial["kind"]), initial["kind"])
        level = next((lv.name for lv in rules.levels if lv.code == initial["level"]), initial["level"])
        form.addRow("公示类别 / 层级", QLabel(f"{kind}　/　{level}"))
        form.addRow("公示对象", QLabel(str(initial.get("object_label", ""))))
        self.title = QLineEdit(str(initial.get("title", "")))
        self.place = QComboBox()
        for p in rules.places:
            self.place.addItem(p.name + ("（长期公开）" if p.permanent else ""), p.code)
        self.place.setCurrentIndex(max(0, self.place.findData(initial.get("place"))))
        self.location = QLineEdit(str(initial.get("location", "")))
        self.location.setPlaceholderText("例如：××村村委会公示栏、项目现场、县政府门户网站")
        today = book.today().isoformat()  # the file's own 今天 (the demo county's is fixed)
        self.start = _date_edit(initial.get("start_date") or today)
        self.end = _date_edit(initial.get("end_date") or initial.get("start_date") or today)
        self.open_ended = QCheckBox("尚未撤下 / 长期公开（不填结束日期）")
        self.open_ended.setChecked(not initial.get("end_date"))
        self.open_ended.toggled.connect(lambda on: self.end.setEnabled(not on))
        self.end.setEnabled(not self.open_ended.isChecked())
        ends = QHBoxLayout()
        ends.addWidget(self.end)
        ends.addWidget(self.open_ended)
        self.publisher = QLineEdit(str(initial.get("publisher", "")))
        self.phones = QLineEdit(str(initial.get("phones", "")))
        form.addRow("标题", self.title)
        form.addRow("公示方式", self.place)
        form.addRow("张贴/发布位置", self.location)
        form.addRow("开始日期", self.start)
        form.addRow("结束日期", ends)
        form.addRow("公告单位", self.publisher)
        form.addRow("监督举报电话", self.phones)
        layout.addLayout(form)
        layout.addWidget(QLabel("公告内容（由项目数据生成，可修改为实际张贴的文字）："))
        content = dict(initial.get("content") or {})
        self.content = QTableWidget(len(content), 2)
        self.content.setHorizontalHeaderLabels(["栏目", "内容"])
        self.content.horizontalHeader().setStretchLastSection(True)
        self.content.verticalHeader().setVisible(False)
        for row, (key, value) in enumerate(content.items()):
            label = QTableWidgetItem(key)
            label.setFlags(label.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.content.setItem(row, 0, label)
            self.content.setItem(row, 1, QTableWidgetItem(value))
        self.content.resizeColumnToContents(0)
        self.content.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        layout.addWidget(self.content, 1)
        self.note = QPlainTextEdit(str(initial.get("note", "")))
        self.note.setMaximumHeight(60)
        layout.addWidget(QLabel("备注："))
        layout.addWidget(self.note)
        self.files: list[Path] = []
        if not editing:
            evidence_row = QHBoxLayout()
            self.file_list = QListWidget()
            self.file_list.setMaximumHeight(70)
            add = QPushButton("添加照片/扫描件…")
            add.clicked.connect(self.add_files)
            evidence_row.addWidget(QLabel("公示证据："))
            evidence_row.addWidget(self.file_list, 1)
            evidence_row.addWidget(add)
            layout.addLayout(evidence_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def add_files(self) -> None:
        for path in choose_evidence_files(self, self.book):
            self.files.append(path)
            self.file_list.addItem(path.name)

    def values(self) -> dict[str, Any]:
        """What the user entered, as the operation's keyword arguments (files as (name, bytes))."""
        content = {}
        for row in range(self.content.rowCount()):
            key, value = self.content.item(row, 0), self.content.item(row, 1)
            if key is not None:
                content[key.text()] = value.text() if value is not None else ""
        return {
            "title": self.title.text(), "place": str(self.place.currentData()), "location": self.location.text(),
            "start_date": _iso(self.start), "end_date": None if self.open_ended.isChecked() else _iso(self.end),
            "publisher": self.publisher.text(), "phones": self.phones.text(), "content": content,
            "note": self.note.toPlainText(), "evidence": [read_evidence(self.book, p) for p in self.files],
        }



class FeedbackDialog(GuardedDialog):
    """登记群众反映: who, when, how, what."""

    def __init__(self, parent: QWidget | None, today: dt.date) -> None:
        super().__init__(parent)
        self.setWindowTitle("登记群众反映")
        form = QFormLayout(self)
        self.day = _date_edit(today.isoformat())
        self.person = QLineEdit()
        self.person.setPlaceholderText("反映人姓名，或“匿名”")
        self.channel = QComboBox()
        self.channel.setEditable(True)
        self.channel.addItems(["来访", "电话", "12317 转办", "信件", "网上留言"])
        self.content = QPlainTextEdit()
        form.addRow("反映日期", self.day)
        form.addRow("反映人", self.person)
        form.addRow("反映方式", self.channel)
        form.addRow("反映内容", self.content)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {"received_date": _iso(self.day), "person": self.person.text(),
                "channel": self.channel.currentText(), "content": self.content.toPlainText()}


class HandlingDialog(GuardedDialog):
    """登记处理情况 of one piece of feedback."""

    def __init__(self, parent: QWidget | None, today: dt.date, about: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("登记处理情况")
        form = QFormLayout(self)
        form.addRow("反映内容", QLabel(about))
        self.day = _date_edit(today.isoformat())
        self.handling = QPlainTextEdit()
        self.resolved = QCheckBox("已办结")
        self.resolved.setChecked(True)
        form.addRow("处理日期", self.day)
        form.addRow("处理情况", self.handling)
        form.addRow("", self.resolved)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {"handled_date": _iso(self.day), "handling": self.handling.toPlainText(),
                "resolved": self.resolved.isChecked()}
