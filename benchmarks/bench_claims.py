"""Benchmark: the false-claim cross-checks W11–W15 (issue #18) on a generated county, against a naive first version
measured in the same run (target on the full county — 1,000,000 real-name lines, 60,000 payments —: median < 3 s,
in the background).

    .venv/bin/python benchmarks/bench_claims.py --db COUNTY.db [--runs 5] [--naive-lines N]
    .venv/bin/python benchmarks/bench_claims.py --db COUNTY.db --incremental [--runs 3] [--days 1]

--incremental measures what the dashboard's background run does after a day of work: the whole W11–W16 run is
stored for the day before the county's last payment day (`--days` earlier), then the run for the last day (that
day's payments entered) is timed incrementally (`claims_incremental`: the changed payments' persons, accounts and
payees only, the stored findings kept for the rest, unread; W16 whole) against the whole run on the same day, in the
same process; and the two results must be equal. Each run also times detection and storing together, as the
dashboard's background run does, on a fresh copy of the stored county: storing the detection as it is (the kept
warnings neither read back nor rewritten) and, for comparison, its findings materialised and stored whole (the
save before that change); the two warnings tables must be equal.

COUNTY.db is made by `benchmarks/make_county.py OUT.db --scale 0.1 --no-sign` (100,000 lines); a copy is used, so
the county is left as it was. The copy gets the two rosters the checks compare with, written in one system
transaction: the 脱贫户/监测对象 roster of every paid person but every 50th (and every 97th recorded as deceased
in 2024), and a staff list of 2,000 officials of whom 20 were paid.

The set-based detectors are the engine's own (`claims_detectors`, one SQL statement each over the indexes of
schema 0013). The naive version is what a first version would do: read every paid real-name line, then for each
line ask for its payment and project and look the person up in both rosters (three queries a line), and group in
Python. It is timed on the first --naive-lines lines (default all) and scaled to the whole count when fewer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.models.store import users  # noqa: E402
from app.models.store.book import Book, open_book  # noqa: E402
from app.models.warnings import claims_detectors as claims  # noqa: E402
from app.models.warnings import engine, registry  # noqa: E402
from app.models.warnings.base import Context  # noqa: E402

AS_OF = dt.date(2026, 11, 25)
PASSWORD = "bench-pass-1"  # make_county's chief
CODES = ("W11", "W12", "W13", "W14", "W15")


def add_rosters(book: Book) -> tuple[int, int]:
    people = book.conn.execute("SELECT id_number, min(name) FROM real_name_lines GROUP BY id_number").fetchall()
    stamp = "2026-11-25 09:00:00"
    with book.write("import_roster", system=True) as conn:
        conn.execute("DELETE FROM roster_people")
        poor = conn.execute("INSERT INTO roster_imports (kind, file_name, file_sha256, persons, imported_by, imported_at) "
                            "VALUES ('poor', 'bench.xlsx', ?, ?, NULL, ?)", ("0" * 64, len(people), stamp)).lastrowid
        rows = []
        for n, (number, name) in enumerate(people):
            if n % 50 == 0:
                continue
            dead = n % 97 == 0
            rows.append(("poor", poor, n + 2, number, name, "村", "脱贫户", "deceased" if dead else "normal",
                         "2024-01-01" if dead else None))
        conn.executemany("INSERT INTO roster_people (kind, import_id, row_no, id_number, name, unit, category, status, "
                         "status_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        staff = conn.execute("INSERT INTO roster_imports (kind, file_name, file_sha256, persons, imported_by, "
                             "imported_at) VALUES ('staff', 'bench.xlsx', ?, 2020, NULL, ?)", ("0" * 64, stamp)).lastrowid
        officials = [("staff", staff, n + 2, f"65990319700101{n:04d}", f"干部{n}", "县直单位", "在编", "normal", None)
                     for n in range(2000)]
        officials += [("staff", staff, 2002 + n, people[n * 37][0], people[n * 37][1], "乡政府", "聘用", "normal", None)
                      for n in range(20)]
        conn.executemany("INSERT INTO roster_people (kind, import_id, row_no, id_number, name, unit, category, status, "
                         "status_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", officials)
    return len(rows), len(officials)


def set_based(book: Book, each: dict[str, list[float]]) -> dict[str, int]:
    ctx = Context(book, AS_OF)
    counts: dict[str, int] = {}
    for code, fn in zip(CODES, (claims.repeated_subsidies, claims.shared_accounts, claims.staff_payees,
                                claims.off_roster, claims.holder_mismatch), strict=True):
        t = time.perf_counter()
        counts[code] = sum(1 for _ in fn(ctx))
        each.setdefault(code, []).append(time.perf_counter() - t)
    return counts


def naive(book: Book, limit: int | None) -> tuple[float, int, dict[str, int]]:
    """W11 W12 W13 W14 the obvious way (the same allowances): per line, its payment and project, then both rosters; group in Python."""
    claims_rules = book.rules.claims
    kinds = list(claims_rules.subsidy_payment_kinds)
    person_kinds = [k.code for k in book.rules.payment.kinds if k.real_name_list]
    conn = book.conn
    start = time.perf_counter()
    lines = conn.execute("SELECT payment_id, id_number, account, amount FROM real_name_lines ORDER BY id"
                         + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    per_person: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    per_account: dict[str, set[str]] = defaultdict(set)
    staff_hits: set[str] = set()
    off: set[int] = set()
    for payment_id, number, account, _amount in lines:
        y = conn.execute("SELECT y.status, y.pay_date, y.kind, y.project_id, p.category FROM payments y "
                         "JOIN projects p ON p.id = y.project_id WHERE y.id = ?", (payment_id,)).fetchone()
        if y is None or y[0] != "paid" or y[1] > AS_OF.isoformat() or y[2] not in person_kinds:
            continue
        per_account[account].add(number)
        if conn.execute("SELECT 1 FROM roster_people WHERE kind = 'staff' AND id_number = ?", (number,)).fetchone():
            staff_hits.add(number)
        if y[2] in kinds:
            allow = claims_rules.allowance(y[4])
            per_person[(number, y[4], y[1][:4] if allow.per == "year" else "")].add(y[3])
            r = conn.execute("SELECT status, status_date FROM roster_people WHERE kind = 'poor' AND id_number = ?",
                             (number,)).fetchone()
            if r is None or (r[0] != "normal" and r[1] <= y[1]):
                off.add(payment_id)
    limit_ids = book.rules.claims.max_ids_per_account
    counts = {"W11": sum(1 for (_n, cat, _p), v in per_person.items() if len(v) > claims_rules.allowance(cat).times),
              "W12": sum(1 for v in per_account.values() if len(v) > limit_ids),
              "W13": len(staff_hits), "W14": len(off)}
    return time.perf_counter() - start, len(lines), counts


INCREMENTAL_CODES = ("W11", "W12", "W13", "W14", "W15", "W16")


def _whole(book: Book, day: dt.date) -> tuple[dict[str, list[engine.Finding]], dict[str, list[str]]]:
    """Every claims detector run whole on `day`, with the tables each read (as the engine records them)."""
    names = {w.code: w.detector for w in book.rules_on(day).warnings}
    found: dict[str, list[engine.Finding]] = {}
    reads: dict[str, list[str]] = {}
    for code in INCREMENTAL_CODES:
        seen: set[str] = set()
        book.conn.set_authorizer(engine._recorder(seen))
        try:
            found[code] = list(registry.BY_NAME[names[code]](Context(book, day)))
        finally:
            book.conn.set_authorizer(None)
        reads[code] = sorted(seen | set(engine.ALWAYS_READ))
    return found, reads


def _incremental(book: Book, day: dt.date) -> engine.Detection:
    """The claims part of `engine.detect_incremental` on `day` after the stored run: delta, re-runs over the changed
    groups (W16 whole); the stored warnings of the other groups kept, not read (`Detection.kept`)."""
    detection = engine.detect_incremental(book, day, codes=INCREMENTAL_CODES)
    assert {k.code for k in detection.kept} == set(CODES), "the claims checks were not incremental"
    return detection


def _changed(book: Book, day: dt.date) -> int:
    """How many payments the delta since the stored run names."""
    previous = engine.last_run(book)
    assert previous is not None
    where = engine._log_range(book, previous, json.loads(previous["reads"]))
    delta = engine._claims_delta(book, previous, where, day)
    return len(delta.payments) if delta else -1


def _by_code(findings: list[engine.Finding]) -> dict[str, list[engine.Finding]]:
    return {code: [f for f in findings if f.code == code] for code in INCREMENTAL_CODES}


def _table(book: Book) -> list[tuple[object, ...]]:
    return [tuple(r) for r in book.conn.execute(
        "SELECT id, key, amount, detail, object_label, since, first_detected, status, cleared_on, project_id "
        "FROM warnings ORDER BY id")]


def _flushed(path: Path) -> None:
    """Wait for the file's pages to reach the disk: else the first commit's fsync also writes the whole copy
    (1 GB of a large county) and times the copying, not the storing."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: Path, target: Path) -> None:
    shutil.copy2(source, target)
    _flushed(target)


