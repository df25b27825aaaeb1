"""What the GUI thread does when the 审计 table pages down, when 支付审批's 管理费 entry is opened, and when 监控预警's
总览 is painted or refreshed (issue #22 item 5).

    python benchmarks/bench_gui_more.py 县.db [--login chief --password bench-pass-1] [--only NAME]

Offscreen, the file opened read-only. Each tab is built alone, shown and its rows left to arrive; a set-up (not timed)
brings it to the state named; then one action is timed as in bench_gui_actions.py: the GUI thread's CPU seconds for
"call + processEvents + repaint", the GUI thread's CPU seconds once every operation it started has ended, and the
wall seconds until then; and `longest`, the longest single stretch of GUI-thread CPU among them (the call itself, or
one `processEvents` while waiting: an arrival, a collection of the garbage collector — the freeze a user feels; the
total also counts this script's own polling every 2 ms, which grows with the wall time). Prints one JSON line;
compare two versions with PYTHONPATH at each tree, alternating.

- 审计 向下翻页（第 N 行处）: the model given the first N lines of the log (set-up: read in one statement — seq,
  time, user, table, key, action, sealed; 变更内容 left empty, it is not what the next page reads), then the view's
  `fetchMore` (the next 200 lines). 审计 筛选 支付申请 向下翻页: the same under the filter 数据表 = 支付申请.
- 审计 筛选（数据表 = 支付申请 / 文字 “100”）: the filter applied (`apply_filter`).
- 支付审批 管理费: `RequestsPage.select("management_fee", year)` (a W4 warning opened). The 1x county has no
  management-fee request, so this process's rule set calls 劳务报酬 (labour_pay) a management fee (set-up, both
  versions): with the table sorted by 支付类型 descending the first such request is row 40,200; in the default order
  it is near the top; “读取中” opens it while the list's first page is still being read (a filter just applied).
- 总览 首次显示: a second `DashboardTab` built and shown (automatic recompute off, as for a read-only file); 总览 刷新:
  `DashboardTab.refresh()` (what a write elsewhere that touches warnings or the ledger calls); 支出进度 对话框:
  `warnings_of` for the W5 warnings of a fund kind that has one (the dialog itself not shown).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import time
from collections.abc import Callable
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"


def log_lines(query: Any, n: int) -> list[dict[str, Any]]:
    """The first `n` lines of the log under `query`'s filter, newest first, in the table's keys (set-up)."""
    where, args = query._where()
    run_where, run_args = query._where(runs=True)
    sql = (f"SELECT seq, at, actor AS actor_name, op AS op_name, tbl AS table_name, tbl, row_key, action, "
           f"action AS action_name, '' AS changes, hash IS NOT NULL AS sealed FROM audit_log{where} UNION ALL "
           f"SELECT first_seq, at, actor, op, tbl, tbl, keys, 'R', 'R', '', 1 FROM audit_runs{run_where} "
           "ORDER BY seq DESC LIMIT ?")
    return [dict(r) for r in query.book.conn.execute(sql, [*args, *run_args, n])]


def labour_as_fee(book: Any) -> None:
    """This process's rule set calls 劳务报酬 a management fee (the 1x county has no management-fee request)."""
    rules = book.rules
    kinds = tuple(dataclasses.replace(k, management_fee=k.code == "labour_pay") for k in rules.payment.kinds)
    book._rules = dataclasses.replace(rules, payment=dataclasses.replace(rules.payment, kinds=kinds))


def done(tab: Any) -> None:
    """The tab closed and deleted before the next case is built."""
    tab.close()
    tab.deleteLater()


