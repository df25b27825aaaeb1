"""收款人: the payee register — add, correct, retire, and the reviewer's confirmation of an old USCC."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.models.plan import payees
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, focus_shortcut
from app.ui.kit.widgets import can as allowed
from app.ui.payments.dialogs import PayeeDialog

COLUMNS = [Column("name", "收款人", width=260), Column("payee_type_name", "类型"), Column("id_code", "证件号码"),
           Column("id_state", "证件校验"), Column("account_name", "账户名称"), Column("account_no", "账号"),
           Column("bank", "开户银行"), Column("village", "村"), Column("active", "启用", "bool")]


class PayeesPage(QWidget):
    def __init__(self, book: Book, *, lazy: bool = False) -> None:
        """`lazy`: read nothing now; the 支付审批 tab reloads the page each time it is opened (issue #22: a
        sub-tab not yet opened costs the tab's first paint nothing)."""
        super().__init__()
        self.book = book
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText("按名称、证件号码、账号、开户行筛选（Ctrl+F）")
        self.text.returnPressed.connect(self.reload)
        bar.addWidget(self.text, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("new", "新增收款人…", self.new), ("edit", "修改…", self.edit),
                                ("active", "停用/启用", self.toggle), ("confirm", "确认证件（审核人）", self.confirm)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        layout.addLayout(bar)
        self.model = LazyTableModel(COLUMNS, ListSource([]) if lazy else payees.PayeeQuery(book),
                                    highlight=lambda r: "#ffe0b2" if not r["id_check_ok"] and not r["id_confirmed_by"]
                                    else ("#eeeeee" if not r["active"] else None))
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _i: self.edit())
        layout.addWidget(self.view, 1)
        focus_shortcut(self, self.text)
        self._update_buttons()

    def reload(self) -> None:
        self.model.reload(payees.PayeeQuery(self.book, text=self.text.text()))
        self._update_buttons()

    def select(self, object_type: str, object_id: Any) -> bool:
        """navigate.open_object (e.g. from the global search): show the payee, clearing the filter if it hides it."""
        if object_type != "payee":
            return False
        if self.view.select_id(object_id):
            return True
        self.text.setText("")
        self.reload()
        return self.view.select_id(object_id)

    def current(self) -> dict[str, Any] | None:
        return self.view.current_row()

    def _update_buttons(self) -> None:
        p = self.current()

        def can(op: str) -> bool:
            return allowed(self.book, op)

        self.buttons["new"].setEnabled(can("edit_payee"))
        self.buttons["edit"].setEnabled(bool(p) and can("edit_payee"))
        self.buttons["active"].setEnabled(bool(p) and can("edit_payee"))
        self.buttons["confirm"].setEnabled(bool(p and not p["id_check_ok"] and not p["id_confirmed_by"])
                                           and can("confirm_payee"))

    def _saved(self, result: Any) -> None:
        if isinstance(result, dict):
            if result.get("warning"):
                dialogs.info(self, f"已保存。提示：{result['warning']}")
            self.reload()

    def new(self) -> None:
        dialog = PayeeDialog(self, self.book)
        self._saved(dialog.submit(self.book, lambda: payees.create_payee(self.book, **dialog.values())))

    def edit(self) -> None:
        p = self.current()
        if p:
            dialog = PayeeDialog(self, self.book, p)
            self._saved(dialog.submit(self.book, lambda: payees.update_payee(self.book, payee_id=p["id"],
                                                                             **dialog.values())))

    def toggle(self) -> None:
        p = self.current()
        if p and ops.run_op(self, self.book, lambda: payees.set_active(self.book, payee_id=p["id"], active=not p["active"])):
            self.reload()

    def confirm(self) -> None:
        p = self.current()
        if p and dialogs.confirm(self, f"已核对营业执照原件，确认“{p['name']}”的统一社会信用代码 {p['id_code']} 无误？"):
            if ops.run_op(self, self.book, lambda: payees.confirm_id(self.book, payee_id=p["id"])):
                self.reload()
