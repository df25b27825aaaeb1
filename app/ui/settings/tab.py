"""基础设置: the bureau, its users, the fund catalogue and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.ledger import catalogue
from app.models.store import holidays, setup, users
from app.models.store.book import Book
from app.models.store.permissions import ROLE_NAMES
from app.models.values import workdays
from app.models.values.errors import ValidationError
from app.ui.kit import dialogs, ops
from app.ui.kit.forms import GuardedDialog
from app.ui.kit.qdate import to_date
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable, can, gate
from app.ui.settings.rosters import RostersPage


class SettingsTab(QTabWidget):
    def __init__(self, book: Book, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.book = book
        self.addTab(BureauPage(book), "单位信息")
        self.addTab(UsersPage(book), "用户与角色")
        self.addTab(CataloguePage(book), "资金目录")
        self.calendar_page = CalendarPage(book)
        self.addTab(self.calendar_page, "工作日历")
        from app.ui.settings.rule_sets import RuleSetsPage

        self.addTab(RuleSetsPage(book, lazy=True), "规则集")  # rule files parsed when first opened
        self.addTab(RostersPage(book), "名册")  # 财政供养人员、脱贫户/监测对象 (false-claim checks, issue #18)


class BureauPage(QWidget):
    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        info = setup.bureau_info(book)
        form = QFormLayout(self)
        self.name = QLineEdit(str(info.get("name", "")))
        self.code = QLineEdit(str(info.get("region_code", "")))
        self.code.setMaxLength(6)
        self.level = QComboBox()
        for key, label in setup.LEVELS.items():
            self.level.addItem(label, key)
        self.level.setCurrentIndex(max(0, self.level.findData(info.get("level"))))
        self.phone = QLineEdit(str(info.get("phone", "")))
        self.phone.setPlaceholderText("本县扶贫资金监督举报电话，公告中与 12317 一并显示")
        self.id_mask = QComboBox()
        self.id_mask.addItem("显示前 6 位和后 4 位（650102********1234）", "partial")
        self.id_mask.addItem("不显示身份证号", "hidden")
        self.id_mask.setCurrentIndex(max(0, self.id_mask.findData(info.get("id_mask"))))
        form.addRow("单位名称", self.name)
        form.addRow("行政区划代码", self.code)
        form.addRow("单位级次", self.level)
        form.addRow("监督举报电话", self.phone)
        form.addRow("公示中的身份证号", self.id_mask)
        form.addRow("适用规则", QLabel(f"{book.rules.name}（{book.rules.id}）"))
        form.addRow("数据库文件", QLabel(str(book.path)))
        save = QPushButton("保存单位信息")
        save.clicked.connect(self.save)
        form.addRow(save)
        can_edit = can(book, "update_bureau")
        for widget in (self.name, self.code, self.level, self.phone, self.id_mask, save):
            widget.setEnabled(can_edit)
        if not can_edit:
            form.addRow(QLabel("只有局长可以修改单位信息。" if not book.read_only else "只读打开，不能修改。"))

    def save(self) -> None:
        ops.run_op(self, self.book, lambda: setup.update_bureau(
            self.book, name=self.name.text(), region_code=self.code.text(), level=str(self.level.currentData()),
            phone=self.phone.text(), id_mask=str(self.id_mask.currentData())), done="单位信息已保存。")


class UserDialog(GuardedDialog):
    def __init__(self, parent: QWidget | None, row: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("修改用户" if row else "新增用户")
        form = QFormLayout(self)
        self.login = QLineEdit(str(row["login"]) if row else "")
        self.login.setEnabled(row is None)
        self.name = QLineEdit(str(row["name"]) if row else "")
        self.role = QComboBox()
        for key, label in ROLE_NAMES.items():
            self.role.addItem(label, key)
        if row:
            self.role.setCurrentIndex(self.role.findData(row["role"]))
        self.section = QLineEdit(str(row["section"]) if row else "")
        self.section.setPlaceholderText("例如：国库股、农业股、扶贫资金管理股")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("登录名", self.login)
        form.addRow("姓名", self.name)
        form.addRow("角色", self.role)
        form.addRow("业务股室", self.section)
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        if row is None:
            form.addRow("初始密码（至少 8 位）", self.password)
            form.addRow("再输入一次", self.password2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.is_new = row is None

    def accept(self) -> None:
        if self.is_new and self.password.text() != self.password2.text():
            self.password2.clear()
            self.refuse(ValidationError("两次输入的初始密码不一致，请重新输入。", field="再输入一次"))
            return
        super().accept()


class UsersPage(QWidget):
    COLUMNS = [Column("login", "登录名"), Column("name", "姓名"), Column("role_name", "角色"),
               Column("section", "业务股室"), Column("active", "启用", "bool"), Column("created_at", "创建时间"),
               Column("failed_logins", "连续密码错误", "int"), Column("lock_state", "锁定")]

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        layout = QVBoxLayout(self)
        self.model = LazyTableModel(self.COLUMNS, ListSource(self.rows()))
        self.table = DataTable(self.model)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        for text, slot, op in (("新增用户", self.add, "add_user"), ("修改", self.edit, "update_user"),
                               ("停用/启用", self.toggle, "update_user"), ("重置密码", self.reset, "reset_password"),
                               ("解除锁定", self.unlock, "unlock_user"),
                               ("修改我的密码", self.own_password, "change_own_password")):
            button = QPushButton(text)
            button.clicked.connect(slot)
            gate(button, book, op)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def reload(self) -> None:
        self.model.reload(ListSource(self.rows()))

    def rows(self) -> list[dict[str, Any]]:
        return [u | {"lock_state": f"锁定至 {str(u['locked_until'])[:16]}" if u["locked"] else
                     (f"最近一次错误 {str(u['last_failed_at'])[:16]}" if u["failed_logins"] else "")}
                for u in users.list_users(self.book)]

    def add(self) -> None:
        dialog = UserDialog(self)

        def save() -> object:
            role = str(dialog.role.currentData())
            endorse = self._endorse_password(dialog.name.text()) if role == "chief" else None
            users.require_endorsement(role, endorse, action="新增局长")
            return users.add_user(self.book, login=dialog.login.text(), name=dialog.name.text(), role=role,
                                  password=dialog.password.text(), section=dialog.section.text(), endorse_password=endorse)
        if dialog.submit(self.book, save):
            self.reload()

    def _endorse_password(self, name: str) -> str | None:
        """A new chief key (a chief added, a chief's password reset) is signed by the acting chief: without it,
        verify cannot tell the new key from one written into the file without any password (a Note)."""
        return dialogs.ask_secret(self, "签名确认新局长的签名密钥",
                                  f"将为 {name} 生成局长签名密钥。请输入你本人的密码，用你的签名密钥确认这把新密钥：")

    def edit(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        dialog = UserDialog(self, row)
        if dialog.submit(self.book, lambda: users.update_user(
                self.book, user_id=int(row["id"]), name=dialog.name.text(), role=str(dialog.role.currentData()),
                section=dialog.section.text())):
            self.reload()

    def toggle(self) -> None:
        row = self.table.current_row()
        if row is not None and ops.run_op(
                self, self.book, lambda: users.update_user(self.book, user_id=int(row["id"]), active=not row["active"])):
            self.reload()

    def reset(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        answer = dialogs.ask_password(self, "重置密码", f"为 {row['name']}（{row['login']}）设置新密码：")
        if answer is not None:
            endorse = self._endorse_password(str(row["name"])) if row["role"] == "chief" else None

            def reset() -> None:
                users.require_endorsement(str(row["role"]), endorse, action="为局长重置密码")
                users.reset_password(self.book, user_id=int(row["id"]), password=answer[1], endorse_password=endorse)
            ops.run_op(self, self.book, reset,
                           done="密码已重置，该账号的锁定（如有）也已解除。")
            self.reload()

    def own_password(self) -> None:
        answer = dialogs.ask_password(self, "修改我的密码", "输入原密码，再输入两次新密码：", ask_old=True)
        if answer is not None:
            ops.run_op(self, self.book, lambda: users.change_own_password(self.book, old=answer[0], new=answer[1]),
                           done="密码已修改。")

    def unlock(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        if not row["locked"] and not row["failed_logins"]:
            dialogs.info(self, f"{row['name']} 的账号没有被锁定。")
            return
        if ops.run_op(self, self.book, lambda: users.unlock(self.book, user_id=int(row["id"])),
                          done=f"已解除 {row['name']} 的账号锁定（已记入审计日志）。"):
            self.reload()


class CataloguePage(QWidget):
    COLUMNS = [Column("kind_name", "资金大类"), Column("code", "项目代码"), Column("name", "资金项目"),
               Column("active", "在用", "bool")]

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        layout = QVBoxLayout(self)
        note = QLabel("资金大类来自规则（新财脱贫组〔2019〕2号 第一部分）；涉农整合、其他专项、债券等的资金项目由本单位维护。"
                      "已使用的项目只能停用，不能删除。")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.model = LazyTableModel(self.COLUMNS, ListSource(catalogue.items(book)))
        self.table = DataTable(self.model)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.kind = QComboBox()
        for k in catalogue.kinds(book):
            self.kind.addItem(f"{k['code']} {k['name']}", k["code"])
        self.code = QLineEdit()
        self.code.setPlaceholderText("项目代码，如 ZH05")
        self.name = QLineEdit()
        self.name.setPlaceholderText("项目名称")
        add = QPushButton("新增项目")
        add.clicked.connect(self.add)
        rename = QPushButton("改名")
        rename.clicked.connect(self.rename)
        toggle = QPushButton("停用/启用")
        toggle.clicked.connect(self.toggle)
        for w in (self.kind, self.code, self.name, add, rename, toggle):
            if isinstance(w, QPushButton):
                gate(w, book, "edit_fund_items")
            row.addWidget(w)
        layout.addLayout(row)

    def reload(self) -> None:
        self.model.reload(ListSource(catalogue.items(self.book)))

    def add(self) -> None:
        if ops.run_op(self, self.book, lambda: catalogue.add_item(
                self.book, kind=str(self.kind.currentData()), code=self.code.text(), name=self.name.text())):
            self.code.clear()
            self.name.clear()
            self.reload()

    def rename(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        name = dialogs.ask_text(self, "改名", "新的项目名称：", str(row["name"]))
        if name is not None and ops.run_op(self, self.book, lambda: catalogue.update_item(self.book, code=str(row["code"]), name=name)):
            self.reload()

    def toggle(self) -> None:
        row = self.table.current_row()
        if row is not None and ops.run_op(
                self, self.book, lambda: catalogue.update_item(self.book, code=str(row["code"]), active=not row["active"])):
            self.reload()


class YearDialog(GuardedDialog):
    """Enter one year's State Council notice: days off and make-up working days, one per line."""

    def __init__(self, parent: QWidget | None, year: int, notice: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(parent)
        self.setWindowTitle("录入年度节假日安排")
        self.resize(520, 560)
        form = QFormLayout(self)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        self.notice = QLineEdit(notice)
        self.notice.setPlaceholderText(f"国务院办公厅关于{year}年部分节假日安排的通知")
        self.holidays = QPlainTextEdit("\n".join(f"{r['day']} {r['name']}" for r in rows if r["kind"] == "休"))
        self.workdays = QPlainTextEdit("\n".join(f"{r['day']} {r['name']}" for r in rows if r["kind"] == "班"))
        for box in (self.holidays, self.workdays):
            box.setPlaceholderText("每行一个日期，可在日期后写名称，例如：\n2027-01-01 元旦")
        form.addRow("年份", self.year)
        form.addRow("通知名称", self.notice)
        form.addRow("放假日期", self.holidays)
        form.addRow("调休上班日期", self.workdays)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("该年已有签发月份时须填写（局长），如补发的调休通知文号")
        form.addRow("更正理由", self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def lines(box: QPlainTextEdit) -> list[tuple[str, str]]:
        result = []
        for line in box.toPlainText().splitlines():
            parts = line.strip().split(maxsplit=1)
            if parts:
                result.append((parts[0], parts[1] if len(parts) > 1 else ""))
        return result


class CalendarPage(QWidget):
    YEAR_COLUMNS = [Column("year", "年份", "int"), Column("notice", "依据通知"), Column("holidays", "放假天数", "int"),
                    Column("workdays", "调休上班天数", "int"), Column("source", "来源")]
    DAY_COLUMNS = [Column("day", "日期"), Column("kind", "类型"), Column("name", "名称")]

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        layout = QVBoxLayout(self)
        note = QLabel("工作日按国务院办公厅每年 11 月左右发布的节假日安排通知计算（周一至周五，减法定假日，加调休上班日）。"
                      "本机离线，请在通知发布后录入下一年度；没有数据的年份只按周末估算，到期日标注“估算”。")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.missing = QLabel("")  # a year the deadlines need and the file lacks (holidays.calendar_notice)
        self.missing.setWordWrap(True)
        self.missing.setStyleSheet("color: #b00000;")
        layout.addWidget(self.missing)
        split = QHBoxLayout()
        self.years_model = LazyTableModel(self.YEAR_COLUMNS, ListSource(holidays.years(book)))
        self.years = DataTable(self.years_model)
        self.years.selectionModel().currentRowChanged.connect(lambda *_: self.show_days())
        split.addWidget(self.years, 3)
        self.days_model = LazyTableModel(self.DAY_COLUMNS, ListSource([]))
        self.days = DataTable(self.days_model)
        split.addWidget(self.days, 2)
        layout.addLayout(split)
        buttons = QHBoxLayout()
        self.edit_button = QPushButton("录入/修改年度安排…")
        self.edit_button.clicked.connect(self.edit_year)
        gate(self.edit_button, book, "edit_calendar")
        buttons.addWidget(self.edit_button)
        self.import_button = QPushButton("从文件导入…")
        self.import_button.setToolTip("导入节假日文件（与程序附带的 holidays.toml 格式相同，可含一个或多个年度）")
        self.import_button.clicked.connect(self.import_file)
        gate(self.import_button, book, "edit_calendar")
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("试算："))
        self.start = QDateEdit(QDate.currentDate())
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        self.count = QSpinBox()
        self.count.setRange(1, 365)
        self.count.setValue(5)
        self.kind = QComboBox()
        self.kind.addItem("个工作日", "working")
        self.kind.addItem("个自然日", "calendar")
        self.result = QLabel("")
        go = QPushButton("计算到期日")
        go.clicked.connect(self.compute)
        for w in (QLabel("收到日"), self.start, QLabel("后"), self.count, self.kind, go, self.result):
            buttons.addWidget(w)
        layout.addLayout(buttons)
        self.years.selectRow(0)
        self.show_days()
        self.show_missing()

    def selected_year(self) -> int | None:
        row = self.years.current_row()
        return int(row["year"]) if row else None

    def show_days(self) -> None:
        year = self.selected_year()
        self.days_model.reload(ListSource(holidays.days(self.book, year) if year else []))

    def show_missing(self) -> None:
        text = holidays.calendar_notice(self.book, self.book.today())
        self.missing.setText(f"⚠ {text}" if text else "")
        self.missing.setVisible(bool(text))

    def import_file(self) -> None:
        path = dialogs.choose_path(self, "open", "导入节假日文件", "节假日文件 (*.toml)")
        if path is None:
            return
        reason = ""
        signed = holidays.last_signed_end(self.book.conn)
        if signed is not None and dialogs.confirm(
                self, f"文件中的年度若已有签发的月份（截至 {signed.isoformat()}），只能由局长写明理由更正其后的日期。"
                      "需要填写更正理由吗？"):
            reason = dialogs.ask_text(self, "更正理由", "更正理由（如补发的调休通知文号）：") or ""
        done = ops.run_op(self, self.book, lambda: holidays.import_file(self.book, path, reason=reason))
        if done:
            changed = "；".join(f"{y} 年改动 {len(c)} 天" for y, c in sorted(done.items()))
            dialogs.info(self, f"已导入：{changed}。")
            self.reload()

    def reload(self) -> None:
        self.show_missing()
        self.years_model.reload(ListSource(holidays.years(self.book)))
        self.years.selectRow(0)
        self.show_days()

    def edit_year(self) -> None:
        year = self.selected_year()
        existing = {int(str(r["year"])): r for r in holidays.years(self.book)}
        target = (max(existing) + 1) if existing else dt.date.today().year + 1
        if year is not None and dialogs.confirm(self, f"修改已有的 {year} 年安排？（选“否”则录入 {target} 年）"):
            target = year
        rows = holidays.days(self.book, target)
        dialog = YearDialog(self, target, str(existing.get(target, {}).get("notice", "")), rows)
        self.open_year_dialog(dialog)

    def open_year_dialog(self, dialog: YearDialog) -> bool:
        ok = dialog.submit(self.book, lambda: holidays.set_year(
            self.book, year=dialog.year.value(), notice=dialog.notice.text(),
            holidays=YearDialog.lines(dialog.holidays), workdays_=YearDialog.lines(dialog.workdays),
            reason=dialog.reason.text()))
        if ok:
            self.reload()
        return bool(ok)

    def compute(self) -> None:
        start = to_date(self.start.date())
        cal = holidays.calendar(self.book)
        if self.kind.currentData() == "working":
            due, estimated = workdays.add_working_days(start, self.count.value(), cal)
        else:
            due, estimated = workdays.add_calendar_days(start, self.count.value(), cal)
        self.result.setText(f"到期日：{due.isoformat()}" + ("（估算：该年度尚无节假日数据）" if estimated else ""))
