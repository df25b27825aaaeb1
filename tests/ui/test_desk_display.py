"""#20 item 8: Qt's own file dialog speaks Chinese everywhere (Qt's zh_CN catalogue plus the strings it lacks)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QPushButton, QToolButton, QTreeView

from app.ui.shell.app import install_translations

ENGLISH = re.compile(r"[A-Za-z]{3,}")


def test_qt_file_dialog_has_no_english(qtbot, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_translations(app)
    (tmp_path / "子文件夹").mkdir()
    (tmp_path / "报表.xlsx").write_bytes(b"x")
    dialog = QFileDialog(None, "选择文件", str(tmp_path), "工作簿 (*.xlsx)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)  # Linux without a desktop: Qt's own dialog
    qtbot.addWidget(dialog)
    dialog.show()
    view = dialog.findChild(QTreeView)
    assert view is not None
    model = view.model()
    qtbot.waitUntil(lambda: model.rowCount(view.rootIndex()) == 2, timeout=5000)
    texts = [w.text() for w in dialog.findChildren(QLabel)] + [w.text() for w in dialog.findChildren(QPushButton)]
    texts += [w.toolTip() for w in dialog.findChildren(QToolButton)]
    texts += [str(model.headerData(i, Qt.Orientation.Horizontal)) for i in range(model.columnCount())]
    folder = next(model.index(r, 0, view.rootIndex()) for r in range(2)
                  if model.index(r, 0, view.rootIndex()).data() == "子文件夹")
    texts.append(str(folder.siblingAtColumn(2).data()))  # its 类型 column
    english = [t for t in texts if ENGLISH.search(t.replace("xlsx", ""))]
    assert english == [], english
    assert "文件夹" in texts and "查找范围(&L)：" in texts
