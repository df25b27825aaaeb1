"""支付审批 dialogs: the request form (with what is left and every check shown live while typing),
the treasury voucher, and the payee. Tests stand in for the user through each class's `answer` hook."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.ledger import classification, indicators
from app.models.payments import checks
from app.models.plan import payees, projects
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import AppError
from app.ui.plan.dialogs import Answerable, date_edit, iso

COLOURS = {"fail": "#ffcdd2", "warn": "#ffe0b2", "pass": ""}
NAMES = {"fail": "不通过", "warn": "提示", "pass": "通过"}


def _fill(box: QComboBox, items: list[tuple[str, Any]], current: Any = None) -> None:
    box.blockSignals(True)
    box.clear()
    for text, data in items:
        box.addItem(text, data)
    if current is not None and box.findData(current) >= 0:
        box.setCurrentIndex(box.findData(current))
    box.blockSignals(False)


class PaymentDialog(Answerable):
    """A new request or a 草稿/退回 one corrected; `values()` are the keyword arguments of payments.draft."""

    def __init__(self, parent: QWidget | None, book: Book, payment: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.payment = payment
        self.token = uuid.uuid4().hex  # one form = one request, however often 保存 is pressed
        self.submit_after = False
        self.setWindowTitle(f"修改支付申请 {payment['request_no']}" if payment else "新建支付申请")
        self.resize(980, 700)
        p = payment or {}
        r = book.rules
        self.project = QComboBox()
        _fill(self.project, [(f"{x['code']}　{x['name']}（{x['status_name']}）", int(x["id"]))
                             for x in projects.choices(book, payable_only=True)], p.get("project_id"))
        if p and self.project.findData(p["project_id"]) < 0:  # a request on a project not (or no longer) approved
            x = projects.get(book, int(p["project_id"]))
            self.project.addItem(f"{x['code']}　{x['name']}（{x['status_name']}）", int(x["id"]))
            self.project.setCurrentIndex(self.project.count() - 1)
        self.all_indicators = QCheckBox("显示全部指标")
        self.indicator = QComboBox()
        self.payee = QComboBox()
        _fill(self.payee, [("（按实名制发放名册直接发放到个人）", None)] +
              [(f"{x['name']}（{x['payee_type_name']}，{x['bank']} {x['account_no']}）", int(x["id"]))
               for x in payees.choices(book)], p.get("payee_id"))
        self.amount = QLineEdit(money.format(int(p["amount"])) if p else "")
        self.amount.setPlaceholderText("元，例如 120000 或 120,000.00")
        self.kind = QComboBox()
        _fill(self.kind, [(k.name, k.code) for k in r.payment.kinds], p.get("kind") or "progress")
        self.usage = QComboBox()
        _fill(self.usage, [(u.name, u.code) for u in r.usage_categories], p.get("usage") or "industry")
        self.func = QComboBox()
        self.func.setEditable(True)
        _fill(self.func, [(f"{f.code} {f.name}", f.code) for f in r.functional_codes if len(f.code) == 7])
        self.econ = QLineEdit(str(p.get("econ_code") or "31005"))
        listed = classification.load()  # 经济分类 of the 2019 list as suggestions: type a code or pick one
        econ_hints = QCompleter([f"{c} {n}" for c, n in listed.economic.items()], self.econ)
        econ_hints.setFilterMode(Qt.MatchFlag.MatchContains)
        self.econ.setCompleter(econ_hints)
        self.econ.setToolTip("经济分类科目编码（《2019年政府收支分类科目》，3 或 5 位）；输入编码或名称可选择")
        self.method = QComboBox()
        _fill(self.method, [(m.name + ("" if r.method_allowed(m.code) else "（不允许）"), m.code)
                            for m in r.payment.methods], p.get("method") or "direct")
        self.day = date_edit(p.get("draft_date") or book.today())
        self.purpose = QLineEdit(str(p.get("purpose", "")))
        form = QFormLayout()
        pick = QHBoxLayout()
        pick.addWidget(self.indicator, 1)
        pick.addWidget(self.all_indicators)
        form.addRow("项目（已审定）", self.project)
        form.addRow("支付指标", pick)
        for label, widget in (("收款人", self.payee), ("金额（元）", self.amount), ("支付类型", self.kind),
                              ("支出用途", self.usage), ("功能科目", self.func), ("经济科目", self.econ),
                              ("支付方式", self.method), ("申请日期", self.day), ("用途说明", self.purpose)):
            form.addRow(label, widget)
        self.left_indicator, self.left_line, self.ratio, self.daxie = QLabel(), QLabel(), QLabel(), QLabel()
        live = QGroupBox("本笔支付后（随输入即时计算）")
        grid = QGridLayout(live)
        for row, (label, shown) in enumerate((("指标可用余额", self.left_indicator), ("项目该来源尚可申请", self.left_line),
                                              ("项目预付款比例", self.ratio), ("金额大写", self.daxie))):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(shown, row, 1)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["检查项目", "结果", "说明"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 190)
        self.table.verticalHeader().setVisible(False)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b71c1c")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        save = QPushButton("保存草稿")
        save.clicked.connect(lambda: self._done(False))
        send = QPushButton("保存并提交")
        send.clicked.connect(lambda: self._done(True))
        buttons.addButton(save, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(send, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addLayout(form, 3)
        top.addWidget(live, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("规则检查（提交时和审核时还会再检查一次，结果随申请保存）"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(150)
        self.timer.timeout.connect(self.refresh)
        self.project.currentIndexChanged.connect(self._project_changed)
        self.all_indicators.toggled.connect(self._project_changed)
        self.indicator.currentIndexChanged.connect(self._indicator_changed)
        for box in (self.payee, self.kind, self.usage, self.method):
            box.currentIndexChanged.connect(lambda _i: self._later())
        self.amount.textChanged.connect(lambda _t: self._later())
        self._indicators(p.get("indicator_id"))
        if p.get("func_code"):
            self.func.setEditText(str(p["func_code"]))
        self.refresh()

    def _project_changed(self, *_: object) -> None:
        self._indicators()
        self._later()

    def _indicator_changed(self, *_: object) -> None:
        self._follow_indicator()
        self._later()

    def _later(self) -> None:
        self.timer.start()

    def ask(self) -> bool:
        try:
            return super().ask()
        finally:
            self.timer.stop()  # nothing more to preview once the form is closed

    def submit(self, book: Book, operation: Any, *, done: str | None = None) -> Any:
        try:
            return super().submit(book, operation, done=done)
        finally:
            self.timer.stop()

    def _indicators(self, current: Any = None) -> None:
        """The project's funding lines (or every indicator); the 功能科目 follows the indicator chosen."""
        pid = self.project.currentData()
        items: list[tuple[str, Any]] = []
        if pid is not None:
            for line in projects.funding_lines(self.book, int(pid)):
                items.append((f"{line['doc_no']}　{line['item_name']}（本项目尚可申请 {money.format(line['left'])} 元）",
                              int(line["indicator_id"])))
        if self.all_indicators.isChecked() or (current is not None and current not in [d for _t, d in items]):
            known = {d for _t, d in items}
            items += [(f"{x['doc_no']}　{x['item_name']}（非本项目资金来源）", int(x["id"]))
                      for x in projects.indicator_choices(self.book) if int(x["id"]) not in known]
        _fill(self.indicator, items, current if current is not None else self.indicator.currentData())
        self._follow_indicator()

    def _follow_indicator(self) -> None:
        """A new request takes its 功能科目 from the indicator that pays it."""
        ind = self.indicator.currentData()
        if ind is not None and not (self.payment and self.payment.get("func_code")):
            code = indicators.get(self.book, int(ind))["func_code"]
            if code:
                self.func.setEditText(code)

    def amount_fen(self) -> int | None:
        try:
            return money.parse(self.amount.text(), field="金额", allow_zero=False)
        except AppError:
            return None

    def refresh(self) -> None:
        """checks.preview on what is typed: the same rules the submit runs, nothing written."""
        if self.book.closed:
            return
        fen = self.amount_fen()
        self.daxie.setText(money.daxie(fen) if fen else "")
        if self.project.currentData() is None or self.indicator.currentData() is None or fen is None:
            self.error.setText("" if fen is not None or not self.amount.text().strip() else "金额格式不正确")
            return
        try:
            got = checks.preview(self.book, {
                "project_id": int(self.project.currentData()), "indicator_id": int(self.indicator.currentData()),
                "payee_id": self.payee.currentData(), "amount": fen, "kind": self.kind.currentData(),
                "usage": self.usage.currentData(), "method": self.method.currentData(),
                "payment_id": self.payment["id"] if self.payment else None})
        except AppError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.left_indicator.setText(f"{money.format(got['indicator_left'])} → {money.format(got['indicator_left_after'])} 元")
        line = got["line_left"]
        self.left_line.setText("该指标不是本项目的资金来源" if line is None else
                               f"{money.format(line)} → {money.format(got['line_left_after'])} 元")
        self.ratio.setText(f"{got['prepayment_ratio_after']}（预付款累计 {money.format(got['prepaid_after'])} 元 ／ "
                           f"项目资金 {money.format(got['project_total'])} 元）")
        for label, after in ((self.left_indicator, got["indicator_left_after"]),
                             (self.left_line, got["line_left_after"] if line is not None else -1)):
            label.setStyleSheet("color: #b71c1c; font-weight: bold" if after < 0 else "")
        outcomes = got["outcomes"]
        self.table.setRowCount(len(outcomes))
        for row, o in enumerate(outcomes):
            for col, text in enumerate((o.name, NAMES[o.outcome], o.message)):
                item = QTableWidgetItem(text)
                if COLOURS[o.outcome]:
                    item.setBackground(QBrush(QColor(COLOURS[o.outcome])))
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()

    def values(self) -> dict[str, Any]:
        return {"project_id": self.project.currentData(), "indicator_id": self.indicator.currentData(),
                "payee_id": self.payee.currentData(), "amount": self.amount.text(), "kind": self.kind.currentData(),
                "usage": self.usage.currentData(), "func_code": self.func.currentText().split(" ")[0],
                "econ_code": self.econ.text().strip().split(" ")[0], "method": self.method.currentData(), "draft_date": iso(self.day),
                "purpose": self.purpose.text()}

    def _done(self, submit: bool) -> None:
        if self.project.currentData() is None or self.indicator.currentData() is None:
            self.error.setText("请选择项目和支付指标")
            return
        self.submit_after = submit
        self.accept()


