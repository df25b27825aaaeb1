"""The 预警清单 and 问题台账 pages of the 监控预警 tab: filter, open the object, handle, rectify."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.models.plan import projects
from app.models.store.book import Book
from app.models.values import money
from app.models.warnings import engine as warn
from app.models.warnings import problems
from app.models.warnings import query as warnings_query
from app.ui.dashboard.dialogs import HandleDialog, ListDialog, ProblemDialog, ProblemUpdateDialog, warning_detail
from app.ui.kit import dialogs, ops
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, can, focus_shortcut
from app.ui.shell import navigate

WARNING_COLUMNS = [
    Column("code", "类型"), Column("code_name", "预警名称"), Column("object_label", "对象"),
    Column("amount", "涉及金额", "money"), Column("since", "发生日期"), Column("first_detected", "首次发现"),
    Column("status_name", "处理状态"), Column("section_name", "责任股室"), Column("note", "整改说明"),
    Column("handled_on", "处理日期"), Column("state_name", "当前"), Column("detail", "预警内容"),
]
PROBLEM_COLUMNS = [
    Column("found_on", "发现日期"), Column("category_name", "问题类型"), Column("origin_name", "来源"),
    Column("description", "问题描述"), Column("project", "涉及项目"), Column("amount", "涉及金额", "money"),
    Column("section_name", "责任股室"), Column("measures", "整改措施"), Column("deadline", "整改时限"),
    Column("status_name", "整改情况"), Column("progress", "最新进展"), Column("updated_on", "更新日期"),
]
COLOURS = {"new": "#fde2e1", "rectifying": "#fff4d6"}


def _reach(page: WarningsPage | ProblemsPage, wanted: int) -> None:
    """Its filters cleared (by the caller), a page reads in a worker down to the row `wanted` and selects it there."""
    page.text.clear()
    page.loaded = True

    def shown() -> None:
        page.view.select_loaded(wanted, at=page.query_.found_at)
        page.update_count()

    page.query_.reload(page.model, page._source(), shown, reach=("id", wanted))


def _read(page: WarningsPage | ProblemsPage) -> None:
    """The list under the page's filter as it is now (a filter box changed, 回车, a header click, a write of the
    page's own, the page first shown): the count and first page are read in a worker (kit.ops.Query); the table
    keeps its rows and the count line until the new ones arrive, and a newer request wins over one still running.
    The row selected before stays selected when it is among the rows that arrive."""
    page.loaded = True
    row = page.view.current_row()
    kept = None if row is None else row["id"]

    def shown() -> None:
        if kept is not None:
            page.view.select_loaded(kept)
        page.update_count()

    page.query_.reload(page.model, page._source(), shown)


class WarningsPage(QWidget):
    """Every stored warning, filtered; double-click opens its object. A warning opened from elsewhere (`select`) is
    found off the GUI thread, and scrolling down reads the next page there too (kit.ops.Query)."""

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.query_ = ops.Query(self, book)  # an object opened from elsewhere, the next page (`query` is the filter's)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.code = QComboBox()
        self.code.addItem("全部类型", "")
        for w in book.rules.warnings:
            self.code.addItem(f"{w.code} {w.name}", w.code)
        self.status = QComboBox()
        self.status.addItem("全部状态", "")
        for s in warn.statuses(book):
            self.status.addItem(s.name, s.code)
        self.state = QComboBox()
        for label, code in (("仍在触发", warnings_query.ACTIVE), ("已消除", warnings_query.CLEARED), ("全部", "")):
            self.state.addItem(label, code)
        self.text = QLineEdit()
        self.text.setPlaceholderText("按对象、内容、股室筛选（Ctrl+F）")
        self.text.returnPressed.connect(self.reload)
        for box in (self.code, self.status, self.state):
            box.currentIndexChanged.connect(self.reload)
        for label, widget in (("类型", self.code), ("状态", self.status), ("范围", self.state), ("", self.text)):
            if label:
                bar.addWidget(QLabel(label))
            bar.addWidget(widget, 1 if widget is self.text else 0)
        layout.addLayout(bar)
        self.loaded = False  # filled when first shown: the dashboard's first paint does not wait for it
        self.model = LazyTableModel(WARNING_COLUMNS, ListSource([]), highlight=self._colour)
        self.view = DataTable(self.model)
        self.view.doubleClicked.connect(lambda *_: self.open_current())
        self.model.resort = self.reload  # a header click: the first page in the new order off the GUI thread too
        self.query_.page(self.model, self._source())  # scrolling down: the next page off the GUI thread
        layout.addWidget(self.view, 1)
        actions = QHBoxLayout()
        self.count = QLabel()
        actions.addWidget(self.count, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("open", "打开对象", self.open_current), ("handle", "登记处理…", self.handle_current),
                                ("problem", "列入问题台账", self.to_problems), ("history", "处理记录", self.show_history)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[key] = button
        self.buttons["handle"].setEnabled(can(book, "handle_warning"))
        self.buttons["problem"].setEnabled(can(book, "edit_problem"))
        layout.addLayout(actions)
        focus_shortcut(self, self.text)
        self.update_count()

    def _colour(self, row: dict[str, Any]) -> str | None:
        return COLOURS.get(row["status"]) if row["active"] else None

    def _source(self) -> Callable[[Book], warnings_query.WarningQuery]:
        """The warnings under the filter as it is now, over a given book."""
        code, status = str(self.code.currentData() or ""), str(self.status.currentData() or "")
        state, text = str(self.state.currentData() or ""), self.text.text()
        return lambda book: warnings_query.WarningQuery(book, code=code, status=status, state=state, text=text)

    def reload(self) -> None:
        """The list read again under the filter as it is now, off the GUI thread (see `_read`)."""
        _read(self)

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.reload()

    def update_count(self) -> None:
        total = sum(int(r["amount"]) for r in self.model.rows)
        more = "（已载入部分）" if len(self.model.rows) < self.model.total else ""
        self.count.setText(f"共 {self.model.total} 条，已显示的涉及金额合计 {money.format(total)} 元{more}")

    def show_code(self, code: str, *, active_only: bool = True) -> None:
        """总览's 打开该类预警: the type (and 仍在触发) chosen, the list read once, off the GUI thread."""
        for box, index in ((self.code, max(self.code.findData(code), 0)),
                           (self.state, self.state.findData(warnings_query.ACTIVE if active_only else ""))):
            box.blockSignals(True)  # (each change would start a read of its own)
            box.setCurrentIndex(index)
            box.blockSignals(False)
        self.reload()

    def select(self, object_type: str, object_id: int | str) -> bool:
        """navigate.open_object: True at once when the warning exists (one row looked up by its key); every filter is
        cleared, as before, and the warning is found off the GUI thread — the models layer numbers it in the sort
        shown, the pages down to it are read in a worker — and selected when they arrive. A newer request wins."""
        if object_type != "warning" or not str(object_id).isdigit() \
                or not warnings_query.WarningQuery(self.book, state="").has(int(object_id)):
            return False
        wanted = int(object_id)
        for box, index in ((self.code, 0), (self.status, 0), (self.state, self.state.findData(""))):
            box.blockSignals(True)  # (each change would start a read of its own)
            box.setCurrentIndex(index)
            box.blockSignals(False)
        _reach(self, wanted)
        return True

    def current(self) -> dict[str, Any] | None:
        row = self.view.current_row()
        if row is None:
            dialogs.info(self, "请先在表中选择一条预警。")
        return row

    def open_current(self) -> None:
        row = self.current()
        if row:
            navigate.open_object(self, row["object_type"], row["object_id"],
                                 lambda: warning_detail(self, self.book, int(row["id"])))

    def handle_current(self) -> None:
        row = self.current()
        if not row:
            return
        dialog = HandleDialog(self, self.book, row)
        if dialog.submit(self.book, lambda: warn.handle(self.book, warning_id=int(row["id"]),
                                                                      **dialog.values())):
            self.select("warning", row["id"])  # the list read again (off the GUI thread), the warning selected

    def to_problems(self) -> None:
        row = self.current()
        if row and ops.run_op(self, self.book, lambda: problems.from_warning(self.book, warning_id=int(row["id"])),
                                  done="已列入问题台账，可在“问题台账”中登记整改措施和时限。"):
            self.reload()

    def show_history(self) -> None:
        row = self.current()
        if row:
            warning_detail(self, self.book, int(row["id"]))


