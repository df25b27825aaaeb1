"""Issue #22: what a new day's warnings recompute costs, per detector and for the save, on one or more counties.

    .venv/bin/python benchmarks/bench_warnings_day.py A.db [B.db …] [--day 2026-12-08] [--runs 3] [--profile]

Each county (from `make_county.py`, e.g. `--scale 0.1` and `--years 15 --scale 0.1`) is copied once and its warnings
stored as of 2026-11-25 (as `run.py` prepares it: the file a clerk used that day); then, each run in a fresh
subprocess on a fresh copy of that, the recompute of `--day` (a new day: the clock moved, no data changed) is
timed: the incremental detection (`detect_incremental`), the save (`recompute(detection=…)`), CPU and wall seconds,
and the process's peak RSS above what opening the file left (VmHWM reset through /proc/self/clear_refs after the
open). Then, once, every detector run alone in full (`detect`'s way, CPU s and findings) — what each one would cost
if the new day re-ran it over the whole history. `--profile`: a cProfile of one new-day recompute (top 40 by
cumulative time). Both counties in the same run, so their ratio is measured under the same load.

Nothing here is a test; tests/ holds no timed assertion.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PREPARED_ON = dt.date(2026, 11, 25)


def _status(name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM := VmRSS
    except OSError:
        pass


def prepare(db: Path, folder: Path, on: dt.date = PREPARED_ON) -> Path:
    from app.models.warnings import engine
    from benchmarks.run import open_county

    copy = folder / f"{db.stem}-prepared.db"
    shutil.copy(db, copy)
    book = open_county(copy)
    book.clock = lambda: dt.datetime.combine(on, dt.time(18, 0))
    engine.recompute(book, as_of=on)
    book.close(backup=False)
    return copy


def child(prepared: Path, day: dt.date, mode: str) -> dict[str, Any]:
    from app.models.warnings import engine, registry
    from app.models.warnings.base import Context
    from benchmarks.run import open_county

    work = prepared.with_name(prepared.stem + "-work.db")
    shutil.copy(prepared, work)
    book = open_county(work)
    out: dict[str, Any] = {"open_peak_mb": _status("VmHWM"), "rss_mb": _status("VmRSS")}
    _reset_peak()
    if mode == "day":
        c, t = time.process_time(), time.perf_counter()
        det = engine.detect_incremental(book, day)
        c1, t1 = time.process_time(), time.perf_counter()
        r = engine.recompute(book, as_of=day, detection=det)
        out |= {"detect_cpu": c1 - c, "detect_wall": t1 - t, "save_cpu": time.process_time() - c1,
                "save_wall": time.perf_counter() - t1, "found": r.found, "fresh": len(det.fresh),
                "peak_above_open_mb": _status("VmHWM") - out["rss_mb"]}
    elif mode == "detectors":
        per: dict[str, list[float]] = {}
        for w in book.rules_on(day).warnings:
            fn = registry.BY_NAME.get(w.detector)
            if fn is None:
                continue
            c = time.process_time()
            n = sum(1 for _ in fn(Context(book, day, dict(w.params))))
            per[w.code] = [time.process_time() - c, n]
        out["detectors"] = per
    else:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        engine.recompute(book, as_of=day)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    book.close(backup=False)
    work.unlink()
    return out


def spawn(prepared: Path, day: dt.date, mode: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", str(prepared), day.isoformat(), mode],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    if mode == "profile":
        print(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), sys.argv[4])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", nargs="+", type=Path)
    ap.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 12, 8))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--prepared-on", type=dt.date.fromisoformat, default=PREPARED_ON,
                    help="the day the warnings are stored before the new day (a county whose file already holds a "
                         "run of 2026-11-25, e.g. one run.py prepared: a day after it, so this program's run is stored)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="warnings-day-"))
    prepared = [prepare(db, folder, args.prepared_on) for db in args.db]
    rows: list[dict[str, Any]] = [{} for _ in prepared]
    for _ in range(args.runs):  # alternating: the counties share the load of each moment
        for i, p in enumerate(prepared):
            for k, v in spawn(p, args.day, "day").items():
                rows[i].setdefault(k, []).append(v)
    print(f"新的一天 {args.day}（预警按 {args.prepared_on} 算好），{args.runs} 次中位数")
    keys = ("detect_cpu", "detect_wall", "save_cpu", "save_wall", "peak_above_open_mb", "open_peak_mb", "found",
            "fresh")
    print("| 项目 | " + " | ".join(db.stem for db in args.db) + (" | 增长 |" if len(args.db) == 2 else " |"))
    for k in keys:
        med = [statistics.median(r[k]) for r in rows]
        growth = f" | {med[1] / med[0]:.2f}× |" if len(med) == 2 and med[0] else " |"
        print(f"| {k} | " + " | ".join(f"{m:,.3f}" for m in med) + growth)
    total = [statistics.median([a + b for a, b in zip(r["detect_cpu"], r["save_cpu"], strict=True)]) for r in rows]
    print("| CPU 合计 | " + " | ".join(f"{m:.3f}" for m in total)
          + (f" | {total[1] / total[0]:.2f}× |" if len(total) == 2 else " |"))
    per = [spawn(p, args.day, "detectors")["detectors"] for p in prepared]
    print("\n每个检测单独全量运行（CPU s / 条数）")
    for code in per[0]:
        cells = [f"{d[code][0]:.3f} / {d[code][1]:,}" for d in per if code in d]
        print(f"| {code} | " + " | ".join(cells) + " |")
    if args.profile:
        for p in prepared:
            spawn(p, args.day, "profile")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
