"""监控预警's 总览 and a spending bar's warnings are read off the GUI thread (issue #22 item 5). `DashboardTab.refresh`
(first paint, and every write elsewhere that touches warnings or the ledger) used to compute the overview on the GUI
thread — the counts group every stored warning (0.12 s of its 0.15–0.17 s at 1×, 157,647 warnings); the 支出进度
dialog read up to 1,000 of a type's warnings there too. Now both are read in a worker (kit.ops.Query.read): nothing of
them is read on the GUI thread, the page keeps what it shows until the newer read arrives, and an older read that
arrives last is discarded. Each test watches the reads on the GUI thread and fails if there is one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models.store.book import Book
from app.models.warnings import dashboard
from app.models.warnings import query as warnings_query
from app.ui.dashboard.dialogs import ListDialog
from app.ui.dashboard.tab import DashboardTab
from tests.conftest import FixedClock
from tests.ui.test_filters_off_gui_thread import hold_first_worker_call
from tests.ui.test_select_off_gui_thread import list_reads


@pytest.fixture
def tab(qtbot, demo_book: Book, monkeypatch: pytest.MonkeyPatch) -> DashboardTab:
    monkeypatch.setattr(DashboardTab, "AUTO_RECOMPUTE", False)  # only the reads under test run in workers
    demo_book.clock = FixedClock(dt.datetime(2026, 11, 24, 17, 0, 0))
    return demo_book  # type: ignore[return-value]


def test_the_overview_is_read_off_the_gui_thread_and_a_newer_refresh_wins(qtbot, tab: Any, monkeypatch) -> None:
    book: Book = tab
    expected = {c.code: (c.active, c.amount) for c in warnings_query.counts(book)}  # read directly, before watching
    gui, worker = list_reads(monkeypatch, warnings_query, ("counts",))
    overviews, _ = list_reads(monkeypatch, dashboard, ("overview",))
    page = DashboardTab(book)
    qtbot.addWidget(page)
    assert gui == [] and overviews == []  # first paint: nothing of the overview read on the GUI thread
    assert page.overview.current is None and page.overview.counts.rows == []
    assert page.wait()
    assert gui == [] and worker == ["counts"]
    shown = {r["code"]: (r["active"], r["amount"]) for r in page.overview.counts.rows if r["code"]}
    assert shown == expected and page.overview.counts.rows[-1]["type"] == "合计"
    assert "2026-11-24" in page.overview.title.text()

    gate = hold_first_worker_call(monkeypatch, dashboard, "overview")  # the next refresh's read waits
    book.clock = FixedClock(dt.datetime(2026, 11, 25, 9, 0, 0))
    page.refresh()  # a write elsewhere touched the warnings: held in the worker
    older = page.reading.current
    assert gui == [] and overviews == []
    assert "2026-11-24" in page.overview.title.text()  # the page keeps what it shows meanwhile
    book.clock = FixedClock(dt.datetime(2026, 11, 26, 9, 0, 0))
    page.refresh()  # a newer one: it wins
    assert page.wait()
    assert page.overview.current is not None and page.overview.current.as_of == dt.date(2026, 11, 26)
    gate.set()
    assert older is not None and older.wait()  # the older read arrives last: discarded
    assert page.overview.current.as_of == dt.date(2026, 11, 26) and "2026-11-26" in page.overview.title.text()
    assert gui == [] and overviews == [] and worker.count("counts") >= 2  # the older one may be interrupted


def test_a_spending_bars_warnings_are_read_off_the_gui_thread_and_a_newer_request_wins(qtbot, tab: Any,
                                                                                       monkeypatch) -> None:
    book: Book = tab
    page = DashboardTab(book)
    qtbot.addWidget(page)
    assert page.wait()
    every = warnings_query.WarningQuery(book, code="W5", state="").fetch(0, 1000)  # read directly, before watching
    kinds = sorted({r["key"].split(":")[2] for r in every if r["key"].startswith("W5:kind:")})
    assert len(kinds) >= 2
    year = page.overview.current.as_of.year

    def keys(kind: str) -> tuple[str, str]:
        return f"W5:kind:{kind}", f"W5:unpaid:{kind}:{year}"

    gui, worker = list_reads(monkeypatch, warnings_query.WarningQuery, ("count", "fetch"))
    got: list[tuple[str, list[Any]]] = []
    gate = hold_first_worker_call(monkeypatch, warnings_query.WarningQuery, "fetch")
    page.warnings_of("W5", *keys(kinds[0]), then=lambda rows: got.append((kinds[0], [r["id"] for r in rows])))
    older = page.finding.current
    page.warnings_of("W5", *keys(kinds[1]), then=lambda rows: got.append((kinds[1], [r["id"] for r in rows])))
    assert gui == [] and got == []  # answered at once, nothing read here
    assert page.wait()
    assert got == [(kinds[1], [r["id"] for r in every if r["key"] in keys(kinds[1])])] and got[0][1]
    gate.set()
    assert older is not None and older.wait()  # the older request arrives last: discarded
    assert len(got) == 1 and gui == [] and worker.count("fetch") == 2

    ListDialog.quiet, ListDialog.shown = True, []
    try:
        page.overview.open_kind(kinds[0])  # a bar clicked: no tab shows a fund kind, so the 支出进度 dialog
        assert gui == [] and ListDialog.shown == []  # its warnings are being read in a worker
        assert page.wait()
        assert [title for title, _ in ListDialog.shown] == ["支出进度"] and gui == []
    finally:
        ListDialog.quiet, ListDialog.shown = False, []
