"""项目计划: the plan's projects, their funding lines and approved versions, and every plan action —
new/edit/delete while 入库, 审定 and 调整 by the leading group's decision, status, import and template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.payments import query as payment_query
from app.models.plan import decisions as plan
from app.models.plan import fields as pf
from app.models.plan import plan_import, projects
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.models.values import money
from app.ui.kit import dialogs, ops
from app.ui.kit.ops import Query
from app.ui.kit.qdate import to_date
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, action_bar, focus_shortcut
from app.ui.plan.dialogs import DecisionDialog, ProjectDialog
from app.ui.shell.folders import open_folder

COLUMNS = [
    Column("code", "项目编号"), Column("name", "项目名称", width=260), Column("category_name", "项目类别"),
    Column("place", "实施地点"), Column("total", "资金规模", "money"), Column("paid", "已支付", "money"),
    Column("status_name", "状态"), Column("decision_no", "领导小组决定"), Column("version", "版本", "int"),
    Column("implementer", "实施单位"), Column("year", "年度", "int"),
]
FUNDING_COLUMNS = [Column("doc_no", "指标文号"), Column("item_name", "资金项目"), Column("year", "年度", "int"),
                   Column("amount", "安排金额", "money"), Column("committed", "已提交/审核/支付", "money"),
                   Column("paid", "已支付", "money"), Column("left", "尚可申请", "money")]
VERSION_COLUMNS = [Column("version", "版本", "int"), Column("change_name", "事项"), Column("doc_no", "决定文号"),
                   Column("decision_date", "决定日期"), Column("total", "资金规模", "money"), Column("reason", "调整理由"),
                   Column("user_name", "登记人"), Column("created_at", "登记时间")]
PAYMENT_COLUMNS = [Column("request_no", "申请编号"), Column("draft_date", "申请日期"), Column("kind_name", "类型"),
                   Column("amount", "金额", "money"), Column("status_name", "状态"), Column("payee_display", "收款人"),
                   Column("pay_date", "支付日期")]
PHASE_COLOURS = {"pool": "#fff8e1", "finished": "#e8f5e9"}  # by the stage's phase in the project's year's rules


class PlanTab(QWidget):
    """The projects under a filter (year, status, text) with the selected one's funding, versions and payments.

    The first page, the count and the 资金规模 total (all of which grow with the projects) are read off the GUI
    thread (kit.ops.Query), when the tab is built, after a filter, a write elsewhere or a sort: the table keeps
    its rows until the new ones arrive; then the first project is selected (after a filter, the one selected
    before if it is still listed). So does the tab's own write (`reload`), the saved project then selected; an object
    asked for re-reads on the GUI thread."""

    WATCHES = frozenset({'projects', 'project_funding', 'plan_versions', 'plan_decisions'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self.apply_filter()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.query = Query(self, book)
        self._total = 0  # 资金规模 of the listed projects, read with the first page
        self._arrived = False  # a first page has been shown
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.year = QComboBox()
        self.year.addItem("全部年度", None)
        for y in projects.filter_years(book):
            self.year.addItem(f"{y} 年", y)
        self.status = QComboBox()
        self.status.addItem("全部状态", "")
        for code, name in projects.status_choices(book):
            self.status.addItem(name, code)
        self.text = QLineEdit()
        self.text.setPlaceholderText("按编号、名称、乡镇、村、实施单位筛选（Ctrl+F）")
        self.text.returnPressed.connect(self.apply_filter)
        for w in (QLabel("年度"), self.year, QLabel("状态"), self.status, self.text):
            bar.addWidget(w)
        self.year.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.status.currentIndexChanged.connect(lambda _i: self.apply_filter())
        layout.addLayout(bar)
        # two rows: in one, ten buttons made the page (and so the window) at least 1,315 px wide — wider than a
        # 1366×768 laptop leaves once the window frame is drawn
        actions, self.buttons = action_bar((
            ("new", "新增项目", self.new_project), ("edit", "修改", self.edit_project),
            ("delete", "删除", self.delete_project), ("approve", "审定（领导小组决定）…", self.approve),
            ("adjust", "调整（新的决定）…", self.adjust), ("advance", "推进状态", self.advance)))
        more, more_buttons = action_bar((
            ("import", "导入计划…", self.import_plan), ("template", "下载导入模板…", self.template),
            ("exception", "未满公示期支付的例外…", self.notice_exception), ("settle", "工程结算价…", self.settlement)))
        self.buttons.update(more_buttons)
        self.summary = QLabel()
        actions.addWidget(self.summary)
        layout.addLayout(actions)
        layout.addLayout(more)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LazyTableModel(COLUMNS, self._query(), highlight=lambda r: PHASE_COLOURS.get(r.get("phase", "")),
                                    read=False)  # the first page: off the GUI thread (below)
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        self.view.doubleClicked.connect(lambda _i: self.edit_project())
        split.addWidget(self.view)
        self.details = QTabWidget()
        self.funding = DataTable(LazyTableModel(FUNDING_COLUMNS, ListSource([])))
        self.versions = DataTable(LazyTableModel(VERSION_COLUMNS, ListSource([])))
        self.payments = DataTable(LazyTableModel(PAYMENT_COLUMNS, ListSource([])))
        self.info = QPlainTextEdit()
        self.info.setReadOnly(True)
        self.details.addTab(self.funding, "资金来源")
        self.details.addTab(self.info, "项目信息")
        self.details.addTab(self.versions, "审定与调整历史")
        self.details.addTab(self.payments, "支付申请")
        split.addWidget(self.details)
        split.setSizes([480, 260])
        layout.addWidget(split, 1)
        focus_shortcut(self, self.text)
        self.summary.setText("正在读取项目……")
        self.show_detail()
        self.query.reload(self.model, self._source(), self._first_shown, also=self._also())
        self.query.follow(self.model, self._source, self._sorted)
        self.query.page(self.model, self._source())  # scrolling down reads the next page off the GUI thread

    def _sorted(self) -> None:
        """A sort's first page has arrived: the tab's first one selects as `_first_shown`; later ones leave the
        selection cleared (the model was reset), as a sort on the GUI thread does."""
        if not self._arrived:
            self._first_shown()
        else:
            self.show_detail()

    def _first_shown(self) -> None:
        """A first page has arrived from the worker: its first project is selected and shown."""
        self._arrived = True
        self.update_summary()
        if self.model.rows:
            self.view.selectRow(0)  # → show_detail
        else:
            self.show_detail()

    # -- data --------------------------------------------------------------------------------
    def _query(self) -> projects.ProjectQuery:
        return self._source()(self.book)

    def _source(self) -> Callable[[Book], projects.ProjectQuery]:
        """The projects under the filter as it is now (read here, on the GUI thread), over a given book."""
        year, status, text = self.year.currentData(), str(self.status.currentData() or ""), self.text.text()
        return lambda book: projects.ProjectQuery(book, year=year, status=status, text=text)

    def _also(self) -> tuple[Callable[[Book], int], Callable[[int], object]]:
        """The 资金规模 total, read with the first page (the count comes with it)."""
        source = self._source()

        def show(total: int) -> None:
            self._total = total

        return (lambda book: source(book).total()), show

    def apply_filter(self) -> None:
        """A new filter, or projects written elsewhere: the first page, count and total are read off the GUI thread;
        the project selected before stays selected if it is still listed (the filter is never reset for it)."""
        current = self.current()

        def shown() -> None:
            self._arrived = True
            self.update_summary()
            ids = [r["id"] for r in self.model.rows]  # the first page only: no further reads on the GUI thread
            if current is not None and current["id"] in ids:
                self.view.selectRow(ids.index(current["id"]))
            self.show_detail()

        self.query.reload(self.model, self._source(), shown, also=self._also())

    def reload(self, select_id: int | None = None) -> None:
        """After this tab's own write: the first page, count and total are read again off the GUI thread
        (kit.ops.Query); the table keeps its rows until they arrive. Then the project `select_id` (the one just
        saved; else the one selected before) is selected — the worker reads on until it is among the rows read; one
        the filter hides is shown with the filter cleared, as before. A newer request (a filter, a sort) wins; what
        is typed meanwhile is kept."""
        current = self.current()
        target = select_id or (current["id"] if current else None)
        text = self.text.text()
        narrow = self._source()

        def wide_source(book: Book) -> projects.ProjectQuery:
            return projects.ProjectQuery(book, year=None, status="", text="")

        widen = None
        totals: dict[str, int | None] = {}
        if target and (text or self.status.currentIndex() or self.year.currentIndex()):
            def cleared() -> None:
                for box in (self.status, self.year):
                    box.blockSignals(True)
                    box.setCurrentIndex(0)
                    box.blockSignals(False)
                if self.text.text() == text:  # typed meanwhile (not yet applied): kept
                    self.text.clear()
                self._total = totals["wide"] or 0  # the filter was cleared for the saved project: the whole total

            widen = (wide_source, cleared)

        def read_totals(book: Book) -> dict[str, int | None]:
            return {"narrow": narrow(book).total(), "wide": wide_source(book).total() if widen is not None else None}

        def show_totals(got: dict[str, int | None]) -> None:
            totals.update(got)
            self._total = got["narrow"] or 0

        def shown() -> None:
            self._arrived = True
            self.update_summary()
            if target is not None:
                self.view.select_loaded(target, at=self.query.found_at)
            self.show_detail()

        self.query.reload(self.model, narrow, shown, also=(read_totals, show_totals),
                          reach=("id", target) if target else None, widen=widen)

    def update_summary(self, *, read: bool = False) -> None:
        """`read`: the total is read now, on the GUI thread (after a reload there); else the one read with the rows."""
        if read:
            q = self.model.source
            self._total = q.total() if isinstance(q, projects.ProjectQuery) else 0
        self.summary.setText(f"共 {self.model.total} 个项目，资金规模 {money.format(self._total)} 元")

    def current(self) -> dict[str, Any] | None:
        return self.view.current_row()

    def select(self, object_type: str, object_id: Any) -> bool:
        """Navigation from other tabs: True at once when the project exists; its row is found off the GUI thread — the
        models layer numbers it in the filter and sort shown (the filter cleared if it hides it), the pages down to
        it are read — and selected when they arrive (`reload`). A newer request (a filter, a sort) wins."""
        if object_type != "project" or not object_id or not projects.ProjectQuery(self.book).has(int(object_id)):
            return False
        self.reload(int(object_id))
        return True

    def show_detail(self) -> None:
        p = self.current()
        self.funding.lazy_model().reload(ListSource(projects.funding_lines(self.book, p["id"]) if p else []))
        self.versions.lazy_model().reload(ListSource(plan.versions(self.book, p["id"]) if p else []))
        pays = payment_query.PaymentQuery(self.book, project_id=p["id"]).fetch(0, 500, None, False) if p else []
        self.payments.lazy_model().reload(ListSource(pays))
        self.info.setPlainText(self._describe(p) if p else "")
        self._update_buttons()

    def _describe(self, p: dict[str, Any]) -> str:
        lines = [f"{pf.LABELS[k]}：{self._shown(k, p)}" for k in pf.LABELS]
        lines.append(f"状态：{p['status_name']}　领导小组决定：{p['decision_no'] or '（未审定）'} {p['decision_date'] or ''}")
        return "\n".join(lines)

    @staticmethod
    def _shown(key: str, p: dict[str, Any]) -> str:
        value = p.get(key)
        if key in ("infrastructure", "work_relief"):
            return "是" if value else "否"
        if key == "contract_amount":
            return f"{money.format(int(value or 0))} 元"
        if key == "retention_bp":
            return f"{int(value or 0) / 100:g}%"
        for coded in ("category", "construction_type", "asset_type"):
            if key == coded:
                return str(p[f"{coded}_name"])
        return "" if value is None else str(value)

    def _update_buttons(self) -> None:
        """Each button asks the model what the user may do with the selected project (decisions.actions_for)."""
        may = plan.actions_for(self.book, self.current())
        for key in ("new", "import", "edit", "delete", "approve", "adjust", "advance", "exception", "settle"):
            self.buttons[key].setEnabled(key in may)

    # -- actions ------------------------------------------------------------------------------
    def new_project(self) -> None:
        dialog = ProjectDialog(self, self.book)
        pid = dialog.submit(self.book, lambda: projects.create_project(self.book, fields=dialog.values(),
                                                                       funding=dialog.funding()))
        if pid:
            self.reload(int(pid))

    def edit_project(self) -> None:
        p = self.current()
        if not p:
            return
        if p["decision_id"] is not None:
            dialogs.info(self, "该项目已经领导小组审定，不能直接修改；如需变更请点“调整（新的决定）…”。")
            return
        dialog = ProjectDialog(self, self.book, p)
        if dialog.submit(self.book, lambda: projects.update_project(self.book, project_id=p["id"], fields=dialog.values(),
                                                                    funding=dialog.funding())):
            self.reload(p["id"])

    def delete_project(self) -> None:
        p = self.current()
        if p and dialogs.confirm(self, f"删除项目 {p['code']} {p['name']}？（只有尚未审定、没有支付申请的项目可以删除）"):
            if ops.run_op(self, self.book, lambda: projects.delete_project(self.book, project_id=p["id"])):
                self.reload()

    def approve(self) -> None:
        """Approve the selected project — or every project shown that awaits approval (at its year's last pool stage)."""
        p = self.current()
        if not p:
            return
        shown = [r for r in self.model.rows if projects.awaiting_approval(self.book, r)]
        ids = [p["id"]]
        if len(shown) > 1 and dialogs.confirm(self, f"当前列表中有 {len(shown)} 个待审定的项目。是否按同一决定一并审定？"
                                                     "（选“否”只审定选中的项目）"):
            ids = [int(r["id"]) for r in shown]
        dialog = DecisionDialog(self, self.book, what=f"审定 {len(ids)} 个项目" + ("" if len(ids) > 1 else f"：{p['name']}"))
        done = dialog.submit(self.book, lambda: plan.approve_plan(
            self.book, project_ids=ids, decision_no=dialog.doc_no.text(), decision_date=to_date(dialog.day.date()),
            title=dialog.title.text()), done=f"已登记领导小组决定，审定 {len(ids)} 个项目。")
        if done:
            self.reload(p["id"])

    def notice_exception(self) -> None:
        """The chief records that the selected project may be paid before its plan notice has been up long enough."""
        from app.models.payments import exceptions
        from app.ui.plan.claims_dialogs import FormDialog

        p = self.current()
        if not p:
            return
        order = self.book.rules.notice_order
        dialog = FormDialog(self, "未满公示期先行支付的例外", (
            f"{p['code']} {p['name']}：项目计划安排公示满 {order.min_days} 天后才能支付（{order.basis}）。"
            "确需先行支付的，由局长登记批准文件的文号和理由；登记后该项检查变为“提示”，经办人和审核人须写明理由和意见。"), [
            ("doc_no", "批准文号", "text", "", ()), ("reason", "理由", "text", "", ())])
        if dialog.submit(self.book, lambda: exceptions.grant_notice_exception(
                self.book, project_id=int(p["id"]), **dialog.values()), done="例外已登记（进审计日志）。") is not None:
            self.reload(p["id"])

    def settlement(self) -> None:
        from app.models.payments import exceptions
        from app.ui.plan.claims_dialogs import FormDialog

        p = self.current()
        if not p:
            return
        dialog = FormDialog(self, "登记工程结算价", f"{p['code']} {p['name']}：登记后质保金比例按结算价核对。", [
            ("amount", "工程结算价（元）", "money", "", ()), ("settled_on", "结算日期", "date", self.book.today(), ()),
            ("doc_no", "结算文号", "text", "", ())])

        def record() -> None:
            values = dialog.values()
            exceptions.record_settlement(self.book, project_id=int(p["id"]),
                                         amount=money.parse(values["amount"], field="工程结算价"),
                                         settled_on=values["settled_on"], doc_no=values["doc_no"])

        if dialog.submit(self.book, record, done="工程结算价已登记。") is not None:
            self.reload(p["id"])

    def adjust(self) -> None:
        p = self.current()
        if not p:
            return
        editor = ProjectDialog(self, self.book, p, title=f"调整项目 {p['code']}（第 {p['version']} 版 → 第 {p['version'] + 1} 版）")
        if not editor.ask():
            return
        decision = DecisionDialog(self, self.book, what=f"调整项目：{p['name']}", reason=True)
        version = decision.submit(self.book, lambda: plan.adjust_project(
            self.book, project_id=p["id"], fields=editor.values(), funding=editor.funding(),
            decision_no=decision.doc_no.text(), decision_date=to_date(decision.day.date()),
            reason=decision.reason.toPlainText(), title=decision.title.text()))
        if version:
            dialogs.info(self, f"已调整，现行第 {version} 版；原版本保留在“审定与调整历史”中。")
            self.reload(p["id"])

    def advance(self) -> None:
        p = self.current()
        if not p:
            return
        nxt = projects.next_stage(self.book, p)  # the project's own year's next stage
        if nxt is None:
            return
        if dialogs.confirm(self, f"将项目 {p['code']} 的状态由“{p['status_name']}”改为“{nxt.name}”？状态只能向后推进。"):
            if ops.run_op(self, self.book, lambda: plan.advance_status(self.book, project_id=p["id"], status=nxt.code)):
                self.reload(p["id"])

    def choose_path(self, kind: str, title: str, pattern: str, suggested: str = "") -> Path | None:
        return dialogs.choose_path(self, kind, title, pattern, suggested)

    def import_plan(self) -> None:
        path = self.choose_path("open", "选择项目计划文件（.xlsx）", "Excel 工作簿 (*.xlsx)")
        if path is None:
            return
        def imported(ids: list[int]) -> None:
            dialogs.info(self, f"已导入 {len(ids)} 个项目（入库）。2021 年度起的项目论证通过后先点“推进状态”进入“储备”；"
                                 "领导小组审定后，点“审定（领导小组决定）…”登记决定。")
            self.reload(ids[0] if ids else None)

        ops.Op(self, self.book, "正在导入项目计划", lambda book, _: plan_import.import_file(book, path=path)) \
            .success(imported).run_in_background()

    def template(self) -> None:
        path = self.choose_path("save", "保存项目计划导入模板", "Excel 工作簿 (*.xlsx)", "项目计划导入模板.xlsx")
        if path is not None:
            if ops.run_op(self, self.book, lambda: plan_import.write_template(self.book.rules, path)):
                open_folder(path.parent)