def _save(base: Path, copy: Path, day: dt.date, *, kept: bool) -> tuple[float, float, float, list[tuple[object, ...]]]:
    """What the dashboard's background run does after a day of work, on a fresh copy of `base`: detect, then store.
    kept=True: `recompute(detection=…)` (the kept warnings neither read nor rewritten); False: the detection's
    findings materialised and stored whole (`recompute(findings=…)`, every kept warning read back and compared —
    the save before this change). (wall, CPU, of which the store's wall, the warnings table after)."""
    _copy(base, copy)
    book = open_book(copy)
    try:
        users.login(book, "chief", PASSWORD)
        t, c = time.perf_counter(), time.process_time()
        detection = engine.detect_incremental(book, day, codes=INCREMENTAL_CODES)
        s = time.perf_counter()
        if kept:
            engine.recompute(book, as_of=day, detection=detection)
        else:
            engine.recompute(book, as_of=day, findings=detection.findings, reads=detection.reads)
        wall, cpu, store = time.perf_counter() - t, time.process_time() - c, time.perf_counter() - s
        return wall, cpu, store, _table(book)
    finally:
        book.close(backup=False)
        copy.unlink()


def _same(a: list[engine.Finding], b: list[engine.Finding]) -> bool:
    def k(f: engine.Finding) -> tuple[object, ...]:
        return (f.key, f.amount, f.detail, f.object_label, f.since, f.project_id, f.object_id)
    return sorted(map(k, a)) == sorted(map(k, b))


