"""Shared widgets and habits: a sortable data table, the Ctrl+F filter, tab order in every dialog."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QContextMenuEvent, QFontMetricsF, QHelpEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTableView,
    QTabWidget,
    QTextEdit,
    QToolTip,
    QWidget,
)

from app.models.store import permissions
from app.ui.kit import table_tools
from app.ui.kit.table_models import LazyTableModel, plain_tooltip

FILTER_PROPERTY = "fundledgerFilter"


def can(book: Any, op: str) -> bool:
    """Whether the logged-in user may do `op` (resources/permissions.toml) on a file opened for writing;
    the tabs enable their buttons with it."""
    user = getattr(book, "user", None)
    return not book.read_only and user is not None and permissions.allowed(op, user.role)


OP_PROPERTY = "fundledgerOp"


def gate(widget: QWidget, book: Any, op: str) -> QWidget:
    """A write button: enabled only when the permission table lets the logged-in user do `op` on this file
    (an auditor, a read-only file: disabled from the start); the op is kept on the widget for tests."""
    widget.setProperty(OP_PROPERTY, op)
    widget.setEnabled(can(book, op))
    return widget


class DataTable(QTableView):
    """A read-only, row-selecting view over a LazyTableModel; a click on a header sorts through the model.

    Column widths fit the first page until the user (or a remembered layout) sets them; then they are kept.
    Rows are selected with Ctrl/Shift-click; Ctrl+C copies them as tab-separated text; the right-click menu
    (复制、导出 Excel、打印预览、打印 and the page's own actions) is `table_tools.context_menu`."""

    def __init__(self, model: LazyTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        header = self.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # keep the source's order
        self.setSortingEnabled(True)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(50)  # fit columns to (about) the first 50 rows, not every row loaded
        self.verticalHeader().setDefaultSectionSize(24)
        self.keep_widths = False
        self.last_menu: Any = None
        self._fitting = False
        self._widths: list[int] = []
        self._fit_columns()
        header.sectionResized.connect(self._resized)
        model.modelAboutToBeReset.connect(self._remember_widths)
        model.modelReset.connect(self._fit_columns)

    def _resized(self, *_: object) -> None:
        """A column dragged by the user (a mouse button is down; the last column's stretching is not) is kept."""
        if not self._fitting and QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self.keep_widths = True

    def _remember_widths(self) -> None:
        header = self.horizontalHeader()
        self._widths = [header.sectionSize(col) for col in range(header.count())]

    def _fit_columns(self) -> None:
        """Fit the columns to the first page, capped so one long text cannot push the rest away; once the
        user has set widths, a reload (new filter, new sort) keeps them."""
        self._fitting = True
        try:
            if self.keep_widths and len(self._widths) == self.lazy_model().columnCount():
                for col, width in enumerate(self._widths):
                    self.setColumnWidth(col, width)
                return
            if self.keep_widths:
                return
            for col, width in enumerate(self.fitted_widths()):
                self.setColumnWidth(col, min(width, self.MAX_FIT))
        finally:
            self._fitting = False

    FIT_ROWS = 50  # the rows a fit measures (the first page's first rows, as the header's ResizeContentsPrecision)
    MAX_FIT = 360

    def fitted_widths(self) -> list[int]:
        """What `resizeColumnsToContents` gives for the first FIT_ROWS rows, measured from the cells' text alone.

        Qt's own fit asks the delegate for every cell's size hint, which asks the model for some ten roles per
        cell (13 tables on 专账: 14,000 data() calls and about a quarter of a second on the tab's first paint). This
        model has no icon, check box or font role, so a cell's width is its text's advance (the widest line) and
        the delegate's margins; the column's is the widest cell or its header's hint, whichever is wider."""
        model = self.lazy_model()
        header = self.horizontalHeader()
        metrics = QFontMetricsF(self.font())  # the delegate lays text out in fractions and rounds up
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        grid = 1 if self.showGrid() else 0
        rows = min(model.rowCount(), self.FIT_ROWS)
        widths = []
        for col in range(model.columnCount()):
            texts = {model.data(model.index(row, col)) for row in range(rows)}
            content = max((math.ceil(metrics.horizontalAdvance(line)) for text in texts if text
                           for line in str(text).split("\n")), default=-1)
            cell = content + margin + grid if content >= 0 else 0
            widths.append(max(cell, 0 if header.isHidden() else header.sectionSizeHint(col)))
        return widths

    def save_state(self) -> bytes:
        """The header's state (widths, order, sort), marked K when the user set the widths, F when fitted."""
        return (b"K" if self.keep_widths else b"F") + bytes(self.horizontalHeader().saveState().data())

    def restore_state(self, state: Any) -> bool:
        """Sort as saved (re-querying the model); widths as saved only where the user had set them."""
        data = bytes(state.data() if hasattr(state, "data") else state or b"")
        if data[:1] not in (b"K", b"F"):
            return False
        header = self.horizontalHeader()
        header.blockSignals(True)  # no sort (and refit) half-way through: sort once, below
        try:
            restored = header.restoreState(QByteArray(data[1:]))
        finally:
            header.blockSignals(False)
        if not restored:
            return False
        self.keep_widths = data[:1] == b"K"
        self._remember_widths()
        if header.sortIndicatorSection() >= 0:
            self.lazy_model().sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self._fit_columns()
        self.updateGeometries()
        self.viewport().update()
        return True

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """A cell whose text does not fit its column shows the whole text as a tooltip (the model's own tooltip,
        if it has one, wins): widths are capped so one long text cannot push the rest away, and nothing that
        is cut off may be unreadable."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.cut_off_text(self.indexAt(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), plain_tooltip(text), self.viewport(),
                                  self.visualRect(self.indexAt(event.pos())))
                return True
        return super().viewportEvent(event)

    def cut_off_text(self, index: Any) -> str:
        """The cell's full text when its column is too narrow to show it (and the model gives no tooltip)."""
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return ""
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text in (None, ""):
            return ""
        text = str(text)
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)  # Qt's delegate
        return text if self.fontMetrics().horizontalAdvance(text) + margin > self.columnWidth(index.column()) else ""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            table_tools.copy_selection(self)
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Right-click: the row under the pointer becomes the current one (kept in a multi-row selection it
        belongs to), then the menu."""
        index = self.indexAt(event.pos())
        if index.isValid() and not self.selectionModel().isRowSelected(index.row(), index.parent()):
            self.selectRow(index.row())
        elif index.isValid():
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.last_menu = table_tools.context_menu(self)
        self.last_menu.popup(event.globalPos())
        event.accept()

    def selectRow(self, row: int) -> None:  # noqa: N802 - Qt's name
        """This row alone becomes the selection and the current row (with multi-select on, Qt's own selectRow
        may add the row to what was selected; a tab that selects an object means that object only)."""
        model = self.model()
        if not 0 <= row < model.rowCount():
            return
        index = model.index(row, max(self.currentIndex().column(), 0))
        flags = QItemSelectionModel.SelectionFlag
        self.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        self.scrollTo(index)

    def selected_rows(self) -> list[dict[str, Any]]:
        return table_tools.selected_rows(self)

    def lazy_model(self) -> LazyTableModel:
        model = self.model()
        assert isinstance(model, LazyTableModel)
        return model

    def current_row(self) -> dict[str, Any] | None:
        index = self.currentIndex()
        return self.lazy_model().row_at(index.row()) if index.isValid() else None

    def select_loaded(self, object_id: Any, key: str = "id", at: int | None = None) -> bool:
        """Select the row whose `key` is `object_id` among the rows already read (nothing is read here: after
        `ops.Query.reload(..., reach=...)` the worker has read on to it; `at`: where it found it, looked at first)."""
        wanted = str(object_id)
        rows = self.lazy_model().rows
        if at is not None and 0 <= at < len(rows) and str(rows[at].get(key)) == wanted:
            self.selectRow(at)
            return True
        for row, r in enumerate(self.lazy_model().rows):
            if str(r.get(key)) == wanted:
                self.selectRow(row)
                return True
        return False

    def select_id(self, object_id: Any, key: str = "id") -> bool:
        """Select the row whose `key` is `object_id`, fetching further pages until it is found."""
        model = self.lazy_model()
        start = 0
        while True:
            for row in range(start, len(model.rows)):
                if model.rows[row].get(key) == object_id:
                    self.selectRow(row)
                    return True
            if len(model.rows) >= model.total:  # (not canFetchMore: false while a page is read off the GUI thread)
                return False
            start = len(model.rows)
            model.fetch_now()


class _FirstShow(QObject):
    """Calls `fill` once, when the watched widget is first shown (before it is painted)."""

    def __init__(self, widget: QWidget, fill: Callable[[], object]) -> None:
        super().__init__(widget)
        self.fill: Callable[[], object] | None = fill
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show and self.fill is not None:
            fill, self.fill = self.fill, None
            watched.removeEventFilter(self)
            fill()
        return False


def fill_when_shown(widget: QWidget, fill: Callable[[], object]) -> None:
    """Read what `widget` shows the first time it is shown, not when it is built: a page on a sub-tab the
    user has not opened (支付审批 › 收款人, 月报 › 自治区模板, 基础设置 › 规则集) costs nothing until it is opened
    (issue #22, each tab's first paint). Already visible: filled now."""
    if widget.isVisible():
        fill()
    else:
        _FirstShow(widget, fill)


def action_bar(specs: Any) -> tuple[QHBoxLayout, dict[str, QPushButton]]:
    """A row of buttons from (key, text, slot), left-aligned; the buttons by key, to enable and disable."""
    row = QHBoxLayout()
    buttons: dict[str, QPushButton] = {}
    for key, text, slot in specs:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        buttons[key] = button
    row.addStretch(1)
    return row, buttons


def focus_shortcut(owner: QWidget, target: QWidget) -> QShortcut:
    """Ctrl+F puts the cursor in `target`, the filter box of `owner`'s table.

    The box is also marked, so the main window's own Ctrl+F (查看 → 筛选当前表格) finds the visible one from
    anywhere on the tab (the tab bar, a page without focus). Where both shortcuts apply Qt calls them
    ambiguous: both signals lead to the same place, so either one does the job."""
    target.setProperty(FILTER_PROPERTY, True)
    shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), owner)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def go() -> None:
        if target.isVisible():
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if isinstance(target, QLineEdit):
                target.selectAll()
        else:
            focus_filter(owner)

    shortcut.activated.connect(go)
    shortcut.activatedAmbiguously.connect(go)
    return shortcut


