"""The 审计 tab: filters, field differences, and verify off the GUI thread."""

from __future__ import annotations

import sqlite3

from app.models.store import users
from app.models.store.book import Book
from app.ui.audit.tab import AuditTab
from tests.conftest import PASSWORD


def test_filter_by_user_and_table(qtbot, qtmodeltester, book: Book) -> None:
    users.add_user(book, login="xiaowang", name="小王", role="clerk", password=PASSWORD)
    tab = AuditTab(book)
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.model)
    total = tab.model.total
    assert total == book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    tab.table.setCurrentIndex(tab.table.findData("users"))
    tab.apply_filter()
    assert tab.query.wait()
    assert 0 < tab.model.total < total
    assert all(r["tbl"] == "users" for r in tab.model.rows)
    tab.text.setText("xiaowang")
    tab.apply_filter()
    assert tab.query.wait()
    assert tab.model.total == 1 and tab.model.rows[0]["op_name"] == "新增用户"
    tab.view.selectRow(0)
    fields = {tab.detail.item(i, 0).text(): tab.detail.item(i, 2).text() for i in range(tab.detail.rowCount())}
    assert fields["login"] == "xiaowang" and fields["pw_tag"] == "（已更改）" and "pw_hash" not in fields


def test_verify_runs_in_background_and_reports(qtbot, book: Book) -> None:
    tab = AuditTab(book)
    qtbot.addWidget(tab)
    tab.run_verify()
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=20000)
    assert "全部通过" in tab.report.toPlainText()
    raw = sqlite3.connect(book.path)
    raw.execute("UPDATE bureau SET phone = '0999-1234567' WHERE id = 1")
    raw.commit()
    raw.close()
    tab.run_verify()
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=20000)
    assert "未通过" in tab.report.toPlainText() and "未经本程序封存" in tab.report.toPlainText()


def test_every_audited_table_has_a_chinese_name(book: Book) -> None:
    from app.models.store import audit_query

    tables = [r[0] for r in book.conn.execute("SELECT name FROM tracked_tables")]
    assert [t for t in tables if audit_query.table_label(t) == t] == []
