"""The window's 核验数据库 with the hash chain in worker processes: started from the verify's own background thread,
the report says so, an honest file passes and an edited audit record is named as the one walk names it."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from app.models.integrity import parallel
from app.models.store import audit
from app.models.store.book import Book
from app.ui.audit.tab import AuditTab


def test_window_verify_uses_worker_processes(qtbot, book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.ENV, "2")
    tab = AuditTab(book)
    qtbot.addWidget(tab)
    tab.run_verify()
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=60000)
    text = tab.report.toPlainText()
    assert "全部通过" in text and "✓ 审计日志哈希链——分段由 2 个子进程并行核验" in text, text
    start = audit.split(book.conn, 2)[-1].start_seq
    assert start > 0  # two parts
    raw = sqlite3.connect(book.path)
    seq = raw.execute("SELECT min(seq) FROM audit_log WHERE seq > ?", (start,)).fetchone()[0]
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE audit_log SET actor = coalesce(actor, '') || '改' WHERE seq = ?", (seq,))
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    expected = [str(f) for f in audit.check_chain(raw)]
    raw.close()
    assert expected and f"#{seq}（" in expected[0]
    tab.run_verify()
    qtbot.waitUntil(lambda: tab.verify_button.isEnabled(), timeout=60000)
    text = tab.report.toPlainText()
    assert "未通过" in text and expected[0] in text and "分段由 2 个子进程并行核验" in text, text
    assert multiprocessing.active_children() == []