def incremental_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        base = Path(tmp) / "county.db"
        _copy(args.db, base)
        book = open_book(base)
        try:
            add_rosters(book)
            users.login(book, "chief", PASSWORD)  # the stored run is written as the dashboard's would be
            last = book.conn.execute("SELECT max(pay_date) FROM payments WHERE status = 'paid'").fetchone()[0]
            day = dt.date.fromisoformat(last)
            start = day - dt.timedelta(days=args.days)
            total = book.conn.execute("SELECT count(*) FROM real_name_lines").fetchone()[0]
            n_pay = book.conn.execute("SELECT count(*) FROM payments").fetchone()[0]
            found, reads = _whole(book, start)
            head = book.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
            engine.recompute(book, as_of=start, findings=[f for v in found.values() for f in v],
                             reads={**reads, engine.AUDIT_SEQ: [str(head)]})
            stored = book.conn.execute("SELECT count(*) FROM warnings WHERE cleared_on IS NULL").fetchone()[0]
        finally:
            book.close(backup=False)
        _flushed(base)
        whole_t: list[float] = []
        inc_t: list[float] = []
        whole_cpu: list[float] = []
        inc_cpu: list[float] = []
        save: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
        loads: list[float] = []
        whole: dict[str, list[engine.Finding]] = {}
        inc: dict[str, list[engine.Finding]] = {}
        changed = 0
        same_table = True
        for _ in range(args.runs):
            loads.append(os.getloadavg()[0])
            book = open_book(base)
            try:
                t, c = time.perf_counter(), time.process_time()
                whole, _r = _whole(book, day)
                whole_t.append(time.perf_counter() - t)
                whole_cpu.append(time.process_time() - c)
                t, c = time.perf_counter(), time.process_time()
                detection = _incremental(book, day)
                inc_t.append(time.perf_counter() - t)
                inc_cpu.append(time.process_time() - c)
                changed = _changed(book, day)
                inc = _by_code(detection.findings)  # the kept warnings read from the store: after the timing
            finally:
                book.close(backup=False)
            tables = []
            for kept in (False, True):
                wall, cpu, store, table = _save(base, Path(tmp) / "save.db", day, kept=kept)
                save[kept].append((wall, cpu, store))
                tables.append(table)
            same_table = same_table and tables[0] == tables[1]
        loads.append(os.getloadavg()[0])
        equal = all(_same(whole[c], inc[c]) for c in INCREMENTAL_CODES)
        counts = {c: len(v) for c, v in inc.items()}
    mw, mi = statistics.median(whole_t), statistics.median(inc_t)
    med = statistics.median
    print(f"县：实名制名册 {total:,} 行，支付 {n_pay:,} 笔；上次计算 {start}（保存的预警 {stored:,} 条），本次 {day}"
          f"（其间变动的支付 {changed} 笔）；负载（1 分钟）{', '.join(f'{x:.1f}' for x in loads)}")
    print(f"W11–W16 全量检测：中位数 {mw:.3f} s（{args.runs} 次：{', '.join(f'{x:.2f}' for x in whole_t)}）；"
          f"CPU 中位数 {med(whole_cpu):.3f} s")
    print(f"W11–W16 增量检测：中位数 {mi:.3f} s（{args.runs} 次：{', '.join(f'{x:.2f}' for x in inc_t)}）；"
          f"CPU 中位数 {med(inc_cpu):.3f} s（{', '.join(f'{x:.2f}' for x in inc_cpu)}）；各类条数 {counts}")
    for kept, name in ((False, "检测 + 保存（旧：读回全部沿用的预警再比对）"), (True, "检测 + 保存（新：沿用的预警不读回）")):
        runs = save[kept]
        print(f"{name}：墙钟中位数 {med(r[0] for r in runs):.3f} s（{', '.join(f'{r[0]:.2f}' for r in runs)}），"
              f"CPU 中位数 {med(r[1] for r in runs):.3f} s（{', '.join(f'{r[1]:.2f}' for r in runs)}），"
              f"其中保存墙钟中位数 {med(r[2] for r in runs):.3f} s")
    print(f"比值：全量 / 增量检测 = {mw / mi:.1f} 倍；增量结果与全量{'一致' if equal else '不一致！'}；"
          f"两种保存后的预警表{'一致' if same_table else '不一致！'}")
    if not (equal and same_table):
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--naive-lines", type=int, default=0)
    ap.add_argument("--incremental", action="store_true", help="time the incremental run against the whole one")
    ap.add_argument("--days", type=int, default=1, help="--incremental: days of payments between the two runs")
    ap.add_argument("--tmp", default=None, help="where the county's copy goes (default the system temp folder)")
    args = ap.parse_args()
    if args.incremental:
        incremental_main(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "county.db"
        shutil.copy2(args.db, copy)
        book = open_book(copy)  # migrates a county made before schema 0013
        try:
            on_roster, staff = add_rosters(book)
            total = book.conn.execute("SELECT count(*) FROM real_name_lines").fetchone()[0]
            payments = book.conn.execute("SELECT count(*) FROM payments").fetchone()[0]
            times: list[float] = []
            counts: dict[str, int] = {}
            each: dict[str, list[float]] = {}
            for _ in range(args.runs):
                t = time.perf_counter()
                counts = set_based(book, each)
                times.append(time.perf_counter() - t)
            elapsed, read, naive_counts = naive(book, args.naive_lines or None)
            naive_full = elapsed * total / max(read, 1)
        finally:
            book.close(backup=False)
    med = statistics.median(times)
    print(f"县：实名制名册 {total:,} 行，支付 {payments:,} 笔；脱贫户名册 {on_roster:,} 人，财政供养人员 {staff:,} 人")
    print(f"W11–W15 集合查询：中位数 {med:.3f} s（{args.runs} 次，最小 {min(times):.3f} s，最大 {max(times):.3f} s）；"
          f"各类条数 {counts}")
    print("其中各类中位数：" + "，".join(f"{c} {statistics.median(v):.3f} s" for c, v in each.items()))
    scaled = "" if read == total else f"（实测 {read:,} 行 {elapsed:.2f} s，按行数折算）"
    print(f"逐行查询的朴素做法：{naive_full:.2f} s{scaled}；各类条数 {naive_counts}")
    print(f"比值：朴素 / 集合 = {naive_full / med:.1f} 倍")


if __name__ == "__main__":
    main()
