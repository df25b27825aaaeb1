"""Dialogs of the 专账 tab: register an indicator, reduce it, a manual entry, a section's month figures.

Each dialog runs its models operation on OK and stays open when the input is refused, so the
clerk corrects the named field instead of typing everything again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.models.ledger import account as ledger
from app.models.ledger import catalogue, classification, deadlines, indicators, reconcile
from app.models.ledger import common as lc
from app.models.ledger import query as ledger_query
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import AppError
from app.ui.kit import dialogs, forms

BLANK = QDate(2000, 1, 1)


class DateField(QDateEdit):
    """A date box; an optional one shows 未填 at its minimum and returns None."""

    def __init__(self, value: dt.date | None = None, *, optional: bool = False) -> None:
        super().__init__()
        self.optional = optional
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        if optional:
            self.setMinimumDate(BLANK)
            self.setSpecialValueText("未填")
        self.set_value(value)

    def set_value(self, value: dt.date | None) -> None:
        self.setDate(QDate(value.year, value.month, value.day) if value else (BLANK if self.optional else QDate.currentDate()))

    def value(self) -> dt.date | None:
        if self.optional and self.date() == BLANK:
            return None
        result = self.date().toPython()
        assert isinstance(result, dt.date)
        return result


class OpDialog(QDialog):
    """OK runs `run()`; an AppError is shown and the dialog stays open."""

    result_value: Any = None

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        outer = QVBoxLayout(self)
        outer.addLayout(self.form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.error: AppError | None = None

    def run(self) -> Any:
        """Each dialog performs its one models operation here; the base class has none to perform."""
        raise TypeError(f"{type(self).__name__} must define run()")

    def accept(self) -> None:
        try:
            self.result_value = self.run()
        except AppError as exc:
            self.error = exc
            dialogs.error(self, exc)
            forms.focus_field(self, exc)  # back to the field the error names, with what was typed
            return
        self.error = None
        super().accept()


def _money(text: str, field: str = "金额") -> int:
    return money.parse(text, field=field, allow_zero=False)


class ScanPicker(QWidget):
    """选择扫描件…: the file's name and bytes, read when chosen."""

    def __init__(self) -> None:
        super().__init__()
        self.scan: tuple[str, bytes] | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("未选择（PDF 或图片）")
        pick = QPushButton("选择扫描件…")
        pick.clicked.connect(self.pick)
        row.addWidget(self.label, 1)
        row.addWidget(pick)

    def pick(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "选择扫描件", "", "扫描件 (*.pdf *.jpg *.jpeg *.png)")
        if name:
            self.set_file(Path(name).name, Path(name).read_bytes())

    def set_file(self, name: str, data: bytes) -> None:
        self.scan = (name, data)
        self.label.setText(f"{name}（{len(data) / 1024:.0f} KB）")