def focus_filter(page: QWidget | None) -> QWidget | None:
    """Ctrl+F on `page`: the cursor goes to its visible filter box (text selected); without one, to its table."""
    if page is None:
        return None
    shown = [w for w in page.findChildren(QWidget) if w.isVisible() and w.isEnabled()]
    target = next((w for w in shown if w.property(FILTER_PROPERTY)), None)
    if target is None:
        target = next((w for w in shown if isinstance(w, QTableView)), None)
    if target is None:  # a page without a table (基础设置 → 单位信息): its first field
        target = next((w for w in shown if isinstance(w, _LEAVES) and w.focusPolicy() & Qt.FocusPolicy.TabFocus), None)
    if target is None:
        return None
    target.setFocus(Qt.FocusReason.ShortcutFocusReason)
    if isinstance(target, QLineEdit):
        target.selectAll()
    elif isinstance(target, QComboBox) and (edit := target.lineEdit()) is not None:
        edit.selectAll()
    return target


# -- tab order ---------------------------------------------------------------------------------------
_LEAVES = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QTextEdit, QPlainTextEdit, QAbstractItemView,
           QAbstractSlider)


def _items_in_order(layout: QLayout) -> list[Any]:
    if isinstance(layout, QFormLayout):
        items = []
        for row in range(layout.rowCount()):
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole,
                         QFormLayout.ItemRole.SpanningRole):
                item = layout.itemAt(row, role)
                if item is not None:
                    items.append(item)
        return items
    if isinstance(layout, QGridLayout):
        placed: list[tuple[int, int, int]] = []
        for i in range(layout.count()):
            position: Any = layout.getItemPosition(i)
            placed.append((int(position[0]), int(position[1]), i))
        return [layout.itemAt(i) for _, _, i in sorted(placed)]
    return [layout.itemAt(i) for i in range(layout.count())]


