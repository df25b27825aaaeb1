"""The main window: menus, status bar, and one tab per area of work."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from app import APP_TITLE, __version__
from app.models.integrity import incremental
from app.models.store import backup, setup
from app.models.store import clock as clocks
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.ui.kit import dialogs, ops
from app.ui.kit.widgets import DataTable, focus_filter
from app.ui.shell import files
from app.ui.shell.search_box import SearchBox

TabFactory = Callable[[Book, QWidget], QWidget]


def tab_factories(level: str = "county") -> list[tuple[str, TabFactory]]:
    """Every tab the window shows, in order; each is a real working form. A file above the county (地州级,
    自治区级) shows the receiving and consolidating tabs instead of the county's business tabs."""
    from app.ui.audit.tab import AuditTab
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.ledger.tab import LedgerTab
    from app.ui.notices.tab import NoticesTab
    from app.ui.payments.tab import PaymentsTab
    from app.ui.performance.tab import PerformanceTab
    from app.ui.plan.tab import PlanTab
    from app.ui.reports.tab import ReportsTab
    from app.ui.settings.tab import SettingsTab

    if level != "county":
        from app.ui.prefecture.tab import tab_factories as prefecture_tabs

        return [*prefecture_tabs(), ("审计", AuditTab), ("基础设置", SettingsTab)]
    return [("监控预警", DashboardTab), ("专账", LedgerTab), ("项目计划", PlanTab), ("支付审批", PaymentsTab),
            ("公告公示", NoticesTab), ("绩效目标", PerformanceTab),
            ("月报", ReportsTab), ("审计", AuditTab), ("基础设置", SettingsTab)]


class TabHolder(QWidget):
    """Stands in the tab bar for a page until the page is first wanted; then holds it."""

    def __init__(self, factory: Callable[[QWidget], QWidget]) -> None:
        super().__init__()
        self.factory = factory
        self.page: QWidget | None = None
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)

    def build(self) -> QWidget:
        if self.page is None:
            self.page = self.factory(self)
            self.box.addWidget(self.page)
            if self.isVisible():
                self.page.show()
        return self.page


class LazyTabs(QTabWidget):
    """A tab widget whose pages are built the first time they are shown (or asked for).

    `widget(i)`, `currentWidget()`, `indexOf()` and `setCurrentWidget()` speak of the real pages, building one when
    asked, so code that looks a page up by its tab works as before; `built(i)` answers without building."""

    page_built = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.suspended = False
        self.currentChanged.connect(self._current_changed)

    def add_lazy(self, title: str, factory: Callable[[QWidget], QWidget]) -> int:
        return self.addTab(TabHolder(factory), title)

    def holder(self, index: int) -> QWidget | None:
        return super().widget(index)

    def built(self, index: int) -> QWidget | None:
        holder = self.holder(index)
        return holder.page if isinstance(holder, TabHolder) else holder

    def build(self, index: int) -> QWidget | None:
        holder = self.holder(index)
        if not isinstance(holder, TabHolder):
            return holder
        if holder.page is None:
            holder.build()
            self.page_built.emit(index)
        return holder.page

    def widget(self, index: int) -> QWidget | None:  # type: ignore[override]
        return self.build(index)

    def currentWidget(self) -> QWidget | None:  # type: ignore[override]  # noqa: N802 - Qt's name
        return self.build(self.currentIndex()) if self.currentIndex() >= 0 else None

    def indexOf(self, widget: QWidget | None) -> int:  # type: ignore[override]  # noqa: N802 - Qt's name
        for i in range(self.count()):
            holder = self.holder(i)
            if widget is not None and (holder is widget or getattr(holder, "page", None) is widget):
                return i
        return -1

    def setCurrentWidget(self, widget: QWidget) -> None:  # type: ignore[override]  # noqa: N802 - Qt's name
        index = self.indexOf(widget)
        if index >= 0:
            self.setCurrentIndex(index)

    def _current_changed(self, index: int) -> None:
        if not self.suspended and index >= 0:
            self.build(index)


def _build_tab(factory: TabFactory, book: Book, holder: QWidget) -> QWidget:
    return factory(book, holder)


def _contains(page: QWidget, widget: QObject | None) -> bool:
    """Whether `widget` is `page` or inside it (its dialogs included: they are its children as objects)."""
    while widget is not None:
        if widget is page:
            return True
        widget = widget.parent()
    return False


