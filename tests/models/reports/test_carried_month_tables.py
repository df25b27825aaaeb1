"""Issue #22 item 1, the tables beside 表3/表4: 表1 (到位) carried from the last signed month's snapshot and 表5
(支付) read from the year's payments only. For every month of the demo — eight signed months, so most months
take the carried path — each table equals an independent full-history SQL computation written here, and an
insider who edits a carried figure in the signed snapshot with sqlite3 is caught by verify."""

from __future__ import annotations

import json
import sqlite3

from app.export import evidence
from app.models.reports import sources
from app.models.store.book import Book, open_book
from tests.models.reports.test_carried_balances import months_between

LEVELS = ("central", "region", "prefecture", "county")


def all_months(book: Book) -> list[str]:
    first = str(book.conn.execute("SELECT min(entry_date) FROM ledger_entries").fetchone()[0])[:7]
    return months_between(first, "2027-02")


# -- 表1 -----------------------------------------------------------------------------------------------------
def receipts_by_sql(book: Book, p: sources.Period) -> dict[str, dict[str, int]]:
    """表1 by an independent query: one row per (item, level) over every income-side entry up to the period end;
    the row set is every item with any entry up to then that has receipts this year or a plan."""
    out: dict[str, dict[str, int]] = {}
    for item, level, day, value in book.conn.execute(
            "SELECT i.item, i.source_level, e.entry_date, CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE 0 END "
            "FROM ledger_entries e, indicators i WHERE i.id = e.indicator_id AND e.entry_date <= ?",
            (p.end.isoformat(),)):
        f = out.setdefault(str(item), {f"{w}_{c}": 0 for c in LEVELS for w in ("month", "cum")})
        if str(day) >= p.year_start.isoformat() and level in LEVELS:
            f[f"cum_{level}"] += int(value)
            if str(day) >= p.start.isoformat():
                f[f"month_{level}"] += int(value)
    plans = {str(r[0]): int(r[1]) for r in book.conn.execute("SELECT item, amount FROM annual_plans WHERE year = ?",
                                                             (p.year,))}
    return {k: v | {"plan": plans.get(k, 0)} for k, v in out.items() if any(v[f"cum_{c}"] for c in LEVELS) or plans.get(k)}


def receipt_figures(rows: list[dict[str, object]]) -> dict[str, dict[str, int]]:
    keys = [*sources.RECEIPT_FIELDS, "plan"]
    return {str(r["item_code"]): {k: int(r[k]) for k in keys} for r in rows}  # type: ignore[call-overload]


def test_table1_every_month_of_the_demo_equals_an_independent_full_history_sum(demo_book: Book) -> None:
    carried = 0
    for month in all_months(demo_book):
        p = sources.Period(demo_book, month)
        rows = sources.fund_receipts(demo_book, p)
        assert receipt_figures(rows) == receipts_by_sql(demo_book, p), month
        full = sources.fund_receipts(demo_book, sources.Period(demo_book, month, carried=False))
        assert rows == full, month  # names and order too
        carried += sources.carried_snapshot(demo_book, p, "fund_receipts") is not None
    assert carried >= 10  # February 2026 onwards start from a signed month (the demo signs January–August)


def test_table1_carried_across_a_plan_added_after_signing_and_a_new_year(demo_book: Book) -> None:
    """An item with a plan but no receipts this year still shows (zeros) when it has history, whatever the
    signed rows held; an item that never had an entry does not. And a carried month in the next year."""
    items = [str(r[0]) for r in demo_book.conn.execute("SELECT DISTINCT item FROM indicators ORDER BY item")]
    never = demo_book.conn.execute(
        "SELECT code FROM fund_items WHERE code NOT IN (SELECT item FROM indicators) ORDER BY code LIMIT 1").fetchone()
    with demo_book.write("setup", system=True) as conn:
        conn.execute("DELETE FROM annual_plans WHERE year = 2027")
        for code in [*items[:2], *([never[0]] if never else [])]:
            conn.execute("INSERT INTO annual_plans (year, item, amount) VALUES (2027, ?, 123400)", (code,))
    for month in ("2027-01", "2027-02"):
        p = sources.Period(demo_book, month)
        assert sources.carried_snapshot(demo_book, p, "fund_receipts") is not None
        got = receipt_figures(sources.fund_receipts(demo_book, p))
        assert got == receipts_by_sql(demo_book, p), month
        assert set(items[:2]) <= set(got)
        if never:
            assert never[0] not in got