class IndicatorDialog(OpDialog):
    """登记指标: every field of DOMAIN §3, the optional upstream dates, and the scan."""

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent, "登记指标（收到的资金文件）")
        self.book = book
        today = book.today()
        self.doc_no = QLineEdit()
        self.doc_no.setPlaceholderText("例如 新财农〔2026〕12号")
        self.title = QLineEdit()
        self.title.setPlaceholderText("文件标题或资金名称")
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(today.year)
        self.kind = QComboBox()
        for k in catalogue.kinds(book, year=today.year):  # named as the indicator's year's rule set names them
            self.kind.addItem(f"{k['code']} {k['name']}", k["code"])
        self.item = QComboBox()
        self.source = QComboBox()
        for s in book.rules.source_levels:
            self.source.addItem(s.name, s.code)
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("元，例如 1,234,567.89")
        self.upper = DateField(optional=True)
        self.prefecture = DateField(optional=True)
        self.received = DateField(today)
        self.func_code = QComboBox()
        self.func_code.setEditable(True)
        self.func_code.addItem("", "")
        listed = classification.load()
        for f in book.rules.functional_codes:
            self.func_code.addItem(f"{f.code} {f.name_in(today.year)}", f.code)
        for code, name in listed.functional.items():  # the rest of the 2019 list (rule-set names come first)
            if self.func_code.findData(code) < 0:
                self.func_code.addItem(f"{code} {name}", code)
        self.econ_code = QComboBox()
        self.econ_code.setEditable(True)
        self.econ_code.addItem("", "")
        for code, name in listed.economic.items():
            self.econ_code.addItem(f"{code} {name}", code)
        self.section = QComboBox()
        self.section.setEditable(True)
        for name in ledger_query.section_choices(book):
            self.section.addItem(name)
        self.poverty = QCheckBox("用于脱贫攻坚（按扶贫资金管理）")
        self.poverty.setChecked(True)
        self.scan = ScanPicker()
        self.note = QLineEdit()
        for label, widget in (("文号", self.doc_no), ("标题", self.title), ("年度", self.year), ("资金大类", self.kind),
                              ("资金项目", self.item), ("资金级次", self.source), ("金额", self.amount),
                              ("上级文件日期", self.upper), ("地州文件日期", self.prefecture), ("收到日期", self.received),
                              ("功能科目", self.func_code), ("经济分类", self.econ_code), ("业务股室", self.section),
                              ("", self.poverty),
                              ("扫描件", self.scan), ("备注", self.note)):
            self.form.addRow(label, widget)
        box = QGroupBox("上级各环节日期（可选：填写后核对上级下达是否超时）")
        events_form = QFormLayout(box)
        self.events: dict[str, DateField] = {}
        for e in book.rules.events:
            if e.code in deadlines.EXTERNAL_EVENTS:
                continue
            self.events[e.code] = DateField(optional=True)
            events_form.addRow(e.name, self.events[e.code])
        self.form.addRow(box)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.year.valueChanged.connect(self._year_changed)
        self.item.currentIndexChanged.connect(self._event_rows)
        self.source.currentIndexChanged.connect(self._event_rows)
        self._kind_changed()

    def _year_changed(self) -> None:
        """Another budget year: the kinds and items as that year's rule set names them (xj-2021: 衔接资金)."""
        names = {str(k["code"]): str(k["name"]) for k in catalogue.kinds(self.book, year=self.year.value())}
        for i in range(self.kind.count()):
            code = str(self.kind.itemData(i))
            self.kind.setItemText(i, f"{code} {names.get(code, '')}")
        chosen = self.item.currentData()
        self._kind_changed()
        found = self.item.findData(chosen)
        if found >= 0:
            self.item.setCurrentIndex(found)

    def _kind_changed(self) -> None:
        kind = str(self.kind.currentData())
        self.item.clear()
        for it in catalogue.items(self.book, kind=kind, active_only=True, year=self.year.value()):
            self.item.addItem(f"{it['code']} {it['name']}", it["code"])
        optional = any(k.code == kind and k.poverty_use_optional for k in self.book.rules.kinds)
        self.poverty.setVisible(optional)
        self._event_rows()

    def _event_rows(self) -> None:
        """Hide the event boxes the main date fields already record, for this kind and level."""
        probe = {"kind": self.kind.currentData(), "item": self.item.currentData() or "",
                 "source_level": self.source.currentData(), "poverty_use": 1}
        covered = set(deadlines.column_events(self.book, probe).values())
        for code, field in self.events.items():
            field.setEnabled(code not in covered)

    def values(self) -> dict[str, Any]:
        return {
            "doc_no": self.doc_no.text(), "year": self.year.value(), "kind": str(self.kind.currentData() or ""),
            "item": str(self.item.currentData() or ""), "source_level": str(self.source.currentData() or ""),
            "amount": _money(self.amount.text()), "received_date": self.received.value(),
            "upper_doc_date": self.upper.value(), "prefecture_doc_date": self.prefecture.value(),
            "func_code": _code(self.func_code), "econ_code": _code(self.econ_code), "section": self.section.currentText(), "title": self.title.text(),
            "scan": self.scan.scan, "poverty_use": self.poverty.isChecked() or self.poverty.isHidden(),
            "extra_events": {c: f.value() for c, f in self.events.items() if f.isEnabled() and f.value()},
            "note": self.note.text(),
        }

    def run(self) -> int:
        return indicators.register(self.book, **self.values())


