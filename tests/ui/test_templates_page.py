"""月报 › 自治区模板: a clerk registers the region's 表1 in the window; the exported month fills it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.reports.tab import ReportsTab
from app.ui.reports.templates_page import MAPPING_TITLE, TEMPLATE_TITLE, RegisterTemplateDialog
from app.ui.shell.folders import Folders
from tests.conftest import login_as
from tests.export.test_template import TABLE1_MAPPING, make_table1_template
from tests.models.reports.test_monthly import october  # noqa: F401 - fixture
from tests.models.reports.test_monthly_templates import assert_table1_from_template


@pytest.fixture
def files(tmp_path: Path):
    """What the user picks: chosen["template"], chosen["mapping"]; folders go to tmp/out."""
    chosen: dict[str, object] = {"template": None, "mapping": None, "confirm": True}
    out = tmp_path / "out"
    out.mkdir()

    def answer(kind: str, text: str):
        if kind == "open_file":
            return chosen["template"] if text == TEMPLATE_TITLE else chosen["mapping"] if text == MAPPING_TITLE else None
        return {"folder": str(out), "confirm": chosen["confirm"]}.get(kind)

    dialogs.Ask.shown = []
    dialogs.Ask.answer = answer
    Folders.enabled, Folders.opened = False, []
    chosen["out"] = out
    yield chosen
    dialogs.Ask.answer = None
    RegisterTemplateDialog.answer = None
    Folders.enabled = True


def _fill(table_id: str, *, mapping: bool = False):
    """Stand in for the user in the dialog: choose the table and the file(s), press 登记."""
    def answer(d: RegisterTemplateDialog) -> bool:
        d.table.setCurrentIndex(d.table.findData(table_id))
        d.choose_template()
        if mapping:
            d.choose_mapping()
        answer.dialog = d  # type: ignore[attr-defined]
        return d.register()

    return answer


def _count(book: Book, table: str) -> int:
    return int(book.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _open_templates(tab: ReportsTab) -> None:
    """As the user does: the 月报 tab shown, its 自治区模板 page opened (the page reads its list when first shown)."""
    tab.show()
    tab.pages.setCurrentWidget(tab.templates)


def _select(tab: ReportsTab, month: str) -> None:
    rows = [r["month"] for r in tab.months_model.rows]
    tab.months.selectRow(rows.index(month))


def test_clerk_registers_in_the_window_and_the_export_fills_it(qtbot, qtmodeltester, october: Book,  # noqa: F811
                                                                files, tmp_path: Path) -> None:
    login_as(october, "clerk")
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _open_templates(tab)
    page = tab.templates
    qtmodeltester.check(page.model)
    assert page.register_button.isEnabled()
    files["template"] = str(make_table1_template(tmp_path / "自治区表1.xlsx"))
    RegisterTemplateDialog.answer = _fill("表1")
    page.register()
    assert dialogs.Ask.shown[-1] == ("info", "已登记 表1 的模板，导出和签发时该表按模板填写。")
    row = next(r for r in page.model.rows if r["table"] == "表1")
    assert row["registered"] and row["file"] == "自治区表1.xlsx" and row["registered_by"] == "clerk-用户"
    assert page.selected_table() == "表1"
    shown = {page.uses.item(i, 1).text(): page.uses.item(i, 2).text() for i in range(page.uses.rowCount())}
    assert shown["{{合计.累计到位小计}}"] == "合计行 · 累计到位小计" and "{{行.资金类别}}" in shown
    # export the month (预览稿, off the GUI thread): 表1 is the template, the others the built-in layout
    _select(tab, "2026-10")
    tab.write_preview()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    workbook = next((files["out"] / "预览稿").glob("*/*.xlsx"))
    assert_table1_from_template(workbook, october.path)
    assert Folders.opened == [workbook.parent]
    # 取消登记: back to the built-in layout
    page.remove()
    assert not next(r for r in page.model.rows if r["table"] == "表1")["registered"]
    assert page.uses.rowCount() == 0


def test_mapping_file_through_the_dialog(qtbot, october: Book, files, tmp_path: Path) -> None:  # noqa: F811
    login_as(october, "clerk")
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _open_templates(tab)
    files["template"] = str(make_table1_template(tmp_path / "自治区表1.xlsx", marked=False))
    mapping = tmp_path / "对应.txt"
    mapping.write_text(TABLE1_MAPPING, encoding="utf-8")
    files["mapping"] = str(mapping)
    RegisterTemplateDialog.answer = _fill("表1", mapping=True)
    tab.templates.register()
    assert next(r for r in tab.templates.model.rows if r["table"] == "表1")["registered"]
    assert tab.templates.uses.rowCount() == 5


def test_bad_template_shows_the_chinese_reason_and_writes_nothing(qtbot, october: Book, files,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    login_as(october, "clerk")
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _open_templates(tab)
    files["template"] = str(make_table1_template(tmp_path / "坏表1.xlsx", extra={"D2": "{{填报人}}"}))
    before = [_count(october, t) for t in ("report_templates", "attachments", "audit_log")]
    fill = _fill("表1")
    RegisterTemplateDialog.answer = fill
    tab.templates.register()
    dialog = fill.dialog  # type: ignore[attr-defined]
    text = dialog.message.toPlainText()
    assert "表1 模板 坏表1.xlsx 不能使用" in text and "附表1!D2：未知的占位符 {{填报人}}" in text
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.uses.rowCount() == 0
    assert [_count(october, t) for t in ("report_templates", "attachments", "audit_log")] == before
    assert not next(r for r in tab.templates.model.rows if r["table"] == "表1")["registered"]
    assert not any(kind == "info" for kind, _ in dialogs.Ask.shown)
    (tmp_path / "not.xlsx").write_text("这不是工作簿", encoding="utf-8")
    files["template"] = str(tmp_path / "not.xlsx")
    tab.templates.register()
    assert "无法读取" in fill.dialog.message.toPlainText()  # type: ignore[attr-defined]
    assert [_count(october, t) for t in ("report_templates", "attachments", "audit_log")] == before


def test_chief_and_read_only_only_look(qtbot, october: Book) -> None:  # noqa: F811
    tab = ReportsTab(october)  # logged in as the chief
    qtbot.addWidget(tab)
    _open_templates(tab)
    assert not tab.templates.register_button.isEnabled() and not tab.templates.remove_button.isEnabled()
    assert tab.templates.model.rowCount() == 10
