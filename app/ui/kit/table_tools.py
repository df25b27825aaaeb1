"""What every table in the window can do, whatever tab it is on: copy the selected rows (Ctrl+C), export the
list as shown to Excel, print it or preview it, and a right-click menu with those and the page's own actions.

The table's rows are the ones its model shows — the tab's filter already applied by the row source, the
user's sort by the model — fetched in full (not just the loaded page) when exported or printed. The workbook
itself is written by `app.export.table_xlsx`; here the table is only handed over with its column kinds.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QModelIndex
from PySide6.QtGui import QAction, QFont, QGuiApplication, QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QMenu, QPushButton, QStackedWidget, QTableView, QTabWidget, QWidget

from app.export.table_xlsx import ExportColumn, write_table
from app.models.values import filenames, money
from app.models.values.errors import ValidationError
from app.ui.kit import attachment_view, dialogs, ops
from app.ui.kit.table_models import Column, LazyTableModel, display

_DATE_KEY = re.compile(r"(^|_)(date|due|done|at|deadline|from_date|day)$")
_DATE_TITLE = ("日期", "时间", "到期日", "期限")
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


# -- what the table is ---------------------------------------------------------------------------------
def table_title(view: QTableView) -> str:
    """The table's own title (property "exportTitle"), else the tab labels it sits under, outermost first."""
    own = view.property("exportTitle")
    if own:
        return str(own)
    parts: list[str] = []
    child: QWidget | None = view
    while child is not None:
        parent = child.parentWidget()
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            tabs = parent.parentWidget()
            assert isinstance(tabs, QTabWidget)
            index = tabs.indexOf(child)
            if index >= 0:
                parts.append(tabs.tabText(index).replace("&", "").strip())
        child = parent
    parts = [p for p in reversed(parts) if p]
    return " ".join(dict.fromkeys(parts)) or (view.window().windowTitle() if view.window() is not view else "") or "表格"


def default_file_name(title: str, suffix: str = ".xlsx") -> str:
    """A name Windows accepts, from the title: forbidden characters become _, no trailing dot or space."""
    name = _UNSAFE.sub("_", title).strip(" .")[:80] or "表格"
    name += suffix
    return filenames.check(name, "文件名")


def export_kind(column: Column) -> str:
    """The cell kind a column is written as: money/int/percent/bool as declared, dates as date cells (a column
    declared "date", or a text column whose key or title says it holds dates — each value is still checked to
    be an ISO date before it becomes one), every other column as text (IDs and accounts stay text)."""
    if column.kind in ("money", "int", "percent", "bool", "date"):
        return column.kind
    if _DATE_KEY.search(column.key) or any(word in column.title for word in _DATE_TITLE):
        return "date"
    return "text"


def all_rows(model: LazyTableModel) -> list[dict[str, Any]]:
    """Every row the table shows — its filter and sort — not just the pages loaded so far."""
    total = model.source.count()
    if total <= len(model.rows) and not model.canFetchMore():
        return list(model.rows)
    return model.source.fetch(0, max(total, 1), model.sort_key, model.descending)


def selected_rows(view: QTableView) -> list[dict[str, Any]]:
    """The selected rows' dicts, top to bottom."""
    model = view.model()
    if not isinstance(model, LazyTableModel) or view.selectionModel() is None:
        return []
    rows = sorted({i.row() for i in view.selectionModel().selectedRows()})
    return [r for r in (model.row_at(i) for i in rows) if r is not None]


def _lazy(view: QTableView) -> LazyTableModel:
    model = view.model()
    assert isinstance(model, LazyTableModel)
    return model


def _visible_columns(view: QTableView) -> list[Column]:
    model = _lazy(view)
    header = view.horizontalHeader()
    shown = [(header.visualIndex(c), c) for c in range(len(model.columns)) if not view.isColumnHidden(c)]
    return [model.columns[c] for _, c in sorted(shown)]


# -- copy ------------------------------------------------------------------------------------------------
def _cell_text(value: Any, column: Column) -> str:
    """A cell as shown, with tabs and line breaks made spaces so a pasted row keeps its columns."""
    return re.sub(r"[\t\r\n]+", " ", display(value, column.kind))


def rows_as_text(columns: Sequence[Column], rows: Sequence[dict[str, Any]], *, header: bool = True) -> str:
    lines = ["\t".join(c.title for c in columns)] if header else []
    lines += ["\t".join(_cell_text(row.get(c.key), c) for c in columns) for row in rows]
    return "\n".join(lines)


