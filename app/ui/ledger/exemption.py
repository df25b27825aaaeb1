"""年末支出豁免 (issue #18 item 4): the region's (自治区) approval that part of an indicator's money may be paid
after the 31 October year-end day. The dialog records one (indicator, year, the region's document number and
date, the amount in 元, a reason) through `ledger.exemptions.record_year_end_exemption` and lists the year's
recorded exemptions below the form. A refusal (no document, a bad or non-positive amount, a date in the
future, more than the indicator) keeps the dialog open with what was typed and focuses the named field.

    dialog = ExemptionDialog(book, parent, year=2026, indicator_id=12)
    done = dialog.submit(book, dialog.record)
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.models.ledger import catalogue, exemptions
from app.models.ledger.indicator_query import IndicatorQuery
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import ValidationError
from app.ui.kit.forms import GuardedDialog
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable
from app.ui.ledger.dialogs import DateField

EXEMPTION_COLUMNS = [
    Column("indicator_doc", "指标文号", width=180), Column("kind_name", "资金大类", width=140), Column("year", "年度", "int"),
    Column("amount", "例外金额", "money"), Column("doc_no", "自治区审定文号", width=180), Column("doc_date", "审定日期", "date"),
    Column("reason", "说明", width=220),
]


class ExemptionDialog(GuardedDialog):
    """登记年末支出豁免 and the list of those recorded for the chosen year."""

    def __init__(self, book: Book, parent: QWidget | None = None, *, year: int | None = None,
                 indicator_id: int | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.setWindowTitle("年末支出豁免（自治区审定的 10 月 31 日后支付）")
        self.resize(860, 600)
        layout = QVBoxLayout(self)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        form = QFormLayout()
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(year or book.today().year)
        self.indicator = QComboBox()
        self.indicator.setMinimumWidth(480)
        self.doc_no = QLineEdit()
        self.doc_no.setPlaceholderText("例如 新财农〔2026〕200号（必填）")
        self.doc_date = DateField(book.today())
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("单位：元，例如 100,000.00")
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("例如：跨年实施的工程项目，尾款经自治区审定于次年支付")
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(64)
        form.addRow("年度", self.year)
        form.addRow("指标", self.indicator)
        form.addRow("自治区审定文号", self.doc_no)
        form.addRow("审定日期", self.doc_date)
        form.addRow("例外金额（元）", self.amount)
        form.addRow("说明", self.reason)
        layout.addLayout(form)
        self.list_title = QLabel()
        layout.addWidget(self.list_title)
        self.table = DataTable(LazyTableModel(EXEMPTION_COLUMNS, ListSource([])))
        layout.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("登记")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("关闭")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.year.valueChanged.connect(lambda _y: self.load_year())
        self.load_year(indicator_id)

    def load_year(self, indicator_id: int | None = None) -> None:
        """The chosen year's indicators to choose from and the exemptions already recorded for it."""
        year = self.year.value()
        end = self.book.rules_on(self.book.today()).spending.year_end(year)
        self.hint.setText(f"{year} 年资金原则上应于 {end.month} 月 {end.day} 日前支付完毕；特殊情况报自治区审定的，凭审定文件"
                          "在此登记（例外金额不超过指标净额，每条指标每年一条），预警 W5 自审定日期起不再把这部分金额计为"
                          "未支付。没有自治区审定文件不能登记。")
        keep = indicator_id if indicator_id is not None else self.indicator.currentData()
        self.indicator.clear()
        for r in IndicatorQuery(self.book, year=year).all():
            self.indicator.addItem(f"{r['doc_no']}　{r['title'] or ''}　{r['kind_name']}·{r['item_name']}"
                                   f"　指标 {money.format(int(r['amount']))} 元，可用 {money.format(int(r['available']))} 元", int(r["id"]))
        if keep is not None and self.indicator.findData(keep) >= 0:
            self.indicator.setCurrentIndex(self.indicator.findData(keep))
        rows = exemptions.year_end_exemptions(self.book, year)
        kinds = {str(k["code"]): str(k["name"]) for k in catalogue.kinds(self.book)}
        for r in rows:
            r["kind_name"] = kinds.get(str(r["kind"]), str(r["kind"]))
        total = sum(int(r["amount"]) for r in rows)
        self.list_title.setText(f"{year} 年已登记的年末支出豁免：{len(rows)} 项，合计 {money.format(total)} 元")
        self.table.lazy_model().reload(ListSource(rows))

    def values(self) -> dict[str, Any]:
        """What the form holds as the model's arguments; the amount is parsed here (a refusal names 例外金额)."""
        ind = self.indicator.currentData()
        if ind is None:
            raise ValidationError(f"{self.year.value()} 年没有可选的指标，请先登记指标或换一个年度", field="指标")
        return {"indicator_id": int(ind), "year": self.year.value(),
                "doc_no": self.doc_no.text(), "doc_date": self.doc_date.value(),
                "amount": money.parse(self.amount.text(), field="例外金额", allow_zero=False),
                "reason": self.reason.toPlainText()}

    def record(self) -> dict[str, Any]:
        """The operation 登记 runs (inside `submit`, so a refusal keeps the form open)."""
        return exemptions.record_year_end_exemption(self.book, **self.values())
