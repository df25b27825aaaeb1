"""年度计划数 (月报表1): one row per fund item, what the levels above have already issued, and the plan figure.

OK saves every changed figure in one operation (monthly.set_annual_plans): a figure below what is already issued
is refused with the item named, nothing is written, and the dialog stays open for the correction.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from app.models.reports import monthly
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import ValidationError
from app.ui.ledger.dialogs import OpDialog

HEADERS = ("资金大类", "资金项目", "已下达（元）", "年度计划数（元）")


class AnnualPlanDialog(OpDialog):
    """年度计划数: edit the fourth column; an empty cell leaves the item without a figure."""

    def __init__(self, book: Book, parent: QWidget | None = None, *, year: int | None = None) -> None:
        super().__init__(parent, "年度计划数（月报表1）")
        self.book = book
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(year or book.today().year)
        self.form.addRow("年度", self.year)
        note = QLabel("年度计划数不能少于该年度已下达（登记指标并扣除调减、收回、缴回）的金额；单位：元。")
        note.setWordWrap(True)
        self.form.addRow(note)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumSize(720, 360)
        self.form.addRow(self.table)
        self.rows: list[dict[str, Any]] = []
        self.year.valueChanged.connect(self.load)
        self.load()

    def load(self) -> None:
        self.rows = monthly.annual_plan_rows(self.book, year=self.year.value())
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            cells = (r["kind_name"], f"{r['item']} {r['item_name']}", money.format(r["issued"]),
                     "" if r["plan"] is None else money.format(r["plan"]))
            for j, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if j < 3:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if j >= 2:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, cell)

    def changes(self) -> dict[str, int]:
        """The figures typed in that differ from the stored ones (a blank cell left blank is no change)."""
        out: dict[str, int] = {}
        for i, r in enumerate(self.rows):
            item = self.table.item(i, 3)
            text = item.text().strip() if item else ""
            if not text:
                if r["plan"] is not None:
                    raise ValidationError(f"“{r['item_name']}”已填过年度计划数，不能清空（可改为新的金额）",
                                          field="年度计划数")
                continue
            amount = money.parse(text, field=f"{r['item_name']}的年度计划数", allow_zero=True)
            if amount != r["plan"]:
                out[str(r["item"])] = amount
        return out

    def run(self) -> int:
        plans = self.changes()
        if plans:
            monthly.set_annual_plans(self.book, year=self.year.value(), plans=plans)
        return len(plans)
