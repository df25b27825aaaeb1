"""Benchmark: recomputing the warnings W1–W9 on a large county, against a naive engine in the same run,
and the 监控预警 dashboard's first paint.

    .venv/bin/python benchmarks/bench_warnings.py [--runs 5] [--db PATH] [--keep]

Without --db a five-year county is generated (1,000 indicators, 2,500 approved projects with goals,
60,000 paid requests, 200,000 ledger entries, 10,000 notices, …) — about a minute — and reused with
--keep. Each figure is the median of --runs runs (min and max shown). Not part of the test suite.

The naive engine is what a first version would do: one query per indicator for its balance and last
payment (W5/W6), one per project for its goals (W2), one per payment for its stored checks (W3), and
an UPDATE of every stored warning on every run. The real engine aggregates in SQL and writes only changes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.models.performance import goals as performance  # noqa: E402
from app.models.store import setup, users  # noqa: E402
from app.models.store.book import Book, open_book  # noqa: E402
from app.models.warnings import engine as warnings  # noqa: E402
from app.models.warnings import registry  # noqa: E402

PASSWORD = "bench-pass-1"
AS_OF = dt.date(2026, 11, 25)


class Clock:
    def __call__(self) -> dt.datetime:
        return dt.datetime(2026, 11, 25, 9, 0, 0)


def generate(path: Path) -> None:
    """A large county written in one system transaction per table family (audited and sealed as usual)."""
    from benchmarks.warnings_county import fill

    book = setup.create(path, bureau_name="基准测试县财政局", region_code="659903", level="county",
                        chief_login="chief", chief_name="局长", chief_password=PASSWORD, clock=Clock())
    with book.write("setup", system=True) as conn:  # the county has used the app since January 2022
        conn.execute("UPDATE bureau SET created_at = '2022-01-04 09:00:00' WHERE id = 1")
    fill(book)
    book.close(backup=False)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def naive_detect(book: Book, day: dt.date) -> list[warnings.Finding]:
    """The same findings for W2/W3/W5-bond/W6 by per-object queries; the rest from the engine."""
    found = [f for f in warnings.detect(book, day, codes=["W1", "W4", "W7", "W8", "W9"])]
    iso = day.isoformat()

    def received(ind_id: int) -> str:
        return str(book.conn.execute("SELECT received_date FROM indicators WHERE id = ?", (ind_id,)).fetchone()[0])

    for (ind_id,) in book.conn.execute("SELECT id FROM indicators WHERE received_date <= ?", (iso,)).fetchall():
        net, spent, last = book.conn.execute(
            "SELECT coalesce(sum(CASE WHEN side = 'income' THEN sign * amount END), 0), "
            "coalesce(sum(CASE WHEN side = 'expenditure' THEN sign * amount END), 0), "
            "max(CASE WHEN entry_type = 'expenditure' THEN entry_date END) FROM ledger_entries "
            "WHERE indicator_id = ? AND entry_date <= ?", (ind_id, iso)).fetchone()
        if net - spent > 0 and (day - dt.date.fromisoformat(last or received(ind_id))).days > book.rules.spending.idle_days:
            found.append(warnings.Finding("W6", f"W6:{ind_id}", "indicator", str(ind_id), "", net - spent, None, ""))
    for (pid,) in book.conn.execute("SELECT id FROM projects WHERE decision_id IS NOT NULL").fetchall():
        goals = performance.goals(book, pid, on=day)
        if not goals or performance.problems_of(book, goals):
            funded = book.conn.execute("SELECT sum(amount) FROM project_funding WHERE project_id = ?", (pid,)).fetchone()[0]
            found.append(warnings.Finding("W2", f"W2:project:{pid}", "perf_goals", str(pid), "", int(funded), None, ""))
    for (pay_id,) in book.conn.execute("SELECT id FROM payments WHERE status NOT IN ('draft', 'voided')").fetchall():
        run = book.conn.execute("SELECT max(run) FROM payment_checks WHERE payment_id = ?", (pay_id,)).fetchone()[0]
        if run and book.conn.execute("SELECT 1 FROM payment_checks WHERE payment_id = ? AND run = ? AND outcome = 'fail'",
                                     (pay_id, run)).fetchone():
            amount = book.conn.execute("SELECT amount FROM payments WHERE id = ?", (pay_id,)).fetchone()[0]
            found.append(warnings.Finding("W3", f"W3:payment:{pay_id}", "payment", str(pay_id), "", amount, None, ""))
    return found


def naive_store(book: Book, findings: list[warnings.Finding], day: dt.date) -> None:
    """Rewrite every stored warning of a finding, changed or not (the audit log grows with each run).
    Only the amount is written — the same value the engine stored — so the file stays as the engine left it."""
    with book.write("recompute_warnings") as conn:
        for f in findings:
            conn.execute("UPDATE warnings SET amount = ? WHERE key = ?", (f.amount, f.key))


def first_paint(book: Book, runs: int) -> list[float]:
    from app.ui.dashboard.tab import DashboardTab
    from app.ui.shell.app import make_app

    app = make_app()
    DashboardTab.AUTO_RECOMPUTE = False
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        tab = DashboardTab(book)
        tab.resize(1280, 760)
        tab.show()
        app.processEvents()
        tab.wait()  # the overview is read off the GUI thread: painted once it has arrived
        app.processEvents()
        tab.grab()
        out.append(time.perf_counter() - start)
        tab.close()
        tab.deleteLater()
        app.processEvents()
    return out


def line(name: str, values: list[float], target: str = "") -> str:
    return (f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} | {len(values)} | "
            f"{target} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-runs", type=int, default=3)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated county for the next run")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fl-bench-warnings-"))
    path = args.db
    if path is None:
        path = folder / "county.db"
        start = time.perf_counter()
        generate(path)
        print(f"generated {path} in {time.perf_counter() - start:.1f} s")
    book = open_book(path)
    book.clock = Clock()
    users.login(book, "chief", PASSWORD)
    sizes = {t: book.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "indicators", "projects", "payments", "ledger_entries", "notices", "perf_goals", "treasury_payments")}
    start = time.perf_counter()
    first = warnings.recompute(book, as_of=AS_OF)
    first_run = time.perf_counter() - start
    detect = timed(lambda: warnings.detect(book, AS_OF), args.runs)
    recompute = timed(lambda: warnings.recompute(book, as_of=AS_OF), args.runs)
    naive = timed(lambda: naive_store(book, naive_detect(book, AS_OF), AS_OF), args.naive_runs)
    paint = first_paint(book, args.runs)
    per_code = {}
    for code, detector in sorted(registry.DETECTORS.items()):
        per_code[code] = statistics.median(timed(lambda d=detector: list(d(warnings.Context(book, AS_OF))), args.runs))
    print(f"\n{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU; data: "
          + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + f"; warnings found {first.found:,}")
    print(f"first recompute (inserting every warning): {first_run:.2f} s\n")
    print("| 项目 | 中位数 (s) | 最小 | 最大 | 次数 | 目标 |\n|---|---|---|---|---|---|")
    print(line("检测预警 detect()", detect))
    print(line("重新计算预警 recompute()", recompute, "< 1 s"))
    print(line("朴素基线（逐对象查询 + 每次全部改写）", naive))
    print(line("监控预警页首次绘制", paint, "< 0.5 s"))
    print(f"\n比值：朴素基线 / recompute = {statistics.median(naive) / statistics.median(recompute):.1f} 倍")
    print("各类预警的检测时间（中位数，秒）：" + "，".join(f"{c} {t:.3f}" for c, t in per_code.items()))
    book.close(backup=False)
    if args.db is None and not args.keep:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    elif args.db is None:
        print(f"kept: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
