"""The false-claim checks W11–W15 run incrementally (issue #18, performance): after each step of a crafted
sequence — subsidies paid, one account shared, a roster imported, a payee corrected, the day moving on, a payment
paid while the last detection was still running — the incremental run finds exactly what a whole run finds, and it
really is incremental (it re-reads the changed groups, not the county)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest

from app.models.plan import payees
from app.models.store.book import Book
from app.models.warnings import claims_incremental, engine
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx
from tests.models.warnings.test_claims import acct, funded, import_poor, import_staff, person, subsidy

D = dt.date
CLAIMS = ("W11", "W12", "W13", "W14", "W15")


def shape(book: Book, findings: list[engine.Finding]) -> list[tuple[Any, ...]]:
    """What storing the findings leaves: a stored warning keeps the `since` it was first stored with."""
    fixed = {r[0]: r[1] for r in book.conn.execute("SELECT key, since FROM warnings")}
    return sorted((f.key, f.object_type, str(f.object_id), f.object_label, f.amount,
                   fixed.get(f.key) or (f.since.isoformat() if f.since else None), f.detail, f.project_id)
                  for f in findings if f.code in CLAIMS)


def check_and_store(book: Book, day: D, spy: dict[str, list[Any]]) -> engine.Detection:
    """Incremental == whole on `day`; then store the incremental findings as the dashboard does."""
    spy["calls"].clear()
    inc = engine.detect_incremental(book, day)
    assert shape(book, inc.findings) == shape(book, engine.detect(book, day))
    login_as(book, "clerk")
    engine.recompute(book, as_of=day, findings=inc.findings, reads=inc.reads)
    return inc


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Which claims detectors ran incrementally (claims_incremental.run answered) and over which groups."""
    seen: dict[str, list[Any]] = {"calls": []}
    real = claims_incremental.run

    def run(ctx: Any, code: str, detector: str, delta: claims_incremental.Delta, known: list[str]) -> Any:
        got = real(ctx, code, detector, delta, known)
        seen["calls"].append((code, got is not None, len(delta.payments)))
        return got

    monkeypatch.setattr(claims_incremental, "run", run)
    return seen


def incremental_codes(spy: dict[str, list[Any]]) -> set[str]:
    return {code for code, answered, _n in spy["calls"] if answered}


def test_incremental_equals_whole_after_each_step(book: Book, spy: dict[str, list[Any]]) -> None:
    ind, a = funded(book)
    _i2, b = funded(book)
    ind3, c = funded(book, category="infrastructure")
    limit = book.rules.claims.max_ids_per_account
    day = D(2026, 5, 6)
    subsidy(book, ind, a, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2))], day)
    check_and_store(book, day, spy)  # the first run: whole, nothing to be incremental from
    assert incremental_codes(spy) == set()

    steps: list[tuple[str, Callable[[D], object]]] = [
        ("same person, second project: W11", lambda d: subsidy(book, _i2, b, [("艾力", person(1), acct(1))], d)),
        ("other subsidy category: W11's near miss", lambda d: subsidy(book, ind3, c, [("古丽", person(2), acct(2))], d)),
        ("one account for N+1 people: W12", lambda d: subsidy(
            book, ind, a, [(f"户{i}", person(10 + i), acct(77)) for i in range(limit + 1)], d)),
        ("staff roster: W13 (a whole run: the roster is read by every person)",
         lambda d: (import_staff(book, [["古丽", person(2), "示例乡政府", "聘用"]]), None)[1]),
        ("poor roster: W14", lambda d: (import_poor(book, [["艾力", person(1), "巴格其村", "脱贫户", "正常", None],
                                                          ["古丽", person(2), "巴格其村", "监测对象", "死亡",
                                                           "2026-05-01"]]), None)[1]),
        ("a paid person after the roster: W14 for the new payment only", lambda d: subsidy(
            book, ind, a, [("新户", person(40), acct(40))], d)),
    ]
    rng = random.Random(18)
    order = steps[:3] + rng.sample(steps[3:], len(steps) - 3)  # the rosters' order drawn: they interact with W14
    for n, (_what, step) in enumerate(order, start=1):
        day = D(2026, 5, 6) + dt.timedelta(days=7 * n)
        step(day)
        check_and_store(book, day, spy)
    # the payee corrected to an account in another name: W15, by that payee only
    login_as(book, "clerk")
    other = fx.enterprise(book, name="示例县兴农合作社", account_name="示例县兴农合作社")
    y = fx.request(book, a, ind, other, 100_00, draft_date=D(2026, 7, 1))
    fx.approve(book, y)
    from app.models.payments import requests as payments
    payments.mark_paid(book, payment_id=y, voucher_no="V-INC-1", pay_date=D(2026, 7, 2))
    check_and_store(book, D(2026, 7, 2), spy)
    row = payees.get(book, other)
    login_as(book, "clerk")
    payees.update_payee(book, payee_id=other, payee_type=row["payee_type"], name=row["name"], id_code=row["id_code"],
                        account_no=row["account_no"], bank=row["bank"], account_name="张三")
    inc = check_and_store(book, D(2026, 7, 3), spy)
    assert {"W11", "W12", "W15"} <= incremental_codes(spy)
    assert [f for f in inc.findings if f.code == "W15" and f.object_id == str(other)]
    codes = {f.code for f in inc.findings}
    assert {"W11", "W12", "W13", "W14", "W15"} <= codes  # every pattern fired on its case


