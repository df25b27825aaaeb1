"""导入国库支付数据: choose the columns, see the dry run row by row, then import — off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.ledger import treasury
from app.models.ledger import treasury_file as tf
from app.models.store.book import Book
from app.models.values.errors import AppError, RowErrors
from app.ui.kit import dialogs
from app.ui.kit.ops import Op
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable

COLUMNS = [Column("row", "行号", "int"), Column("voucher_no", "支付凭证号"), Column("pay_date", "支付日期"),
           Column("doc_no", "指标文号"), Column("payee_name", "收款人"), Column("amount", "国库金额", "money"),
           Column("ledger_amount", "专账金额", "money"), Column("status_name", "处理结果")]
COLOURS = {"unmatched": "#fde2b8", "amount_diff": "#f8d0d0", "duplicate": "#e8e8e8"}


class TreasuryImportDialog(QDialog):
    """Mapping editor + dry-run preview; 导入 is enabled only when the whole file is acceptable."""

    def __init__(self, book: Book, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book, self.path = book, path
        self.plan: treasury.Plan | None = None
        self.failed: BaseException | None = None
        self.imported: treasury.ImportResult | None = None
        self.job: Op[Any] | None = None
        self.setWindowTitle(f"导入国库支付数据 — {path.name}")
        self.resize(1100, 680)
        headers, found = treasury.headers(book, path)
        layout = QVBoxLayout(self)
        box = QGroupBox("列对应（按列名自动识别，可修改；导入后记住，下次自动使用）")
        grid = QGridLayout(box)
        self.combos: dict[str, QComboBox] = {}
        for n, (field, (std, required, _other)) in enumerate(tf.FIELDS.items()):
            combo = QComboBox()
            combo.addItem("（不导入）" if not required else "（请选择）", "")
            for h in headers:
                combo.addItem(h, h)
            combo.setCurrentIndex(max(0, combo.findData(found.get(field, ""))))
            self.combos[field] = combo
            grid.addWidget(QLabel(std + ("*" if required else "")), n // 4, (n % 4) * 2)
            grid.addWidget(combo, n // 4, (n % 4) * 2 + 1)
        layout.addWidget(box)
        self.summary = QLabel("正在检查文件…")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.errors = QPlainTextEdit()
        self.errors.setReadOnly(True)
        self.errors.setVisible(False)
        layout.addWidget(self.errors)
        self.model = LazyTableModel(COLUMNS, ListSource([]), highlight=lambda r: COLOURS.get(str(r.get("status"))))
        self.table = DataTable(self.model)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.preview_button = QPushButton("重新检查")
        self.import_button = QPushButton("确认导入")
        self.import_button.setEnabled(False)
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        self.preview_button.setDefault(True)  # Enter checks again until the file can be imported
        self.preview_button.clicked.connect(self.preview)
        self.import_button.clicked.connect(self.do_import)
        layout.addWidget(buttons)
        self.preview()

    def mapping(self) -> dict[str, str]:
        return {f: str(c.currentData()) for f, c in self.combos.items() if c.currentData()}

    def _default_button(self) -> None:
        """Enter presses 确认导入 once the file can be imported, 重新检查 before."""
        ready = self.import_button.isEnabled()
        self.import_button.setDefault(ready)
        self.preview_button.setDefault(not ready)

    def busy(self) -> bool:
        return self.job is not None and self.job.is_running()

    def preview(self) -> None:
        """The dry run, off the GUI thread: nothing is written."""
        if self.busy():
            return
        self.plan = self.failed = None
        self.import_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        mapping = self.mapping()
        self.job = Op(self, self.book, "正在检查国库支付数据（不写入）",
                      lambda book, p: treasury.plan(book, self.path, mapping=mapping, progress=p.step), writes=False) \
            .success(lambda plan: self._planned(plan, None)).failure(lambda error: self._planned(None, error)) \
            .run_in_background()

    def _planned(self, plan: Any, error: BaseException | None) -> None:
        self.preview_button.setEnabled(True)
        self.failed = error
        self.errors.setVisible(error is not None)
        if error is not None:
            rows = error.errors if isinstance(error, RowErrors) else []
            self.summary.setText(f"文件不能导入：{error}" if not rows else
                                 f"文件有 {len(rows)} 处错误，整个文件都不会导入。请在原文件中改正后重新检查：")
            self.errors.setPlainText("\n".join(f"第 {r} 行 {f}：{why}" for r, f, why in rows) or str(error))
            self.model.reload(ListSource([]))
            if not isinstance(error, AppError):
                dialogs.error(self, error)
            return
        assert isinstance(plan, treasury.Plan)
        self.plan = plan
        self.summary.setText(plan.summary() + "（黄色：专账无此凭证；红色：金额不符——导入后列入“对账”待说明）")
        self.model.reload(ListSource([r.as_dict() for r in plan.rows]))
        self.import_button.setEnabled(plan.to_add > 0 and not self.book.read_only)
        self._default_button()

    def do_import(self) -> None:
        if self.plan is None or self.busy():
            return
        mapping = self.mapping()
        self.import_button.setEnabled(False)
        self.job = Op(self, self.book, "正在导入国库支付数据",
                      lambda book, p: treasury.import_file(book, self.path, mapping=mapping, progress=p.step)) \
            .success(lambda result: self._imported(result, None)).failure(lambda error: self._imported(None, error)) \
            .run_in_background()

    def _imported(self, result: Any, error: BaseException | None) -> None:
        if error is not None:
            dialogs.error(self, error)
            self.import_button.setEnabled(self.plan is not None)
            return
        assert isinstance(result, treasury.ImportResult)
        self.imported = result
        dialogs.info(self, result.text())
        self.accept()
