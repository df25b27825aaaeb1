"""Make the manual's screenshots from the demo county: `python docs/screenshots.py [OUTDIR]`.

Every tab as the chief sees it, then the dialogs and states the task chapters (经办人, 审核人, 局长, 审计) walk
through. Runs offscreen (or under Xvfb); CI runs it through tests/ui/test_screenshots.py so the manual cannot
go stale: every image it makes must be shown in docs/使用手册.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.demo import build as demo  # noqa: E402
from app.models.store import users
from app.models.store.book import open_book  # noqa: E402

SLUGS = {"专账": "ledger", "项目计划": "plan", "支付审批": "payments", "公告公示": "notices", "监控预警": "dashboard",
         "绩效目标": "performance", "月报": "reports", "审计": "audit", "基础设置": "settings"}

# The task chapters' pictures: file name → what it shows (the manual's caption).
TASKS = {
    "start": "第一次打开：开始窗口",
    "login": "登录（示例县）",
    "task-clerk-indicator": "经办人：登记指标",
    "task-clerk-treasury": "经办人：导入国库支付数据（试导入）",
    "task-clerk-payment": "经办人：起草支付申请",
    "task-clerk-notice": "经办人：登记已张贴的公告",
    "task-reviewer-payment": "审核人：审核已提交的支付申请",
    "task-chief-preview": "局长：预览并核对 10 月月报",
    "task-auditor-verify": "审计：只读打开并核验数据库",
    "search": "全局搜索：Ctrl+K，输入几个字，回车打开",
    "table-menu": "任何表格：右键菜单（复制、导出 Excel、打印预览、打印，和本页的操作）",
    "table-print-preview": "任何表格：打印预览（横向、表头每页重复、合计行）",
    "task-reviewer-batch": "审核人：选中多笔，批量审核通过（确认并填写审核意见）",
    "batch-result": "批量审核、批量退回的逐笔结果",
    "task-clerk-correct": "经办人：更正录错的指标（须写明理由）",
    "attachment": "在程序中查看附件（公示照片、指标扫描件）",
    "reports-print-preview": "局长：月报打印预览",
}


def wait(app: Any, done: Callable[[], bool], seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def tab_of(window: Any, title: str) -> Any:
    return next(window.tabs.widget(i) for i in range(window.tabs.count()) if window.tabs.tabText(i) == title)


def shoot(app: Any, widget: Any, target: Path, size: tuple[int, int] | None = None) -> Path:
    if size:
        widget.resize(*size)
    widget.show()
    from app.ui.kit import ops

    wait(app, ops.idle)  # rows read off the GUI thread (审计, 支付审批) have arrived
    wait(app, lambda: False, 0.2)
    widget.grab().save(str(target))
    return target


def shoot_search(app: Any, window: Any, text: str, target: Path) -> Path:
    """The window with the search box's list open under it (the list is a popup: painted onto the picture)."""
    from PySide6.QtGui import QPainter

    window.search.setText(text)
    window.search.run()
    wait(app, lambda: False, 0.3)
    picture = window.grab()
    popup = window.search.chooser.popup()
    if popup is not None and popup.isVisible():
        painter = QPainter(picture)
        painter.drawPixmap(window.mapFromGlobal(popup.mapToGlobal(popup.rect().topLeft())), popup.grab())
        painter.end()
    picture.save(str(target))
    return target


def window_as(path: Path, login: str, *, read_only: bool = False) -> Any:
    """The main window on the demo file as this user (closing the window closes the file)."""
    from app.ui.shell.main_window import MainWindow

    book = open_book(path, read_only=read_only)
    users.login(book, login, demo.PASSWORD)
    window = MainWindow(book)
    window.resize(1280, 800)
    window.show()
    return window


def capture(out: Path) -> list[Path]:
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.shell.app import make_app
    from app.ui.shell.folders import Folders

    app = make_app()
    Folders.enabled = False
    DashboardTab.AUTO_RECOMPUTE = False  # the demo's warnings are already computed: same pictures every run
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = demo.build(Path(tmp) / "示例县.db")
        window = window_as(path, "juzhang")
        for i in range(window.tabs.count()):
            window.tabs.setCurrentIndex(i)
            app.processEvents()
            slug = SLUGS.get(window.tabs.tabText(i), f"tab{i}")
            made.append(shoot(app, window, out / f"{slug}.png"))
        window.close()
        made += capture_tasks(app, path, out, Path(tmp))
        made += capture_tools(app, path, out)
    DashboardTab.AUTO_RECOMPUTE = True
    return made