class MarkPaidDialog(Answerable):
    """The treasury's payment voucher: number and date."""

    def __init__(self, parent: QWidget | None, book: Book, payment: dict[str, Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"登记已支付 — {payment['request_no']}")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{payment['project_name']}　{payment['payee_display']}　{money.format(payment['amount'])} 元\n"
                           "登记后同时记入专账支出。"))
        self.voucher = QLineEdit()
        self.voucher.setPlaceholderText("国库集中支付凭证号")
        self.day = date_edit(book.today())
        form.addRow("支付凭证号", self.voucher)
        form.addRow("支付日期", self.day)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class PayeeDialog(Answerable):
    """A payee: type, name, USCC or ID number, account name/number and bank."""

    def __init__(self, parent: QWidget | None, book: Book, payee: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("修改收款人" if payee else "新增收款人")
        p = payee or {}
        self.ptype = QComboBox()
        _fill(self.ptype, [(t.name, t.code) for t in book.rules.payment.payee_types], p.get("payee_type"))
        self.name = QLineEdit(str(p.get("name", "")))
        self.code = QLineEdit(str(p.get("id_code", "")))
        self.code.setPlaceholderText("企业、个体工商户填统一社会信用代码；个人填公民身份号码")
        self.account_name = QLineEdit(str(p.get("account_name", "")))
        self.account_name.setPlaceholderText("不填则与收款人名称相同")
        self.account = QLineEdit(str(p.get("account_no", "")))
        self.bank = QLineEdit(str(p.get("bank", "")))
        self.township = QLineEdit(str(p.get("township", "")))
        self.village = QLineEdit(str(p.get("village", "")))
        self.note = QLineEdit(str(p.get("note", "")))
        form = QFormLayout(self)
        for label, widget in (("收款人类型", self.ptype), ("收款人名称", self.name), ("证件号码", self.code),
                              ("账户名称", self.account_name), ("账号", self.account), ("开户银行", self.bank),
                              ("乡镇", self.township), ("村", self.village), ("备注", self.note)):
            form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def field_widgets(self) -> dict[str, QWidget]:
        """Fields the models name otherwise than this form's labels."""
        return {"统一社会信用代码": self.code, "公民身份号码": self.code, "身份证号": self.code, "账户名": self.account_name}

    def values(self) -> dict[str, Any]:
        return {"payee_type": self.ptype.currentData(), "name": self.name.text(), "id_code": self.code.text(),
                "account_name": self.account_name.text(), "account_no": self.account.text(), "bank": self.bank.text(),
                "township": self.township.text(), "village": self.village.text(), "note": self.note.text()}
