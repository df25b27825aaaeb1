"""Table models over row sources from app.models: fetched lazily in batches, never all at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.models.values import money

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"  # text | money | int | date | bool | percent
    width: int = 0


class RowSource(Protocol):
    """What a table shows: a count and a page of rows, sorted and filtered by the models layer.

    A source may also offer `seek(after, limit, sort_key, descending)`: the `limit` rows that follow the row `after`
    (the last one read) in that order — a keyset seek whose cost does not grow with the position, unlike an `OFFSET` —
    or None when it cannot seek in that order (`next_page` then pages by offset)."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]: ...


class ListSource:
    """A small in-memory source (settings lists, a roster's people): same interface, sorted in Python — once per
    order, kept: each later page is a slice, not another sort of every row."""

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        self.rows = list(rows)
        self._sorted: dict[tuple[str, bool], list[dict[str, Any]]] = {}

    def count(self) -> int:
        return len(self.rows)

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        rows = self.rows
        if sort_key:
            kept = self._sorted.get((sort_key, descending))
            if kept is not None:
                rows = kept
            else:
                def key(row: dict[str, Any]) -> tuple[bool, str, float]:
                    value = row.get(sort_key)
                    number = value if isinstance(value, (int, float)) else 0
                    return (value is None, value if isinstance(value, str) else "", number)

                rows = self._sorted[(sort_key, descending)] = sorted(self.rows, key=key, reverse=descending)
        return rows[offset: offset + limit]


