"""月报: each month's status, a preview of the nine tables with the cross-checks, sign-off and reopening.

Preview, export and sign-off run off the GUI thread on a connection of their own (kit.ops.Op) with a progress
dialog that can cancel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.export import pdf, signed, signoff
from app.models.reports import layout, monthly
from app.models.reports.definitions import load as load_defs
from app.models.store import periods
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.models.values.errors import AppError
from app.ui.kit import dialogs, ops, pdf_print, table_tools
from app.ui.kit.ops import Op, Progress
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, can
from app.ui.reports.templates_page import TemplatesPage
from app.ui.shell.folders import open_folder

MONTH_COLUMNS = [Column("month", "月份"), Column("start", "统计起"), Column("end", "统计止"), Column("due", "报送期限"),
                 Column("status", "状态"), Column("version", "版本", "int"), Column("signed_by", "签发人"),
                 Column("signed_at", "签发时间")]
STATUS_COLOURS = {"逾期": "#ffcdd2", "待签发": "#fff3c4", "已签发": "#dcedc8"}


class ReportsTab(QWidget):
    WATCHES = frozenset({'signoffs', 'periods', 'annual_plans', 'report_templates'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self.reload()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.preview: monthly.Preview | None = None
        self.printed: pdf_print.PdfSource | None = None
        self.job: Op[Any] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.pages = QTabWidget()
        outer.addWidget(self.pages)
        page = QWidget()
        layout_ = QVBoxLayout(page)
        bar = QHBoxLayout()
        self.year = QComboBox()
        for y in periods.years_in_use(book):  # every year with money in the file, newest first
            self.year.addItem(f"{y} 年", y)
        self.year.currentIndexChanged.connect(lambda *_: self.reload())
        bar.addWidget(QLabel("年度"))
        bar.addWidget(self.year)
        self.rule_set = QLabel()  # the year's rule set, as the package's cover states it
        self.rule_set.setObjectName("rule_set")
        self.preview_button = QPushButton("预览并核对")
        self.preview_button.clicked.connect(self.run_preview)
        self.pdf_button = QPushButton("生成预览稿…")
        self.pdf_button.clicked.connect(self.write_preview)
        self.sign_button = QPushButton("签发…")
        self.sign_button.clicked.connect(self.sign)
        self.reopen_button = QPushButton("重新打开…")
        self.reopen_button.clicked.connect(self.reopen)
        self.export_button = QPushButton("重新生成已签发报送包…")
        self.export_button.clicked.connect(self.export)
        self.print_button = QPushButton("打印预览…")
        self.print_button.setToolTip("九张月报表（与报送包中的 PDF 相同）在窗口中预览，可从预览中打印")
        self.print_button.clicked.connect(self.print_package)
        for b in (self.preview_button, self.pdf_button, self.print_button, self.sign_button, self.reopen_button,
                  self.export_button):
            bar.addWidget(b)
        bar.addStretch(1)
        layout_.addLayout(bar)
        layout_.addWidget(self.rule_set)
        self.may = {self.sign_button: can(book, "sign_off"), self.reopen_button: can(book, "reopen_month")}
        self.buttons = (self.preview_button, self.pdf_button, self.print_button, self.sign_button, self.reopen_button,
                        self.export_button)
        self.set_busy(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QSplitter(Qt.Orientation.Vertical)
        self.months_model = LazyTableModel(MONTH_COLUMNS, ListSource([]), highlight=lambda r: STATUS_COLOURS.get(r["status"]))
        self.months = DataTable(self.months_model)
        self.months.selectionModel().currentRowChanged.connect(lambda *_: self.clear_preview())
        left.addWidget(self.months)
        self.checks = QListWidget()
        self.checks.setWordWrap(True)
        left.addWidget(self.checks)
        split.addWidget(left)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        pick = QHBoxLayout()
        self.table_choice = QComboBox()
        self.table_choice.currentIndexChanged.connect(lambda *_: self.show_table())
        pick.addWidget(QLabel("报表"))
        pick.addWidget(self.table_choice, 1)
        right_layout.addLayout(pick)
        self.grid = QTableWidget()
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        right_layout.addWidget(self.grid)
        split.addWidget(right)
        split.setSizes([520, 760])
        layout_.addWidget(split, 1)
        self.note = QLabel("选中月份，点“预览并核对”查看九张表和表间勾稽关系；全部通过后局长才能签发。签发后该月结账，数据不能再改。")
        self.note.setWordWrap(True)
        layout_.addWidget(self.note)
        self.pages.addTab(page, "月报签发")
        self.templates = TemplatesPage(book, lazy=True)  # 自治区模板: read when first opened
        self.pages.addTab(self.templates, "自治区模板")
        self.reload()

    # -- months --------------------------------------------------------------------------------
    def reload(self) -> None:
        year = int(self.year.currentData() or self.book.today().year)
        self.rule_set.setText(monthly.rule_set_line(self.book, year=year))
        rows = monthly.months(self.book, year=year)
        self.months_model.reload(ListSource(list(reversed(rows))))
        if rows:
            self.months.selectRow(min(1, len(rows) - 1) if rows[-1]["status"] == "未编制" else 0)

    def select(self, object_type: str, object_id: int | str) -> bool:
        """navigate.open_object: a warning about a month (W9) shows that month on the 月报签发 page."""
        if object_type != "month":
            return False
        month = str(object_id)
        year = int(month[:4])
        if self.year.findData(year) < 0:
            return False
        self.year.setCurrentIndex(self.year.findData(year))
        rows = [str(r["month"]) for r in self.months_model.rows]
        if month not in rows:
            return False
        self.pages.setCurrentIndex(0)
        self.months.selectRow(rows.index(month))
        return True

    def selected_month(self) -> str | None:
        row = self.months.current_row()
        return str(row["month"]) if row else None

    def clear_preview(self) -> None:
        self.preview = None
        self.checks.clear()
        self.table_choice.clear()
        self.grid.clear()
        self.grid.setRowCount(0)

    # -- background work -----------------------------------------------------------------------
    def busy(self) -> bool:
        return self.job is not None and self.job.is_running()

    def set_busy(self, busy: bool) -> None:
        for b in self.buttons:
            b.setEnabled(not busy and self.may.get(b, True))

    def start_job(self, title: str, work: Callable[[Book, Progress], Any], done: Callable[[Any], None], *,
                  writes: bool = False) -> None:
        """Run `work(own_book, progress)` off the GUI thread on a connection of its own (window-modal progress,
        取消); `done(result)` only when it succeeded."""
        self.set_busy(True)
        self.job = Op(self, self.book, title, work, writes=writes).after(lambda: self.set_busy(False)).success(done)
        self.job.run_in_background()

    # -- preview -------------------------------------------------------------------------------
    def run_preview(self, then: Callable[[], None] | None = None) -> None:
        month = self.selected_month()
        if month is None or self.busy():
            return

        def done(found: monthly.Preview) -> None:
            self.show_preview(month, found)
            if then is not None:
                then()

        def work(own: Book, progress: Progress) -> monthly.Preview:
            return monthly.preview(own, month=month, progress=progress.step)

        self.start_job(f"预览并核对 {month}", work, done)

    def show_preview(self, month: str, found: monthly.Preview) -> None:
        self.preview = found
        self.checks.clear()
        for c in found.checks:
            item = QListWidgetItem(f"{'✓' if c.ok else '✗'} 第 {c.no} 条 {c.name}：{c.detail}")
            if not c.ok:
                item.setForeground(QBrush(QColor("#b00020")))
                rows = "、".join(str(r) for r in c.rows_involved[:10])
                item.setToolTip(f"涉及：{rows}" if rows else c.detail)
            self.checks.addItem(item)
        self.sections = layout.sections(load_defs(), found.package)
        self.table_choice.blockSignals(True)
        self.table_choice.clear()
        for s in self.sections:
            self.table_choice.addItem(s.title)
        self.table_choice.blockSignals(False)
        self.table_choice.setCurrentIndex(1 if len(self.sections) > 1 else 0)
        self.show_table()
        passed = sum(c.ok for c in found.checks)
        self.note.setText(f"{month}：表间勾稽 {passed}/{len(found.checks)} 条通过。" +
                          monthly.readiness(self.book, month, found.ok))

    def show_table(self) -> None:
        index = self.table_choice.currentIndex()
        if self.preview is None or index < 0:
            return
        section = self.sections[index]
        cols = section.built.table.columns
        rows = [*section.built.rows, *([section.built.total] if section.built.total else [])]
        self.grid.clear()
        self.grid.setColumnCount(len(cols))
        self.grid.setRowCount(len(rows))
        self.grid.setHorizontalHeaderLabels(["\n".join(c.header) for c in cols])
        for i, row in enumerate(rows):
            for j, col in enumerate(cols):
                item = QTableWidgetItem(layout.display(col, row.values.get(col.key)))
                if col.type in ("money", "int", "percent"):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row.kind != "data":
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.grid.setItem(i, j, item)
        self.grid.resizeColumnsToContents()

    # -- files ---------------------------------------------------------------------------------
    def choose_folder(self, title: str) -> Path | None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        folder = QFileDialog.getExistingDirectory(self, title, start) if dialogs.Ask.answer is None else \
            str(dialogs.Ask.record("folder", title) or "")
        return Path(folder) if folder else None

    @staticmethod
    def open_folder(path: Path) -> None:
        open_folder(path)

    def write_preview(self) -> None:
        month = self.selected_month()
        folder = self.choose_folder("预览稿保存到") if month and not self.busy() else None
        if month is None or folder is None:
            return

        def write(own: Book, progress: Progress) -> Any:
            return signoff.write_preview(own, month=month, out_dir=folder / "预览稿", progress=progress.step)

        self.start_job(f"生成 {month} 预览稿", write, lambda result: self.open_folder(result.folder))

    def print_package(self) -> None:
        """打印预览 of the month's package: its PDF made off the GUI thread, shown page by page (kit.pdf_print)."""
        month = self.selected_month()
        if month is None or self.busy():
            return

        row = self.months.current_row() or {}
        version = int(row["version"]) if row.get("status") == "已签发" and row.get("version") else None

        def work(own: Book, progress: Progress) -> bytes:
            if version:  # a signed month: the PDF exactly as it was sent, kept in the file at sign-off
                sent = [d for n, d in signed.signed_files(own, month=month, version=version).items()
                        if n.lower().endswith(".pdf")]
                if sent:
                    return sent[0]
            return pdf.pdf_bytes(monthly.preview(own, month=month, progress=progress.step).package)

        def show(data: bytes) -> None:
            self.printed = pdf_print.PdfSource(data, self)
            what = f"{month} 月报（已签发第 {version} 版）" if version else f"{month} 月报（预览稿）"
            table_tools.preview(self, what, pdf_print.paint_pdf(self.printed), printer=None)

        self.start_job(f"准备 {month} 月报的打印预览", work, show)

    def write_missing_package(self, month: str) -> None:
        """A signed month whose package folder was never written (the sign-off was interrupted): offer to write it."""
        folder = self.choose_folder(f"{month} 已签发：选择报送包所在的文件夹")
        if folder is None:
            return
        try:
            missing = signoff.missing_package(self.book, month=month, out_dir=folder)  # reads only
        except AppError as exc:
            dialogs.error(self, exc)
            return
        if missing is None:
            dialogs.info(self, f"{month} 已签发，报送包已在 {folder} 中。如需更正，请先重新打开该月。")
            return
        if not dialogs.confirm(self, f"{month} 已签发并结账，但 {folder} 中没有它的报送包文件夹（签发时程序可能被中断）。"
                                     "\n\n是否现在按签发时保存的文件写出？文件与签发时记录的 SHA-256 逐字节一致。"):
            return
        written = ops.run_op(self, self.book, lambda: signoff.write_missing(self.book, month=month, out_dir=folder))
        if written:
            dialogs.info(self, f"已写出报送包：\n{written}")
            self.open_folder(written)

    def sign(self) -> None:
        month = self.selected_month()
        if month is None or self.busy():
            return
        if monthly.is_signed(self.book, month):
            self.write_missing_package(month)
            return
        if self.preview is None or self.preview.package.month != month:
            self.run_preview(then=self.sign)
            return
        if not self.preview.ok:
            dialogs.error(self, "表间勾稽关系未全部通过，不能签发。")
            return
        earlier = monthly.open_earlier_months(self.book, month)
        if earlier and not dialogs.confirm(
                self, f"{'、'.join(earlier)} 尚未签发。月份按顺序签发结账：是否把这些月份与 {month} 一并签发"
                      "（逐月核对勾稽关系、逐月生成报送包）？"):
            return
        months = [*earlier, month]
        comment = dialogs.ask_text(self, "签发", f"签发 {'、'.join(months)} 月报。签发后结账，数据不能再修改。\n签发意见：",
                                   "同意报送")
        if comment is None:
            return
        folder = self.choose_folder("报送包保存到")
        if folder is None:
            return
        password = dialogs.ask_secret(self, "签发", "请输入局长本人的密码（用于解开签名密钥，报送包由此密钥签名）：")
        if not password:
            return

        def done(results: Any) -> None:
            self.reload()
            folders = "\n".join(str(r.folder) for r in results)
            dialogs.info(self, f"已签发，{'、'.join(months)} 已结账。报送包：\n{folders}")
            self.open_folder(results[-1].folder)

        def work(own: Book, progress: Progress) -> Any:
            return signoff.sign_months(own, months=months, out_dir=folder, password=password, comment=comment,
                                       progress=progress.step)

        self.start_job(f"签发 {month}", work, done, writes=True)

    def reopen(self) -> None:
        month = self.selected_month()
        if month is None or self.busy():
            return
        reason = dialogs.ask_text(self, "重新打开", f"重新打开 {month}（将生成更正版，原版本保留）。请写明理由：")
        if reason is None:
            return
        password = dialogs.ask_secret(self, "重新打开", "请输入局长本人的密码（重新打开由局长的签名密钥签名）：")
        if not password:
            return
        if ops.run_op(self, self.book, lambda: monthly.reopen(self.book, month=month, reason=reason, password=password)):
            dialogs.info(self, f"{month} 已重新打开，更正后请重新签发（生成下一个版本）。")
            self.reload()

    def export(self) -> None:
        month = self.selected_month()
        folder = self.choose_folder("重新生成到") if month and not self.busy() else None
        if month is None or folder is None:
            return
        stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")

        def work(own: Book, progress: Progress) -> tuple[Path, list[signed.FileCheck], str]:
            version = int(monthly.signed_package(own, month=month)[0]["version"])
            written, checks = signed.recreate_compare(own, month=month, version=version,
                                                      out_dir=folder / f"重新生成_{stamp}", progress=progress.step)
            why = None if all(c.same for c in checks) else signed.why_different(own, month=month, version=version)
            return written, checks, signed.compare_summary(month, version, checks, why)

        def done(result: tuple[Path, list[signed.FileCheck], str]) -> None:
            written, _checks, summary = result
            dialogs.info(self, f"{summary}\n{written}")
            self.open_folder(written)

        self.start_job(f"重新生成 {month} 报送包", work, done)
