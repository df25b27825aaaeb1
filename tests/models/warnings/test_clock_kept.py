"""A new day with no data changed (issue #22): W2 and W4 read again only what the day can change, and saving leaves
every warning a clock-only run keeps (W1, W2, W4, W7; every code on a same-day rerun) unread and unwritten.

The attacks: data dated after the last run's day but written before it — a management-fee payment paid later, a
project's goals removed later — which no table write since reveals, so a run that kept every old year or project
would miss the finding the day brings; and a save that must give the same table as saving the full detection while
reading back only the objects read again."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from app.demo import build as demo
from app.models.performance import goals as perf
from app.models.store import users
from app.models.store.book import Book, open_book
from app.models.warnings import engine as warn
from app.models.warnings import registry
from app.models.warnings.base import Context
from tests.conftest import FixedClock, writable_copy
from tests.models.warnings.test_incremental import START, normal, table

LATER = START.date() + dt.timedelta(days=5)  # what the last run's day does not yet see
NEW_DAY = START.date() + dt.timedelta(days=10)
W16_PROJECT = 41  # the demo's project paid on 2026-11-23 after its plan notices began on 11-12 and 11-13
W16_NAMED = 43  # another paid on 11-23, its plan notice begun on 11-12
PAID_LATE = NEW_DAY + dt.timedelta(days=2)


def _at(book: Book, day: dt.date) -> None:
    book.clock = FixedClock(dt.datetime.combine(day, START.time()))


def _open(path: Path, tmp_path: Path, day: dt.date, name: str = "c.db") -> Book:
    book = open_book(Path(shutil.copy(path, tmp_path / name)))
    _at(book, day)
    users.login(book, "juzhang", demo.PASSWORD)
    return book


@pytest.fixture(scope="module")
def county(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county, with two facts dated after START written before START's run: one of this year's paid
    payments turned into a management fee far above the cap, paid on LATER; and every goal of a project whose goals
    are regular removed on LATER. Then START's warnings stored (which see neither)."""
    path = writable_copy(demo_file, tmp_path_factory.mktemp("kept") / "示例县.db")
    book = open_book(path)
    _at(book, START.date())
    users.login(book, "juzhang", demo.PASSWORD)
    fee = next(k.code for k in book.rules.payment.kinds if k.management_fee)
    payment = book.conn.execute(
        "SELECT y.id FROM payments y JOIN indicators i ON i.id = y.indicator_id WHERE y.status = 'paid' "
        "AND i.year = ? AND y.project_id NOT IN (?, ?) ORDER BY y.pay_date DESC, y.id LIMIT 1",
        (START.year, W16_PROJECT, W16_NAMED)).fetchone()[0]  # in an open month
    irregular = perf.irregular(book, on=NEW_DAY)
    last = book.conn.execute("SELECT max(month) FROM periods WHERE closed = 1").fetchone()[0]
    open_from = f"{last}-32" if last else "0000"  # goals set in an open month only (a signed month's rows are locked)
    project = next(int(r[0]) for r in book.conn.execute(
        "SELECT p.id FROM projects p JOIN plan_decisions d ON d.id = p.decision_id WHERE d.decision_date <= ? "
        "AND EXISTS (SELECT 1 FROM project_funding f WHERE f.project_id = p.id) "
        "AND EXISTS (SELECT 1 FROM perf_goals g WHERE g.project_id = p.id AND g.removed_on IS NULL) "
        "AND NOT EXISTS (SELECT 1 FROM perf_goals g WHERE g.project_id = p.id AND g.set_on < ?) ORDER BY p.id DESC",
        (START.date().isoformat(), open_from)) if int(r[0]) not in irregular)
    with book.write("setup", system=True) as conn:  # what the API refuses (a day still to come): written as data
        conn.execute("UPDATE payments SET kind = ?, amount = 900000000, pay_date = ? WHERE id = ?",
                     (fee, LATER.isoformat(), payment))
        conn.execute("UPDATE perf_goals SET removed_on = ? WHERE project_id = ? AND removed_on IS NULL",
                     (LATER.isoformat(), project))
        # a project paid on 11-23 whose plan notices (begun 11-12/13) are moved to begin on LATER - 1: on START it
        # has none (W16 names the day), by NEW_DAY one has begun (W16 names the day it will have run its days)
        conn.execute("UPDATE notices SET start_date = ?, end_date = NULL WHERE object_type = 'project' "
                     "AND kind = 'project_plan' AND object_id = ?", ((LATER - dt.timedelta(days=1)).isoformat(),
                                                                    W16_PROJECT))
        # project 43 (paid 11-23): its plan notice cut to one day, so none has run its days — W16 names the day,
        # and nothing about it is dated in any later window
        conn.execute("UPDATE notices SET end_date = start_date WHERE object_type = 'project' "
                     "AND kind = 'project_plan' AND object_id = ?", (W16_NAMED,))
        # a treasury payment paid on LATER whose amount differs from the ledger's: a W8 difference dated LATER
        conn.execute("UPDATE treasury_payments SET pay_date = ?, amount = amount + 1 WHERE id = (SELECT id FROM "
                     "treasury_payments WHERE pay_date >= '2026-09-01' ORDER BY id LIMIT 1)", (LATER.isoformat(),))
        # a second payment of project 41, paid on PAID_LATE (after its notice began, before it runs its days)
        conn.execute("UPDATE payments SET project_id = ?, pay_date = ? WHERE id = (SELECT id FROM payments "
                     "WHERE status = 'paid' AND pay_date >= '2026-09-01' AND project_id NOT IN (?, ?) AND id <> ? "
                     "ORDER BY id LIMIT 1)", (W16_PROJECT, PAID_LATE.isoformat(), W16_PROJECT, W16_NAMED, payment))
    warn.recompute(book, as_of=START.date())
    book.close(backup=False)
    return path


