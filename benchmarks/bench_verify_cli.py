"""`fundledger verify` before and after a change, alternated in one run: wall, CPU (the command and every process it
started, verify's worker processes included) and the load at the start of each run (issue #22 item 2).

    .venv/bin/python benchmarks/bench_verify_cli.py BEFORE_TREE AFTER_TREE COUNTY.db … [--runs 3] [--also-off]

BEFORE_TREE / AFTER_TREE: checkouts (e.g. `git archive main | tar -x -C /tmp/base`); each runs `python -m app verify`
from its own folder. `--also-off` adds the after tree with FUNDLEDGER_VERIFY_PROCESSES=0 (no worker processes).
Figures in docs/性能.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("db", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--also-off", action="store_true")
    args = parser.parse_args()
    variants: dict[str, tuple[Path, dict[str, str]]] = {"改前": (args.before, {}), "改后": (args.after, {})}
    if args.also_off:
        variants["改后、不用子进程"] = (args.after, {"FUNDLEDGER_VERIFY_PROCESSES": "0"})
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for db in args.db:
        for k in range(args.runs):
            for name, (tree, env) in variants.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                load = os.getloadavg()[0]
                start = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "app", "verify", str(db)], cwd=tree, capture_output=True,
                                      text=True, env=dict(os.environ, QT_QPA_PLATFORM="offscreen", **env))
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                chain = next((line.strip() for line in done.stdout.splitlines() if "哈希链" in line), "")
                results.setdefault((db.name, name), []).append((wall, cpu))
                print(f"{db.name} 第 {k + 1} 轮 {name}：墙钟 {wall:.2f} s，CPU {cpu:.2f} s，负载 {load:.2f}，"
                      f"{'全部通过' if '全部通过' in done.stdout else '未通过'}  {chain}", flush=True)
    for (db_name, name), values in results.items():
        print(f"中位数 {db_name} {name}：墙钟 {statistics.median(w for w, _c in values):.2f} s，"
              f"CPU {statistics.median(c for _w, c in values):.2f} s")


if __name__ == "__main__":
    main()
