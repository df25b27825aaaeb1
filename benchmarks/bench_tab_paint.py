"""A tab's first paint in the first window of a process: wall, CPU and GUI-thread CPU seconds (issue #22 item 5).

    python benchmarks/bench_tab_paint.py 县.db [--tab 专账] [--login chief --password bench-pass-1] [--shot OUT.png]
    python benchmarks/bench_tab_paint.py 县.db --profile OUT.prof     # cProfile of the switch (GUI thread only)
    python benchmarks/bench_tab_paint.py 县.db --sort amount          # a user who once sorted the main list
    python benchmarks/bench_tab_paint.py 县.db --filter 2026          # then a text typed in the filter box + Enter

Offscreen, with the remembered layout cleared (a private, empty XDG_CONFIG_HOME: the window opens on its first tab,
no remembered sort or widths), the file opened read-only with the full integrity check at open (so no check thread
runs beside the timing), the dashboard's recompute and the start-up incremental verify off. Once nothing runs, the
window switches to `--tab` and times "switch + processEvents + repaint" (paint), then, after every operation
started meanwhile (a first page read off the GUI thread) has ended, "processEvents + repaint" again (rows). CPU is
the process's (every thread), gui the GUI thread's alone. Prints one JSON line, with the rows of the page's main
list (its visible table with the most rows) and the first cell of its selected row.

`--sort KEY`: a first window (not timed, on a book of its own) opens the tab, sorts its main list by the column
KEY (descending) and saves the layout on closing, as a user's last session would; the timed window then restores
that sort when the tab is built. `--filter TEXT`: once the rows are in, TEXT is typed into the tab's filter box
(Ctrl+F's) and Enter pressed: "filter + processEvents + repaint" (filter) and, once the filtered rows are in,
"processEvents + repaint" again (filtered), timed as above. Compare two versions of the
program in one run, alternating, with PYTHONPATH at each source tree:

    PYTHONPATH=/tmp/before python benchmarks/bench_tab_paint.py /tmp/c1x.db
    PYTHONPATH=$PWD       python benchmarks/bench_tab_paint.py /tmp/c1x.db
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="tab-paint-")  # before Qt reads its settings


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--tab", default="专账")
    ap.add_argument("--login", default="chief")
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--profile")
    ap.add_argument("--shot")
    ap.add_argument("--sort")
    ap.add_argument("--filter")
    args = ap.parse_args()

    from PySide6.QtCore import QSettings

    from app.models.store import users
    from app.models.store.book import open_book
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.kit import ops
    from app.ui.kit.widgets import DataTable
    from app.ui.shell.app import make_app
    from app.ui.shell.folders import Folders
    from app.ui.shell.main_window import MainWindow

    app = make_app()
    Folders.enabled = False
    DashboardTab.AUTO_RECOMPUTE = False
    MainWindow.VERIFY_AT_START = False
    QSettings().clear()

    def settle(limit: float = 60.0) -> None:
        end = time.monotonic() + limit
        while not ops.idle() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.002)
        app.processEvents()

    def main_list(window: MainWindow) -> DataTable | None:
        page = window.tabs.currentWidget()
        tables = [t for t in page.findChildren(DataTable) if t.isVisible()] if page is not None else []
        return max(tables, key=lambda t: t.lazy_model().rowCount(), default=None)  # the page's main list

    def tab_index(window: MainWindow) -> int:
        return next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == args.tab)

    if args.sort:  # the layout a user's last session left: the main list sorted by --sort
        from PySide6.QtCore import Qt

        earlier = open_book(args.db, read_only=True, check="full")
        users.login(earlier, args.login, args.password)
        before = MainWindow(earlier)
        before.resize(1280, 800)
        before.show()
        settle()
        before.tabs.setCurrentIndex(tab_index(before))
        settle()
        table = main_list(before)
        assert table is not None
        column = next(i for i, c in enumerate(table.lazy_model().columns) if c.key == args.sort)
        table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)
        settle()
        before.tabs.setCurrentIndex(0)
        before.close()  # saves the layout
        settle()
        QSettings().setValue("main/tab", before.tabs.tabText(0))

    book = open_book(args.db, read_only=True, check="full")
    users.login(book, args.login, args.password)
    window = MainWindow(book)
    window.resize(1280, 800)
    window.show()

    settle()
    window.repaint()
    index = tab_index(window)
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    w0, c0, g0 = time.perf_counter(), time.process_time(), time.thread_time()
    window.tabs.setCurrentIndex(index)
    app.processEvents()
    window.repaint()
    w1, c1, g1 = time.perf_counter(), time.process_time(), time.thread_time()
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    settle()
    window.repaint()
    w2, c2, g2 = time.perf_counter(), time.process_time(), time.thread_time()
    first = main_list(window)
    current = first.currentIndex() if first is not None else None
    row = first.model().index(current.row(), 0).data() if first is not None and current is not None \
        and current.isValid() else None
    out = {
        "paint_wall": round(w1 - w0, 3), "paint_cpu": round(c1 - c0, 3), "paint_gui": round(g1 - g0, 3),
        "rows_wall": round(w2 - w0, 3), "rows_cpu": round(c2 - c0, 3), "rows_gui": round(g2 - g0, 3),
        "rows": len(first.lazy_model().rows) if first is not None else None,
        "selected": row, "sort": first.lazy_model().sort_key if first is not None else None,
    }
    if args.filter is not None:
        from app.ui.kit.widgets import focus_filter

        box = focus_filter(window.tabs.currentWidget())
        assert box is not None and hasattr(box, "returnPressed")
        w0, c0, g0 = time.perf_counter(), time.process_time(), time.thread_time()
        box.setText(args.filter)
        box.returnPressed.emit()
        app.processEvents()
        window.repaint()
        w1, c1, g1 = time.perf_counter(), time.process_time(), time.thread_time()
        settle()
        window.repaint()
        w2, c2, g2 = time.perf_counter(), time.process_time(), time.thread_time()
        first = main_list(window)
        out |= {"filter_wall": round(w1 - w0, 3), "filter_cpu": round(c1 - c0, 3), "filter_gui": round(g1 - g0, 3),
                "filtered_wall": round(w2 - w0, 3), "filtered_cpu": round(c2 - c0, 3),
                "filtered_gui": round(g2 - g0, 3),
                "filtered_rows": first.lazy_model().total if first is not None else None}
    out["load"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False))
    if args.shot:
        settle(1.0)
        window.grab().save(args.shot)
    window.close()


if __name__ == "__main__":
    main()
