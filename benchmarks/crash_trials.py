"""Crash trials by the thousand: the CI test (tests/reliability/test_crash.py) kills a working child ~112 times;
this runs the same trials N times (default 1000) spread over every scenario and prints the figures that
docs/可靠性.md quotes.

    .venv/bin/python -m benchmarks.crash_trials            # 1000 trials
    .venv/bin/python -m benchmarks.crash_trials -n 200 --scenario payment_flow --json out.json

Each trial: a child process opens the bureau file and keeps doing real operations (imports, the payment
workflow with its 专账 entry, sign-offs, …); it is SIGKILLed at a random moment; then verify must pass, every
import must be whole, every payment must have its ledger entry or none, every signed package must be whole,
and every operation the child reported as committed must be in the file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from tests.reliability import crash_child as cc
    from tests.reliability.test_crash import run_trials

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--trials", type=int, default=1000, help="trials in all (default 1000)")
    parser.add_argument("--scenario", action="append", choices=sorted(cc.SCENARIOS), help="only these scenarios")
    parser.add_argument("--seed", default="bench", help="seed of the random kill times")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    scenarios = args.scenario or sorted(cc.SCENARIOS)
    per = max(1, args.trials // len(scenarios))
    started = time.perf_counter()
    figures: dict[str, dict[str, object]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fl-crash-") as tmp:
        work = Path(tmp)
        base = cc.prepare(work / "base.db")
        ctx = cc.context()
        for scenario in scenarios:
            t0 = time.perf_counter()
            done = Counter[str]()
            for outcome in run_trials(ctx, base, work, scenario, per, seed=args.seed):
                done["trials"] += 1
                done["operations"] += max(outcome.done, 0)
                done["killed_before_first"] += outcome.done == 0
                if outcome.grown is not None and outcome.grown > outcome.done:
                    done["committed_unreported"] += 1
                if outcome.problems:
                    done["failed"] += 1
                    failures.append(f"{scenario}: {outcome.problems}")
            figures[scenario] = dict(done) | {"seconds": round(time.perf_counter() - t0, 1)}
            f = figures[scenario]
            print(f"{scenario:16s} 试验 {f['trials']:5d} 次  完成操作 {f.get('operations', 0):6d} 次  "
                  f"提交后未及报告即被杀 {f.get('committed_unreported', 0):4d} 次  未通过 {f.get('failed', 0)} 次  "
                  f"{f['seconds']} 秒", flush=True)
    total = sum(int(f["trials"]) for f in figures.values())  # type: ignore[call-overload]
    failed = sum(int(f.get("failed", 0)) for f in figures.values())  # type: ignore[call-overload]
    print(f"合计：{total} 次试验，{failed} 次发现数据丢失或半写入，用时 {time.perf_counter() - started:.0f} 秒")
    for line in failures[:20]:
        print("  ", line)
    if args.json:
        args.json.write_text(json.dumps({"scenarios": figures, "trials": total, "failed": failed}, ensure_ascii=False,
                                        indent=1), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
