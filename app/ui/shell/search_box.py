"""全局搜索: the box in the main window's toolbar (Ctrl+K). Typing lists matching payees, projects, indicators,
payment requests and notices (app/models/search/index.py); Enter or a click opens the chosen one in its tab
(navigate.open_object), like a double-click anywhere else in the program."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from app.models.search import index as search
from app.models.store.book import Book
from app.models.values.errors import AppError
from app.ui.kit import dialogs
from app.ui.shell import navigate

HIT_ROLE = int(Qt.ItemDataRole.UserRole) + 1


class SearchBox(QLineEdit):
    DELAY_MS = 250  # typing pauses this long before the search runs

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.hits: list[search.Hit] = []
        self.setPlaceholderText("搜索收款人、项目、指标文号、支付申请、公告（Ctrl+K）")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(420)
        self.setMaximumWidth(640)
        self.results = QStandardItemModel(self)
        self.chooser = QCompleter(self.results, self)
        self.chooser.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.chooser.setMaxVisibleItems(12)
        self.chooser.setWidget(self)  # the list is ours: the completer only shows it and reports the choice
        self.chooser.activated.connect(self._chosen)  # (text) or (index), whichever overload Qt picks
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(self.DELAY_MS)
        self.timer.timeout.connect(self.run)
        self.textEdited.connect(lambda _text: self.timer.start())
        self.returnPressed.connect(self._enter)

    def set_book(self, book: Book) -> None:
        self.book = book
        self.clear()
        self.show_hits([])

    def run(self) -> list[search.Hit]:
        """Search for the text in the box now and show the list under it."""
        self.timer.stop()
        text = self.text().strip()
        if not text or self.book.closed:
            self.show_hits([])
            return []
        try:
            hits = search.find(self.book, text)
        except AppError as exc:
            dialogs.error(self, exc)
            hits = []
        self.show_hits(hits, empty=f"没有找到“{text}”")
        return hits

    def show_hits(self, hits: list[search.Hit], *, empty: str = "") -> None:
        self.hits = hits
        self.results.clear()
        for i, hit in enumerate(hits):
            detail = f"　{hit.detail[:40]}" if hit.detail else ""
            item = QStandardItem(f"【{hit.kind_name}】{hit.title}{detail}")
            item.setData(i, HIT_ROLE)
            item.setToolTip(f"{hit.kind_name} {hit.title}\n{hit.detail}")
            self.results.appendRow(item)
        if not hits and empty:
            item = QStandardItem(empty)
            item.setEnabled(False)
            self.results.appendRow(item)
        if self.results.rowCount():
            self.chooser.complete(self.rect())
        else:
            self._hide_list()

    def _hide_list(self) -> None:
        popup = self.chooser.popup()
        if popup is not None:
            popup.hide()

    def _enter(self) -> None:
        """Enter in the box: search now if the list is not up to date, else open the first hit."""
        if self.timer.isActive() or not self.hits:
            self.run()
            if len(self.hits) != 1:
                return
        self.open(0)

    def _chosen(self, chosen: object) -> None:
        if isinstance(chosen, QModelIndex):
            row = chosen.data(HIT_ROLE)
        else:
            found = self.results.findItems(str(chosen))
            row = found[0].data(HIT_ROLE) if found else None
        if isinstance(row, int) and 0 <= row < len(self.hits):
            self.open(row)

    def open(self, row: int) -> bool:
        """Open hit `row` in its tab; returns whether a tab showed it."""
        hit = self.hits[row]
        self._hide_list()
        shown = navigate.open_object(self, hit.kind, hit.object_id, lambda: dialogs.info(
            self, f"{hit.kind_name}“{hit.title}”在当前列表中找不到（可能已被删除或无权查看）。"))
        if shown:
            self.clear()
            self.hits = []
        return shown

    def focus(self) -> None:
        """Ctrl+K: the cursor into the box, its text selected (typing replaces it)."""
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()
