"""监控预警: the first tab after login — what is wrong in the county and since when, spending against the
pace to 31 October, bond money's clocks, deadlines ahead; the warning list and the 问题台账.

The overview (counts over every stored warning, spending figures, clocks, deadlines) and the warnings a spending
bar's dialog lists are read off the GUI thread too (kit.ops.Query): the page keeps what it shows until the newer read
arrives, and an older read never replaces a newer one.

First paint shows what is stored; when the stored result is older than today and the user may, the
warnings are recomputed: detection and storing run off the GUI thread on a connection of their own (kit.ops.Op),
quietly at start-up, with progress and 取消 when 重新计算预警 is pressed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.store import holidays
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.models.values import money
from app.models.warnings import dashboard
from app.models.warnings import engine as warn
from app.models.warnings import query as warnings_query
from app.ui.dashboard.chart import Bar, ProgressChart
from app.ui.dashboard.dialogs import ListDialog, SectionsDialog
from app.ui.dashboard.warning_pages import ProblemsPage, WarningsPage, can
from app.ui.kit.ops import Op, Progress, Query
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, rich_label
from app.ui.shell import navigate

BOND_COLUMNS = [Column("doc_no", "指标文号"), Column("received", "到位日期"), Column("deadline", "支出期限"),
                Column("clock", "剩余"), Column("unspent", "未支出", "money"), Column("net", "到位金额", "money")]
UPCOMING_COLUMNS = [Column("due", "到期日"), Column("left", "剩余"), Column("what", "事项"), Column("label", "对象")]


def pct(num: int, den: int) -> str:
    return money.ratio_percent(num, den)


class OverviewPage(QWidget):
    def __init__(self, tab: DashboardTab) -> None:
        super().__init__(tab)
        self.tab, self.book = tab, tab.book
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = rich_label()
        self.title.setWordWrap(True)
        head.addWidget(self.title, 1)
        self.recompute_button = QPushButton("重新计算预警")
        self.recompute_button.clicked.connect(lambda: tab.recompute_now())
        self.recompute_button.setEnabled(can(self.book, "recompute_warnings"))
        head.addWidget(self.recompute_button)
        sections = QPushButton("默认责任股室…")
        sections.clicked.connect(self.edit_sections)
        sections.setEnabled(can(self.book, "set_warning_sections"))
        head.addWidget(sections)
        layout.addLayout(head)
        grid = QGridLayout()
        layout.addLayout(grid, 1)
        status_cols = [Column(f"s_{s.code}", s.name, "int") for s in warn.statuses(self.book)]
        self.count_columns = [Column("type", "预警类型"), Column("active", "仍在触发", "int"), *status_cols,
                              Column("amount", "触发中金额", "money"), Column("oldest", "最早发生")]
        self.current: dashboard.Overview | None = None  # what is shown (None until the first read arrives)
        self.counts = LazyTableModel(self.count_columns, ListSource([]), highlight=self._count_colour)
        self.count_view = DataTable(self.counts)
        self.count_view.doubleClicked.connect(lambda *_: self.open_type())
        self.chart = ProgressChart()
        self.chart.clicked.connect(self.open_kind)
        self.bonds = LazyTableModel(BOND_COLUMNS, ListSource([]), highlight=lambda r: "#fde2e1" if r["overdue"] else None)
        self.bond_view = DataTable(self.bonds)
        self.bond_view.doubleClicked.connect(lambda *_: self.open_bond())
        self.upcoming = LazyTableModel(UPCOMING_COLUMNS, ListSource([]))
        self.upcoming_view = DataTable(self.upcoming)
        self.upcoming_view.doubleClicked.connect(lambda *_: self.open_upcoming())
        for view in (self.count_view, self.bond_view, self.upcoming_view):
            view.verticalHeader().setVisible(False)
        self.count_view.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.chart_box = self._box("支出进度（按资金大类，对照序时进度）", self.chart)
        grid.addWidget(self._box("预警分类统计（双击查看该类预警）", self.count_view), 0, 0)
        grid.addWidget(self.chart_box, 0, 1)
        grid.addWidget(self._box(f"债券资金 {self.book.rules.spending.bond_spend_months} 个月支出时限（双击打开指标）",
                                 self.bond_view), 1, 0)
        grid.addWidget(self._box(f"近期到期事项（{dashboard.UPCOMING_DAYS} 天内，双击打开）", self.upcoming_view), 1, 1)
        grid.setColumnStretch(0, 11)
        grid.setColumnStretch(1, 10)
        grid.setRowStretch(0, 0)
        grid.setRowStretch(1, 1)

    @staticmethod
    def _box(title: str, widget: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(6, 6, 6, 6)
        inner.addWidget(widget)
        return box

    def _count_colour(self, row: dict[str, Any]) -> str | None:
        if row["type"] == "合计":
            return "#eef2f7"
        return "#fde2e1" if row["active"] else None

    def fill(self, view: dashboard.Overview, calendar: str | None = None) -> None:
        """Lay out `view`; `calendar`: the missing-holidays notice, read with it (read here when not given)."""
        run = view.last_run
        when = f"最近一次计算：截至 {run['as_of']}（{run['ran_at']} 计算）" if run else "尚未计算预警"
        active = sum(c.active for c in view.counts)
        oldest = min((c.oldest for c in view.counts if c.oldest), default=None)
        since = f"，最早的自 {oldest.isoformat()} 起" if oldest else ""
        if calendar is None:  # a year's holidays missing: deadlines estimated
            calendar = holidays.calendar_notice(self.book, view.as_of)
        self.title.setText(f"<b>{view.as_of.isoformat()}　当前仍在触发的预警 {active} 条{since}。</b>　{when}"
                           + ("　【只读：显示上次计算的结果】" if self.book.read_only else "")
                           + (f"<br><span style='color:#b00000'>⚠ {html.escape(calendar)}</span>" if calendar else ""))
        rows: list[dict[str, Any]] = []
        for c in view.counts:
            rows.append({"type": f"{c.code} {c.name}", "code": c.code, "active": c.active, "amount": c.amount,
                         "oldest": c.oldest.isoformat() if c.oldest else ""}
                        | {f"s_{s.code}": c.by_status.get(s.code, 0) for s in warn.statuses(self.book)})
        total: dict[str, Any] = {"type": "合计", "code": "", "oldest": oldest.isoformat() if oldest else ""}
        for col in self.count_columns[1:-1]:
            total[col.key] = sum(int(r[col.key]) for r in rows)
        self.counts.reload(ListSource([*rows, total]))
        header = self.count_view.horizontalHeader().height() or 26
        # room for the horizontal scroll bar too: with more warning types and statuses than the page is wide, the
        # bar would otherwise cover the 合计 row
        bar = self.count_view.horizontalScrollBar().sizeHint().height()
        row_h = self.count_view.verticalHeader().defaultSectionSize()
        chrome = header + 2 * self.count_view.frameWidth() + 2 + bar
        # every row when there is room (its size hint); on a low screen (1366×768) it may shrink to six rows and
        # scroll, rather than force the whole window taller than the screen
        self.count_view.setMaximumHeight(chrome + row_h * len(rows + [total]))
        self.count_view.setMinimumHeight(chrome + row_h * min(6, len(rows) + 1))
        bars = [Bar(k.kind, k.name, float(k.ratio), f"{pct(k.spent, k.base)}（已支出 {money.format(k.spent)} / "
                    f"可支出 {money.format(k.base)} 元）", k.behind or (k.after_year_end and k.unpaid > 0))
                for k in view.kinds]
        self.chart.set_data(bars, float(view.pace), pct(view.pace.numerator, view.pace.denominator))
        self.chart_box.setTitle(f"{view.as_of.year} 年支出进度（按资金大类，序时进度 "
                                f"{pct(view.pace.numerator, view.pace.denominator)}，红色为滞后，点击查看）")
        self.bonds.reload(ListSource([{
            "id": c.indicator_id, "doc_no": c.doc_no, "title": c.title, "received": c.received.isoformat(),
            "deadline": c.deadline.isoformat(), "unspent": c.unspent, "net": c.net, "overdue": c.overdue,
            "clock": f"已超期 {-c.days_left} 天" if c.days_left < 0 else f"剩 {c.days_left} 天"} for c in view.bonds]))
        self.upcoming.reload(ListSource([{
            "due": u.due.isoformat(), "left": "今天" if u.days_left == 0 else f"{u.days_left} 天", "what": u.what,
            "label": u.label, "object_type": u.object_type, "object_id": u.object_id} for u in view.upcoming]))
        self.current = view

    def edit_sections(self) -> None:
        dialog = SectionsDialog(self, self.book)
        current = warn.default_sections(self.book)

        def save() -> bool:
            wanted = dialog.values()
            for code, section in wanted.items():
                if section.strip() != current.get(code, ""):
                    warn.set_default_section(self.book, code=code, section=section)
            return True

        dialog.submit(self.book, save, done="已保存。以后新发现的预警按此设置责任股室。")

    # -- opening ---------------------------------------------------------------------------------
    def open_type(self) -> None:
        row = self.count_view.current_row()
        if row and row["code"]:
            self.tab.show_warnings(row["code"])

    def open_kind(self, kind: str) -> None:
        view = self.current
        k = next((k for k in view.kinds if k.kind == kind), None) if view is not None else None
        if view is None or k is None:
            return

        def detail() -> None:
            text = (f"{k.name}（{view.as_of.year} 年）\n年初结余 {money.format(k.opening)} 元，本年收入 "
                    f"{money.format(k.income)} 元，质保金暂留 {money.format(k.exempt)} 元，应支出基数 "
                    f"{money.format(k.base)} 元；已支出 {money.format(k.spent)} 元（{pct(k.spent, k.base)}），序时进度 "
                    f"{pct(k.pace.numerator, k.pace.denominator)}。")
            self.tab.warnings_of("W5", f"W5:kind:{kind}", f"W5:unpaid:{kind}:{view.as_of.year}", then=lambda found:
                                 ListDialog.show_list(self, "支出进度", text, ["预警", "状态", "内容"],
                                                      [(w["code_name"], w["status_name"], w["detail"]) for w in found]))

        navigate.open_object(self, "fund_kind", kind, detail)

    def open_bond(self) -> None:
        row = self.bond_view.current_row()
        if row:
            navigate.open_object(self, "indicator", row["id"], lambda: ListDialog.show_list(
                self, "债券资金支出时限", f"{row['doc_no']} {row['title']}\n到位 {row['received']}，应于 {row['deadline']} 前形成实际支出；"
                f"尚未支出 {money.format(int(row['unspent']))} 元（{row['clock']}）。", [], []))

    def open_upcoming(self) -> None:
        row = self.upcoming_view.current_row()
        if row:
            navigate.open_object(self, row["object_type"], row["object_id"], lambda: ListDialog.show_list(
                self, "到期事项", f"{row['what']}：{row['label']}\n到期日 {row['due']}（剩余 {row['left']}）。", [], []))


class DashboardTab(QTabWidget):
    """总览 · 预警清单 · 问题台账."""

    AUTO_RECOMPUTE = True  # tests switch it off to control when the worker runs

    WATCHES = frozenset({'warnings', 'warning_events', 'warning_runs', 'warning_sections', 'problems', 'problem_updates', 'indicators', 'ledger_entries'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self.refresh()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.detecting = False
        self.reading = Query(self, book)  # the overview, off the GUI thread
        self.finding = Query(self, book)  # a spending bar's warnings (warnings_of), off the GUI thread
        self.overview = OverviewPage(self)
        self.warnings_page = WarningsPage(book)
        self.problems_page = ProblemsPage(book)
        self.addTab(self.overview, "总览")
        self.addTab(self.warnings_page, "预警清单")
        self.addTab(self.problems_page, "问题台账")
        self.currentChanged.connect(self._shown)
        self.refresh()
        if self.AUTO_RECOMPUTE and self.needs_recompute():
            QTimer.singleShot(0, self.recompute)

    def needs_recompute(self) -> bool:
        run = warn.last_run(self.book)
        return can(self.book, "recompute_warnings") and (run is None or str(run["as_of"]) < self.book.today().isoformat())

    def refresh(self) -> None:
        """The overview read again in a worker (counts over every warning: they grow with the file) and shown when it
        arrives; a newer refresh wins over one still reading. The two lists reload when next shown."""
        day = self.book.today()

        def read(own: Book) -> tuple[dashboard.Overview, str]:
            return dashboard.overview(own, day), holidays.calendar_notice(own, day)

        self.reading.read(read, lambda got: self.overview.fill(*got))
        for page in (self.warnings_page, self.problems_page):
            page.loaded = False
        self._shown()

    def _shown(self, *_: object) -> None:
        page = self.currentWidget()
        if isinstance(page, (WarningsPage, ProblemsPage)):
            page.ensure_loaded()

    def show_warnings(self, code: str) -> None:
        """打开该类预警: the type's list is read off the GUI thread (the filter set first, so showing the page does not
        start a read of the unfiltered list as well)."""
        self.warnings_page.show_code(code)
        self.setCurrentWidget(self.warnings_page)

    def warnings_of(self, code: str, *keys: str, then: Callable[[list[dict[str, Any]]], object]) -> None:
        """The type's warnings (any state) whose key is one of `keys`, read in a worker and handed to `then` on the
        GUI thread; a newer request wins over one still reading."""
        def read(own: Book) -> list[dict[str, Any]]:
            rows = warnings_query.WarningQuery(own, code=code, state="").fetch(0, 1000)
            return [r for r in rows if r["key"] in keys]

        self.finding.read(read, then)

    def wait(self, timeout: float = 60.0) -> bool:
        """Tests: until the overview and a spending bar's warnings being read have been shown."""
        return self.reading.wait(timeout) and self.finding.wait(timeout)

    def select(self, object_type: str, object_id: int | str) -> bool:
        for page in (self.warnings_page, self.problems_page):
            if page.select(object_type, object_id):
                self.setCurrentWidget(page)
                return True
        return False

    def recompute(self, *, quiet: bool = True) -> None:
        """Detect and store off the GUI thread on a connection of its own, then refresh.

        `quiet`: no dialog (at start-up; the window stays usable). Else the progress dialog with 取消, which
        interrupts the reading or the storing: nothing is stored."""
        if self.detecting or self.book.closed:
            return
        day = self.book.today()

        def detect_and_store(own: Book, progress: Progress) -> warn.RecomputeResult:
            found = warn.detect_incremental(own, day)  # reading only: no write lock is held meanwhile
            progress.check()
            # the detection whole: the warnings it kept (W11–W15's unchanged groups) are saved without reading them back
            return warn.recompute(own, as_of=day, detection=found)

        self.detecting = True
        self.overview.recompute_button.setEnabled(False)
        self.overview.recompute_button.setText("正在计算……")
        Op(self, self.book, "正在重新计算预警", detect_and_store, quiet=quiet, cancellable=not quiet) \
            .after(self._recomputed).success(lambda _: self.refresh()).run_in_background()

    def recompute_now(self) -> None:
        """重新计算预警 pressed: with the progress dialog and 取消."""
        self.recompute(quiet=False)

    def _recomputed(self) -> None:
        self.detecting = False
        self.overview.recompute_button.setText("重新计算预警")
        self.overview.recompute_button.setEnabled(can(self.book, "recompute_warnings"))
