"""项目计划 dialogs: the project editor (every field of DOMAIN §4.0 and its funding lines) and the
leading group's decision (审定 / 调整). Tests stand in for the user through each class's `answer` hook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.ledger import catalogue
from app.models.plan import fields as pf
from app.models.plan import projects
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import ValidationError
from app.ui.kit.forms import GuardedDialog


def date_edit(value: object = None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)) if value else dt.date.today()
    edit.setDate(QDate(day.year, day.month, day.day))
    return edit


def iso(edit: QDateEdit) -> str:
    return edit.date().toString("yyyy-MM-dd")


class Answerable(GuardedDialog):
    """A form: `submit(book, operation)` (kit.forms) keeps it open until the operation succeeds; `ask()` only
    shows it (a form whose values feed a second form before anything runs). `answer(dialog) -> bool` replaces
    exec() in tests: fill the widgets, return whether to accept."""

    answer: ClassVar[Callable[[Any], bool] | None] = None

    def ask(self) -> bool:
        hook = type(self).answer
        if hook is not None:
            return bool(hook(self))
        return self.exec() == QDialog.DialogCode.Accepted


def _combo(entries: tuple[Any, ...], current: object = None) -> QComboBox:
    box = QComboBox()
    for e in entries:
        box.addItem(e.name, e.code)
    if current is not None:
        box.setCurrentIndex(max(0, box.findData(current)))
    return box


class ProjectDialog(Answerable):
    """All the fields of a project on three pages, and its funding lines; values() feeds the models."""

    def __init__(self, parent: QWidget | None, book: Book, project: dict[str, Any] | None = None,
                 title: str = "") -> None:
        super().__init__(parent)
        self.book = book
        self.setWindowTitle(title or ("修改项目" if project else "新增项目"))
        self.resize(760, 620)
        p = project or {}
        r = book.rules
        self.code = QLineEdit(str(p.get("code", "")))
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(int(p.get("year") or book.today().year))
        self.name = QLineEdit(str(p.get("name", "")))
        self.category = _combo(r.project_categories, p.get("category"))
        self.construction = _combo(r.construction_types, p.get("construction_type"))
        self.township = QLineEdit(str(p.get("township", "")))
        self.village = QLineEdit(str(p.get("village", "")))
        self.content = QPlainTextEdit(str(p.get("content", "")))
        self.subsidy = QLineEdit(str(p.get("subsidy_standard", "")))
        self.start = date_edit(p.get("start_date") or book.today())
        self.end = date_edit(p.get("end_date") or dt.date(book.today().year, 12, 31))
        self.implementer = QLineEdit(str(p.get("implementer", "")))
        self.responsible = QLineEdit(str(p.get("responsible", "")))
        self.goals = QPlainTextEdit(str(p.get("perf_goals", "")))
        self.mechanism = QPlainTextEdit(str(p.get("mechanism", "")))
        self.counts = {}
        for key in ("households", "persons", "poor_households", "poor_persons"):
            spin = QSpinBox()
            spin.setRange(0, 10_000_000)
            spin.setValue(int(p.get(key) or 0))
            self.counts[key] = spin
        self.infra = QCheckBox("基础建设类（预付款按合同金额 30% 核对）")
        self.infra.setChecked(bool(p.get("infrastructure")))
        self.relief = QCheckBox("以工代赈项目（核对劳务报酬占比）")
        self.relief.setChecked(bool(p.get("work_relief")))
        self.contract = QLineEdit(money.format(int(p["contract_amount"])) if p.get("contract_amount") else "")
        self.retention = QLineEdit(f"{int(p.get('retention_bp') or 0) / 100:g}" if p.get("retention_bp") else "")
        self.retention.setPlaceholderText(f"百分数，不超过 {pf.percent(r.ratios.retention.value)}")
        self.bond = QComboBox()
        self.bond.addItem("（非债券资金项目）", None)
        for item in (i for k in r.kinds for i in k.items):
            if r.is_bond(item.kind, item.code):
                self.bond.addItem(f"{item.code} {item.name}", item.code)
        for row in sorted(catalogue.items(book, active_only=True), key=lambda i: str(i["code"])):
            if r.is_bond(str(row["kind"]), str(row["code"])) and self.bond.findData(row["code"]) < 0:
                self.bond.addItem(f"{row['code']} {row['name']}", row["code"])
        self.bond.setCurrentIndex(max(0, self.bond.findData(p.get("bond_item"))))
        self.asset = _combo(r.asset_types, p.get("asset_type"))
        self.exception = QLineEdit(str(p.get("usage_exception_doc", "")))
        self.exception.setPlaceholderText("脱贫摘帽县整合资金例外使用的领导小组决定文号（没有则不填）")
        self.note = QLineEdit(str(p.get("note", "")))
        pages = QTabWidget()
        pages.addTab(self._page([("项目编号", self.code), ("年度", self.year), ("项目名称", self.name),
                                 ("项目类别", self.category), ("建设性质", self.construction), ("乡镇", self.township),
                                 ("村", self.village), ("建设任务/内容", self.content), ("补助标准", self.subsidy),
                                 ("开工日期", self.start), ("完工日期", self.end), ("实施单位", self.implementer),
                                 ("责任人", self.responsible)]), "基本信息")
        pages.addTab(self._page([("绩效目标", self.goals), ("带贫减贫机制", self.mechanism),
                                 ("受益户数", self.counts["households"]), ("受益人数", self.counts["persons"]),
                                 ("其中脱贫户/监测户数", self.counts["poor_households"]),
                                 ("其中脱贫/监测人数", self.counts["poor_persons"])]), "受益与绩效")
        pages.addTab(self._page([("", self.infra), ("", self.relief), ("合同金额（元）", self.contract),
                                 ("质保金比例（%）", self.retention), ("申报债券项目", self.bond), ("资产类型", self.asset),
                                 ("例外使用决定文号", self.exception), ("备注", self.note)]), "合同与资产")
        pages.addTab(self._funding_page(project), "资金来源")
        layout = QVBoxLayout(self)
        layout.addWidget(pages)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b71c1c")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    @staticmethod
    def _page(rows: list[tuple[str, QWidget]]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for label, widget in rows:
            if label:
                form.addRow(label, widget)
            else:
                form.addRow(widget)
        return page

    def _funding_page(self, project: dict[str, Any] | None) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("每个指标安排给本项目的金额不能超过该指标尚未安排的金额；债券资金只能安排给申报该债券项目的项目。"))
        self.lines = QTableWidget(0, 3)
        self.lines.setHorizontalHeaderLabels(["指标", "尚未安排（元）", "安排金额（元）"])
        self.lines.horizontalHeader().setStretchLastSection(True)
        self.lines.setColumnWidth(0, 380)
        layout.addWidget(self.lines)
        bar = QHBoxLayout()
        self.pick = QComboBox()
        self.choices: dict[int, dict[str, Any]] = {}
        for ind in projects.indicator_choices(self.book):
            self.choices[int(ind["id"])] = ind
            self.pick.addItem(f"{ind['doc_no']}　{ind['item_name']}（{ind['year']}，尚未安排 {money.format(ind['unplanned'])} 元）",
                              int(ind["id"]))
        add = QPushButton("添加指标")
        add.clicked.connect(lambda: self.add_line(int(self.pick.currentData()), ""))
        remove = QPushButton("删除选中行")
        remove.clicked.connect(lambda: self.lines.removeRow(self.lines.currentRow()))
        bar.addWidget(self.pick, 1)
        bar.addWidget(add)
        bar.addWidget(remove)
        layout.addLayout(bar)
        if project:
            for line in projects.funding_lines(self.book, int(project["id"])):
                self.add_line(int(line["indicator_id"]), money.format(int(line["amount"])))
        return page

    def add_line(self, indicator_id: int, amount: str) -> None:
        for row in range(self.lines.rowCount()):
            item = self.lines.item(row, 0)
            if item is not None and item.data(256) == indicator_id:
                return
        ind = self.choices.get(indicator_id)
        row = self.lines.rowCount()
        self.lines.insertRow(row)
        label = QTableWidgetItem(f"{ind['doc_no']}　{ind['item_name']}" if ind else f"#{indicator_id}")
        label.setData(256, indicator_id)
        self.lines.setItem(row, 0, label)
        self.lines.setItem(row, 1, QTableWidgetItem(money.format(projects.unplanned(self.book, indicator_id))))
        self.lines.setItem(row, 2, QTableWidgetItem(amount))

    def funding(self) -> list[tuple[int, int]]:
        out = []
        for row in range(self.lines.rowCount()):
            item, amount = self.lines.item(row, 0), self.lines.item(row, 2)
            label = item.text() if item else ""
            out.append((int(item.data(256)) if item else 0,
                        money.parse(amount.text() if amount else "", field=f"资金来源 {label} 的安排金额", allow_zero=False)))
        return out

    def values(self) -> dict[str, object]:
        return {
            "code": self.code.text(), "year": self.year.value(), "name": self.name.text(),
            "category": self.category.currentData(), "construction_type": self.construction.currentData(),
            "township": self.township.text(), "village": self.village.text(), "content": self.content.toPlainText(),
            "subsidy_standard": self.subsidy.text(), "start_date": iso(self.start), "end_date": iso(self.end),
            "implementer": self.implementer.text(), "responsible": self.responsible.text(),
            "perf_goals": self.goals.toPlainText(), "mechanism": self.mechanism.toPlainText(),
            **{k: s.value() for k, s in self.counts.items()},
            "infrastructure": self.infra.isChecked(), "work_relief": self.relief.isChecked(),
            "contract_amount": self.contract.text(), "retention_bp": self.retention.text(),
            "bond_item": self.bond.currentData(), "asset_type": self.asset.currentData(),
            "usage_exception_doc": self.exception.text(), "note": self.note.text(),
        }

    def _accept(self) -> None:
        """Check what can be checked here (formats, amounts); the operation checks the rest."""
        try:
            self.funding()
            _values, errors = pf.clean(self.book, self.values())
            if errors:
                raise pf.first_error(errors)
        except ValidationError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class DecisionDialog(Answerable):
    """The leading group's decision: 文号, date, title, and for 调整 the reason."""

    def __init__(self, parent: QWidget | None, book: Book, *, what: str, reason: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"登记领导小组决定 — {what}")
        form = QFormLayout(self)
        form.addRow(QLabel(what))
        self.doc_no = QLineEdit()
        self.doc_no.setPlaceholderText("例如 示扶组发〔2026〕1号")
        self.day = date_edit(book.today())
        self.title = QLineEdit()
        self.title.setPlaceholderText("例如 关于审定2026年度扶贫项目计划的决定")
        form.addRow("决定文号", self.doc_no)
        form.addRow("决定日期", self.day)
        form.addRow("决定标题", self.title)
        self.reason = QPlainTextEdit()
        if reason:
            self.reason.setPlaceholderText("调整的内容和理由（必填，保存在历史版本中）")
            form.addRow("调整理由", self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
