"""Shared widgets: a data table with sorting and Ctrl+F filtering, and a filter bar."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from .table_models import LazyTableModel


class DataTable(QTableView):
    """A read-only, row-selecting, sortable view over a LazyTableModel."""

    def __init__(self, model: LazyTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # keep the source's order
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setDefaultSectionSize(24)
        self.resizeColumnsToContents()
        model.modelReset.connect(self._fit_columns)

    def _fit_columns(self) -> None:
        """Fit the columns to the first page, capped so one long text cannot push the rest away."""
        self.resizeColumnsToContents()
        for col in range(self.lazy_model().columnCount()):
            if self.columnWidth(col) > 360:
                self.setColumnWidth(col, 360)

    def lazy_model(self) -> LazyTableModel:
        model = self.model()
        assert isinstance(model, LazyTableModel)
        return model

    def current_row(self) -> dict[str, Any] | None:
        index = self.currentIndex()
        return self.lazy_model().row_at(index.row()) if index.isValid() else None


def focus_shortcut(owner: QWidget, target: QWidget) -> QShortcut:
    """Ctrl+F puts the cursor in the filter box of the visible tab."""
    shortcut = QShortcut(QKeySequence.StandardKey.Find, owner)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(lambda: (target.setFocus(), getattr(target, "selectAll", lambda: None)()))
    return shortcut