def capture_tasks(app: Any, path: Path, out: Path, tmp: Path) -> list[Path]:
    from app.demo import ledger as demo_ledger
    from app.models.notices import records as notices
    from app.models.payments import query as payment_query
    from app.ui.ledger import dialogs as ledger_dialogs
    from app.ui.ledger import treasury_import as ledger_import
    from app.ui.notices import dialogs as notice_dialogs
    from app.ui.payments import dialogs as payment_dialogs
    from app.ui.shell import files, start

    window = window_as(path, "jingban")  # 经办人 (clerk): indicator, treasury import, payment draft, notice
    book = window.book
    made = [shoot(app, start.StartDialog(window), out / "start.png")]
    login = start.LoginDialog(book, window, files.DEMO_HINT)
    login.login.setText("jingban")
    login.password.setText(demo.PASSWORD)
    made.append(shoot(app, login, out / "login.png"))
    login.close()

    made.append(shoot(app, ledger_dialogs.IndicatorDialog(book, window), out / "task-clerk-indicator.png"))
    export = demo_ledger.write_treasury_export(book, tmp / "国库支付数据.xlsx")
    dialog = ledger_import.TreasuryImportDialog(book, export, window)
    dialog.show()
    wait(app, lambda: not dialog.busy())
    made.append(shoot(app, dialog, out / "task-clerk-treasury.png", (1100, 680)))
    dialog.close()
    payment = payment_dialogs.PaymentDialog(window, book)
    payment.amount.setText("60,000.00")
    payment.purpose.setText("庭院经济奖补第二批")
    payment.refresh()
    made.append(shoot(app, payment, out / "task-clerk-payment.png"))
    duty = tab_of(window, "公告公示").obligations.lazy_model().row_at(0)
    initial = notices.draft(book, kind=duty["kind"], level=duty["level"], object_type=duty["object_type"],
                            object_id=duty["object_id"])
    made.append(shoot(app, notice_dialogs.NoticeDialog(window, book, initial), out / "task-clerk-notice.png"))
    window.close()

    # 审核人 (reviewer): a submitted payment, its checks and history
    reviewer = window_as(path, "shenhe")
    pays = tab_of(reviewer, "支付审批")
    reviewer.tabs.setCurrentWidget(pays)
    submitted = payment_query.PaymentQuery(reviewer.book, status="submitted").fetch(0, 1, None, False)
    if submitted:
        pays.select("payment", submitted[0]["id"])
    made.append(shoot(app, reviewer, out / "task-reviewer-payment.png"))
    reviewer.close()

    # 局长 (chief): preview and cross-check October
    chief = window_as(path, "juzhang")
    reports = tab_of(chief, "月报")
    chief.tabs.setCurrentWidget(reports)
    reports.select("month", "2026-10")
    reports.run_preview()
    wait(app, lambda: not reports.busy())
    made.append(shoot(app, chief, out / "task-chief-preview.png"))
    made.append(shoot_search(app, chief, "建设", out / "search.png"))
    chief.close()

    # 审计 (auditor): read-only, verify
    auditor = window_as(path, "shenji", read_only=True)
    audit = tab_of(auditor, "审计")
    auditor.tabs.setCurrentWidget(audit)
    audit.run_verify()
    wait(app, lambda: getattr(audit, "job", None) is not None and not audit.job.is_running())
    made.append(shoot(app, auditor, out / "task-auditor-verify.png"))
    auditor.close()
    return made


def shoot_menu(app: Any, window: Any, table: Any, row: int, target: Path) -> Path:
    """The window with a table's right-click menu open on `row` (the menu is a popup: painted onto the picture)."""
    from PySide6.QtGui import QContextMenuEvent, QPainter
    from PySide6.QtWidgets import QApplication

    pos = table.visualRect(table.model().index(row, 1)).center()
    QApplication.sendEvent(table.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                               table.viewport().mapToGlobal(pos)))
    wait(app, lambda: False, 0.3)
    picture = window.grab()
    menu = table.last_menu
    painter = QPainter(picture)
    painter.drawPixmap(window.mapFromGlobal(menu.mapToGlobal(menu.rect().topLeft())), menu.grab())
    painter.end()
    menu.close()
    picture.save(str(target))
    return target