def test_a_payment_made_while_the_detection_ran_is_seen_by_the_next_run(book: Book, spy: dict[str, list[Any]]) -> None:
    """The attack on the naive anchor (the stored run's own audit record): a subsidy paid after the background
    detection began but before its findings were stored is older than that record, and would never be read again."""
    ind, a = funded(book)
    _i2, b = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1))], D(2026, 5, 6))
    check_and_store(book, D(2026, 5, 6), spy)
    inc = engine.detect_incremental(book, D(2026, 5, 7))  # the dashboard's background detection ...
    subsidy(book, _i2, b, [("艾力", person(1), acct(1))], D(2026, 5, 7))  # ... meanwhile the clerk pays again
    login_as(book, "clerk")
    engine.recompute(book, as_of=D(2026, 5, 7), findings=inc.findings, reads=inc.reads)  # stored without it
    assert not [f for f in inc.findings if f.code == "W11"]
    again = check_and_store(book, D(2026, 5, 7), spy)  # same day: the next run must find the double payment
    assert [f for f in again.findings if f.code == "W11"]
    assert "W11" in incremental_codes(spy)


def test_unchanged_groups_are_not_read_again(book: Book, spy: dict[str, list[Any]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A payment to one person re-reads that person only: W11's restricted run gets her ID and nobody else's."""
    ind, a = funded(book)
    _i2, b = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2))], D(2026, 5, 6))
    subsidy(book, _i2, b, [("古丽", person(2), acct(2))], D(2026, 5, 8))
    check_and_store(book, D(2026, 5, 8), spy)
    asked: list[list[str]] = []
    restricted, groups_of, key_group, value_group = claims_incremental.INCREMENTAL["repeated_subsidies"]

    def record(ctx: Any, persons: list[str]) -> Any:
        asked.append(list(persons))
        return restricted(ctx, persons)

    monkeypatch.setitem(claims_incremental.INCREMENTAL, "repeated_subsidies", (record, groups_of, key_group, value_group))
    subsidy(book, _i2, b, [("艾力", person(1), acct(1))], D(2026, 5, 9))
    inc = check_and_store(book, D(2026, 5, 9), spy)
    assert asked == [[person(1)]]
    assert sorted(f.object_label for f in inc.findings if f.code == "W11") == sorted(
        f.object_label for f in engine.detect(book, D(2026, 5, 9)) if f.code == "W11")
    assert len([f for f in inc.findings if f.code == "W11"]) == 2  # 古丽's kept from the store, 艾力's new



def test_a_list_imported_in_bulk_is_in_the_written_tables(book: Book, spy: dict[str, list[Any]]) -> None:
    """A real-name list of 20 lines is one folded audit record (schema 20, audit_runs), not 20 rows of audit_log:
    the tables written since the last run (which decide what the incremental run redoes) must still name the lines'
    table, and the delta must read the lines' persons and accounts through the run; the runs equal the whole."""
    ind, a = funded(book)
    _i2, b = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1))], D(2026, 5, 6))
    check_and_store(book, D(2026, 5, 6), spy)
    since = book.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    crowd = [(f"户{i}", person(100 + i), acct(100 + i)) for i in range(19)] + [("艾力", person(1), acct(1))]
    subsidy(book, _i2, b, crowd, D(2026, 5, 6))
    assert book.conn.execute("SELECT count(*) FROM audit_log WHERE tbl = 'real_name_lines' AND seq > ?",
                             (since,)).fetchone()[0] <= 1  # folded: at most the transaction's last record stays
    log = claims_incremental.AuditRange(book, since, None)
    assert "real_name_lines" in log.tables()
    lines = log.inserted("real_name_lines")
    assert len(lines) >= 19 and {row["id_number"] for _k, row in lines} >= {person(100 + i) for i in range(19)}
    again = check_and_store(book, D(2026, 5, 6), spy)
    assert [f for f in again.findings if f.code == "W11"]
