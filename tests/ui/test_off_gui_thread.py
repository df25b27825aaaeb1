"""Work that grows with the data runs off the GUI thread (issue #22 item 5): the warnings save, the audit-log
and payments filters, and the treasury import's header reading and dry run. Each test wraps the model
function the window calls and records the thread it ran on; the naive version (a direct call from the slot)
records the GUI thread and fails."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.demo import ledger as demo_ledger
from app.models.ledger import treasury
from app.models.payments import query as payment_query
from app.models.store import audit_query
from app.models.store.book import Book
from app.models.warnings import engine as warn
from app.ui.audit.tab import AuditTab
from app.ui.dashboard.tab import DashboardTab
from app.ui.kit import ops
from app.ui.ledger.treasury_import import TreasuryImportDialog
from app.ui.payments.tab import RequestsPage


@pytest.fixture
def threads() -> Iterator[dict[str, list[threading.Thread]]]:
    yield {}


def spy(monkeypatch: pytest.MonkeyPatch, seen: dict[str, list[threading.Thread]], owner: Any, name: str) -> None:
    """Replace owner.name by a wrapper that records the thread each call runs on."""
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.setdefault(name, []).append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


def off_gui(calls: list[threading.Thread]) -> bool:
    return bool(calls) and all(t is not threading.main_thread() for t in calls)


def test_warnings_are_detected_and_saved_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch, threads) -> None:
    spy(monkeypatch, threads, warn, "recompute")
    spy(monkeypatch, threads, warn, "detect_incremental")
    monkeypatch.setattr(DashboardTab, "AUTO_RECOMPUTE", False)
    tab = DashboardTab(demo_book)
    qtbot.addWidget(tab)
    tab.recompute_now()
    qtbot.waitUntil(ops.idle, timeout=60000)
    assert off_gui(threads["recompute"]) and off_gui(threads["detect_incremental"])
    assert warn.last_run(demo_book) is not None  # it was saved, and the window's connection sees it


def test_audit_filter_counts_and_reads_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch, threads) -> None:
    tab = AuditTab(demo_book)
    qtbot.addWidget(tab)
    assert tab.query.wait()
    total = tab.model.total
    spy(monkeypatch, threads, audit_query.LogQuery, "count")
    spy(monkeypatch, threads, audit_query.LogQuery, "fetch")
    tab.table.setCurrentIndex(tab.table.findData("payments"))
    tab.apply_filter()
    assert tab.query.wait()
    assert off_gui(threads["count"]) and off_gui(threads["fetch"])
    expected = demo_book.conn.execute("SELECT count(*) FROM audit_log WHERE tbl = 'payments'").fetchone()[0]
    assert 0 < tab.model.total == expected < total
    assert all(r["tbl"] == "payments" for r in tab.model.rows)
    tab.view.scrollToBottom()  # later pages come from the window's connection, on demand
    if tab.model.canFetchMore():
        tab.model.fetchMore()
    assert len({r["seq"] for r in tab.model.rows}) == len(tab.model.rows)


def test_a_newer_filter_wins_over_one_still_running(qtbot, demo_book: Book) -> None:
    tab = AuditTab(demo_book)
    qtbot.addWidget(tab)
    tab.table.setCurrentIndex(tab.table.findData("payments"))
    tab.apply_filter()
    first = tab.query.current
    tab.table.setCurrentIndex(tab.table.findData("users"))
    tab.apply_filter()
    assert tab.query.wait() and first is not None and first.wait()
    assert tab.model.total > 0 and all(r["tbl"] == "users" for r in tab.model.rows)


def test_payments_filter_runs_off_the_gui_thread(qtbot, demo_book: Book, monkeypatch, threads) -> None:
    page = RequestsPage(demo_book)
    qtbot.addWidget(page)
    spy(monkeypatch, threads, payment_query.PaymentQuery, "count")
    spy(monkeypatch, threads, payment_query.PaymentQuery, "fetch")
    code = str(demo_book.conn.execute("SELECT request_no FROM payments ORDER BY id DESC LIMIT 1").fetchone()[0])
    page.text.setText(code)
    page.apply_filter()
    assert page.query.wait()
    assert off_gui(threads["count"]) and off_gui(threads["fetch"])
    assert page.model.total >= 1 and any(r["request_no"] == code for r in page.model.rows)


def test_treasury_import_reads_the_file_off_the_gui_thread(qtbot, demo_book: Book, tmp_path: Path, monkeypatch,
                                                           threads) -> None:
    path = tmp_path / "国库支付数据.xlsx"
    demo_ledger.write_treasury_export(demo_book, path)
    spy(monkeypatch, threads, treasury, "headers")
    spy(monkeypatch, threads, treasury, "plan")
    dialog = TreasuryImportDialog(demo_book, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.plan is not None or dialog.failed is not None, timeout=30000)
    assert dialog.plan is not None, dialog.failed
    assert off_gui(threads["headers"]) and off_gui(threads["plan"])
    # the columns were offered once the headers arrived, the recognised ones chosen
    assert all(c.count() > 1 for c in dialog.combos.values())
    assert dialog.mapping() == dialog.plan.mapping
    # the preview lists every row, made into display rows a page at a time
    assert dialog.model.total == len(dialog.plan.rows) and len(dialog.model.rows) <= dialog.model.BATCH
    first = dialog.model.rows[0]
    assert first == dialog.plan.rows[0].as_dict()
    dialog.model.sort(5)  # 国库金额, ascending
    amounts = [r["amount"] for r in dialog.model.rows]
    assert amounts == sorted(amounts) and amounts[0] == min(r.amount for r in dialog.plan.rows)
    dialog.preview_button.click()  # 重新检查 with the chosen columns: again off the GUI thread
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=30000)
    assert off_gui(threads["plan"]) and len(threads["plan"]) == 2 and len(threads["headers"]) == 1
