"""What the GUI thread does on a tab's own write, F5, a header click and a ledger filter (issue #22 item 5).

    python benchmarks/bench_gui_actions.py 县.db [--login chief --password bench-pass-1] [--only NAME]

Offscreen; the file opened read-only (no write is made: a write's own statements are unchanged, what follows it
is measured — the re-read a tab runs after its own write is the one F5 runs). Each tab is built alone, shown and
its rows left to arrive; then one action is timed: "call + processEvents + repaint" on the GUI thread (first
figure), again once every operation it started has ended (second), with the wall time until then (third), s.

- 公告公示 保存后重读: `NoticesTab.reload()` (what recording or changing a notice, and F5, run)
- 支付审批 排序: a click on the 金额 header (descending); 审计 排序: a click on 序号 (oldest first)
- 专账 F5: the main window's `refresh_current` on the tab (`refresh`, else `reload`)
- 专账 筛选（专账明细 / 收支余 / 对账 在前）: month → 7 with that page in front
- 支付审批 / 项目计划 / 绩效目标 / 专账 保存后重读: the row selected (the first, or the one at row 2,000 — read
  there on the GUI thread before timing), then what the tab runs after its own save of that row:
  `RequestsPage.reload(id)`, `PlanTab.reload(id)`, `PerformanceTab.reload()`, 专账 `after_write()` (the old
  `reload()` where there is none)
- 支付审批 / 项目计划 / 收款人 打开对象: the tab sorted (金额 / 名称 / 开户银行, descending), then the row 3,000 / 2,000
  / 2,000 down opened from elsewhere (a warning, the search): the tab's `select(kind, id)`
- 收款人 保存后重读: the payee at row 2,000 selected, then what the page runs after its own save
- 支付审批 向下翻页: the rows read down to row 3,000 / 20,000 (set-up), then the view's `fetchMore` (the next page)
- 专账 / 公告公示 / 绩效目标 / 预警清单 打开对象: as above — 指标登记 sorted by 指标金额 (the filter shows this year; the
  indicator 800 rows down among every year's is hidden by it), the records by 标题, the projects by 安排资金, the
  warnings by 涉及金额 (select shows every warning)
- 专账明细 / 公告公示 / 预警清单 向下翻页: as 支付审批's; 公告公示 义务 向下翻页: the obligations sorted by 金额
  (descending), read down to row 3,000, then the next page
- 预警清单 筛选: 范围 → 全部 (every warning, not only those still firing), then 状态 → the second status; 预警清单 表头排序:
  a click on the 涉及金额 header (descending); 问题台账 筛选: 范围 → 全部; 总览 打开该类预警: `DashboardTab.show_warnings`
  with the type that has the most warnings still firing (what a double-click in 预警分类统计 runs)

Prints one JSON line. Compare two versions with PYTHONPATH at each source tree, alternating (bench_tab_paint.py)."""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import time
from collections.abc import Callable
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--login", default="chief")
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--only", default="")
    args = ap.parse_args()

    from PySide6.QtCore import Qt

    from app.models.ledger.indicator_query import IndicatorQuery
    from app.models.notices.query import NoticeQuery
    from app.models.payments import query as payment_query
    from app.models.performance.query import PerfProjectQuery
    from app.models.plan import payees, projects
    from app.models.store import users
    from app.models.store.book import open_book
    from app.models.warnings.query import WarningQuery
    from app.ui.audit.tab import AuditTab
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.dashboard.warning_pages import ProblemsPage, WarningsPage
    from app.ui.kit import ops
    from app.ui.ledger.tab import LedgerTab
    from app.ui.notices.tab import NoticesTab
    from app.ui.payments.tab import PaymentsTab
    from app.ui.performance.tab import PerformanceTab
    from app.ui.plan.tab import PlanTab
    from app.ui.shell.app import make_app

    app = make_app()
    book = open_book(args.db, read_only=True)
    users.login(book, args.login, args.password)

    def settle() -> None:
        while not ops.idle():
            app.processEvents()
            time.sleep(0.002)
        app.processEvents()

    def column(model: Any, key: str) -> int:
        return next(i for i, c in enumerate(model.columns) if c.key == key)

    def f5(tab: Any) -> None:
        (getattr(tab, "refresh", None) or tab.reload)()

    def ledger_filter(page: int) -> tuple[Callable[[], Any], Callable[[Any], object]]:
        def build() -> Any:
            tab = LedgerTab(book)
            tab.pages.setCurrentIndex(page)
            return tab
        return build, lambda tab: tab.month.setCurrentIndex(tab.month.findData(7))

    def at(view: Any, row: int) -> None:
        """Select the row at `row` (fetching the pages before it: set-up, not timed)."""
        model = view.lazy_model()
        row = max(0, min(row, model.total - 1))
        while len(model.rows) <= row and model.canFetchMore():
            getattr(model, "fetch_now", model.fetchMore)()  # here and now (a model paging off the GUI thread too)
        view.selectRow(row)

    prepare: dict[str, Callable[[Any], object]] = {}  # name → set-up once the rows have arrived (not timed)

    def saved(name: str, build: Callable[[], Any], view: Callable[[Any], Any], row: int,
              again: Callable[[Any], object]) -> tuple[str, Callable[[], Any], Callable[[Any], object]]:
        prepare[name] = lambda tab: at(view(tab), row)
        return name, build, again

    def ledger_saved(tab: Any) -> None:
        (getattr(tab, "after_write", None) or tab.reload)()

    def own(row: int) -> list[tuple[str, Callable[[], Any], Callable[[Any], object]]]:
        where = "首行" if row == 0 else f"第 {row:,} 行"
        return [
            saved(f"支付审批 保存后重读（{where}）", lambda: PaymentsTab(book), lambda t: t.requests.view, row,
                  lambda t: t.requests.reload(t.requests.current()["id"])),
            saved(f"项目计划 保存后重读（{where}）", lambda: PlanTab(book), lambda t: t.view, row,
                  lambda t: t.reload(t.current()["id"])),
            saved(f"绩效目标 保存后重读（{where}）", lambda: PerformanceTab(book), lambda t: t.project_view, row,
                  lambda t: t.reload()),
            saved(f"专账 保存后重读（{where}）", lambda: LedgerTab(book), lambda t: t.indicators, row, ledger_saved),
        ]

    def sorted_by(view: Any, key: str, descending: bool) -> None:
        view.sortByColumn(column(view.lazy_model(), key), Qt.SortOrder.DescendingOrder if descending
                          else Qt.SortOrder.AscendingOrder)

    def opened(name: str, build: Callable[[], Any], view: Callable[[Any], Any], key: str, kind: str, row: int,
               source: Callable[[], Any]) -> tuple[str, Callable[[], Any], Callable[[Any], object]]:
        """The object at `row` under a descending sort by `key` opened from elsewhere (a warning, the search):
        the tab's `select` (set-up, not timed: the sort, and the object's id read directly)."""
        def ready(tab: Any) -> None:
            sorted_by(view(tab), key, True)
            settle()
            rows = source()
            tab.bench_id = rows.fetch(min(row, rows.count() - 1), 1, key, True)[0]["id"]  # (a smaller county: its last)
        prepare[name] = ready
        return name, build, lambda tab: tab.select(kind, tab.bench_id)

    def payees_tab() -> Any:
        tab = PaymentsTab(book)
        tab.setCurrentWidget(tab.payees)
        return tab

    def payees_saved(tab: Any) -> None:
        page = tab.payees
        if "select_id" in inspect.signature(page.reload).parameters:
            page.reload(page.current()["id"])
        else:
            page.reload()  # the old page: what its own save ran

    def scrolled(name: str, build: Callable[[], Any], view: Callable[[Any], Any], row: int
                 ) -> tuple[str, Callable[[], Any], Callable[[Any], object]]:
        """The view scrolled to the last row read, `row` rows down: the next page (Qt's fetchMore)."""
        prepare[name] = lambda tab: at(view(tab), row - 1)
        return name, build, lambda tab: view(tab).lazy_model().fetchMore()

    def obligations_scrolled(name: str, row: int) -> tuple[str, Callable[[], Any], Callable[[Any], object]]:
        """公告公示's obligations sorted by 金额 (descending), read down to `row`: the next page."""
        def ready(tab: Any) -> None:
            sorted_by(tab.obligations, "amount", True)
            settle()
            at(tab.obligations, row - 1)
        prepare[name] = ready
        return name, lambda: NoticesTab(book), lambda tab: tab.obligations.lazy_model().fetchMore()

    def warnings_page() -> Any:
        page = WarningsPage(book)
        page.ensure_loaded()  # (the 监控预警 tab does so when the page is first shown)
        return page

    def problems_page() -> Any:
        page = ProblemsPage(book)
        page.ensure_loaded()
        return page

    def dashboard_tab() -> Any:
        tab = DashboardTab(book)  # (the file is read-only: no recompute)
        tab.wait()  # the overview is read off the GUI thread
        tab.bench_code = max((r for r in tab.overview.counts.rows if r["code"]), key=lambda r: r["active"])["code"]
        return tab

    def widened(page: Any) -> None:
        page.state.setCurrentIndex(page.state.findData(""))

    def ledger_page(index: int) -> Callable[[], Any]:
        def build() -> Any:
            tab = LedgerTab(book)
            tab.pages.setCurrentIndex(index)
            return tab
        return build

    cases: list[tuple[str, Callable[[], Any], Callable[[Any], object]]] = [
        ("公告公示 保存后重读", lambda: NoticesTab(book), lambda tab: tab.reload()),
        ("支付审批 排序", lambda: PaymentsTab(book),
         lambda tab: tab.requests.view.sortByColumn(column(tab.requests.model, "amount"), Qt.SortOrder.DescendingOrder)),
        ("审计 排序", lambda: AuditTab(book),
         lambda tab: tab.view.sortByColumn(column(tab.model, "seq"), Qt.SortOrder.AscendingOrder)),
        ("专账 F5", lambda: LedgerTab(book), f5),
        ("专账 筛选（专账明细在前）", *ledger_filter(1)),
        ("专账 筛选（收支余在前）", *ledger_filter(2)),
        ("专账 筛选（对账在前）", *ledger_filter(3)),
        *own(0), *own(2000),
        opened("支付审批 打开对象（按金额排序第 3,000 行）", lambda: PaymentsTab(book), lambda t: t.requests.view,
               "amount", "payment", 3000, lambda: payment_query.PaymentQuery(book)),
        opened("项目计划 打开对象（按名称排序第 2,000 行）", lambda: PlanTab(book), lambda t: t.view,
               "name", "project", 2000, lambda: projects.ProjectQuery(book)),
        opened("收款人 打开对象（按开户银行排序第 2,000 行）", payees_tab, lambda t: t.payees.view,
               "bank", "payee", 2000, lambda: payees.PayeeQuery(book)),
        saved("收款人 保存后重读（第 2,000 行）", payees_tab, lambda t: t.payees.view, 2000, payees_saved),
        scrolled("支付审批 向下翻页（第 3,000 行处）", lambda: PaymentsTab(book), lambda t: t.requests.view, 3000),
        scrolled("支付审批 向下翻页（第 20,000 行处）", lambda: PaymentsTab(book), lambda t: t.requests.view, 20000),
        opened("专账 打开对象（按指标金额排序、各年度第 800 行）", ledger_page(0), lambda t: t.indicators,
               "amount", "indicator", 800, lambda: IndicatorQuery(book)),
        opened("公告公示 打开对象（按标题排序第 3,000 行）", lambda: NoticesTab(book), lambda t: t.records,
               "title", "notice", 3000, lambda: NoticeQuery(book)),
        opened("绩效目标 打开对象（按安排资金排序第 2,000 行）", lambda: PerformanceTab(book), lambda t: t.project_view,
               "funded", "perf_goals", 2000, lambda: PerfProjectQuery(book)),
        opened("预警清单 打开对象（按涉及金额排序第 20,000 行）", warnings_page, lambda t: t.view,
               "amount", "warning", 20000, lambda: WarningQuery(book, state="")),
        scrolled("专账明细 向下翻页（第 20,000 行处）", ledger_page(1), lambda t: t.entries, 20000),
        scrolled("公告公示 向下翻页（第 3,000 行处）", lambda: NoticesTab(book), lambda t: t.records, 3000),
        scrolled("预警清单 向下翻页（第 20,000 行处）", warnings_page, lambda t: t.view, 20000),
        obligations_scrolled("公告公示 义务 向下翻页（按金额排序、第 3,000 行处）", 3000),
        ("预警清单 筛选（范围 → 全部）", warnings_page, widened),
        ("预警清单 筛选（状态 → 第二项）", warnings_page, lambda page: page.status.setCurrentIndex(2)),
        ("预警清单 表头排序（涉及金额降序）", warnings_page,
         lambda page: page.view.sortByColumn(column(page.model, "amount"), Qt.SortOrder.DescendingOrder)),
        ("问题台账 筛选（范围 → 全部）", problems_page, widened),
        ("总览 打开该类预警（仍在触发最多的类型）", dashboard_tab, lambda tab: tab.show_warnings(tab.bench_code)),
    ]
    out = {}
    for name, build, act in cases:
        if args.only and args.only not in name:
            continue
        tab = build()
        tab.resize(1280, 760)
        tab.show()
        settle()
        if name in prepare:
            prepare[name](tab)
            settle()
        tab.repaint()
        g0, w0 = time.thread_time(), time.perf_counter()
        act(tab)
        app.processEvents()
        tab.repaint()
        g1 = time.thread_time()
        settle()
        tab.repaint()
        g2, w2 = time.thread_time(), time.perf_counter()
        out[name] = (round(g1 - g0, 3), round(g2 - g0, 3), round(w2 - w0, 3))
        tab.close()
        tab.deleteLater()
        del tab
        gc.collect()  # here, on the GUI thread: a tab collected in a worker thread would crash
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
