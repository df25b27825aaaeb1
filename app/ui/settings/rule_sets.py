"""基础设置 → 规则集: which rule set each fiscal year uses and why; the chief assigns one, with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.models.rules import diff as rules_diff
from app.models.rules import load as rules_load
from app.models.store import rule_sets
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, can, fill_when_shown


class RuleSetsPage(QWidget):
    COLUMNS = [Column("year", "年度"), Column("rule_set", "规则集"), Column("version", "版本"), Column("name", "名称"),
               Column("basis", "依据"), Column("since", "指派"), Column("reason", "理由"), Column("set_by", "指派人"),
               Column("set_at", "时间"), Column("state", "状态")]

    def __init__(self, book: Book, *, lazy: bool = False) -> None:
        """`lazy`: the years and the shipped rule sets (every rule file parsed) are read when first shown."""
        super().__init__()
        self.book = book
        layout = QVBoxLayout(self)
        note = QLabel("每个年度的资金按该年度的规则集检查、预警、公示和编报（支付按指标年度）。某年度起改用另一规则集须由局长"
                      "写明理由，记入审计日志；已有签发（结账）月份的年度不能再改。两个规则集的差异见 docs/规则集.md。")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.model = LazyTableModel(self.COLUMNS, ListSource([]))
        self.table = DataTable(self.model)
        layout.addWidget(self.table, 3)
        row = QHBoxLayout()
        self.year = QSpinBox()
        self.year.setRange(rule_sets.FIRST_YEAR, rule_sets.LAST_YEAR)
        self.year.setValue(book.today().year)
        self.year.setPrefix("自 ")
        self.year.setSuffix(" 年起")
        self.choice = QComboBox()
        self.file: Path | None = None
        pick = QPushButton("从文件载入…")
        pick.clicked.connect(self.pick_file)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("理由（必填，如所依据的文件：财农〔2021〕19号）")
        self.assign_button = QPushButton("指派")
        self.assign_button.clicked.connect(self.assign)
        compare = QPushButton("与该年度现用规则集比较")
        compare.clicked.connect(self.compare)
        for w in (self.year, self.choice, pick, self.reason, self.assign_button, compare):
            row.addWidget(w)
        layout.addLayout(row)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("比较结果（逐项列出两个规则集的不同）")
        layout.addWidget(self.detail, 2)
        allowed = can(book, "assign_rule_set")
        for w in (self.assign_button, pick, self.reason):
            w.setEnabled(allowed)
        if lazy:
            fill_when_shown(self, self.fill)
        else:
            self.fill()

    def fill(self) -> None:
        """The years' assignments and the shipped rule sets to choose from (each rule file parsed)."""
        self.reload()
        for rid in rules_load.shipped_ids():
            r = rules_load.load_named(rid)
            self.choice.addItem(f"{r.id} {r.meta.version} {r.name}", rid)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for y in rule_sets.years(self.book):
            state = "已有签发月份，不能更改" if y["locked"] else "可以更改"
            if y["changed"]:
                state += "；程序附带的规则文件已更新（与指派时不同）"
            if y["newer"]:
                state += f"；程序附带 {y['rule_set']} 的新版本（{y['newer']}），本年度仍按指派时的文本，可重新指派"
            out.append(y | {"since": f"自 {y['from_year']} 年起" if y["from_year"] else "", "state": state})
        return out

    def reload(self) -> None:
        self.model.reload(ListSource(self.rows()))

    def pick_file(self) -> None:
        chosen = dialogs.choose_path(self, "open", "选择本单位的规则文件", "规则文件 (*.toml)")
        if chosen is None:
            return
        self.file = chosen
        self.choice.addItem(f"文件：{self.file.name}", f"file:{self.file}")
        self.choice.setCurrentIndex(self.choice.count() - 1)

    def _chosen(self) -> tuple[str, Path | None]:
        data = str(self.choice.currentData())
        return ("", Path(data[5:])) if data.startswith("file:") else (data, None)

    def assign(self) -> None:
        rule_set, path = self._chosen()
        if ops.run_op(self, self.book, lambda: rule_sets.assign(
                self.book, from_year=self.year.value(), rule_set=rule_set, reason=self.reason.text(), path=path),
                done="已指派规则集"):
            self.reason.clear()
            self.reload()

    def compare(self) -> None:
        rule_set, path = self._chosen()
        try:
            other = rules_load.load(path) if path else rules_load.load_named(rule_set)
        except rules_load.RuleSetError as exc:
            self.detail.setPlainText(str(exc))
            return
        current = self.book.rules_for(self.year.value())
        found = rules_diff.diff(current, other)
        head = f"{self.year.value()} 年现用 {current.label} → {other.label}：共 {len(found)} 处不同\n"
        self.detail.setPlainText(head + "\n".join(f"【{d.section}】{d.text()}" for d in found))
