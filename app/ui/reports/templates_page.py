"""自治区模板: which tables export through the region's own .xlsx, registering one, and its placeholders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.export import region_templates as report_templates
from app.export import template
from app.models.store import permissions
from app.models.store.book import Book
from app.models.values.errors import AppError
from app.ui.kit import dialogs, ops
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, fill_when_shown

COLUMNS = [Column("table", "报表"), Column("title", "表名"), Column("file", "模板文件"), Column("sheet", "工作表"),
           Column("registered_by", "登记人"), Column("registered_at", "登记时间"), Column("sha256", "SHA-256")]
TEMPLATE_TITLE = "选择自治区模板文件（.xlsx）"
MAPPING_TITLE = "选择单元格对应文件（可选）"
HELP = ("在模板单元格中写占位符，例如 {{填报单位}}、{{合计.累计到位小计}}、{{行.项目名称}}（明细行，按表中行数重复）、"
        "{{行[ZX01].累计到位小计}}（固定行）；也可以不改模板，另写一个对应文件，每行“单元格 = 占位符”，如 "
        "B5 = 合计.累计到位小计。登记时逐一检查，有问题会指明工作表、单元格和原因。详见 docs/月报说明.md 第七节。")


def choose_file(parent: QWidget, title: str, pattern: str) -> Path | None:
    """A file chooser; tests answer through dialogs.Ask (kind "open_file", the title tells which file)."""
    if dialogs.Ask.answer is not None:
        answer = dialogs.Ask.record("open_file", title)
        return Path(answer) if answer else None
    name, _ = QFileDialog.getOpenFileName(parent, title, "", pattern)
    return Path(name) if name else None


def fill_uses(table: QTableWidget, uses: list[template.Use]) -> None:
    table.setRowCount(len(uses))
    for i, use in enumerate(uses):
        for j, value in enumerate((use.cell, use.placeholder, use.meaning)):
            table.setItem(i, j, QTableWidgetItem(value))
    table.resizeColumnsToContents()


def uses_table() -> QTableWidget:
    table = QTableWidget(0, 3)
    table.setHorizontalHeaderLabels(["单元格", "占位符", "填入内容"])
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class RegisterTemplateDialog(QDialog):
    """登记模板: pick the table, the .xlsx (and its sheet), an optional mapping file; check, then register.

    Tests set `RegisterTemplateDialog.answer = lambda dialog: …` (return True once registered) instead of exec().
    """

    answer: Callable[[RegisterTemplateDialog], bool] | None = None

    def __init__(self, book: Book, table_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.path: Path | None = None
        self.mapping: Path | None = None
        self.setWindowTitle("登记自治区模板")
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        intro = QLabel(HELP)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.table = QComboBox()
        for row in report_templates.template_list(book):
            self.table.addItem(f"{row['table']}　{row['title']}", row["table"])
        self.table.setCurrentIndex(max(0, self.table.findData(table_id)))
        form.addRow("报表", self.table)
        self.file = QLineEdit()
        self.file.setReadOnly(True)
        self.file.setPlaceholderText("请选择 .xlsx 文件")
        pick = QPushButton("选择…")
        pick.clicked.connect(self.choose_template)
        form.addRow("模板文件", _row(self.file, pick))
        self.sheet = QComboBox()
        form.addRow("工作表", self.sheet)
        self.mapping_edit = QLineEdit()
        self.mapping_edit.setReadOnly(True)
        self.mapping_edit.setPlaceholderText("不用对应文件（占位符已写在模板中）")
        pick_map = QPushButton("选择…")
        pick_map.clicked.connect(self.choose_mapping)
        clear_map = QPushButton("不用")
        clear_map.clicked.connect(lambda: self.set_mapping(None))
        form.addRow("对应文件（可选）", _row(self.mapping_edit, pick_map, clear_map))
        layout.addLayout(form)
        self.message = QPlainTextEdit()
        self.message.setReadOnly(True)
        self.message.setMaximumHeight(110)
        self.message.setPlaceholderText("选择文件后自动检查；有问题时在这里逐处列出。")
        layout.addWidget(self.message)
        self.uses = uses_table()
        layout.addWidget(self.uses, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.register_button = buttons.addButton("登记", QDialogButtonBox.ButtonRole.AcceptRole)
        check = buttons.addButton("检查", QDialogButtonBox.ButtonRole.ActionRole)
        check.clicked.connect(self.check)
        buttons.accepted.connect(self.register)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.table.currentIndexChanged.connect(lambda *_: self.check())
        self.sheet.currentIndexChanged.connect(lambda *_: self.check())

    # -- choosing ------------------------------------------------------------------------------
    def table_id(self) -> str:
        return str(self.table.currentData())

    def choose_template(self) -> None:
        path = choose_file(self, TEMPLATE_TITLE, "Excel 工作簿 (*.xlsx)")
        if path is None:
            return
        self.path = path
        self.file.setText(str(path))
        self.sheet.blockSignals(True)
        self.sheet.clear()
        try:
            names = template.sheet_names(path)
        except AppError as exc:
            names = []
            self.show_problem(str(exc))
        if len(names) != 1:
            for name in names:
                self.sheet.addItem(name, name)
            match = next((n for n in names if self.table_id() in n), None)
            if match:
                self.sheet.setCurrentIndex(self.sheet.findData(match))
        else:
            self.sheet.addItem(f"{names[0]}（唯一的工作表）", "")
        self.sheet.blockSignals(False)
        if names:
            self.check()

    def choose_mapping(self) -> None:
        path = choose_file(self, MAPPING_TITLE, "对应文件 (*.txt *.csv);;所有文件 (*)")
        if path is not None:
            self.set_mapping(path)

    def set_mapping(self, path: Path | None) -> None:
        self.mapping = path
        self.mapping_edit.setText(str(path) if path else "")
        if self.path is not None:
            self.check()

    # -- checking and registering --------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        if self.path is None:
            raise AppError("请先选择模板文件（.xlsx）")
        try:
            data = self.path.read_bytes()
            mapping = self.mapping.read_bytes() if self.mapping else None
        except OSError as exc:
            raise AppError(f"无法读取文件：{exc.filename}（{exc.strerror}）") from exc
        return {"table_id": self.table_id(), "name": self.path.name, "data": data,
                "sheet": str(self.sheet.currentData() or ""), "mapping": mapping,
                "mapping_name": self.mapping.name if self.mapping else ""}

    def show_problem(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setPlainText(text)
        self.uses.setRowCount(0)

    def check(self) -> bool:
        """Validate without registering; shows the placeholders or every problem."""
        if self.path is None:
            return False
        try:
            _kept, uses = report_templates.check_template(**self._read())
        except AppError as exc:
            self.show_problem(str(exc))
            return False
        self.message.setStyleSheet("color: #1b5e20;")
        self.message.setPlainText(f"检查通过：{self.table_id()} 将按此模板填写，共 {len(uses)} 个占位符（见下表）。")
        fill_uses(self.uses, uses)
        return True

    def register(self) -> bool:
        try:
            report_templates.register_template(self.book, **self._read())
        except AppError as exc:
            self.show_problem(str(exc))
            return False
        self.accept()
        return True

    def run(self) -> bool:
        hook = type(self).answer
        return bool(hook(self)) if hook is not None else self.exec() == QDialog.DialogCode.Accepted


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    line = QHBoxLayout(box)
    line.setContentsMargins(0, 0, 0, 0)
    for n, w in enumerate(widgets):
        line.addWidget(w, 1 if n == 0 else 0)
    return box


class TemplatesPage(QWidget):
    """The list of tables with their registered template; the selected one's placeholders below."""

    def __init__(self, book: Book, parent: QWidget | None = None, *, lazy: bool = False) -> None:
        """`lazy`: the list (which reads every template definition) is read the first time the page is shown."""
        super().__init__(parent)
        self.book = book
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.register_button = QPushButton("登记模板…")
        self.register_button.clicked.connect(self.register)
        self.remove_button = QPushButton("取消登记")
        self.remove_button.clicked.connect(self.remove)
        for b in (self.register_button, self.remove_button):
            bar.addWidget(b)
        note = QLabel("登记了模板的表，导出和签发时按模板填写，其他表仍用内置格式。")
        bar.addWidget(note, 1)
        layout.addLayout(bar)
        role = book.user.role if book.user else ""
        can = bool(role) and permissions.allowed("register_template", role) and not book.read_only
        self.register_button.setEnabled(can)
        self.remove_button.setEnabled(can)
        if not can:
            who = "只读打开时" if book.read_only else "当前角色"
            note.setText(note.text() + f"（{who}只能查看；登记模板由经办人操作）")
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LazyTableModel(COLUMNS, ListSource([]), highlight=lambda r: "#dcedc8" if r["registered"] else None)
        self.view = DataTable(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_uses())
        split.addWidget(self.view)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.uses_title = QLabel("所选报表的模板使用的占位符")
        lower_layout.addWidget(self.uses_title)
        self.uses = uses_table()
        lower_layout.addWidget(self.uses)
        split.addWidget(lower)
        split.setSizes([330, 300])
        layout.addWidget(split, 1)
        if lazy:
            fill_when_shown(self, self.reload)
        else:
            self.reload()

    def reload(self, select: str | None = None) -> None:
        current = select or self.selected_table()
        rows = report_templates.template_list(self.book)
        for r in rows:
            r["sha256"] = r["sha256"][:16] + "…" if r["sha256"] else ""
        self.model.reload(ListSource(rows))
        ids = [r["table"] for r in rows]
        self.view.selectRow(ids.index(current) if current in ids else 1)

    def selected_table(self) -> str | None:
        row = self.view.current_row()
        return str(row["table"]) if row else None

    def show_uses(self) -> None:
        row = self.view.current_row()
        if row is None or not row["registered"]:
            self.uses_title.setText(f"{row['table'] if row else ''} 使用内置格式（没有登记模板）")
            self.uses.setRowCount(0)
            return
        try:
            uses = report_templates.template_placeholders(self.book, table_id=str(row["table"]))
        except AppError as exc:
            self.uses_title.setText(f"{row['table']} 的模板无法读取：{exc}")
            self.uses.setRowCount(0)
            return
        self.uses_title.setText(f"{row['table']} 的模板 {row['file']} 使用的占位符（{len(uses)} 个）")
        fill_uses(self.uses, uses)

    def register(self) -> None:
        dialog = RegisterTemplateDialog(self.book, self.selected_table() or "表1", self)
        if dialog.run():
            table_id = dialog.table_id()
            self.reload(select=table_id)
            dialogs.info(self, f"已登记 {table_id} 的模板，导出和签发时该表按模板填写。")

    def remove(self) -> None:
        row = self.view.current_row()
        if row is None:
            return
        if not row["registered"]:
            dialogs.info(self, f"{row['table']} 没有登记模板。")
            return
        if not dialogs.confirm(self, f"取消 {row['table']} 的模板 {row['file']}？\n之后导出时该表使用内置格式；"
                                     "已签发的报送包仍按当时的模板重新生成。"):
            return
        if ops.run_op(self, self.book, lambda: report_templates.unregister_template(self.book, table_id=str(row["table"]))):
            self.reload(select=str(row["table"]))
