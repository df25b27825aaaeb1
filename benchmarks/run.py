"""Issue #9: every figure on the large county, each against a naive baseline measured in the same run.

    .venv/bin/python benchmarks/run.py [--db COUNTY.db] [--runs 5] [--quick] [--only paint,filter,…]
    .venv/bin/python benchmarks/run.py --growth [--scale 1] [--runs 3] [--verify-runs N] [--small 5y.db --large 15y.db]
                                      [--quick] [--only open,warnings,verify,package,freeze,tables,filter,freeze_verify]

--growth (issue #22 item 4): the 5-year and the 15-year county (make_county.py --years 5 / 15, generated once
at low priority and kept in /tmp/fundledger-bench, never in the repository; their warnings computed on the
history's own month ends, `--warnings-history monthly`: a cached county made without them is made again) measured
side by side in one run,
every figure with its growth 15y / 5y. Its children use the real clock and leave the window's auto-recompute
on (the first open of a day recomputes the warnings in the background, and the GUI thread's longest stall
meanwhile is a figure); the writers (warnings, verify) run on fresh copies. No naive baselines in this mode.

Without --db the county is generated first (benchmarks/make_county.py; --quick uses a 5 % county and
10,000 treasury rows: a smoke run, not the figures). Every measurement runs in a fresh child process
(`run.py --child …`), so its peak memory (VmHWM) belongs to that measurement alone; each figure is
the median of --runs runs with min and max, its baseline is measured in the same run, and the ratio
baseline / app is printed. Prints a Markdown table with PASS/FAIL against the targets of issue #9.
Nothing here is a test; tests/ holds no timed assertion.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MONTH = "2026-10"
AS_OF = dt.date(2026, 11, 25)
FILTERS = ("XM2026-01", "基准收款企业12", "ZF2026000", "SQ2024-0345", "实名制", "新财农〔2025〕7号")
Result = dict[str, Any]


def clock() -> Callable[[], dt.datetime]:
    from benchmarks.make_county import Clock

    return Clock()


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss on Linux keeps the
    parent's size at fork, which would charge every child with this script's own memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def open_county(db: Path, *, read_only: bool = False, check: str = "full") -> Any:
    from app.models.store import users
    from app.models.store.book import open_book
    from benchmarks.make_county import CHIEF, PASSWORD

    book = open_book(db, read_only=read_only, check=check)
    book.clock = clock()
    if not read_only:
        users.login(book, CHIEF, PASSWORD)
    return book


def qt_app() -> Any:
    from app.ui.shell.app import make_app

    return make_app()


def paint(widget: Any) -> None:
    """Show, let Qt lay out, render once (what the user sees first)."""
    app = qt_app()
    widget.show()
    app.processEvents()
    widget.grab()


# -- child measurements: each prints one JSON line ------------------------------------------------


def child_open(db: Path, variant: str) -> Result:
    """Open the file to the main window's first paint; then the first paint of every other tab."""
    qt_app()
    from app.ui.shell import main_window  # noqa: F401 - the program's modules are loaded before the user opens a file

    main_window.tab_factories()
    start, cpu0 = time.perf_counter(), time.process_time()
    # The window opens with the integrity check deferred to a background connection after the first
    # paint (files.open_path); the baseline opens the old way, quick_check first, and loads every row.
    book = open_county(db, check="deferred" if variant == "app" else "full")
    if variant == "app":
        from app.ui.dashboard.tab import DashboardTab
        from app.ui.shell.main_window import MainWindow

        DashboardTab.AUTO_RECOMPUTE = False  # the prepared copy is current; no background run to race the paint
        window = MainWindow(book)
        window.resize(1280, 800)
        paint(window)
        dash = window.findChild(DashboardTab)
        if dash is not None and dash.wait():  # the 总览 is read off the GUI thread: first paint is when it is shown
            paint(window)
        first, cpu = time.perf_counter() - start, time.process_time() - cpu0
        tabs = {}
        for i in range(1, window.tabs.count()):
            t = time.perf_counter()
            window.tabs.setCurrentIndex(i)
            paint(window)
            tabs[window.tabs.tabText(i)] = time.perf_counter() - t
        book.close(backup=False)  # the window's own close would take a backup first
        return {"first": first, "cpu": cpu, "tabs": tabs, "peak_mb": peak_mb()}
    naive_table(book)
    first, cpu = time.perf_counter() - start, time.process_time() - cpu0
    t = time.perf_counter()
    naive_table(book)
    book.close(backup=False)
    return {"first": first, "cpu": cpu, "tabs": {"支付审批": time.perf_counter() - t}, "peak_mb": peak_mb()}