def _visit(widget: QWidget | None, out: list[QWidget]) -> None:
    if widget is None:
        return
    if isinstance(widget, _LEAVES):
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            out.append(widget)
        return
    if isinstance(widget, QTabWidget):
        out.append(widget.tabBar())
        for i in range(widget.count()):
            _visit(widget.widget(i), out)
        return
    if isinstance(widget, QSplitter):
        for i in range(widget.count()):
            _visit(widget.widget(i), out)
        return
    if isinstance(widget, QScrollArea):
        _visit(widget.widget(), out)
        return
    layout = widget.layout()
    if layout is not None:
        _visit_layout(layout, out)
    elif widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
        out.append(widget)


def _visit_layout(layout: QLayout, out: list[QWidget]) -> None:
    for item in _items_in_order(layout):
        if item.widget() is not None:
            _visit(item.widget(), out)
        elif item.layout() is not None:
            _visit_layout(item.layout(), out)


def layout_order(root: QWidget) -> list[QWidget]:
    """The focusable widgets of `root` in the order its layouts show them: rows top to bottom, left to right."""
    out: list[QWidget] = []
    layout = root.layout()
    if layout is not None:
        _visit_layout(layout, out)
    return out


def apply_tab_order(root: QWidget) -> list[QWidget]:
    """Tab walks the fields in the order they are shown (whatever order the code created them in)."""
    order = layout_order(root)
    for first, second in zip(order, order[1:], strict=False):
        QWidget.setTabOrder(first, second)
    return order


