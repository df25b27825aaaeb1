"""The large county of issue #9: five years of a county that pays tens of thousands of households.

    .venv/bin/python benchmarks/make_county.py OUT.db [--force] [--scale 1.0] [--years 5] [--no-sign]
                                                      [--warnings-history monthly|off]

On top of the warnings benchmark's county (benchmarks/warnings_county.fill: 1,000 indicators, 2,500
projects, 60,000 paid requests, ~200,000 专账 entries, the treasury's rows, goals, notices) it adds:
a clerk and a reviewer (every paid request drafted by one, reviewed by the other, with its review run);
30,000 建档立卡户 registered as payees (their heads) with 120,000 people (4 per household); every third
request a 到户补助 or 劳务报酬 paid to the persons of a real-name list, 1,000,000 list lines in all;
实名制发放 notices; 2026's 零星支出 up to 200,000 专账 entries; months closed through August 2026; and September and October 2026 signed off by
the chief through signoff.sign_off (backup, cross-checks, package, closing), so packages and verify
work on real sign-offs. Every row goes through Book.write(system=True): audited and hash-chained.

Deterministic: the same --scale gives the same rows (the sign-off files' hashes included). The result
passes `fundledger verify`. --scale shrinks every count (the test suite runs it at 0.005).

--years N (default 5): N years of history ending with 2026, each year as full as one of the five-year
county's (indicators, projects, payments, list lines and 专账 entries per year are the same; the households
are the same 30,000). So 2026's months — and the two signed ones — hold the same rows in the 5- and the
15-year county, and what grows is only the history: the test of "month work costs a month" (issue #22).

--warnings-history monthly (the default): the warnings are recomputed as the program does when a clerk opens it,
on the last day of every month from January of the first year through October 2026 (`warnings.engine.recompute`,
incremental: after the first run of a rule set only what the clock moved is detected again), each month closed
before the next month's run as its sign-off would have closed it (so 月报逾期 does not pile up). A warning is then
first detected in the month its condition arose, as in a county that has used the program all along, not all of
history in the month the benchmark looks at. The data rows are the same as with `off` (the old county: no
warnings stored; the periods closed in one write at the end); the warnings, their runs and the audit records of
both differ, and so do the signed months' packages (their 表7 counts the warnings stored by then).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.demo.payments_data import FATHER, GIVEN, HAN, TOWNS  # noqa: E402
from app.export import signoff  # noqa: E402
from app.models.store import setup, users  # noqa: E402
from app.models.store.backup import backup_dir  # noqa: E402
from app.models.store.book import Book  # noqa: E402
from app.models.values import ids  # noqa: E402
from app.models.warnings import engine as warnings_engine  # noqa: E402
from benchmarks.warnings_county import STAMP, close_months, fill, years_to  # noqa: E402

PASSWORD = "bench-pass-1"
CHIEF, CLERK, REVIEWER = "chief", "jingban", "shenhe"
HOUSEHOLDS = 30_000
PER_HOUSEHOLD = 4
LINES = 1_000_000
NOTICES = 10_000
LEDGER = 200_000
REAL_NAME_EVERY = 3  # every third request is paid to persons (到户补助 / 劳务报酬)
SIGNED = ("2026-09", "2026-10")
CLOSED_THROUGH = (2026, 8)  # closed without a sign-off of their own (warnings_county.close_months)
WARNINGS_THROUGH = (2026, 10)  # the last month end the history's warnings are computed on (the clock: 2026-11-25)
WARNINGS_HISTORY = ("monthly", "off")
CHUNK = 100_000  # lines per transaction
VILLAGES = [(t, town, v) for t, (town, villages) in enumerate(TOWNS.items()) for v in villages]
BANK = "新疆农村信用社示例县联社"


class Clock:
    """The county's 'now': 25 November 2026, after October's period and before its due date."""

    def __call__(self) -> dt.datetime:
        return dt.datetime(2026, 11, 25, 9, 0, 0)


def person(i: int) -> tuple[str, str, str, str]:
    """(name, ID number, village, account) of person i; household i // 4, its head when i % 4 == 0."""
    household = i // PER_HOUSEHOLD
    t, _town, village = VILLAGES[household % len(VILLAGES)]
    born = dt.date(1950, 1, 1) + dt.timedelta(days=(i // 1000) * 131 + (i * 7) % 97)
    body = f"6599{t + 1:02d}{born:%Y%m%d}{i % 1000:03d}"
    if i % 7:
        name = f"{GIVEN[i % len(GIVEN)]}·{FATHER[(i // len(GIVEN)) % len(FATHER)]}"
    else:
        name = HAN[i % len(HAN)]
    return name, body + ids.id_check_char(body), village, f"6217{t + 1:02d}{i:012d}"


def add_users(book: Book, first_year: int = 2022) -> tuple[int, int]:
    with book.write("setup", system=True) as conn:
        clerk = users.insert_user(conn, login=CLERK, name="阿依古丽·买买提", role="clerk", password=PASSWORD,
                                  section="扶贫资金管理股", now=STAMP)
        reviewer = users.insert_user(conn, login=REVIEWER, name="李红梅", role="reviewer", password=PASSWORD, now=STAMP)
        conn.execute("UPDATE bureau SET created_at = ? WHERE id = 1", (f"{first_year}-01-04 09:00:00",))
    return clerk, reviewer


def add_households(book: Book, households: int) -> None:
    """The household heads as 建档立卡户 payees (ID number and their bank card)."""
    rows = []
    for h in range(households):
        name, id_number, village, account = person(h * PER_HOUSEHOLD)
        t = VILLAGES[h % len(VILLAGES)][0]
        rows.append((name, id_number, name, account, BANK, list(TOWNS)[t], village, STAMP))
    with book.write("setup", system=True) as conn:
        conn.executemany(
            "INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, township, "
            "village, active, created_by, created_at) VALUES ('poor_household', ?, ?, 1, ?, ?, ?, ?, ?, 1, 1, ?)", rows)


def add_real_name_lines(book: Book, households: int, lines: int, notices: int) -> int:
    """Lists and lines for every request paid to persons, spread evenly; the amounts add up to the request.

    到户补助 lists name household heads, 劳务报酬 lists name any member; nobody twice in one list.
    Returns the number of lines written.
    """
    pays = book.conn.execute("SELECT id, amount, kind, pay_date FROM payments WHERE payee_id IS NULL "
                             "AND status = 'paid' ORDER BY id").fetchall()
    if not pays:
        return 0
    people = households * PER_HOUSEHOLD
    each, extra = divmod(lines, len(pays))
    written = 0
    cursors = {True: 0, False: 0}  # heads and persons each go round their own pool
    batch_lists: list[tuple[object, ...]] = []
    batch_lines: list[tuple[object, ...]] = []

    def flush() -> None:
        with book.write("setup", system=True) as conn:
            conn.executemany("INSERT INTO real_name_lists (payment_id, file_name, file_sha256, persons, total, "
                             "imported_by, imported_at) VALUES (?, '实名制发放名册.xlsx', ?, ?, ?, 2, ?)", batch_lists)
            conn.executemany("INSERT INTO real_name_lines (payment_id, row_no, name, id_number, village, amount, account) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", batch_lines)
        batch_lists.clear()
        batch_lines.clear()

    for k, pay in enumerate(pays):
        heads = pay["kind"] == "household_subsidy"
        pool = households if heads else people
        n = max(1, min(each + (1 if k < extra else 0), pool, int(pay["amount"])))
        base = int(pay["amount"]) // n
        cursor = cursors[heads]
        for j in range(n):
            slot = (cursor + j) % pool
            name, id_number, village, account = person(slot * PER_HOUSEHOLD if heads else slot)
            amount = base + (int(pay["amount"]) - base * n if j == 0 else 0)
            batch_lines.append((pay["id"], j + 1, name, id_number, village, amount, account))
        cursors[heads] = cursor + n
        batch_lists.append((pay["id"], f"{pay['id']:064x}"[-64:], n, int(pay["amount"]), STAMP))
        written += n
        if len(batch_lines) >= CHUNK:
            flush()
    if batch_lines:
        flush()
    have = int(book.conn.execute(  # notices of the last five years' objects: a longer history adds none in 2026
        "SELECT count(*) FROM notices WHERE coalesce(start_date, '2026-01-05') >= '2022-01-01'").fetchone()[0])
    recent = [p for p in pays if p["pay_date"] >= "2026-01-01"]
    wanted = max(notices - have, 0)
    step = max(1, len(recent) // wanted) if wanted else 0
    chosen = recent[::step][:wanted] if step else []
    with book.write("setup", system=True) as conn:  # 实名制发放 lists posted in the village
        conn.executemany(
            "INSERT INTO notices (level, kind, object_type, object_id, title, place, start_date, end_date, publisher, "
            "phones, created_by, created_at) VALUES ('village', 'real_name', 'payment', ?, '实名制发放公示', 'board', "
            "?, date(?, '+10 days'), '村委会', '12317', 2, ?)",
            [(p["id"], p["pay_date"], p["pay_date"], STAMP) for p in chosen])
    return written


def add_small_entries(book: Book, total: int) -> int:
    """零星支出 of 2026's indicators (as earlier years have), January–August, until the 专账's last five years hold
    `total` entries (so a longer history adds none to 2026)."""
    have = int(book.conn.execute("SELECT count(*) FROM ledger_entries WHERE entry_date >= '2022-01-01'").fetchone()[0])
    inds = book.conn.execute("SELECT id, received_date FROM indicators WHERE year = 2026 "
                             "AND received_date < '2026-08-20' ORDER BY id").fetchall()
    missing = total - have
    if missing <= 0 or not inds:
        return 0
    rows = []
    for k in range(missing):
        ind = inds[k % len(inds)]
        got = dt.date.fromisoformat(ind["received_date"])
        span = max((dt.date(2026, 8, 31) - got).days - 1, 1)  # before the signed months (表3 = 表5 there)
        day = got + dt.timedelta(days=1 + (k * 7919) % span)
        rows.append((day.isoformat(), ind["id"], (100 + (k * 31) % 900) * 100, f"LX{ind['id']:05d}{k:06d}", STAMP))
    with book.write("setup", system=True) as conn:
        conn.executemany("INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, "
                         "voucher_no, summary, created_by, created_at) VALUES (?, ?, 'expenditure', 'expenditure', "
                         "1, ?, ?, '零星支出', 2, ?)", rows)
    return missing


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _close(book: Book, year: int, month: int) -> None:
    """Close one month as `warnings_county.close_months` closes each (the same row)."""
    with book.write("setup", system=True) as conn:
        conn.execute("INSERT INTO periods (month, start_date, end_date, closed, closed_at, closed_by) "
                     "VALUES (?, ?, ?, 1, ?, 1)", (f"{year}-{month:02d}", f"{year}-{month:02d}-01",
                                                   _month_end(year, month).isoformat(), STAMP))


def warnings_history(book: Book, years: int, *, through: tuple[int, int] = WARNINGS_THROUGH,
                     closed_through: tuple[int, int] = CLOSED_THROUGH) -> int:
    """The warnings as a county that used the program all along has them: recomputed by the clerk on the last day
    of every month from January of the first year through `through` (incremental, as the window runs it), each
    month through `closed_through` closed before the next month's run. Returns the number of runs."""
    users.login(book, CLERK, PASSWORD)
    runs = 0
    months = [(y, m) for y in years_to(years) for m in range(1, 13) if (y, m) <= through]
    for k, (year, month) in enumerate(months):
        if k and months[k - 1] <= closed_through:  # the month before, signed off by now
            _close(book, *months[k - 1])
        warnings_engine.recompute(book, as_of=_month_end(year, month))
        runs += 1
    if months and months[-1] <= closed_through:  # a `through` not after `closed_through`: the last one closed too
        _close(book, *months[-1])
    book.user = None
    return runs


def sign(book: Book, months: tuple[str, ...]) -> None:
    """The chief signs each month as the app does (cross-checks, backup, package, closing)."""
    users.login(book, CHIEF, PASSWORD)
    with tempfile.TemporaryDirectory(prefix="fl-county-pkg-") as tmp:
        for month in months:
            signoff.sign_off(book, password=PASSWORD, month=month, out_dir=Path(tmp), comment="按期报送")
    shutil.rmtree(backup_dir(book.path), ignore_errors=True)  # the sign-off's backups: not part of the county


def build(path: Path | str, *, scale: float = 1.0, sign_months: tuple[str, ...] = SIGNED,
          log: bool = False, years: int = 5, warnings: str = "monthly") -> dict[str, float]:
    """Write the county to `path` (which must not exist); returns counts and timings. `warnings`: "monthly" (the
    history's warnings computed at every month end, `warnings_history`) or "off" (none stored)."""
    if warnings not in WARNINGS_HISTORY:
        raise ValueError(f"warnings: one of {WARNINGS_HISTORY}, not {warnings!r}")
    path = Path(path)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = time.perf_counter() - t0
        if log:
            print(f"  {timings[name]:7.1f} s  {name}", flush=True)

    book = setup.create(path, bureau_name="基准测试县财政局", region_code="659903", level="county",
                        chief_login=CHIEF, chief_name="王建国", chief_password=PASSWORD, clock=Clock())
    try:
        clerk, reviewer = add_users(book, first_year=2027 - years)
        fill(book, scale=scale, drafter=clerk, reviewer=reviewer, real_name_every=REAL_NAME_EVERY, close=False,
             years=years)
        lap("指标、项目、支付、专账、公告（warnings_county.fill）")
        households = max(50, round(HOUSEHOLDS * scale))
        add_households(book, households)
        lap(f"{households:,} 户建档立卡户")
        timings["lines"] = add_real_name_lines(book, households, max(100, round(LINES * scale)) * years // 5,
                                               round(NOTICES * scale))
        lap("实名制发放名册")
        add_small_entries(book, max(1_000, round(LEDGER * scale)))
        lap("2026 年零星支出")
        if warnings == "monthly":
            timings["warning_runs"] = warnings_history(book, years)
            lap("逐月末计算预警并结账至 2026-08")
        else:
            close_months(book, through=CLOSED_THROUGH, years=years)
            lap("结账至 2026-08")
        sign(book, sign_months)
        lap(f"签发 {'、'.join(sign_months)}")
    finally:
        book.close(backup=False)
    timings["seconds"] = time.perf_counter() - t0
    timings["mb"] = path.stat().st_size / 1024 / 1024
    return timings


def counts(path: Path | str) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for table in ("indicators", "projects", "payees", "payments", "real_name_lists", "real_name_lines",
                      "ledger_entries", "notices", "treasury_payments", "signoffs", "warnings", "warning_runs",
                      "audit_log"):
            out[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        out["people"] = int(conn.execute("SELECT count(DISTINCT id_number) FROM real_name_lines").fetchone()[0])
        return out
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the .db to write")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every count (1.0 = the full county)")
    parser.add_argument("--years", type=int, default=5,
                        help="years of history ending with 2026, each as full as the five-year county's (15: issue #22)")
    parser.add_argument("--no-sign", action="store_true", help="leave September and October unsigned")
    parser.add_argument("--warnings-history", choices=WARNINGS_HISTORY, default="monthly",
                        help="monthly (default): recompute the warnings at every month end of the history, as a county "
                             "using the program has them; off: store none (the counties made before this option)")
    args = parser.parse_args()
    if args.out.exists():
        if not args.force:
            parser.error(f"{args.out} 已存在；用 --force 覆盖")
        args.out.unlink()
        shutil.rmtree(backup_dir(args.out), ignore_errors=True)
    print(f"生成大县数据库 {args.out}（scale={args.scale}，{args.years} 年，历史预警 {args.warnings_history}）…",
          flush=True)
    result = build(args.out, scale=args.scale, sign_months=() if args.no_sign else SIGNED, log=True,
                   years=args.years, warnings=args.warnings_history)
    print(f"完成：{result['seconds']:.1f} s，{result['mb']:.0f} MB")
    for table, n in counts(args.out).items():
        print(f"  {table:18} {n:>10,}")


if __name__ == "__main__":
    main()
