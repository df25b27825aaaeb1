"""Benchmark: evaluating every payment check for one request on the large county (target: median < 50 ms).

Run: `.venv/bin/python benchmarks/bench_checks.py [--runs 200] [--db 文件] [--keep]`. Without --db the large
county of benchmarks/warnings_county.py is generated first (1,000 indicators, 2,500 projects, 60,000 paid
requests, 200,000 ledger entries). Each run evaluates `checks.evaluate` for a request drawn from the data
(cycling over a fixed, seeded sample of kinds: progress, prepayment, retention, management fee, real-name),
so caches do not flatter the figure; `checks.preview` (what the form shows while typing) is timed as well.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.models.payments import checks  # noqa: E402
from app.models.store.book import open_book  # noqa: E402
from benchmarks.bench_warnings import generate  # noqa: E402

KINDS = ("progress", "prepayment", "retention", "management_fee", "household_subsidy", "settlement")


def sample(book: object, n: int) -> list[checks.Draft]:
    """Requests as a clerk would type them: real project lines, a seeded mix of kinds and amounts."""
    rng = random.Random(20261127)
    conn = book.conn  # type: ignore[attr-defined]
    lines = conn.execute("SELECT f.project_id, f.indicator_id, f.amount FROM project_funding f JOIN projects p "
                         "ON p.id = f.project_id WHERE p.decision_id IS NOT NULL ORDER BY f.id").fetchall()
    payees = [r[0] for r in conn.execute("SELECT id FROM payees ORDER BY id LIMIT 50")]
    paid = [r[0] for r in conn.execute("SELECT id FROM payments WHERE status = 'paid' ORDER BY id LIMIT 2000")]
    out = []
    for i in range(n):
        line = lines[rng.randrange(len(lines))]
        kind = KINDS[i % len(KINDS)]
        out.append(checks.Draft(int(line[0]), int(line[1]), None if kind == "household_subsidy" else rng.choice(payees),
                                max(1_00, int(line[2]) // rng.randint(5, 40)), kind,
                                "household_subsidy" if kind == "household_subsidy" else "industry", "direct",
                                rng.choice(paid) if i % 3 == 0 else None))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--keep", action="store_true", help="保留生成的大县数据库")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-checks-"))
    path = args.db or tmp / "大县.db"
    if args.db is None:
        start = time.perf_counter()
        generate(path)
        print(f"生成大县数据库：{time.perf_counter() - start:.1f} s → {path}")
    book = open_book(path, read_only=True)
    try:
        counts = {t: book.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("indicators", "projects", "payments", "ledger_entries", "payment_checks", "real_name_lines")}
        print("规模：" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
        drafts = sample(book, args.runs)
        checks.evaluate(book, drafts[0])  # warm the statement cache once, as a running app has
        results = {}
        for name, fn in (("checks.evaluate（全部 13 项检查）", lambda d: checks.evaluate(book, d)),
                         ("checks.preview（含剩余额与预付比例）",
                          lambda d: checks.preview(book, {k: getattr(d, k) for k in checks.Draft.__dataclass_fields__}))):
            times = []
            for d in drafts:
                start = time.perf_counter()
                fn(d)
                times.append((time.perf_counter() - start) * 1000)
            results[name] = times
        print(f"机器：{platform.system()} {platform.machine()}，{os.cpu_count()} CPU，Python {platform.python_version()}")
        print("| 项目 | 中位数 (ms) | p90 | 最大 | 次数 |\n|---|---|---|---|---|")
        for name, times in results.items():
            times.sort()
            print(f"| {name} | {statistics.median(times):.2f} | {times[int(len(times) * 0.9)]:.2f} | {times[-1]:.2f} "
                  f"| {len(times)} |")
    finally:
        book.close()
        if args.db is None and not args.keep:
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
