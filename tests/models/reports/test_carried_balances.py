"""表3 carried from the last signed month (issue #22 item 1): for every month of a book the carried figures
equal an independent sum over the whole history, in Python, entry by entry — and the carried path is the one
taken, so a month's table costs the months since the last sign-off rather than the whole history."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from app.export import evidence, signoff
from app.models.ledger import account as ledger
from app.models.reports import monthly, sources
from app.models.store import periods
from app.models.store.book import Book, open_book
from tests.conftest import PASSWORD, FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register


def independent(book: Book, p: sources.Period) -> dict[str, dict[str, int]]:
    """Every entry up to the period end, added up in Python by the indicator's item (no SQL sums)."""
    item_of = {int(r[0]): str(r[1]) for r in book.conn.execute("SELECT id, item FROM indicators")}
    out: dict[str, dict[str, int]] = {}
    for ind, side, sign, amount, day in book.conn.execute(
            "SELECT indicator_id, side, sign, amount, entry_date FROM ledger_entries"):
        day = dt.date.fromisoformat(str(day))
        if day > p.end:
            continue
        f = out.setdefault(item_of[int(ind)], dict.fromkeys(sources.BALANCE_FIELDS, 0))
        value = int(sign) * int(amount)
        balance = value if side == "income" else -value
        f["closing"] += balance
        if day < p.year_start:
            f["opening"] += balance
            continue
        key = "income" if side == "income" else "spend"
        f[f"{key}_cum"] += value
        if day >= p.start:
            f[f"{key}_month"] += value
    return {k: v for k, v in out.items() if v["opening"] or v["income_cum"] or v["spend_cum"] or v["closing"]}


def figures(rows: list[dict[str, object]]) -> dict[str, dict[str, int]]:
    return {str(r["item_code"]): {f: int(r[f]) for f in sources.BALANCE_FIELDS} for r in rows}  # type: ignore[call-overload]


def months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_every_month_of_the_demo_equals_the_whole_history(demo_book: Book) -> None:
    first = str(demo_book.conn.execute("SELECT min(entry_date) FROM ledger_entries").fetchone()[0])[:7]
    carried = 0
    for month in months_between(first, "2027-02"):
        p = sources.Period(demo_book, month)
        rows = sources.ledger_balances(demo_book, p)
        assert figures(rows) == independent(demo_book, p), month
        full = sources.ledger_balances(demo_book, sources.Period(demo_book, month, carried=False))
        assert rows == full, month  # names, order and the treasury column too
        carried += sources.carried_from(demo_book, p) is not None
    assert carried >= 10  # February 2026 onwards start from a signed month (the demo signs January–August)


def test_an_insider_who_edits_a_signed_closing_is_caught(demo_book: Book) -> None:
    """The carried figure lives in the signed snapshot: changing it there (re-hashing nothing else) makes
    later months wrong — and verify says so, because it re-creates the signed package from it."""
    path = demo_book.path
    demo_book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER IF EXISTS signoffs_no_update")
    data = raw.execute("SELECT id, data FROM signoffs WHERE month = '2026-08' AND status = 'signed'").fetchone()
    import json

    doc = json.loads(data[1])
    doc["rows"]["ledger_balances"][0]["closing"] += 100_00
    raw.execute("UPDATE signoffs SET data = ? WHERE id = ?", (json.dumps(doc, ensure_ascii=False), data[0]))
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        report = evidence.verify(ro)
        assert not report.ok
        assert any(f.check in ("已签发月份", "数据与审计一致", "已签发报送包") or "2026-08" in str(f) for f in report.findings)
    finally:
        ro.close()


def test_carried_across_a_year_end_and_after_new_entries(book: Book, clock: FixedClock, tmp_path: Path) -> None:
    clock.now = dt.datetime(2026, 11, 2, 9, 0)
    login_as(book, "clerk")
    ind = register(book, received_date=dt.date(2026, 9, 10), amount=500_000_00, doc_no="新财农〔2026〕90号")
    login_as(book, "chief")
    clock.now = dt.datetime(2026, 11, 20, 10, 0)
    signoff.sign_off(book, month="2026-09", out_dir=tmp_path / "s9", password=PASSWORD)
    clock.now = dt.datetime(2027, 2, 10, 10, 0)
    login_as(book, "clerk")
    ledger.post_expenditure(book, indicator_id=ind, amount=12_345_00, entry_date=dt.date(2026, 10, 20),
                            voucher_no="ZF-1", payment_id=None, summary="十月支出")
    register(book, received_date=dt.date(2026, 12, 3), amount=80_000_00, doc_no="新财农〔2026〕120号",
             source_level="region", item="ZX02", upper_doc_date=dt.date(2026, 11, 25), prefecture_doc_date=dt.date(2026, 12, 1))
    ledger.post_expenditure(book, indicator_id=ind, amount=1_000_00, entry_date=dt.date(2026, 12, 28),
                            voucher_no="ZF-2", payment_id=None, summary="十二月支出")
    ledger.post_expenditure(book, indicator_id=ind, amount=2_000_00, entry_date=dt.date(2027, 1, 8),
                            voucher_no="ZF-3", payment_id=None, summary="一月支出")
    for month in ("2026-10", "2026-12", "2027-01", "2027-02"):
        p = sources.Period(book, month)
        assert sources.carried_from(book, p) is not None
        assert figures(sources.ledger_balances(book, p)) == independent(book, p), month
    jan = figures(sources.ledger_balances(book, sources.Period(book, "2027-01")))
    assert jan and all(f["opening"] == independent(book, sources.Period(book, "2027-01"))[k]["opening"]
                       for k, f in jan.items())
    # the signed month reopened: nothing carries from it any more, and the figures still agree
    login_as(book, "chief")
    monthly.reopen(book, month="2026-09", reason="测试：重新打开九月更正", password=PASSWORD)
    p = sources.Period(book, "2027-01")
    assert sources.carried_from(book, p) is None
    assert figures(sources.ledger_balances(book, p)) == independent(book, p)


def test_a_month_closed_without_signing_before_the_signed_one_is_required(book: Book, clock: FixedClock,
                                                                        tmp_path: Path) -> None:
    """An open month at or before the signed one (entries could still be dated there): no carrying."""
    clock.now = dt.datetime(2026, 11, 2, 9, 0)
    login_as(book, "clerk")
    register(book, received_date=dt.date(2026, 9, 10), amount=500_000_00, doc_no="新财农〔2026〕90号")
    login_as(book, "chief")
    clock.now = dt.datetime(2026, 11, 20, 10, 0)
    signoff.sign_off(book, month="2026-09", out_dir=tmp_path / "s9", password=PASSWORD)
    p = sources.Period(book, "2026-10")
    assert sources.carried_from(book, p) is not None
    periods.reopen_month(book, month="2026-09", reason="只重新打开期间，签发记录仍在")
    assert sources.carried_from(book, p) is None
