"""Issue #22: does month work cost a month? The same figures on two counties of different size, with the growth.

    .venv/bin/python benchmarks/bench_growth.py --small S.db --large L.db [--runs 3]

Both counties come from `benchmarks/make_county.py --scale X` (e.g. 0.1 and 0.3, or 1 and 3). Each figure is
measured on a copy of each file (the originals are not changed), the median of --runs, both files in the
same run, alternating; the growth column is large / small. Figures:

- 表3/表4 and the whole month (`monthly.assemble` of 2026-11, the month after the last signed one): the balances
  carried from the signed 2026-10 against the sums over the whole history (`carried=False`, verify's way);
- warnings: the first recompute of the day (every detector runs), and a recompute later the same day after one
  ledger entry (only the detectors that read the ledger run again), against the full `detect`;
- verify: the full one against the incremental one after that entry (from the anchor the full one left).

Nothing here is a test; tests/ holds no timed assertion.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MONTH = "2026-11"
DAY = dt.date(2026, 11, 25)


CPU: dict[str, float] = {}  # the last measurement's CPU seconds by figure (the machine is shared: less noisy)


def timed(fn: Callable[[], Any], key: str = "") -> float:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    if key:
        CPU[key] = time.process_time() - cpu
    return time.perf_counter() - start


def open_copy(src: Path, work: Path, name: str) -> Any:
    from app.models.store import users
    from app.models.store.book import open_book
    from benchmarks.make_county import CHIEF, PASSWORD, Clock

    path = work / name
    shutil.copy(src, path)
    book = open_book(path)
    book.clock = Clock()
    users.login(book, CHIEF, PASSWORD)
    return book


def one_entry(book: Any, n: int) -> None:
    from app.models.ledger import account as ledger
    from app.models.store import users
    from benchmarks.make_county import CHIEF, CLERK, PASSWORD

    users.login(book, CLERK, PASSWORD)
    ind = book.conn.execute(
        "SELECT i.id FROM indicators i JOIN ledger_entries e ON e.indicator_id = i.id GROUP BY i.id "
        "HAVING sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE -e.sign * e.amount END) > 100 "
        "ORDER BY i.id DESC LIMIT 1").fetchone()[0]
    ledger.post_expenditure(book, indicator_id=int(ind), amount=1, entry_date=DAY, voucher_no=f"GROWTH-{n}",
                            payment_id=None, summary="基准：一笔支出")
    users.login(book, CHIEF, PASSWORD)


def measure(src: Path, work: Path, run: int) -> dict[str, float]:
    from app.export import evidence
    from app.models.integrity import incremental
    from app.models.reports import monthly, sources
    from app.models.store import audit
    from app.models.warnings import engine as warn

    out: dict[str, float] = {"size_mb": src.stat().st_size / 1e6}
    book = open_copy(src, work, f"{src.stem}-{run}.db")
    try:
        out["rows_audit"] = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        p_carried, p_full = sources.Period(book, MONTH), sources.Period(book, MONTH, carried=False)
        out["t3_carried"] = timed(lambda: sources.ledger_balances(book, p_carried), "t3_carried")
        out["t3_full"] = timed(lambda: sources.ledger_balances(book, p_full), "t3_full")
        out["month_carried"] = timed(lambda: monthly.assemble(book, month=MONTH), "month_carried")
        out["month_full"] = timed(lambda: monthly.assemble(book, month=MONTH, carried=False), "month_full")
        out["warn_first"] = timed(lambda: warn.recompute(book, as_of=DAY), "warn_first")
        one_entry(book, run)
        out["warn_detect_full"] = timed(lambda: warn.detect(book, DAY), "warn_detect_full")
        out["warn_same_day"] = timed(lambda: warn.recompute(book, as_of=DAY), "warn_same_day")
        head = audit.head(book.conn)
        found: list[Any] = []
        out["verify_full"] = timed(lambda: found.append(evidence.verify(book)), "verify_full")
        ok = found[0].ok
        if ok:
            incremental.record(book, mode="full", head=head)
        one_entry(book, run + 100)
        report: list[Any] = []
        out["verify_incremental"] = timed(lambda: report.append(incremental.run(book)), "verify_incremental")
        out["verify_ok"] = float(ok and report[0] is not None and report[0].ok)
    finally:
        book.close(backup=False)
        (work / f"{src.stem}-{run}.db").unlink(missing_ok=True)
    out.update({f"cpu:{k}": v for k, v in CPU.items()})
    return out


LABELS = {
    "size_mb": ("文件大小 MB", "", ""), "rows_audit": ("审计记录条数", "", ""),
    "t3_carried": ("表3 2026-11（自已签发的 2026-10 结转）", "t3_full", "表3 按全部历史求和"),
    "month_carried": ("2026-11 九张表汇总 assemble（结转）", "month_full", "按全部历史求和"),
    "warn_first": ("当天第一次重新计算预警（全部检测）", "", ""),
    "warn_same_day": ("同一天记一笔账后重新计算（增量）", "warn_detect_full", "全部重新检测 detect"),
    "verify_incremental": ("增量核验（自锚点，之后记一笔账）", "verify_full", "完整核验"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=Path, required=True)
    ap.add_argument("--large", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {"small": [], "large": []}
    with tempfile.TemporaryDirectory(prefix="growth-") as tmp:
        for run in range(args.runs):
            for which in ("small", "large"):
                results[which].append(measure(getattr(args, which), Path(tmp), run))
                print(f"run {run + 1} {which} done", file=sys.stderr, flush=True)

    def med(which: str, key: str) -> float:
        return statistics.median(r[key] for r in results[which])

    print(f"小：{args.small.name}　大：{args.large.name}　每项 {args.runs} 次中位数（秒，另注明者除外）\n")
    print("| 项目 | 小 | 大 | 增长（大/小） | 对照 | 对照 小 | 对照 大 | 对照增长 |")
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for key, (label, base, base_label) in LABELS.items():
        s, big = med("small", key), med("large", key)
        row = f"| {label} | {s:,.3f} | {big:,.3f} | {big / s:.2f}× |" if s else f"| {label} | {s} | {big} | — |"
        if base:
            bs, bb = med("small", base), med("large", base)
            row += f" {base_label} | {bs:,.3f} | {bb:,.3f} | {bb / bs:.2f}× |"
        else:
            row += " | | | |"
        print(row)
    print("\n同上，CPU 秒（本进程全部线程；机器共用时比墙钟稳定）：\n")
    print("| 项目 | 小 | 大 | 增长 | 对照 小 | 对照 大 | 对照增长 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, (label, base, _base_label) in LABELS.items():
        if f"cpu:{key}" not in results["small"][0]:
            continue
        s, big = med("small", f"cpu:{key}"), med("large", f"cpu:{key}")
        row = f"| {label} | {s:.3f} | {big:.3f} | {big / s:.2f}× |" if s else f"| {label} | {s} | {big} | — |"
        if base:
            bs, bb = med("small", f"cpu:{base}"), med("large", f"cpu:{base}")
            row += f" {bs:.3f} | {bb:.3f} | {bb / bs:.2f}× |"
        else:
            row += " | | |"
        print(row)
    print(f"\n核验均通过：{all(r['verify_ok'] for v in results.values() for r in v)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