def _keys(findings: list[warn.Finding], code: str) -> set[str]:
    return {f.key for f in findings if f.code == code}


def test_w4_reads_again_the_year_a_later_payment_enters(county: Path, tmp_path: Path) -> None:
    book = _open(county, tmp_path, NEW_DAY)
    try:
        year_key = f"W4:{START.year}"
        full = warn.detect(book, NEW_DAY)

        def fee(findings: list[warn.Finding]) -> tuple[int, str] | None:
            return next(((f.amount, f.detail) for f in findings if f.key == year_key), None)

        assert fee(full) is not None and fee(full) != fee(warn.detect(book, START.date())), \
            "the test needs the year's finding changed by the fee paid on LATER"
        inc = warn.detect_incremental(book, NEW_DAY)
        assert "payments" in inc.reads["W4"] and "W4" in inc.ran
        assert {k.code for k in inc.kept} >= {"W4"}, "W4 ran clock-only: its other years kept"
        assert normal(book, inc.findings, NEW_DAY) == normal(book, full, NEW_DAY)
        # only the year with a payment in (START, NEW_DAY] read again
        again, _ = registry.CLOCK["management_fees"](Context(book, NEW_DAY), set(), START.date(), set())
        assert again == {str(START.year)}
    finally:
        book.close(backup=False)


def test_w2_reads_again_the_project_whose_goals_a_later_day_removes(county: Path, tmp_path: Path) -> None:
    book = _open(county, tmp_path, NEW_DAY)
    try:
        before = _keys(warn.detect(book, START.date()), "W2")
        full = warn.detect(book, NEW_DAY)
        appeared = _keys(full, "W2") - before
        assert appeared, "the test needs a project whose goals are gone by NEW_DAY"
        inc = warn.detect_incremental(book, NEW_DAY)
        assert "W2" in {k.code for k in inc.kept}
        assert normal(book, inc.findings, NEW_DAY) == normal(book, full, NEW_DAY)
        again, found = registry.CLOCK["irregular_goals"](Context(book, NEW_DAY), set(), START.date(), set())
        assert {k.rsplit(":", 1)[1] for k in appeared} <= again
        every = len(perf.irregular(book, on=NEW_DAY))
        assert len(again) < every, "only the projects a date in (START, NEW_DAY] touches are read again"
        assert {f.key for f in found} == appeared
    finally:
        book.close(backup=False)


