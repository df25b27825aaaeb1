"""The Qt application: Chinese translations and fonts, the global error hook, the first window."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QFont, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QDialog

from .. import APP_NAME, APP_TITLE
from ..models.book import Book
from ..resources import resources_dir
from . import dialogs, files
from .main_window import MainWindow
from .start import StartDialog

FONT_FAMILIES = ["Microsoft YaHei UI", "Microsoft YaHei", "SimSun", "WenQuanYi Micro Hei", "Noto Sans CJK SC",
                 "Source Han Sans SC", "PingFang SC"]
log = logging.getLogger(__name__)


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv or sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_TITLE)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, translations):
            app.installTranslator(translator)
    icon = resources_dir() / "icons" / "fundledger.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(10)
    app.setFont(font)
    return app


def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Log every unexpected error and show it with 复制详情 instead of letting the window vanish."""
    log.error("未处理的异常", exc_info=(kind, value, tb))
    if QApplication.instance() is not None:
        dialogs.error(None, value)
    else:
        traceback.print_exception(kind, value, tb)


def first_book(*, demo: bool, path: Path | None, read_only: bool) -> Book | None:
    if demo:
        return files.open_path(None, files.demo_path(), read_only=read_only, hint=files.DEMO_HINT)
    if path is not None:
        return files.open_path(None, path, read_only=read_only)
    while True:
        start = StartDialog()
        if start.exec() != QDialog.DialogCode.Accepted:
            return None
        if start.choice == StartDialog.NEW:
            book = files.create_new(None)
        elif start.choice == StartDialog.DEMO:
            book = files.open_path(None, files.demo_path(), hint=files.DEMO_HINT)
        else:
            book = files.open_path(None, start.path, read_only=read_only) if start.path else None
        if book is not None:
            return book


def run_gui(*, demo: bool = False, path: Path | None = None, read_only: bool = False) -> int:
    app = make_app()
    sys.excepthook = excepthook
    book = first_book(demo=demo, path=path, read_only=read_only)
    if book is None:
        return 0
    window = MainWindow(book)
    window.show()
    return int(app.exec())
