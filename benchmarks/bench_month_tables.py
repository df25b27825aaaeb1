"""One month's nine tables: each row source and the whole `assemble`, CPU and wall seconds (issue #22 item 1).

    python benchmarks/bench_month_tables.py 县.db [--month 2026-11] [--runs 5]

Opens the file read-only, as the 月报 tab's preview does (`reports.monthly.assemble` on a fresh `Period`), and
prints one JSON line "RESULT {...}": per source the smallest CPU and wall time of `--runs` runs, the same for the
whole assemble (two fewer runs, at least 2), and the peak memory of the process. Compare two versions of the
program in one run by running this same file with PYTHONPATH pointing at each source tree:

    PYTHONPATH=/tmp/before python benchmarks/bench_month_tables.py /tmp/c15.db
    PYTHONPATH=$PWD       python benchmarks/bench_month_tables.py /tmp/c15.db
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--month", default="2026-11")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from app.models.reports import monthly, sources
    from app.models.store.book import open_book

    book = open_book(args.db, read_only=True, check="deferred")
    try:
        out: dict[str, dict[str, float]] = {}
        for name, source in sources.all_sources().items():
            cpu, wall = [], []
            for _ in range(args.runs):
                p = sources.Period(book, args.month)
                c, t = time.process_time(), time.perf_counter()
                source(book, p)
                cpu.append(time.process_time() - c)
                wall.append(time.perf_counter() - t)
            out[name] = {"cpu": round(min(cpu), 4), "wall": round(min(wall), 4)}
        cpu, wall = [], []
        for _ in range(max(2, args.runs - 2)):
            c, t = time.process_time(), time.perf_counter()
            monthly.assemble(book, month=args.month)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - t)
        out["assemble"] = {"cpu": round(min(cpu), 4), "wall": round(min(wall), 4)}
        out["peak_mb"] = {"rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    finally:
        book.close(backup=False)
    print("RESULT " + json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
