"""A month's tables with the history counted by SQLite rather than walked in Python (issue #22 item 1): 表6's duties
counted by group, 表7's 按发生时间 columns counted per type, 表1 and 表3 summed over the whole history in one pass.
For every month of the demo, each equals the old algorithm, which the test writes out itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.ledger.query import BALANCE, EXPENSE, INCOME
from app.models.notices import objects as objs
from app.models.notices import obligations
from app.models.reports import monthly, review, sources
from app.models.store import periods
from app.models.store.book import Book, open_book
from tests.conftest import FixedClock, login_as, writable_copy
from tests.models.plan import test_stages as stages
from tests.models.reports.test_carried_balances import months_between

MONTHS = months_between("2025-01", "2027-02")


@pytest.fixture(scope="module")
def demo(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    """The module's copy of the session's demo county (tests/conftest.py), only read by this module's tests."""
    b = open_book(writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db"), read_only=True, check="deferred")
    yield b
    b.close(backup=False)


# -- 表6 ----------------------------------------------------------------------------------------------------------
def duties_one_by_one(book: Book, as_of: dt.date, as_of_rule: bool) -> Counter[tuple[str, str, str]]:
    """表6's duties as they were counted before: every duty built (`_duties`), its object looked up, each rated."""
    notices = obligations._notices(book)
    duties = obligations._duties(book, as_of, as_of_rule)
    present = {t: objs.existing(book, t, [d.object_id for d in duties if d.object_type == t])
               for t in objs.OBJECT_NAMES}
    by_year: dict[Any, Any] = {}
    out: Counter[tuple[str, str, str]] = Counter()
    for duty in duties:
        if duty.object_id not in present[duty.object_type]:
            continue
        if (duty.kind, duty.level, duty.object_type, duty.object_id) not in notices:
            out[(duty.level, duty.kind, obligations.MISSING)] += 1
        else:
            out[(duty.level, duty.kind, obligations._rate(book, as_of, duty, notices, by_year)[0])] += 1
    for duty, status, _days, _notice in obligations._county(book, as_of):
        out[("county", duty.kind, status)] += 1
    return out


@pytest.mark.parametrize("as_of_rule", [False, True])
def test_table6_counted_by_group_equals_rating_every_duty(demo: Book, as_of_rule: bool) -> None:
    statuses: Counter[str] = Counter()
    for month in MONTHS:
        _start, end = periods.bounds(demo, month)
        got = obligations.duty_counts(demo, as_of=end, as_of_rule=as_of_rule)
        assert got == duties_one_by_one(demo, end, as_of_rule), month
        for (_level, _kind, status), n in got.items():
            statuses[status] += n
    assert statuses[obligations.MISSING] and statuses[obligations.SHOWN], statuses  # grouped and rated ones both


def test_table6_groups_only_objects_no_notice_names(demo: Book) -> None:
    """The grouped query counts the objects without any notice; the others come back one by one (both occur)."""
    grouped = each = 0
    for key in obligations._FINDERS:
        for r in demo.conn.execute(obligations._counted_sql(key, False), {"day": "2026-11-30", "object": key[0]}):
            grouped += 0 if r[0] else r[5]
            each += r[0]
    assert grouped > 0 and each > 0


def test_table6_counted_without_any_notice_equals_rating_every_duty(demo: Book, tmp_path: Path) -> None:
    """The demo with every notice removed (outside the program): every object's duties are counted by the grouped
    query — projects of several statuses (资金使用情况 only for the finished ones), with and without a village, of
    several years — and the counts equal the full list's."""
    import shutil
    import sqlite3

    copy = Path(shutil.copy(demo.path, tmp_path / "no-notices.db"))
    raw = sqlite3.connect(copy)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notices'"
                               ).fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("DELETE FROM notices")
    raw.commit()
    raw.close()
    b = open_book(copy, read_only=True, check="deferred")
    try:
        for month in ("2025-06", "2026-03", "2026-11", "2027-02"):
            _start, end = periods.bounds(b, month)
            for as_of_rule in (False, True):
                got = obligations.duty_counts(b, as_of=end, as_of_rule=as_of_rule)
                assert got == duties_one_by_one(b, end, as_of_rule), (month, as_of_rule)
        kinds = {kind for (_level, kind, status), n in got.items() if n and status == obligations.MISSING}
        assert {"allocation", "project_plan", "fund_use", "real_name"} <= kinds, kinds
        statuses = {r[0] for r in b.conn.execute("SELECT DISTINCT p.status FROM projects p JOIN payments y "
                                                 "ON y.project_id = p.id WHERE y.status = 'paid'")}
        assert len(statuses) > 1, statuses  # finished and unfinished projects with payments: the filter matters
    finally:
        b.close(backup=False)