def test_saving_a_clock_only_run_reads_back_only_what_it_read_again(county: Path, tmp_path: Path) -> None:
    """The stored W1/W2/W4/W7 warnings of objects not read again are neither materialised as findings nor read back
    by the save, and the table saved equals the one saving the full detection gives — also on the next new day."""
    kept_book = _open(county, tmp_path, NEW_DAY, "kept.db")
    full_book = _open(county, tmp_path, NEW_DAY, "full.db")
    try:
        day = NEW_DAY
        for step in (0, 3, 40):
            day += dt.timedelta(days=step)
            _at(kept_book, day)
            _at(full_book, day)
            inc = warn.detect_incremental(kept_book, day)
            kept = {k.code for k in inc.kept}
            assert {"W1", "W2", "W4", "W7"} <= kept, kept
            stored = dict(kept_book.conn.execute(
                "SELECT code, count(*) FROM warnings WHERE cleared_on IS NULL GROUP BY code").fetchall())
            fresh = {c: len(_keys(inc.fresh, c)) for c in ("W1", "W7")}
            assert fresh["W7"] < stored["W7"], "kept W7 duties are not built again"
            rows, n_kept = warn._existing(kept_book, inc.fresh, inc.kept)
            read_back = {c: sum(1 for r in rows.values() if r[warn._W_CODE] == c) for c in ("W1", "W7")}
            assert read_back["W7"] < stored["W7"] and read_back["W1"] < stored["W1"], read_back
            assert n_kept > 0
            warn.recompute(kept_book, as_of=day, detection=inc)
            warn.recompute(full_book, as_of=day, findings=warn.detect(full_book, day))
            assert table(kept_book) == table(full_book), day
    finally:
        kept_book.close(backup=False)
        full_book.close(backup=False)


def test_a_same_day_rerun_keeps_every_untouched_code_unread(county: Path, tmp_path: Path) -> None:
    book = _open(county, tmp_path, START.date())
    try:
        inc = warn.detect_incremental(book, START.date())
        assert not inc.ran and not inc.fresh, "nothing written since START's run: nothing detected again"
        before = table(book)
        result = warn.recompute(book, as_of=START.date(), detection=inc)
        assert table(book) == before
        assert result.found == book.conn.execute("SELECT count(*) FROM warnings WHERE cleared_on IS NULL").fetchone()[0]
        assert normal(book, inc.findings, START.date()) == normal(book, warn.detect(book, START.date()), START.date())
    finally:
        book.close(backup=False)


def test_a_kept_group_whose_key_extends_a_dirty_one_is_not_closed(county: Path, tmp_path: Path) -> None:
    """Saving reads a dirty group's rows by its key prefix, and a prefix range also reaches keys that extend it
    (`…:1` and `…:1:x`); a row of a kept group read that way must not be taken for a dirty one and closed."""
    book = _open(county, tmp_path, NEW_DAY)
    try:
        inc = warn.detect_incremental(book, NEW_DAY)
        w7 = next(k for k in inc.kept if k.code == "W7")
        victim = book.conn.execute(
            "SELECT key, object_id FROM warnings WHERE code = 'W7' AND cleared_on IS NULL ORDER BY key LIMIT 1"
        ).fetchone()
        assert not w7.is_dirty(victim[0])
        # a W7 group that is dirty and whose key is a prefix of the kept one's
        fake = warn.claims_incremental.Kept("W7", w7.dirty | {victim[1].rsplit(":", 1)[0]}, w7.group_of_key, w7.prefix)
        rows, _ = warn._existing(book, inc.fresh, (*[k for k in inc.kept if k.code != "W7"], fake))
        assert victim[0] not in rows
    finally:
        book.close(backup=False)


