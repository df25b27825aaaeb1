"""Habits of desktop software, each checked on the real widgets: tab order and Enter/Esc in every dialog,
Ctrl+F in every tab, sortable tables, remembered layout, High-DPI, progress with cancel, the folder opened."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QTextEdit,
    QWidget,
)

import app.ui
from app.demo import build as demo
from app.models.payments import query as payment_query
from app.models.performance import goals as performance
from app.models.plan import projects
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.widgets import FILTER_PROPERTY, DataTable
from app.ui.shell.main_window import MainWindow, tab_factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def answers():
    dialogs.Ask.shown.clear()
    dialogs.Ask.answer = lambda kind, text: None
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


@pytest.fixture
def window(qtbot, demo_book: Book, answers) -> MainWindow:
    from app.ui.dashboard.tab import DashboardTab

    DashboardTab.AUTO_RECOMPUTE = False
    w = MainWindow(demo_book)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    DashboardTab.AUTO_RECOMPUTE = True


def tab(w: MainWindow, title: str) -> Any:
    return next(w.tabs.widget(i) for i in range(w.tabs.count()) if w.tabs.tabText(i) == title)


# -- every dialog class -------------------------------------------------------------------------------
def dialog_classes() -> set[type[QDialog]]:
    found: set[type[QDialog]] = set()
    for info in pkgutil.walk_packages(app.ui.__path__, prefix="app.ui."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, QDialog) and obj.__module__.startswith("app.ui."):
                found.add(obj)
    bases = {base for cls in found for base in cls.__mro__[1:] if base in found}
    return found - bases


def factories(w: MainWindow, book: Book, tmp: Path) -> dict[str, Callable[[], QDialog]]:
    """One way to open each dialog, with the rows the tabs would pass on the demo county."""
    from app.demo import ledger as demo_ledger
    from app.models.ledger import indicators
    from app.models.notices import records as notices
    from app.models.payments import requests as payment_requests
    from app.ui.dashboard import dialogs as dd
    from app.ui.kit.attachment_view import AttachmentViewer
    from app.ui.ledger import annual_plan as ledger_annual_plan
    from app.ui.ledger import correction as ledger_correction
    from app.ui.ledger import dialogs as ledger_dialogs
    from app.ui.ledger import exemption as ledger_exemption
    from app.ui.ledger import treasury_import as ledger_import
    from app.ui.notices import dialogs as notice_dialogs
    from app.ui.payments import dialogs as payment_dialogs
    from app.ui.payments import review as payment_review
    from app.ui.performance import dialogs as performance_dialogs
    from app.ui.plan import dialogs as plan_dialogs
    from app.ui.prefecture import receipts as prefecture_receipts
    from app.ui.prefecture import tab as prefecture_tab
    from app.ui.reports import templates_page
    from app.ui.settings import tab as settings_tab
    from app.ui.shell import files, start
    from tests.ui.test_attachment_view import png as attachment_png

    ledger = tab(w, "专账")
    assert ledger.query.wait()  # 指标登记's first page is read off the GUI thread
    indicator = ledger.indicators.lazy_model().row_at(0)
    dashboard = tab(w, "监控预警")
    dashboard.warnings_page.ensure_loaded()
    dashboard.problems_page.ensure_loaded()
    assert dashboard.warnings_page.query_.wait() and dashboard.problems_page.query_.wait()  # read off the GUI thread
    warning = dashboard.warnings_page.view.lazy_model().row_at(0)
    problem = dashboard.problems_page.view.lazy_model().row_at(0)
    approved = payment_query.PaymentQuery(book, status="approved").fetch(0, 1, None, False)
    paid = payment_query.PaymentQuery(book, status="paid").fetch(0, 1, None, False)
    project = projects.choices(book)[0]
    goals = performance.goals(book, int(project["id"]))
    label = f"{project['code']} {project['name']}"
    obligations = tab(w, "公告公示").obligations.lazy_model()
    duty = obligations.row_at(0)
    treasury_file = demo_ledger.write_treasury_export(book, tmp / "国库.xlsx")
    payee = paid[0]
    return {
        "FormDialog": lambda: dd.FormDialog(w, "表单"),
        "HandleDialog": lambda: dd.HandleDialog(w, book, warning),
        "ProblemDialog": lambda: dd.ProblemDialog(w, book, [(int(project["id"]), label)]),
        "ProblemUpdateDialog": lambda: dd.ProblemUpdateDialog(w, book, problem),
        "SectionsDialog": lambda: dd.SectionsDialog(w, book),
        "ListDialog": lambda: dd.ListDialog(w, "历史", "说明", ["时间", "事项"], [["2026-10-01", "发现"]]),
        "ErrorDialog": lambda: dialogs.ErrorDialog(w, "程序内部错误", "Traceback …"),
        "AttachmentViewer": lambda: AttachmentViewer(w, "公示照片.png", attachment_png()),
        "PasswordDialog": lambda: dialogs.PasswordDialog(w, "修改我的密码", "输入原密码，再输入两次新密码：", ask_old=True),
        "RestoreDialog": lambda: files.RestoreDialog(w, book),
        "IndicatorDialog": lambda: ledger_dialogs.IndicatorDialog(book, w),
        "ReductionDialog": lambda: ledger_dialogs.ReductionDialog(book, indicator, w),
        "ManualEntryDialog": lambda: ledger_dialogs.ManualEntryDialog(book, indicator, w),
        "CorrectionDialog": lambda: ledger_correction.CorrectionDialog(book, indicators.get(book, int(indicator["id"])), w),
        "SectionFiguresDialog": lambda: ledger_dialogs.SectionFiguresDialog(book, "2026-10", w),
        "AnnualPlanDialog": lambda: ledger_annual_plan.AnnualPlanDialog(book, w, year=2026),
        "ExemptionDialog": lambda: ledger_exemption.ExemptionDialog(book, w, year=2026),
        "TreasuryImportDialog": lambda: ledger_import.TreasuryImportDialog(book, treasury_file, w),
        "NoticeDialog": lambda: notice_dialogs.NoticeDialog(w, book, notices.draft(
            book, kind=duty["kind"], level=duty["level"], object_type=duty["object_type"],
            object_id=duty["object_id"])),
        "FeedbackDialog": lambda: notice_dialogs.FeedbackDialog(w, book.today()),
        "HandlingDialog": lambda: notice_dialogs.HandlingDialog(w, book.today(), "群众反映"),
        "PaymentDialog": lambda: payment_dialogs.PaymentDialog(w, book),
        "MarkPaidDialog": lambda: payment_dialogs.MarkPaidDialog(w, book, approved[0] if approved else paid[0]),
        "PayeeDialog": lambda: payment_dialogs.PayeeDialog(w, book),
        "ReviewDialog": lambda: payment_review.ReviewDialog(w, book, [payment_query.get(book, int(paid[0]["id"]))]),
        "BatchResultDialog": lambda: payment_review.BatchResultDialog(w, "批量审核结果", [
            payment_requests.BatchOutcome(1, "SQ2026-0001", True, "已审核"),
            payment_requests.BatchOutcome(2, "SQ2026-0002", False, "不能审核本人起草的申请")]),
        "GoalDialog": lambda: performance_dialogs.GoalDialog(w, book),
        "MonthDialog": lambda: performance_dialogs.MonthDialog(
            w, book, label, performance.with_monitoring(book, goals)),
        "DecisionDialog": lambda: performance_dialogs.DecisionDialog(w, book, label, goals),
        "EvaluationDialog": lambda: performance_dialogs.EvaluationDialog(w, book, label, int(project["year"])),
        "ProjectDialog": lambda: plan_dialogs.ProjectDialog(w, book),
        "plan.DecisionDialog": lambda: plan_dialogs.DecisionDialog(w, book, what="审定项目", reason=True),
        "UserDialog": lambda: settings_tab.UserDialog(w),
        "YearDialog": lambda: settings_tab.YearDialog(w, 2027, "", []),
        "StartDialog": lambda: start.StartDialog(w),
        "NewBureauDialog": lambda: start.NewBureauDialog(w),
        "LoginDialog": lambda: start.LoginDialog(book, w),
        "RegisterTemplateDialog": lambda: templates_page.RegisterTemplateDialog(book, "表1", w),
        "CountyDialog": lambda: prefecture_tab.CountyDialog(w),
        "ReceiptsDialog": lambda: prefecture_receipts.ReceiptsDialog(book, w),
    } | ({"payee": lambda: payment_dialogs.PayeeDialog(w, book)} if payee else {})


def key_of(cls: type) -> str:
    return "plan.DecisionDialog" if cls.__module__ == "app.ui.plan.dialogs" and cls.__name__ == "DecisionDialog" \
        else cls.__name__


FIELDS = (QLineEdit, QAbstractSpinBox, QComboBox, QTextEdit, QPlainTextEdit)


def focus_chain(dialog: QDialog) -> list[QWidget]:
    """The widgets Tab visits, in order, starting from the one that has the cursor when the dialog opens."""
    chain: list[QWidget] = []
    start = dialog.focusWidget() or dialog
    widget = start
    while len(chain) < 500:
        if (widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.focusProxy() is None and widget not in chain):
            chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is start:
            break
    return chain


def leaf(widget: QWidget) -> QWidget:
    """A spin box's or combo box's inner line edit stands for the box."""
    parent = widget.parentWidget()
    return parent if isinstance(parent, (QAbstractSpinBox, QComboBox)) else widget


def out_of_visual_order(dialog: QDialog) -> list[str]:
    """Pairs of fields in the same column of the same layout level where Tab goes up instead of down."""
    chain = [leaf(w) for w in focus_chain(dialog)]
    fields = [w for w in dict.fromkeys(chain) if isinstance(w, FIELDS) and w.window() is dialog
              and w.isVisibleTo(dialog)]
    wrong = []
    for a, b in zip(fields, fields[1:], strict=False):
        if a.parentWidget() is not b.parentWidget():
            continue  # another group box or page: its own order
        pa, pb = a.mapTo(dialog, QPoint(0, 0)), b.mapTo(dialog, QPoint(0, 0))
        same_row = abs(pa.y() - pb.y()) < max(a.height(), 8) // 2
        if (same_row and pb.x() < pa.x()) or (not same_row and pb.y() < pa.y() and abs(pb.x() - pa.x()) < 40):
            wrong.append(f"{a.objectName() or type(a).__name__}@{pa.toTuple()} → "
                         f"{b.objectName() or type(b).__name__}@{pb.toTuple()}")
    return wrong


def test_every_dialog_class_is_covered(window: MainWindow, demo_book: Book, tmp_path: Path) -> None:
    made = factories(window, demo_book, tmp_path)
    missing = {key_of(cls) for cls in dialog_classes()} - set(made)
    assert not missing, f"dialogs without a factory in this test: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted({key_of(c) for c in dialog_classes()}))
def test_dialog_tab_order_enter_and_escape(qtbot, window: MainWindow, demo_book: Book, tmp_path: Path,
                                          name: str) -> None:
    make = factories(window, demo_book, tmp_path).get(name)
    if make is None:
        pytest.fail(f"no factory for {name}")
    dialog = make()
    qtbot.addWidget(dialog)
    dialog.setModal(False)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not getattr(dialog, "busy", lambda: False)(), timeout=20000)
    # (a) tab order follows the visual order of the fields
    assert out_of_visual_order(dialog) == [], f"{name}: Tab does not follow the fields as shown"
    chain = focus_chain(dialog)
    buttons = [w for w in chain if isinstance(w, QAbstractButton) and isinstance(w.parentWidget(), QDialogButtonBox)]
    fields = [w for w in chain if isinstance(leaf(w), (QLineEdit, QAbstractSpinBox, QComboBox))
              and leaf(w).window() is dialog]
    if buttons and fields:
        assert chain.index(buttons[0]) > max(chain.index(f) for f in fields), f"{name}: a button before a field"
    # Enter in the last one-line field presses the default button
    default = next((b for b in dialog.findChildren(QPushButton) if b.isDefault() and b.isVisible()), None)
    if fields:
        assert default is not None, f"{name}: no default button, Enter does nothing"
        role = default.parentWidget().buttonRole(default) if isinstance(default.parentWidget(), QDialogButtonBox) \
            else None
        assert role in (QDialogButtonBox.ButtonRole.AcceptRole, QDialogButtonBox.ButtonRole.YesRole,
                        QDialogButtonBox.ButtonRole.ApplyRole, None), f"{name}: Enter would cancel"
        pressed: list[bool] = []
        default.clicked.connect(lambda *_: pressed.append(True))
        last = fields[-1]
        dialog.activateWindow()
        last.setFocus()
        qtbot.keyClick(last, Qt.Key.Key_Return)
        assert pressed, f"{name}: Enter in the last field did not press {default.text()}"
    # Esc cancels
    if dialog.isVisible():
        rejected: list[bool] = []
        dialog.rejected.connect(lambda: rejected.append(True))
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert rejected and not dialog.isVisible(), f"{name}: Esc did not cancel"
    dialog.close()


# -- Ctrl+F ---------------------------------------------------------------------------------------
def test_ctrl_f_focuses_the_filter_on_every_tab(qtbot, window: MainWindow) -> None:
    no_filter = []
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        window.tabs.tabBar().setFocus()
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        focused = QApplication.focusWidget()
        page = window.tabs.currentWidget()
        assert focused is not None and page.isAncestorOf(focused), f"{window.tabs.tabText(i)}: Ctrl+F went nowhere"
        if focused.property(FILTER_PROPERTY):
            assert focused.isVisible()
        else:
            assert isinstance(focused, (QAbstractItemView, QLineEdit, QComboBox)), focused
            no_filter.append(window.tabs.tabText(i))
    tabs_with_filters = {"专账", "项目计划", "支付审批", "公告公示", "绩效目标", "审计"}
    assert not tabs_with_filters & set(no_filter), no_filter


def test_ctrl_f_reaches_the_filter_of_the_visible_sub_page(qtbot, window: MainWindow) -> None:
    dashboard = tab(window, "监控预警")
    window.tabs.setCurrentWidget(dashboard)
    dashboard.setCurrentWidget(dashboard.problems_page)
    window.tabs.tabBar().setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is dashboard.problems_page.text


# -- sorting ------------------------------------------------------------------------------------------
def test_every_table_sorts_by_a_header_click(qtbot, window: MainWindow) -> None:
    checked = 0
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        qtbot.waitUntil(ops.idle, timeout=60_000)  # first pages read off the GUI thread
        for table in window.tabs.widget(i).findChildren(DataTable):
            assert table.isSortingEnabled() and table.horizontalHeader().sectionsClickable()
            model = table.lazy_model()
            if not table.isVisible() or model.rowCount() < 2:
                continue
            col = next((c for c, column in enumerate(model.columns) if column.kind in ("money", "int")), 0)
            header = table.horizontalHeader()
            for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
                if header.sortIndicatorSection() == col and header.sortIndicatorOrder() == order:
                    continue
                qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
                if header.sortIndicatorOrder() != order:
                    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                                     pos=QPoint(x, header.height() // 2))
                qtbot.waitUntil(ops.idle, timeout=60_000)  # a sort re-reads off the GUI thread on some tables
                assert model.sort_key == model.columns[col].key
                assert model.descending == (order == Qt.SortOrder.DescendingOrder)
                values = [model.rows[r].get(model.columns[col].key) for r in range(model.rowCount())]
                values = [v for v in values if v is not None]
                if all(isinstance(v, (int, float)) for v in values):
                    assert values == sorted(values, reverse=model.descending), window.tabs.tabText(i)
            checked += 1
    assert checked >= 8


# -- remembered layout ----------------------------------------------------------------------------
def test_layout_is_remembered(qtbot, demo_book: Book, answers) -> None:
    from app.ui.dashboard.tab import DashboardTab

    DashboardTab.AUTO_RECOMPUTE = False
    try:
        first = MainWindow(demo_book)
        qtbot.addWidget(first)
        first.show()
        first.resize(1100, 700)
        first.tabs.setCurrentIndex(2)  # 项目计划
        plan = first.tabs.currentWidget()
        table = plan.view
        header = table.horizontalHeader()
        edge = header.sectionViewportPosition(1) + header.sectionSize(1) - 1
        y = header.height() // 2
        qtbot.mousePress(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(edge, y))
        qtbot.mouseMove(header.viewport(), QPoint(edge + 60, y))
        qtbot.mouseRelease(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(edge + 60, y))
        assert table.keep_widths, "a column dragged by the user is remembered"
        table.setColumnWidth(1, 333)
        table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        from PySide6.QtWidgets import QSplitter

        split = plan.findChildren(QSplitter)[0]
        split.setSizes([500, 100])
        sizes = split.sizes()
        first.save_layout()
        assert QSettings().value("main/tab") == "项目计划"
        # a second window on the same file comes back as it was left
        second = MainWindow(demo_book)
        qtbot.addWidget(second)
        second.show()
        assert second.tabs.currentIndex() == 2
        # not the first-run 1280×800. Only the height can be checked here: Qt's offscreen screen is 800 px wide, so
        # the width comes back squeezed to the window's minimum, which depends on the system's fonts (1103 px on
        # Linux, 1058 under Wine). tests/windows/test_settings.py checks the width on a 1920×1080 screen.
        assert second.height() == 700
        again = second.tabs.currentWidget().view
        assert again.columnWidth(1) == 333
        assert again.lazy_model().sort_key == again.lazy_model().columns[4].key and again.lazy_model().descending
        assert again.horizontalHeader().sortIndicatorSection() == 4
        assert second.tabs.currentWidget().findChildren(QSplitter)[0].sizes() == sizes
        assert not second.tabs.currentWidget().funding.keep_widths  # never dragged: still fitted to its rows
        # a reload (new filter) keeps the user's width
        again.lazy_model().reload()
        assert again.columnWidth(1) == 333
    finally:
        DashboardTab.AUTO_RECOMPUTE = True


# -- High-DPI -----------------------------------------------------------------------------------------
def test_high_dpi_policy_is_set_before_the_application_exists() -> None:
    code = ("from PySide6.QtGui import QGuiApplication\n"
            "from app.ui.shell.app import make_app\n"
            "app = make_app()\n"
            "print(QGuiApplication.highDpiScaleFactorRoundingPolicy().name)\n"
            "print(app.property('fundledger_translations'))\n"
            "from PySide6.QtWidgets import QMessageBox, QDialogButtonBox\n"
            "box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)\n"
            "print(box.button(QDialogButtonBox.StandardButton.Cancel).text())\n")
    # UTF-8 both ways: on English Windows (code page 1252) a pipe cannot carry 取消 otherwise
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="1.5", PYTHONIOENCODING="utf-8")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, encoding="utf-8",
                         timeout=120, check=True).stdout.splitlines()
    assert out[0] == "PassThrough"
    assert "qtbase_zh_CN.qm" in out[1]
    assert out[2].startswith("取消")


# -- progress with cancel ------------------------------------------------------------------------
def test_op_cancel_interrupts_the_write_and_nothing_is_written(qtbot, demo_book: Book, answers) -> None:
    import threading

    from app.ui.kit.ops import Op

    parent = QWidget()
    qtbot.addWidget(parent)
    started = threading.Event()
    before = demo_book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    seen: list[Any] = []

    def long_write(own: Book, progress: Any) -> None:
        assert own is not demo_book and own.conn is not demo_book.conn  # a connection of its own
        with own.write("add_user") as conn:
            conn.execute("INSERT INTO users (login, name, role, pw_hash, created_at) "
                         "VALUES ('x', '写了一半', 'clerk', 'x', '2026-01-01')")
            started.set()
            while True:  # a long statement inside the write: only the interrupt stops it
                conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < 200000) SELECT count(*) FROM n").fetchone()

    op = Op(parent, demo_book, "测试", long_write).success(seen.append).run_in_background()
    assert started.wait(10)
    assert demo_book.conn.execute("SELECT count(*) FROM users").fetchone()[0] > 0  # the window still reads
    op.dialog.canceled.emit()  # 取消
    assert op.wait(20)
    assert op.error is not None and seen == []
    assert ("info", "已取消，未写入任何数据。") in answers
    assert not demo_book.conn.in_transaction
    assert demo_book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    assert demo_book.conn.execute("SELECT count(*) FROM users WHERE login = 'x'").fetchone()[0] == 0
    assert not op.changes  # nothing written, nothing announced


def test_long_tasks_run_as_jobs_with_progress(qtbot, window: MainWindow, demo_book: Book, tmp_path: Path,
                                              answers) -> None:
    """Imports, exports and backups go through ops.Op in the background (a progress dialog); imports can be
    cancelled."""
    from app.models.plan import plan_import
    from app.ui.kit import ops
    from app.ui.kit.ops import Op
    from app.ui.shell.folders import Folders

    Op.started.clear()
    template = tmp_path / "计划.xlsx"
    plan_import.write_template(demo_book.rules, template)
    dialogs.Ask.answer = lambda kind, text: str(template) if kind == "open" else None
    tab(window, "项目计划").import_plan()
    jobs = {job.title: job for job in Op.started}
    assert jobs["正在导入项目计划"].cancellable and jobs["正在导入项目计划"].worker_thread is not None
    qtbot.waitUntil(ops.idle, timeout=60000)
    window.backup_now()
    assert "正在备份" in {job.title for job in Op.started}
    qtbot.waitUntil(ops.idle, timeout=60000)
    # an export opens the folder it wrote (tests: Folders.enabled is False, so only recorded)
    ledger = tab(window, "专账")
    window.tabs.setCurrentWidget(ledger)
    dialogs.Ask.answer = lambda kind, text: str(tmp_path / "指标.xlsx") if kind == "save_file" else None
    ledger.export()
    qtbot.waitUntil(ops.idle, timeout=60000)
    assert (tmp_path / "指标.xlsx").exists()
    assert Folders.opened[-1] == tmp_path
    assert any(title.startswith("正在导出") for title in (job.title for job in Op.started))


def test_import_cancelled_writes_nothing(qtbot, window: MainWindow, demo_book: Book, tmp_path: Path,
                                         answers) -> None:
    from app.ui.kit.ops import Op

    paid = payment_query.PaymentQuery(demo_book, status="paid").fetch(0, 1, None, False)
    assert paid
    count = demo_book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    Op.auto_cancel = True
    try:
        from app.demo import ledger as demo_ledger

        export = demo_ledger.write_treasury_export(demo_book, tmp_path / "国库.xlsx")
        from app.models.ledger import treasury

        op = Op(window, demo_book, "正在导入国库支付数据",
                lambda own, p: treasury.import_file(own, export, progress=p.step)).run_in_background()
        assert op.wait(60)
    finally:
        Op.auto_cancel = False
    assert op.result is None and op.error is not None
    assert demo_book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == count


def test_tab_bar_is_reachable_and_every_tab_has_a_factory() -> None:
    assert len(tab_factories()) == 9
    assert QTabBar  # the tab bar is in the main window's focus chain through QTabWidget
    assert demo.PASSWORD == "demo1234"


def test_demo_creation_shows_progress_and_cancel_leaves_no_file(qtbot, tmp_path: Path, monkeypatch,
                                                                answers) -> None:
    from app.demo import build as demo_module
    from app.demo import prebuilt
    from app.ui.kit.ops import Op
    from app.ui.shell import files

    monkeypatch.setattr(files, "data_dir", lambda: tmp_path)
    # no ready-made demo to copy: not the one a packaging run (build.spec) leaves in resources/demo, nor this PC's
    # cache (under Wine the leg's own build left one there, and the demo was copied instead of built)
    monkeypatch.setattr(prebuilt, "shipped_dir", lambda: tmp_path.parent / "no-packaged-demo")
    monkeypatch.setattr(files, "demo_cache_dir", lambda: tmp_path.parent / "no-demo-cache")

    def slow_build(path: Path) -> Path:
        Path(path).write_bytes(b"demo")
        return Path(path)

    monkeypatch.setattr(demo_module, "build", slow_build)
    Op.started.clear()
    Op.auto_cancel = True
    try:
        assert files.demo_path(None) is None
    finally:
        Op.auto_cancel = False
    assert Op.started[-1].cancellable and "示例县" in Op.started[-1].title
    assert list(tmp_path.iterdir()) == []
    assert ("info", "已取消，未写入任何数据。") in answers
    made = files.demo_path(None)
    assert made == tmp_path / "示例县.db" and made.read_bytes() == b"demo"


def test_recompute_warnings_button_has_progress_and_cancel(qtbot, window: MainWindow, demo_book: Book,
                                                           answers) -> None:
    from app.models.warnings import engine as warn
    from app.ui.kit import ops
    from app.ui.kit.ops import Op

    dashboard = tab(window, "监控预警")
    qtbot.waitUntil(ops.idle, timeout=60000)  # the quiet recompute at start-up, if any
    before = warn.last_run(demo_book)
    Op.started.clear()
    Op.auto_cancel = True
    try:
        dashboard.overview.recompute_button.click()
        qtbot.waitUntil(ops.idle, timeout=60000)
    finally:
        Op.auto_cancel = False
    assert Op.started[-1].title == "正在重新计算预警" and Op.started[-1].cancellable
    assert Op.started[-1].dialog is not None  # the progress dialog with 取消
    assert warn.last_run(demo_book) == before  # cancelled: nothing stored
    dashboard.overview.recompute_button.click()
    qtbot.waitUntil(ops.idle, timeout=60000)
    assert warn.last_run(demo_book) != before, answers