class _CheckDone(QObject):
    """Carries the background integrity check's result to the GUI thread."""

    done = Signal(object, object)  # book, problem (None when sound)


def _path(widget: QWidget, page: QWidget) -> str:
    """Where `widget` sits in `page`, independent of which other parts were built first: each ancestor by its
    objectName, else its class and its place among its parent's children of that class (creation order)."""
    names: list[str] = []
    w: QWidget | None = widget
    while w is not None and w is not page:
        parent = w.parentWidget()
        if w.objectName():
            names.append(w.objectName())
        else:
            same = [c for c in (parent.children() if parent is not None else [w]) if type(c) is type(w)]
            names.append(f"{type(w).__name__}{same.index(w)}")
        w = parent
    return "/".join(reversed(names))


def _restore_splitter(split: QSplitter, state: object) -> bool:
    """Restore a splitter's sizes, refusing a state that would change its orientation or its number of parts
    (QSplitter.restoreState takes the orientation from the state): then the defaults stay. False if refused."""
    way, count, sizes = split.orientation(), split.count(), split.sizes()
    if not isinstance(state, (QByteArray, bytes)) or not split.restoreState(state):
        split.setOrientation(way)
        split.setSizes(sizes)
        return False
    if split.orientation() != way or split.count() != count or len(split.sizes()) != count:
        split.setOrientation(way)
        split.setSizes(sizes)
        return False
    return True