def test_w16_reads_again_the_projects_whose_text_names_the_day_and_those_paid_since(
        county: Path, tmp_path: Path) -> None:
    """W16's text names the day when no plan notice of the project has run its days ("截至 … 没有满 …"): such a
    project's stored finding must not be kept on a new day (project 43, nothing of it dated in the window). Nor
    that of a project whose text names no day but which was paid in the window (project 41 on the second new day)."""
    book = _open(county, tmp_path, NEW_DAY)
    try:
        named_key, paid_key = f"W16:project:{W16_NAMED}", f"W16:project:{W16_PROJECT}"

        def w16(day: dt.date) -> dict[str, warn.Finding]:
            return {f.key: f for f in warn.detect(book, day) if f.code == "W16"}

        start, full = w16(START.date()), w16(NEW_DAY)
        assert start[named_key].detail.startswith(f"截至 {START.date().isoformat()}"), "the test's project 43"
        assert full[named_key].detail != start[named_key].detail
        inc = warn.detect_incremental(book, NEW_DAY)
        assert "W16" in {k.code for k in inc.kept}
        assert normal(book, inc.findings, NEW_DAY) == normal(book, warn.detect(book, NEW_DAY), NEW_DAY)
        noted = set(json.loads(warn.last_run(book)["reads"])[warn.CLOCK + "W16"])
        again, _ = registry.CLOCK["paid_before_notice"](Context(book, NEW_DAY), noted, START.date(), set())
        assert str(W16_NAMED) in again
        assert {k for k in full if k.rsplit(":", 1)[1] not in again}, \
            "a project paid long before its notice ran its days is kept as stored, not read again"
        warn.recompute(book, as_of=NEW_DAY, detection=inc)
        # the second new day: project 41's notice has begun (its text names the day it runs 10 days, not the day)
        second = PAID_LATE + dt.timedelta(days=1)
        _at(book, second)
        assert "截至" not in full[paid_key].detail and str(W16_PROJECT) not in \
            set(json.loads(warn.last_run(book)["reads"])[warn.CLOCK + "W16"])
        later = w16(second)
        assert later[paid_key].detail != full[paid_key].detail, "the payment of PAID_LATE counts"
        inc = warn.detect_incremental(book, second)
        assert "W16" in {k.code for k in inc.kept}
        assert normal(book, inc.findings, second) == normal(book, warn.detect(book, second), second)
    finally:
        book.close(backup=False)


def test_w8_lets_in_only_the_differences_dated_in_between(county: Path, tmp_path: Path) -> None:
    """A difference is what the data say whatever the day; the day lets in those dated by it. The treasury payment
    dated LATER (written before START's run) must appear on NEW_DAY although no table was written since."""
    book = _open(county, tmp_path, NEW_DAY)
    try:
        start, full = _keys(warn.detect(book, START.date()), "W8"), _keys(warn.detect(book, NEW_DAY), "W8")
        appeared = full - start
        assert any(":treasury:" in k for k in appeared), "the test needs the difference dated LATER"
        inc = warn.detect_incremental(book, NEW_DAY)
        assert "W8" in {k.code for k in inc.kept}
        assert normal(book, inc.findings, NEW_DAY) == normal(book, warn.detect(book, NEW_DAY), NEW_DAY)
        again, found = registry.CLOCK["reconciliation"](Context(book, NEW_DAY), set(), START.date(), set())
        assert {f.key for f in found} == appeared and len(again) < len(full)
    finally:
        book.close(backup=False)