def display(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return money.format(int(value))
    if kind == "bool":
        return "是" if value else "否"
    if kind == "date" and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if kind == "percent":
        return f"{value:.2%}" if isinstance(value, float) else str(value)
    return str(value)


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` as typed: Qt renders a tooltip that looks like HTML as rich text, so
    user data (a project named <h1>…</h1>) is escaped inside a rich-text wrapper that keeps line breaks."""
    import html

    from PySide6 import QtGui

    if not QtGui.Qt.mightBeRichText(text):
        return text
    return "<p style='white-space:pre-wrap'>" + html.escape(text) + "</p>"


_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_USER = int(Qt.ItemDataRole.UserRole.value)
_ROLES = frozenset((_DISPLAY, _ALIGN, _BACKGROUND, _TOOLTIP, _USER))
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)


def first_page(source: RowSource, sort_key: str | None, descending: bool, limit: int = 200
               ) -> tuple[int, list[dict[str, Any]]]:
    """The count and first page of `source`: what `LazyTableModel.reload` reads (run off the GUI thread)."""
    total = source.count()
    return total, (source.fetch(0, limit, sort_key, descending) if total else [])


def next_page(source: RowSource, start: int, last: dict[str, Any] | None, limit: int, sort_key: str | None,
              descending: bool) -> list[dict[str, Any]]:
    """The `limit` rows from row `start` of `source`, `last` being the row before it (None at the top): sought from
    `last` where the source can (`seek`), else read by offset. What `fetchMore` reads (off the GUI thread through
    `ops.Query.page`)."""
    seek = getattr(source, "seek", None)
    if last is not None and callable(seek):
        rows: list[dict[str, Any]] | None = seek(last, limit, sort_key, descending)
        if rows is not None:
            return rows
    return source.fetch(start, limit, sort_key, descending)


class LazyTableModel(QAbstractTableModel):
    """canFetchMore/fetchMore over a RowSource; sorting re-queries the source."""

    BATCH = 200

    def __init__(self, columns: Sequence[Column], source: RowSource, parent: Any = None,
                 highlight: Callable[[dict[str, Any]], str | None] | None = None, *, read: bool = True) -> None:
        """`read=False`: start empty; the first page is read elsewhere (`ops.Query`, off the GUI thread)."""
        super().__init__(parent)
        self.columns = list(columns)
        self.source = source
        self.highlight = highlight
        self.rows: list[dict[str, Any]] = []
        self.total = 0
        self.sort_key: str | None = None
        self.descending = False
        self.generation = 0  # +1 on every reload/load: a first page read elsewhere before it is stale (ops.Query)
        self.resort: Callable[[], object] | None = None  # set by ops.Query.follow: a sort re-reads off the GUI thread
        self.more: Callable[[int], object] | None = None  # set by ops.Query.page: the next page is read off it too
        self.fetching = False  # a next page asked of `more` has not arrived yet
        if read:
            self.reload()

    # -- structure ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
                return self.columns[section].title
            if orientation == Qt.Orientation.Vertical:
                return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Called for every cell and role on each paint and column fit: roles are compared as plain ints
        and only the roles answered here touch the row (a 200-row page is asked ~100,000 times)."""
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self.rows) and 0 <= c < len(self.columns)):
            return None
        if role == _DISPLAY:
            col = self.columns[c]
            return display(self.rows[r].get(col.key), col.kind)
        if role == _ALIGN:
            return _RIGHT if self.columns[c].kind in ("money", "int", "percent") else _LEFT
        row = self.rows[r]
        if role == _BACKGROUND:
            colour = self.highlight(row) if self.highlight else None
            return QBrush(QColor(colour)) if colour else None
        if role == _TOOLTIP:
            col = self.columns[c]
            value = display(row.get(col.key), col.kind)
            return plain_tooltip(value) if len(value) > 20 else None
        return row  # UserRole

    # -- lazy fetching -------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        """More rows than read, and no next page already being read elsewhere (`more`): a loop `while canFetchMore():
        fetchMore()` ends instead of spinning (code that needs every page now uses `fetch_now`)."""
        return not parent.isValid() and len(self.rows) < self.total and not self.fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        """The view scrolled to the last row read: the next page. With `more` (ops.Query.page) it is read off the GUI
        thread and `append`ed when it arrives (one at a time; the view asks again as it scrolls)."""
        if parent.isValid():
            return
        if self.more is not None:
            if not self.fetching:
                self.fetching = True
                self.more(len(self.rows))
            return
        self.fetch_now()

    def fetch_now(self) -> None:
        """The next page, read here and now (code that needs it at once, e.g. `DataTable.select_id`)."""
        start = len(self.rows)
        self._extend(start, next_page(self.source, start, self.rows[-1] if self.rows else None, self.BATCH,
                                      self.sort_key, self.descending))

    def _extend(self, start: int, batch: list[dict[str, Any]]) -> None:
        """`batch` as the rows from `start` (the end of those read); an empty one: the list ends there."""
        if not batch:
            self.total = start
            return
        self.beginInsertRows(QModelIndex(), start, start + len(batch) - 1)
        self.rows.extend(batch)
        self.endInsertRows()

    def append(self, start: int, batch: list[dict[str, Any]], generation: int) -> None:
        """A next page read elsewhere (`more`), from row `start`: added unless the rows were reset meanwhile or the
        page is no longer the next one."""
        if generation != self.generation:
            return
        self.fetching = False
        if start == len(self.rows):
            self._extend(start, batch)

    def reload(self, source: RowSource | None = None) -> None:
        """Start again from the first page (after a change, a new filter or a new sort)."""
        self.beginResetModel()
        self.generation += 1
        self.fetching = False
        if source is not None:
            self.source = source
        self.total = self.source.count()
        self.rows = self.source.fetch(0, self.BATCH, self.sort_key, self.descending) if self.total else []
        self.endResetModel()

    def load(self, source: RowSource, total: int, rows: list[dict[str, Any]]) -> None:
        """Show a first page read elsewhere (off the GUI thread, see `ops.Query`); later pages come from `source`."""
        self.beginResetModel()
        self.generation += 1
        self.fetching = False
        self.source, self.total, self.rows = source, total, list(rows)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self.columns):
            self.sort_key = self.columns[column].key
            self.descending = order == Qt.SortOrder.DescendingOrder
            if self.resort is not None:  # the first page in the new order is read elsewhere (ops.Query.follow)
                self.resort()
            else:
                self.reload()

    def row_at(self, row: int) -> dict[str, Any] | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None
