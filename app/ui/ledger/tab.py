"""专账: the 指标 register with deadlines, the ledger, 收支余, reconciliation, and their actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.export.table_xlsx import ExportColumn, write_table
from app.models.ledger import catalogue, deadlines, indicators, reconcile, treasury
from app.models.ledger import query as ledger_query
from app.models.ledger.indicator_query import IndicatorQuery
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.ui.kit import dialogs, ops, table_tools
from app.ui.kit.ops import Query
from app.ui.kit.table_models import Column, LazyTableModel, ListSource, RowSource
from app.ui.kit.widgets import DataTable, focus_shortcut, gate
from app.ui.ledger.annual_plan import AnnualPlanDialog
from app.ui.ledger.correction import CorrectionDialog
from app.ui.ledger.dialogs import IndicatorDialog, ManualEntryDialog, ReductionDialog, SectionFiguresDialog
from app.ui.ledger.exemption import ExemptionDialog
from app.ui.ledger.treasury_import import TreasuryImportDialog
from app.ui.shell.folders import open_folder

LATE, WARN, GREY = "#f8d0d0", "#fde2b8", "#e8e8e8"

INDICATOR_COLUMNS = [
    Column("doc_no", "文号"), Column("title", "标题", width=200), Column("item_name", "资金项目", width=150),
    Column("source_level_name", "级次", width=70), Column("received_date", "收到日期", "date"),
    Column("amount", "指标金额", "money"), Column("paid", "已支出", "money"), Column("available", "可用余额", "money"),
    Column("due", "本级到期日"), Column("deadline_status", "时限状态", width=130), Column("stage_who", "时限环节"),
    Column("used_text", "用时"), Column("reduced", "调减/收回", "money"), Column("section_name", "业务股室"),
    Column("kind_name", "资金大类", width=150), Column("year", "年度", "int"), Column("func_code", "功能科目"),
    Column("has_scan", "扫描件", "bool"),
]
STAGE_COLUMNS = [Column("who", "环节"), Column("stage", "时限"), Column("limit", "期限"), Column("from_name", "起算"),
                 Column("from_date", "起算日期", "date"), Column("due", "到期日", "date"), Column("done", "完成日期", "date"),
                 Column("used", "用时", "int"), Column("status", "状态")]
REDUCTION_COLUMNS = [Column("reduction_date", "日期"), Column("kind_name", "类型"), Column("doc_no", "文号"),
                     Column("amount", "金额", "money"), Column("reason", "理由")]
ENTRY_COLUMNS = [
    Column("entry_date", "日期"), Column("entry_type_name", "类型"), Column("doc_no", "指标文号"), Column("kind_name", "资金大类"),
    Column("item_name", "资金项目"), Column("section", "业务股室"), Column("summary", "摘要"), Column("voucher_no", "凭证号"),
    Column("income", "收入", "money"), Column("expenditure", "支出", "money"),
]
BALANCE_COLUMNS = [
    Column("name", "项目", width=300), Column("opening", "年初余额", "money"), Column("month_opening", "月初余额", "money"),
    Column("income_month", "本月收入", "money"), Column("income_ytd", "本年累计收入", "money"),
    Column("expenditure_month", "本月支出", "money"), Column("expenditure_ytd", "本年累计支出", "money"),
    Column("closing", "期末余额", "money"),
]
SECTION_COLUMNS = [
    Column("section", "业务股室"), Column("master_income", "总台账收入", "money"), Column("section_income", "分管台账收入", "money"),
    Column("income_diff", "收入差额（分管−总）", "money"), Column("master_expenditure", "总台账支出", "money"),
    Column("section_expenditure", "分管台账支出", "money"), Column("expenditure_diff", "支出差额（分管−总）", "money"),
    Column("treasury", "国库支付", "money"), Column("treasury_diff", "国库−总台账", "money"), Column("note", "分管台账备注"),
]
DIFF_COLUMNS = [
    Column("month", "月份"), Column("kind_name", "差异类型"), Column("date", "日期"), Column("voucher_no", "凭证号"),
    Column("section", "业务股室"), Column("treasury_amount", "国库金额", "money"), Column("ledger_amount", "专账金额", "money"),
    Column("difference", "差额（国库或分管−总台账）", "money"), Column("detail", "情况"), Column("note", "说明"),
]
BY = {"kind": "按资金大类", "item": "按资金项目", "indicator": "按指标", "section": "按业务股室"}


STAGE_TITLE = "下达时限（选中一条指标查看各环节）"

def _table(columns: list[Column], source: RowSource, highlight: Any = None, *, read: bool = True) -> DataTable:
    table = DataTable(LazyTableModel(columns, source, highlight=highlight, read=read))

    def narrow() -> None:
        """Long titles and names get at most their column's width (the full text is in the tooltip)."""
        for n, col in enumerate(columns):
            limit = col.width or 220
            if table.columnWidth(n) > limit:
                table.setColumnWidth(n, limit)

    table.lazy_model().modelReset.connect(narrow)
    narrow()
    return table


