"""Monthly reconciliation (对账): master ledger vs each section's ledger vs the treasury's payments.

Differences are computed from the data every time (a ledger entry posted later clears an
"unmatched" treasury row by itself); only their explanations are stored (recon_notes). The
unexplained ones are the source of warning W8 (专账对账不符).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.ledger import common as lc
from app.models.ledger.query import month_bounds
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from app.models.values.money import format as fmt

DIFF_KINDS = {
    "unmatched": "国库已支付，专账无此凭证",
    "amount_diff": "国库与专账金额不符",
    "ledger_only": "专账已记支出，国库无此凭证",
    "section_income": "分管台账收入与总台账不符",
    "section_expenditure": "分管台账支出与总台账不符",
}



def record_section_figures(book: Book, *, month: str, section: str, income: int, expenditure: int,
                           note: str = "") -> None:
    """A business section's own ledger totals for the month (本月收到指标金额, 本月支出金额, 元→分)."""
    m = lc.month_text(month)
    sec = lc.text(section, "业务股室", max_len=40, required=True)
    for value, name in ((income, "分管台账收入"), (expenditure, "分管台账支出")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError("应为不小于零的整数“分”", field=name)
    remark = lc.text(note, "备注", max_len=200)
    start, end = month_bounds(book, m)
    if start > book.today():
        raise ValidationError(f"{m} 尚未开始", field="月份")
    lc.open_day(book, end, "月份")
    with book.write("record_section_ledger") as conn:
        conn.execute(
            "INSERT INTO section_ledger_figures (month, as_of, section, income, expenditure, note, entered_by, entered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month, section) DO UPDATE SET income = excluded.income, "
            "expenditure = excluded.expenditure, note = excluded.note, entered_by = excluded.entered_by, "
            "entered_at = excluded.entered_at",
            (m, end.isoformat(), "" if sec == lc.NO_SECTION else sec, income, expenditure, remark, book.user_id,
             book.stamp()))


def section_table(book: Book, *, month: str) -> list[dict[str, Any]]:
    """Per section: master ledger, the section's own figures and the treasury, with the differences."""
    m = lc.month_text(month)
    start, end = (d.isoformat() for d in month_bounds(book, m))
    rows: dict[str, dict[str, Any]] = {}

    def slot(section: str) -> dict[str, Any]:
        return rows.setdefault(section, {"section": section or lc.NO_SECTION, "master_income": 0,
                                         "master_expenditure": 0, "section_income": None,
                                         "section_expenditure": None, "treasury": 0, "note": ""})

    for sec, income, spent in book.conn.execute(
            "SELECT i.section, coalesce(sum(CASE WHEN e.entry_type = 'income' THEN e.amount END), 0), "
            "coalesce(sum(CASE WHEN e.entry_type = 'expenditure' THEN e.amount END), 0) "
            "FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
            "WHERE e.entry_date BETWEEN ? AND ? GROUP BY i.section", (start, end)):
        slot(sec).update(master_income=int(income), master_expenditure=int(spent))
    for sec, income, spent, note in book.conn.execute(
            "SELECT section, income, expenditure, note FROM section_ledger_figures WHERE month = ?", (m,)):
        slot(sec).update(section_income=int(income), section_expenditure=int(spent), note=note)
    for sec, total in book.conn.execute(
            "SELECT i.section, sum(t.amount) FROM treasury_payments t JOIN indicators i ON i.id = t.indicator_id "
            "WHERE t.pay_date BETWEEN ? AND ? GROUP BY i.section", (start, end)):
        slot(sec)["treasury"] = int(total)
    cover = _coverage(book)
    covered = cover is not None and cover[0] <= start and end <= cover[1]
    out = []
    for key in sorted(rows):
        r = rows[key]
        if not covered:
            r["treasury"] = None  # no treasury data for this month yet: nothing to compare
        # every difference is "the other record − the master ledger", as in differences()
        r["income_diff"] = None if r["section_income"] is None else r["section_income"] - r["master_income"]
        r["expenditure_diff"] = (None if r["section_expenditure"] is None
                                 else r["section_expenditure"] - r["master_expenditure"])
        r["treasury_diff"] = None if r["treasury"] is None else r["treasury"] - r["master_expenditure"]
        r["differs"] = bool(r["income_diff"] or r["expenditure_diff"] or r["treasury_diff"])
        out.append(r)
    return out


def last_covered_month(book: Book) -> str | None:
    """The newest month the imported treasury data covers (the natural month to reconcile)."""
    cover = _coverage(book)
    return None if cover is None else periods.month_of(dt.date.fromisoformat(cover[1]), periods.cutoff_of(book))


def _coverage(book: Book) -> tuple[str, str] | None:
    """The span of dates the imported treasury data covers (first to last month, whole months)."""
    row = book.conn.execute("SELECT min(pay_date), max(pay_date) FROM treasury_payments").fetchone()
    if not row or row[0] is None:
        return None
    cutoff = periods.cutoff_of(book)
    first = periods.bounds(book, periods.month_of(dt.date.fromisoformat(row[0]), cutoff))[0]
    last = periods.bounds(book, periods.month_of(dt.date.fromisoformat(row[1]), cutoff))[1]
    return first.isoformat(), last.isoformat()


def differences(book: Book, *, month: str | None = None, year: int | None = None,
                dated: tuple[dt.date, dt.date] | None = None) -> list[dict[str, Any]]:
    """Every reconciliation difference (of one month, one year, or all), each with its latest explanation.
    `dated` (first, last): only the differences whose date — the payment's, the entry's, a section's month end —
    falls in that span (what a new day adds to warning W8).

    `difference` is always the other record (treasury, section ledger) minus the master ledger.
    """
    cutoff = periods.cutoff_of(book)
    if month:
        lo, hi = (d.isoformat() for d in month_bounds(book, month))
    elif year:
        lo, hi = month_bounds(book, f"{year:04d}-01")[0].isoformat(), month_bounds(book, f"{year:04d}-12")[1].isoformat()
    else:
        lo, hi = "0000-01-01", "9999-12-31"
    if dated is not None:
        lo, hi = max(lo, dated[0].isoformat()), min(hi, dated[1].isoformat())
    found: list[dict[str, Any]] = []

    month_of_day: dict[str, str] = {}  # many differences share a date

    def add(day: str, kind: str, key: str, **values: Any) -> None:
        m = month_of_day.get(day)
        if m is None:
            m = month_of_day[day] = periods.month_of(dt.date.fromisoformat(day), cutoff)
        found.append({"month": m, "date": day, "kind": kind, "kind_name": DIFF_KINDS[kind], "key": key,
                      "voucher_no": "", "treasury_amount": None, "ledger_amount": None, "section": "", **values})

    for r in book.conn.execute(
            "SELECT t.voucher_no, t.pay_date, t.amount, t.payee_name, i.doc_no, i.section, e.amount AS ledger_amount "
            "FROM treasury_payments t JOIN indicators i ON i.id = t.indicator_id "
            # voucher_no <> '' (a treasury voucher is never empty) lets SQLite use the partial unique index
            # ledger_entries_voucher instead of building a temporary one over the whole ledger on every call
            "LEFT JOIN ledger_entries e ON e.voucher_no = t.voucher_no AND e.voucher_no <> '' "
            "AND e.entry_type = 'expenditure' "
            "WHERE t.pay_date BETWEEN ? AND ? AND (e.id IS NULL OR e.amount <> t.amount) ORDER BY t.pay_date, t.id",
            (lo, hi)):
        kind = "unmatched" if r["ledger_amount"] is None else "amount_diff"
        diff = r["amount"] - (r["ledger_amount"] or 0)
        add(r["pay_date"], kind, f"treasury:{r['voucher_no']}", voucher_no=r["voucher_no"], doc_no=r["doc_no"],
            section=r["section"] or lc.NO_SECTION, treasury_amount=r["amount"], ledger_amount=r["ledger_amount"],
            difference=diff, detail=f"{r['payee_name']}，国库 {fmt(r['amount'])} 元"
            + (f"，专账 {fmt(r['ledger_amount'])} 元" if r["ledger_amount"] is not None else "，专账未记账"))
    cover = _coverage(book)
    if cover:
        for r in book.conn.execute(
                "SELECT e.voucher_no, e.entry_date, e.amount, e.summary, i.doc_no, i.section FROM ledger_entries e "
                "JOIN indicators i ON i.id = e.indicator_id LEFT JOIN treasury_payments t ON t.voucher_no = e.voucher_no "
                "WHERE e.entry_type = 'expenditure' AND t.id IS NULL AND e.entry_date BETWEEN ? AND ? "
                "AND e.entry_date BETWEEN ? AND ? ORDER BY e.entry_date, e.id", (lo, hi, *cover)):
            add(r["entry_date"], "ledger_only", f"ledger:{r['voucher_no']}", voucher_no=r["voucher_no"],
                doc_no=r["doc_no"], section=r["section"] or lc.NO_SECTION, ledger_amount=r["amount"],
                difference=-r["amount"], detail=f"{r['summary']}，专账 {fmt(r['amount'])} 元，国库数据中没有该凭证")
    months = [month] if month else [r[0] for r in book.conn.execute(
        "SELECT DISTINCT month FROM section_ledger_figures WHERE ? IS NULL OR substr(month, 1, 4) = ? ORDER BY month",
        (year, f"{year or 0:04d}"))]
    for m in months:
        _start, end = month_bounds(book, m)
        if not lo <= end.isoformat() <= hi:  # dated by the month's end
            continue
        for r in section_table(book, month=m):
            for what, key in (("income", "section_income"), ("expenditure", "section_expenditure")):
                diff = r[f"{what}_diff"]
                if diff:
                    add(end.isoformat(), key, f"section:{r['section']}:{what}", section=r["section"],
                        ledger_amount=r[f"master_{what}"], treasury_amount=None, difference=diff,
                        detail=f"总台账 {fmt(r[f'master_{what}'])} 元，分管台账 {fmt(r[f'section_{what}'])} 元")
    notes = _latest_notes(book)
    for d in found:
        d["note"] = notes.get((d["month"], d["key"]), "")
        d["explained"] = bool(d["note"])
    return found


def _latest_notes(book: Book) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for month, key, note in book.conn.execute("SELECT month, diff_key, note FROM recon_notes ORDER BY id"):
        out[(month, key)] = note
    return out


def open_differences(book: Book, dated: tuple[dt.date, dt.date] | None = None) -> list[dict[str, Any]]:
    """Differences nobody has explained yet: what warning W8 reports (`dated`: as `differences`)."""
    return [d for d in differences(book, dated=dated) if not d["explained"]]


def explain(book: Book, *, month: str, key: str, note: str) -> int:
    """Write down why a difference exists (e.g. 跨月入账、国库退票); the newest note is shown."""
    m = lc.month_text(month)
    text = lc.text(note, "说明", max_len=500, required=True)
    if len(text) < 4:
        raise ValidationError("请写明差异原因（至少 4 个字）", field="说明")
    if not any(d["key"] == key for d in differences(book, month=m)):
        raise ValidationError(f"{m} 没有这一项差异（可能已经消除）", field="差异")
    with book.write("explain_difference") as conn:
        cur = conn.execute("INSERT INTO recon_notes (month, diff_key, note, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                           (m, key, text, book.user_id, book.stamp()))
        return int(cur.lastrowid or 0)


def notes(book: Book, *, month: str, key: str) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT n.note, n.created_at, coalesce(u.name, '') AS by_name FROM recon_notes n "
        "LEFT JOIN users u ON u.id = n.created_by WHERE n.month = ? AND n.diff_key = ? ORDER BY n.id",
        (lc.month_text(month), key))]
