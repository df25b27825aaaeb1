"""支付审批: payment requests with a status filter and their whole workflow — draft, submit, review
(with the reviewer's override), return, void, mark paid — the stored checks, real-name lists, the
printed 支付审批单; and the 收款人 register."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
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

from app.export import approval_form
from app.models.payments import checks, real_name
from app.models.payments import query as payment_query
from app.models.payments import requests as payments
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.models.values import money
from app.ui.kit import dialogs, ops
from app.ui.kit.ops import Query
from app.ui.kit.qdate import to_date
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, action_bar, focus_shortcut
from app.ui.payments import review as review_flow
from app.ui.payments.dialogs import MarkPaidDialog, PaymentDialog
from app.ui.payments.payees_page import PayeesPage
from app.ui.shell.folders import open_folder

COLUMNS = [
    Column("request_no", "申请编号"), Column("draft_date", "申请日期"), Column("status_name", "状态"),
    Column("project_name", "项目", width=220), Column("payee_display", "收款人", width=200),
    Column("amount", "金额", "money"), Column("kind_name", "支付类型"), Column("usage_name", "支出用途", width=160),
    Column("indicator_doc", "指标文号"), Column("voucher_no", "支付凭证号"), Column("pay_date", "支付日期"),
    Column("drafter_name", "经办人"), Column("reviewer_name", "审核人"),
]
CHECK_COLUMNS = [Column("rule_name", "检查项目"), Column("outcome_name", "结果"), Column("actual", "实际"),
                 Column("limit_value", "限额"), Column("message", "说明")]
EVENT_COLUMNS = [Column("at", "时间"), Column("user_name", "办理人"), Column("action_name", "事项"),
                 Column("to_name", "办理后状态"), Column("note", "说明")]
LINE_COLUMNS = [Column("row_no", "行号", "int"), Column("name", "姓名"), Column("id_number", "身份证号"),
                Column("village", "村"), Column("amount", "金额", "money"), Column("account", "账号")]
STATUS_COLOURS = {"returned": "#ffcdd2", "voided": "#eeeeee", "draft": "#fff8e1", "submitted": "#e3f2fd",
                  "approved": "#e8f5e9"}
OUTCOME_COLOURS = {"fail": "#ffcdd2", "warn": "#ffe0b2"}


class PaymentsTab(QTabWidget):
    WATCHES = frozenset({'payments', 'payment_events', 'payment_checks', 'real_name_lists', 'payees'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            if changes.touches("payments", "payment_events", "payment_checks", "real_name_lists"):
                self.requests.reload()
            if changes.touches("payees"):
                self.payees.reload()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.requests = RequestsPage(book, background=True)
        self.payees = PayeesPage(book, lazy=True)  # read when opened (_page_shown)
        self.addTab(self.requests, "支付申请")
        self.addTab(self.payees, "收款人")
        self.currentChanged.connect(self._page_shown)

    def _page_shown(self, index: int) -> None:
        page = self.widget(index)
        if isinstance(page, (RequestsPage, PayeesPage)):
            page.reload()

    def select(self, object_type: str, object_id: Any) -> bool:
        if object_type in ("payment", "management_fee"):
            self.setCurrentWidget(self.requests)
            return self.requests.select(object_type, object_id)
        if object_type == "payee":
            self.setCurrentWidget(self.payees)
            return self.payees.select(object_type, object_id)
        return False


class RequestsPage(QWidget):
    def __init__(self, book: Book, *, background: bool = False) -> None:
        """`background`: the first page and the status counts (both count every request) are read off the GUI
        thread (kit.ops.Query); the tab paints at once and the rows follow (issue #22 item 5)."""
        super().__init__()
        self.book = book
        self.preview: QPrintPreviewDialog | None = None
        self.query = Query(self, book)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.status = QComboBox()
        self.status.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # counts arrive after the names
        self.text = QLineEdit()
        self.text.setPlaceholderText("按申请编号、项目、收款人、指标文号、凭证号筛选（Ctrl+F）")
        self.text.returnPressed.connect(self.apply_filter)
        bar.addWidget(QLabel("状态"))
        bar.addWidget(self.status)
        bar.addWidget(self.text, 1)
        layout.addLayout(bar)
        actions, self.buttons = action_bar((
            ("new", "新建申请…", self.new), ("edit", "修改…", self.edit), ("submit", "提交", self.submit),
            ("review", "审核通过", self.review), ("return", "退回…", self.return_), ("void", "作废…", self.void),
            ("paid", "登记已支付…", self.mark_paid), ("roster", "导入实名制名册…", self.import_roster),
            ("roster_template", "名册模板…", self.roster_template), ("print", "打印预览…", self.print_preview),
            ("pdf", "导出审批单 PDF…", self.export_pdf)))
        layout.addLayout(actions)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LazyTableModel(COLUMNS, ListSource([]), highlight=lambda r: STATUS_COLOURS.get(r["status"]),
                                    read=False)
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        self.view.doubleClicked.connect(lambda _i: self.edit())
        split.addWidget(self.view)
        self.details = QTabWidget()
        self.checks = DataTable(LazyTableModel(CHECK_COLUMNS, ListSource([]),
                                               highlight=lambda r: OUTCOME_COLOURS.get(r["outcome"])))
        self.events = DataTable(LazyTableModel(EVENT_COLUMNS, ListSource([])))
        self.lines = DataTable(LazyTableModel(LINE_COLUMNS, ListSource([])))
        self.info = QPlainTextEdit()
        self.info.setReadOnly(True)
        self.details.addTab(self.checks, "规则检查结果")
        self.details.addTab(self.events, "办理记录")
        self.details.addTab(self.lines, "实名制发放名册")
        self.details.addTab(self.info, "申请内容")
        split.addWidget(self.details)
        split.setSizes([470, 280])
        layout.addWidget(split, 1)
        focus_shortcut(self, self.text)
        self.status.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self._asked = ("", "")  # the filter (status, text) of the rows last asked for: a sort re-reads with it
        self._first_done = False  # the first page has been shown (its first request selected)
        self.query.page(self.model, self._source_for("", ""))  # scrolling down reads the next page off the GUI thread
        if background:
            # a sort (a header click, a remembered sort) re-reads the first page off the GUI thread too; one that
            # replaced the first read before it arrived also brings the counts and selects the first request
            self.query.follow(self.model, lambda: self._source_for(*self._asked),
                              lambda: None if self._first_done else self._first_shown(),
                              also=lambda: None if self._counted else (payment_query.counts, self._show_counts))
            self._fill_status(read=False)  # names now, counts with the rows
            self._counted = False
            self.query.reload(self.model, lambda own: payment_query.PaymentQuery(own), self._first_shown,
                              also=(payment_query.counts, self._show_counts))
        else:
            self._counted = True
            self._fill_status()
            self.reload()
            self._first_shown()

    def _show_counts(self, counts: dict[str, int]) -> None:
        self._counted = True
        self._fill_status(counts)

    def _first_shown(self) -> None:
        self._first_done = True
        if self.model.rows:
            self.view.selectRow(0)
        self.show_detail()

    # -- data ----------------------------------------------------------------------------------
    def _fill_status(self, counts: dict[str, int] | None = None, *, read: bool = True) -> None:
        """The status filter with each status's count: `counts` read elsewhere (off the GUI thread), or read now;
        `read=False` without counts: the names alone until the counts arrive."""
        if counts is None and read:
            counts = payment_query.counts(self.book)

        def label(name: str, n: int | None) -> str:
            return name if counts is None else f"{name}（{n}）"

        current = self.status.currentData()
        self.status.blockSignals(True)
        self.status.clear()
        self.status.addItem(label("全部", sum(counts.values()) if counts is not None else None), "")
        for code, name in payment_query.STATUS_NAMES.items():
            self.status.addItem(label(name, counts.get(code, 0) if counts is not None else None), code)
        self.status.setCurrentIndex(max(0, self.status.findData(current)))
        self.status.blockSignals(False)

    @staticmethod
    def _source_for(status: str, text: str) -> Callable[[Book], payment_query.PaymentQuery]:
        return lambda book: payment_query.PaymentQuery(book, status=status, text=text)

    def reload(self, select_id: int | None = None, then: Callable[[], object] | None = None) -> None:
        """After this tab's own write (or a write elsewhere): the rows and status counts are read again off the GUI
        thread (kit.ops.Query); the table keeps its rows until they arrive. Then the request `select_id` (the one
        just saved; else the one selected before) is selected — the worker reads on until it is among the rows
        read; a saved one the filter hides is shown with the filter cleared, as before — and `then` runs (e.g.
        提交 right after saving). A newer request (a filter, a sort) wins; what is typed meanwhile is kept."""
        current = self.current()
        target = select_id or (current["id"] if current else None)
        status, text = str(self.status.currentData() or ""), self.text.text()
        self._asked = (status, text)
        self._counted = False  # the counts shown are old until these arrive: a filter or sort meanwhile reads them
        widen = None
        if select_id and (status or text):
            def cleared() -> None:
                self.status.blockSignals(True)
                self.status.setCurrentIndex(0)
                self.status.blockSignals(False)
                if self.text.text() == text:  # typed meanwhile (not yet applied): kept
                    self.text.clear()
                self._asked = ("", "")

            widen = (self._source_for("", ""), cleared)

        def shown() -> None:
            found = target is not None and self.view.select_loaded(target, at=self.query.found_at)
            self.show_detail()
            if found and then is not None:
                then()

        self.query.reload(self.model, self._source_for(status, text), shown,
                          also=(payment_query.counts, self._show_counts),
                          reach=("id", target) if target else None, widen=widen)

    def apply_filter(self) -> None:
        """A new filter (Enter in the box, another status): the search runs off the GUI thread (kit.ops.Query);
        the table keeps its rows until the matching ones arrive."""
        current = self.current()
        status, text = str(self.status.currentData() or ""), self.text.text()
        self._asked = (status, text)

        def shown() -> None:
            ids = [r["id"] for r in self.model.rows]  # the first page only: no further reads on the GUI thread
            if current is not None and current["id"] in ids:
                self.view.selectRow(ids.index(current["id"]))
            self.show_detail()

        self.query.reload(self.model, lambda book: payment_query.PaymentQuery(book, status=status, text=text), shown,
                          also=None if self._counted else (payment_query.counts, self._show_counts))

    def current(self) -> dict[str, Any] | None:
        return self.view.current_row()

    def select(self, object_type: str, object_id: Any) -> bool:
        """navigate.open_object (a warning, the audit tab, the search): True at once when the request exists; its row
        is found off the GUI thread — the models layer numbers it in the filter and sort shown (the filter cleared
        if it hides it), the pages down to it are read — and selected when they arrive (`reload`). A newer request
        (a filter, a sort, another object opened) wins."""
        if object_type == "payment":
            if not object_id or not payment_query.PaymentQuery(self.book).has(int(object_id)):
                return False
            self._first_done = True  # (a sort meanwhile must not select the first row instead)
            self.reload(int(object_id))
            return True
        if object_type == "management_fee":
            return self._first_management_fee()
        return False

    def _first_management_fee(self) -> bool:
        """A W4 warning's 管理费 opened: the first request of a management-fee kind in the order shown, the filter
        cleared. True at once when there is one (a look-up in an index); which one it is, and the pages down to it,
        are read off the GUI thread (`Query.reload(reach=…)`: the models layer finds it there) and it is selected when
        they arrive. A newer request (a filter, a sort, another object opened) wins."""
        kinds = payment_query.fee_kinds(self.book)
        if not payment_query.any_of_kinds(self.book, kinds):
            return False
        self._first_done = True  # (a sort meanwhile must not select the first row instead)
        self.status.blockSignals(True)
        self.status.setCurrentIndex(0)
        self.status.blockSignals(False)
        self.text.clear()
        self._asked = ("", "")

        def first(source: payment_query.PaymentQuery, sort_key: str | None, descending: bool) -> int | None:
            return source.first_of_kinds(kinds, sort_key, descending)

        def shown() -> None:
            at = self.query.found_at
            if at is not None:
                self.view.selectRow(at)
            self.show_detail()

        self.query.reload(self.model, self._source_for("", ""), shown,
                          also=None if self._counted else (payment_query.counts, self._show_counts),
                          reach=("id", first))
        return True

    def show_detail(self) -> None:
        p = self.current()
        self.checks.lazy_model().reload(ListSource(checks.stored(self.book, p["id"]) if p else []))
        self.events.lazy_model().reload(ListSource(payment_query.events(self.book, p["id"]) if p else []))
        self.lines.lazy_model().reload(ListSource(real_name.lines(self.book, p["id"]) if p else []))
        self.info.setPlainText(self._describe(p) if p else "")
        self._update_buttons()

    def _describe(self, p: dict[str, Any]) -> str:
        parts = [f"申请编号：{p['request_no']}　状态：{p['status_name']}　申请日期：{p['draft_date']}",
                 f"项目：{p['project_code']} {p['project_name']}（{p['township']} {p['village']}）",
                 f"指标：{p['indicator_doc']}（{p['indicator_year']} 年，{p['fund_kind_name']}·{p['fund_item_name']}）",
                 f"收款人：{p['payee_display']}　{p['bank'] or ''} {p['account_no'] or ''}",
                 f"金额：{money.format(p['amount'])} 元（{money.daxie(p['amount'])}）",
                 f"支付类型：{p['kind_name']}　支出用途：{p['usage_name']}　支付方式：{p['method_name']}",
                 f"功能科目：{p['func_code']} {p['func_name']}　经济科目：{p['econ_code']}　用途说明：{p['purpose']}"]
        for label, key in (("经办人超限理由", "soft_reason"), ("审核人确认意见", "override_note"),
                           ("审核意见", "review_opinion"),
                           ("退回原因", "return_reason"), ("作废原因", "void_reason")):
            if p[key]:
                parts.append(f"{label}：{p[key]}")
        if p["voucher_no"]:
            parts.append(f"已支付：凭证号 {p['voucher_no']}，支付日期 {p['pay_date']}，已记入专账")
        return "\n".join(parts)

    def _update_buttons(self) -> None:
        """Each button asks the model what the user may do with the selected request (requests.actions_for)."""
        p = self.current()
        may = payments.actions_for(self.book, p)
        self.buttons["new"].setEnabled("draft" in may)
        for key, action in (("edit", "edit"), ("submit", "submit"), ("review", "review"), ("return", "return"),
                            ("void", "void"), ("paid", "paid"), ("roster", "real_name")):
            self.buttons[key].setEnabled(action in may)
        for key in ("print", "pdf"):
            self.buttons[key].setEnabled(p is not None)

    # -- workflow ------------------------------------------------------------------------------
    def new(self) -> None:
        dialog = PaymentDialog(self, self.book)
        pid = dialog.submit(self.book, lambda: payments.draft(self.book, **dialog.values(), client_token=dialog.token))
        dialog.deleteLater()
        if isinstance(pid, int):
            self.reload(pid, self.submit if dialog.submit_after else None)

    def edit(self) -> None:
        p = self.current()
        if not p or p["status"] not in payments.ALLOWED_FROM["edit"]:
            if p:
                dialogs.info(self, f"“{p['status_name']}”的申请不能修改" +
                             ("；已审核的申请只能作废后重新申请。" if p["status"] == "approved" else "。"))
            return
        dialog = PaymentDialog(self, self.book, p)
        saved = dialog.submit(self.book, lambda: payments.update(self.book, payment_id=p["id"], **dialog.values()))
        dialog.deleteLater()
        if saved is not None:
            self.reload(p["id"], self.submit if dialog.submit_after else None)

    def _warnings(self, p: dict[str, Any]) -> list[checks.Outcome]:
        draft = checks.Draft.of(p)
        outcomes = checks.evaluate(self.book, draft)
        if any(o.outcome == "fail" for o in outcomes):
            return []
        return [o for o in outcomes if o.outcome == "warn"]

    def submit(self) -> None:
        p = self.current()
        if not p:
            return
        reason = ""
        warns = self._warnings(p)
        if warns:
            text = dialogs.ask_text(self, "须写明理由", "以下“原则上”限制未满足：\n" +
                                    "\n".join(f"· {o.message}" for o in warns) + "\n请写明理由（审核人将据此确认）：")
            if text is None:
                return
            reason = text
        result = ops.run_op(self, self.book, lambda: payments.submit(self.book, payment_id=p["id"], reason=reason))
        if isinstance(result, dict):
            if result["blocked"]:
                dialogs.error(self, f"{p['request_no']} 未通过规则检查，已退回：\n{result['payment']['return_reason']}")
            else:
                dialogs.info(self, f"{p['request_no']} 已提交，等待审核。")
        self.reload(p["id"])

    def review(self) -> None:
        """审核通过 the selected request(s): confirmation with 审核意见 (payments/review.py)."""
        handled = review_flow.review_selected(self, self.book, self.view.selected_rows() or
                                              ([c] if (c := self.current()) else []))
        if handled:
            self.reload(handled[0])

    def return_(self) -> None:
        handled = review_flow.return_selected(self, self.book, self.view.selected_rows() or
                                              ([c] if (c := self.current()) else []))
        if handled:
            self.reload(handled[0])

    def void(self) -> None:
        p = self.current()
        if p:
            reason = dialogs.ask_text(self, "作废", f"作废 {p['request_no']}（{money.format(p['amount'])} 元）的理由：")
            if reason is not None and ops.run_op(self, self.book, lambda: payments.void(self.book, payment_id=p["id"],
                                                                                reason=reason)):
                self.reload(p["id"])

    def mark_paid(self) -> None:
        p = self.current()
        if not p:
            return
        dialog = MarkPaidDialog(self, self.book, p)
        entry = dialog.submit(self.book, lambda: payments.mark_paid(
            self.book, payment_id=p["id"], voucher_no=dialog.voucher.text(), pay_date=to_date(dialog.day.date())))
        if entry:
            paid = payment_query.get(self.book, int(p["id"]))
            dialogs.info(self, f"{p['request_no']} 已登记支付：国库支付凭证 {paid.get('voucher_no') or dialog.voucher.text()}，"
                               f"{money.format(int(p['amount']))} 元，支付日期 {to_date(dialog.day.date()).isoformat()}；"
                               f"已同时记入专账支出（{p['project_name']}）。")
            self.reload(p["id"])

    # -- files ---------------------------------------------------------------------------------
    def choose_path(self, kind: str, title: str, pattern: str, suggested: str = "") -> Path | None:
        return dialogs.choose_path(self, kind, title, pattern, suggested)

    def import_roster(self) -> None:
        p = self.current()
        if not p:
            return
        path = self.choose_path("open", f"为 {p['request_no']} 选择实名制发放名册（.xlsx）", "Excel 工作簿 (*.xlsx)")
        if path is not None:
            def imported(got: dict[str, Any]) -> None:
                dialogs.info(self, f"已导入名册：{got['persons']} 人，合计 {money.format(got['total'])} 元。")
                self.reload(p["id"])

            ops.Op(self, self.book, "正在导入实名制发放名册",
                   lambda book, _: real_name.import_file(book, payment_id=p["id"], path=path)) \
                .success(imported).run_in_background()

    def roster_template(self) -> None:
        path = self.choose_path("save", "保存实名制发放名册模板", "Excel 工作簿 (*.xlsx)", "实名制发放名册模板.xlsx")
        if path is not None:
            if ops.run_op(self, self.book, lambda: real_name.write_template(path)):
                open_folder(path.parent)

    def export_pdf(self) -> None:
        p = self.current()
        if not p:
            return
        path = self.choose_path("save", "导出支付审批单", "PDF 文件 (*.pdf)", f"支付审批单_{p['request_no']}.pdf")
        if path is not None:
            ops.Op(self, self.book, f"正在导出支付审批单 {p['request_no']}",
                   lambda book, _: approval_form.write_pdf(book, p["id"], path), writes=False, cancellable=False) \
                .success(lambda _: open_folder(path.parent)).run_in_background()

    def print_preview(self) -> None:
        """A4 preview of the 支付审批单, printed from there."""
        p = self.current()
        if not p:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.preview = QPrintPreviewDialog(printer, self)
        self.preview.setWindowTitle(f"支付审批单 {p['request_no']} — 打印预览")
        self.preview.paintRequested.connect(lambda device: approval_form.print_to(self.book, p["id"], device))
        self.preview.resize(900, 1000)
        self.preview.exec()