def naive_table(book: Any) -> Any:
    """The baseline view: every payment request loaded into a QStandardItemModel, then painted."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from app.models.payments import query as payment_query
    from app.ui.kit.table_models import display
    from app.ui.payments.tab import COLUMNS

    source = payment_query.PaymentQuery(book)
    rows = source.fetch(0, source.count(), None, False)
    model = QStandardItemModel(len(rows), len(COLUMNS))
    model.setHorizontalHeaderLabels([c.title for c in COLUMNS])
    for r, row in enumerate(rows):
        for c, col in enumerate(COLUMNS):
            model.setItem(r, c, QStandardItem(display(row.get(col.key), col.kind)))
    view = QTableView()
    view.setModel(model)
    view.resize(1280, 800)
    paint(view)
    return view


def child_filter(db: Path, variant: str, runs: int) -> Result:
    """Type a filter in the 支付审批 table and press Enter, until the filtered table is painted."""
    qt_app()
    book = open_county(db, read_only=True)
    times = []
    if variant == "app":
        from app.ui.payments.tab import PaymentsTab

        tab = PaymentsTab(book)
        tab.resize(1280, 800)
        paint(tab)
        page = tab.widget(0)
        for n in range(runs):
            page.text.setText(FILTERS[n % len(FILTERS)])
            t = time.perf_counter()
            page.text.returnPressed.emit()
            paint(tab)
            times.append(time.perf_counter() - t)
    else:
        from PySide6.QtCore import QSortFilterProxyModel

        view = naive_table(book)
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(view.model())
        proxy.setFilterKeyColumn(-1)
        view.setModel(proxy)
        for n in range(runs):
            t = time.perf_counter()
            proxy.setFilterFixedString(FILTERS[n % len(FILTERS)])
            paint(view)
            times.append(time.perf_counter() - t)
    book.close(backup=False)
    return {"times": times, "peak_mb": peak_mb()}


def child_warnings(db: Path, variant: str, runs: int) -> Result:
    from app.models.warnings import engine as warnings
    from benchmarks import bench_warnings as bw

    book = open_county(db)
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        if variant == "app":
            warnings.recompute(book, as_of=AS_OF)
        else:
            bw.naive_store(book, bw.naive_detect(book, AS_OF), AS_OF)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    book.close(backup=False)
    return {"times": times, "cpu": cpu, "peak_mb": peak_mb()}


def child_package(db: Path, variant: str) -> Result:
    """One month's package: the 预览稿 (assemble, cross-check, workbook, PDF, manifest) and re-creating the
    signed October package as `fundledger export` does; one run per process, so peak memory is its own."""
    from app.export import signoff

    book = open_county(db, read_only=True)
    with tempfile.TemporaryDirectory(prefix="fl-pkg-") as tmp:
        t, c = time.perf_counter(), time.process_time()
        if variant == "app":
            signoff.write_preview(book, month=MONTH, out_dir=Path(tmp) / "preview")
        else:  # "export": the signed package re-created from its snapshot
            signoff.export(book, month=MONTH, out_dir=Path(tmp))
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
    book.close(backup=False)
    return {"times": [seconds], "cpu": [cpu], "peak_mb": peak_mb()}


def child_roster(db: Path, variant: str) -> Result:
    """The month's real-name lines (every list paid in October) as one .xlsx: write-only vs normal mode."""
    import openpyxl

    book = open_county(db, read_only=True)
    t = time.perf_counter()
    rows = book.conn.execute(
        "SELECT y.request_no, n.row_no, n.name, n.id_number, n.village, n.amount, n.account FROM real_name_lines n "
        "JOIN payments y ON y.id = n.payment_id WHERE y.pay_date BETWEEN ? AND ? ORDER BY y.id, n.row_no",
        (f"{MONTH}-01", f"{MONTH}-31"))
    wb = openpyxl.Workbook(write_only=variant == "app")
    ws = wb.create_sheet("实名制发放名册") if variant == "app" else wb.active
    ws.append(["申请编号", "序号", "姓名", "身份证号", "村", "金额（元）", "账号"])
    n = 0
    for r in rows:
        ws.append([r[0], r[1], r[2], r[3], r[4], r[5] / 100, r[6]])
        n += 1
    with tempfile.TemporaryDirectory(prefix="fl-roster-") as tmp:
        wb.save(Path(tmp) / "名册.xlsx")
    book.close(backup=False)
    return {"times": [time.perf_counter() - t], "peak_mb": peak_mb(), "rows": n}


def child_verify(db: Path, variant: str, limit: int) -> Result:
    """verify.run (chain included) vs a naive row check: one query per row for its last audit record."""
    from app.export import evidence
    from app.models.store import audit
    from app.models.store.db import row_json_sql

    book = open_county(db, read_only=True)
    t, c = time.perf_counter(), time.process_time()
    if variant == "app":
        report = evidence.verify(book)
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
        assert report.ok, report.text()
        book.close(backup=False)
        return {"times": [seconds], "cpu": [cpu], "peak_mb": peak_mb()}
    conn = book.conn
    n = 0
    for key, row_json in conn.execute(f"SELECT CAST(id AS TEXT), {row_json_sql(conn, 'real_name_lines', set(), 'real_name_lines')} "
                                      f"FROM real_name_lines ORDER BY id LIMIT ?", (limit,)).fetchall():
        last = conn.execute("SELECT action, after FROM audit_log WHERE tbl = 'real_name_lines' AND row_key = ? "
                            "ORDER BY seq DESC LIMIT 1", (key,)).fetchone()
        assert last is not None and audit._same(row_json, last[1])
        n += 1
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    total_rows = sum(int(conn.execute(f'SELECT count(*) FROM "{t["name"]}"').fetchone()[0])
                     for t in conn.execute("SELECT name FROM tracked_tables").fetchall())
    return {"times": [seconds], "cpu": [cpu], "rows": n, "total_rows": total_rows, "peak_mb": peak_mb()}


