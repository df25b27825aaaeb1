"""The main window: menus, status bar, and one tab per area of work."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from .. import APP_TITLE, __version__
from ..models import backup, setup
from ..models.book import Book
from . import dialogs, files

TabFactory = Callable[[Book, QWidget], QWidget]


def tab_factories() -> list[tuple[str, TabFactory]]:
    """Every tab the window shows, in order; each is a real working form."""
    from .audit_tab import AuditTab
    from .dashboard_tab import DashboardTab
    from .ledger_tab import LedgerTab
    from .notices_tab import NoticesTab
    from .payments_tab import PaymentsTab
    from .performance_tab import PerformanceTab
    from .plan_tab import PlanTab
    from .reports_tab import ReportsTab
    from .settings_tab import SettingsTab

    return [("监控预警", DashboardTab), ("专账", LedgerTab), ("项目计划", PlanTab), ("支付审批", PaymentsTab),
            ("公告公示", NoticesTab), ("绩效目标", PerformanceTab),
            ("月报", ReportsTab), ("审计", AuditTab), ("基础设置", SettingsTab)]


class MainWindow(QMainWindow):
    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self._status = QLabel()
        self.statusBar().addPermanentWidget(self._status, 1)
        self._make_menus()
        self.set_book(book)
        settings = QSettings()
        geometry = settings.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    # -- menus -----------------------------------------------------------------------------
    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu("文件(&F)")
        for text, shortcut, slot in (
            ("新建…", QKeySequence.StandardKey.New, self.new_file),
            ("打开…", QKeySequence.StandardKey.Open, self.open_file),
            ("以只读方式打开…", None, self.open_read_only),
            ("备份", None, self.backup_now),
            ("从备份恢复…", None, self.restore_backup),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction("退出", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("帮助(&H)")
        about = QAction("关于", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    # -- the open book ----------------------------------------------------------------------
    def set_book(self, book: Book) -> None:
        self.book = book
        current = self.tabs.currentIndex()
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            widget.deleteLater()
        for title, factory in tab_factories():
            self.tabs.addTab(factory(book, self), title)
        if 0 <= current < self.tabs.count():
            self.tabs.setCurrentIndex(current)
        self.refresh_status()

    def refresh_status(self) -> None:
        info = setup.bureau_info(self.book)
        user = self.book.user
        parts = [
            f"单位：{info.get('name', '')}（{info.get('level_name', '')}）",
            f"用户：{user.name}（{user.role_name}）" if user else "未登录",
            f"文件：{self.book.path}",
        ]
        if self.book.read_only:
            parts.append("【只读】")
        self._status.setText("　｜　".join(parts))
        self.setWindowTitle(f"{info.get('name', '')} — {APP_TITLE}" + ("（只读）" if self.book.read_only else ""))

    def replace_book(self, book: Book | None) -> None:
        if book is None:
            return
        old = self.book
        self.set_book(book)
        old.close()

    # -- actions ---------------------------------------------------------------------------
    def new_file(self) -> None:
        self.replace_book(files.create_new(self))

    def open_file(self) -> None:
        self.replace_book(files.choose_and_open(self, read_only=False))

    def open_read_only(self) -> None:
        self.replace_book(files.choose_and_open(self, read_only=True))

    def backup_now(self) -> None:
        target = dialogs.run_op(self, lambda: backup.make(self.book, reason="手动"))
        if isinstance(target, Path):
            dialogs.info(self, f"已备份到：\n{target}")

    def restore_backup(self) -> None:
        self.replace_book(files.restore_dialog(self, self.book))

    def about(self) -> None:
        dialogs.info(self, f"{APP_TITLE}\nFundLedger {__version__}\n依据：新财脱贫组〔2019〕2号《关于进一步加强财政扶贫资金监督管理的意见》", "关于")

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("main/geometry", self.saveGeometry())
        self.book.close()
        event.accept()
