"""导入国库支付数据: choose the columns, see the dry run row by row, then import — off the GUI thread.

Nothing that grows with the file runs on the GUI thread: the headers are read and the first dry run made in
one background operation (the columns are offered when it returns), and the preview table builds the
display rows of the page it shows only (`PlanSource`), not 100,000 dictionaries at once."""

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
SORT = {"row": lambda r: r.row, "voucher_no": lambda r: r.voucher_no, "pay_date": lambda r: r.pay_date,
        "doc_no": lambda r: r.doc_no, "payee_name": lambda r: r.payee_name, "amount": lambda r: r.amount,
        "ledger_amount": lambda r: (r.ledger_amount is None, r.ledger_amount or 0), "status_name": lambda r: r.status}


class PlanSource:
    """The dry run's rows as a table source: a page's dictionaries are made when the page is shown."""

    def __init__(self, rows: list[treasury.PlanRow]) -> None:
        self.rows = rows

    def count(self) -> int:
        return len(self.rows)

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        rows = self.rows
        if sort_key in SORT:
            rows = sorted(rows, key=SORT[sort_key], reverse=descending)
        return [r.as_dict() for r in rows[offset: offset + limit]]


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
        tf.check_suffix(path)  # a file of another kind is refused before the dialog opens
        layout = QVBoxLayout(self)
        box = QGroupBox("列对应（按列名自动识别，可修改；导入后记住，下次自动使用）")
        grid = QGridLayout(box)
        self.combos: dict[str, QComboBox] = {}
        for n, (field, (std, required, _other)) in enumerate(tf.FIELDS.items()):
            combo = QComboBox()
            combo.addItem("（不导入）" if not required else "（请选择）", "")
            # the file's columns are added when its headers have been read (off the GUI thread)
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
        self.preview(first=True)

    def mapping(self) -> dict[str, str]:
        return {f: str(c.currentData()) for f, c in self.combos.items() if c.currentData()}

    def _default_button(self) -> None:
        """Enter presses 确认导入 once the file can be imported, 重新检查 before."""
        ready = self.import_button.isEnabled()
        self.import_button.setDefault(ready)
        self.preview_button.setDefault(not ready)

    def busy(self) -> bool:
        return self.job is not None and self.job.is_running()

    def preview(self, *, first: bool = False) -> None:
        """The dry run, off the GUI thread: nothing is written. The first one also reads the file's headers
        and uses the mapping the import would use (remembered, or recognised from the names)."""
        if self.busy():
            return
        self.plan = self.failed = None
        self.import_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        mapping = self.mapping()
        path = self.path

        def work(book: Book, p: Any) -> tuple[tuple[list[str], dict[str, str]] | None, Any]:
            heads = None
            if first:
                try:
                    heads = treasury.headers(book, path)
                except AppError:
                    heads = None  # the dry run below says why the file cannot be read
            try:
                return heads, treasury.plan(book, path, mapping=heads[1] if heads else mapping, progress=p.step)
            except AppError as exc:
                return heads, exc

        def done(found: tuple[tuple[list[str], dict[str, str]] | None, Any]) -> None:
            if found[0] is not None:
                self._offer_headers(*found[0])
            if isinstance(found[1], BaseException):
                self._planned(None, found[1])
            else:
                self._planned(found[1], None)

        self.job = Op(self, self.book, "正在检查国库支付数据（不写入）", work, writes=False) \
            .success(done).failure(lambda error: self._planned(None, error)).run_in_background()

    def _offer_headers(self, headers: list[str], found: dict[str, str]) -> None:
        """The file's columns in each combo box, the recognised (or remembered) one chosen."""
        for field, combo in self.combos.items():
            combo.blockSignals(True)
            for h in headers:
                combo.addItem(h, h)
            combo.setCurrentIndex(max(0, combo.findData(found.get(field, ""))))
            combo.blockSignals(False)

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
        self.model.reload(PlanSource(plan.rows))
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