def child_freeze(db: Path, variant: str, work: str) -> Result:
    """A 10 ms QTimer on the GUI thread while long work runs through ui.kit.ops.Op; the longest gap."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QWidget

    from app.export import signoff
    from app.models.warnings import engine as warnings
    from app.ui.kit.ops import Op

    app = qt_app()
    book = open_county(db, read_only=work != "warnings")
    parent = QWidget()
    parent.resize(400, 300)
    paint(parent)
    tmp = tempfile.mkdtemp(prefix="fl-freeze-")

    def job(own: Any, progress: Any) -> object:
        if work == "warnings":
            return warnings.recompute(own, as_of=AS_OF)
        if work == "verify":
            from app.export import evidence

            return evidence.verify(own, progress=progress.step).ok
        return signoff.write_preview(own, month=MONTH, out_dir=Path(tmp) / "p", progress=progress.step)

    gaps: list[float] = []
    elapsed = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        gaps.append(elapsed.restart())

    timer.timeout.connect(tick)
    loop = QEventLoop()
    errors: list[BaseException] = []

    t = time.perf_counter()
    elapsed.start()
    timer.start()
    if variant == "app":
        Op(parent, book, "基准", job, writes=work == "warnings").after(loop.quit).failure(errors.append) \
            .run_in_background()
        loop.exec()
    else:  # the naive way: the same work called from the GUI thread
        QTimer.singleShot(0, lambda: (job(book, type("P", (), {"step": staticmethod(lambda *a: None)})()), loop.quit()))
        loop.exec()
    app.processEvents()
    timer.stop()
    seconds = time.perf_counter() - t
    gaps.append(elapsed.elapsed())
    book.close(backup=False)
    shutil.rmtree(tmp, ignore_errors=True)
    if errors:
        raise errors[0]
    return {"times": [max(gaps) / 1000], "work_s": seconds, "peak_mb": peak_mb()}


def child_import(db: Path, variant: str, xlsx: Path, limit: int | None) -> Result:
    from app.models.store import users
    from app.models.store.book import open_book
    from benchmarks import bench_treasury_import as bt

    b = open_book(db)
    b.clock = bt.Clock()
    users.login(b, bt.CLERK, bt.PASSWORD)
    t, c = time.perf_counter(), time.process_time()
    added = bt.import_once(b, xlsx) if variant == "app" else bt.baseline_per_row(b, xlsx, limit)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    b.close(backup=False)
    return {"times": [seconds], "cpu": [cpu], "rows": added, "peak_mb": peak_mb()}


# -- issue #22: the same figures on the 5-year and the 15-year county, with the growth --------------------------
# These children use the real clock (no Clock() on the book) and the window's auto-recompute stays on: the first
# open of a day recomputes the warnings in the background exactly as a clerk's window does, and the longest
# stall of the GUI thread while it runs is measured.


def open_real(db: Path, *, read_only: bool = False, check: str = "full") -> Any:
    from app.models.store import users
    from app.models.store.book import open_book
    from benchmarks.make_county import CHIEF, PASSWORD

    book = open_book(db, read_only=read_only, check=check)
    if not read_only:
        users.login(book, CHIEF, PASSWORD)
    return book


def child_g_open(db: Path) -> Result:
    """Open (deferred check, as files.open_path) to the main window's first paint; then, with the 10 ms timer
    running, until the auto-recompute of the day's warnings has stored and shown them (and the start-up checks
    ran beside it); then every other tab's first paint (绩效目标 among them)."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    settings_dir = tempfile.mkdtemp(prefix="fl-settings-")
    os.environ["XDG_CONFIG_HOME"] = settings_dir  # no remembered tab: the window opens on 监控预警
    app = qt_app()
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.shell import main_window

    main_window.tab_factories()
    assert DashboardTab.AUTO_RECOMPUTE
    start, cpu0 = time.perf_counter(), time.process_time()
    book = open_real(db, check="deferred")
    window = main_window.MainWindow(book)
    window.resize(1280, 800)
    paint(window)
    first, cpu = time.perf_counter() - start, time.process_time() - cpu0
    dash = window.findChild(DashboardTab)
    if dash is None:
        raise RuntimeError("窗口没有打开在“监控预警”页：测不到当天预警的自动重新计算")
    gaps: list[float] = []
    elapsed = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: gaps.append(elapsed.restart()))
    elapsed.start()
    timer.start()
    began = False
    limit = time.perf_counter() + 600
    while time.perf_counter() < limit:
        app.processEvents()
        began = began or bool(dash and dash.detecting)
        if (began and not dash.detecting) or (not began and not dash.needs_recompute()):
            break
        time.sleep(0.002)
    ready = time.perf_counter() - start
    timer.stop()
    from app.models.warnings import engine as warn

    run = warn.last_run(book)
    recomputed = bool(run is not None and str(run["as_of"]) == book.today().isoformat())
    tabs = {}
    for i in range(1, window.tabs.count()):
        t = time.perf_counter()
        window.tabs.setCurrentIndex(i)
        paint(window)
        tabs[window.tabs.tabText(i)] = time.perf_counter() - t
    from app.ui.kit import ops

    ops.settle(book)
    book.close(backup=False)
    shutil.rmtree(settings_dir, ignore_errors=True)
    return {"first": first, "cpu": cpu, "ready": ready, "freeze": max(gaps, default=0) / 1000,
            "recomputed": recomputed, "tabs": tabs, "peak_mb": peak_mb()}


def one_entry(book: Any, voucher: str) -> None:
    """One 专账 expenditure today by the clerk, on the newest indicator with money left."""
    from app.models.ledger import account as ledger
    from app.models.store import users
    from benchmarks.make_county import CHIEF, CLERK, PASSWORD

    users.login(book, CLERK, PASSWORD)
    ind = book.conn.execute(
        "SELECT i.id FROM indicators i JOIN ledger_entries e ON e.indicator_id = i.id WHERE i.year = 2026 GROUP BY i.id "
        "HAVING sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE -e.sign * e.amount END) > 100 "
        "ORDER BY i.id DESC LIMIT 1").fetchone()[0]
    ledger.post_expenditure(book, indicator_id=int(ind), amount=1, entry_date=book.today(), voucher_no=voucher,
                            payment_id=None, summary="基准：一笔支出")
    users.login(book, CHIEF, PASSWORD)


def child_g_warnings(db: Path) -> Result:
    """On a copy: the first recompute of a new day (tomorrow: every detector runs, every deadline moves), then one
    ledger entry and the recompute again the same day (the incremental path)."""
    from app.models.warnings import engine as warn

    book = open_real(db)
    day = book.today() + dt.timedelta(days=1)
    t, c = time.perf_counter(), time.process_time()
    warn.recompute(book, as_of=day)
    first, first_cpu = time.perf_counter() - t, time.process_time() - c
    one_entry(book, "GROWTH-W")
    t, c = time.perf_counter(), time.process_time()
    warn.recompute(book, as_of=day)
    again, again_cpu = time.perf_counter() - t, time.process_time() - c
    book.close(backup=False)
    return {"first": first, "first_cpu": first_cpu, "again": again, "again_cpu": again_cpu, "peak_mb": peak_mb()}


def child_g_verify(db: Path) -> Result:
    """On a copy: the full verify (the auditor's), its anchor recorded as the window does, one ledger entry, then
    the incremental verify from that anchor (what the window runs at start-up and after each backup)."""
    from app.export import evidence
    from app.models.integrity import incremental
    from app.models.store import audit

    book = open_real(db)
    head = audit.head(book.conn)
    t, c = time.perf_counter(), time.process_time()
    report = evidence.verify(book)
    full, full_cpu = time.perf_counter() - t, time.process_time() - c
    if not report.ok:
        raise RuntimeError(report.text())
    incremental.record(book, mode="full", head=head)
    one_entry(book, "GROWTH-V")
    t, c = time.perf_counter(), time.process_time()
    found = incremental.run(book)
    inc, inc_cpu = time.perf_counter() - t, time.process_time() - c
    ok = found is not None and found.ok
    book.close(backup=False)
    if not ok:
        raise RuntimeError("增量核验未通过：" + (found.text() if found is not None else "没有锚点"))
    return {"full": full, "full_cpu": full_cpu, "inc": inc, "inc_cpu": inc_cpu, "peak_mb": peak_mb()}


