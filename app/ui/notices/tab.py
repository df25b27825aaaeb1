"""公告公示: what must be published against what was (missing red, too short orange), the notice
editor with evidence, feedback and its handling, and 生成公告 (PDF + xlsx into a chosen folder)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.export import notice_docs
from app.models.notices import obligations as ob
from app.models.notices import query as notice_query
from app.models.notices import records as notices
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.ui.kit import attachment_view, dialogs, ops
from app.ui.kit.qdate import to_date
from app.ui.kit.table_models import Column, LazyTableModel, ListSource, first_page
from app.ui.kit.widgets import DataTable, can, focus_shortcut
from app.ui.notices.dialogs import FeedbackDialog, HandlingDialog, NoticeDialog, choose_evidence_files, read_evidence
from app.ui.shell.folders import open_folder

COLOURS = {ob.MISSING: "#ffcdd2", ob.TOO_SHORT: "#ffe0b2", ob.POSTING: "#fff9c4"}
OBLIGATION_COLUMNS = [Column("status", "状态"), Column("kind_name", "公示类别"), Column("level_name", "层级"),
                      Column("object_label", "公示对象"), Column("place", "乡村"), Column("since_text", "应公示起"),
                      Column("amount", "金额（元）", "money"), Column("days", "已公示天数", "int"),
                      Column("detail", "说明")]
NOTICE_COLUMNS = [Column("start_date", "开始日期"), Column("end_date", "结束日期"), Column("kind_name", "公示类别"),
                  Column("level_name", "层级"), Column("place_name", "方式"), Column("title", "标题"),
                  Column("publisher", "公告单位"), Column("evidence", "证据", "int"), Column("feedback", "反馈", "int")]
EVIDENCE_COLUMNS = [Column("name", "证据文件"), Column("size", "字节", "int"), Column("added_at", "添加时间")]
FEEDBACK_COLUMNS = [Column("received_date", "反映日期"), Column("person", "反映人"), Column("channel", "方式"),
                    Column("content", "反映内容"), Column("status", "处理"), Column("handling", "处理情况")]
STATUS_FILTERS = [("未完成（缺失、公示期不足）", "open"), ("全部", ""), (ob.MISSING, ob.MISSING),
                  (ob.TOO_SHORT, ob.TOO_SHORT), (ob.POSTING, ob.POSTING), (ob.SHOWN, ob.SHOWN)]


class NoticesTab(QWidget):
    """公示义务 (derived, tens of thousands on a large county) over the notice records.

    The obligations are derived in the background (a quiet kit.ops.Op on a read-only connection of its own)
    when the tab is built and after a write elsewhere (`on_changes`); the table says so until they arrive. A
    filter or a sort (tens of thousands of obligations filtered and sorted in Python) runs there too, over the
    obligations already derived; the table keeps its rows until the new ones arrive. Asking for the table, its
    model or the counts before then waits for them. The records' first page is read off the GUI thread when the
    tab is built (kit.ops.Query); the first record is then selected. The tab's own writes (a notice recorded or
    changed, evidence, feedback) and F5 derive and re-read the same way (`reload`, `reload_records`): the counts say
    “正在计算……” and the records keep their rows until the new ones arrive; the selected notice stays selected.
    Asking for the records table or its model before then waits for them too (as for the obligations)."""

    BACKGROUND = True

    WATCHES = frozenset({'notices', 'notice_evidence', 'notice_feedback', 'notice_feedback_handling', 'projects', 'project_funding', 'payments', 'indicators'})  # tables whose changes it shows

    def on_changes(self, changes: Changes) -> None:
        """An operation elsewhere wrote rows (kit.ops): reload only when it touched what this tab shows."""
        if changes.touches(*self.WATCHES):
            self._compute_in_background(derive=True)
            self._load_records()

    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.last_generated: list[Path] = []
        self._computed: tuple[dt.date, list[ob.Obligation]] | None = None
        self._job: ops.Op[Any] | None = None
        self._deriving = False  # the running job derives the obligations (not only filters those derived)
        self.query = ops.Query(self, book)  # the records' first page
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        today = book.today()
        self.as_of.setDate(QDate(today.year, today.month, today.day))
        self.status = QComboBox()
        for label, code in STATUS_FILTERS:
            self.status.addItem(label, code)
        self.kind = QComboBox()
        self.kind.addItem("全部类别", "")
        for k in book.rules.notices.kinds:
            self.kind.addItem(k.name, k.code)
        self.level = QComboBox()
        self.level.addItem("全部层级", "")
        for lv in book.rules.notices.levels:
            self.level.addItem(lv.name, lv.code)
        self.text = QLineEdit()
        self.text.setPlaceholderText("按项目、乡村或说明筛选（Ctrl+F）")
        for label, widget in (("截至", self.as_of), ("", self.status), ("", self.kind), ("", self.level), ("", self.text)):
            if label:
                bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        for combo in (self.status, self.kind, self.level):
            combo.currentIndexChanged.connect(lambda *_: self.reload_obligations())
        self.as_of.dateChanged.connect(lambda *_: self.reload_obligations())
        self.text.returnPressed.connect(lambda: self.reload_obligations())
        layout.addLayout(bar)
        self._counts = QLabel()
        layout.addWidget(self._counts)

        split = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        background = self.BACKGROUND
        self._source = (notice_query.ObligationSource(book, as_of=self.as_of_date(), computed=[]) if background
                        else self._obligation_source())
        self._obligation_model = LazyTableModel(OBLIGATION_COLUMNS, self._source,
                                                highlight=lambda r: COLOURS.get(r["status"]))
        if background:  # a sort re-sorts every obligation: in the background as a filter
            self._obligation_model.resort = lambda: self.reload_obligations()
        self._obligations = DataTable(self._obligation_model)
        upper_layout.addWidget(self._obligations)
        row = QHBoxLayout()
        self.generate_button = self._button(row, "生成公告（PDF 和 Excel）…", self.generate_for_obligation)
        self.record_button = self._button(row, "登记已张贴/发布…", self.record_for_obligation)
        row.addStretch(1)
        upper_layout.addLayout(row)
        split.addWidget(upper)

        lower = QSplitter(Qt.Orientation.Horizontal)
        records = QWidget()
        records_layout = QVBoxLayout(records)
        records_layout.setContentsMargins(0, 0, 0, 0)
        records_layout.addWidget(QLabel("公告公示记录"))
        self._notice_model = LazyTableModel(NOTICE_COLUMNS, notice_query.NoticeQuery(book), read=not background)
        self._records = DataTable(self._notice_model)
        self._records.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        records_layout.addWidget(self._records)
        buttons = QHBoxLayout()
        self.edit_button = self._button(buttons, "修改…", self.edit_notice)
        self._button(buttons, "生成公告…", self.generate_for_notice)
        self.evidence_button = self._button(buttons, "添加照片/扫描件…", self.add_evidence)
        self.feedback_button = self._button(buttons, "登记群众反映…", self.add_feedback)
        self.handle_button = self._button(buttons, "登记处理情况…", self.handle_feedback)
        buttons.addStretch(1)
        records_layout.addLayout(buttons)
        lower.addWidget(records)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.evidence_model = LazyTableModel(EVIDENCE_COLUMNS, ListSource([]))
        self.evidence = DataTable(self.evidence_model)
        self.evidence.doubleClicked.connect(lambda *_: self.open_evidence())
        self.feedback_model = LazyTableModel(FEEDBACK_COLUMNS, ListSource([]))
        self.feedback = DataTable(self.feedback_model)
        detail_layout.addWidget(QLabel("证据（双击打开）"))
        detail_layout.addWidget(self.evidence, 1)
        detail_layout.addWidget(QLabel("群众反映及处理"))
        detail_layout.addWidget(self.feedback, 2)
        lower.addWidget(detail)
        lower.setSizes([760, 480])
        split.addWidget(lower)
        split.setSizes([430, 300])
        layout.addWidget(split, 1)
        focus_shortcut(self, self.text)
        if background:
            self._load_records(first=True)
            self.query.follow(self._notice_model, lambda: notice_query.NoticeQuery, self.show_detail)  # a sort too
        elif self._notice_model.rows:
            self._records.selectRow(0)
        self.query.page(self._notice_model, notice_query.NoticeQuery)  # scrolling down: the next page off the GUI thread
        for button, op in ((self.record_button, "record_notice"), (self.edit_button, "edit_notice"),
                           (self.evidence_button, "attach_notice_evidence"), (self.feedback_button, "add_notice_feedback"),
                           (self.handle_button, "handle_notice_feedback")):
            button.setEnabled(can(book, op))  # resources/permissions.toml decides, not a role list here
        if background:
            self._compute_in_background()
        self.update_counts()

    def _button(self, row: QHBoxLayout, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # -- obligations -------------------------------------------------------------------------------
    def as_of_date(self) -> dt.date:
        return to_date(self.as_of.date())

    def _obligation_source(self) -> notice_query.ObligationSource:
        """Filters re-use the obligations of the chosen day; they are derived again only after a change."""
        day = self.as_of_date()
        if self._computed is None or self._computed[0] != day:
            self._computed = (day, ob.obligations(self.book, as_of=day))
        return notice_query.ObligationSource(
            self.book, as_of=day, status=str(self.status.currentData() or ""),
            kind=str(self.kind.currentData() or ""), level=str(self.level.currentData() or ""),
            text=self.text.text().strip(), computed=self._computed[1])

    # -- the background load ---------------------------------------------------------------------
    def _filters(self) -> dict[str, str]:
        return {"status": str(self.status.currentData() or ""), "kind": str(self.kind.currentData() or ""),
                "level": str(self.level.currentData() or ""), "text": self._text_filter()}

    def _text_filter(self) -> str:
        return self.text.text().strip()

    def _load_records(self, *, first: bool = False) -> None:
        """The records' first page off the GUI thread; then the notice selected now stays selected if it is listed
        (`first`: the first notice is selected)."""
        row = self._records.current_row()

        def shown() -> None:
            ids = [r["id"] for r in self._notice_model.rows]
            if first and ids:
                self._records.selectRow(0)
            elif row is not None and row["id"] in ids:
                self._records.selectRow(ids.index(row["id"]))
            self.show_detail()

        self.query.reload(self._notice_model, lambda book: notice_query.NoticeQuery(book), shown)

    def _compute_in_background(self, *, derive: bool = True) -> None:
        """The obligations on the chosen day (derived again when `derive` or another day is chosen), filtered and
        sorted, with the first page, in a worker; a newer job replaces this one (its result is dropped)."""
        day, filters = self.as_of_date(), self._filters()
        model = self._obligation_model
        order = (model.sort_key, model.descending)
        known = None if derive or self._computed is None or self._computed[0] != day else self._computed[1]
        self._deriving = known is None

        def work(own: Book, _progress: ops.Progress) -> Any:
            found = ob.obligations(own, as_of=day) if known is None else known
            source = notice_query.ObligationSource(own, as_of=day, computed=found, **filters)
            return day, filters, order, found, source, first_page(source, *order, model.BATCH)

        job: ops.Op[Any] = ops.Op(self, self.book, "正在计算公示义务" if known is None else "正在筛选公示义务", work,
                                  writes=False, cancellable=False, quiet=True)
        self._job = job
        if self._deriving:
            self.update_counts()  # "正在计算截至 … 的公示义务……" until they arrive
        job.success(lambda result: self._computed_in_background(job, result)) \
            .failure(lambda error: self._not_computed(job, error)).run_in_background()

    def _not_computed(self, job: ops.Op[Any], error: BaseException) -> None:
        if self._job is job:
            self._job = None
            self._counts.setText("公示义务未能计算，请按 F5 刷新。")
            dialogs.error(self, error)

    def _computed_in_background(self, job: ops.Op[Any], result: Any) -> None:
        if self._job is not job:
            return
        self._job = None
        day, filters, order, found, source, (total, rows) = result
        self._computed = (day, found)
        model = self._obligation_model
        if day == self.as_of_date() and filters == self._filters() and order == (model.sort_key, model.descending):
            self._source = source
            model.load(source, total, rows)
            self.update_counts()
        else:  # the filter, day or order changed meanwhile: again, over what was derived
            self.reload_obligations()

    def _wait(self) -> None:
        while self._job is not None:  # a job that ends behind a newer filter starts the next
            self._job.wait()

    @property
    def obligations(self) -> DataTable:
        self._wait()
        return self._obligations

    @property
    def obligation_model(self) -> LazyTableModel:
        self._wait()
        return self._obligation_model

    @property
    def source(self) -> notice_query.ObligationSource:
        self._wait()
        return self._source

    @property
    def counts(self) -> QLabel:
        self._wait()
        return self._counts

    @property
    def records(self) -> DataTable:
        self.query.wait()
        return self._records

    @property
    def notice_model(self) -> LazyTableModel:
        self.query.wait()
        return self._notice_model

    def reload_obligations(self) -> None:
        """A filter or sort: in the background (below), over the obligations already derived."""
        if self._job is not None:
            return  # the background load applies the filters as they are when it ends
        if self.BACKGROUND:
            self._compute_in_background(derive=False)
            return
        self._source = self._obligation_source()
        self._obligation_model.reload(self._source)
        self.update_counts()

    def update_counts(self) -> None:
        if self._job is not None and self._deriving:
            self._counts.setText(f"正在计算截至 {self.as_of_date().isoformat()} 的公示义务……")
            return
        every = self._source.all_counts
        total = sum(every.values())
        parts = "、".join(f"{status} {every[status]}" for status in ob.STATUSES)
        self._counts.setText(f"截至 {self.as_of_date().isoformat()} 应公示 {total} 项：{parts}"
                            f"（红色：缺失；橙色：公示期不足 {self.book.rules.notices.min_board_days} 天；黄色：公示中）")

    def select(self, object_type: str, object_id: Any) -> bool:
        """navigate.open_object: True at once when the record exists (one row looked up by its key); the records are
        read again off the GUI thread — the models layer numbers it in the sort shown, the pages down to it are read
        in a worker — and it is selected, its evidence and feedback shown, when they arrive. A newer request wins."""
        if object_type != "notice" or not object_id or not notice_query.NoticeQuery(self.book).has(int(object_id)):
            return False
        wanted = int(object_id)

        def shown() -> None:
            self._records.select_loaded(wanted, at=self.query.found_at)
            self.show_detail()

        self.query.reload(self._notice_model, notice_query.NoticeQuery, shown, reach=("id", wanted))
        return True

    def reload(self) -> None:
        """After this tab's own write, and F5: the obligations derived again and the records re-read, both off the
        GUI thread (a newer request replaces an older one; the filters and the selected notice are kept)."""
        if not self.BACKGROUND:
            self._computed = None
            self._source = self._obligation_source()
            self._obligation_model.reload(self._source)
            self.update_counts()
            self._reload_records_now()
            return
        self._compute_in_background(derive=True)
        self.reload_records()

    def reload_records(self) -> None:
        """Re-read the records off the GUI thread, keeping the selected notice selected; its evidence and feedback
        (that notice's rows only) are shown at once."""
        if not self.BACKGROUND:
            self._reload_records_now()
            return
        self.show_detail()
        self._load_records()

    def _reload_records_now(self) -> None:
        """Re-read the records on the GUI thread (the tab built with BACKGROUND off), keeping the selection."""
        row = self._records.current_row()
        self._notice_model.reload()
        if row is not None:
            for i, r in enumerate(self._notice_model.rows):
                if r["id"] == row["id"]:
                    self._records.selectRow(i)
                    break
        self.show_detail()

    def current_obligation(self) -> ob.Obligation | None:
        row = self.obligations.current_row()
        if row is None:
            dialogs.error(self, "请先在上方列表中选择一项应公示事项。")
            return None
        fields = ob.Obligation.__dataclass_fields__
        return ob.Obligation(**{k: row[k] for k in fields})

    def record_county_notice(self, duty: ob.Obligation) -> None:
        from app.models.notices import county
        from app.ui.plan.claims_dialogs import FormDialog

        initial = ops.run_op(self, self.book, lambda: county.draft(self.book, kind=duty.kind, year=duty.object_id))
        if not isinstance(initial, dict):
            return
        places = [(p.name, p.code) for p in self.book.rules.notices.places]
        places.sort(key=lambda x: x[1] != initial["place"])
        listed = "\n".join(f"{k} {v}" for k, v in list(initial["content"].items())[:8])
        more = f"\n……共 {len(initial['content'])} 个项目" if len(initial["content"]) > 8 else ""
        dialog = FormDialog(self, f"登记{duty.object_label}公告", f"公告内容（由数据生成）：\n{listed}{more}", [
            ("title", "标题", "text", initial["title"], ()),
            ("doc_no", "批准文号", "text", initial["doc_no"], ()),
            ("place", "公示方式", "choice", None, places),
            ("start_date", "开始日期", "date", self.book.today(), ()),
            ("publisher", "公告单位", "text", initial["publisher"], ())])
        if dialog.submit(self.book, lambda: county.record(self.book, kind=duty.kind, year=duty.object_id,
                                                          **dialog.values()), done="县级公告已登记。") is not None:
            self.reload()

    def generate_for_obligation(self) -> None:
        rows = self.obligations.selected_rows()
        if len(rows) > 1:  # 批量生成: every selected duty, refusals listed per duty
            fields = ob.Obligation.__dataclass_fields__
            duties = [ob.Obligation(**{k: r[k] for k in fields}) for r in rows]
            self._generate_many(lambda book, folder: notice_docs.for_selection(
                book, folder, obligations=duties, on=book.today()))
            return
        duty = self.current_obligation()
        if duty is not None:  # 县级公告 (项目库、年度计划、计划完成) too: its record, or a draft from the data
            self._generate(lambda book, folder: notice_docs.for_obligation(book, duty, folder, on=book.today()))

    def record_for_obligation(self) -> None:
        duty = self.current_obligation()
        if duty is None:
            return
        if duty.object_type == "year":  # 县级公告: 项目库, 年度项目计划, 完成情况 (issue #18)
            self.record_county_notice(duty)
            return
        initial = ops.run_op(self, self.book, lambda: notices.draft(
            self.book, kind=duty.kind, level=duty.level, object_type=duty.object_type, object_id=duty.object_id))
        if not isinstance(initial, dict):
            return
        dialog = NoticeDialog(self, self.book, initial)
        if dialog.submit(self.book, lambda: notices.record_notice(
                self.book, kind=duty.kind, level=duty.level, object_type=duty.object_type, object_id=duty.object_id,
                **dialog.values()), done="公告已登记。"):
            self.reload()

    # -- records -----------------------------------------------------------------------------------
    def current_notice(self) -> dict[str, Any] | None:
        row = self._records.current_row()
        if row is None:
            dialogs.error(self, "请先在“公告公示记录”中选择一条公告。")
        return row

    def show_detail(self) -> None:
        row = self._records.current_row()
        self.evidence_model.reload(ListSource(notices.evidence(self.book, int(row["id"])) if row else []))
        self.feedback_model.reload(ListSource(notices.feedback(self.book, int(row["id"])) if row else []))

    def edit_notice(self) -> None:
        row = self.current_notice()
        if row is None:
            return
        current = notices.get(self.book, int(row["id"]))
        initial = current | {"content": current["content_fields"]}
        dialog = NoticeDialog(self, self.book, initial, editing=True)

        def save() -> Any:
            values = dialog.values()
            values.pop("evidence", None)
            return notices.update_notice(self.book, notice_id=int(row["id"]), fields=values)

        if dialog.submit(self.book, save, done="公告已修改。"):
            self.reload()

    def generate_for_notice(self) -> None:
        rows = self._records.selected_rows()
        if len(rows) > 1:
            ids = [int(r["id"]) for r in rows]
            self._generate_many(lambda book, folder: notice_docs.for_selection(book, folder, notice_ids=ids))
            return
        row = self.current_notice()
        if row is not None:
            self._generate(lambda book, folder: notice_docs.for_notice(book, int(row["id"]), folder))

    def add_evidence(self) -> None:
        row = self.current_notice()
        if row is None:
            return
        for path in self.choose_files():
            def attach(path: Path = path) -> int:
                name, data = read_evidence(self.book, path)
                return notices.attach_evidence(self.book, notice_id=int(row["id"]), name=name, data=data)

            if not ops.run_op(self, self.book, attach):
                break
        self.reload_records()

    def open_evidence(self) -> None:
        row = self.evidence.current_row()
        if row is None:
            return
        attachment_view.show_attachment(self, self.book, int(row["attachment_id"]))  # inside the program

    def add_feedback(self) -> None:
        row = self.current_notice()
        if row is None:
            return
        dialog = FeedbackDialog(self, self.book.today())
        if dialog.submit(self.book, lambda: notices.add_feedback(self.book, notice_id=int(row["id"]), **dialog.values())):
            self.reload_records()

    def handle_feedback(self) -> None:
        item = self.feedback.current_row()
        if item is None:
            dialogs.error(self, "请先在右侧“群众反映及处理”中选择一条反映。")
            return
        dialog = HandlingDialog(self, self.book.today(), str(item["content"]))
        if dialog.submit(self.book, lambda: notices.handle_feedback(self.book, feedback_id=int(item["id"]),
                                                                    **dialog.values())):
            self.show_detail()

    # -- files (class-level hooks so tests can stand in for the user) ---------------------------------
    def _generate(self, make: Callable[[Book, Path], list[Path]]) -> None:
        """Write the notice's files off the GUI thread (on a read-only connection of its own)."""
        folder = self.choose_folder()
        if folder is None:
            return

        def made(paths: list[Path]) -> None:
            if paths:
                self.open_url(folder)
                self.last_generated = paths

        ops.Op(self, self.book, "正在生成公告", lambda book, _: make(book, folder), writes=False, cancellable=False) \
            .success(made).run_in_background()

    def _generate_many(self, make: Callable[[Book, Path], tuple[list[Path], list[tuple[str, str]]]]) -> None:
        """批量生成公告 off the GUI thread; then what was written and, per item, what was not and why."""
        folder = self.choose_folder()
        if folder is None:
            return

        def made(result: tuple[list[Path], list[tuple[str, str]]]) -> None:
            paths, refused = result
            self.last_generated = paths
            text = f"已生成 {len(paths) // 2} 份公告（PDF 和 Excel 各一份）到：{folder}"
            if refused:
                text += f"\n未生成 {len(refused)} 份：\n" + "\n".join(f"· {what}——{why}" for what, why in refused)
            dialogs.info(self, text)
            if paths:
                self.open_url(folder)

        ops.Op(self, self.book, "正在批量生成公告", lambda book, _: make(book, folder), writes=False,
               cancellable=False).success(made).run_in_background()

    def choose_folder(self) -> Path | None:
        name = QFileDialog.getExistingDirectory(self, "选择公告保存的文件夹")
        return Path(name) if name else None

    def choose_files(self) -> list[Path]:
        return choose_evidence_files(self, self.book)

    def open_url(self, path: Path) -> None:
        open_folder(path)
