"""Showing a written folder in the system's file manager; tests switch it off and read what would open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from app.ui.kit import dialogs


class Folders:
    """`Folders.enabled = False` in tests: nothing is launched, `Folders.opened` still records the folder."""

    enabled = True
    opened: list[Path] = []


def open_folder(path: Path) -> None:
    Folders.opened.append(Path(path))
    if Folders.enabled and dialogs.Ask.answer is None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