def child_g_package(db: Path, month: str) -> Result:
    """One month's 预览稿 (assemble nine tables, cross-check, workbook, PDF, manifest), read-only."""
    from app.export import signoff

    book = open_real(db, read_only=True)
    with tempfile.TemporaryDirectory(prefix="fl-pkg-") as tmp:
        t, c = time.perf_counter(), time.process_time()
        signoff.write_preview(book, month=month, out_dir=Path(tmp) / "preview")
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
    book.close(backup=False)
    return {"times": [seconds], "cpu": [cpu], "peak_mb": peak_mb()}


def child_g_tables(db: Path, month: str) -> Result:
    """Each of the nine tables' row source for `month` on its own (CPU seconds, best of 3 in this process), the
    way the package reads them (carried from the last signed month where a table does) — which tables still
    cost the history."""
    from app.models.reports import sources

    book = open_real(db, read_only=True)
    out: dict[str, float] = {}
    for name, fn in sources.all_sources().items():
        best = float("inf")
        for _ in range(3):
            p = sources.Period(book, month)
            c = time.process_time()
            fn(book, p)
            best = min(best, time.process_time() - c)
        out[name] = best
    book.close(backup=False)
    return {"tables": out, "peak_mb": peak_mb()}


def child_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("measure")
    p.add_argument("variant")
    p.add_argument("db", type=Path)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--xlsx", type=Path)
    p.add_argument("--limit", type=int)
    p.add_argument("--work", default="warnings")
    p.add_argument("--month", default=MONTH)
    a = p.parse_args(argv)
    fns: dict[str, Callable[[], Result]] = {
        "open": lambda: child_open(a.db, a.variant),
        "filter": lambda: child_filter(a.db, a.variant, a.runs),
        "warnings": lambda: child_warnings(a.db, a.variant, a.runs),
        "package": lambda: child_package(a.db, a.variant),
        "roster": lambda: child_roster(a.db, a.variant),
        "verify": lambda: child_verify(a.db, a.variant, a.limit or 20_000),
        "freeze": lambda: child_freeze(a.db, a.variant, a.work),
        "import": lambda: child_import(a.db, a.variant, a.xlsx, a.limit),
        "g_open": lambda: child_g_open(a.db),
        "g_warnings": lambda: child_g_warnings(a.db),
        "g_verify": lambda: child_g_verify(a.db),
        "g_package": lambda: child_g_package(a.db, a.month),
        "g_tables": lambda: child_g_tables(a.db, a.month),
    }
    result = fns[a.measure]()
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
    sys.stdout.flush()
    os._exit(0)  # skip Qt/atexit teardown: the figure is taken


# -- the parent: run children, collect, print the table ---------------------------------------------


def spawn(*args: str) -> Result:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"child {' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return json.loads(lines[-1][7:])


def repeat(runs: int, *args: str) -> list[Result]:
    return [spawn(*args) for _ in range(runs)]


class Row:
    def __init__(self, name: str, target: float | None, unit: str, app: list[float], base: list[float] | None,
                 base_name: str, peak: float, note: str = "", base_scale: float = 1.0, proposal: bool = False,
                 cpu: list[float] | None = None) -> None:
        self.cpu = cpu
        self.name, self.target, self.unit, self.app, self.base = name, target, unit, app, base
        self.proposal = proposal
        self.base_name, self.peak, self.note, self.base_scale = base_name, peak, note, base_scale

    def med(self, values: list[float]) -> float:
        return statistics.median(values)

    def cells(self) -> list[str]:
        f = (lambda v: f"{v:.0f}") if self.unit == "MB" else (lambda v: f"{v:.3f}" if v < 10 else f"{v:.1f}")
        app = f"{f(self.med(self.app))} ({f(min(self.app))}–{f(max(self.app))})"
        if self.base:
            b = [v * self.base_scale for v in self.base]
            base = f"{f(self.med(b))} ({f(min(b))}–{f(max(b))})"
            ratio = f"{self.med(b) / max(self.med(self.app), 1e-9):.1f}×"
        else:
            base, ratio = "—", "—"
        target = "—" if self.target is None else f"≤ {self.target:g} {'MB' if self.unit == 'MB' else 's'}"
        verdict = "" if self.target is None else ("PASS" if self.med(self.app) <= self.target else "FAIL")
        cpu = f"{statistics.median(self.cpu):.2f}" if self.cpu else ""
        base_text = f"{self.base_name}：{base}" if self.base_name else base
        return [self.name, app, cpu, base_text, ratio, target, verdict, f"{self.peak:.0f}", self.note]

    @property
    def passed(self) -> bool:
        return self.target is None or self.med(self.app) <= self.target


def machine(db: Path) -> str:
    load = os.getloadavg()
    return (f"{platform.platform()}，{os.cpu_count()} 核，Python {platform.python_version()}，SQLite {sqlite3.sqlite_version}，"
            f"数据库 {db.stat().st_size / 1024 / 1024:,.0f} MB；系统负载 {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}（1/5/15 分钟）")


def prepare(db: Path, work: Path) -> Path:
    """A writable copy whose warnings are current (as the app leaves a file it opened that day)."""
    copy = work / "county-work.db"
    shutil.copy(db, copy)
    from app.models.warnings import engine as warnings

    book = open_county(copy)
    warnings.recompute(book, as_of=AS_OF)
    book.close(backup=False)
    return copy


CACHE = Path(tempfile.gettempdir()) / "fundledger-bench"  # generated counties, outside the repository