def test_the_changes_since_the_last_run_are_read_by_seq_not_through_a_tables_history(demo_book: Book) -> None:
    """What changed since the last run is read from the audit records after it. Each statement the claims delta
    runs on audit_log / audit_runs must find them by seq (the primary key): a condition on `tbl` lets SQLite
    prefer the (tbl, row_key) index and read the whole history of that table — every payment ever recorded."""
    from app.models.ledger import account as ledger
    from app.models.warnings import claims_incremental

    warn.recompute(demo_book, as_of=START.date())
    users.login(demo_book, "jingban", demo.PASSWORD)
    ind = demo_book.conn.execute("SELECT id FROM indicators ORDER BY id DESC LIMIT 1").fetchone()[0]
    ledger.post_expenditure(demo_book, indicator_id=int(ind), amount=1_00, entry_date=START.date(),
                            voucher_no="SEQ-1", payment_id=None, summary="一笔支出")
    with demo_book.write("setup", system=True) as conn:  # payments and payees written since: their branches run
        conn.execute("UPDATE payments SET purpose = purpose || ' ' WHERE id = (SELECT max(id) FROM payments)")
        conn.execute("UPDATE payees SET name = name WHERE id = (SELECT max(id) FROM payees)")
    run = warn.last_run(demo_book)
    assert run is not None
    since = claims_incremental.anchor(demo_book, run)
    assert since is not None
    seen: list[str] = []
    demo_book.conn.set_trace_callback(seen.append)
    try:
        delta = claims_incremental.delta(demo_book, since, START.date(), START.date())
    finally:
        demo_book.conn.set_trace_callback(None)
    assert {"payments", "payees", "ledger_entries"} <= delta.tables
    on_log = [s for s in seen if "FROM audit_log" in s or "FROM audit_runs" in s]
    assert len(on_log) >= 4
    for sql in on_log:
        plan = " ".join(str(r[3]) for r in demo_book.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "audit_log_row" not in plan and "SCAN audit_runs" not in plan and "SCAN audit_log" not in plan, \
            (sql, plan)


def test_w7_lists_only_the_duties_a_day_can_change(county: Path, tmp_path: Path) -> None:
    """W7 on a new day lists the duties arisen since, and those of objects whose notice can still change status —
    not every duty the county ever had. Project 41's plan notices were registered to begin on LATER - 1: on START
    its duty is 缺失 (no notice begun), by NEW_DAY the notice is up (公示中), so its stored finding must go although
    no table was written since."""
    from app.models.notices import obligations

    book = _open(county, tmp_path, NEW_DAY)
    try:
        key = f"project_plan:village:project:{W16_PROJECT}"
        assert f"W7:{key}" in _keys(warn.detect(book, START.date()), "W7")
        assert f"W7:{key}" not in _keys(warn.detect(book, NEW_DAY), "W7")
        inc = warn.detect_incremental(book, NEW_DAY)
        assert "W7" in {k.code for k in inc.kept}
        assert normal(book, inc.findings, NEW_DAY) == normal(book, warn.detect(book, NEW_DAY), NEW_DAY)
        considered: set[str] = set()
        window = obligations.Window(START.date(), obligations.changeable_objects(book, START.date(), NEW_DAY))
        obligations.open_obligations(book, as_of=NEW_DAY, window=window, considered=considered)
        assert key in considered
        every = len(obligations._duties(book, NEW_DAY))
        assert len(considered) < every / 2, (len(considered), every)
    finally:
        book.close(backup=False)


def test_the_save_and_the_clock_runs_read_only_live_warnings_by_the_partial_index(county: Path, tmp_path: Path) -> None:
    """Counting the firing warnings a new day keeps and listing the objects they name read `warnings_live` (schema
    25), which holds only the warnings still firing — not every warning that ever fired (a 15-year county's
    470,000 rows, most of them long cleared)."""
    book = _open(county, tmp_path, NEW_DAY)
    try:
        seen: list[str] = []
        book.conn.set_trace_callback(seen.append)
        try:
            warn.recompute(book, as_of=NEW_DAY)
        finally:
            book.conn.set_trace_callback(None)
        live = [s for s in seen if "FROM warnings" in s and "cleared_on IS NULL" in s and "UPDATE" not in s]
        assert any("count(*)" in s for s in live) and any("SELECT object_id" in s for s in live), live
        for sql in live:
            plan = " ".join(str(r[3]) for r in book.conn.execute("EXPLAIN QUERY PLAN " + sql))
            assert "USING COVERING INDEX warnings_live" in plan, (sql, plan)
    finally:
        book.close(backup=False)


def test_the_windowed_payment_finders_give_the_generic_windows_rows(demo_file: Path) -> None:
    """W7's window over the finders that grow with every payment (a project's last payment, a paid payment with a
    roster) searches the payments paid in the window by their date index instead of filtering every payment's row:
    for windows from one day to the whole history, with and without objects of their own, the rows are the same
    as the generic filter's, in the same order."""
    from app.models.notices import obligations

    book = open_book(demo_file, read_only=True)
    try:
        first = dt.date.fromisoformat(str(book.conn.execute(
            "SELECT min(pay_date) FROM payments WHERE status = 'paid'").fetchone()[0]))
        projects = [int(r[0]) for r in book.conn.execute("SELECT id FROM projects ORDER BY id")]
        payments = [int(r[0]) for r in book.conn.execute("SELECT id FROM payments ORDER BY id")]
        compared = 0
        for key in obligations._WINDOWED_FINDERS:
            ids_pool = projects if key[0] == "project" else payments
            for since in (first - dt.timedelta(days=1), first + dt.timedelta(days=40), dt.date(2026, 6, 30),
                          dt.date(2026, 11, 12), dt.date(2026, 11, 24)):
                for ids in ([], ids_pool[::5], ids_pool[:3]):
                    args = {"day": NEW_DAY.isoformat(), "since": since.isoformat(), "ids": json.dumps(ids)}
                    generic = book.conn.execute(
                        obligations._WINDOWED.format(finder=obligations._FINDERS[key]), args).fetchall()
                    fast = book.conn.execute(obligations._windowed(key, False), args).fetchall()
                    assert [tuple(r) for r in fast] == [tuple(r) for r in generic], (key, since, len(ids))
                    compared += len(generic)
        assert compared > 100
    finally:
        book.close(backup=False)


def test_only_the_clock_runs_that_name_the_stored_findings_are_given_them() -> None:
    """A clock run that uses its fourth argument (the stored findings' objects) must be in CLOCK_USES_STORED, or a
    new day would hand it an empty set and it would rebuild — or drop — what it should keep; one that ignores it
    (named `_stored`) is left out, so its code's live warnings are not listed for nothing."""
    import inspect

    for name, run in registry.CLOCK.items():
        param = list(inspect.signature(run).parameters)[3]
        assert (name in registry.CLOCK_USES_STORED) == (not param.startswith("_")), (name, param)
        assert (inspect.getsource(run).count(param) > 1) == (name in registry.CLOCK_USES_STORED), name  # used


def test_w3_reads_again_the_payments_and_treasury_rows_a_later_day_lets_in(demo_file: Path, tmp_path: Path) -> None:
    """W3 on a new day with nothing written reads only the requests drafted and the treasury payments paid in
    between. The attack on a run that kept every old row: before START's run, a failing request is re-dated to
    LATER (drafted after START) and a treasury payment on LATER with a voucher no request has is written — START
    sees neither, NEW_DAY must see both; a request that stops failing is not a day's business (it is a write)."""
    path = writable_copy(demo_file, tmp_path / "w3.db")
    book = open_book(path)
    _at(book, START.date())
    users.login(book, "juzhang", demo.PASSWORD)
    failing = next(f for f in warn.detect(book, START.date()) if f.key.startswith("W3:payment:"))
    with book.write("setup", system=True) as conn:  # dates still to come: written as data
        conn.execute("UPDATE payments SET draft_date = ? WHERE id = ?", (LATER.isoformat(), int(failing.object_id)))
        row = conn.execute("SELECT * FROM treasury_payments ORDER BY id DESC LIMIT 1").fetchone()
        conn.execute(
            "INSERT INTO treasury_payments (import_id, source_row, voucher_no, pay_date, doc_no, indicator_id, "
            "payee_name, amount) VALUES (?, 99999, 'GK-NO-REQUEST', ?, ?, ?, '某公司', 12345)",
            (row["import_id"], LATER.isoformat(), row["doc_no"], row["indicator_id"]))
    warn.recompute(book, as_of=START.date())
    book.close(backup=False)
    book = _open(path, tmp_path, NEW_DAY, "w3b.db")
    try:
        at_start = _keys(warn.detect(book, START.date()), "W3")
        full = warn.detect(book, NEW_DAY)
        appeared = _keys(full, "W3") - at_start
        assert appeared == {failing.key, "W3:treasury:GK-NO-REQUEST"}, appeared
        inc = warn.detect_incremental(book, NEW_DAY)
        assert "W3" in inc.ran and "W3" in {k.code for k in inc.kept}, "W3 ran clock-only: its other rows kept"
        assert normal(book, inc.findings, NEW_DAY) == normal(book, full, NEW_DAY)
        again, found = registry.CLOCK["irregular_payments"](Context(book, NEW_DAY), set(), START.date(), set())
        assert {f.key for f in found} == appeared
        assert {f"W3:{g}" for g in again} >= appeared
        assert len(again) < book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0] / 10
        warn.recompute(book, as_of=NEW_DAY)  # saved: the table as saving the full detection would leave it
        stored = {r[0] for r in book.conn.execute("SELECT key FROM warnings WHERE code = 'W3' AND cleared_on IS NULL")}
        assert stored == _keys(full, "W3")
    finally:
        book.close(backup=False)