class MainWindow(QMainWindow):
    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        self.tabs = LazyTabs()
        self.tabs.setDocumentMode(True)
        self.tabs.page_built.connect(self._page_built)
        self.setCentralWidget(self.tabs)
        self._status = QLabel()
        self.statusBar().addPermanentWidget(self._status, 1)
        self._check = _CheckDone(self)
        self._check.done.connect(self._checked)
        self._pending: dict[int, Changes] = {}  # changes not yet shown by a built tab that is not current
        ops.hub.changed.connect(self._changed)
        self.tabs.currentChanged.connect(self._deliver_pending)
        self.search = SearchBox(book, self)
        toolbar = self.addToolBar("全局搜索")
        toolbar.setObjectName("search_toolbar")  # saveState/restoreState know it by this name
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(" 搜索 "))
        toolbar.addWidget(self.search)
        self._make_menus()
        settings = QSettings()
        self.set_book(book, tab=settings.value("main/tab"))
        geometry = settings.value("main/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = settings.value("main/state")
        if state is not None:
            self.restoreState(state)

    # -- menus -----------------------------------------------------------------------------
    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu("文件(&F)")
        for text, shortcut, slot in (
            ("新建…", "Ctrl+N", self.new_file),
            ("打开…", "Ctrl+O", self.open_file),
            ("以只读方式打开…", None, self.open_read_only),
            ("备份", "Ctrl+B", self.backup_now),
            ("从备份恢复…", None, self.restore_backup),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            file_menu.addAction(action)
        receipts_action = QAction("上级回执…", self)  # a county file: the prefecture's receipts for its packages
        receipts_action.triggered.connect(self.show_receipts)
        file_menu.addAction(receipts_action)
        file_menu.addSeparator()
        quit_action = QAction("退出", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # Windows has no standard Quit key
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("查看(&V)")
        find = QAction("筛选当前表格\tCtrl+F", self)  # the key itself is a QShortcut: see below
        find.triggered.connect(self.focus_filter)
        view_menu.addAction(find)
        self.find_shortcut = QShortcut(QKeySequence("Ctrl+F"), self)
        self.find_shortcut.activated.connect(self.focus_filter)
        self.find_shortcut.activatedAmbiguously.connect(self.focus_filter)  # a tab's own Ctrl+F also applies
        search = QAction("全局搜索\tCtrl+K", self)  # the key itself is a QShortcut, as Ctrl+F
        search.triggered.connect(self.search.focus)
        view_menu.addAction(search)
        self.search_shortcut = QShortcut(QKeySequence("Ctrl+K"), self)
        self.search_shortcut.activated.connect(self.search.focus)
        refresh = QAction("刷新当前页", self)
        refresh.setShortcut(QKeySequence("F5"))
        refresh.triggered.connect(self.refresh_current)
        view_menu.addAction(refresh)
        view_menu.addSeparator()
        for i, (title, _) in enumerate(tab_factories()[:9]):
            action = QAction(f"转到“{title}”", self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, i=i: self.tabs.setCurrentIndex(i))
            view_menu.addAction(action)
        help_menu = self.menuBar().addMenu("帮助(&H)")
        about = QAction("关于", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def show_receipts(self) -> None:
        from app.ui.prefecture.receipts import ReceiptsDialog

        if setup.bureau_info(self.book).get("level") != "county":
            dialogs.info(self, "回执由上级写给县级单位；本文件不是县级单位。地州写出回执在“审核”页。")
            return
        ReceiptsDialog(self.book, self).exec()

    # -- the open book ----------------------------------------------------------------------
    def set_book(self, book: Book, *, tab: Any = None) -> None:
        """Show `book`: every tab is a placeholder until first shown (see LazyTabs); the current one is built now.
        `tab`: the title to show first (the remembered one); else the current tab stays current."""
        if self.tabs.count():
            self.save_layout()
        self.book = book
        self.search.set_book(book)
        self._pending.clear()
        current = self.tabs.currentIndex()
        self.tabs.suspended = True
        try:
            while self.tabs.count():
                widget = self.tabs.holder(0)
                self.tabs.removeTab(0)
                if widget is not None:
                    widget.deleteLater()
            level = str(setup.bureau_info(book).get("level", "county"))
            for title, factory in tab_factories(level):
                self.tabs.add_lazy(title, partial(_build_tab, factory, book))
            titles = [self.tabs.tabText(i) for i in range(self.tabs.count())]
            if tab in titles:
                current = titles.index(tab)
            if 0 <= current < self.tabs.count():
                self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.suspended = False
        self.tabs.currentWidget()  # built here; the others when first shown (page_built restores their layout)
        self.refresh_status()
        if book.integrity == "pending":
            QTimer.singleShot(0, self, lambda: self._start_check(book))
        if self.VERIFY_AT_START and book.integrity != "pending":  # else once the deferred check has passed
            QTimer.singleShot(0, self, lambda: self.verify_since_anchor(book))

    # -- what operations changed (kit.ops) -----------------------------------------------------------
    def _changed(self, changes: Changes, origin: QWidget | None) -> None:
        """Tell every tab built so far what an operation wrote: the current tab now, the others when next shown.
        The tab that ran the operation has already refreshed itself, so it is skipped."""
        if self.book.closed or not shiboken6.isValid(self):
            return
        for i in range(self.tabs.count()):
            page = self.tabs.built(i)
            if page is None or not callable(getattr(page, "on_changes", None)) or _contains(page, origin):
                continue
            if i == self.tabs.currentIndex():
                page.on_changes(changes)  # type: ignore[attr-defined]
            else:
                self._pending[i] = self._pending[i].merged(changes) if i in self._pending else changes
        if changes.touches("bureau", "users"):
            self.refresh_status()

    def _deliver_pending(self, index: int) -> None:
        changes = self._pending.pop(index, None)
        page = self.tabs.built(index)
        if changes is not None and page is not None:
            page.on_changes(changes)  # type: ignore[attr-defined]

    # -- the deferred integrity check -----------------------------------------------------------
    def _start_check(self, book: Book) -> None:
        """PRAGMA quick_check in the background once the window shows (open_book(check="deferred"))."""
        if book is self.book and not book.closed:
            signal = self._check

            def done(problem: str | None) -> None:  # on the checking thread: queued to the window's
                try:
                    signal.done.emit(book, problem)
                except RuntimeError:  # the window is gone; its book was closed with it
                    pass

            book.start_check(done)

    def _checked(self, book: Book, problem: str | None) -> None:
        if problem is None and self.VERIFY_AT_START:
            self.verify_since_anchor(book)
        if problem is None or book is not self.book or book.closed:
            return
        book.refuse_writes()  # belt and braces: book.read_only is already set
        self.set_book(book)  # every tab again, its buttons now for a read-only file
        dialogs.error(self, f"完整性检查未通过：{problem}", "文件已损坏")

    # -- remembered layout -------------------------------------------------------------------
    def _parts(self, only: int | None = None) -> list[tuple[str, QWidget]]:
        """Every table and splitter of every tab built so far (or of tab `only`), each with the QSettings key it is
        remembered under. A tab not yet shown keeps what was remembered for it."""
        parts: list[tuple[str, QWidget]] = []
        for i in range(self.tabs.count()):
            if only is not None and i != only:
                continue
            page = self.tabs.built(i)
            title = self.tabs.tabText(i)
            if page is None:
                continue
            for table in page.findChildren(DataTable):
                parts.append((f"layout2/{title}/{_path(table, page)}/table-{table.lazy_model().columnCount()}", table))
            for split in page.findChildren(QSplitter):
                way = "h" if split.orientation() == Qt.Orientation.Horizontal else "v"
                parts.append((f"layout2/{title}/{_path(split, page)}/split-{way}{split.count()}", split))
        return parts

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/state", self.saveState())
        settings.setValue("main/tab", self.tabs.tabText(self.tabs.currentIndex()))
        for key, part in self._parts():
            if isinstance(part, DataTable):
                settings.setValue(key, part.save_state())
            elif isinstance(part, QSplitter):
                settings.setValue(key, part.saveState())
        settings.sync()

    def _page_built(self, index: int) -> None:
        self.restore_layout(index)

    def restore_layout(self, only: int | None = None) -> None:
        settings = QSettings()
        for key, part in self._parts(only):
            state = settings.value(key)
            if state is None:
                continue
            if isinstance(part, DataTable):
                part.restore_state(state)
            elif isinstance(part, QSplitter) and not _restore_splitter(part, state):
                settings.remove(key)  # not this splitter's state (an older layout, a damaged file): its default

    # -- keyboard ----------------------------------------------------------------------------
    def focus_filter(self) -> QWidget | None:
        """Ctrl+F: the cursor goes to the filter box of the table on the current tab."""
        return focus_filter(self.tabs.currentWidget())

    def refresh_current(self) -> None:
        """F5: reload what the current tab shows from the file."""
        page = self.tabs.currentWidget()
        for name in ("refresh", "reload"):
            method = getattr(page, name, None)
            if callable(method):
                method()
                return

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
        if getattr(self, "verify_note", ""):
            parts.append(self.verify_note)
        name = str(info.get("name", ""))
        if self.book.demo_day is not None:  # the demo county runs on its own fixed day: said everywhere
            name = clocks.label(self.book.demo_day)
            parts.insert(0, f"【{name}：演示数据，今天按 {self.book.demo_day.isoformat()} 计算】")
        elif self.book.clock_problem:
            parts.insert(0, f"【注意：{self.book.clock_problem}】")
        self._status.setText("　｜　".join(parts))
        self.setWindowTitle(f"{name} — {APP_TITLE}" + ("（只读）" if self.book.read_only else ""))

    def replace_book(self, book: Book | None) -> None:
        if book is None:
            return
        old = self.book
        ops.settle(old)
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
        book = self.book

        def backed_up(target: Any) -> None:
            dialogs.info(self, f"已备份到：\n{target}")
            self.verify_since_anchor(book)

        ops.Op(self, self.book, "正在备份", lambda book, _: backup.make(book, reason="手动"), writes=False,
               cancellable=False).success(backed_up).run_in_background()

    VERIFY_AT_START = True  # the incremental verify at start-up (tests that count operations switch it off)

    def verify_since_anchor(self, book: Book) -> None:
        """The incremental verify from the last anchor, quietly off the GUI thread, at start-up and after each
        backup; a new anchor when it passes. A problem is shown at once; none is told in the status bar."""
        if book is not self.book or book.closed or book.integrity != "ok":
            return

        def shown(found: Any) -> None:
            report, anchor = found
            if report is None:
                self.verify_note = "尚未核验：请在“审计”页点“核验数据库”做一次完整核验（之后启动时自动增量核验）"
            elif not report.ok:
                self.verify_note = "增量核验未通过"
                dialogs.error(self, report.text(str(book.path)), "增量核验未通过")
            else:
                self.verify_note = f"增量核验通过（{len(report.steps)} 项）" + ("，已记下新锚点" if anchor else "")
            self.refresh_status()

        ops.Op(self, book, "增量核验", lambda own, p: incremental.run_and_record(own, p.step), quiet=True) \
            .success(shown).failure(lambda _error: None).run_in_background()

    def restore_backup(self) -> None:
        self.replace_book(files.restore_dialog(self, self.book))

    def about(self) -> None:
        dialogs.info(self, f"{APP_TITLE}\nFundLedger {__version__}\n依据：新财脱贫组〔2019〕2号《关于进一步加强财政扶贫资金监督管理的意见》", "关于")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        ops.settle(self.book)
        self.book.close()
        event.accept()