def county_file(folder: Path, years: int, scale: float) -> Path:
    """The cached county of `years` at `scale`, generated (at low priority: the machine is shared) if missing."""
    path = folder / f"county-{years}y{'' if scale == 1 else f'-s{scale:g}'}.db"
    if path.exists() and _warnings_in_history(path):
        return path
    if path.exists():  # made before make_county computed the history's warnings: every warning first found in 2026-11
        print(f"{path} 的预警没有按历史日期计算（旧的生成器），重新生成", flush=True)
        path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    print(f"生成 {years} 年的县（scale={scale:g}）到 {path}（nice 10）…", flush=True)
    t = time.perf_counter()
    part = path.with_suffix(".part.db")
    part.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_county.py"), str(part), "--years", str(years),
                    "--scale", f"{scale:g}"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   preexec_fn=(lambda: os.nice(10)) if hasattr(os, "nice") else None)  # noqa: PLW1509
    part.rename(path)
    print(f"  {time.perf_counter() - t:.0f} s，{path.stat().st_size / 1e6:,.0f} MB", flush=True)
    return path


def _warnings_in_history(db: Path) -> bool:
    """Whether the county's warnings were computed on its history's dates (make_county --warnings-history monthly)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return bool(conn.execute("SELECT 1 FROM warning_runs WHERE as_of < ? LIMIT 1", (f"{MONTH}-01",)).fetchone())
    finally:
        conn.close()


def county_facts(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        first, last = conn.execute("SELECT min(year), max(year) FROM indicators").fetchone()
        month = conn.execute("SELECT count(*) FROM ledger_entries WHERE entry_date BETWEEN ? AND ?",
                             (f"{MONTH}-01", f"{MONTH}-31")).fetchone()[0]
        return {"years": int(last) - int(first) + 1, "audit": conn.execute("SELECT count(*) FROM audit_log").fetchone()[0],
                "ledger": conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0], "month_ledger": month,
                "mb": db.stat().st_size / 1e6}
    finally:
        conn.close()


GROWTH_PARTS = ("open", "warnings", "verify", "package", "freeze", "tables", "filter", "freeze_verify")
DEFAULT_PARTS = GROWTH_PARTS[:-1]  # the GUI stall during a full verify costs one more full verify: on request


def measure_county(db: Path, work: Path, runs: int, label: str, step: Callable[[str], None],
                   parts: tuple[str, ...] = DEFAULT_PARTS, verify_runs: int = 1) -> dict[str, list[float]]:
    """Every figure of one county, `runs` times each (the full and incremental verify `verify_runs` times: on a
    loaded shared machine one full verify of the 15-year county takes minutes); the writers on fresh copies."""
    got: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        got.setdefault(key, []).append(value)

    step(f"{label}：准备副本（预警按 2026-11-25 算好：之后任何一天打开都是“新的一天”）")
    prepared = work / f"{label}-prepared.db"
    shutil.copy(db, prepared)
    book = open_county(prepared)
    book.clock = lambda: dt.datetime(2026, 11, 25, 18, 0)  # after the sign-offs (09:00): found after them, as in life
    from app.models.warnings import engine as warnings

    warnings.recompute(book, as_of=AS_OF)
    book.close(backup=False)
    from app.models.store.backup import backup_dir

    shutil.rmtree(backup_dir(prepared), ignore_errors=True)  # an older county is upgraded on this first open
    for k in range(runs):
        copy = work / f"{label}-{k}.db"
        shutil.copy(prepared, copy)
        if "open" in parts:
            step(f"{label}：第 {k + 1} 次：打开到首次绘制、当天预警自动重新计算、各页首次绘制")
            r = spawn("g_open", "app", str(copy))
            add("first", r["first"])
            add("cpu:first", r["cpu"])
            add("ready", r["ready"])
            add("freeze_open", r["freeze"])
            add("perf_tab", r["tabs"].get("绩效目标", float("nan")))
            add("peak", r["peak_mb"])
            for name, seconds in r["tabs"].items():
                add(f"tab:{name}", seconds)
        if "warnings" in parts:
            step(f"{label}：第 {k + 1} 次：预警（新的一天全部检测、记一笔账后增量）")
            r = spawn("g_warnings", "app", str(copy))
            add("warn_first", r["first"])
            add("cpu:warn_first", r["first_cpu"])
            add("warn_again", r["again"])
            add("cpu:warn_again", r["again_cpu"])
            add("peak", r["peak_mb"])
        if "verify" in parts and k < verify_runs:
            step(f"{label}：第 {k + 1} 次：完整核验、记下锚点、记一笔账、增量核验")
            r = spawn("g_verify", "app", str(copy))
            add("verify_full", r["full"])
            add("cpu:verify_full", r["full_cpu"])
            add("verify_inc", r["inc"])
            add("cpu:verify_inc", r["inc_cpu"])
            add("peak", r["peak_mb"])
        copy.unlink()
        if "package" in parts:
            step(f"{label}：第 {k + 1} 次：报送包预览稿 {MONTH} 与 2026-11、重新生成已签发的 {MONTH}、名册")
            for month, key in ((MONTH, "preview"), ("2026-11", "preview_next")):
                r = spawn("g_package", "app", str(prepared), "--month", month)
                add(key, r["times"][0])
                add(f"cpu:{key}", r["cpu"][0])
                add("peak", r["peak_mb"])
            r = spawn("package", "export", str(prepared))
            add("export", r["times"][0])
            r = spawn("roster", "app", str(prepared))
            add("roster", r["times"][0])
        if "freeze" in parts:
            step(f"{label}：第 {k + 1} 次：生成预览稿时的界面冻结")
            r = spawn("freeze", "app", str(prepared), "--work", "package")
            add("freeze_package", r["times"][0])
    if "tables" in parts:
        step(f"{label}：九张表各自的行来源（2026-11，CPU 秒）")
        r = spawn("g_tables", "app", str(prepared), "--month", "2026-11")
        for name, seconds in r["tables"].items():
            add(f"table:{name}", seconds)
    if "filter" in parts:
        step(f"{label}：筛选支付申请")
        r = spawn("filter", "app", str(prepared), "--runs", str(max(runs, 6)))
        got["filter"] = r["times"]
    if "freeze_verify" in parts:
        step(f"{label}：verify 时的界面冻结")
        r = spawn("freeze", "app", str(prepared), "--work", "verify")
        add("freeze_verify", r["times"][0])
        add("peak", r["peak_mb"])
    prepared.unlink()
    return got


GROWTH_ROWS: tuple[tuple[str, str, float | None, str], ...] = (
    # key, label, target at the larger county (issue #22 / #9), unit
    ("first", "打开文件到主窗口首次绘制（自动重新计算开着、真实时钟）", 1.5, "s"),
    ("ready", "打开到当天预警算好并显示（后台自动重新计算）", None, "s"),
    ("freeze_open", "其间界面线程最长停顿（10 ms 定时器）", 0.2, "s"),
    ("perf_tab", "切换到“绩效目标”首次绘制", 0.3, "s"),
    ("warn_first", "重新计算预警：新的一天（全部检测）", 1.0, "s"),
    ("warn_again", "重新计算预警：同一天记一笔账后（增量）", 1.0, "s"),
    ("preview", f"一个月的报送包预览稿 {MONTH}（九张表、勾稽、工作簿、PDF、清单）", 5.0, "s"),
    ("preview_next", "一个月的报送包预览稿 2026-11（最后签发月之后的月份）", 5.0, "s"),
    ("export", f"重新生成已签发的 {MONTH} 报送包", 5.0, "s"),
    ("roster", f"{MONTH} 实名制名册写成 .xlsx", 5.0, "s"),
    ("verify_full", "verify 完整核验（审计员用）", 30.0, "s"),
    ("verify_inc", "verify 增量核验（自锚点，之后记一笔账）", 3.0, "s"),
    ("filter", "筛选支付申请表（回车 → 绘制）", 0.3, "s"),
    ("freeze_package", "生成预览稿时界面线程最长停顿", 0.2, "s"),
    ("freeze_verify", "完整核验时界面线程最长停顿", 0.2, "s"),
    ("peak", "峰值内存（各子进程中最大者）", 300.0, "MB"),
)


def growth_main(args: argparse.Namespace) -> int:
    """The 5-year and the 15-year county side by side: each figure's median of --runs, and 15y / 5y."""
    scale = 0.005 if args.quick else args.scale
    runs = 1 if args.quick and args.runs == 5 else (3 if args.runs == 5 else args.runs)
    folder = args.cache or CACHE
    folder.mkdir(parents=True, exist_ok=True)  # the results are kept there also when both counties are given
    parts = tuple(p for p in GROWTH_PARTS if p in args.only.split(",")) if args.only else DEFAULT_PARTS
    t_all = time.perf_counter()
    loads: list[float] = [os.getloadavg()[0]]

    def step(text: str) -> None:
        loads.append(os.getloadavg()[0])
        print(f"  [{time.perf_counter() - t_all:6.0f} s，负载 {loads[-1]:.2f}] {text}", flush=True)

    small = args.small or county_file(folder, 5, scale)
    large = args.large or county_file(folder, 15, scale)
    facts = {"small": county_facts(small), "large": county_facts(large)}
    work = Path(tempfile.mkdtemp(prefix="fl-growth-"))
    got: dict[str, dict[str, list[float]]] = {}
    try:
        for which, db in (("small", small), ("large", large)):
            got[which] = measure_county(db, work, runs, f"{facts[which]['years']} 年", step, parts,
                                        verify_runs=runs if args.verify_runs is None else args.verify_runs)
            (folder / "growth-results.json").write_text(json.dumps({"facts": facts, "got": got}, ensure_ascii=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    step("完成")
    (folder / "growth-results.json").write_text(json.dumps({"facts": facts, "got": got}, ensure_ascii=False))
    fs, fl = facts["small"], facts["large"]
    ys, yl = fs["years"], fl["years"]
    print()
    print(f"机器：{machine(large)}；测量期间 1 分钟负载 {min(loads):.2f}–{max(loads):.2f}")
    print(f"县：{small.name}（{ys} 年）与 {large.name}（{yl} 年），scale={scale:g}；每项 {runs} 次的中位数（最小–最大），"
          f"两县在同一次运行中测量；增长 = {yl} 年 / {ys} 年。")
    print()
    print(f"| 项目 | {ys} 年 | {yl} 年 | 增长 | 目标（{yl} 年） | 结果 | CPU s {ys} 年 | CPU s {yl} 年 | CPU 增长 |")
    print("|---|---|---|---:|---|---|---:|---:|---:|")

    def cell(values: list[float], unit: str) -> str:
        f = (lambda v: f"{v:,.0f}") if unit == "MB" else (lambda v: f"{v:.3f}" if v < 10 else f"{v:.1f}")
        return f"{f(statistics.median(values))} ({f(min(values))}–{f(max(values))})" if len(values) > 1 \
            else f(values[0])

    size_s, size_l = fs["mb"], fl["mb"]
    print(f"| 文件大小 MB | {size_s:,.0f} | {size_l:,.0f} | {size_l / size_s:.2f}× | — | | | | |")
    print(f"| 每年文件大小 MB | {size_s / ys:,.0f} | {size_l / yl:,.0f} | {size_l / yl / (size_s / ys):.2f}× | — | | | | |")
    print(f"| 审计记录条数 | {fs['audit']:,} | {fl['audit']:,} | {fl['audit'] / fs['audit']:.2f}× | — | | | | |")
    print(f"| 专账记录（其中 {MONTH}） | {fs['ledger']:,}（{fs['month_ledger']:,}） | {fl['ledger']:,}（{fl['month_ledger']:,}） "
          f"| {fl['ledger'] / fs['ledger']:.2f}× | — | | | | |")
    missed = []
    for key, label, target, unit in GROWTH_ROWS:
        a, b = got["small"].get(key), got["large"].get(key)
        if not a or not b:
            continue
        if key == "peak":
            a, b = [max(a)], [max(b)]
        ma, mb = statistics.median(a), statistics.median(b)
        growth = f"{mb / ma:.2f}×" if ma > 0 else "—"
        verdict = ""
        if target is not None:
            verdict = "达标" if mb <= target else "未达标"
            if mb > target:
                missed.append(label)
        shown = "—" if target is None else f"≤ {target:g} {unit}"
        ca, cb = got["small"].get(f"cpu:{key}"), got["large"].get(f"cpu:{key}")
        cpu = (f" {statistics.median(ca):.3f} | {statistics.median(cb):.3f} | "
               f"{statistics.median(cb) / max(statistics.median(ca), 1e-9):.2f}× |") if ca and cb else " | | |"
        print(f"| {label} | {cell(a, unit)} | {cell(b, unit)} | {growth} | {shown} | {verdict} |{cpu}")
    tabs = sorted({k[4:] for k in got["large"] if k.startswith("tab:")})
    for name in tabs:
        a, b = got["small"].get(f"tab:{name}"), got["large"].get(f"tab:{name}")
        if a and b and name != "绩效目标":
            print(f"| 切换到“{name}”首次绘制 | {cell(a, 's')} | {cell(b, 's')} | {statistics.median(b) / statistics.median(a):.2f}× "
                  f"| ≤ 0.3 s | {'达标' if statistics.median(b) <= 0.3 else '未达标'} | | | |")
    from app.models.reports import definitions

    titles = {t.source: f"{t.id} {t.title}" for t in definitions.load().tables}
    names = sorted((k[6:] for k in got["large"] if k.startswith("table:")), key=lambda n: titles.get(n, n))
    if names:
        print()
        print("九张表各自的行来源，2026-11（最后签发月 2026-10 之后的月份），CPU 秒，同一进程 3 次取最小：")
        print()
        print(f"| 表 | {ys} 年 | {yl} 年 | 增长 |")
        print("|---|---:|---:|---:|")
        for name in names:
            a, b = got["small"][f"table:{name}"][0], got["large"][f"table:{name}"][0]
            ratio = f"{b / a:.2f}×" if a >= 0.001 else "—"
            print(f"| {titles.get(name, name)}（{name}） | {a:.3f} | {b:.3f} | {ratio} |")
    print()
    print("全部达标。" if not missed else "未达标：" + "；".join(missed))
    print(f"总用时 {time.perf_counter() - t_all:.0f} s")
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="a county from make_county.py (else one is generated)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 %% county, 10,000 treasury rows, 3 runs")
    parser.add_argument("--only", default="", help="comma-separated: open,filter,warnings,package,import,verify,freeze"
                                                   " (--growth: open,warnings,verify,package,freeze,tables,filter)")
    parser.add_argument("--keep-copy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--import-rows", type=int, default=None)
    parser.add_argument("--baseline-rows", type=int, default=2_000, help="per-row-commit baseline rows (extrapolated)")
    parser.add_argument("--growth", action="store_true",
                        help="issue #22: the 5-year and the 15-year county side by side, with the growth of every figure")
    parser.add_argument("--small", type=Path, help="--growth: the 5-year county (else cached/generated)")
    parser.add_argument("--large", type=Path, help="--growth: the 15-year county (else cached/generated)")
    parser.add_argument("--scale", type=float, default=1.0, help="--growth: make_county's --scale of both counties")
    parser.add_argument("--verify-runs", type=int, help="--growth: full + incremental verify this many times "
                                                            "(default --runs; each full verify of 15 years is long)")
    parser.add_argument("--cache", type=Path, help=f"--growth: where the counties are kept (default {CACHE})")
    args = parser.parse_args()
    if args.growth:
        return growth_main(args)
    runs = 3 if args.quick and args.runs == 5 else args.runs
    only = set(filter(None, args.only.split(",")))

    def want(measure: str) -> bool:
        return not only or measure in only
    work = Path(tempfile.mkdtemp(prefix="fl-run-"))
    t_all = time.perf_counter()
    try:
        db = args.db
        if db is None:
            from benchmarks import make_county

            db = work / "county.db"
            print(f"生成大县（scale={0.05 if args.quick else 1.0}）…", flush=True)
            made = make_county.build(db, scale=0.05 if args.quick else 1.0)
            print(f"  {made['seconds']:.0f} s，{made['mb']:.0f} MB", flush=True)
        print("准备可写副本（预警已是当天的）…", flush=True)
        copy = args.keep_copy if args.keep_copy and args.keep_copy.exists() else prepare(db, work)
        if args.keep_copy and copy != args.keep_copy:
            shutil.copy(copy, args.keep_copy)
        rows: list[Row] = []
        loads: list[float] = [os.getloadavg()[0]]

        def step(text: str) -> None:
            loads.append(os.getloadavg()[0])
            print(f"  [{time.perf_counter() - t_all:6.0f} s，负载 {loads[-1]:.2f}] {text}", flush=True)

        def m_open() -> None:
            step("打开文件到主窗口首次绘制、各页首次绘制")
            app = repeat(runs, "open", "app", str(copy))
            base = repeat(runs, "open", "naive", str(copy))
            rows.append(Row("打开文件到主窗口首次绘制", 1.5, "s", [r["first"] for r in app], [r["first"] for r in base],
                            "全量 QStandardItemModel 载入全部支付申请", max(r["peak_mb"] for r in app),
                            cpu=[r["cpu"] for r in app]))
            names = list(app[0]["tabs"])
            naive_tab = [r["tabs"]["支付审批"] for r in base]
            for name in names:
                rows.append(Row(f"切换到“{name}”首次绘制", 0.3, "s", [r["tabs"][name] for r in app],
                                naive_tab if name == "支付审批" else None,
                                "全量 QStandardItemModel" if name == "支付审批" else "", max(r["peak_mb"] for r in app)))
        def m_filter() -> None:
            step("筛选支付申请表")
            app = spawn("filter", "app", str(copy), "--runs", str(max(runs, 6)))
            base = spawn("filter", "naive", str(copy), "--runs", str(max(runs, 6)))
            rows.append(Row("筛选支付申请表（输入 → 懒加载模型 → 绘制）", 0.3, "s", app["times"], base["times"],
                            "全量模型 + QSortFilterProxyModel", app["peak_mb"]))
        def m_warnings() -> None:
            step("重新计算预警")
            app = spawn("warnings", "app", str(copy), "--runs", str(runs))
            base = spawn("warnings", "naive", str(copy), "--runs", str(max(3, runs // 2)))
            rows.append(Row("重新计算预警 W1–W9", 1.0, "s", app["times"], base["times"],
                            "逐对象查询 + 每次改写全部预警", app["peak_mb"], cpu=app["cpu"]))
        def m_package() -> None:
            step("月报报送包（2026-10）")
            app = repeat(runs, "package", "app", str(copy))
            exp = repeat(runs, "package", "export", str(copy))
            ros = repeat(runs, "roster", "app", str(copy))
            ros_n = repeat(runs, "roster", "naive", str(copy))
            n_lines = ros[0]["rows"]
            rows.append(Row(f"月报报送包 {MONTH} 预览稿（汇总、勾稽、工作簿、PDF、清单）", 5.0, "s",
                            [r["times"][0] for r in app], None, "", max(r["peak_mb"] for r in app),
                            cpu=[r["cpu"][0] for r in app]))
            rows.append(Row(f"重新生成已签发的 {MONTH} 报送包（fundledger export）", 5.0, "s",
                            [r["times"][0] for r in exp], None, "", max(r["peak_mb"] for r in exp),
                            cpu=[r["cpu"][0] for r in exp]))
            rows.append(Row(f"{MONTH} 实名制名册 {n_lines:,} 行写成 .xlsx（openpyxl write-only）", 5.0, "s",
                            [r["times"][0] for r in ros], [r["times"][0] for r in ros_n], "openpyxl 普通模式",
                            max(r["peak_mb"] for r in ros)))
            rows.append(Row("报送包峰值内存（预览稿 / 重新生成，取大者）", 300, "MB",
                            [max(a["peak_mb"], b["peak_mb"]) for a, b in zip(app, exp, strict=True)], None, "",
                            max(r["peak_mb"] for r in app + exp)))
            rows.append(Row("名册 .xlsx 峰值内存", 300, "MB", [r["peak_mb"] for r in ros], [r["peak_mb"] for r in ros_n],
                            "openpyxl 普通模式", max(r["peak_mb"] for r in ros)))
        def m_import() -> None:
            from benchmarks import bench_treasury_import as bt

            n = args.import_rows or (10_000 if args.quick else 100_000)
            limit = min(args.baseline_rows, n)
            step(f"国库支付数据导入 {n:,} 行（准备文件）")
            base_db, xlsx = bt.build_base(work, n)
            app_t, base_t, peaks, cpus = [], [], [], []
            for k in range(runs):
                one = work / f"imp-{k}.db"
                shutil.copy(base_db, one)
                r = spawn("import", "app", str(one), "--xlsx", str(xlsx))
                app_t.append(r["times"][0])
                cpus.append(r["cpu"][0])
                peaks.append(r["peak_mb"])
                one.unlink()
            for k in range(max(3, runs // 2)):
                one = work / f"imp-b{k}.db"
                shutil.copy(base_db, one)
                r = spawn("import", "naive", str(one), "--xlsx", str(xlsx), "--limit", str(limit))
                base_t.append(r["times"][0])
                one.unlink()
            rows.append(Row(f"导入国库支付数据 {n:,} 行（一个事务）", 20.0, "s", app_t, base_t,
                            f"逐行提交（测 {limit:,} 行，按行数外推）", max(peaks), base_scale=n / limit, cpu=cpus))
        def m_verify() -> None:
            step("verify（含审计哈希链）")
            app = repeat(runs, "verify", "app", str(db))
            base = repeat(max(3, runs // 2), "verify", "naive", str(db), "--limit", "20000")
            scale = base[0]["total_rows"] / base[0]["rows"]
            rows.append(Row("verify 全部检查（含审计哈希链、已签发报送包重新生成）", 30.0, "s", [r["times"][0] for r in app],
                            [r["times"][0] for r in base], f"逐行查询最后审计记录（测 {base[0]['rows']:,} 行，外推到 "
                            f"{base[0]['total_rows']:,} 行，仅“数据与审计一致”一项）", max(r["peak_mb"] for r in app),
                            base_scale=scale, cpu=[r["cpu"][0] for r in app]))
        def m_freeze() -> None:
            for work_name, title in (("warnings", "重新计算预警"), ("package", "生成报送包预览稿"), ("verify", "verify")):
                step(f"界面冻结：{title}")
                app = repeat(runs if work_name != "verify" else max(3, runs // 2), "freeze", "app", str(copy),
                             "--work", work_name)
                base = repeat(max(1, runs // 3) if work_name != "verify" else 1, "freeze", "naive", str(copy),
                              "--work", work_name)
                rows.append(Row(f"最长界面冻结：{title}时（ui.kit.ops.Op，10 ms 定时器）", 0.2, "s",
                                [r["times"][0] for r in app], [r["times"][0] for r in base], "在界面线程中直接运行",
                                max(r["peak_mb"] for r in app),
                                note=f"该工作 {statistics.median(r['work_s'] for r in app):.1f} s"))
        errors: list[str] = []
        for name, measure in (("open", m_open), ("filter", m_filter), ("warnings", m_warnings), ("package", m_package),
                              ("import", m_import), ("verify", m_verify), ("freeze", m_freeze)):
            if want(name):
                try:
                    measure()
                except Exception as exc:  # noqa: BLE001 - one broken measurement must not lose the others
                    errors.append(f"{name}: {exc}")
                    print(f"  失败：{name}: {exc}", flush=True)
        peak_all = max(r.peak for r in rows) if rows else 0.0
        rows.append(Row("峰值内存（以上各项的子进程中最大者）", 500, "MB", [peak_all], None, "", peak_all))
        step("完成")
        print()
        print(f"机器：{machine(db)}；测量期间 1 分钟负载 {min(loads):.2f}–{max(loads):.2f}")
        print(f"每项为 {runs} 次的中位数（最小–最大），基线在同一次运行中测量；比值 = 基线 / 本程序。")
        print()
        print("| 项目 | 本程序 中位数（最小–最大） | CPU s | 基线 中位数（最小–最大） | 比值 | 目标 | 结果 | 峰值内存 MB | 说明 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print("| " + " | ".join(r.cells()) + " |")
        failed = [r.name for r in rows if not r.passed and not r.proposal]
        print()
        print("全部达标。" if not failed and not errors else "未达标：" + "；".join(failed))
        for e in errors:
            print(f"未能测量：{e}")
        print(f"总用时 {time.perf_counter() - t_all:.0f} s")
        return 0 if not failed and not errors else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
