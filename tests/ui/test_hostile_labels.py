"""Issue 15 item 12: user data is never rendered as rich text. A bureau named <font size=7 color=red>审计已通过</font>
and projects named <h1>x</h1>: every dialog is opened, and every QLabel and message box shows plain text
(or, where a label is meant to show markup, the user's text escaped inside it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from app.models.store import setup
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.shell.main_window import MainWindow
from tests.ui.test_desktop_habits import factories

BUREAU = "<font size=7 color=red>审计已通过</font>"
PROJECT = "<h1>x</h1>"


def hostile(book: Book) -> None:
    info = setup.bureau_info(book)
    setup.update_bureau(book, name=BUREAU, region_code=str(info["region_code"]), level=str(info["level"]))
    with book.write("edit_project", system=True) as conn:  # test data: names a clerk could have typed
        conn.execute("UPDATE projects SET name = ?", (PROJECT,))
        conn.execute("UPDATE payees SET name = ?", (PROJECT,))


def check_labels(root: QWidget, where: str) -> int:
    """Every label under `root`: polished (as Qt does before showing it), then plain text — or rich text in
    which the hostile names appear only escaped."""
    labels = ([root] if isinstance(root, QLabel) else []) + root.findChildren(QLabel)
    for label in labels:
        label.ensurePolished()
        fmt = label.textFormat()
        assert fmt != Qt.TextFormat.AutoText, f"{where}: label {label.text()[:60]!r} left to guess rich text"
        if fmt != Qt.TextFormat.PlainText:
            assert BUREAU not in label.text() and PROJECT not in label.text(), \
                f"{where}: rich label shows user data unescaped: {label.text()[:80]!r}"
    return len(labels)


def test_every_label_and_dialog_shows_hostile_names_as_plain_text(qtbot, demo_book: Book, tmp_path: Path) -> None:
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.shell import start

    hostile(demo_book)
    DashboardTab.AUTO_RECOMPUTE = False
    try:
        w = MainWindow(demo_book)
        qtbot.addWidget(w)
        w.show()
        for i in range(w.tabs.count()):
            w.tabs.setCurrentIndex(i)
            w.tabs.build(i)
        seen = check_labels(w, "主窗口")
        login = start.LoginDialog(demo_book, w)
        qtbot.addWidget(login)
        login.show()
        seen += check_labels(login, "登录")
        assert any(BUREAU in lb.text() or "&lt;font" in lb.text() for lb in login.findChildren(QLabel))
        for name, make in factories(w, demo_book, tmp_path).items():
            dialog = make()
            qtbot.addWidget(dialog)
            dialog.setModal(False)
            dialog.show()
            seen += check_labels(dialog, name)
            dialog.close()
        assert seen > 100
    finally:
        DashboardTab.AUTO_RECOMPUTE = True


def test_message_boxes_and_tooltips_are_plain(qtbot) -> None:
    from app.ui.kit.table_models import plain_tooltip

    for icon in (QMessageBox.Icon.Information, QMessageBox.Icon.Warning, QMessageBox.Icon.Question):
        box = dialogs.message_box(None, icon, "提示", f"项目“{PROJECT}”已保存")
        qtbot.addWidget(box)
        assert box.textFormat() == Qt.TextFormat.PlainText
        check_labels(box, "消息框")
    tip = plain_tooltip(f"项目 {PROJECT} 的说明")
    assert PROJECT not in tip and "&lt;h1&gt;" in tip
    assert plain_tooltip("普通说明") == "普通说明"