def copy_selection(view: QTableView) -> str:
    """Ctrl+C: the selected rows as tab-separated text (a header line first, so a paste into Excel keeps the
    column names), as shown on screen; returns the text put on the clipboard."""
    rows = selected_rows(view)
    if not rows and view.currentIndex().isValid():
        row = _lazy(view).row_at(view.currentIndex().row())
        rows = [row] if row else []
    if not rows:
        return ""
    text = rows_as_text(_visible_columns(view), rows)
    QGuiApplication.clipboard().setText(text)
    return text


# -- export ----------------------------------------------------------------------------------------------
def _book(view: QWidget) -> Any:
    widget: QWidget | None = view
    while widget is not None:
        book = getattr(widget, "book", None)
        if book is not None and hasattr(book, "stamp"):
            return book
        widget = widget.parentWidget()
    return None


def _note(view: QTableView, count: int) -> str:
    book = _book(view)
    stamp = book.stamp() if book is not None else dt.datetime.now().isoformat(sep=" ", timespec="seconds")
    return f"共 {count} 行（按窗口中的筛选与排序）；导出时间 {stamp}"


def export_xlsx(view: QTableView, path: Path | str | None = None, *, background: bool = True) -> Path | None:
    """导出 Excel: ask for the file (a name Windows accepts), write the rows as shown. With `background` the
    workbook is written in a worker (a long list keeps the window painting); returns the path chosen."""
    title = table_title(view)
    try:
        if path is None:
            chosen = dialogs.choose_path(view, "save", "导出 Excel", "Excel 工作簿 (*.xlsx)",
                                         default_file_name(title), asked_as="save_file")
            if chosen is None:
                return None
            path = chosen
        filenames.check_path(path, "导出文件名")
    except ValidationError as err:
        dialogs.error(view, err)
        return None
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path.with_suffix(".xlsx")
    columns = _visible_columns(view)
    rows = all_rows(_lazy(view))
    spec = [ExportColumn(c.title, export_kind(c)) for c in columns]
    values = [[row.get(c.key) for c in columns] for row in rows]
    note = _note(view, len(rows))

    def write(_: Any) -> Path:
        return write_table(path, title=title, columns=spec, rows=values, note=note)

    if not background:
        write(None)
        return path
    ops.Op.task(view, f"正在导出“{title}”", write, cancellable=False) \
        .success(lambda done: dialogs.info(view, f"已导出 {len(rows)} 行到：\n{done}")).run_in_background()
    return path


# -- print -----------------------------------------------------------------------------------------------
def table_html(title: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]], note: str = "") -> str:
    """The list as an HTML table for QTextDocument: every value escaped, money right-aligned, a 合计 row."""
    out = [f"<h3 align='center'>{html.escape(title)}</h3>"]
    if note:
        out.append(f"<p style='font-size:8pt'>{html.escape(note)}</p>")
    out.append("<table border='1' cellspacing='0' cellpadding='2' width='100%' style='border-collapse:collapse'>")
    out.append("<thead><tr>" + "".join(f"<th bgcolor='#DDEBF7'>{html.escape(c.title)}</th>" for c in columns)
               + "</tr></thead>")
    sums = {c.key: 0 for c in columns if c.kind == "money"}
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c.key)
            if c.kind == "money" and isinstance(value, int) and not isinstance(value, bool):
                sums[c.key] += value
            align = " align='right'" if c.kind in ("money", "int", "percent") else ""
            nowrap = " nowrap" if c.kind in ("money", "int", "percent") or export_kind(c) == "date" else ""
            cells.append(f"<td{align}{nowrap}>{html.escape(display(value, c.kind))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    if sums:
        cells = []
        labelled = False
        for c in columns:
            if c.key in sums:
                cells.append(f"<td align='right'><b>{money.format(sums[c.key])}</b></td>")
            elif not labelled:
                cells.append(f"<td><b>合计（{len(rows)} 行）</b></td>")
                labelled = True
            else:
                cells.append("<td></td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def table_document(view: QTableView) -> QTextDocument:
    rows = all_rows(_lazy(view))
    doc = QTextDocument()
    font = QFont(doc.defaultFont())
    font.setPointSizeF(7.5 if len(_visible_columns(view)) > 8 else 9)
    doc.setDefaultFont(font)
    doc.setHtml(table_html(table_title(view), _visible_columns(view), rows, _note(view, len(rows))))
    return doc


def landscape_printer(mode: QPrinter.PrinterMode = QPrinter.PrinterMode.HighResolution) -> QPrinter:
    printer = QPrinter(mode)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                      QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter))
    return printer