class LedgerTab(QWidget):
    """One filter bar (year, month, kind, section, text — Ctrl+F) over four pages and the actions.

    专账明细 (a count over every ledger entry), 收支余 and 对账 (the reconciliation differences of a whole year) are
    read when their page is first shown, or their tables first asked for, and again after a reload only then: the
    tab opens with 指标登记 at once. 指标登记's first page (each indicator's deadline status, some 0.7 ms apiece:
    0.2 s for 200 on the GUI thread) is read off the GUI thread (kit.ops.Query): the tab paints at once, the rows
    follow, and the first indicator is then selected with its deadlines shown (issue #22 item 5). A reload on the
    GUI thread meanwhile (an object opened, the tab's own write) wins: the older page is not shown over it.

    A filter, a write elsewhere (`on_changes`), F5 (`refresh`) and a sort (a header click, a remembered sort
    restored) read the first page off the GUI thread too (`apply_filter`, `Query.follow`): the table keeps its rows
    until the new ones arrive, then nothing is selected (the deadlines panel is cleared), as after a reload on the
    GUI thread. So do the other pages then, and when one is shown or 收支余's grouping changes (a `Query` each,
    `page_queries`): 专账明细's count and first page (and its sorts), 收支余's balances, 对账's three ledgers and
    differences; asking for their tables meanwhile waits for them. The tab's own writes read off the GUI thread too
    (`after_write`: the indicator written about, or one registered, then selected; a difference explained stays
    selected), and so does an object opened from elsewhere (`select`: answered at once, the row found in a
    worker). Scrolling down 指标登记 or 专账明细 reads the next page off the GUI thread (`Query.page`)."""

    WATCHES = frozenset({'indicators', 'indicator_events', 'indicator_reductions', 'ledger_entries', 'treasury_imports', 'treasury_payments', 'recon_notes', 'section_ledger_figures', 'ledger_settings', 'year_end_exemptions'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self.apply_filter()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.query = Query(self, book)  # 指标登记's first page, off the GUI thread (below)
        self._stale = {1: True, 2: True, 3: True}  # page index → to be read when next shown or used
        self.page_queries = {1: Query(self, book), 2: Query(self, book), 3: Query(self, book)}  # their reads
        layout = QVBoxLayout(self)
        layout.addLayout(self._filter_bar())
        layout.addLayout(self._action_bar())
        self.pages = QTabWidget()
        self.pages.addTab(self._indicator_page(), "指标登记")
        self.pages.addTab(self._entry_page(), "专账明细")
        self.pages.addTab(self._balance_page(), "收支余")
        self.pages.addTab(self._reconcile_page(), "对账")
        self.pages.currentChanged.connect(self._page_shown)
        layout.addWidget(self.pages, 1)
        focus_shortcut(self, self.text)
        self._update_buttons()
        self._arrived = False  # a first page has been shown (until then a sort's page selects its first row)
        self.query.reload(self.indicators.lazy_model(), self._indicator_query(), self._first_shown)
        self.query.follow(self.indicators.lazy_model(), self._indicator_query, self._sorted)
        self.page_queries[1].follow(self._entries.lazy_model(), self._entry_query)
        # scrolling down reads the next page off the GUI thread (the sources kept up to date by each reload)
        self.query.page(self.indicators.lazy_model(), self._indicator_query())
        self.page_queries[1].page(self._entries.lazy_model(), self._entry_query())

    def _entry_query(self) -> Callable[[Book], ledger_query.EntryQuery]:
        """专账明细's rows under the filter as it is now, over a given book."""
        f = self.filters()
        return lambda book: ledger_query.EntryQuery(book, **f)

    def _indicator_query(self) -> Callable[[Book], IndicatorQuery]:
        """指标登记's rows under the filter as it is now (read here, on the GUI thread), over a given book."""
        f = self.filters()
        return lambda book: IndicatorQuery(book, year=f["year"], kind=f["kind"], section=f["section"], text=f["text"])

    def _first_shown(self) -> None:
        """The first page has arrived from the worker: the first indicator is selected, its deadlines shown."""
        self._arrived = True
        if self.indicators.lazy_model().rowCount():
            self.indicators.selectRow(0)  # → show_stages
        else:
            self.show_stages()

    def _sorted(self) -> None:
        """A sort's first page has arrived: the first one selects as `_first_shown`; later ones clear the selection
        (the model was reset) and so the deadlines panel."""
        if not self._arrived:
            self._first_shown()
        else:
            self.show_stages()

    def _filtered(self) -> None:
        self._arrived = True
        self.show_stages()
        self._update_buttons()

    # -- pages read on first use ------------------------------------------------------------------
    def _page_shown(self, index: int) -> None:
        self._ensure(index, background=True)
        self._update_buttons()

    def _ensure(self, index: int, *, background: bool = False) -> None:
        """Page `index` read if it is stale: at once (its table asked for), or off the GUI thread (`background`:
        a filter, the page shown). Asked for while such a read runs: waits for it."""
        if self._stale.get(index):
            self._stale[index] = False
            if background:
                self._read_in_background(index)
            elif index == 1:
                self.reload_entries()
            elif index == 2:
                self.reload_balances()
            else:
                self.reload_reconciliation()
        elif not background and index in self.page_queries:
            self.page_queries[index].wait()

    def _read_in_background(self, index: int) -> None:
        query = self.page_queries[index]
        if index == 1:
            query.reload(self._entries.lazy_model(), self._entry_query())
        elif index == 2:
            month, by, kind = self.month_text(), str(self.by.currentData()), self.filters()["kind"]
            query.read(lambda own: ledger_query.balances(own, month=month, by=by, kind=kind),
                       lambda rows: self._show_balances(month, by, rows))
        else:
            self._read_reconciliation()

    def _read_reconciliation(self, then: Callable[[], object] | None = None) -> None:
        """对账 read off the GUI thread (a filter, the page shown, a difference explained: `then` selects it again in
        the in-memory list once it arrives)."""
        f = self.filters()
        self._stale[3] = False

        def show(read: tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]) -> None:
            self._show_reconciliation(read)
            if then is not None:
                then()

        self.page_queries[3].read(lambda own: _reconciliation(own, f), show)

    @property
    def entries(self) -> DataTable:
        self._ensure(1)
        return self._entries

    @property
    def balances(self) -> DataTable:
        self._ensure(2)
        return self._balances

    @property
    def balance_title(self) -> QLabel:
        self._ensure(2)
        return self._balance_title

    @property
    def sections(self) -> DataTable:
        self._ensure(3)
        return self._sections

    @property
    def diffs(self) -> DataTable:
        self._ensure(3)
        return self._diffs

    @property
    def recon_title(self) -> QLabel:
        self._ensure(3)
        return self._recon_title

    # -- bars ----------------------------------------------------------------------------------
    def _filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.year = QComboBox()
        years = sorted(set(ledger_query.years(self.book)) | {self.book.today().year}, reverse=True)
        self.year.addItem("全部年度", None)
        for y in years:
            self.year.addItem(f"{y} 年", y)
        self.year.setCurrentIndex(1)
        self.month = QComboBox()
        self.month.addItem("全年", None)
        for m in range(1, 13):
            self.month.addItem(f"{m} 月", m)
        self.kind = QComboBox()
        self.kind.addItem("全部资金大类", None)
        for k in catalogue.kinds(self.book):
            self.kind.addItem(str(k["name"]), k["code"])
        self.section = QComboBox()
        self.section.addItem("全部股室", None)
        for s in ledger_query.sections(self.book):
            self.section.addItem(s, s)
        self.text = QLineEdit()
        self.text.setPlaceholderText("文号、标题、摘要、凭证号（Ctrl+F）")
        self.text.setClearButtonEnabled(True)
        for w in (self.year, self.month, self.kind, self.section):
            w.currentIndexChanged.connect(lambda _i: self.apply_filter())
            bar.addWidget(w)
        self.text.returnPressed.connect(self.apply_filter)
        bar.addWidget(self.text, 1)
        go = QPushButton("筛选")
        go.clicked.connect(self.apply_filter)
        bar.addWidget(go)
        return bar

    def _action_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("register_indicator", "登记指标…", self.register_indicator),
            ("adjust_indicator", "调减/收回…", self.reduce_indicator),
            ("correct_indicator", "更正指标…", self.correct_indicator),
            ("manual_ledger_entry", "手工记账（退回/缴回）…", self.manual_entry),
            ("import_treasury", "导入国库支付数据…", self.import_treasury),
            ("record_section_ledger", "录入分管台账数…", self.section_figures),
            ("explain_difference", "说明差异…", self.explain),
            ("set_annual_plan", "年度计划数…", self.annual_plans),
            ("record_year_end_exemption", "年末支出豁免…", self.year_end_exemptions),
        ):
            button = QPushButton(text)
            gate(button, self.book, key)
            button.clicked.connect(slot)
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch(1)
        export = QPushButton("导出当前表格…")
        export.clicked.connect(self.export)
        bar.addWidget(export)
        return bar

    def _update_buttons(self) -> None:
        page = self.pages.currentIndex()
        for op, button in self.buttons.items():
            allowed = self.book.may(op)
            button.setEnabled(allowed)
            button.setToolTip("" if allowed else "当前角色无权执行，或文件以只读方式打开")
            button.setVisible(op not in ("record_section_ledger", "explain_difference") or page == 3)

    # -- pages ---------------------------------------------------------------------------------
    def _indicator_page(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Vertical)
        self.indicators = _table(INDICATOR_COLUMNS, self._indicator_query()(self.book),  # first page: off the GUI thread
                                 lambda r: LATE if r.get("late") else None, read=False)
        self.indicators.selectionModel().currentRowChanged.connect(lambda *_: self.show_stages())
        split.addWidget(self.indicators)
        lower = QWidget()
        box = QHBoxLayout(lower)
        box.setContentsMargins(0, 0, 0, 0)
        self.stages = _table(STAGE_COLUMNS, ListSource([]), lambda r: LATE if r.get("late") else None)
        self.reductions = _table(REDUCTION_COLUMNS, ListSource([]))
        left, right = QVBoxLayout(), QVBoxLayout()
        self.stage_title = QLabel(STAGE_TITLE)
        left.addWidget(self.stage_title)
        left.addWidget(self.stages)
        right.addWidget(QLabel("调减/收回记录"))
        right.addWidget(self.reductions)
        box.addLayout(left, 3)
        box.addLayout(right, 1)
        split.addWidget(lower)
        split.setSizes([520, 200])
        return split

    def _entry_page(self) -> QWidget:
        self._entries = _table(ENTRY_COLUMNS, ListSource([]),
                               lambda r: WARN if r.get("entry_type") in ("reduction", "return", "refund") else None)
        return self._entries

    def _balance_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.by = QComboBox()
        for key, label in BY.items():
            self.by.addItem(label, key)
        self.by.currentIndexChanged.connect(lambda _i: self._regroup())
        self._balance_title = QLabel()
        row.addWidget(self.by)
        row.addWidget(self._balance_title, 1)
        layout.addLayout(row)
        self._balances = _table(BALANCE_COLUMNS, ListSource([]), lambda r: GREY if r.get("total") else None)
        self._balances.horizontalHeader().setStretchLastSection(False)
        self._balances.lazy_model().modelReset.connect(lambda: self._balances.setColumnWidth(0, 300))
        layout.addWidget(self._balances, 1)
        return page

    def _reconcile_page(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        layout = QVBoxLayout(top)
        layout.setContentsMargins(0, 0, 0, 0)
        self._recon_title = QLabel()
        self._recon_title.setWordWrap(True)
        layout.addWidget(self._recon_title)
        self._sections = _table(SECTION_COLUMNS, ListSource([]), lambda r: LATE if r.get("differs") else None)
        layout.addWidget(self._sections)
        split.addWidget(top)
        self._diffs = _table(DIFF_COLUMNS, ListSource([]), lambda r: None if r.get("explained") else WARN)
        split.addWidget(self._diffs)
        split.setSizes([260, 420])
        return split

    # -- filters and reloading -----------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        return {"year": self.year.currentData(), "month": self.month.currentData(), "kind": self.kind.currentData(),
                "section": self.section.currentData(), "text": self.text.text().strip()}

    def month_text(self) -> str:
        """The month the balances and reconciliation show: the chosen one, else the latest with data."""
        return _month_text(self.book, self.filters())

    def select(self, object_type: str, object_id: Any) -> bool:
        """navigate.open_object (a warning, the search): True at once when the indicator exists (one row looked up by
        its key); it is shown on 指标登记, found off the GUI thread — the models layer numbers it in the filter and sort
        shown, the pages down to it are read in a worker — and selected with its deadlines when they arrive. All
        years and filters are cleared if they hide it, as before. A newer request (a filter, a sort) wins."""
        if object_type != "indicator" or not object_id or not IndicatorQuery(self.book).has(int(object_id)):
            return False
        self.pages.setCurrentIndex(0)
        self._read_to(int(object_id), widen=True)
        return True

    def apply_filter(self) -> None:
        """A new filter, rows written elsewhere, F5: 指标登记's first page is read off the GUI thread (kit.ops.Query),
        and so is the other page shown now (the rest when next shown)."""
        self.query.reload(self.indicators.lazy_model(), self._indicator_query(), self._filtered)
        self._stale = {1: True, 2: True, 3: True}
        self._ensure(self.pages.currentIndex(), background=True)
        self._update_buttons()

    def _regroup(self) -> None:
        """收支余 by another grouping: read off the GUI thread."""
        self._stale[2] = True
        self._ensure(2, background=True)

    def refresh(self) -> None:
        """F5: everything again, read off the GUI thread as for a filter."""
        self.apply_filter()

    def reload(self) -> None:
        """Everything again on the GUI thread (nothing in the tab calls it now: tests)."""
        for query in self.page_queries.values():
            query.drop()  # read again below or when next shown: an older page must not arrive over it
        self._arrived = True
        self.indicators.lazy_model().reload(self._indicator_query()(self.book))
        self.query.page(self.indicators.lazy_model(), self._indicator_query())  # later pages: under this filter
        self._stale = {1: True, 2: True, 3: True}
        self._ensure(self.pages.currentIndex())
        self.show_stages()
        self._update_buttons()

    def after_write(self, select_id: int | None = None) -> None:
        """After this tab's own write: everything is read again off the GUI thread, as for a filter (kit.ops.Query);
        the tables keep their rows until the new ones arrive. Then the indicator `select_id` (one just registered;
        else the one selected before, which the write was about) is selected with its deadlines — the worker reads on
        until it is among the rows read. A newer request (a filter, a sort) wins; the filter boxes are not touched."""
        current = self.indicators.current_row()
        self._read_to(select_id or (current["id"] if current else None))
        self._stale = {1: True, 2: True, 3: True}
        self._ensure(self.pages.currentIndex(), background=True)
        self._update_buttons()

    def _read_to(self, keep: int | None, *, widen: bool = False) -> None:
        """指标登记 read again off the GUI thread, then the indicator `keep` selected with its deadlines: the models
        layer numbers it in the filter and sort shown and the worker reads the pages down to it. `widen` (an object
        opened from elsewhere): one the filter hides is shown with every filter cleared (the other pages are then
        read again when shown); what is typed meanwhile is kept."""
        f = self.filters()
        wide = None
        if widen and keep is not None and (f["year"] or f["kind"] or f["section"] or f["text"]):
            def cleared() -> None:
                for box in (self.year, self.month, self.kind, self.section):
                    box.blockSignals(True)
                    box.setCurrentIndex(0)
                    box.blockSignals(False)
                if self.text.text().strip() == f["text"]:  # typed meanwhile (not yet applied): kept
                    self.text.clear()
                for query in self.page_queries.values():
                    query.drop()  # read under the old filter: not shown
                self._stale = {1: True, 2: True, 3: True}
                self._ensure(self.pages.currentIndex(), background=True)

            wide = (lambda book: IndicatorQuery(book), cleared)

        def shown() -> None:
            self._arrived = True
            if keep is None or not self.indicators.select_loaded(keep, at=self.query.found_at):
                self.show_stages()  # nothing selected (the model was reset): the panel cleared
            self._update_buttons()

        self.query.reload(self.indicators.lazy_model(), self._indicator_query(), shown,
                          reach=("id", keep) if keep is not None else None, widen=wide)

    def reload_entries(self) -> None:
        self._stale[1] = False
        self.page_queries[1].drop()
        self._entries.lazy_model().reload(self._entry_query()(self.book))
        self.page_queries[1].page(self._entries.lazy_model(), self._entry_query())  # later pages: under this filter

    def reload_balances(self) -> None:
        month = self.month_text()
        by = str(self.by.currentData())
        self.page_queries[2].drop()
        self._show_balances(month, by, ledger_query.balances(self.book, month=month, by=by, kind=self.filters()["kind"]))

    def _show_balances(self, month: str, by: str, rows: list[dict[str, Any]]) -> None:
        self._stale[2] = False
        self._balance_title.setText(f"{month} 收支余（{BY[by]}；年初余额为上年结转，期末余额 = 年初余额 + 本年累计收入 − 本年累计支出）")
        self._balances.lazy_model().reload(ListSource(rows))

    def recon_month(self) -> str:
        """The month whose three ledgers are compared: the chosen month, else the newest one the
        treasury data covers."""
        return _recon_month(self.book, self.filters())

    def reload_reconciliation(self) -> None:
        self.page_queries[3].drop()
        self._show_reconciliation(_reconciliation(self.book, self.filters()))

    def _show_reconciliation(self, read: tuple[str, str, list[dict[str, Any]], list[dict[str, Any]],
                                               list[dict[str, Any]]]) -> None:
        month, scope, rows, diffs, imports = read
        self._stale[3] = False
        last = f"最近导入：{imports[0]['imported_at']} {imports[0]['file_name']}。" if imports else "尚未导入国库支付数据。"
        open_count = sum(1 for d in diffs if not d["explained"])
        self._recon_title.setText(
            f"上表：{month} 总台账 / 分管台账 / 国库支付数据（红色为不一致）。下表：{scope}的差异 {len(diffs)} 项，"
            f"未说明 {open_count} 项（黄色，选中后点“说明差异…”）。{last}")
        self._sections.lazy_model().reload(ListSource(rows))
        self._diffs.lazy_model().reload(ListSource(diffs))

    def current_indicator(self) -> dict[str, Any] | None:
        row = self.indicators.current_row()
        return indicators.get(self.book, int(row["id"])) if row else None

    def show_stages(self) -> None:
        ind = self.current_indicator()
        if ind is None:
            self.stage_title.setText(STAGE_TITLE)  # not the last indicator's: nothing is selected
            self.stages.lazy_model().reload(ListSource([]))
            self.reductions.lazy_model().reload(ListSource([]))
            return
        self.stage_title.setText(f"下达时限：{ind['doc_no']}（本单位为{deadlines.bureau_level(self.book) == 'county' and '县级' or '地州级'}）")
        self.stages.lazy_model().reload(ListSource(deadlines.stages(self.book, ind)))
        self.reductions.lazy_model().reload(ListSource(indicators.reductions(self.book, int(ind["id"]))))

    # -- actions -------------------------------------------------------------------------------
    def run_dialog(self, dialog: QDialog) -> bool:
        """Show a dialog whose OK runs its operation; refresh everything after a change (off the GUI thread,
        `after_write`); an indicator just registered is then selected."""
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        made = dialog.result_value if isinstance(dialog, IndicatorDialog) else None  # the new indicator's id
        self.after_write(made if isinstance(made, int) and not isinstance(made, bool) else None)
        return True

    def _need_indicator(self) -> dict[str, Any] | None:
        ind = self.current_indicator()
        if ind is None:
            dialogs.info(self, "请先在“指标登记”中选中一条指标。")
        return ind

    def register_indicator(self) -> None:
        self.run_dialog(IndicatorDialog(self.book, self))

    def reduce_indicator(self) -> None:
        ind = self._need_indicator()
        if ind is not None:
            self.run_dialog(ReductionDialog(self.book, ind, self))

    def correct_indicator(self) -> None:
        ind = self._need_indicator()
        if ind is not None:
            self.run_dialog(CorrectionDialog(self.book, ind, self))

    def manual_entry(self) -> None:
        ind = self._need_indicator()
        if ind is not None:
            self.run_dialog(ManualEntryDialog(self.book, ind, self))

    def annual_plans(self) -> None:
        """年度计划数 of 表1 (it shows in the 月报 tab; nothing on these pages changes)."""
        self.run_dialog(AnnualPlanDialog(self.book, self, year=int(self.filters()["year"] or self.book.today().year)))

    def year_end_exemptions(self) -> None:
        """年末支出豁免: record the region's approval to pay part of an indicator after 31 October (issue #18)."""
        ind = self.indicators.current_row()
        dialog = ExemptionDialog(self.book, self, year=int(self.filters()["year"] or self.book.today().year),
                                 indicator_id=int(ind["id"]) if ind else None)
        if dialog.submit(self.book, dialog.record) is not None:
            self.after_write()

    def section_figures(self) -> None:
        self.run_dialog(SectionFiguresDialog(self.book, self.month_text(), self))

    def explain(self) -> None:
        diff = self.diffs.current_row()
        if diff is None:
            dialogs.info(self, "请先在下方差异列表中选中一项。")
            return
        note = dialogs.ask_text(self, "说明差异", f"{diff['kind_name']} {diff.get('voucher_no', '')}：差异原因", str(diff["note"]))
        if note is not None and ops.run_op(
                self, self.book, lambda: reconcile.explain(self.book, month=str(diff["month"]), key=str(diff["key"]), note=note)):
            self._read_reconciliation(then=lambda: self._diffs.select_id(diff["key"], key="key"))

    def choose_path(self, kind: str, title: str, pattern: str, suggested: str = "") -> Path | None:
        return dialogs.choose_path(self, kind, title, pattern, suggested, asked_as=f"{kind}_file")

    def import_treasury(self) -> None:
        path = self.choose_path("open", "选择国库支付数据文件", "国库支付数据 (*.xlsx *.csv)")
        if path is None:
            return
        try:
            dialog = TreasuryImportDialog(self.book, path, self)
        except Exception as exc:  # noqa: BLE001 - an AppError is a message, anything else a bug report
            dialogs.error(self, exc)
            return
        self.run_dialog(dialog)

    # -- export --------------------------------------------------------------------------------
    def visible_table(self) -> tuple[str, DataTable]:
        page = self.pages.currentIndex()
        if page == 0:
            return "指标登记", self.indicators
        if page == 1:
            return "专账明细", self.entries
        if page == 2:
            return f"{self.month_text()} 收支余（{BY[str(self.by.currentData())]}）", self.balances
        f = self.filters()
        scope = self.recon_month() if f["month"] else (f"{f['year']} 年" if f["year"] else "全部年度")
        return f"{scope} 对账差异", self.diffs

    def export(self) -> None:
        title, table = self.visible_table()
        path = self.choose_path("save", "导出当前表格", "Excel 工作簿 (*.xlsx)", f"{title}.xlsx")
        if path is None:
            return
        model = table.lazy_model()
        rows = model.source.fetch(0, max(model.source.count(), 1), model.sort_key, model.descending)
        f = self.filters()
        note = "筛选：" + "，".join(str(v) for v in (self.year.currentText(), self.month.currentText(),
                                                    self.kind.currentText(), self.section.currentText(), f["text"]) if v)
        note += f"；导出时间 {self.book.stamp()}"
        # the same cell kinds as every list's 导出 Excel (real date cells for dates; IDs and accounts stay text)
        columns = [ExportColumn(c.title, table_tools.export_kind(c)) for c in model.columns]
        ops.Op.task(self, f"正在导出“{title}”", lambda _: write_table(
            path, title=title, columns=columns, note=note, rows=([r.get(c.key) for c in model.columns] for r in rows)),
            cancellable=False).success(lambda done: open_folder(done.parent)).run_in_background()


