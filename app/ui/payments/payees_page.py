"""收款人: the payee register — add, correct, retire, and the reviewer's confirmation of an old USCC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.models.plan import payees
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.ops import Query
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
        sub-tab not yet opened costs the tab's first paint nothing). Every read of the list — the first, a filter,
        a sort, after a save, an object opened from elsewhere — runs off the GUI thread (kit.ops.Query)."""
        super().__init__()
        self.book = book
        self.query = Query(self, book)
        self._asked = ""  # the filter text of the rows last asked for: a sort re-reads with it
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText("按名称、证件号码、账号、开户行筛选（Ctrl+F）")
        self.text.returnPressed.connect(lambda: self.reload())
        bar.addWidget(self.text, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("new", "新增收款人…", self.new), ("edit", "修改…", self.edit),
                                ("active", "停用/启用", self.toggle), ("confirm", "确认证件（审核人）", self.confirm)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        layout.addLayout(bar)
        self.model = LazyTableModel(COLUMNS, ListSource([]),
                                    highlight=lambda r: "#ffe0b2" if not r["id_check_ok"] and not r["id_confirmed_by"]
                                    else ("#eeeeee" if not r["active"] else None), read=False)
        self.query.follow(self.model, lambda: self._source_for(self._asked), lambda: self._update_buttons())
        self.query.page(self.model, self._source_for(""))  # scrolling down reads the next page off the GUI thread
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _i: self.edit())
        layout.addWidget(self.view, 1)
        focus_shortcut(self, self.text)
        self._update_buttons()
        if not lazy:
            self.reload()

    @staticmethod
    def _source_for(text: str) -> Callable[[Book], payees.PayeeQuery]:
        return lambda book: payees.PayeeQuery(book, text=text)

    def reload(self, select_id: int | None = None) -> None:
        """The list read again off the GUI thread (the page opened, Enter in the filter box, a save, a write
        elsewhere); the table keeps its rows until they arrive. Then the payee `select_id` (one just saved or opened
        from elsewhere; else the one selected before) is selected — the models layer numbers it in the filter and
        sort shown and the pages down to it are read in the worker; one the filter hides is shown with the filter
        cleared. A newer request (a filter, a sort) wins; what is typed meanwhile is kept."""
        current = self.current()
        target = select_id or (current["id"] if current else None)
        text = self.text.text()
        self._asked = text
        widen = None
        if select_id and text:
            def cleared() -> None:
                if self.text.text() == text:  # typed meanwhile (not yet applied): kept
                    self.text.clear()
                self._asked = ""

            widen = (self._source_for(""), cleared)

        def shown() -> None:
            if target is not None:
                self.view.select_loaded(target, at=self.query.found_at)
            self._update_buttons()

        self.query.reload(self.model, self._source_for(text), shown,
                          reach=("id", target) if target else None, widen=widen)

    def select(self, object_type: str, object_id: Any) -> bool:
        """navigate.open_object (e.g. from the global search): True at once when the payee exists; it is found and
        selected off the GUI thread (`reload`), the filter cleared if it hides it."""
        if object_type != "payee" or not object_id or not payees.PayeeQuery(self.book).has(int(object_id)):
            return False
        self.reload(int(object_id))
        return True

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
            self.reload(int(result["id"]))

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
            self.reload(p["id"])

    def confirm(self) -> None:
        p = self.current()
        if p and dialogs.confirm(self, f"已核对营业执照原件，确认“{p['name']}”的统一社会信用代码 {p['id_code']} 无误？"):
            if ops.run_op(self, self.book, lambda: payees.confirm_id(self.book, payee_id=p["id"])):
                self.reload(p["id"])
