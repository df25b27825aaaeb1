"""Each check of the full `fundledger verify` on its own, in order, on one read-only connection: wall and CPU seconds
per check (issue #22 item 2: which phases grow with the history), then the whole verify as the CLI runs it (the long
checks in threads, the hash chain in worker processes where the file is large enough) with its wall, CPU (all threads
and the worker processes) and peak memory.

    .venv/bin/python benchmarks/bench_verify_phases.py COUNTY.db [--profile NAME …]

COUNTY.db from make_county.py (e.g. `--scale 0.1` and `--years 15 --scale 0.1`); read only. `--profile` prints the
cProfile of the named checks (a substring of the name). Figures in docs/性能.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.export import evidence, prefecture, signed  # noqa: E402
from app.models.integrity import anchors  # noqa: E402
from app.models.integrity import verify as integrity  # noqa: E402
from app.models.store.book import open_book  # noqa: E402
from benchmarks.run import peak_mb  # noqa: E402


def _children_cpu() -> float:
    """User + system CPU seconds of the child processes waited for so far (verify's worker processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path)
    parser.add_argument("--profile", nargs="*", default=[], metavar="NAME")
    args = parser.parse_args()
    book = open_book(args.db, read_only=True)
    try:
        checks = integrity.base_checks() + integrity.extra_checks() + [
            ("签发记录的审计链头、签名与签名密钥", anchors.check_signoffs),
            ("已签发月份按现有数据重新汇总与签发时一致", anchors.check_drift_on),
            ("已签发报送包可重新生成且哈希一致", lambda _c: signed.check_signed(book)),
            ("汇总报送包可重新生成且哈希一致、签名有效", lambda _c: prefecture.check_forwarded(book))]
        total_wall = total_cpu = 0.0
        for name, check in checks:
            profile = cProfile.Profile() if any(p in name for p in args.profile) else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profile is not None:
                profile.enable()
            found = list(check(book.conn))
            if profile is not None:
                profile.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(f"{wall:8.2f} s 墙钟 {cpu:8.2f} s CPU  {len(found)} 处  {name}", flush=True)
            if profile is not None:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(20)
                print(out.getvalue())
        print(f"逐项合计：墙钟 {total_wall:.2f} s，CPU {total_cpu:.2f} s")
        wall, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
        report = evidence.verify(book)
        wall, cpu, kids = time.perf_counter() - wall, time.process_time() - cpu, _children_cpu() - kids
        how = "；".join(f"{name}{text}" for name, text in report.how.items()) or "审计链在线程中"
        print(f"完整核验（与命令行相同，长检查在线程中，{how}）：{'通过' if report.ok else '未通过'}，墙钟 {wall:.2f} s，"
              f"CPU {cpu + kids:.2f} s（全部线程 {cpu:.2f} + 子进程 {kids:.2f}），峰值内存 {peak_mb():.0f} MB（本进程）")
    finally:
        book.close()


if __name__ == "__main__":
    main()
