"""已签发月报: every signed version, re-created and compared file by file, or exported exactly as sent.

Only reads: it works on a file opened read-only (the auditor's way of opening it).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.export import signed
from app.models.reports import monthly
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.ops import Cancelled, Op, Progress
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable
from app.ui.shell.folders import open_folder

COLUMNS = [Column("month", "月份"), Column("version", "版本", "int"), Column("status_name", "状态"),
           Column("signed_by", "签发人"), Column("signed_at", "签发时间"), Column("comment", "签发意见"),
           Column("audit", "审计链头（序号:哈希）"), Column("reopen", "重新打开")]
STATUS = {"signed": "已签发（现行）", "superseded": "已被更正版取代"}


class SignedPackagesPage(QWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.job: Op[Any] | None = None
        self.checks: list[signed.FileCheck] = []
        self.recreated: Path | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.recreate_button = QPushButton("重新生成并比对")
        self.recreate_button.clicked.connect(self.recreate)
        self.export_button = QPushButton("导出此版本…")
        self.export_button.clicked.connect(self.export)
        bar.addWidget(self.recreate_button)
        bar.addWidget(self.export_button)
        hint = QLabel("重新生成：用数据库中保存的签发数据重新生成报送包，逐个文件比对 SHA-256。"
                      "导出此版本：写出签发时保存的原文件（即当时报送的文件）。")
        hint.setWordWrap(True)
        bar.addWidget(hint, 1)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LazyTableModel(COLUMNS, ListSource([]),
                                    highlight=lambda r: None if r["status"] == "signed" else "#eeeeee")
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_files())
        split.addWidget(self.view)
        self.files = QTableWidget(0, 4)
        self.files.setHorizontalHeaderLabels(["文件", "比对结果", "签发时记录的 SHA-256", "重新生成的 SHA-256"])
        self.files.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.files.horizontalHeader().setStretchLastSection(True)
        split.addWidget(self.files)
        split.setSizes([380, 200])
        layout.addWidget(split, 1)
        self.result = QLabel("选中一个版本，点“重新生成并比对”。")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.reload()

    def reload(self) -> None:
        rows = []
        for s in reversed(monthly.signoffs(self.book)):
            rows.append(s | {"status_name": STATUS.get(s["status"], s["status"]),
                             "audit": f"{s['audit_seq']}:{s['audit_hash']}",
                             "reopen": f"{s['reopened_at']} {s['reopen_reason']}" if s["reopened_at"] else ""})
        self.model.reload(ListSource(rows))
        if rows:
            self.view.selectRow(0)
        self.recreate_button.setEnabled(bool(rows))
        self.export_button.setEnabled(bool(rows))

    def showEvent(self, event: QShowEvent) -> None:
        """A month signed in the 月报 tab meanwhile appears when the page is shown again."""
        super().showEvent(event)
        if not self.busy() and len(monthly.signoffs(self.book)) != self.model.total:
            self.reload()

    def selected(self) -> dict[str, Any] | None:
        return self.view.current_row()

    def busy(self) -> bool:
        return self.job is not None and self.job.is_running()

    def show_files(self, checks: list[signed.FileCheck] | None = None) -> None:
        """The selected version's files: recorded hashes, and after a comparison the re-created ones."""
        row = self.selected()
        compared = checks is not None
        if checks is None:
            checks = [signed.FileCheck(n, d, None) for n, d in sorted((row or {}).get("files", {}).items())]
            self.result.setText("选中一个版本，点“重新生成并比对”。" if row else "还没有已签发的月报。")
        self.files.setRowCount(len(checks))
        for i, c in enumerate(checks):
            verdict = ""
            if compared:
                verdict = ("✓ 一致" if c.same else "✗ 签发时没有此文件" if not c.recorded
                           else "✗ 未能重新生成" if c.recreated is None else "✗ 不一致")
            for j, value in enumerate((c.name, verdict, c.recorded, c.recreated or "")):
                item = QTableWidgetItem(value)
                if j == 1 and verdict:
                    item.setForeground(QBrush(QColor("#1b5e20" if c.same else "#b00020")))
                self.files.setItem(i, j, item)
        self.files.resizeColumnsToContents()

    # -- re-create and compare, off the GUI thread on its own read-only connection -------------
    def recreate(self) -> None:
        row = self.selected()
        if row is None or self.busy():
            return
        month, version = str(row["month"]), int(row["version"])
        out = Path(tempfile.mkdtemp(prefix="fundledger-重新生成-"))
        self.recreate_button.setEnabled(False)
        self.result.setText(f"正在重新生成 {month} 第 {version} 版……")

        def job(own: Book, progress: Progress) -> tuple[Path, list[signed.FileCheck], str]:
            folder, checks = signed.recreate_compare(own, month=month, version=version, out_dir=out,
                                                     progress=progress.step)
            why = None if all(c.same for c in checks) else signed.why_different(own, month=month, version=version)
            return folder, checks, signed.compare_summary(month, version, checks, why)

        def failed(error: BaseException) -> None:
            self.result.setText(f"未能重新生成：{error}")
            if isinstance(error, Cancelled):
                dialogs.info(self, str(error))
            else:
                dialogs.error(self, error)

        def done(result: tuple[Path, list[signed.FileCheck], str]) -> None:
            folder, checks, summary = result
            self.recreated, self.checks = folder, checks
            self.show_files(checks)
            self.result.setText(f"{summary}\n重新生成的文件在：{folder}")

        self.job = Op(self, self.book, f"重新生成 {month} 第 {version} 版", job, writes=False) \
            .after(lambda: self.recreate_button.setEnabled(True)).success(done).failure(failed).run_in_background()

    # -- export the signed files as sent ---------------------------------------------------------
    def choose_folder(self, title: str) -> Path | None:
        if dialogs.Ask.answer is not None:
            answer = dialogs.Ask.record("folder", title)
            return Path(answer) if answer else None
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = QFileDialog.getExistingDirectory(self, title, start)
        return Path(name) if name else None

    def export(self) -> None:
        row = self.selected()
        if row is None:
            return
        folder = self.choose_folder(f"导出 {row['month']} 第 {row['version']} 版到")
        if folder is None:
            return
        written = ops.run_op(self, self.book, lambda: signed.save_signed(self.book, month=str(row["month"]),
                                                                     version=int(row["version"]), out_dir=folder))
        if isinstance(written, Path):
            self.result.setText(f"已导出 {row['month']} 第 {row['version']} 版签发时的文件：{written}")
            open_folder(written)
