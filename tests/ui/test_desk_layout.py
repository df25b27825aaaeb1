"""#20 defect 2: a remembered layout never scrambles a page: each splitter keeps its own state under its own key,
and a state that does not fit it (other orientation, other number of parts) is refused and forgotten."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSplitter, QTabWidget

from app.models.store.book import Book
from app.ui.shell.main_window import MainWindow


def _window(qtbot, book: Book) -> MainWindow:
    window = MainWindow(book)
    qtbot.addWidget(window)
    window.set_book(book)
    return window


def _visit_all(window: MainWindow) -> None:
    """As the user who opened every tab and every page inside it (月报 › 自治区模板, 审计 › 已签发月报)."""
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        page = window.tabs.widget(i)
        assert page is not None
        for inner in page.findChildren(QTabWidget):
            for j in range(inner.count()):
                inner.setCurrentIndex(j)


def _shape(window: MainWindow) -> dict[str, tuple[Qt.Orientation, int]]:
    return {key: (part.orientation(), part.count()) for key, part in window._parts() if isinstance(part, QSplitter)}


def test_layout_saved_with_inner_pages_open_restores_every_splitter(qtbot, book: Book) -> None:
    first = _window(qtbot, book)
    _visit_all(first)
    defaults = _shape(first)
    assert len(defaults) >= 3
    for _key, part in first._parts():
        if isinstance(part, QSplitter) and part.count() == 2:
            part.setSizes([300, 100])  # the user drags every splitter
    reports = first.tabs.indexOf(next(first.tabs.widget(i) for i in range(first.tabs.count())
                                      if first.tabs.tabText(i) == "月报"))
    first.tabs.setCurrentIndex(reports)
    first.tabs.currentWidget().findChild(QTabWidget).setCurrentIndex(1)  # 自治区模板 left open
    first.save_layout()
    first.hide()

    second = _window(qtbot, book)
    _visit_all(second)
    assert _shape(second) == defaults  # same orientation and parts for every splitter


def test_a_state_that_does_not_fit_is_refused_and_forgotten(qtbot, book: Book) -> None:
    """The attack on a per-index key: another splitter's state (the other orientation) stored under this one's key."""
    window = _window(qtbot, book)
    _visit_all(window)
    defaults = _shape(window)
    settings = QSettings()
    for key, part in window._parts():
        if isinstance(part, QSplitter):
            other = QSplitter(Qt.Orientation.Vertical if part.orientation() == Qt.Orientation.Horizontal
                              else Qt.Orientation.Horizontal)
            settings.setValue(key, other.saveState())
    settings.sync()
    window.restore_layout()
    assert _shape(window) == defaults
    assert all(QSettings().value(key) is None for key in defaults)  # forgotten: the defaults from now on
