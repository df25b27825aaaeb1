"""The Qt application: Chinese translations and fonts, the global error hook, the first window."""

from __future__ import annotations

import logging
import sys
import tomllib
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QFont, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QDialog

from app import APP_NAME, APP_TITLE, resources
from app.export import fonts
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.kit.widgets import install_dialog_habits
from app.ui.shell import collector, files
from app.ui.shell.main_window import MainWindow
from app.ui.shell.start import StartDialog

FONT_FAMILIES = ["Microsoft YaHei UI", "Microsoft YaHei", "SimSun", "WenQuanYi Micro Hei", "Noto Sans CJK SC",
                 "Source Han Sans SC", "PingFang SC", fonts.FAMILY]
"""The window's fonts: the PC's own Chinese font when it has one, else the bundled one (printing always
uses the bundled one, see app/export/fonts.py)."""
log = logging.getLogger(__name__)
_KEEP: list[QTranslator] = []  # the Python translator must outlive this call (Qt holds only a pointer)


def configure_high_dpi() -> None:
    """Qt 6 always scales by the screen's DPI; pass fractional factors (125 %, 150 % on Windows) through
    unrounded so text and tables are neither blurry nor jumping between 100 % and 200 %. Must run before
    the QApplication exists."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)


def translation_dirs() -> list[Path]:
    """Where Qt's own zh_CN translations are: Qt's folder, and the PyInstaller bundle's copy (build.spec)."""
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "PySide6" / "Qt" / "translations")
    return dirs


class Supplement(QTranslator):
    """The few strings Qt's own zh_CN catalogue lacks (resources/qt_zh_CN_extra.toml), e.g. the file dialog's
    "Look in:" and "Files of type:"; installed last, so it is asked first, and it answers only those."""

    def __init__(self, parent: QApplication, table: dict[str, dict[str, str]]) -> None:
        super().__init__(parent)
        self.table = table

    def translate(self, context: str, source: str, disambiguation: str | None = None,  # type: ignore[override]
                  n: int = -1) -> str | None:
        return self.table.get(context, {}).get(source)  # None (a null string): "not mine", Qt asks the next one

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return not self.table


def supplement_table() -> dict[str, dict[str, str]]:
    with (resources.resources_dir() / "qt_zh_CN_extra.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {str(ctx): {str(k): str(v) for k, v in entries.items()} for ctx, entries in data.items()}


def install_translations(app: QApplication) -> list[str]:
    """Load qtbase_zh_CN.qm so standard buttons and dialogs read 确定/取消/是/否; returns the files loaded."""
    loaded: list[str] = []
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        for folder in translation_dirs():
            translator = QTranslator(app)
            if translator.load(name, str(folder)):
                app.installTranslator(translator)
                loaded.append(str(folder / f"{name}.qm"))
                break
    extra = Supplement(app, supplement_table())
    app.installTranslator(extra)
    app.setProperty("fundledger_supplement", True)
    _KEEP.append(extra)
    if loaded:
        log.info("已加载 Qt 中文翻译：%s", "；".join(loaded))
    else:
        log.warning("未找到 Qt 中文翻译 qtbase_zh_CN.qm，标准按钮将显示英文")
    app.setProperty("fundledger_translations", loaded)
    return loaded


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):  # made earlier (the self-test's PDF export): still speak Chinese
        if app.property("fundledger_translations") is None:
            install_translations(app)
        fonts.register()  # Chinese text finds the bundled font when the PC has none
        return app
    configure_high_dpi()
    app = QApplication(fonts.qt_argv(argv or sys.argv[:1]))
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_TITLE)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_translations(app)
    icon = resources.resources_dir() / "icons" / "fundledger.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    fonts.register()  # before the first window: a PC without a Chinese font still shows Chinese
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(10)
    app.setFont(font)
    install_dialog_habits(app)
    collector.install(app)  # Python's cyclic GC on the GUI thread only (a Qt object freed by a worker can crash)
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
        return files.open_demo(None, read_only=read_only)
    if path is not None:
        return files.open_path(None, path, read_only=read_only)
    while True:
        start = StartDialog()
        if start.exec() != QDialog.DialogCode.Accepted:
            return None
        if start.choice == StartDialog.NEW:
            book = files.create_new(None)
        elif start.choice == StartDialog.DEMO:
            book = files.open_demo(None)
        elif start.choice == StartDialog.PREFECTURE_DEMO:
            book = files.open_prefecture_demo(None)
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