def test_table6_counts_stage_duties_like_every_duty(book: Book, clock: FixedClock) -> None:
    """The duties read from the audit log (when = "stage", xj-2021.3's 储备, as tests/models/plan/test_stages.py sets it
    up): counted as `obligations` lists them, 缺失 and then 已公示."""
    from app.models.notices import records as notices
    from app.models.plan import decisions as plan
    from app.models.store import rule_sets

    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    login_as(book, "clerk")
    old, indicator = stages._indicator(book, 2020), stages._indicator(book, 2021)
    clock.now = dt.datetime(2020, 4, 2, 10, 0, 0)  # entered in 2020: xj-2019 defines its duties (no 入库公示)
    stages._project(book, "XM2020-001", 2020, old)
    clock.now = dt.datetime(2021, 4, 2, 10, 0, 0)
    pid, day = stages._project(book, "XM2021-001", 2021, indicator), dt.date(2021, 4, 30)
    first = obligations.duty_counts(book, as_of=day)
    assert first == duties_one_by_one(book, day, False)
    assert first[("village", "pool_entry", obligations.MISSING)] == 1  # the 2021 project's, by the year of its day
    clock.now = dt.datetime(2021, 4, 9, 11, 0, 0)
    plan.advance_status(book, project_id=pid, status="reserved")
    assert obligations._uses_stage_duties(book)
    got = obligations.duty_counts(book, as_of=day)
    assert got == duties_one_by_one(book, day, False)
    assert got[("village", "pool_reserve", obligations.MISSING)] == 1
    clock.now = dt.datetime(2021, 4, 30, 9, 0, 0)
    draft = notices.draft(book, kind="pool_reserve", level="village", object_type="project", object_id=pid,
                          on=dt.date(2021, 4, 10))
    notices.record_notice(book, kind="pool_reserve", level="village", object_type="project", object_id=pid,
                          title=draft["title"], place="board", start_date="2021-04-10", end_date="2021-04-19",
                          content={k: v or "不适用" for k, v in draft["content"].items()}, publisher="示例村村民委员会")
    got = obligations.duty_counts(book, as_of=day)
    assert got == duties_one_by_one(book, day, False)
    assert got[("village", "pool_reserve", obligations.SHOWN)] == 1
    assert got[("village", "pool_reserve", obligations.MISSING)] == 0


# -- 表7 按发生时间 --------------------------------------------------------------------------------------------------
def arisen_one_by_one(book: Book, start: dt.date, end: dt.date, known_by: str | None,
                      indexed: bool) -> dict[str, dict[str, int]]:
    """review.warnings_arisen as it was: every warning of the year handed to Python and counted there."""
    sql, args = review.arisen_query(end, known_by, indexed)
    out: dict[str, dict[str, int]] = {}
    for code, since, found in book.conn.execute(sql, args):
        t = out.setdefault(code, {"arose_month": 0, "arose_cum": 0, "found_later": 0})
        t["arose_cum"] += 1
        if since >= start.isoformat():
            t["arose_month"] += 1
        if found > end.isoformat():
            t["found_later"] += 1
    return out


def test_table7_arisen_counted_by_sqlite_equals_counting_in_python(demo: Book) -> None:
    signed = [str(r[0]) for r in demo.conn.execute("SELECT signed_at FROM signoffs ORDER BY signed_at")]
    assert signed
    totals: Counter[str] = Counter()
    for month in MONTHS:
        start, end = periods.bounds(demo, month)
        for known in (None, signed[0], signed[-1]):
            for indexed in (False, True):
                got = review.warnings_arisen(demo, start, end, known, indexed=indexed)
                assert got == arisen_one_by_one(demo, start, end, known, indexed), (month, known, indexed)
                for t in got.values():
                    totals.update(t)
    assert all(totals[k] for k in ("arose_month", "arose_cum", "found_later")), totals


# -- 表1 / 表3 over the whole history --------------------------------------------------------------------------------
def full_sums_apart(book: Book, p: sources.Period) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """表1's and 表3's whole-history figures as they were summed before: one pass over the entries each."""
    ys, ms = p.year_start.isoformat(), p.start.isoformat()
    receipts, args = sources._receipt_columns(p)
    balances = f"""
        coalesce(sum(CASE WHEN e.entry_date < ? THEN {BALANCE} END), 0) AS opening,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_month,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_cum,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS spend_month,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS spend_cum,
        coalesce(sum({BALANCE}), 0) AS closing"""
    return (sources._items(book, p, receipts, tuple(args)),
            sources._items(book, p, balances, (ys, ms, ys, ms, ys)))


def test_tables_1_and_3_summed_in_one_pass_equal_summing_each(demo: Book) -> None:
    seen: Counter[str] = Counter()
    for month in MONTHS:
        p = sources.Period(demo, month, carried=False)
        receipts, balances = full_sums_apart(demo, p)
        got = (sources._receipts_full(demo, p), sources._balances_full(demo, p))
        assert got == (receipts, balances), month
        assert [list(r) for r in got[0]] == [list(r) for r in receipts]  # the same keys in the same order
        assert [list(r) for r in got[1]] == [list(r) for r in balances]
        for r in balances:
            seen.update({k: abs(int(r[k])) for k in sources.BALANCE_FIELDS})
        for r in receipts:
            seen.update({k: abs(int(r[k])) for k in sources.RECEIPT_FIELDS})
    assert all(seen[k] for k in (*sources.BALANCE_FIELDS, "month_central", "cum_county")), seen


def test_verify_resumming_reads_the_history_once_for_tables_1_and_3(demo: Book,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[str] = []
    real = sources._items

    def counting(b: Book, p: sources.Period, extra: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        passes.append(p.month)
        return real(b, p, extra, args)

    monkeypatch.setattr(sources, "_items", counting)
    package = monthly.assemble(demo, month="2026-11", carried=False)
    assert passes == ["2026-11"] and package.rows["fund_receipts"] and package.rows["ledger_balances"]
