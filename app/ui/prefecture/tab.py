"""The prefecture's tabs: 县区 · 接收报送 · 报送情况 · 审核 · 汇总上报. Layout only: every figure, check and write
comes from app/models/prefecture (and app/export/prefecture for the signed package)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.export import prefecture as forwarding
from app.models.prefecture import consolidate, counties, receipts, receive, review, status, tables, view
from app.models.prefecture.source import Refused
from app.models.store import setup
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.forms import GuardedDialog
from app.ui.kit.widgets import can, rich_label

STATUS_COLOURS = {status.NOT_SENT: "#eeeeee", status.SENT: "#dcedc8", status.LATE: "#ffe0b2",
                  status.RETURNED: "#ffcdd2", status.CORRECTED: "#c5e1f5"}
TABLE_IDS = ("表1", "表2", "表3", "表4", "表5", "表6", "表7", "表8", "表9")


def _fill(table: QTableWidget, headers: list[str], rows: list[list[str]], kinds: list[str] | None = None) -> None:
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    bold = QFont()
    bold.setBold(True)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if kinds and kinds[r] != "data":
                item.setFont(bold)
                item.setBackground(QBrush(QColor("#f2f2f2")))
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _table() -> QTableWidget:
    t = QTableWidget()
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    t.verticalHeader().setVisible(False)
    return t


def _months(book: Book) -> list[str]:
    return list(reversed(status.months_seen(book)))


def _documents() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)


def _folder(parent: QWidget, title: str) -> str:
    """A folder chosen by the user (tests answer kind "folder" through dialogs.Ask)."""
    if dialogs.Ask.answer is not None:
        return str(dialogs.Ask.record("folder", title) or "")
    return QFileDialog.getExistingDirectory(parent, title, _documents())


# -- 县区 -----------------------------------------------------------------------------------------------------------
class CountyDialog(GuardedDialog):
    def __init__(self, parent: QWidget | None = None, *, may_sign: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("登记下级单位")
        form = QFormLayout(self)
        self.code, self.name, self.contact, self.fp = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.fp.setPlaceholderText("签发封面上印的 32 位指纹，如 3903 3B05 805D …（局长登记，须局长密码）")
        if not may_sign:
            self.fp.setEnabled(False)
            self.fp.setPlaceholderText("指纹由局长核对封面后签名登记")
        for label, w in (("行政区划代码", self.code), ("单位名称", self.name), ("联系人及电话", self.contact),
                         ("局长签名密钥指纹", self.fp)):
            form.addRow(label, w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class CountiesTab(QWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.add = QPushButton("登记下级单位…")
        self.key = QPushButton("签名登记密钥指纹…")
        self.add.setEnabled(can(book, "edit_counties"))
        self.key.setEnabled(can(book, "register_county_key"))
        for b in (self.add, self.key):
            bar.addWidget(b)
        bar.addStretch(1)
        layout.addLayout(bar)
        hint = QLabel("指纹须由局长与该单位局长签发封面上印的指纹逐位核对后登记，并用局长本人的密码签名；签名密钥不符、"
                      "或登记没有局长有效签名的报送包一律拒收。早期版本登记的指纹请局长选中该单位后重新签名登记。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = _table()
        layout.addWidget(self.table)
        self.add.clicked.connect(self.add_county)
        self.key.clicked.connect(self.set_key)
        self.refresh()

    def refresh(self) -> None:
        self.rows = counties.list_counties(self.book)
        _fill(self.table, ["行政区划代码", "单位名称", "联系人", "局长签名密钥指纹", "确认时间", "局长签名登记", "状态"],
              [[c.code, c.name, c.contact, c.printed or "（未登记）", c.confirmed_at or "",
                counties.signed_state(self.book, c), "启用" if c.active else "停用"] for c in self.rows])

    def add_county(self) -> None:
        d = CountyDialog(self, may_sign=can(self.book, "register_county_key"))

        def save() -> object:
            password = None
            if d.fp.text().strip():
                # cancelled: None, and add_county refuses naming the password (the form stays open)
                password = dialogs.ask_secret(self, "签名登记密钥指纹", "请输入局长本人的密码（指纹登记由局长的签名密钥签名）：")
            return counties.add_county(self.book, code=d.code.text(), name=d.name.text(), contact=d.contact.text(),
                                       fingerprint=d.fp.text(), password=password)
        if d.submit(self.book, save):
            self.refresh()

    def set_key(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            dialogs.info(self, "请先选择一个下级单位")
            return
        c = self.rows[row]
        # never filled in from the register: the chief types it from the county's paper cover (what the register
        # holds now may be what someone put there without a password, waiting for the chief to sign it)
        text = dialogs.ask_text(self, "签名登记密钥指纹", f"{c.name} 局长签发封面上印的指纹（32 位十六进制，请照纸质封面逐位"
                                                   "输入，不要照抄列表中现有的指纹）：")
        if not text:
            return
        password = dialogs.ask_secret(self, "签名登记密钥指纹", "请输入局长本人的密码（指纹登记由局长的签名密钥签名）：")
        if password and ops.run_op(self, self.book, lambda: counties.confirm_fingerprint(
                self.book, c.id, fingerprint=text, password=password), done="已签名登记"):
            self.refresh()


# -- 接收报送 ---------------------------------------------------------------------------------------------------------
class ReceiveTab(QWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.folder = QPushButton("接收报送包（文件夹）…")
        self.zip = QPushButton("接收报送包（.zip）…")
        self.all = QPushButton("接收文件夹中的全部报送包…")
        for b in (self.folder, self.zip, self.all):
            b.setEnabled(can(book, "receive_package"))
            bar.addWidget(b)
        bar.addStretch(1)
        layout.addLayout(bar)
        hint = QLabel("也可以把报送包文件夹或 .zip 拖到这里。每个报送包逐一核对：清单中的每个文件、局长签名与登记的指纹、"
                      "区划代码、月份、版本、程序与报表定义版本、九张表与表间勾稽关系；不通过的拒收，不保存任何内容。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.results = QListWidget()
        layout.addWidget(self.results)
        self.folder.clicked.connect(self.pick_folder)
        self.zip.clicked.connect(self.pick_zip)
        self.all.clicked.connect(self.pick_parent)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls() and can(self.book, "receive_package"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        self.receive([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])

    def pick_folder(self) -> None:
        name = _folder(self, "选择报送包文件夹")
        if name:
            self.receive([Path(name)])

    def pick_zip(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "选择报送包压缩文件", _documents(), "压缩包 (*.zip)")
        self.receive([Path(n) for n in names])

    def pick_parent(self) -> None:
        name = _folder(self, "选择存放报送包的文件夹（如 U 盘）")
        if name:
            self.receive(sorted(p for p in Path(name).iterdir() if p.is_dir() or p.suffix.lower() == ".zip"))

    def receive(self, paths: list[Path]) -> None:
        for result in receive.receive_many(self.book, paths):
            if isinstance(result, Refused):
                item = QListWidgetItem(f"✗ 已拒收：{result}")
                item.setBackground(QBrush(QColor("#ffcdd2")))
            else:
                item = QListWidgetItem(("✓ " if result.checks_ok else "! ") + result.summary())
                item.setBackground(QBrush(QColor("#dcedc8" if result.checks_ok and result.new else
                                                 "#fff3c4" if not result.checks_ok else "#eeeeee")))
            self.results.addItem(item)


# -- 报送情况 ---------------------------------------------------------------------------------------------------------
class StatusTab(QWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        layout = QVBoxLayout(self)
        self.deadline = QLabel()
        layout.addWidget(self.deadline)
        self.table = _table()
        layout.addWidget(self.table, 3)
        layout.addWidget(QLabel("逾期提醒："))
        self.warnings = QListWidget()
        layout.addWidget(self.warnings, 1)
        self.refresh()

    def refresh(self) -> None:
        months = _months(self.book)
        cells = status.matrix(self.book, months)
        rows = counties.list_counties(self.book)
        self.table.clear()
        self.table.setColumnCount(len(months))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(months)
        self.table.setVerticalHeaderLabels([c.name for c in rows])
        self.table.verticalHeader().setVisible(True)
        for r, c in enumerate(rows):
            for m, month in enumerate(months):
                cell = cells[(c.id, month)]
                text = cell.status + (f"（{cell.versions} 版）" if cell.versions > 1 else "")
                if cell.checks_ok is False and cell.status != status.RETURNED:
                    text += " 勾稽未通过"
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setBackground(QBrush(QColor(STATUS_COLOURS.get(cell.status, "#ffffff"))))
                item.setToolTip(f"最后接收：{cell.received_at}" if cell.received_at else "未收到报送包")
                self.table.setItem(r, m, item)
        self.table.resizeColumnsToContents()
        self.warnings.clear()
        lower = tables.lower_level(str(setup.bureau_info(self.book).get("level", "")))
        texts = []
        for month in months:
            self.warnings.addItems([f"⚠ {w}" for w in status.warnings(self.book, month)])
            own = status.own_deadline(self.book, month)
            texts.append(f"{month}：下级 {status.deadline(self.book, month, lower or 'county')} 前报送"
                         + (f"，本单位 {own} 前上报" if own else ""))
        self.deadline.setText("报送期限（规则集，遇节假日顺延至下一个工作日）　" + "；".join(texts[:3]))


# -- 审核 -------------------------------------------------------------------------------------------------------------
class ReviewTab(QWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        layout = QHBoxLayout(self)
        split = QSplitter()
        layout.addWidget(split)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(QLabel("已接收的报送包"))
        self.packages = QListWidget()
        lv.addWidget(self.packages)
        split.addWidget(left)
        right = QWidget()
        rv = QVBoxLayout(right)
        self.title = rich_label()
        self.title.setWordWrap(True)
        rv.addWidget(self.title)
        self.checks = QListWidget()
        self.checks.setMaximumHeight(150)
        rv.addWidget(self.checks)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("报表："))
        self.table_id = QComboBox()
        self.table_id.addItems(list(TABLE_IDS))
        pick.addWidget(self.table_id)
        pick.addStretch(1)
        rv.addLayout(pick)
        self.table = _table()
        rv.addWidget(self.table, 1)
        rv.addWidget(QLabel("审核意见："))
        self.opinion = QPlainTextEdit()
        self.opinion.setMaximumHeight(80)
        rv.addWidget(self.opinion)
        bar = QHBoxLayout()
        self.save = QPushButton("保存审核意见")
        self.back = QPushButton("退回…")
        self.receipt = QPushButton("写出回执…")
        self.save.setEnabled(can(book, "review_package"))
        self.back.setEnabled(can(book, "return_package"))
        for b in (self.save, self.back, self.receipt):
            bar.addWidget(b)
        bar.addStretch(1)
        rv.addLayout(bar)
        split.addWidget(right)
        split.setSizes([300, 900])
        self.packages.currentRowChanged.connect(lambda _r: self.show_package())
        self.table_id.currentIndexChanged.connect(lambda _i: self.show_table())
        self.save.clicked.connect(self.save_opinion)
        self.back.clicked.connect(self.return_package)
        self.receipt.clicked.connect(self.write_receipt)
        self.refresh()

    def refresh(self) -> None:
        self.rows = receive.packages(self.book)
        self.packages.clear()
        for p in self.rows:
            item = QListWidgetItem(f"{p['county']}  {p['month']} 第 {p['version']} 版  {receipts.result_of(p)}")
            colour = "#ffcdd2" if p["returned"] else "#fff3c4" if not p["checks_ok"] else "#ffffff"
            item.setBackground(QBrush(QColor(colour)))
            self.packages.addItem(item)
        if self.rows:
            self.packages.setCurrentRow(0)

    def current(self) -> dict[str, Any] | None:
        r = self.packages.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def show_package(self) -> None:
        p = self.current()
        if p is None:
            return
        e = {k: html.escape(str(p[k])) for k in ("county", "code", "month", "version", "received_at", "signer",
                                                  "signed_at", "audit_seq")}  # names and reasons are user data
        text = (f"<b>{e['county']}（{e['code']}）{e['month']} 第 {e['version']} 版</b>　接收于 {e['received_at']}　"
                f"签发：{e['signer']} {e['signed_at']}　包哈希 {html.escape(str(p['digest'])[:16])}…　审计链头 #{e['audit_seq']}")
        if p["returned"]:
            text += f"<br><span style='color:#b71c1c'>已退回：{html.escape(str(p['return_reason']))}</span>"
        self.title.setText(text)
        self.checks.clear()
        for ok, line in view.checks_lines(self.book, int(p["id"])):
            item = QListWidgetItem(("✓ " if ok else "✗ ") + line)
            if not ok:
                item.setBackground(QBrush(QColor("#ffcdd2")))
            self.checks.addItem(item)
        self.opinion.setPlainText(str(p["opinion"]))
        self.show_table()

    def show_table(self) -> None:
        p = self.current()
        if p is None:
            return
        heads, lines = view.received_lines(self.book, int(p["id"]), self.table_id.currentText())
        _fill(self.table, heads, [ln.cells for ln in lines], [ln.kind for ln in lines])

    def save_opinion(self) -> None:
        p = self.current()
        if p and ops.run_op(self, self.book, lambda: review.set_opinion(self.book, int(p["id"]),
                                                                   opinion=self.opinion.toPlainText()), done="已保存"):
            self._reload(int(p["id"]))

    def return_package(self) -> None:
        p = self.current()
        if p is None:
            return
        reason = dialogs.ask_text(self, "退回报送包", f"退回 {p['county']} {p['month']} 第 {p['version']} 版的理由"
                                                   "（县区导入回执后可见）：")
        if reason and ops.run_op(self, self.book, lambda: review.return_package(self.book, int(p["id"]), reason=reason),
                                     done="已退回；请写出回执交给县区"):
            self._reload(int(p["id"]))

    def write_receipt(self) -> None:
        p = self.current()
        if p is None:
            return
        folder = _folder(self, "回执保存到")
        if folder:
            path = ops.run_op(self, self.book, lambda: receipts.write_receipt(self.book, int(p["id"]), folder))
            if isinstance(path, Path):
                dialogs.info(self, f"回执已写出：{path}")

    def _reload(self, package_id: int) -> None:
        self.refresh()
        for i, p in enumerate(self.rows):
            if p["id"] == package_id:
                self.packages.setCurrentRow(i)


# -- 汇总上报 ---------------------------------------------------------------------------------------------------------
class ConsolidateTab(QWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.result: consolidate.Consolidation | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("月份："))
        self.month = QComboBox()
        self.month.addItems(list(reversed(status.months_received(book))))  # months with packages, newest first
        bar.addWidget(self.month)
        bar.addWidget(QLabel("报表："))
        self.table_id = QComboBox()
        self.table_id.addItems(list(TABLE_IDS))
        bar.addWidget(self.table_id)
        self.sign = QPushButton("局长签发汇总报送包…")
        self.sign.setEnabled(can(book, "forward_report"))
        bar.addStretch(1)
        bar.addWidget(self.sign)
        layout.addLayout(bar)
        self.included = rich_label()
        self.included.setWordWrap(True)
        layout.addWidget(self.included)
        self.table = _table()
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("双击一行，查看它来自哪个县区的哪个报送包、原表中的哪一行。"))
        self.month.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table_id.currentIndexChanged.connect(lambda _i: self.show_table())
        self.table.cellDoubleClicked.connect(lambda r, _c: self.drill(r))
        self.sign.clicked.connect(self.forward)
        self.refresh()

    def refresh(self) -> None:
        month = self.month.currentText()
        if not month:
            return
        self.result = ops.run_op(self, self.book, lambda: consolidate.consolidate(self.book, month))
        if not isinstance(self.result, consolidate.Consolidation):
            self.result = None
            return
        inc = "、".join(f"{p['county']}（第 {p['version']} 版）" for p in self.result.included) or "无"
        left = "；".join(f"{n}：{why}" for n, why in self.result.left_out)
        self.included.setText(f"纳入汇总：{html.escape(inc)}"
                              + (f"<br><span style='color:#b71c1c'>未纳入：{html.escape(left)}</span>" if left else ""))
        self.show_table()

    def show_table(self) -> None:
        if self.result is None:
            return
        heads, self.lines = view.consolidated_lines(self.result, self.table_id.currentText())
        _fill(self.table, heads, [ln.cells for ln in self.lines], [ln.kind for ln in self.lines])

    def drill(self, row: int) -> None:
        if not (0 <= row < len(self.lines)) or self.lines[row].source is None:
            dialogs.info(self, "小计和合计行由各县区的行相加得出；请双击明细行查看来源。")
            return
        d = view.drill(self.book, self.lines[row].source)  # type: ignore[arg-type]
        pairs = "\n".join(f"{h}：{v}" for h, v in zip(d["headers"], d["cells"], strict=False) if v)
        dialogs.info(self, f"{d['county']}（{d['code']}）{d['table']} 第 {d['row']} 行，来自第 {d['version']} 版报送包"
                           f"（接收于 {d['received_at']}，包哈希 {d['digest'][:16]}…）：\n\n{pairs}", "数据来源")

    def forward(self) -> None:
        month = self.month.currentText()
        password = dialogs.ask_secret(self, "签发汇总报送包", "请输入局长本人的密码（用于解开签名密钥）：")
        if not password:
            return
        folder = _folder(self, "汇总报送包保存到")
        if not folder:
            return
        done = ops.run_op(self, self.book, lambda: forwarding.forward(self.book, month=month, out_dir=folder,
                                                               password=password))
        if isinstance(done, Path):
            dialogs.info(self, f"已签发，报送包：{done}")


def tab_factories() -> list[tuple[str, Any]]:
    return [("县区", CountiesTab), ("接收报送", ReceiveTab), ("报送情况", StatusTab), ("审核", ReviewTab),
            ("汇总上报", ConsolidateTab)]