def capture_tools(app: Any, path: Path, out: Path) -> list[Path]:
    """Issue 20's tools: the table menu and print preview, batch review, 更正指标, attachments, 月报 printing."""
    from PySide6.QtCore import QItemSelectionModel

    from app.models.ledger import indicators
    from app.models.payments import query as payment_query
    from app.models.payments import requests as payment_requests
    from app.ui.kit import attachment_view, dialogs, table_tools
    from app.ui.ledger.correction import CorrectionDialog
    from app.ui.payments.review import BatchResultDialog, ReviewDialog

    made: list[Path] = []
    dialogs.Ask.answer = lambda kind, text: None  # previews and viewers are shown, not run modally
    try:
        reviewer = window_as(path, "shenhe")
        pays = tab_of(reviewer, "支付审批")
        reviewer.tabs.setCurrentWidget(pays)
        page = pays.requests
        page.query.wait()  # the first page is read off the GUI thread
        view = page.view
        model = view.lazy_model()
        while len(model.rows) < model.total:
            model.fetch_now()  # every page, here (fetchMore reads the next page off the GUI thread)
        waiting = [r for r, row in enumerate(model.rows) if row["status"] == "submitted"][:3]
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        view.clearSelection()
        for r in waiting:
            view.selectionModel().select(view.model().index(r, 0), flags)
        if waiting:
            view.selectionModel().setCurrentIndex(view.model().index(waiting[0], 0),
                                                  QItemSelectionModel.SelectionFlag.NoUpdate)
            view.scrollTo(view.model().index(waiting[0], 0))
        wait(app, lambda: False, 0.2)
        first = waiting[0] if waiting else 0
        made.append(shoot_menu(app, reviewer, view, first, out / "table-menu.png"))
        selected = [payment_query.get(reviewer.book, int(r["id"])) for r in view.selected_rows()] or \
            [payment_query.get(reviewer.book, int(r["id"]))
             for r in payment_query.PaymentQuery(reviewer.book, status="paid").fetch(0, 3, None, False)]
        review = ReviewDialog(reviewer, reviewer.book, selected)
        review.opinion.setPlainText("资料齐全，同意支付")
        made.append(shoot(app, review, out / "task-reviewer-batch.png"))
        review.close()
        outcomes = [payment_requests.BatchOutcome(int(p["id"]), str(p["request_no"]), i != 1,
                                                  "已审核" if i != 1 else "不能审核本人起草或提交的支付申请，须由另一名审核人审核")
                    for i, p in enumerate(selected)]
        result = BatchResultDialog(reviewer, "批量审核结果", outcomes)
        made.append(shoot(app, result, out / "batch-result.png"))
        result.close()
        preview = table_tools.preview_table(view)
        wait(app, lambda: False, 0.5)
        made.append(shoot(app, preview, out / "table-print-preview.png", (1100, 760)))
        preview.close()
        reviewer.close()

        clerk = window_as(path, "jingban")
        ledger = tab_of(clerk, "专账")
        ledger.query.wait()  # 指标登记's first page is read off the GUI thread
        row = ledger.indicators.lazy_model().row_at(0)
        correction = CorrectionDialog(clerk.book, indicators.get(clerk.book, int(row["id"])), clerk)
        correction.reason.setPlainText("文号录错，按原件更正")
        made.append(shoot(app, correction, out / "task-clerk-correct.png"))
        correction.close()
        notices_tab = tab_of(clerk, "公告公示")
        photo = clerk.book.conn.execute("SELECT attachment_id FROM notice_evidence ORDER BY id LIMIT 1").fetchone()
        viewer = attachment_view.show_attachment(clerk, clerk.book, int(photo[0]))
        made.append(shoot(app, viewer, out / "attachment.png", (820, 620)))
        viewer.close()
        del notices_tab
        clerk.close()

        chief = window_as(path, "juzhang")
        reports = tab_of(chief, "月报")
        chief.tabs.setCurrentWidget(reports)
        reports.select("month", "2026-10")
        reports.print_package()
        wait(app, lambda: not reports.busy())
        wait(app, lambda: bool(table_tools.Preview.opened))
        printed = table_tools.Preview.opened[-1]
        wait(app, lambda: False, 0.5)
        made.append(shoot(app, printed, out / "reports-print-preview.png", (1100, 760)))
        printed.close()
        chief.close()
    finally:
        dialogs.Ask.answer = None
        for dialog in table_tools.Preview.opened:
            dialog.close()
        table_tools.Preview.opened.clear()
        attachment_view.Viewers.opened.clear()
    return made


if __name__ == "__main__":
    for p in capture(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "images"):
        print(p)