def rich_label(html_text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that is meant to show markup (bold, colour). Everything in `html_text` that comes from the user
    must already be escaped (`html.escape`): every other label shows plain text (see `_DialogHabits`)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(html_text)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows its text exactly as written, whatever it contains."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


class _DialogHabits(QObject):
    """Every dialog, the moment it is first shown: tab order follows the layout; the first field has the cursor.

    And every label and tooltip shows user data as plain text: a QLabel left at Qt's default AutoText (which
    renders anything that looks like HTML — a bureau named <font size=7 color=red>审计已通过</font>) is set to
    PlainText before it is first shown; a widget's tooltip that looks like HTML is shown escaped. Labels that
    are meant to show markup say so with `rich_label` and escape what they insert."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, QLabel) \
                and watched.textFormat() == Qt.TextFormat.AutoText:
            watched.setTextFormat(Qt.TextFormat.PlainText)
        elif kind == QEvent.Type.ToolTip and isinstance(watched, QWidget) and watched.toolTip() \
                and not watched.property("richToolTip"):
            from PySide6.QtWidgets import QToolTip

            from app.ui.kit.table_models import plain_tooltip

            shown = plain_tooltip(watched.toolTip())
            if shown != watched.toolTip():
                QToolTip.showText(event.globalPos(), shown, watched)  # type: ignore[attr-defined]
                return True
        if event.type() == QEvent.Type.Show and isinstance(watched, QDialog) and not watched.property("tabOrdered"):
            watched.setProperty("tabOrdered", True)
            order = apply_tab_order(watched)
            first = next((w for w in order if not isinstance(w, QAbstractButton) and w.isEnabled()
                          and w.isVisibleTo(watched)), None)
            if first is not None and watched.focusWidget() is None:
                first.setFocus(Qt.FocusReason.TabFocusReason)
        return False


_HABITS: list[_DialogHabits] = []


def install_dialog_habits(app: QApplication) -> None:
    if not _HABITS:
        _HABITS.append(_DialogHabits(app))
        app.installEventFilter(_HABITS[0])
