"""表4 carried from the last signed month (issue #22 item 1): a sign-off from calc 3 stores each indicator's balances
at the period end (`PackageData.balances`), and a later month's 上年结转/当年 split, idle years and bond columns
start from them plus the entries dated after it. For every month of the demo — eight signed months, so most months
take the carried path, across a year end — the table equals an independent walk over every ledger entry written
here and equals verify's whole-history sum (`carried=False`); after a reopen and after a late edit to an old
indicator too. Months computed under calc 2 store nothing new (their data and manifest stay byte for byte), and an
insider who edits a stored balance with sqlite3 moves the later months' 表4 and is caught by verify."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

from dateutil.relativedelta import relativedelta

from app.demo import build as demo
from app.export import evidence, manifest
from app.export import signed as signed_export
from app.models.ledger import progress
from app.models.reports import monthly, package_data, review, snapshot, sources
from app.models.store.book import Book, open_book
from tests.models.reports.test_carried_balances import months_between

BOND_KEYS = ("bond_received", "bond_spent", "bond_idle")
TABLE4_KEYS = (*review.CARRY_KEYS, *BOND_KEYS)


def all_months(book: Book) -> list[str]:
    first = str(book.conn.execute("SELECT min(entry_date) FROM ledger_entries").fetchone()[0])[:7]
    return months_between(first, "2027-02")


# -- the independent computation -------------------------------------------------------------------------------
def walk(book: Book, p: sources.Period) -> dict[int, list[int]]:
    """Every ledger entry up to the period end, added up in Python by indicator (no SQL sums): 年初结余, the year's
    income and spending, closing, income and spending since arrival — left out when all six are zero."""
    out: dict[int, list[int]] = {}
    for ind, side, sign, amount, day in book.conn.execute(
            "SELECT indicator_id, side, sign, amount, entry_date FROM ledger_entries"):
        day = dt.date.fromisoformat(str(day))
        if day > p.end:
            continue
        value = int(sign) * int(amount)
        income = value if side == "income" else 0
        expense = value if side == "expenditure" else 0
        f = out.setdefault(int(ind), [0] * 6)
        if day < p.year_start:
            f[0] += income - expense
        else:
            f[1] += income
            f[2] += expense
        f[3] += income - expense
        f[4] += income
        f[5] += expense
    return {k: v for k, v in out.items() if any(v)}


def table4_by_walk(book: Book, p: sources.Period, totals: dict[int, list[int]]) -> dict[str, dict[str, int]]:
    """表4's split and bond columns by item from `walk`, as docs/月报说明.md 表4 and DOMAIN §4.5 define them:
    spending draws on the carried balance first; idle = closing of documents received ≥ 1 / 2 years before the
    period end; bond money received, spent, and unspent past the rule set's months after arrival."""
    rules = book.rules_on(p.end)
    one, two = p.end - relativedelta(years=1), p.end - relativedelta(years=2)
    out: dict[str, dict[str, int]] = {}
    for ind, kind, item, received in book.conn.execute("SELECT id, kind, item, received_date FROM indicators"):
        opening, income, spent, closing, net, spent_all = totals.get(int(ind), [0] * 6)
        day = dt.date.fromisoformat(str(received))
        f = out.setdefault(str(item), dict.fromkeys(TABLE4_KEYS, 0))
        from_carry = min(max(spent, 0), max(opening, 0))
        f["carry_available"] += opening
        f["carry_spent"] += from_carry
        f["current_available"] += income
        f["current_spent"] += spent - from_carry
        if closing > 0 and day <= one:
            f["idle_1y"] += closing
        if closing > 0 and day <= two:
            f["idle_2y"] += closing
        if day <= p.end and rules.is_bond(str(kind), str(item)):
            f["bond_received"] += net
            f["bond_spent"] += spent_all
            due = progress.add_months(day, rules.spending.bond_spend_months)
            if net - spent_all > 0 and p.end > due:
                f["bond_idle"] += net - spent_all
    return out


def table4(rows: list[dict[str, object]]) -> dict[str, dict[str, int]]:
    return {str(r["item_code"]): {k: int(r[k]) for k in TABLE4_KEYS} for r in rows}  # type: ignore[call-overload]


def carried(book: Book, p: sources.Period) -> bool:
    found = sources._carried_doc(book, p)
    return found is not None and found[1].get("balances") is not None


def check_month(book: Book, month: str) -> bool:
    """表4 of `month` (the way the package reads it) equals the independent walk and verify's whole-history sum,
    and the indicator totals a sign-off would store equal the walk. Returns whether it was carried."""
    p = sources.Period(book, month)
    rows = sources.spending_progress(book, p)
    full = sources.spending_progress(book, sources.Period(book, month, carried=False))
    assert rows == full, month  # every column, names and order too
    totals = walk(book, p)
    assert sources.indicator_totals(book, p) == totals, month
    expected = table4_by_walk(book, p, totals)
    assert table4(rows) == {k: expected[k] for k in table4(rows)}, month
    return carried(book, p)


