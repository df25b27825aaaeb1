"""更正指标 dialog: the selected 指标's correctable fields and stage dates, filled in as recorded, and the reason
(required). OK runs `ledger.corrections.correct`; a refusal (no reason, dates out of order, a closed month)
is shown and the dialog stays open with what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.models.ledger import corrections, deadlines
from app.models.store.book import Book
from app.models.values import money
from app.ui.ledger.dialogs import DateField, OpDialog


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


class CorrectionDialog(OpDialog):
    def __init__(self, book: Book, indicator: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent, f"更正指标 — {indicator['doc_no']}")
        self.book, self.indicator = book, indicator
        self.resize(620, 560)
        ind = indicator
        self.form.addRow(QLabel(f"{ind['year']} 年　{ind['kind_name']}·{ind['item_name']}　{money.format(int(ind['amount']))} 元"
                                f"　收到 {ind['received_date']}\n金额、资金类别、级次、收到日期已记入专账，不在此更正"
                                "（金额录错请用“调减/收回”）。已签发结账月份收到的指标不能更正。"))
        self.doc_no = QLineEdit(str(ind["doc_no"]))
        self.title = QLineEdit(str(ind["title"] or ""))
        self.upper = DateField(_day(ind["upper_doc_date"]), optional=True)
        self.prefecture = DateField(_day(ind["prefecture_doc_date"]), optional=True)
        self.func_code = QLineEdit(str(ind["func_code"] or ""))
        self.section = QLineEdit(str(ind["section"] or ""))
        self.note = QLineEdit(str(ind["note"] or ""))
        for label, widget in (("文号", self.doc_no), ("标题", self.title), ("上级文件日期", self.upper),
                              ("地州文件日期", self.prefecture), ("功能科目", self.func_code), ("业务股室", self.section),
                              ("备注", self.note)):
            self.form.addRow(label, widget)
        box = QGroupBox("上级各环节日期（后来得知的可在此补填）")
        events_form = QFormLayout(box)
        known = deadlines.event_dates(book, ind)
        covered = set(deadlines.column_events(book, ind).values())
        self.events: dict[str, DateField] = {}
        for e in book.rules.events:
            if e.code in deadlines.EXTERNAL_EVENTS or e.code in covered:
                continue
            self.events[e.code] = DateField(known.get(e.code), optional=True)
            events_form.addRow(e.name, self.events[e.code])
        self.form.addRow(box)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("必填，如：文号录错，按原件更正；地州文件后到，补填日期")
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(70)
        self.form.addRow("更正理由", self.reason)
        self.buttons.button(self.buttons.StandardButton.Ok).setText("更正")
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("取消")

    def values(self) -> dict[str, Any]:
        return {
            "reason": self.reason.toPlainText(),
            "fields": {"doc_no": self.doc_no.text(), "title": self.title.text(), "upper_doc_date": self.upper.value(),
                       "prefecture_doc_date": self.prefecture.value(), "func_code": self.func_code.text().strip(),
                       "section": self.section.text(), "note": self.note.text()},
            "events": {c: f.value() for c, f in self.events.items() if f.value() is not None},
        }

    def run(self) -> dict[str, list[Any]]:
        return corrections.correct(self.book, indicator_id=int(self.indicator["id"]), **self.values())
