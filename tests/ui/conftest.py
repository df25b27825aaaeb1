"""UI test habits: QSettings in a temporary folder, no file manager launched, dialog habits installed,
and a copy of the session's demo county (tests/conftest.py) for each test that wants one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from app.demo import build as demo
from app.models.store import users
from app.models.store.book import Book, open_book
from tests.conftest import writable_copy


@pytest.fixture(autouse=True)
def _desktop_habits(qapp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from app.ui.kit.widgets import install_dialog_habits
    from app.ui.shell.folders import Folders

    folder = tmp_path_factory.mktemp("qsettings")
    QCoreApplication.setOrganizationName("FundLedgerTests")
    QCoreApplication.setApplicationName("FundLedgerTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    install_dialog_habits(qapp)
    enabled = Folders.enabled
    Folders.enabled = False
    Folders.opened.clear()
    yield
    from app.ui.kit.ops import Op

    for op in list(Op.running):  # an operation a test left running ends here, not inside the next test
        op.wait(60)
    Folders.enabled = enabled


@pytest.fixture
def demo_book(demo_file: Path, tmp_path: Path) -> Iterator[Book]:
    """A fresh copy of the demo county, logged in as the chief (juzhang)."""
    book = open_book(writable_copy(demo_file, tmp_path / "示例县.db"))
    users.login(book, "juzhang", demo.PASSWORD)
    yield book
    if not book.closed:
        book.close(backup=False)
