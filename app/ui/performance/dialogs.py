"""Dialogs of the 绩效目标 tab: a goal, a month's monitoring values, a decision on deviation, the self-evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from app.models.performance import goals as performance
from app.models.store.book import Book
from app.models.values import money
from app.ui.dashboard.dialogs import FormDialog, date_edit, date_of


class GoalDialog(FormDialog):
    """一级 and 二级 from the rule set's tree; 三级 name, comparator, target and unit as the unit wrote them."""

    def __init__(self, parent: QWidget | None, book: Book, goal: dict[str, Any] | None = None) -> None:
        super().__init__(parent, "修改绩效指标" if goal else "新增绩效指标",
                         "目标值应为数值并填写计量单位；写成“明显提高”等文字的目标会被标为不规范（预警 W2）。")
        self.book = book
        self.level1 = QComboBox()
        for c in book.rules.performance.classes:
            self.level1.addItem(c.name, c.code)
        self.level2 = QComboBox()
        self.level1.currentIndexChanged.connect(self._fill_level2)
        self.name = QLineEdit(goal["name"] if goal else "")
        self.comparator = QComboBox()
        for comp in book.rules.performance.comparators:
            self.comparator.addItem(f"{comp.symbol}（{comp.name}）", comp.code)
        self.target = QLineEdit(goal["target"] if goal else "")
        self.unit = QLineEdit(goal["unit"] if goal else "")
        self.unit.setPlaceholderText("如：座、公里、户、%、元")
        self.set_on = date_edit(book.today())
        if goal:
            self.level1.setCurrentIndex(max(self.level1.findData(goal["level1"]), 0))
            self.comparator.setCurrentIndex(max(self.comparator.findData(goal["comparator"]), 0))
        self._fill_level2()
        if goal:
            self.level2.setCurrentIndex(max(self.level2.findData(goal["level2"]), 0))
        for label, widget in (("一级指标", self.level1), ("二级指标", self.level2), ("三级指标", self.name),
                              ("比较符", self.comparator), ("目标值", self.target), ("计量单位", self.unit)):
            self.form.addRow(label, widget)
        if goal is None:
            self.form.addRow("设定日期（随资金下达之日）", self.set_on)

    def _fill_level2(self) -> None:
        code = self.level1.currentData()
        self.level2.clear()
        for c in self.book.rules.performance.classes:
            if c.code == code:
                for s in c.subclasses:
                    self.level2.addItem(s.name, s.code)

    def fields(self) -> dict[str, object]:
        return {"level1": self.level1.currentData(), "level2": self.level2.currentData(), "name": self.name.text(),
                "comparator": self.comparator.currentData(), "target": self.target.text(), "unit": self.unit.text()}

    def values(self) -> dict[str, Any]:
        return {"fields": self.fields(), "set_on": date_of(self.set_on)}


class MonthDialog(FormDialog):
    """One month's values for every goal of a project: 实际完成值, 预计全年完成值, 偏差原因."""

    def __init__(self, parent: QWidget | None, book: Book, project: str, goals: list[dict[str, Any]]) -> None:
        super().__init__(parent, "录入月度监控值", f"{project}：填写截至该月末的实际完成值；预计全年完成值未达目标的将标为偏离。")
        self.setMinimumWidth(900)
        self.goals = goals
        today = book.today()
        self.month = QLineEdit(f"{today.year:04d}-{today.month:02d}")
        self.form.addRow("月份（YYYY-MM）", self.month)
        self.table = QTableWidget(len(goals), 5)
        self.table.setHorizontalHeaderLabels(["三级指标", "目标", "实际完成值", "预计全年完成值", "偏差原因及说明"])
        for i, g in enumerate(goals):
            for j, text in enumerate((g["name"], g["target_text"], g.get("actual", ""), g.get("forecast", ""), "")):
                self.table.setItem(i, j, QTableWidgetItem(str(text)))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.form.addRow(self.table)

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def values(self) -> dict[str, Any]:
        rows: dict[int, tuple[str, str, str]] = {}
        for i, g in enumerate(self.goals):
            cells = [self._cell(i, j) for j in (2, 3, 4)]
            if cells[0]:
                rows[int(g["id"])] = (cells[0], cells[1], cells[2])
        return {"month": self.month.text().strip(), "values": rows}


class DecisionDialog(FormDialog):
    def __init__(self, parent: QWidget | None, book: Book, project: str, goals: list[dict[str, Any]]) -> None:
        super().__init__(parent, "记录处理决定", f"{project}：绩效目标偏离时的纠偏措施，或暂缓拨付、收回资金的决定。")
        self.kind = QComboBox()
        for code, name in performance.DECISION_KINDS.items():
            self.kind.addItem(name, code)
        self.goal = QComboBox()
        self.goal.addItem("（整个项目）", None)
        for g in goals:
            self.goal.addItem(g["name"], g["id"])
        self.day = date_edit(book.today())
        self.doc_no = QLineEdit()
        self.amount = QLineEdit("0")
        self.measures = QPlainTextEdit()
        for label, widget in (("处理方式", self.kind), ("针对指标", self.goal), ("决定日期", self.day),
                              ("决定文号", self.doc_no), ("涉及金额（元）", self.amount), ("处理措施", self.measures)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        return {"kind": str(self.kind.currentData()), "goal_id": self.goal.currentData(), "decided_on": date_of(self.day),
                "doc_no": self.doc_no.text(), "amount": money.parse(self.amount.text() or "0", field="涉及金额"),
                "measures": self.measures.toPlainText()}


class EvaluationDialog(FormDialog):
    def __init__(self, parent: QWidget | None, book: Book, project: str, year: int) -> None:
        super().__init__(parent, "年度绩效自评", f"{project}：年度结束后对照绩效目标自评，结果作为下一年度安排资金的参考。")
        self.year = QSpinBox()
        self.year.setRange(2000, book.today().year)
        self.year.setValue(min(year, book.today().year))
        self.score = QLineEdit()
        self.score.setPlaceholderText("0～100，可保留一位小数")
        self.report = QPlainTextEdit()
        self.report.setPlaceholderText("目标完成情况、偏离原因、存在问题和改进措施")
        self.day = date_edit(book.today())
        for label, widget in (("评价年度", self.year), ("自评得分", self.score), ("自评报告", self.report),
                              ("评价日期", self.day)):
            self.form.addRow(label, widget)

    def values(self) -> dict[str, Any]:
        day: dt.date | None = date_of(self.day)
        return {"year": self.year.value(), "score": self.score.text(), "report": self.report.toPlainText(),
                "evaluated_on": day}
