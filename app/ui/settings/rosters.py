"""名册: import the 财政供养人员 list and the 脱贫户/监测对象 roster the false-claim checks (W13, W14) compare with."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.models.plan import rosters
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, can


class RostersPage(QWidget):
    COLUMNS = [Column("row_no", "行"), Column("name", "姓名"), Column("id_masked", "身份证号（脱敏）"),
               Column("unit", "单位/村"), Column("category", "身份/类别"), Column("status_name", "状态"),
               Column("status_date", "状态日期")]

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        layout = QVBoxLayout(self)
        note = QLabel("名册用于虚报冒领比对：领取补助的人在“财政供养人员名册”上（预警 W13），或不在“脱贫户/监测对象名册”上、"
                      "已死亡或迁出（预警 W14）。每次导入整体替换同类名册；文件有任何一行不合格，整个文件都不导入。"
                      "身份证号只以脱敏形式显示。")
        note.setWordWrap(True)
        layout.addWidget(note)
        row = QHBoxLayout()
        self.kind = QComboBox()
        for code, k in rosters.KINDS.items():
            self.kind.addItem(k.name, code)
        self.kind.currentIndexChanged.connect(self.reload)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.import_button = QPushButton("导入名册…")
        self.import_button.clicked.connect(self.import_roster)
        self.import_button.setEnabled(can(book, "import_roster"))
        template = QPushButton("下载模板…")
        template.clicked.connect(self.template)
        for w in (QLabel("名册："), self.kind, self.import_button, template):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.model = LazyTableModel(self.COLUMNS, ListSource([]))
        self.table = DataTable(self.model)
        layout.addWidget(self.table)
        self.reload()

    def kind_code(self) -> str:
        return str(self.kind.currentData())

    def reload(self, *_: Any) -> None:
        code = self.kind_code()
        info = rosters.summary(self.book)[code]
        if info is None:
            self.status.setText(f"尚未导入{rosters.KINDS[code].name}：相应的比对（{'W13' if code == 'staff' else 'W14'}）暂不进行。")
        else:
            left = f"，其中死亡或迁出 {info['left_roster']} 人" if info["left_roster"] else ""
            self.status.setText(f"现用：{info['file_name']}，{info['on_roster']} 人{left}；"
                                f"{info['imported_by_name'] or '—'} 于 {info['imported_at'][:16]} 导入。")
        self.model.reload(ListSource(rosters.people(self.book, code)))

    def import_roster(self) -> None:
        code = self.kind_code()
        path = dialogs.choose_path(self, "open", f"选择{rosters.KINDS[code].name}（.xlsx）", "Excel 工作簿 (*.xlsx)")
        if path is None:
            return

        def done(result: dict[str, Any]) -> None:
            dialogs.info(self, f"已导入{rosters.KINDS[code].name} {result.get('on_roster', 0)} 人。重新计算预警后生效。")
            self.reload()

        ops.Op(self, self.book, "正在导入名册", lambda book, _: rosters.import_file(book, kind_code=code, path=path)) \
            .success(done).run_in_background()

    def template(self) -> None:
        code = self.kind_code()
        path = dialogs.choose_path(self, "save", "保存名册模板", "Excel 工作簿 (*.xlsx)", f"{rosters.KINDS[code].name}模板.xlsx")
        if path is not None:
            ops.run_op(self, self.book, lambda: rosters.write_template(path, code))
