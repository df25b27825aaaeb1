"""Every table in the window (#20 items 9, 11, 12): 导出 Excel of the list as shown (filter and sort applied) with
real dates, money in 元 from 分, IDs as text, a 合计 row and print setup; Ctrl+C; the right-click menu; print
preview. Each exported workbook is opened again with openpyxl."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.export.table_xlsx import ExportColumn, write_table
from app.models.store.book import Book
from app.ui.kit import dialogs, ops, table_tools
from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable
from app.ui.shell.main_window import MainWindow


@pytest.fixture
def answers() -> Iterator[dict[str, Any]]:
    given: dict[str, Any] = {}
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: given.get(kind)
    table_tools.Preview.opened.clear()
    yield given
    dialogs.Ask.answer = None
    for dialog in table_tools.Preview.opened:
        dialog.close()
    table_tools.Preview.opened.clear()


@pytest.fixture
def window(qtbot, demo_book: Book, answers: dict[str, Any]) -> Iterator[MainWindow]:
    from app.ui.dashboard.tab import DashboardTab

    DashboardTab.AUTO_RECOMPUTE = False
    w = MainWindow(demo_book)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    yield w
    DashboardTab.AUTO_RECOMPUTE = True


def _all_tables(window: MainWindow) -> list[tuple[str, DataTable]]:
    found = []
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        page = window.tabs.widget(i)
        assert page is not None
        found += [(window.tabs.tabText(i), t) for t in page.findChildren(DataTable)]
    return found


def _check_workbook(path: Path, table: DataTable) -> None:
    model = table.lazy_model()
    rows = table_tools.all_rows(model)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    title = table_tools.table_title(table)
    assert ws["A1"].value == title
    header = [c.value for c in ws[3]][: len(model.columns)]
    assert header == [c.title for c in model.columns], title
    # print setup: landscape, one page wide, the header row on every page
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$3:$3"
    money_cols = [i for i, c in enumerate(model.columns) if c.kind == "money"]
    expected_last = 3 + len(rows) + (1 if money_cols else 0)
    assert ws.max_row == expected_last, (title, ws.max_row, expected_last)
    for r, row in enumerate(rows, start=4):
        for c, col in enumerate(model.columns, start=1):
            value, cell = row.get(col.key), ws.cell(r, c)
            if value is None or value == "":
                continue
            kind = table_tools.export_kind(col)
            if kind == "money" and isinstance(value, int):
                assert cell.value == Decimal(value) / 100 and cell.number_format == "#,##0.00;-#,##0.00", (title, col)
            elif kind == "date" and isinstance(value, str) and len(value) == 10 and value[4] == "-":
                assert isinstance(cell.value, dt.datetime) and cell.value.date().isoformat() == value, (title, col)
            elif kind == "text":
                assert cell.data_type == "s" and cell.value == str(value).replace("\x00", ""), (title, col)
    for c in money_cols:
        total = sum(v for v in (row.get(model.columns[c].key) for row in rows) if isinstance(v, int))
        assert ws.cell(expected_last, c + 1).value == Decimal(total) / 100, (title, model.columns[c].title)


def test_every_list_in_every_tab_exports_to_a_workbook(qtbot, window: MainWindow, tmp_path: Path,
                                                      answers: dict[str, Any]) -> None:
    tables = _all_tables(window)
    assert {tab for tab, _ in tables} >= {"监控预警", "专账", "项目计划", "支付审批", "公告公示", "绩效目标", "月报", "审计",
                                          "基础设置"}
    exported = 0
    kinds = set()
    for n, (tab, table) in enumerate(tables):
        answers["save_file"] = str(tmp_path / f"{n}.xlsx")
        path = table_tools.export_xlsx(table)
        qtbot.waitUntil(ops.idle, timeout=30000)
        assert path is not None and path.exists(), tab
        _check_workbook(path, table)
        exported += 1
        kinds |= {c.kind for c in table.lazy_model().columns if table.lazy_model().rows}
    assert exported == len(tables) >= 25
    assert {"money", "date"} <= kinds or "money" in kinds
    assert not [t for k, t in dialogs.Ask.shown if k == "error"]


def test_export_follows_filter_and_sort_and_reads_past_the_loaded_page(qtbot, tmp_path: Path,
                                                                      answers: dict[str, Any]) -> None:
    """A list longer than one page exports every row, in the user's sort; IDs and accounts stay text, dates
    are dates, a non-date in a date column stays text, a totals row sums the money exactly."""
    rows = [{"no": f"{i:03d}", "id_card": "65010219900101123X" if i % 2 else "650102199001011234",
             "account": "6228480012345678901", "amount": i * 101, "pay_date": f"2026-11-{1 + i % 28:02d}",
             "formula": "=SUM(A1:A9)"} for i in range(450)]
    rows[3]["pay_date"] = "—"
    columns = [Column("no", "编号"), Column("id_card", "身份证号"), Column("account", "账号"),
               Column("amount", "金额", "money"), Column("pay_date", "支付日期"), Column("formula", "备注")]
    model = LazyTableModel(columns, ListSource(rows))
    table = DataTable(model)
    qtbot.addWidget(table)
    table.setProperty("exportTitle", "测试/清单")
    table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    assert len(model.rows) == LazyTableModel.BATCH < len(rows)
    answers["save_file"] = str(tmp_path / "清单.xlsx")
    path = table_tools.export_xlsx(table, background=False)
    assert path is not None
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    assert ws.max_row == 3 + 450 + 1
    assert ws["A4"].value == "449" and ws["A4"].data_type == "s"  # sorted by amount, descending; "449" text
    assert ws["B4"].value == "65010219900101123X" and ws["C4"].value == "6228480012345678901"
    assert ws["C4"].data_type == "s"
    assert isinstance(ws["E4"].value, dt.datetime)
    assert ws["F4"].value == "=SUM(A1:A9)" and ws["F4"].data_type == "s"
    dash = next(r for r in range(4, 454) if ws.cell(r, 1).value == "003")
    assert ws.cell(dash, 5).value == "—"
    assert ws.cell(454, 4).value == Decimal(sum(i * 101 for i in range(450))) / 100
    assert ws.cell(454, 1).value == "合计（450 行）"


def test_a_file_name_windows_refuses_is_refused(qtbot, tmp_path: Path, answers: dict[str, Any]) -> None:
    table = DataTable(LazyTableModel([Column("a", "甲")], ListSource([{"a": "x"}])))
    qtbot.addWidget(table)
    answers["save_file"] = str(tmp_path / "CON.xlsx")
    assert table_tools.export_xlsx(table, background=False) is None
    assert any(kind == "error" and "CON" in text for kind, text in dialogs.Ask.shown)
    assert not (tmp_path / "CON.xlsx").exists()
    assert table_tools.default_file_name("月报/2026:11?") == "月报_2026_11_.xlsx"


def test_workbook_without_money_has_no_totals_row(tmp_path: Path) -> None:
    path = write_table(tmp_path / "a.xlsx", title="t", columns=[ExportColumn("甲"), ExportColumn("日", "date")],
                       rows=[["x", "2026-02-30"], ["y", dt.date(2026, 1, 2)]])
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    assert ws.max_row == 4 and ws["B3"].value == "2026-02-30" and ws["B3"].data_type == "s"
    assert ws["B4"].value == dt.datetime(2026, 1, 2)


def test_ctrl_c_copies_the_selected_rows_as_tab_separated_text(qtbot, answers: dict[str, Any]) -> None:
    rows = [{"a": "甲\t乙", "m": 12345}, {"a": "丙\n丁", "m": -5}, {"a": "戊", "m": 0}]
    table = DataTable(LazyTableModel([Column("a", "名称"), Column("m", "金额", "money")], ListSource(rows)))
    qtbot.addWidget(table)
    table.show()
    table.selectRow(0)
    table.selectionModel().select(table.model().index(2, 0), table.selectionModel().SelectionFlag.Select
                                  | table.selectionModel().SelectionFlag.Rows)
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    assert text == "名称\t金额\n甲 乙\t123.45\n戊\t0.00"  # a tab inside a cell does not shift the columns


def test_right_click_menu_on_the_payments_list_has_the_tools_and_the_rows_actions(qtbot, window: MainWindow,
                                                                                  answers: dict[str, Any]) -> None:
    window.tabs.setCurrentIndex(next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "支付审批"))
    page = window.tabs.currentWidget()
    assert page.requests.query.wait()  # the rows are read off the GUI thread: right-click one once shown
    table = page.requests.view
    rect = table.visualRect(table.model().index(1, 1))
    QApplication.sendEvent(table.viewport(), _context_event(rect.center(), table))
    menu = table.last_menu
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:4] == ["复制", "导出本表到 Excel…", "本表打印预览…", "打印本表…"]
    assert "审核通过" in " ".join(texts) and "退回…" in texts
    assert table.currentIndex().row() == 1  # the row under the pointer became the current one
    page_texts = {b.text(): b.isEnabled() for b in table_tools.page_buttons(table)}
    for action in menu.actions()[5:]:
        assert page_texts[action.text()] == action.isEnabled()
    menu.close()


def _context_event(pos: QPoint, table: DataTable) -> Any:
    from PySide6.QtGui import QContextMenuEvent

    return QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, table.viewport().mapToGlobal(pos))


def test_print_preview_of_a_list_renders_pages(qtbot, window: MainWindow, tmp_path: Path,
                                               answers: dict[str, Any]) -> None:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrinter

    window.tabs.setCurrentIndex(next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "专账"))
    assert window.tabs.currentWidget().query.wait()  # 指标登记's rows are read off the GUI thread: print them once shown
    table = window.tabs.currentWidget().findChildren(DataTable)[0]
    dialog = table_tools.preview_table(table)
    assert dialog.isVisible() and "打印预览" in dialog.windowTitle()
    dialog.close()
    printer = table_tools.landscape_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "list.pdf"))
    table_tools.print_document(table_tools.table_document(table), printer)
    doc = QPdfDocument(None)
    doc.load(str(tmp_path / "list.pdf"))
    assert doc.pageCount() >= 1
    size = doc.pagePointSize(0)
    assert size.width() > size.height()  # landscape
    html = table_tools.table_html("t", [Column("a", "甲")], [{"a": "<b>x</b>"}])
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_monthly_package_print_preview_shows_the_package_pdf(qtbot, window: MainWindow, tmp_path: Path,
                                                            answers: dict[str, Any]) -> None:
    """月报 › 打印预览: the month's PDF made in the background, its pages drawn on the printer's pages."""
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrinter

    from app.ui.kit import pdf_print

    window.tabs.setCurrentIndex(next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "月报"))
    tab = window.tabs.currentWidget()
    row = next(r for r, m in enumerate(tab.months.lazy_model().rows) if m["month"] == "2026-10")
    tab.months.selectRow(row)
    assert tab.print_button.isEnabled()
    tab.print_package()
    qtbot.waitUntil(ops.idle, timeout=120000)
    assert tab.printed is not None and tab.printed.page_count() >= 5
    dialog = table_tools.Preview.opened[-1]
    assert "2026-10 月报" in dialog.windowTitle()
    signed_rows = [r for r, m in enumerate(tab.months.lazy_model().rows) if m["status"] == "已签发"]
    assert signed_rows  # the demo county has signed months
    if signed_rows:  # a signed month prints the PDF exactly as sent, not a fresh preview
        from app.export import signed

        tab.months.selectRow(signed_rows[0])
        month = tab.months.lazy_model().rows[signed_rows[0]]
        tab.print_package()
        qtbot.waitUntil(ops.idle, timeout=120000)
        sent = signed.signed_files(window.book, month=month["month"], version=int(month["version"]))
        assert bytes(tab.printed.buffer.data().data()) in [d for n, d in sent.items() if n.endswith(".pdf")]
        assert "已签发" in table_tools.Preview.opened[-1].windowTitle()
        tab.months.selectRow(row)
        tab.print_package()
        qtbot.waitUntil(ops.idle, timeout=120000)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    pdf_print.paint_pdf(tab.printed)(printer)
    doc = QPdfDocument(None)
    doc.load(str(tmp_path / "printed.pdf"))
    assert doc.pageCount() == tab.printed.page_count()
    image = doc.render(0, doc.pagePointSize(0).toSize())
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}) > 1


def test_a_broken_pdf_is_refused_with_a_message() -> None:
    from app.models.values.errors import AppError
    from app.ui.kit import pdf_print

    with pytest.raises(AppError) as err:
        pdf_print.PdfSource(b"%PDF-1.4 not really")
    assert "PDF" in str(err.value)


def test_a_table_in_a_dialog_does_not_offer_the_page_behind_it(qtbot) -> None:
    from PySide6.QtWidgets import QDialog, QPushButton, QVBoxLayout, QWidget

    page = QWidget()
    page.buttons = {"register": QPushButton("登记指标…", page)}  # type: ignore[attr-defined]
    qtbot.addWidget(page)
    dialog = QDialog(page)
    table = DataTable(LazyTableModel([Column("a", "甲")], ListSource([{"a": "x"}])))
    QVBoxLayout(dialog).addWidget(table)
    assert table_tools.page_buttons(table) == []
    inline = DataTable(LazyTableModel([Column("a", "甲")], ListSource([{"a": "x"}])), page)
    assert [b.text() for b in table_tools.page_buttons(inline)] == ["登记指标…"]