def main() -> None:
    parser = argparse.ArgumentParser(description="The audit table's next page and the 管理费 entry, timed.")
    parser.add_argument("db", help="a county file (opened read-only)")
    for flag, default in (("--login", "chief"), ("--password", "bench-pass-1"), ("--only", "")):
        parser.add_argument(flag, default=default)
    args = parser.parse_args()

    from PySide6.QtCore import Qt

    from app.models.store import users
    from app.models.store.book import open_book
    from app.ui.audit.tab import AuditTab
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.kit import ops
    from app.ui.payments.tab import PaymentsTab
    from app.ui.shell.app import make_app

    app = make_app()
    book = open_book(args.db, read_only=True)
    users.login(book, args.login, args.password)
    labour_as_fee(book)

    DashboardTab.AUTO_RECOMPUTE = False  # the 总览 cases time reading, not the recompute a new day starts
    longest = [0.0]

    def pump() -> None:
        cpu = time.thread_time()
        app.processEvents()
        longest[0] = max(longest[0], time.thread_time() - cpu)

    def idle() -> None:
        """Until every operation started has ended and its result been shown."""
        pump()
        while not ops.idle():
            time.sleep(0.002)
            pump()
        pump()

    def deep(table: str, n: int) -> Callable[[Any], object]:
        def ready(tab: Any) -> None:
            if table:
                tab.table.setCurrentIndex(tab.table.findData(table))
                tab.apply_filter()
                idle()
            model = tab.model
            model.load(model.source, model.total, log_lines(model.source, n))
        return ready

    def filtered(table: str = "", text: str = "") -> Callable[[Any], object]:
        def act(tab: Any) -> None:
            tab.table.setCurrentIndex(tab.table.findData(table) if table else 0)
            tab.text.setText(text)
            tab.apply_filter()
        return act

    def by_kind(tab: Any) -> None:
        model = tab.requests.model
        column = next(i for i, c in enumerate(model.columns) if c.key == "kind_name")
        tab.requests.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)

    def fee(tab: Any) -> object:
        return tab.requests.select("management_fee", book.today().year)

    def fee_while_reading(tab: Any) -> object:
        tab.requests.apply_filter()  # the first page being read again (a filter applied)
        return fee(tab)

    def scroll(tab: Any) -> object:
        tab.model.fetchMore()
        return len(tab.model.rows)

    def first_paint(_tab: Any) -> object:
        other = DashboardTab(book)
        other.resize(1280, 760)
        other.show()
        app.processEvents()
        kept.append(other)
        return True

    def refresh(tab: Any) -> object:
        tab.refresh()
        return True

    w5 = book.conn.execute("SELECT key FROM warnings WHERE code = 'W5' AND key LIKE 'W5:kind:%' LIMIT 1").fetchone()
    kind = str(w5[0]).split(":")[2] if w5 else "ZX"  # a fund kind that has a spending warning (set-up)

    def spending(tab: Any) -> object:
        keys = (f"W5:kind:{kind}", f"W5:unpaid:{kind}:{book.today().year}")
        found: list[Any] = []
        try:
            tab.warnings_of("W5", *keys, then=found.extend)  # this branch: read in a worker
        except TypeError:
            found.extend(tab.warnings_of("W5", *keys))  # before: read here
        return found  # counted once every read has arrived

    kept: list[Any] = []
    audit_tab: Callable[[], Any] = lambda: AuditTab(book)  # noqa: E731
    dashboard_tab: Callable[[], Any] = lambda: DashboardTab(book)  # noqa: E731
    payments_tab: Callable[[], Any] = lambda: PaymentsTab(book)  # noqa: E731
    cases: list[tuple[str, Callable[[], Any], Callable[[Any], object] | None, Callable[[Any], object]]] = [
        ("审计 向下翻页（第 20,000 行处）", audit_tab, deep("", 20000), scroll),
        ("审计 向下翻页（第 450,000 行处）", audit_tab, deep("", 450000), scroll),
        ("审计 筛选 支付申请 向下翻页（第 30,000 行处）", audit_tab, deep("payments", 30000), scroll),
        ("审计 筛选（数据表 = 支付申请）", audit_tab, None, filtered("payments")),
        ("审计 筛选（文字 “100”）", audit_tab, None, filtered(text="100")),
        ("支付审批 管理费（默认顺序）", payments_tab, None, fee),
        ("支付审批 管理费（按支付类型降序）", payments_tab, by_kind, fee),
        ("支付审批 管理费（第一页读取中）", payments_tab, None, fee_while_reading),
        ("总览 首次显示", dashboard_tab, None, first_paint),
        ("总览 刷新", dashboard_tab, None, refresh),
        ("支出进度 对话框（W5）", dashboard_tab, None, spending),
    ]
    out: dict[str, Any] = {}
    for name, build, ready, act in cases:
        if args.only and args.only not in name:
            continue
        tab = build()
        tab.resize(1280, 760)
        tab.show()
        idle()
        if ready is not None:
            ready(tab)
            idle()
        tab.repaint()
        cpu, wall = time.thread_time(), time.perf_counter()
        answer = act(tab)
        app.processEvents()
        tab.repaint()
        at_once = time.thread_time() - cpu
        longest[0] = at_once
        idle()
        tab.repaint()
        view = getattr(getattr(tab, "requests", tab), "view", None)
        shown = view.currentIndex().row() if view is not None else None
        out[name] = {"gui": round(at_once, 3), "gui_total": round(time.thread_time() - cpu, 3),
                     "wall": round(time.perf_counter() - wall, 3), "longest": round(longest[0], 3),
                     "answer": len(answer) if isinstance(answer, list) else answer,
                     "row": shown}
        for other in kept:
            done(other)
        kept.clear()
        done(tab)
        del tab
        gc.collect()  # on the GUI thread
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