# -- every month ----------------------------------------------------------------------------------------------
def test_table4_every_month_of_the_demo_equals_an_independent_walk_and_the_full_history(demo_book: Book) -> None:
    months = all_months(demo_book)
    took = [m for m in months if check_month(demo_book, m)]
    assert len(took) >= 10, took  # February 2026 onwards carry from a signed month (the demo signs January–August)
    assert "2027-01" in took and "2027-02" in took  # across the year end: 年初结余 from the 2026 closing balances
    seen = {k for m in ("2026-10", "2027-01") for r in sources.spending_progress(demo_book, sources.Period(demo_book, m))
            for k in TABLE4_KEYS if r[k]}
    assert {"carry_available", "carry_spent", "current_available", "current_spent"} <= seen  # not over zeros


def test_the_signed_months_store_the_balances_their_period_end_sums_to(demo_book: Book) -> None:
    signed = demo_book.conn.execute("SELECT month, version, data FROM signoffs WHERE status = 'signed' "
                                    "ORDER BY month").fetchall()
    assert len(signed) >= 8
    for month, version, data in signed:
        doc = json.loads(data)
        assert doc["calc"] == package_data.CALC == 3
        stored = {int(k): v for k, v in doc["balances"].items()}
        assert stored == walk(demo_book, sources.Period(demo_book, month)), month
        files = signed_export.signed_files(demo_book, month=month, version=int(version))  # as sent, signed
        sent = json.loads(next(v for k, v in files.items() if k.endswith("manifest.json")))
        assert sent["balances"] == {"indicators": len(stored), "sha256": snapshot.balances_digest(doc["balances"])}


def test_after_a_reopen_and_late_edits_to_old_indicators(demo_book: Book) -> None:
    """Reopened: August carries no more (July does); an expenditure dated in the reopened August and a 缴回 in
    November, both on documents received before 2026, still agree month by month, across the year end."""
    monthly.reopen(demo_book, month="2026-08", reason="测试：重新打开八月更正", password=demo.PASSWORD)
    p = sources.Period(demo_book, "2026-10")
    assert sources._carried_doc(demo_book, p) is not None
    assert json.loads(demo_book.conn.execute("SELECT data FROM signoffs WHERE month = '2026-07' AND "
                                             "status = 'signed'").fetchone()[0])["period_end"] == \
        {"$date": sources._carried_doc(demo_book, p)[0].isoformat()}  # type: ignore[index]
    old = demo_book.conn.execute(
        "SELECT i.id FROM indicators i JOIN ledger_entries e ON e.indicator_id = i.id WHERE i.received_date < '2026-01-01' "
        "GROUP BY i.id HAVING sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE -e.sign * e.amount END) > 1000 "
        "ORDER BY i.received_date LIMIT 2").fetchall()
    assert len(old) == 2
    with demo_book.write("test_late_entry", system=True) as conn:
        voucher = "晚录-1"
        conn.execute("INSERT INTO ledger_entries (indicator_id, entry_date, entry_type, side, sign, amount, voucher_no, "
                     "summary, created_at) VALUES (?, '2026-08-20', 'expenditure', 'expenditure', 1, 1000, ?, "
                     "'补录八月支出', '2026-11-25 09:00:00')", (old[0][0], voucher))
        conn.execute("INSERT INTO ledger_entries (indicator_id, entry_date, entry_type, side, sign, amount, voucher_no, "
                     "summary, created_at) VALUES (?, '2026-11-03', 'return', 'income', -1, 500, '晚录-2', "
                     "'旧指标缴回', '2026-11-25 09:00:00')", (old[1][0],))
    took = [m for m in months_between("2026-07", "2027-02") if check_month(demo_book, m)]
    assert "2026-10" in took and "2027-01" in took


