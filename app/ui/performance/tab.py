"""绩效目标: per project, the goals in the standard tree, monthly monitoring with deviation flagged, decisions
(纠偏 / 暂缓拨付 / 收回) and the year-end self-evaluation; goals entered here or imported from .xlsx."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.performance import goals as performance
from app.models.performance import goals_import as perf_import
from app.models.performance import query as perf_query
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.ui.dashboard.warning_pages import can
from app.ui.kit import dialogs, ops
from app.ui.kit.ops import Query
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, focus_shortcut, rich_label
from app.ui.performance.dialogs import DecisionDialog, EvaluationDialog, GoalDialog, MonthDialog
from app.ui.shell.folders import open_folder

PROJECT_COLUMNS = [Column("code", "项目编号"), Column("name", "项目名称"), Column("year", "年度", "int"),
                   Column("funded", "安排资金", "money"), Column("goal_count", "指标数", "int"),
                   Column("goals_state", "目标"), Column("with_funds", "随资金下达", "bool"),
                   Column("deviations", "偏离", "int"), Column("last_month", "最近监控"), Column("score", "自评得分"),
                   Column("issues", "不规范之处")]
GOAL_COLUMNS = [Column("level1_name", "一级指标"), Column("level2_name", "二级指标"), Column("name", "三级指标"),
                Column("target_text", "目标"), Column("actual_month", "监控月份"), Column("actual", "实际完成值"),
                Column("forecast", "预计全年"), Column("judgement", "判断"), Column("actual_note", "偏差原因"),
                Column("set_on", "设定日期")]
DECISION_COLUMNS = [Column("decided_on", "日期"), Column("kind_name", "处理方式"), Column("goal_name", "针对指标"),
                    Column("doc_no", "文号"), Column("amount", "涉及金额", "money"), Column("measures", "处理措施")]
EVAL_COLUMNS = [Column("year", "年度", "int"), Column("score", "得分"), Column("evaluated_on", "评价日期"),
                Column("report", "自评报告")]


class PerformanceTab(QWidget):
    """Projects with their goal figures (filter by year, text, 只看不规范) over the selected project's goals.

    The first page and the count (each row sums its project's goals and monitoring: grows with the projects) are
    read off the GUI thread (kit.ops.Query) when the tab is built, after a filter, a write elsewhere or a sort; the
    table keeps its rows until the new ones arrive, then the project shown before stays if it is listed, else the
    first is selected. So after the tab's own write (`reload`) and for an object opened from elsewhere (`select`: the
    worker reads on to it); scrolling down reads the next page off the GUI thread too (`Query.page`)."""

    WATCHES = frozenset({'perf_goals', 'perf_actuals', 'perf_decisions', 'perf_evaluations', 'projects'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self.apply_filter()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.query_ = Query(self, book)  # `query` is the filter's row source (below)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.year = QComboBox()
        self.year.addItem("全部年度", None)
        for y in perf_query.years(book):
            self.year.addItem(f"{y} 年", y)
        self.text = QLineEdit()
        self.text.setPlaceholderText("按项目编号、名称筛选（Ctrl+F）")
        self.irregular = QCheckBox("只看未编制/不规范")
        self.year.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.irregular.toggled.connect(lambda _on: self.apply_filter())
        self.text.returnPressed.connect(self.apply_filter)
        for widget in (QLabel("年度"), self.year, self.text, self.irregular):
            bar.addWidget(widget, 1 if widget is self.text else 0)
        for text, slot, op in (("导入 Excel…", self.import_goals, "edit_goals"), ("下载模板…", self.save_template, "")):
            button = QPushButton(text)
            button.clicked.connect(slot)
            button.setEnabled(not op or can(book, op))
            bar.addWidget(button)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.projects = LazyTableModel(PROJECT_COLUMNS, self.query(),
                                       highlight=lambda r: "#fde2e1" if r["issues"] else None,
                                       read=False)  # the first page: off the GUI thread (below)
        self.project_view = DataTable(self.projects)
        self.project_view.selectionModel().currentRowChanged.connect(lambda *_: self.show_project())
        split.addWidget(self.project_view)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.heading = rich_label("选择上方的项目查看其绩效目标。")
        self.heading.setWordWrap(True)
        lower_layout.addWidget(self.heading)
        self.details = QTabWidget()
        self.goals = LazyTableModel(GOAL_COLUMNS, ListSource([]), highlight=lambda r: "#fde2e1" if r["deviates"] else None)
        self.goal_view = DataTable(self.goals)
        self.decisions = LazyTableModel(DECISION_COLUMNS, ListSource([]))
        self.evaluations = LazyTableModel(EVAL_COLUMNS, ListSource([]))
        self.details.addTab(self.goal_view, "绩效指标与监控")
        self.details.addTab(DataTable(self.decisions), "处理决定")
        self.details.addTab(DataTable(self.evaluations), "年度自评")
        lower_layout.addWidget(self.details, 1)
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot, op in (
                ("add", "新增指标…", self.add_goal, "edit_goals"), ("edit", "修改指标…", self.edit_goal, "edit_goals"),
                ("remove", "删除指标", self.remove_goal, "edit_goals"),
                ("month", "录入月度监控值…", self.record_month, "record_actuals"),
                ("decision", "记录处理决定…", self.record_decision, "record_perf_decision"),
                ("evaluate", "年度自评…", self.self_evaluate, "self_evaluate")):
            button = QPushButton(text)
            button.clicked.connect(slot)
            button.setEnabled(can(book, op))
            actions.addWidget(button)
            self.buttons[key] = button
        actions.addStretch(1)
        lower_layout.addLayout(actions)
        split.addWidget(lower)
        split.setSizes([380, 360])
        layout.addWidget(split, 1)
        self.count = QLabel()
        layout.addWidget(self.count)
        focus_shortcut(self, self.text)
        self.project: dict[str, Any] | None = None
        self.count.setText("正在读取项目……")
        self.query_.reload(self.projects, self._source(), self._shown)
        self.query_.follow(self.projects, self._source, lambda: self._shown(self.project["id"] if self.project else None))
        self.query_.page(self.projects, self._source())  # scrolling down reads the next page off the GUI thread

    def _source(self) -> Callable[[Book], perf_query.PerfProjectQuery]:
        """The projects under the filter as it is now (read here, on the GUI thread), over a given book."""
        year, text, irregular = self.year.currentData(), self.text.text(), self.irregular.isChecked()
        return lambda book: perf_query.PerfProjectQuery(book, year=year, text=text, irregular_only=irregular)

    def _shown(self, keep: Any = None) -> None:
        """A first page has arrived from the worker: the project `keep` stays selected if it is listed (the first
        page only: nothing more is read on the GUI thread), else the first project is selected."""
        self.update_count()
        if keep is None or not self._find(keep):
            self.project = None
            self.select_first()

    def apply_filter(self) -> None:
        """A new filter, or rows written elsewhere: the first page and count are read off the GUI thread."""
        keep = self.project["id"] if self.project else None
        self.query_.reload(self.projects, self._source(), lambda: self._shown(keep))

    def select_first(self) -> None:
        if self.project is None and self.projects.rows:
            self.project_view.selectRow(0)
            self.show_project()

    def query(self) -> perf_query.PerfProjectQuery:
        return self._source()(self.book)

    def reload(self) -> None:
        """After this tab's own write: the first page and count are read again off the GUI thread (kit.ops.Query);
        the worker reads on until the project selected before is among the rows read, and it stays selected (its
        goals shown again) — else the first project is. A newer request (a filter, a sort) wins."""
        keep = self.project["id"] if self.project else None
        if self.project is not None:
            self.show_project()  # its goals at once (one project's rows); the list's figures follow
        self.query_.reload(self.projects, self._source(), lambda: self._shown(keep),
                           reach=("id", keep) if keep is not None else None)

    def update_count(self) -> None:
        self.count.setText(f"共 {self.projects.total} 个项目（红色：未编制或不规范，预警 W2；指标红色：预计完成值偏离目标）")

    def select(self, object_type: str, object_id: int | str) -> bool:
        """Show a project's goals (from the dashboard: W2 warnings open here): True at once when the project exists
        (one row looked up by its key); its row is found off the GUI thread — the models layer numbers it in the
        filter and sort shown, the pages down to it are read in a worker — and selected with its goals when they
        arrive. Filters that hide it are cleared, as before. A newer request (a filter, a sort) wins."""
        if object_type not in ("perf_goals", "project_goals") or not str(object_id).isdigit() \
                or not perf_query.PerfProjectQuery(self.book).has(int(object_id)):
            return False
        wanted, text = int(object_id), self.text.text()
        widen = None
        if self.year.currentIndex() or self.irregular.isChecked() or text:
            def cleared() -> None:
                for widget in (self.year, self.irregular):
                    widget.blockSignals(True)
                self.year.setCurrentIndex(0)
                self.irregular.setChecked(False)
                for widget in (self.year, self.irregular):
                    widget.blockSignals(False)
                if self.text.text() == text:  # typed meanwhile (not yet applied): kept
                    self.text.clear()

            widen = (lambda book: perf_query.PerfProjectQuery(book), cleared)
        self.query_.reload(self.projects, self._source(), lambda: self._shown(wanted), reach=("id", wanted),
                           widen=widen)
        return True

    def _find(self, object_id: int | str) -> bool:
        """Select the project among the rows read (nothing is read here: `reload`/`select` have the worker read on to
        it), without touching the filters."""
        if not self.project_view.select_loaded(object_id, at=self.query_.found_at):
            return False
        self.show_project()
        return True

    def show_project(self) -> None:
        row = self.project_view.current_row()
        self.project = row
        if row is None:
            return
        goals = performance.with_monitoring(self.book, performance.goals(self.book, int(row["id"])))
        self.goals.reload(ListSource(goals))
        self.decisions.reload(ListSource(performance.decisions(self.book, int(row["id"]))))
        self.evaluations.reload(ListSource(performance.evaluations(self.book, int(row["id"]))))
        issues = f"<br><span style='color:#c0392b'>不规范：{html.escape(str(row['issues']))}</span>" if row["issues"] else ""
        self.heading.setText(f"<b>{html.escape(str(row['code']))} {html.escape(str(row['name']))}</b>　指标 {len(goals)} 个，偏离 "
                             f"{sum(1 for g in goals if g['deviates'])} 个{issues}")

    def _need_project(self) -> dict[str, Any] | None:
        if self.project is None:
            dialogs.info(self, "请先在上方选择一个项目。")
        return self.project

    def _goal(self) -> dict[str, Any] | None:
        row = self.goal_view.current_row()
        if row is None:
            dialogs.info(self, "请先在下方选择一个绩效指标。")
        return row

    def _label(self, project: dict[str, Any]) -> str:
        return f"{project['code']} {project['name']}"

    def _after(self, ok: Any) -> None:
        if ok:
            self.reload()

    def add_goal(self) -> None:
        project = self._need_project()
        if project:
            d = GoalDialog(self, self.book)
            self._after(d.submit(self.book, lambda: performance.add_goal(
                self.book, project_id=int(project["id"]), **d.values())))

    def edit_goal(self) -> None:
        goal = self._goal()
        if goal:
            d = GoalDialog(self, self.book, goal)
            self._after(d.submit(self.book, lambda: performance.update_goal(
                self.book, goal_id=int(goal["id"]), fields=d.fields())))

    def remove_goal(self) -> None:
        goal = self._goal()
        if goal and dialogs.confirm(self, f"删除绩效指标“{goal['name']}”？已录入的监控值保留在记录中。"):
            self._after(ops.run_op(self, self.book, lambda: performance.remove_goal(self.book, goal_id=int(goal["id"]))))

    def record_month(self) -> None:
        project = self._need_project()
        if not project:
            return
        goals = performance.with_monitoring(self.book, performance.goals(self.book, int(project["id"])))
        if not goals:
            dialogs.info(self, "该项目还没有绩效指标。")
            return
        d = MonthDialog(self, self.book, self._label(project), goals)
        self._after(d.submit(self.book, lambda: performance.record_month(
            self.book, project_id=int(project["id"]), **d.values())))

    def record_decision(self) -> None:
        project = self._need_project()
        if project:
            d = DecisionDialog(self, self.book, self._label(project), performance.goals(self.book, int(project["id"])))
            self._after(d.submit(self.book, lambda: performance.record_decision(
                self.book, project_id=int(project["id"]), **d.values())))

    def self_evaluate(self) -> None:
        project = self._need_project()
        if project:
            d = EvaluationDialog(self, self.book, self._label(project), int(project["year"]))
            self._after(d.submit(self.book, lambda: performance.self_evaluate(
                self.book, project_id=int(project["id"]), **d.values())))

    # -- files ------------------------------------------------------------------------------------
    choose_file: Any = None  # tests: a function (kind, suggested) -> Path | None standing in for the file dialog

    def _path(self, kind: str, suggested: str) -> Path | None:
        if self.choose_file is not None:
            return self.choose_file(kind, suggested)
        if kind == "save":
            name, _ = QFileDialog.getSaveFileName(self, "保存绩效目标模板", suggested, "Excel 工作簿 (*.xlsx)")
        else:
            name, _ = QFileDialog.getOpenFileName(self, "选择绩效目标表", "", "Excel 工作簿 (*.xlsx)")
        return Path(name) if name else None

    def save_template(self) -> None:
        path = self._path("save", "绩效目标导入模板.xlsx")
        if path and ops.run_op(self, self.book, lambda: perf_import.write_template(path)):
            open_folder(path.parent)

    def import_goals(self) -> None:
        path = self._path("open", "")
        if path is None:
            return
        replace = dialogs.confirm(self, "文件中的项目如已有绩效目标，是否整体替换？\n（选“否”则遇到已有目标的项目时整份文件不导入）")
        def imported(count: int) -> None:
            dialogs.info(self, f"已导入 {count} 个绩效指标。")
            self.reload()

        ops.Op(self, self.book, "正在导入绩效目标",
               lambda book, _: perf_import.import_goals(book, path, replace=replace)).success(imported).run_in_background()