# -- 表5 -----------------------------------------------------------------------------------------------------
def payments_by_sql(book: Book, p: sources.Period) -> dict[str, dict[str, int]]:
    """表5's money and counts per project by an independent walk over every payment and refund in the file."""
    ys, ms, me = p.year_start.isoformat(), p.start.isoformat(), p.end.isoformat()
    prepay = {k.code for k in book.rules_for(p.year).payment.kinds if k.prepayment}
    code_of = {int(r[0]): str(r[1]) for r in book.conn.execute("SELECT id, code FROM projects")}
    out: dict[str, dict[str, int]] = {}

    def row(pid: int) -> dict[str, int]:
        return out.setdefault(code_of[pid], {"pay_count_month": 0, "paid_month": 0, "paid_cum": 0, "prepaid_cum": 0,
                                             "returned_month": 0})
    for pid, day, amount, kind in book.conn.execute(
            "SELECT project_id, pay_date, amount, kind FROM payments WHERE status = 'paid'"):
        if day is None or not ys <= str(day) <= me:
            continue
        f = row(int(pid))
        f["paid_cum"] += int(amount)
        f["prepaid_cum"] += int(amount) if kind in prepay else 0
        if str(day) >= ms:
            f["paid_month"] += int(amount)
            f["pay_count_month"] += 1
    for pid, day, amount, kind in book.conn.execute(
            "SELECT y.project_id, e.entry_date, e.amount, y.kind FROM ledger_entries e, payments y "
            "WHERE y.id = e.payment_id AND e.entry_type = 'refund'"):
        if not ys <= str(day) <= me:
            continue
        f = row(int(pid))
        f["paid_cum"] -= int(amount)
        f["prepaid_cum"] -= int(amount) if kind in prepay else 0
        if str(day) >= ms:
            f["paid_month"] -= int(amount)
    for pid, at in book.conn.execute(
            "SELECT y.project_id, v.at FROM payment_events v, payments y WHERE y.id = v.payment_id AND v.action = 'return'"):
        if ys <= str(at)[:10] <= me:
            row(int(pid))["returned_month"] += str(at)[:10] >= ms
    return out


def test_table5_every_month_of_the_demo_equals_an_independent_walk(demo_book: Book) -> None:
    seen = 0
    for month in all_months(demo_book):
        p = sources.Period(demo_book, month)
        rows = sources.project_payments(demo_book, p)
        keys = ("pay_count_month", "paid_month", "paid_cum", "prepaid_cum", "returned_month")
        assert {str(r["project_no"]): {k: int(r[k]) for k in keys} for r in rows} == payments_by_sql(demo_book, p), month
        assert [r["project_no"] for r in rows] == sorted(r["project_no"] for r in rows)
        seen += len(rows)
    assert seen > 50  # the demo pays every month: the comparison is not over empty tables


# -- the insider with sqlite3 ---------------------------------------------------------------------------------
def test_an_insider_who_edits_a_carried_table1_figure_in_the_signed_snapshot_is_caught(demo_book: Book) -> None:
    """The carried 表1 figure is the signed snapshot's: raising August's 累计到位 there moves every later month's
    表1 (the shortcut trusts it) — and verify refuses the file, because the snapshot no longer re-creates the
    signed workbook and no longer equals the whole history summed again."""
    p = sources.Period(demo_book, "2026-10")
    before = receipt_figures(sources.fund_receipts(demo_book, p))
    path = demo_book.path
    demo_book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER IF EXISTS signoffs_no_update")
    sid, data = raw.execute("SELECT id, data FROM signoffs WHERE month = '2026-08' AND status = 'signed'").fetchone()
    doc = json.loads(data)
    row = next(r for r in doc["rows"]["fund_receipts"] if r["cum_central"])
    row["cum_central"] += 50_000_00
    raw.execute("UPDATE signoffs SET data = ? WHERE id = ?", (json.dumps(doc, ensure_ascii=False), sid))
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        after = receipt_figures(sources.fund_receipts(ro, sources.Period(ro, "2026-10")))
        assert after[row["item_code"]]["cum_central"] == before[row["item_code"]]["cum_central"] + 50_000_00
        report = evidence.verify(ro)
        assert not report.ok
        texts = [str(f) for f in report.findings]
        assert any("2026-08" in t for t in texts), texts
        assert any("表1" in t for t in texts) or any(f.check == "已签发报送包" for f in report.findings), texts
    finally:
        ro.close()
