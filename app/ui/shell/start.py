"""First run and login: create the bureau or open the demo; then who is working."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.demo.common import TODAY as DEMO_TODAY
from app.models.store import clock as clocks
from app.models.store import setup, users
from app.models.store.book import Book
from app.models.values.errors import AppError
from app.ui.kit import dialogs
from app.ui.kit.widgets import rich_label


class StartDialog(QDialog):
    """Shown when no file is open: new bureau, the demo county, or an existing file."""

    NEW, DEMO, OPEN, PREFECTURE_DEMO = 1, 2, 3, 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("财政扶贫资金监管台账 — 开始")
        self.setMinimumWidth(480)
        self.choice = 0
        self.path: Path | None = None
        layout = QVBoxLayout(self)
        title = rich_label("<h2>财政扶贫资金监管台账</h2><p>依据新财脱贫组〔2019〕2号，管理本单位财政扶贫资金的"
                       "专账、支付审批、公告公示和月报。</p><p>每个单位一个数据库文件（.db）。请选择：</p>")
        title.setWordWrap(True)
        layout.addWidget(title)
        for text, choice in (("新建本单位数据库…", self.NEW),
                             (f"打开示例县（试用、培训；演示日期 {DEMO_TODAY.isoformat()}）", self.DEMO),
                             ("打开示例地州（五个县的报送包，试用地州汇总）", self.PREFECTURE_DEMO),
                             ("打开已有的数据库文件…", self.OPEN)):
            button = QPushButton(text)
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
            layout.addWidget(button)
        note = QLabel(f"{clocks.label(DEMO_TODAY)}：示例县有自己固定的“今天”。无论哪天打开，预警、时限、逾期和首页都按这一天"
                      "计算（1—8 月已签发，9 月逾期未报，10 月待局长签发）；窗口标题和状态栏都写明演示日期。")
        note.setWordWrap(True)
        note.setObjectName("demo_day_note")
        layout.addWidget(note)
        cancel = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel.rejected.connect(self.reject)
        layout.addWidget(cancel)

    def _choose(self, choice: int) -> None:
        self.choice = choice
        if choice == self.OPEN:
            name, _ = QFileDialog.getOpenFileName(self, "打开数据库", "", "FundLedger 数据库 (*.db);;所有文件 (*)")
            if not name:
                return
            self.path = Path(name)
        self.accept()


class NewBureauDialog(QDialog):
    """The bureau (name, 行政区划代码, level) and the chief's account, in one form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("新建本单位数据库")
        self.book: Book | None = None
        form = QFormLayout(self)
        self.file = QLineEdit()
        browse = QPushButton("选择位置…")
        browse.clicked.connect(self._browse)
        form.addRow("数据库文件", self.file)
        form.addRow("", browse)
        self.name = QLineEdit()
        self.name.setPlaceholderText("例如：某某县财政局")
        self.code = QLineEdit()
        self.code.setPlaceholderText("6 位数字")
        self.code.setMaxLength(6)
        self.level = QComboBox()
        for key, label in setup.LEVELS.items():
            self.level.addItem(label, key)
        self.chief_login = QLineEdit()
        self.chief_name = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("单位名称", self.name)
        form.addRow("行政区划代码", self.code)
        form.addRow("单位级次", self.level)
        form.addRow(rich_label("<b>局长账号</b>（签发月报、管理用户）"))
        form.addRow("登录名", self.chief_login)
        form.addRow("姓名", self.chief_name)
        form.addRow("密码（至少 8 位）", self.password)
        form.addRow("再次输入密码", self.password2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "新建数据库文件", "", "FundLedger 数据库 (*.db)")
        if name:
            self.file.setText(name if name.endswith(".db") else name + ".db")

    def _create(self) -> None:
        if not self.file.text().strip():
            dialogs.error(self, "数据库文件：请选择保存位置")
            return
        if self.password.text() != self.password2.text():
            dialogs.error(self, "密码：两次输入不一致")
            return
        try:
            self.book = setup.create(
                Path(self.file.text().strip()), bureau_name=self.name.text(), region_code=self.code.text(),
                level=str(self.level.currentData()), chief_login=self.chief_login.text(),
                chief_name=self.chief_name.text(), chief_password=self.password.text(),
            )
        except AppError as exc:
            dialogs.error(self, exc)
            return
        self.accept()


class LoginDialog(QDialog):
    """Who is working: every operation records this user."""

    def __init__(self, book: Book, parent: QWidget | None = None, hint: str = "") -> None:
        super().__init__(parent)
        self.book = book
        info = setup.bureau_info(book)
        self.setWindowTitle(f"登录 — {info.get('name', '')}")
        self.setMinimumWidth(380)
        form = QFormLayout(self)
        head = rich_label(f"<b>{html.escape(str(info.get('name', '')))}</b>　{html.escape(book.path.name)}"
                          + ("　（只读）" if book.read_only else "")
                          + (f"<br><b>{html.escape(clocks.label(book.demo_day))}</b>（演示数据，今天按这一天计算）"
                             if book.demo_day is not None else ""))
        form.addRow(head)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            form.addRow(note)
        self.login = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("登录名", self.login)
        form.addRow("密码", self.password)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #b00020")
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("登录")
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.password.returnPressed.connect(self.try_login)

    def try_login(self) -> None:
        try:
            users.login(self.book, self.login.text(), self.password.text())
        except AppError as exc:
            self.message.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()
