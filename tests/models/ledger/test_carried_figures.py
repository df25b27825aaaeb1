"""Issue #22: W5/W6 and the dashboard read each indicator's money (`progress.figures`) from the balances the last
signed month stored plus the entries dated since, not from every entry ever. On every day of the demo (eight
signed months, so most days take the carried path, across a year end) the figures equal an independent walk over
every entry written here; a reopened month sends the figures back to the full sum; and an insider who edits the
stored balances with sqlite3 moves the figures (the shortcut trusts them) and is caught by verify."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

import pytest

from app.export import evidence
from app.models.ledger import progress
from app.models.store.book import Book, open_book
from app.models.warnings import engine


def walk(book: Book, as_of: dt.date) -> list[tuple[Any, ...]]:
    """Every indicator received by `as_of` and its money as of that day, by a walk over every entry in Python."""
    day, start = as_of.isoformat(), dt.date(as_of.year, 1, 1).isoformat()
    money: dict[int, list[Any]] = {}
    for ind, date, side, sign, amount, kind in book.conn.execute(
            "SELECT indicator_id, entry_date, side, sign, amount, entry_type FROM ledger_entries"):
        if date > day:
            continue
        m = money.setdefault(int(ind), [0, 0, 0, 0, 0, None])
        value = int(sign) * int(amount)
        income, expense = (value, 0) if side == "income" else (0, value)
        if date < start:
            m[0] += income - expense
        else:
            m[1] += income
            m[2] += expense
        m[3] += income
        m[4] += expense
        if kind == "expenditure" and (m[5] is None or date > m[5]):
            m[5] = date
    out = []
    for r in book.conn.execute("SELECT id, doc_no, title, kind, item, section, received_date FROM indicators "
                               "WHERE received_date <= ? ORDER BY received_date, id", (day,)):
        out.append((*tuple(r), *money.get(int(r[0]), [0, 0, 0, 0, 0, None])))
    return out


def as_tuples(figures: list[progress.Figures]) -> list[tuple[Any, ...]]:
    return [(f.indicator_id, f.doc_no, f.title, f.kind, f.item, f.section, f.received, f.opening, f.income_ytd,
             f.spent_ytd, f.net, f.spent, f.last_payment) for f in figures]


def days(book: Book) -> list[dt.date]:
    first = dt.date.fromisoformat(str(book.conn.execute("SELECT min(entry_date) FROM ledger_entries").fetchone()[0]))
    out, day = [], first
    while day <= dt.date(2027, 3, 10):
        out.append(day)
        day += dt.timedelta(days=3)  # every third day: each month's start, middle and end, both sides of a year end
    return out + [dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2026, 9, 1), dt.date(2026, 8, 31)]


def test_every_day_of_the_demo_equals_an_independent_walk_over_every_entry(demo_book: Book) -> None:
    carried = 0
    for day in days(demo_book):
        got = as_tuples(progress.figures(demo_book, day))
        assert got == walk(demo_book, day), day
        assert got == as_tuples(progress.figures(demo_book, day, carried=False)), day
        carried += progress.signed_balances(demo_book, day) is not None
    assert carried >= 100  # most days start from a signed month (the demo signs January–August 2026)


def test_entries_dated_after_the_signed_month_and_a_new_year_are_added(demo_book: Book) -> None:
    """Money received and paid after the last signed month, and in the next year, moves the carried figures
    exactly as the walk says: nothing is read from the signed month for the days after it."""
    ind = int(demo_book.conn.execute(
        "SELECT indicator_id FROM ledger_entries WHERE entry_date <= '2026-08-31' AND entry_type = 'expenditure' "
        "GROUP BY indicator_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0])
    with demo_book.write("setup", system=True) as conn:
        for n, (day, side, etype, amount) in enumerate([
                ("2026-12-30", "income", "income", 70_000_00), ("2027-01-04", "expenditure", "expenditure", 12_345),
                ("2027-02-01", "expenditure", "expenditure", 99)]):
            conn.execute(
                "INSERT INTO ledger_entries (indicator_id, entry_date, entry_type, side, sign, amount, summary, "
                "voucher_no, created_at) VALUES (?, ?, ?, ?, 1, ?, '测试', ?, ?)",
                (ind, day, etype, side, amount, f"T-CARRY-{n}", f"{day}T09:00:00"))
    for day in (dt.date(2026, 12, 30), dt.date(2026, 12, 31), dt.date(2027, 1, 4), dt.date(2027, 2, 2)):
        assert progress.signed_balances(demo_book, day) is not None
        got = as_tuples(progress.figures(demo_book, day))
        assert got == walk(demo_book, day), day
        mine = next(f for f in got if f[0] == ind)
        assert mine[-1] == {dt.date(2026, 12, 30): mine[-1], dt.date(2026, 12, 31): mine[-1],
                            dt.date(2027, 1, 4): "2027-01-04", dt.date(2027, 2, 2): "2027-02-01"}[day]


def test_a_reopened_month_sums_everything_again(demo_book: Book) -> None:
    """While the chief has reopened the last signed month, its entries may change: the figures must not carry
    from it (nor from an earlier month whose later months are open)."""
    day = dt.date(2026, 11, 20)
    assert progress.signed_balances(demo_book, day) is not None
    with demo_book.write("setup", system=True) as conn:  # an earlier month reopened: no carrying past it either
        conn.execute("UPDATE periods SET closed = 0 WHERE month = '2026-05'")
    assert progress.signed_balances(demo_book, day) is None
    with demo_book.write("setup", system=True) as conn:
        conn.execute("UPDATE periods SET closed = 1 WHERE month = '2026-05'")
    assert progress.signed_balances(demo_book, day) is not None
    entry, ind, amount = demo_book.conn.execute(
        "SELECT id, indicator_id, amount FROM ledger_entries WHERE entry_type = 'expenditure' "
        "AND entry_date BETWEEN '2026-08-01' AND '2026-08-31' ORDER BY id LIMIT 1").fetchone()
    with demo_book.write("setup", system=True) as conn:
        conn.execute("UPDATE periods SET closed = 0 WHERE month = '2026-08'")
        conn.execute("UPDATE ledger_entries SET amount = amount + 777 WHERE id = ?", (entry,))
    assert progress.signed_balances(demo_book, day) is None
    got = as_tuples(progress.figures(demo_book, day))
    assert got == walk(demo_book, day)
    assert next(f for f in got if f[0] == ind)[11] == next(f for f in walk(demo_book, day) if f[0] == ind)[11]


def test_an_insider_who_edits_the_stored_balances_moves_w5_and_is_caught_by_verify(demo_book: Book) -> None:
    """The carried figures trust the signed month's stored balances: raise one indicator's spending there with
    sqlite3 and the day's figures move by exactly that — and verify refuses the file, naming the month, because
    the stored balances no longer equal the entries summed again (the signature covers them too)."""
    day = dt.date(2026, 11, 25)
    before = {f.indicator_id: f for f in progress.figures(demo_book, day)}
    path = demo_book.path
    demo_book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER IF EXISTS signoffs_no_update")
    sid, data = raw.execute("SELECT id, data FROM signoffs WHERE month = '2026-08' AND status = 'signed'").fetchone()
    doc = json.loads(data)
    key = next(k for k, v in doc["balances"].items() if v[2] > 0)
    doc["balances"][key][2] += 1_000_00  # spent this year
    doc["balances"][key][5] += 1_000_00  # spent since arrival
    raw.execute("UPDATE signoffs SET data = ? WHERE id = ?", (json.dumps(doc, ensure_ascii=False), sid))
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        after = {f.indicator_id: f for f in progress.figures(ro, day)}
        assert after[int(key)].spent == before[int(key)].spent + 1_000_00
        assert after[int(key)].spent_ytd == before[int(key)].spent_ytd + 1_000_00
        assert as_tuples(list(after.values())) != walk(ro, day)
        report = evidence.verify(ro)
        assert not report.ok
        texts = [str(f) for f in report.findings]
        assert any("2026-08" in t for t in texts), texts
    finally:
        ro.close()


def test_w5_and_w6_on_a_carried_day_equal_the_full_sum(demo_book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """The detectors that read the figures give the same findings from the carried figures as from every entry."""
    day = dt.date(2026, 11, 25)
    assert progress.signed_balances(demo_book, day) is not None
    carried = [f for f in engine.detect(demo_book, day) if f.code in ("W5", "W6")]
    original = progress.figures
    monkeypatch.setattr(progress, "figures", lambda book, as_of, carried=True: original(book, as_of, carried=False))
    full = [f for f in engine.detect(demo_book, day) if f.code in ("W5", "W6")]
    assert carried == full
    assert carried  # the demo has spending-progress or idle warnings on that day: the comparison is not empty


def test_a_sign_off_that_stored_no_balances_sums_everything(demo_book: Book) -> None:
    """A month signed before calc 3 stored no indicator balances: nothing to carry, the full sum (not zeros)."""
    day = dt.date(2026, 11, 20)
    path = demo_book.path
    demo_book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER IF EXISTS signoffs_no_update")
    raw.execute("UPDATE signoffs SET data = json_remove(data, '$.balances') WHERE month = '2026-08'")
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        assert progress.signed_balances(ro, day) is None
        assert as_tuples(progress.figures(ro, day)) == walk(ro, day)
    finally:
        ro.close()
