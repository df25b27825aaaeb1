"""The 键盘快捷键 table in docs/使用手册.md lists the window's real shortcuts, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu

from app.models.store.book import Book
from app.ui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
# Keys Qt itself gives every dialog and tab widget (checked in test_desktop_habits for dialogs).
STANDARD = {"Tab", "Shift+Tab", "Enter", "Esc", "Ctrl+Tab", "Ctrl+Shift+Tab",
            "Ctrl+C"}  # Ctrl+C: every table (DataTable.keyPressEvent, QKeySequence.Copy), not a window action


def documented() -> set[str]:
    text = (ROOT / "docs" / "使用手册.md").read_text(encoding="utf-8")
    section = text[text.index("键盘快捷键\n"):]
    section = section[:section.find("\n## ")] if "\n## " in section else section  # that chapter only
    keys: set[str] = set()
    for cell in re.findall(r"(?m)^\| ([^|]+?) \| [^|]+\|$", section):
        if cell in ("按键", "---"):
            continue
        for key in cell.split(" / "):
            key = key.strip()
            if "…" in key:  # Ctrl+1 … Ctrl+9
                first, last = (k.strip() for k in key.split("…"))
                prefix = first[:-1]
                keys |= {f"{prefix}{n}" for n in range(int(first[-1]), int(last[-1]) + 1)}
            else:
                keys.add(key)
    return keys


def window_keys(window: MainWindow) -> set[str]:
    keys = {a.shortcut().toString() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}
    keys |= {s.key().toString() for s in window.findChildren(QShortcut) if s.parent() is window}
    for menu in window.menuBar().findChildren(QMenu):
        title = menu.title()
        if "&" in title:
            keys.add("Alt+" + title[title.index("&") + 1].upper())
    return keys


def test_documented_shortcuts_are_the_real_ones(qtbot, book: Book) -> None:
    window = MainWindow(book)
    qtbot.addWidget(window)
    real = window_keys(window)
    docs = documented()
    assert "Ctrl+F" in docs and "Ctrl+1" in docs and "Ctrl+9" in docs
    assert docs - STANDARD <= real, f"documented but not in the window: {sorted(docs - STANDARD - real)}"
    assert real <= docs, f"in the window but not documented: {sorted(real - docs)}"
    assert QKeySequence(QKeySequence.StandardKey.Find).toString() == "Ctrl+F"
