"""A write elsewhere, as four tabs hear it (`on_changes`): GUI-thread CPU seconds of the call (issue #22 item 5).

    python benchmarks/bench_on_changes.py 县.db [--login chief --password bench-pass-1]

Offscreen; the file opened read-only. Each tab (公告公示, 项目计划, 专账, 绩效目标) is built alone and shown; once
its rows are in, `on_changes` is called with a change to a table it watches, and "call + processEvents + repaint"
is timed on the GUI thread (first figure), then again once every operation it started has ended (second), with
the wall time until then (third). Prints one JSON line. Compare two versions of the program with PYTHONPATH at
each source tree, alternating (see bench_tab_paint.py)."""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--login", default="chief")
    ap.add_argument("--password", default="bench-pass-1")
    args = ap.parse_args()

    from app.models.store import users
    from app.models.store.book import open_book
    from app.models.store.changes import Changes
    from app.ui.kit import ops
    from app.ui.ledger.tab import LedgerTab
    from app.ui.notices.tab import NoticesTab
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

    out = {}
    for name, cls, table in (("公告公示", NoticesTab, "payments"), ("项目计划", PlanTab, "projects"),
                             ("专账", LedgerTab, "indicators"), ("绩效目标", PerformanceTab, "projects")):
        tab = cls(book)
        tab.resize(1280, 760)
        tab.show()
        settle()
        tab.repaint()
        g0, w0 = time.thread_time(), time.perf_counter()
        tab.on_changes(Changes({table: frozenset({"1"})}))
        app.processEvents()
        tab.repaint()
        g1 = time.thread_time()
        settle()
        tab.repaint()
        g2, w2 = time.thread_time(), time.perf_counter()
        out[name] = (round(g1 - g0, 3), round(g2 - g0, 3), round(w2 - w0, 3))
        tab.close()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