def _month_text(book: Book, f: dict[str, Any]) -> str:
    """The month the balances and reconciliation show under filters `f`: the chosen one, else the latest with data."""
    today = book.today()
    year = f["year"] or today.year
    month = f["month"] or (today.month if year == today.year else 12)
    return f"{year:04d}-{month:02d}"


def _recon_month(book: Book, f: dict[str, Any]) -> str:
    """The month whose three ledgers are compared: the chosen month, else the newest one the treasury data covers."""
    if f["month"]:
        return _month_text(book, f)
    last = reconcile.last_covered_month(book)
    year = f["year"] or book.today().year
    return last if last and last.startswith(f"{year:04d}") else _month_text(book, f)


def _reconciliation(book: Book, f: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]], list[dict[str, Any]],
                                                            list[dict[str, Any]]]:
    """What 对账 shows under filters `f` (read on any connection): the month, the differences' scope, the three
    ledgers of the month, the differences and the treasury imports."""
    month = _recon_month(book, f)
    rows = reconcile.section_table(book, month=month)
    if f["month"]:
        diffs, scope = reconcile.differences(book, month=month), month
    else:
        diffs = reconcile.differences(book, year=f["year"]) if f["year"] else reconcile.differences(book)
        scope = f"{f['year']} 年全年" if f["year"] else "全部年度"
    return month, scope, rows, diffs, treasury.imports(book)
