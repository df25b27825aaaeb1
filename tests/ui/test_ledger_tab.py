"""The 专账 tab on the demo county: models, filters, the register dialog, the import flow, export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.demo import build as demo
from app.demo import ledger as demo_ledger
from app.models.ledger import deadlines, indicators, reconcile
from app.models.ledger import query as ledger_query
from app.models.store import users
from app.models.store.book import Book, open_book
from app.ui.kit import dialogs, ops
from app.ui.ledger.dialogs import IndicatorDialog, ManualEntryDialog
from app.ui.ledger.tab import LedgerTab
from tests.conftest import FixedClock, writable_copy


def _open(demo_file: Path, tmp_path: Path, login: str) -> Book:
    path = tmp_path / "示例县.db"
    writable_copy(demo_file, path)
    b = open_book(path)
    demo_ledger.write_treasury_export(b, tmp_path / "国库支付数据.xlsx")  # January–November
    b.clock = FixedClock(dt.datetime(2026, 11, 25, 9, 0))
    users.login(b, login, demo.PASSWORD)
    return b


@pytest.fixture
def book(demo_file: Path, tmp_path: Path) -> Iterator[Book]:
    b = _open(demo_file, tmp_path, "jingban")
    yield b
    b.close(backup=False)


@pytest.fixture
def answers() -> Iterator[dict[str, Any]]:
    """Stand in for the user: answers[kind] is returned for a question of that kind."""
    table: dict[str, Any] = {"confirm": True}
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: table.get(kind)
    yield table
    dialogs.Ask.answer = None


def _accepting(dialog: QDialog) -> Callable[[], int]:
    def exec_() -> int:
        dialog.accept()
        return dialog.result()
    return exec_


def test_models_pass_the_model_tester_and_show_the_demo(qtbot, qtmodeltester, book: Book) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
    tab.indicators.selectRow(0)
    for table in (tab.indicators, tab.entries, tab.balances, tab.sections, tab.diffs, tab.stages):
        qtmodeltester.check(table.lazy_model())
    ind_model = tab.indicators.lazy_model()
    assert ind_model.rowCount() == book.conn.execute("SELECT count(*) FROM indicators WHERE year = 2026").fetchone()[0]
    late = [r for r in ind_model.rows if r["late"]]
    assert late and ind_model.data(ind_model.index(ind_model.rows.index(late[0]), 0), Qt.ItemDataRole.BackgroundRole)
    assert tab.stages.lazy_model().rowCount() >= 1
    totals = tab.balances.lazy_model().rows[-1]
    closing = book.conn.execute(
        "SELECT sum(CASE WHEN side = 'income' THEN sign * amount ELSE -sign * amount END) FROM ledger_entries "
        "WHERE entry_date <= '2026-11-30'").fetchone()[0]
    assert totals["name"] == "合计" and totals["closing"] == closing
    shown = tab.diffs.lazy_model().rows
    kinds = {d["kind"] for d in shown}
    assert len(shown) >= 2 and len(kinds) >= 2  # the demo has treasury and section differences
    assert {d["key"] for d in shown} <= {d["key"] for d in reconcile.differences(book)}


def test_entries_load_lazily_and_filter(qtbot, book: Book) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.pages.setCurrentIndex(1)  # 专账明细 in front: read when shown, and again on each reload
    model = tab.entries.lazy_model()
    model.BATCH = 20
    tab.year.setCurrentIndex(0)  # 全部年度
    assert tab.page_queries[1].wait()  # a filter reads the page shown off the GUI thread
    total = ledger_query.EntryQuery(book).count()
    assert model.total == total > 40 and model.rowCount() == 20 and model.canFetchMore()
    model.fetchMore()  # the next page: read off the GUI thread, added when it arrives
    qtbot.waitUntil(lambda: not model.fetching, timeout=20000)
    assert model.rowCount() == 40 and [r["id"] for r in model.rows] == [r["id"] for r in
                                                                        ledger_query.EntryQuery(book).fetch(0, 40)]
    tab.text.setText("缴回")
    tab.reload()
    assert [r["entry_type"] for r in model.rows] == ["return"]
    tab.text.clear()
    tab.kind.setCurrentIndex(tab.kind.findData("ZH"))
    assert tab.page_queries[1].wait()
    assert model.rowCount() > 0 and {r["kind"] for r in model.rows} == {"ZH"}
    tab.year.setCurrentIndex(tab.year.findData(2026))
    tab.month.setCurrentIndex(tab.month.findData(7))
    assert tab.page_queries[1].wait()
    assert all(r["entry_date"].startswith("2026-07") for r in model.rows)
    assert tab.balance_title.text().startswith("2026-07")


def test_ctrl_f_focuses_the_filter(qtbot, book: Book) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitActive(tab)
    tab.pages.setCurrentIndex(1)
    tab.entries.setFocus()
    qtbot.waitUntil(tab.entries.hasFocus)
    qtbot.keyClick(tab.entries, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(tab.text.hasFocus)


def test_register_indicator_through_the_dialog(qtbot, book: Book, answers: dict[str, Any]) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
    before = tab.indicators.lazy_model().rowCount()
    dialog = IndicatorDialog(book, tab)
    qtbot.addWidget(dialog)
    dialog.doc_no.setText("新财农〔2026〕120号")
    dialog.title.setText("=SUM(A1:A9) 测试标题")
    dialog.kind.setCurrentIndex(dialog.kind.findData("ZH"))
    dialog.item.setCurrentIndex(dialog.item.findData("ZH04"))
    dialog.amount.setText("abc")
    dialog.exec = _accepting(dialog)  # type: ignore[method-assign]
    assert tab.run_dialog(dialog) is False  # refused: stays open, says which field
    assert answers and dialogs.Ask.shown[-1][0] == "error" and "金额" in dialogs.Ask.shown[-1][1]
    assert tab.indicators.lazy_model().rowCount() == before
    dialog.amount.setText("１２３,４５６.７８")  # full-width digits as an IME types them
    dialog.received.set_value(dt.date(2026, 11, 10))
    dialog.prefecture.set_value(dt.date(2026, 11, 6))
    dialog.events["prefecture_received"].set_value(dt.date(2026, 11, 2))
    dialog.scan.set_file("文件.pdf", b"%PDF-1.4 scan")
    assert tab.run_dialog(dialog) is True
    assert tab.query.wait()  # 指标登记 is read again off the GUI thread; the new indicator is then selected
    row = next(r for r in tab.indicators.lazy_model().rows if r["doc_no"] == "新财农〔2026〕120号")
    assert tab.indicators.current_row() == row
    assert row["amount"] == 123_456_78 and row["kind"] == "ZH" and row["has_scan"] and row["due"] == "2026-12-10"
    assert not row["late"]  # the prefecture issued in time (11-02 → 11-06) and the county's own stage is open
    stages = {s["code"]: s for s in deadlines.stages(book, indicators.get(book, int(row["id"])))}
    assert stages["zh_prefecture"]["status"] == "按时" and stages["county_plan"]["due"] == dt.date(2026, 12, 10)

    answers["save_file"] = str(Path(book.path).with_name("指标.xlsx"))
    tab.pages.setCurrentIndex(0)
    tab.export()
    qtbot.waitUntil(ops.idle, timeout=20000)
    ws = openpyxl.load_workbook(answers["save_file"]).active
    assert ws is not None
    header = [c.value for c in ws[3]]
    assert header[:3] == ["文号", "标题", "资金项目"]
    cells = {c.value: c for row_ in ws.iter_rows(min_row=4) for c in row_ if isinstance(c.value, str)}
    title = cells["=SUM(A1:A9) 测试标题"]
    assert title.data_type in ("s", "inlineStr")  # text, not a formula
    amount_col = header.index("指标金额") + 1
    amounts = [ws.cell(r, amount_col).value for r in range(4, ws.max_row + 1)]
    assert all(isinstance(a, (int, float)) or a is None for a in amounts) and sum(a for a in amounts if a) > 0


def test_manual_entry_dialog_posts_a_refund(qtbot, book: Book, answers: dict[str, Any]) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
    tab.indicators.selectRow(0)
    ind = tab.current_indicator()
    assert ind is not None and ind["paid"] > 0
    dialog = ManualEntryDialog(book, ind, tab)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("refund"))
    dialog.day.set_value(dt.date(2026, 11, 24))
    dialog.voucher.setText("TH2026-9")
    dialog.amount.setText("100.00")
    dialog.summary.setText("收款人退回多付款")
    dialog.exec = _accepting(dialog)  # type: ignore[method-assign]
    assert tab.run_dialog(dialog) is True
    tab.pages.setCurrentIndex(1)
    tab.text.setText("TH2026-9")
    tab.reload()
    [entry] = tab.entries.lazy_model().rows
    assert entry["entry_type_name"] == "退回" and entry["expenditure"] == -100_00


def test_import_flow_dry_run_then_import(qtbot, book: Book, answers: dict[str, Any], tmp_path: Path) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    answers["open_file"] = str(tmp_path / "国库支付数据.xlsx")
    opened: list[Any] = []

    def capture(dialog: QDialog) -> bool:
        opened.append(dialog)
        qtbot.waitUntil(lambda: dialog.plan is not None, timeout=20000)
        plan = dialog.plan
        assert dialog.model.total == len(plan.rows)  # the preview lists every row (fetched as it scrolls)
        assert {r.status for r in plan.rows} >= {"duplicate", "new"}  # Jan–Oct already imported by the demo
        expected = plan.to_add
        assert dialog.import_button.isEnabled()
        before = book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0]
        dialog.import_button.click()
        qtbot.waitUntil(lambda: dialog.imported is not None, timeout=20000)
        after = book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0]
        assert after - before == dialog.imported.added == expected > 0
        return True

    tab.run_dialog = capture  # type: ignore[method-assign]
    tab.import_treasury()
    assert opened and dialogs.Ask.shown[-1][0] == "info" and "已导入" in dialogs.Ask.shown[-1][1]


def test_import_of_a_bad_file_shows_the_rows_and_writes_nothing(qtbot, book: Book, answers: dict[str, Any],
                                                                tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(tmp_path / "国库支付数据.xlsx")
    ws = wb.active
    assert ws is not None
    ws["I5"] = "12.345"
    ws["C7"] = "不存在的文号"
    wb.save(tmp_path / "坏.xlsx")
    answers["open_file"] = str(tmp_path / "坏.xlsx")
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    seen: list[str] = []

    def capture(dialog: QDialog) -> bool:
        qtbot.waitUntil(lambda: dialog.failed is not None or dialog.plan is not None, timeout=20000)
        seen.append(dialog.errors.toPlainText())
        assert not dialog.import_button.isEnabled()
        return False

    before = book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0]
    tab.run_dialog = capture  # type: ignore[method-assign]
    tab.import_treasury()
    assert "第 5 行 金额" in seen[0] and "第 7 行 指标文号" in seen[0]
    assert book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0] == before
    answers["open_file"] = str(tmp_path / "说明.docx")
    (tmp_path / "说明.docx").write_bytes(b"PK")
    tab.import_treasury()
    assert dialogs.Ask.shown[-1][0] == "error" and "不是 .xlsx 或 .csv" in dialogs.Ask.shown[-1][1]


def test_explain_a_difference(qtbot, book: Book, answers: dict[str, Any]) -> None:
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.pages.setCurrentIndex(3)
    model = tab.diffs.lazy_model()
    open_row = next(i for i, r in enumerate(model.rows) if not r["explained"])
    tab.diffs.selectRow(open_row)
    answers["text"] = "国库退票后重新支付，次月对平"
    before = sum(1 for r in model.rows if not r["explained"])
    key = model.rows[open_row]["key"]
    tab.explain()
    assert tab.page_queries[3].wait()  # 对账 is read again off the GUI thread; the explained one stays selected
    assert sum(1 for r in model.rows if not r["explained"]) == before - 1
    assert tab.diffs.current_row()["key"] == key
    assert model.rows[open_row]["note"] == "国库退票后重新支付，次月对平"


def test_auditor_sees_everything_but_cannot_write(qtbot, demo_file: Path, tmp_path: Path) -> None:
    b = _open(demo_file, tmp_path, "shenji")
    try:
        tab = LedgerTab(b)
        qtbot.addWidget(tab)
        assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
        assert tab.indicators.lazy_model().rowCount() > 0
        assert not any(button.isEnabled() for button in tab.buttons.values())
    finally:
        b.close(backup=False)


def test_annual_plan_dialog_refuses_a_signed_year_and_saves_all_at_once(qtbot, book: Book,
                                                                        answers: dict[str, Any]) -> None:
    """年度计划数… : a year whose months are signed (the demo's 2026, reported in 表1 of each) is refused with the
    reason and nothing is written (the attack review found it accepted); in an open year the figures typed in are
    saved in one operation. (Below what is issued: tests/models/reports/test_reviewer_columns.py.)"""
    from app.models.reports import monthly
    from app.ui.ledger.annual_plan import AnnualPlanDialog

    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.buttons["set_annual_plan"].isEnabled()  # the clerk jingban may
    dialog = AnnualPlanDialog(book, tab, year=2026)
    qtbot.addWidget(dialog)
    rows = {r["item"]: i for i, r in enumerate(dialog.rows)}
    before = {r["item"]: r["plan"] for r in monthly.annual_plan_rows(book, year=2026)}
    issued = {r["item"]: r["issued"] for r in dialog.rows}
    dialog.table.item(rows["ZX01"], 3).setText(f"{issued['ZX01'] // 100 + 1000}")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialogs.Ask.shown[-1][0] == "error" and "2026 年已有签发结账的月份" in dialogs.Ask.shown[-1][1]
    assert {r["item"]: r["plan"] for r in monthly.annual_plan_rows(book, year=2026)} == before  # nothing written
    dialog = AnnualPlanDialog(book, tab, year=2027)
    qtbot.addWidget(dialog)
    rows = {r["item"]: i for i, r in enumerate(dialog.rows)}
    dialog.table.item(rows["ZX01"], 3).setText("1,000.00")
    dialog.table.item(rows["ZX02"], 3).setText("2000")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.result_value == 2
    after = {r["item"]: r["plan"] for r in monthly.annual_plan_rows(book, year=2027)}
    assert after["ZX01"] == 1000_00 and after["ZX02"] == 2000_00


def test_export_current_table_writes_real_dates(qtbot, book: Book, answers: dict[str, Any], tmp_path: Path) -> None:
    """The independent walk: 专账's own 导出当前表格… wrote 收到日期 as text while every other list's 导出 Excel wrote
    date cells. Both now use the same cell kinds."""
    import datetime as dt

    import openpyxl

    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    tab.pages.setCurrentIndex(0)
    answers["save_file"] = tmp_path / "指标登记.xlsx"
    tab.export()
    qtbot.waitUntil(lambda: (tmp_path / "指标登记.xlsx").exists(), timeout=20000)
    qtbot.waitUntil(lambda: not ops.Op.running, timeout=20000)
    ws = openpyxl.load_workbook(tmp_path / "指标登记.xlsx").active
    header_row = next(r for r in range(1, 10) if any(c.value == "收到日期" for c in ws[r]))
    col = next(c.column for c in ws[header_row] if c.value == "收到日期")
    first = ws.cell(header_row + 1, col).value
    assert isinstance(first, dt.datetime | dt.date), first


def test_the_register_dialog_names_kinds_and_items_as_the_chosen_year_does(qtbot, demo_file: Path, tmp_path: Path) -> None:
    """Issue 17: registering 2027 money (xj-2021 from 2027 on) lists 财政衔接推进乡村振兴补助资金 and its items; back
    to 2026 (xj-2019) the 2019 names return, and the chosen item stays chosen."""
    from app.models.store import rule_sets

    b = _open(demo_file, tmp_path, "juzhang")
    try:
        rule_sets.assign(b, from_year=2027, rule_set="xj-2021", reason="财农〔2021〕19号：按衔接资金管理")
        dialog = IndicatorDialog(b, None)
        qtbot.addWidget(dialog)
        dialog.kind.setCurrentIndex(dialog.kind.findData("ZX"))
        dialog.item.setCurrentIndex(dialog.item.findData("ZX02"))
        assert dialog.kind.currentText() == "ZX 财政专项扶贫资金" and dialog.item.currentText() == "ZX02 以工代赈资金"
        dialog.year.setValue(2027)
        assert dialog.kind.currentText() == "ZX 财政衔接推进乡村振兴补助资金"
        assert dialog.item.currentText() == "ZX02 以工代赈任务"
        dialog.year.setValue(2026)
        assert dialog.kind.currentText() == "ZX 财政专项扶贫资金" and dialog.item.currentText() == "ZX02 以工代赈资金"
    finally:
        b.close(backup=False)
