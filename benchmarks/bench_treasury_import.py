"""Benchmark: import a 100,000-row treasury payment file in ONE transaction vs a per-row-commit baseline.

    .venv/bin/python benchmarks/bench_treasury_import.py [--rows 100000] [--runs 3] [--baseline-rows N]

Each measured run is a fresh process on a fresh copy of the same database, so the peak memory
(ru_maxrss of that process) and the time belong to that run alone. Prints a table; not a test.
The baseline commits every row (what a batching helper such as sqlite-utils' insert_all with its
default batch does, and what a naive "for row: save(row)" does); with --baseline-rows it measures
only the first N rows (an all-rows run can take very long with synchronous=FULL) and says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.models.ledger import account as ledger  # noqa: E402
from app.models.ledger import indicators, treasury  # noqa: E402
from app.models.ledger import treasury_file as tf  # noqa: E402
from app.models.store import setup  # noqa: E402
from app.models.store.book import Book, open_book  # noqa: E402

PASSWORD = "bench-pass-1"
CLERK = "clerk"
INDICATORS = 50
MATCHED_SHARE = 10  # one row in ten has a ledger entry of the same voucher (the rest are "unmatched")


class Clock:
    def __call__(self) -> dt.datetime:
        return dt.datetime(2026, 11, 25, 9, 0, 0)


def build_base(folder: Path, rows: int) -> tuple[Path, Path]:
    """A county file with 50 indicators and ledger entries for every tenth voucher, and the export."""
    db = folder / "base.db"
    book = setup.create(db, bureau_name="基准测试县财政局", region_code="659903", level="county",
                        chief_login="chief", chief_name="局长", chief_password=PASSWORD, clock=Clock())
    from app.models.store import users

    book.user = users.add_user(book, login=CLERK, name="经办", role="clerk", password=PASSWORD,
                               section="扶贫资金管理股")  # indicators, entries and imports are the clerk's
    ids = []
    for n in range(INDICATORS):
        ids.append(indicators.register(
            book, doc_no=f"新财农〔2026〕{n + 1}号", year=2026, kind="ZX", item="ZX01", source_level="central",
            amount=9_000_000_000_00, received_date=dt.date(2026, 1, 5), section="扶贫资金管理股"))
    with book.write("post_ledger_entry"):
        for i in range(0, rows, MATCHED_SHARE):
            ledger.post_expenditure(book, indicator_id=ids[i % INDICATORS], amount=_amount(i),
                                    entry_date=_day(i), voucher_no=_voucher(i), payment_id=None, summary="基准")
    book.close(backup=False)
    path = folder / "treasury.xlsx"
    write_export(path, rows)
    return db, path


def _voucher(i: int) -> str:
    return f"ZF2026{i:08d}"


def _day(i: int) -> dt.date:
    return dt.date(2026, 1, 6) + dt.timedelta(days=i * 300 // 100_000 % 300)


def _amount(i: int) -> int:
    return 1_000_00 + (i * 7919) % 5_000_000


def write_export(path: Path, rows: int) -> None:
    import openpyxl

    from app.models.values.money import to_yuan

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("支付明细")
    ws.append(["国库集中支付明细"])
    ws.append([tf.FIELDS[f][0] for f in tf.FIELDS])
    for i in range(rows):
        ws.append([_voucher(i), _day(i).isoformat(), f"新财农〔2026〕{i % INDICATORS + 1}号", "2130505", "31005",
                   f"示例县第{i % 997}号合作社", f"62284800{i:011d}", "中国农业银行示例县支行", to_yuan(_amount(i)),
                   "产业发展项目款", "财政直接支付"])
    wb.save(path)


def import_once(book: Book, path: Path) -> int:
    return treasury.import_file(book, path).added


def baseline_per_row(book: Book, path: Path, limit: int | None) -> int:
    """Same plan, then one transaction (and fsync) per row."""
    plan = treasury.plan(book, path)
    with book.write("import_treasury") as conn:
        import_id = int(conn.execute(
            "INSERT INTO treasury_imports (file_name, file_sha256, imported_at, imported_by, rows_in_file, rows_added, "
            "mapping) VALUES (?, ?, ?, NULL, ?, 0, '{}')", (plan.file_name, plan.sha256, book.stamp(), len(plan.rows)),
        ).lastrowid or 0)
    added = 0
    for planned in plan.rows[:limit]:
        rec = planned.rec
        with book.write("import_treasury") as conn:
            conn.execute(
                "INSERT INTO treasury_payments (import_id, source_row, voucher_no, pay_date, doc_no, indicator_id, "
                "func_code, econ_code, payee_name, payee_account, payee_bank, amount, purpose, pay_method) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (import_id, rec.row, rec.voucher_no, rec.pay_date.isoformat(), rec.doc_no, planned.indicator_id,
                 rec.func_code, rec.econ_code, rec.payee_name, rec.payee_account, rec.payee_bank, rec.amount,
                 rec.purpose, rec.pay_method))
        added += 1
    return added


def child(mode: str, db: Path, path: Path, limit: int | None) -> None:
    """One measured run in this fresh process: prints seconds, rows and peak RSS as JSON."""
    book = open_book(db)
    book.clock = Clock()
    from app.models.store import users

    users.login(book, CLERK, PASSWORD)
    start, cpu_start = time.perf_counter(), time.process_time()
    added = import_once(book, path) if mode == "import" else baseline_per_row(book, path, limit)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    book.close(backup=False)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "rows": added, "peak_mb": usage.ru_maxrss / 1024,
                      "cpu": cpu}))


def measure(mode: str, base: Path, path: Path, runs: int, limit: int | None, work: Path) -> list[dict[str, float]]:
    out = []
    for n in range(runs):
        db = work / f"{mode}-{n}.db"
        shutil.copy(base, db)
        cmd = [sys.executable, __file__, "--child", mode, str(db), str(path)] + (["--limit", str(limit)] if limit else [])
        result = subprocess.run(cmd, check=True, capture_output=True, text=True)
        out.append(json.loads(result.stdout.strip().splitlines()[-1]))
        db.unlink()
    return out


def report(name: str, runs: list[dict[str, float]]) -> str:
    secs = [r["seconds"] for r in runs]
    rows = runs[0]["rows"]
    med = statistics.median(secs)
    peak = max(r["peak_mb"] for r in runs)
    cpu = statistics.median(r.get("cpu", 0.0) for r in runs)
    return (f"| {name} | {int(rows):,} | {med:.2f} | {min(secs):.2f} | {max(secs):.2f} | {cpu:.2f} | {rows / med:,.0f} | "
            f"{peak:.0f} |")


def readers(path: Path) -> list[str]:
    """Reading the same file: the streaming reader the import uses vs openpyxl's read-only mode (CPU s)."""
    import openpyxl

    from app.models.xlsx import stream as xlsx_stream

    out = []
    start = time.process_time()
    n = sum(1 for _ in xlsx_stream.rows(path))
    out.append(f"| 流式读取（xlsx_stream，导入所用） | {n:,} | {time.process_time() - start:.2f} |")
    start = time.process_time()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    out.append(f"| openpyxl read_only=True | {n:,} | {time.process_time() - start:.2f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-rows", type=int, default=None, help="per-row baseline: only the first N rows")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DB", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.limit)
        return
    with tempfile.TemporaryDirectory(prefix="fl-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        base, path = build_base(work, args.rows)
        print(f"准备：{args.rows:,} 行国库支付明细 .xlsx（{path.stat().st_size / 1024 / 1024:.1f} MB），"
              f"{INDICATORS} 个指标，{args.rows // MATCHED_SHARE:,} 笔专账支出；用时 {time.perf_counter() - t0:.1f} s")
        one = measure("import", base, path, args.runs, None, work)
        per_row = measure("baseline", base, path, args.runs, args.baseline_rows, work)
        reading = readers(path)
        load = os.getloadavg()
    print(f"\n机器：{platform.machine()}，{os.cpu_count()} 核，Python {platform.python_version()}，"
          f"SQLite synchronous=FULL，journal_mode=DELETE；每次运行为独立进程、独立数据库副本，取 {args.runs} 次中位数；"
          f"结束时系统负载 {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}（1/5/15 分钟）\n")
    print("| 方式 | 写入行数 | 中位数 s | 最短 s | 最长 s | CPU s（中位数） | 行/秒 | 峰值内存 MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(report("一个事务（本程序）", one))
    print(report("逐行提交（基线）", per_row))
    ratio = (per_row[0]["rows"] / statistics.median(r["seconds"] for r in per_row))
    speed = one[0]["rows"] / statistics.median(r["seconds"] for r in one)
    print(f"\n一个事务的吞吐量是逐行提交的 {speed / ratio:.1f} 倍。\n")
    print("| 读取同一文件 | 行数 | CPU s |")
    print("|---|---:|---:|")
    for line in reading:
        print(line)


if __name__ == "__main__":
    main()
