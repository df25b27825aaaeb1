"""审计: the audit log with filters and field-level differences, verify run off the GUI thread, and the signed packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.export import evidence
from app.models.integrity import incremental
from app.models.integrity.verify import Report
from app.models.store import audit, audit_query
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.ui.audit.packages_page import SignedPackagesPage
from app.ui.kit.ops import Op, Progress, Query
from app.ui.kit.table_models import Column, LazyTableModel
from app.ui.kit.widgets import DataTable, focus_shortcut

COLUMNS = [Column("seq", "序号", "int"), Column("at", "时间"), Column("actor_name", "操作人"), Column("op_name", "操作"),
           Column("table_name", "数据表"), Column("row_key", "主键"), Column("action_name", "动作"),
           Column("changes", "变更内容")]


class AuditTab(QWidget):
    WATCHES = frozenset({'signoffs', 'signoff_files'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self.packages.reload()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.job: Op[Report] | None = None
        self.query = Query(self, book)  # the filter reads 1.7 million records at 5 years: off the GUI thread
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.pages = QTabWidget()
        outer.addWidget(self.pages)
        log_page = QWidget()
        layout = QVBoxLayout(log_page)
        bar = QHBoxLayout()
        self.actor = QComboBox()
        self.table = QComboBox()
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setSpecialValueText("不限")
            edit.setMinimumDate(QDate(2000, 1, 1))
            edit.setDate(edit.minimumDate())
        self.text = QLineEdit()
        self.text.setPlaceholderText("按内容或主键筛选（Ctrl+F）")
        for label, widget in (("操作人", self.actor), ("数据表", self.table), ("从", self.date_from),
                              ("到", self.date_to), ("", self.text)):
            if label:
                bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        apply = QPushButton("筛选")
        apply.clicked.connect(self.apply_filter)
        self.text.returnPressed.connect(self.apply_filter)
        bar.addWidget(apply)
        self.verify_button = QPushButton("核验数据库")
        self.verify_button.clicked.connect(lambda: self.run_verify())
        bar.addWidget(self.verify_button)
        self.against_button = QPushButton("与报送包核对…")
        self.against_button.setToolTip("选择存放报送包（文件夹或 .zip）的文件夹：证明数据库到这些报送包为止的历史未被改写")
        self.against_button.clicked.connect(self.verify_against)
        bar.addWidget(self.against_button)
        layout.addLayout(bar)
        self.fill_choices()
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LazyTableModel(COLUMNS, audit_query.LogQuery(book),  # first page: below, off the GUI thread
                                    highlight=lambda r: None if r["sealed"] else "#ffcdd2", read=False)
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        split.addWidget(self.view)
        lower = QSplitter(Qt.Orientation.Horizontal)
        self.detail = QTableWidget(0, 3)
        self.detail.setHorizontalHeaderLabels(["字段", "修改前", "修改后"])
        self.detail.horizontalHeader().setStretchLastSection(True)
        lower.addWidget(self.detail)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("点“核验数据库”：检查完整性、外键、保护触发器、审计哈希链、每行数据与审计记录是否一致、附件哈希和业务不变量。")
        lower.addWidget(self.report)
        split.addWidget(lower)
        split.setSizes([500, 220])
        layout.addWidget(split)
        self.count = QLabel()
        layout.addWidget(self.count)
        focus_shortcut(self, self.text)
        self.count.setText("正在读取审计日志……")
        # 1.7 million records at 5 years: counting them is the tab's slowest read, so the first page is read
        # like a filter's (kit.ops.Query): the tab paints at once and the rows follow (issue #22 item 5)
        self.model.modelReset.connect(self.update_count)  # whichever read showed the rows
        # the view's next pages too (Query.reload sets Query.page): read in a worker, each sought from the last line
        # read (LogQuery.seek) — an OFFSET deep in the log took 0.4–0.5 s on the GUI thread at 1x
        self._asked = audit_query.LogFilter()  # the filter of the rows last asked for: a sort re-reads with it
        # a sort (a header click, a remembered sort) counts and reads the first page off the GUI thread too
        self.query.follow(self.model, lambda: self._source_for(self._asked))
        self.query.reload(self.model, self._source_for(self._asked), self.update_count)
        self.pages.addTab(log_page, "审计日志与核验")
        self.packages = SignedPackagesPage(book)
        self.pages.addTab(self.packages, "已签发月报")

    def fill_choices(self) -> None:
        self.actor.clear()
        self.actor.addItem("全部", "")
        for actor, shown in audit_query.actor_choices(self.book):
            self.actor.addItem(shown, actor)
        self.table.clear()
        self.table.addItem("全部", "")
        for code, label in audit_query.tables(self.book):
            self.table.addItem(label, code)

    def current_filter(self) -> audit_query.LogFilter:
        def day(edit: QDateEdit) -> str:
            return "" if edit.date() == edit.minimumDate() else edit.date().toString("yyyy-MM-dd")

        return audit_query.LogFilter(actor=str(self.actor.currentData() or ""), table=str(self.table.currentData() or ""),
                                     date_from=day(self.date_from), date_to=day(self.date_to), text=self.text.text().strip())

    def apply_filter(self) -> None:
        """Count and first page off the GUI thread; the table keeps its rows meanwhile (see kit.ops.Query)."""
        self._asked = self.current_filter()
        self.count.setText("正在筛选……")
        self.query.reload(self.model, self._source_for(self._asked), self.update_count)

    @staticmethod
    def _source_for(flt: audit_query.LogFilter) -> Callable[[Book], audit_query.LogQuery]:
        return lambda book: audit_query.LogQuery(book, flt)

    def update_count(self) -> None:
        self.count.setText(f"共 {self.model.total} 条审计记录（红色：未经本程序封存的记录）")

    def show_detail(self) -> None:
        row: dict[str, Any] | None = self.view.current_row()
        if row and row["action"] == audit_query.RUN:  # a bulk import: its rows as imported
            self.detail.setHorizontalHeaderLabels(["审计记录与主键", "", "导入时的内容"])
            diffs = audit_query.run_rows(self.book, int(row["seq"]))
        else:
            self.detail.setHorizontalHeaderLabels(["字段", "修改前", "修改后"])
            diffs = audit_query.differences(row["before"], row["after"], book=self.book, table=row["tbl"]) if row else []
        self.detail.setRowCount(len(diffs))
        for i, (key, old, new) in enumerate(diffs):
            for j, value in enumerate((key, old, new)):
                self.detail.setItem(i, j, QTableWidgetItem("" if value is None else str(value)))
        self.detail.resizeColumnsToContents()

    def verify_against(self) -> None:
        """The same verify, with the packages as sent (a folder of them, or one package) as anchors."""
        folder = self.packages.choose_folder("选择报送包所在的文件夹（或一个报送包文件夹）")
        if folder is not None:
            self.run_verify(against=[folder])

    def run_verify(self, against: list[Path] | None = None) -> None:
        """Verify on its own read-only connection, off the GUI thread."""
        path = self.book.path
        self.verify_button.setEnabled(False)
        self.against_button.setEnabled(False)
        self.report.setPlainText("正在核验……")

        head = audit.head(self.book.conn)

        def job(own: Book, progress: Progress) -> Report:
            return evidence.verify(own, progress=progress.step, against=against or [])

        def anchor(result: Report) -> None:
            """A full verify that passed becomes the anchor of the incremental one (recorded off the GUI thread)."""
            if result.ok and not self.book.read_only:
                Op(self, self.book, "记下核验锚点",
                   lambda own, _p: incremental.record(own, mode="full", head=head), quiet=True, cancellable=False) \
                    .failure(lambda _error: None).run_in_background()

        def enable() -> None:
            self.verify_button.setEnabled(True)
            self.against_button.setEnabled(True)

        self.job = Op(self, self.book, "核验数据库", job, writes=False) \
            .after(enable) \
            .success(lambda result: self.report.setPlainText(result.text(str(path)))) \
            .success(anchor) \
            .failure(lambda error: self.report.setPlainText(str(error))).run_in_background()