class ProblemsPage(QWidget):
    """问题台账: hand-entered problems and those listed from warnings, with their rectification. A problem opened from
    elsewhere (`select`) is found off the GUI thread, and scrolling down reads the next page there too."""

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.query_ = ops.Query(self, book)  # an object opened from elsewhere, the next page (`query` is the filter's)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.state = QComboBox()
        for label, code in (("未办结", "open"), ("已办结", "closed"), ("全部", "")):
            self.state.addItem(label, code)
        self.state.currentIndexChanged.connect(self.reload)
        self.text = QLineEdit()
        self.text.setPlaceholderText("按描述、项目、股室、措施筛选（Ctrl+F）")
        self.text.returnPressed.connect(self.reload)
        bar.addWidget(QLabel("范围"))
        bar.addWidget(self.state)
        bar.addWidget(self.text, 1)
        layout.addLayout(bar)
        self.loaded = False
        self.model = LazyTableModel(PROBLEM_COLUMNS, ListSource([]),
                                    highlight=lambda r: None if r["closed"] else COLOURS.get(r["status"]))
        self.view = DataTable(self.model)
        self.model.resort = self.reload  # a header click: the first page in the new order off the GUI thread too
        self.query_.page(self.model, self._source())  # scrolling down: the next page off the GUI thread
        layout.addWidget(self.view, 1)
        actions = QHBoxLayout()
        self.count = QLabel()
        actions.addWidget(self.count, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("add", "新增问题…", self.add), ("update", "登记整改…", self.update_current),
                                ("history", "整改记录", self.show_history), ("warning", "查看来源预警", self.show_warning)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[key] = button
        for key in ("add", "update"):
            self.buttons[key].setEnabled(can(book, "edit_problem"))
        layout.addLayout(actions)
        focus_shortcut(self, self.text)
        self.update_count()

    def _source(self) -> Callable[[Book], problems.ProblemQuery]:
        """The problems under the filter as it is now, over a given book."""
        state, text = str(self.state.currentData() or ""), self.text.text()
        return lambda book: problems.ProblemQuery(book, state=state, text=text)

    def reload(self) -> None:
        """The list read again under the filter as it is now, off the GUI thread (see `_read`)."""
        _read(self)

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.reload()

    def update_count(self) -> None:
        self.count.setText(f"共 {self.model.total} 个问题")

    def current(self) -> dict[str, Any] | None:
        row = self.view.current_row()
        if row is None:
            dialogs.info(self, "请先在表中选择一个问题。")
        return row

    def add(self) -> None:
        choices = [(int(p["id"]), f"{p['code']} {p['name']}") for p in projects.choices(self.book)]
        dialog = ProblemDialog(self, self.book, choices)
        if dialog.submit(self.book, lambda: problems.add(self.book, **dialog.values())):
            self.reload()

    def update_current(self) -> None:
        row = self.current()
        if not row:
            return
        dialog = ProblemUpdateDialog(self, self.book, row)
        if dialog.submit(self.book, lambda: problems.update(self.book, problem_id=int(row["id"]),
                                                                          **dialog.values())):
            self.reload()

    def show_history(self) -> None:
        row = self.current()
        if row:
            rows = [(h["day"], h["status_name"], h["progress"], h["measures"], h["deadline"] or "", h["by_name"])
                    for h in problems.history(self.book, int(row["id"]))]
            ListDialog.show_list(self, "整改记录", f"{row['category_name']}：{row['description']}",
                                 ["日期", "状态", "整改情况", "整改措施", "整改时限", "经办人"], rows)

    def show_warning(self) -> None:
        row = self.current()
        if not row:
            return
        if not row["warning_id"]:
            dialogs.info(self, "该问题为手工登记，不来自预警。")
            return
        warning_detail(self, self.book, int(row["warning_id"]))

    def select(self, object_type: str, object_id: int | str) -> bool:
        """navigate.open_object: True at once when the problem exists (one row looked up by its key); the filter is
        cleared, as before, and the problem is found off the GUI thread and selected when its page arrives."""
        if object_type != "problem" or not str(object_id).isdigit() \
                or not problems.ProblemQuery(self.book).has(int(object_id)):
            return False
        wanted = int(object_id)
        self.state.blockSignals(True)  # (the change would start a read of its own)
        self.state.setCurrentIndex(self.state.findData(""))
        self.state.blockSignals(False)
        _reach(self, wanted)
        return True
