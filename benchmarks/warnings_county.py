"""A large, deterministic county for the warnings benchmark: five years of what the warnings read.

1,000 indicators, 2,500 approved projects (goals for each, a tenth irregular), 60,000 paid requests
(a tenth with stored check runs, 200 refused), 200,000 ledger entries, the treasury's rows of 2026,
3,000 real-name lists, about 10,000 notices, months closed through August 2026. Rows are inserted in
system transactions (audited and sealed like any other); the figures are plausible, not a story.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from app.demo.goals import goals_for
from app.models.store.book import Book
from app.models.values import ids

YEARS = range(2022, 2027)  # the default five years; `fill(years=15)` starts in 2012 with the same per-year counts


def years_to(years: int) -> range:
    """The `years` calendar years ending with 2026 (the county's 'now' is 25 November 2026)."""
    return range(2027 - years, 2027)
KINDS = [("ZX", "ZX01")] * 5 + [("ZX", "ZX02"), ("ZH", "ZH01"), ("ZH", "ZH04"), ("YD", "YD01"), ("YD", "YD02"),
                                 ("QT", "QT03"), ("DD", "DD01"), ("YB", "YB01")]
CHECK_RULES = ("plan", "usage", "indicator_balance", "project_balance", "direct_payment", "payee_id", "bond_project",
               "prepayment", "infra_prepayment", "real_name", "management_fee", "labour_share", "retention")
USAGE = {"YD": "relocation_infrastructure", "ZQ": "infrastructure"}
CATEGORIES = ["industry", "employment", "infrastructure", "three_guarantees", "relocation_followup", "other"]
STAMP = "2026-11-25 09:00:00"
D = dt.date


def _day(rng: random.Random, year: int, first: int = 10, last: int = 290) -> D:
    return D(year, 1, 1) + dt.timedelta(days=rng.randint(first, last))


def fill(book: Book, *, scale: float = 1.0, drafter: int = 1, reviewer: int = 1, real_name_every: int = 0,
         close: bool = True, years: int = len(YEARS)) -> None:
    """The county; the defaults give the warnings benchmark's county (its plan versions now carry their
    funding lines, as plan.snapshot writes them, so the deadline of "county_planned" can be read).

    `scale` shrinks the counts (indicators, projects, payees) for a quick run; with `reviewer` other than
    `drafter` every paid request also has a passing review run (what verify wants of an approval);
    `real_name_every` = k makes every k-th request a 到户补助/劳务报酬 paid to the persons of a real-name
    list (whose lines the caller adds) instead of the 3,000 head-only lists; `close=False` leaves the
    months open so the caller can add rows before `close_months`. `years` (default 5): how many years of
    history end with 2026; every year holds as much as one of the five-year county's (projects grow with the
    years, payees do not), so a month of the 15-year county is the size of a month of the 5-year one.
    """
    history = years_to(years)
    rng = random.Random(20260601)
    today = book.today()
    per_year = max(2, round(200 * scale))
    n_projects = max(5, round(2500 * scale)) * len(history) // len(YEARS)
    with book.write("setup", system=True) as conn:
        payees = []
        for n in range(max(10, round(500 * scale))):
            body = f"916599030000{n:04d}X"
            conn.execute("INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, "
                         "active, created_by, created_at) VALUES ('enterprise', ?, ?, 1, ?, ?, '农行示例县支行', 1, 1, ?)",
                         (f"基准收款企业{n}", body + ids.uscc_check_char(body), f"基准收款企业{n}", f"62284800{n:011d}",
                          STAMP))
            payees.append(n + 1)
        indicators: list[tuple[int, int, str, int, D]] = []  # id, year, kind, amount, received
        for year in history:
            for n in range(per_year):
                kind, item = KINDS[n % len(KINDS)]
                amount = rng.randint(2_000, 20_000) * 1_000_00
                got = _day(rng, year, 5, 250)
                cur = conn.execute(
                    "INSERT INTO indicators (doc_no, year, kind, item, source_level, amount, title, upper_doc_date, "
                    "prefecture_doc_date, received_date, func_code, section, created_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2130505', '扶贫资金管理股', 1, ?)",
                    (f"新财农〔{year}〕{n + 1}号", year, kind, item, ("central", "region")[n % 2], amount,
                     f"{year}年第{n + 1}批资金", (got - dt.timedelta(days=9)).isoformat(),
                     (got - dt.timedelta(days=3)).isoformat(), got.isoformat(), STAMP))
                ind = int(cur.lastrowid or 0)
                conn.execute("INSERT INTO indicator_events (indicator_id, event, day) VALUES (?, 'prefecture_received', ?)",
                             (ind, (got - dt.timedelta(days=6)).isoformat()))
                conn.execute("INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, "
                             "voucher_no, summary, created_by, created_at) VALUES (?, ?, 'income', 'income', 1, ?, '', "
                             "'收到指标', 1, ?)", (got.isoformat(), ind, amount, STAMP))
                indicators.append((ind, year, kind, amount, got))
    projects: list[tuple[int, int, int, int, D, str]] = []  # id, indicator, year, funded, approved, kind
    with book.write("setup", system=True) as conn:
        decisions: dict[tuple[int, int], tuple[int, D]] = {}
        for year in history:
            for month in range(1, 12):
                day = D(year, month, 20)
                cur = conn.execute("INSERT INTO plan_decisions (doc_no, decision_date, title, created_by, created_at) "
                                   "VALUES (?, ?, '项目计划审定', 1, ?)", (f"示扶组〔{year}〕{month}号", day.isoformat(), STAMP))
                decisions[(year, month)] = (int(cur.lastrowid or 0), day)
        for n in range(n_projects):
            ind, year, kind, amount, got = indicators[n % len(indicators)]
            approve = got + dt.timedelta(days=7)
            month = approve.month if approve.day <= 20 else approve.month + 1
            dec_id, dec_day = decisions[(year, min(month, 11))]
            funded = amount * 30 // 100
            status = "accepted" if year < 2026 else "in_progress"
            cur = conn.execute(
                "INSERT INTO projects (code, year, name, category, construction_type, township, village, content, "
                "subsidy_standard, start_date, end_date, implementer, responsible, perf_goals, mechanism, asset_type, "
                "status, decision_id, version, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'new', ?, ?, "
                "'建设内容', '按标准补助', ?, ?, '乡人民政府', '负责人', '见绩效目标', '带动脱贫户增收', 'public', ?, ?, 1, 1, ?, ?)",
                (f"XM{year}-{n:04d}", year, f"基准项目{n}", CATEGORIES[n % len(CATEGORIES)], f"乡{n % 12}",
                 f"村{n % 97}", f"{year}-03-01", f"{year}-12-31", status, dec_id, STAMP, STAMP))
            pid = int(cur.lastrowid or 0)
            conn.execute("INSERT INTO project_funding (project_id, indicator_id, amount) VALUES (?, ?, ?)",
                         (pid, ind, funded))
            conn.execute("INSERT INTO plan_versions (project_id, version, decision_id, change, reason, snapshot, "
                         "created_by, created_at) VALUES (?, 1, ?, 'approve', '', ?, 1, ?)",
                         (pid, dec_id, json.dumps({"code": f"XM{year}-{n:04d}", "funding": [
                             {"indicator_id": ind, "doc_no": f"新财农〔{year}〕{(ind - 1) % per_year + 1}号",
                              "amount": funded}]}, ensure_ascii=False), STAMP))
            projects.append((pid, ind, year, funded, max(dec_day, got), kind))
    with book.write("setup", system=True) as conn:
        serial = 0
        for pid, ind, year, funded, approved, kind in projects:
            end = min(D(year, 12, 20), today - dt.timedelta(days=3))
            span = max((end - approved).days, 1)
            for k in range(24):
                serial += 1
                day = approved + dt.timedelta(days=span * (k + 1) // 25)
                amount = funded * 9 // 10 // 24
                voucher = f"ZF{year}{serial:07d}"
                to_persons = bool(real_name_every) and serial % real_name_every == 0
                pay_kind = ("household_subsidy", "labour_pay")[serial // real_name_every % 2] if to_persons \
                    else "progress"
                cur = conn.execute(
                    "INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, voucher_no, "
                    "summary, created_by, created_at) VALUES (?, ?, 'expenditure', 'expenditure', 1, ?, ?, '支付', 1, ?)",
                    (day.isoformat(), ind, amount, voucher, STAMP))
                entry = int(cur.lastrowid or 0)
                cur = conn.execute(
                    "INSERT INTO payments (request_no, project_id, indicator_id, payee_id, amount, kind, usage, func_code, "
                    "econ_code, method, draft_date, status, drafted_by, drafted_at, reviewed_by, reviewed_at, voucher_no, "
                    "pay_date, ledger_entry_id, paid_by, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2130505', "
                    "'31005', 'direct', ?, 'paid', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (f"SQ{year}-{serial:06d}", pid, ind, None if to_persons else payees[serial % len(payees)], amount,
                     pay_kind, USAGE.get(kind, "industry"), day.isoformat(), drafter, STAMP, reviewer, STAMP, voucher,
                     day.isoformat(), entry, drafter, STAMP))
                pay_id = int(cur.lastrowid or 0)
                conn.execute("UPDATE ledger_entries SET payment_id = ? WHERE id = ?", (pay_id, entry))
                if serial % 10 == 0:
                    conn.executemany(
                        "INSERT INTO payment_checks (payment_id, run, stage, rule, outcome, message, evaluated_by, "
                        "evaluated_at) VALUES (?, 1, 'submit', ?, 'pass', '通过', 1, ?)",
                        [(pay_id, rule, STAMP) for rule in CHECK_RULES])
                if reviewer != drafter:  # the reviewer's run: all rules with the stored ones, else the two that bind
                    rules = CHECK_RULES if serial % 10 == 0 else ("plan", "indicator_balance")
                    conn.executemany(
                        "INSERT INTO payment_checks (payment_id, run, stage, rule, outcome, message, evaluated_by, "
                        "evaluated_at) VALUES (?, ?, 'review', ?, 'pass', '通过', ?, ?)",
                        [(pay_id, 2 if serial % 10 == 0 else 1, rule, reviewer, STAMP) for rule in rules])
                if year == 2026 and day <= D(2026, 10, 31):
                    conn.execute(
                        "INSERT OR IGNORE INTO treasury_imports (id, file_name, file_sha256, imported_at, imported_by, "
                        "rows_in_file, rows_added) VALUES (1, '国库支付数据.xlsx', ?, ?, 1, 0, 0)", ("0" * 64, STAMP))
                    conn.execute(
                        "INSERT INTO treasury_payments (import_id, source_row, voucher_no, pay_date, doc_no, indicator_id, "
                        "payee_name, amount) VALUES (1, ?, ?, ?, '', ?, '基准收款企业', ?)",
                        (serial, voucher, day.isoformat(), ind, amount + (100 if serial % 997 == 0 else 0)))
                if not real_name_every and year == 2026 and serial % 4 == 0:
                    conn.execute("INSERT INTO real_name_lists (payment_id, file_name, file_sha256, persons, total, "
                                 "imported_by, imported_at) VALUES (?, '名册.xlsx', ?, 10, ?, 1, ?)",
                                 (pay_id, "1" * 64, amount, STAMP))
                    if serial % 40:
                        conn.execute("INSERT INTO notices (level, kind, object_type, object_id, title, place, start_date, "
                                     "end_date, publisher, phones, created_by, created_at) VALUES ('village', 'real_name', "
                                     "'payment', ?, '实名制发放公示', 'board', ?, ?, '村委会', '12317', 1, ?)",
                                     (pay_id, day.isoformat(), (day + dt.timedelta(days=10)).isoformat(), STAMP))
        for k, (pid, ind, year, _funded, approved, _kind) in enumerate(projects[:200]):
            serial += 1
            cur = conn.execute(
                "INSERT INTO payments (request_no, project_id, indicator_id, payee_id, amount, kind, usage, func_code, "
                "econ_code, method, draft_date, status, drafted_by, drafted_at, return_reason) VALUES (?, ?, ?, ?, 1000000, "
                "'progress', 'bonuses', '2130505', '31005', 'direct', ?, 'returned', ?, ?, '用途不合规')",
                (f"SQ{year}-{serial:06d}", pid, ind, payees[k % len(payees)], approved.isoformat(), drafter, STAMP))
            conn.execute("INSERT INTO payment_checks (payment_id, run, stage, rule, outcome, message, evaluated_by, "
                         "evaluated_at) VALUES (?, 1, 'submit', 'usage', 'fail', '负面清单用途', 1, ?)",
                         (int(cur.lastrowid or 0), STAMP))
    with book.write("setup", system=True) as conn:
        for (ind, year, _kind, _amount, got) in indicators:  # earlier years: small payments recorded by hand, up to 174
            rows = [((got + dt.timedelta(days=1 + k)).isoformat(), ind, rng.randint(100, 1000) * 100,
                     f"SG{ind:05d}{k:03d}", STAMP) for k in range(174)
                    if year < 2026 and got + dt.timedelta(days=1 + k) <= D(year, 12, 20)]
            conn.executemany("INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, "
                             "voucher_no, summary, created_by, created_at) VALUES (?, ?, 'expenditure', 'expenditure', "
                             "1, ?, ?, '零星支出', 1, ?)", rows)
    with book.write("setup", system=True) as conn:  # earlier years' money is spent by year end
        for ind, year, _kind, _amount, _got in indicators:
            if year < 2026:
                conn.execute(
                    "INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, voucher_no, "
                    "summary, created_by, created_at) SELECT ?, ?, 'expenditure', 'expenditure', 1, "
                    "sum(CASE WHEN side = 'income' THEN amount ELSE -amount END), ?, '年末结算', 1, ? "
                    "FROM ledger_entries WHERE indicator_id = ?", (f"{year}-12-28", ind, f"JS{ind:06d}", STAMP, ind))
        conn.execute(
            "INSERT INTO treasury_payments (import_id, source_row, voucher_no, pay_date, doc_no, indicator_id, payee_name, "
            "amount) SELECT 1, e.id, e.voucher_no, e.entry_date, '', e.indicator_id, '收款单位', "
            "e.amount + CASE WHEN e.id % 997 = 0 THEN 100 ELSE 0 END FROM ledger_entries e "
            "WHERE e.entry_type = 'expenditure' AND e.entry_date BETWEEN '2026-01-01' AND '2026-10-31' "
            "AND NOT EXISTS (SELECT 1 FROM treasury_payments t WHERE t.voucher_no = e.voucher_no)")
    with book.write("setup", system=True) as conn:
        for n, (pid, _ind, year, _funded, approved, _kind) in enumerate(projects):
            start = approved + dt.timedelta(days=2)
            for level in ("township", "village"):
                if n % 20 != 7:
                    conn.execute("INSERT INTO notices (level, kind, object_type, object_id, title, place, start_date, "
                                 "end_date, publisher, phones, created_by, created_at) VALUES (?, 'project_plan', "
                                 "'project', ?, '项目计划公示', 'board', ?, ?, '乡政府', '12317', 1, ?)",
                                 (level, pid, start.isoformat(), (start + dt.timedelta(days=11)).isoformat(), STAMP))
            if year < 2026 and n % 25 != 11:
                for level in ("township", "village"):
                    conn.execute("INSERT INTO notices (level, kind, object_type, object_id, title, place, start_date, "
                                 "publisher, phones, created_by, created_at) VALUES (?, 'fund_use', 'project', ?, "
                                 "'资金使用情况公示', 'site', ?, '乡政府', '12317', 1, ?)", (level, pid, f"{year}-12-22", STAMP))
            for g, goal in enumerate(goals_for(CATEGORIES[n % len(CATEGORIES)])):
                level1, level2, name, comparator, target, unit = goal
                if n % 10 == 3 and g == 1:
                    target = "明显提升"
                conn.execute("INSERT INTO perf_goals (project_id, level1, level2, name, comparator, target, unit, set_on, "
                             "sort, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                             (pid, level1, level2, name, comparator, target, unit, approved.isoformat(), g, STAMP))
        for ind, *_ in indicators:
            conn.execute("INSERT INTO notices (level, kind, object_type, object_id, title, place, start_date, "
                         "publisher, phones, created_by, created_at) VALUES ('county', 'allocation', 'indicator', ?, "
                         "'资金分配结果公告', 'website', '2026-01-05', '县财政局', '12317', 1, ?)", (ind, STAMP))
        for month in ("2026-09", "2026-10"):
            conn.execute(
                "INSERT INTO perf_actuals (goal_id, month, period_end, actual, forecast, entered_by, entered_at) "
                "SELECT g.id, ?, ?, g.target, g.target, 1, ? FROM perf_goals g JOIN projects p ON p.id = g.project_id "
                "WHERE p.year = 2026 AND g.target GLOB '[0-9]*'", (month, f"{month}-30", STAMP))
    if close:
        close_months(book, years=years)


def close_months(book: Book, through: tuple[int, int] = (2026, 8), years: int = len(YEARS)) -> None:
    """Every month from January of the first year (2022 for five years) through `through` closed, as the
    county's sign-offs left them."""
    with book.write("setup", system=True) as conn:
        for year in years_to(years):
            for month in range(1, 13):
                if (year, month) <= through:
                    last = (D(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()
                    conn.execute("INSERT INTO periods (month, start_date, end_date, closed, closed_at, closed_by) "
                                 "VALUES (?, ?, ?, 1, ?, 1)", (f"{year}-{month:02d}", f"{year}-{month:02d}-01", last,
                                                               STAMP))
