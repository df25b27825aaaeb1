"""The Chinese-named views an auditor reads in DB Browser: each works and agrees with its table."""

from __future__ import annotations

import datetime as dt

from app.models.store.book import Book
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

VIEWS = ["v_用户", "v_指标", "v_专账明细", "v_项目", "v_支付明细", "v_公告", "v_预警", "v_问题台账", "v_签发记录", "v_审计日志"]


def test_views_exist_and_agree(book: Book, clock) -> None:
    clock.now = dt.datetime(2026, 11, 2, 9, 0)
    login_as(book, "clerk")
    register(book, amount=1_234_567_89, received_date=dt.date(2026, 10, 9))
    names = {r[0] for r in book.conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert set(VIEWS) <= names
    for view in VIEWS:
        book.conn.execute(f"SELECT * FROM {view}").fetchall()
    row = book.conn.execute("SELECT 金额_分, 金额_元, 资金大类 FROM v_指标").fetchone()
    assert tuple(row) == (1_234_567_89, "1234567.89", "财政专项扶贫资金")
    total = book.conn.execute("SELECT sum(金额_分) FROM v_专账明细 WHERE 方向 = '收入方'").fetchone()[0]
    assert total == book.conn.execute("SELECT sum(sign * amount) FROM ledger_entries WHERE side = 'income'").fetchone()[0]
    assert "pw_hash" not in [c[1] for c in book.conn.execute("PRAGMA table_info(v_用户)")]
    assert book.conn.execute("SELECT count(*) FROM v_审计日志").fetchone()[0] == \
        book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