def _code(box: QComboBox) -> str:
    data = box.currentData()
    if data and box.currentText().startswith(str(data)):
        return str(data)
    return box.currentText().split(" ")[0].strip()


class ReductionDialog(OpDialog):
    """调减/收回 of the selected indicator: its own dated record."""

    def __init__(self, book: Book, indicator: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent, "指标调减/收回")
        self.book, self.indicator = book, indicator
        self.form.addRow("指标", QLabel(f"{indicator['doc_no']} {indicator['title']}（可调减余额 "
                                        f"{money.format(int(indicator['available']))} 元）"))
        self.kind = QComboBox()
        for code, name in lc.REDUCTION_KINDS.items():
            self.kind.addItem(name, code)
        self.doc_no = QLineEdit()
        self.doc_no.setPlaceholderText("调减/收回文件的文号")
        self.day = DateField(book.today())
        self.amount = QLineEdit()
        self.reason = QLineEdit()
        self.scan = ScanPicker()
        for label, widget in (("类型", self.kind), ("调减文号", self.doc_no), ("调减日期", self.day), ("金额", self.amount),
                              ("理由", self.reason), ("扫描件", self.scan)):
            self.form.addRow(label, widget)

    def run(self) -> int:
        return indicators.reduce(
            self.book, indicator_id=int(self.indicator["id"]), kind=str(self.kind.currentData()),
            doc_no=self.doc_no.text(), reduction_date=self.day.value() or self.book.today(),
            amount=_money(self.amount.text()), reason=self.reason.text(), scan=self.scan.scan)


class ManualEntryDialog(OpDialog):
    """手工记账: 退回 (a payee pays back) or 缴回 (paid back upward), with the voucher number."""

    def __init__(self, book: Book, indicator: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent, "手工记账（退回/缴回）")
        self.book, self.indicator = book, indicator
        self.form.addRow("指标", QLabel(f"{indicator['doc_no']} {indicator['title']}（已支出 "
                                        f"{money.format(int(indicator['paid']))} 元，可用余额 "
                                        f"{money.format(int(indicator['available']))} 元）"))
        self.kind = QComboBox()
        for code in lc.MANUAL_TYPES:
            self.kind.addItem({"refund": "退回（收款人退回已付款，冲减支出）",
                               "return": "缴回（结余资金缴回上级或国库，冲减收入）"}[code], code)
        self.day = DateField(book.today())
        self.voucher = QLineEdit()
        self.amount = QLineEdit()
        self.summary = QLineEdit()
        self.summary.setPlaceholderText("写明退回或缴回的原因")
        for label, widget in (("记账类型", self.kind), ("记账日期", self.day), ("凭证号", self.voucher),
                              ("金额", self.amount), ("摘要", self.summary)):
            self.form.addRow(label, widget)

    def run(self) -> int:
        return ledger.post_manual(
            self.book, indicator_id=int(self.indicator["id"]), entry_type=str(self.kind.currentData()),
            amount=_money(self.amount.text()), entry_date=self.day.value() or self.book.today(),
            voucher_no=self.voucher.text(), summary=self.summary.text())


class SectionFiguresDialog(OpDialog):
    """录入分管台账月数: what a business section's own ledger shows for the month."""

    def __init__(self, book: Book, month: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, f"录入 {month} 分管台账数")
        self.book, self.month = book, month
        self.section = QComboBox()
        self.section.setEditable(True)
        for name in ledger_query.section_choices(book):
            self.section.addItem(name)
        if book.user and book.user.section:
            self.section.setCurrentText(book.user.section)
        self.income = QLineEdit("0.00")
        self.expenditure = QLineEdit("0.00")
        self.note = QLineEdit()
        for label, widget in (("业务股室", self.section), ("本月收到指标金额", self.income),
                              ("本月支出金额", self.expenditure), ("备注", self.note)):
            self.form.addRow(label, widget)

    def run(self) -> None:
        reconcile.record_section_figures(
            self.book, month=self.month, section=self.section.currentText(),
            income=money.parse(self.income.text(), field="分管台账收入"),
            expenditure=money.parse(self.expenditure.text(), field="分管台账支出"), note=self.note.text())
