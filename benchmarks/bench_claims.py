"""Benchmark: the false-claim cross-checks W11–W15 (issue #18) on a generated county, against a naive first version
measured in the same run (target on the full county — 1,000,000 real-name lines, 60,000 payments —: median < 3 s,
in the background).

    .venv/bin/python benchmarks/bench_claims.py --db COUNTY.db [--runs 5] [--naive-lines N]

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

from app.models.store.book import Book, open_book  # noqa: E402
from app.models.warnings import claims_detectors as claims  # noqa: E402
from app.models.warnings.base import Context  # noqa: E402

AS_OF = dt.date(2026, 11, 25)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--naive-lines", type=int, default=0)
    args = ap.parse_args()
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