# -- months signed before calc 3 -------------------------------------------------------------------------------
def test_a_month_computed_under_calc_2_stores_nothing_new_and_later_months_sum_the_history(demo_book: Book) -> None:
    old = monthly.assemble(demo_book, month="2026-10", calc=2)
    new = monthly.assemble(demo_book, month="2026-10")
    assert not old.balances and new.balances
    assert "balances" not in json.loads(snapshot.dumps(old))  # the calc 2 text as it was: same bytes
    assert b'"balances"' not in manifest.manifest_bytes(old, {})
    assert json.loads(manifest.manifest_bytes(new, {}))["balances"]["sha256"] == snapshot.balances_digest(new.balances)
    assert snapshot.loads(snapshot.dumps(new)) == new
    assert old.rows == new.rows  # the printed tables are the same under both
    # a last signed month without stored balances (calc 2): 表4 sums the whole history, same rows
    with demo_book.write("test_calc2", system=True) as conn:
        conn.execute("DROP TRIGGER IF EXISTS signoffs_no_update")
    raw = demo_book.conn
    for sid, data in raw.execute("SELECT id, data FROM signoffs").fetchall():
        doc = json.loads(data)
        doc.pop("balances", None)
        raw.execute("UPDATE signoffs SET data = ? WHERE id = ?", (json.dumps(doc, ensure_ascii=False), sid))
    raw.commit()
    p = sources.Period(demo_book, "2026-10")
    assert sources._carried_doc(demo_book, p) is not None and not carried(demo_book, p)
    assert sources.spending_progress(demo_book, p) == sources.spending_progress(
        demo_book, sources.Period(demo_book, "2026-10", carried=False))


# -- the insider with sqlite3 ---------------------------------------------------------------------------------
def test_an_insider_who_edits_a_stored_balance_moves_later_months_and_is_caught(demo_book: Book) -> None:
    """Raising one indicator's 年初结余 and closing balance stored with August (and the stored hash with it): the
    carried path trusts it, so October's 表4 moves — and verify names August: the snapshot no longer re-creates
    the signed manifest, and it no longer equals the whole history summed again."""
    p = sources.Period(demo_book, "2026-10")
    before = table4(sources.spending_progress(demo_book, p))
    path = demo_book.path
    demo_book.close(backup=False)
    raw = sqlite3.connect(path)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'signoffs'").fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    sid, data = raw.execute("SELECT id, data FROM signoffs WHERE month = '2026-08' AND status = 'signed'").fetchone()
    doc = json.loads(data)
    key, figures = next((k, v) for k, v in sorted(doc["balances"].items()) if v[0] > 0)
    figures[0] += 50_000_00
    figures[3] += 50_000_00
    text = snapshot.dumps(dataclasses.replace(snapshot.loads(data), balances=doc["balances"]))
    raw.execute("UPDATE signoffs SET data = ?, data_sha256 = ? WHERE id = ?", (text, snapshot.digest(text), sid))
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        item = str(ro.conn.execute("SELECT item FROM indicators WHERE id = ?", (int(key),)).fetchone()[0])
        after = table4(sources.spending_progress(ro, sources.Period(ro, "2026-10")))
        assert after[item]["carry_available"] == before[item]["carry_available"] + 50_000_00
        report = evidence.verify(ro)
        assert not report.ok
        texts = [str(f) for f in report.findings]
        assert any("2026-08" in t and "期末余额" in t for t in texts), texts  # the whole history summed again
        assert any(f.check == "报送包" and "2026-08" in str(f) and "manifest.json" in str(f)
                   for f in report.findings), texts  # the signed manifest no longer re-creates
    finally:
        ro.close()


# -- 表7 -------------------------------------------------------------------------------------------------------
def test_table7_reads_the_years_warnings_through_the_index_with_the_same_rows(demo_book: Book) -> None:
    """表7's 按发生时间 columns read only the warnings first detected from 1 January (the index on first_detected)
    instead of every year's, and count the same as reading them all, in every month of the demo — as a preview
    and as each signed month was known when it was signed."""
    older = 0
    for month in all_months(demo_book):
        p = sources.Period(demo_book, month)
        older += demo_book.conn.execute("SELECT count(*) FROM warnings WHERE first_detected < ?",
                                        (p.year_start.isoformat(),)).fetchone()[0]
        signed = demo_book.conn.execute("SELECT signed_at FROM signoffs WHERE month = ? AND status = 'signed'",
                                        (month,)).fetchone()
        for known in (None, str(signed[0]) if signed else None):
            fast = review.warnings_arisen(demo_book, p.start, p.end, known, indexed=True)
            assert fast == review.warnings_arisen(demo_book, p.start, p.end, known), (month, known)
        assert sources.warning_summary(demo_book, p) == sources.warning_summary(
            demo_book, sources.Period(demo_book, month, carried=False)), month
    assert older > 0  # earlier years' warnings exist and are left out of the read
    assert sum(sum(t["arose_cum"] for t in review.warnings_arisen(
        demo_book, sources.Period(demo_book, m).start, sources.Period(demo_book, m).end, None, indexed=True).values())
        for m in ("2026-06", "2026-11")) > 0  # not over empty tables
    sql, args = review.arisen_query(dt.date(2026, 11, 30), None, indexed=True)
    plan = " ".join(str(r[3]) for r in demo_book.conn.execute("EXPLAIN QUERY PLAN " + sql, args))
    assert "warnings_detected" in plan, plan