def print_document(doc: QTextDocument, printer: QPrinter) -> None:
    """The document on the printer's pages; a table's header row repeats on each page (QTextDocument does
    that for a <thead>)."""
    doc.print_(printer)


_KEEP: dict[QPrintPreviewDialog, QPrinter] = {}


class Preview:
    """The preview dialogs opened, so tests (and the window) can reach and close them."""

    opened: list[QPrintPreviewDialog] = []
    exec_dialogs = True  # tests: show without a nested event loop


def preview(parent: QWidget, title: str, paint: Callable[[QPrinter], None], *,
            printer: QPrinter | None = None) -> QPrintPreviewDialog:
    """打印预览: Qt's preview (zoom, page setup, 打印 from there) of whatever `paint` draws on a printer."""
    printer = printer or landscape_printer()
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setProperty("fundledgerPreview", True)
    _KEEP[dialog] = printer  # the dialog does not own its printer: dropped here, Qt would paint on freed memory
    dialog.setWindowTitle(f"{title} — 打印预览")
    dialog.paintRequested.connect(paint)
    dialog.resize(1000, 760)
    if Preview.exec_dialogs and dialogs.Ask.answer is None:
        dialog.exec()
        _KEEP.pop(dialog, None)
        dialog.deleteLater()
    else:  # tests: shown, kept until closed by the test
        Preview.opened.append(dialog)
        dialog.show()
    return dialog


def preview_table(view: QTableView) -> QPrintPreviewDialog:
    title = table_title(view)
    doc = table_document(view)
    return preview(view, title, lambda printer: print_document(doc, printer))


def print_table(view: QTableView) -> None:
    """打印…: the system's print dialog, then the list on the chosen printer."""
    printer = landscape_printer()
    dialog = QPrintDialog(printer, view)
    dialog.setWindowTitle("打印")
    if dialogs.Ask.answer is not None:
        if not dialogs.Ask.record("print", table_title(view)):
            return
    elif dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return
    print_document(table_document(view), printer)


# -- the right-click menu -------------------------------------------------------------------------------
def page_buttons(view: QWidget) -> list[QPushButton]:
    """The row actions of the page the table is on: the nearest enclosing widget's `buttons` (the tabs keep
    their action buttons in a dict of that name), those visible, in their order."""
    widget: QWidget | None = view.parentWidget()
    while widget is not None:
        buttons = getattr(widget, "buttons", None)
        if isinstance(buttons, dict) and buttons and all(isinstance(b, QPushButton) for b in buttons.values()):
            return [b for b in buttons.values() if not b.isHidden()]
        if isinstance(widget, QDialog):  # a table in a dialog: never the buttons of the page behind it
            return []
        widget = widget.parentWidget()
    return []


def context_menu(view: QTableView, at: QModelIndex | None = None) -> QMenu:
    """复制 · 导出本表到 Excel… · 本表打印预览… · 打印本表…; 查看扫描件…/查看附件… when the row has one; and, under a line, the
    page's own actions (enabled as on the page)."""
    menu = QMenu(view)
    count = len(selected_rows(view))
    copy = QAction(f"复制选中的 {count} 行" if count > 1 else "复制", menu)
    copy.setShortcut("Ctrl+C")
    copy.setEnabled(count > 0 or view.currentIndex().isValid())
    copy.triggered.connect(lambda: copy_selection(view))
    menu.addAction(copy)
    for text, slot in (("导出本表到 Excel…", lambda: export_xlsx(view)), ("本表打印预览…", lambda: preview_table(view)),
                       ("打印本表…", lambda: print_table(view))):
        action = QAction(text, menu)
        action.triggered.connect(slot)
        menu.addAction(action)
    row = _lazy(view).row_at(view.currentIndex().row()) if view.currentIndex().isValid() else None
    book = _book(view)
    for key, text in (("scan_id", "查看扫描件…"), ("attachment_id", "查看附件…")):
        if row is not None and row.get(key) and book is not None:
            menu.addSeparator()
            action = QAction(text, menu)
            attachment_id = int(row[key])
            action.triggered.connect(lambda *_, a=attachment_id: attachment_view.show_attachment(view, book, a))
            menu.addAction(action)
    buttons = page_buttons(view)
    if buttons:
        menu.addSeparator()
        for button in buttons:
            action = QAction(button.text(), menu)
            action.setEnabled(button.isEnabled())
            action.setToolTip(button.toolTip())
            action.triggered.connect(button.click)
            menu.addAction(action)
    return menu
