"""At the county: 导入上级回执 — the prefecture's receipt for a package this county sent, and the receipts so far
(did what arrived match what was signed, does the prefecture's anchor still match this file, the opinion or the
reason for a return)."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.models.prefecture import receipts
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.widgets import can


class ReceiptsDialog(QDialog):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.setWindowTitle("上级回执")
        self.resize(900, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("地州（上级）接收本单位报送包后写出的回执。导入后记录：对方收到的文件是否与本单位签发的"
                                "完全一致、对方持有的本单位审计链头是否仍与本文件一致、结果、审核意见或退回理由。"))
        self.list = QListWidget()
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.add = buttons.addButton("导入回执…", QDialogButtonBox.ButtonRole.ActionRole)
        self.add.setEnabled(can(book, "import_receipt"))
        self.add.clicked.connect(self.import_one)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for r in receipts.receipts(self.book):
            item = QListWidgetItem(receipts.describe(r))
            bad = not (r["intact"] and r["anchor_ok"])
            item.setBackground(QBrush(QColor("#ffcdd2" if bad else "#fff3c4" if r["return_reason"] else "#dcedc8")))
            self.list.addItem(item)

    def import_one(self) -> None:
        path = dialogs.choose_path(self, "open", "选择回执文件", "回执 (*.json)")
        if path is None:
            return
        got = ops.run_op(self, self.book, lambda: receipts.import_receipt(self.book, path))
        if isinstance(got, dict):
            self.refresh()
            dialogs.info(self, ("已导入：" if got["new"] else "此前已导入，未作改动：") + receipts.describe(got))
