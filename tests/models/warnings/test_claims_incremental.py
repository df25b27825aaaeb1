"""The false-claim checks W11–W15 run incrementally (issue #18, performance): after each step of a crafted
sequence — subsidies paid, one account shared, a roster imported, a payee corrected, the day moving on, a payment
paid while the last detection was still running — the incremental run finds exactly what a whole run finds, and it
really is incremental (it re-reads the changed groups, not the county)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from app.models.plan import payees
from app.models.store.book import Book, open_book
from app.models.warnings import claims_detectors as claims
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


WARNING_ROWS = ("SELECT id, key, code, object_type, object_id, object_label, project_id, amount, detail, since, "
                "first_detected, status, section, note, handled_on, handled_by, cleared_on FROM warnings ORDER BY id")


def stored_state(book: Book, since_seq: int) -> dict[str, Any]:
    """Everything storing a run leaves: the warnings, their events, the run's counts, and the audit records written
    (less the run's own row, whose `reads` differ: the whole run stored on the twin records none)."""
    c = book.conn
    return {
        "warnings": [tuple(r) for r in c.execute(WARNING_ROWS)],
        "events": [tuple(r) for r in c.execute("SELECT * FROM warning_events ORDER BY id")],
        "run": tuple(c.execute("SELECT as_of, found, added, changed, cleared, reopened FROM warning_runs "
                               "ORDER BY id DESC LIMIT 1").fetchone()),
        "audit": [tuple(r) for r in c.execute(
            "SELECT actor, op, tbl, row_key, action, before, after FROM audit_log WHERE seq > ? AND tbl != 'warning_runs' "
            "ORDER BY seq", (since_seq,))],
    }


def store_both_ways(book: Book, day: D, inc: engine.Detection) -> None:
    """Store `inc` as the dashboard does (`recompute(detection=…)`: the kept warnings neither read nor rewritten) and,
    on a copy of the file made just before, the whole `detect`; the two files must store the same."""
    twin_path = book.path.with_name(f"twin-{day.isoformat()}.db")
    twin_conn = sqlite3.connect(twin_path)
    book.conn.backup(twin_conn)
    twin_conn.close()
    twin = open_book(twin_path)
    try:
        twin.clock = book.clock
        head = int(book.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0])
        login_as(book, "clerk")
        engine.recompute(book, as_of=day, detection=inc)
        login_as(twin, "clerk")
        engine.recompute(twin, as_of=day, findings=engine.detect(twin, day))
        assert stored_state(book, head) == stored_state(twin, head)
    finally:
        twin.close(backup=False)
        twin_path.unlink()


def check_and_store(book: Book, day: D, spy: dict[str, list[Any]]) -> engine.Detection:
    """Incremental == whole on `day`; then store the incremental detection as the dashboard does, and check that it
    stores what storing the whole run stores."""
    spy["calls"].clear()
    inc = engine.detect_incremental(book, day)
    assert shape(book, inc.findings) == shape(book, engine.detect(book, day))
    store_both_ways(book, day, inc)
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


def w11_row(book: Book, number: str) -> tuple[Any, ...] | None:
    """The person's W11 warning (one category, one year here), as stored."""
    rows = [tuple(r) for r in book.conn.execute(WARNING_ROWS.replace(" ORDER BY id", " WHERE key LIKE ? ORDER BY id"),
                                                (f"W11:{claims._digest(number)}:%",))]
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_saving_keeps_the_unaffected_warnings_and_closes_the_affected_ones(
        book: Book, spy: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing an incremental run leaves the unchanged groups' warnings exactly as stored (same row, id and `since`)
    without reading them back, closes the one whose person's second subsidy no longer counts (its project's category
    corrected to another one), and updates the one whose person was paid a third time (same `since`): the same
    table as storing a whole run."""
    ind, a = funded(book)
    ind2, b = funded(book)
    ind3, c = funded(book)
    ind4, d = funded(book)
    people = [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2)), ("阿依", person(3), acct(3))]
    subsidy(book, ind, a, people, D(2026, 5, 6))
    subsidy(book, ind4, d, people[:1], D(2026, 5, 7))
    subsidy(book, ind2, b, people[1:], D(2026, 5, 8))
    check_and_store(book, D(2026, 5, 8), spy)  # the first run: whole
    before = {n: w11_row(book, person(n)) for n in (1, 2, 3)}
    assert all(before.values())

    subsidy(book, ind3, c, [people[2]], D(2026, 6, 2))  # 阿依: a third project
    with book.write("correct_project", system=True) as conn:  # 艾力's second project was infrastructure after all
        conn.execute("UPDATE projects SET category = 'infrastructure' WHERE id = ?", (d,))

    def no_read_back(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the stored warnings of unchanged groups were read back")

    inc = engine.detect_incremental(book, D(2026, 6, 2))
    assert "W11" in incremental_codes(spy)
    kept = {k.code: k for k in inc.kept}
    assert kept["W11"].dirty == {claims._digest(person(1)), claims._digest(person(3))}  # 古丽 is not read again
    monkeypatch.setattr(claims_incremental, "stored", no_read_back)
    store_both_ways(book, D(2026, 6, 2), inc)

    after = {n: w11_row(book, person(n)) for n in (1, 2, 3)}
    assert after[2] == before[2]  # untouched: same id, since, amount, text, status
    gone, now = after[1], before[1]
    assert gone is not None and now is not None
    assert gone[0] == now[0] and gone[-1] == "2026-06-02" and now[-1] is None  # closed on the day
    grown, was = after[3], before[3]
    assert grown is not None and was is not None
    assert (grown[0], grown[1], grown[9]) == (was[0], was[1], was[9])  # same row, key and `since`
    assert grown[7] > was[7] and grown[-1] is None  # the third payment counted
    run = book.conn.execute("SELECT found FROM warning_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert run == len([f for f in engine.detect(book, D(2026, 6, 2))])


def test_a_detection_stored_after_another_run_is_detected_again(book: Book, spy: dict[str, list[Any]]) -> None:
    """A detection whose base run is no longer the last stored one (another run stored meanwhile) keeps nothing of
    the store: recompute detects again from the last run, and stores what a whole run stores."""
    ind, a = funded(book)
    ind2, b = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2))], D(2026, 5, 6))
    subsidy(book, ind2, b, [("古丽", person(2), acct(2))], D(2026, 5, 7))
    check_and_store(book, D(2026, 5, 7), spy)
    subsidy(book, ind2, b, [("艾力", person(1), acct(1))], D(2026, 5, 8))
    stale = engine.detect_incremental(book, D(2026, 5, 8))
    login_as(book, "clerk")
    engine.recompute(book, as_of=D(2026, 5, 8))  # meanwhile another run stored
    subsidy(book, ind, a, [("新户", person(9), acct(9))], D(2026, 5, 8))
    subsidy(book, ind2, b, [("新户", person(9), acct(9))], D(2026, 5, 8))
    assert stale.base != engine.last_run(book)["id"]  # type: ignore[index]
    store_both_ways(book, D(2026, 5, 8), stale)
    assert w11_row(book, person(9)) is not None
