"""表7 counted by SQLite, 表6 without building every notice duty, 表8 in batches (issue #22): for every month of the
demo, each equals the table computed the old way — one Python object per warning, per notice duty, per project —
which the test writes out itself from the unchanged per-object functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.notices import obligations
from app.models.performance import goals as perf
from app.models.performance import query as perf_query
from app.models.reports import monthly
from app.models.store import periods
from app.models.store.book import Book, open_book
from app.models.warnings import engine as warn
from app.models.warnings import query as warnings_query
from tests.conftest import writable_copy
from tests.models.reports.test_carried_balances import months_between

MONTHS = months_between("2025-01", "2027-02")


@pytest.fixture(scope="module")
def book(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    """The module's copy of the session's demo county (tests/conftest.py), only read by this module's tests."""
    b = open_book(writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db"), read_only=True, check="deferred")
    yield b
    b.close(backup=False)


# -- 表7 ----------------------------------------------------------------------------------------------------------
def table7_one_by_one(book: Book, month: str) -> list[dict[str, Any]]:
    """表7 as it was computed before: every counted warning handed to Python, counted per type there."""
    start, _end = periods.bounds(book, month)
    first = warn.initial_status(book)
    closed = {s.code for s in warn.statuses(book) if s.closed}
    rows = warnings_query.counted(book, month=month)
    out = []
    for w in book.rules_for(int(month[:4])).warnings:
        mine = [r for r in rows if r["code"] == w.code]
        if not mine and w.code not in warnings_query.TABLE7_ALWAYS:
            continue
        new = [r for r in mine if r["detected_on"] >= start]
        out.append({
            "code": w.code, "name": w.name, "new_month": len(new), "amount": sum(r["amount"] for r in new),
            "cum_count": len(mine), "rectified": sum(1 for r in mine if r["status"] in closed),
            "rectifying": sum(1 for r in mine if r["status"] not in closed and r["status"] != first),
            "unrectified": sum(1 for r in mine if r["status"] == first)})
    return out


def test_table7_equals_counting_each_warning_in_python(book: Book) -> None:
    seen = {"rectified": 0, "rectifying": 0, "unrectified": 0, "amount": 0}
    for month in MONTHS:
        got = warnings_query.warning_summary(book, month=month)
        assert got == table7_one_by_one(book, month), month
        for r in got:
            for k in seen:
                seen[k] += r[k]
    assert all(seen.values()), seen  # the demo's months cover every kind of count, amounts included


def test_the_package_lists_the_same_warnings_as_table7_counts(book: Book) -> None:
    for month in ("2026-03", "2026-11", "2027-01"):
        records = warnings_query.counted_records(book, month=month)
        assert records == [(r["id"], r["code"], r["detected_on"]) for r in warnings_query.counted(book, month=month)]
        package = monthly.assemble(book, month=month)
        assert [(w.id, w.code, w.detected_on) for w in package.warnings] == records
        assert all(isinstance(w.detected_on, dt.date) for w in package.warnings)


# -- 表6 ----------------------------------------------------------------------------------------------------------
def table6_from_every_duty(book: Book, as_of: dt.date, as_of_rule: bool) -> dict[tuple[str, str], tuple[int, ...]]:
    """表6's required / published / real-name counts from the full `obligations` list (one object per duty)."""
    out: dict[tuple[str, str], list[int]] = {}
    rules = book.rules_on(as_of).notices
    names = ({lv.code: lv.name for lv in rules.levels}, {k.code: k.name for k in rules.kinds})
    for o in obligations.obligations(book, as_of=as_of, as_of_rule=as_of_rule):
        if o.level not in names[0] or o.kind not in names[1]:
            continue
        row = out.setdefault((names[0][o.level], names[1][o.kind]), [0, 0, 0, 0])
        row[0] += 1
        row[1] += o.status == obligations.SHOWN
        if o.kind == "real_name":
            row[2] += 1
            row[3] += o.status == obligations.SHOWN
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("as_of_rule", [False, True])
def test_table6_equals_counting_every_duty(book: Book, as_of_rule: bool) -> None:
    required = published = 0
    for month in MONTHS:
        _start, end = periods.bounds(book, month)
        got = obligations.summary(book, as_of=end, as_of_rule=as_of_rule)
        counted = {(r["level"], r["kind"]): (r["required"], r["published"], r["realname_payments"],
                                             r["realname_published"]) for r in got if r["required"]}
        assert counted == table6_from_every_duty(book, end, as_of_rule), month
        required += sum(r["required"] for r in got)
        published += sum(r["published"] for r in got)
    assert required > published > 0  # open and met duties both present


def test_table6_leaves_out_a_duty_whose_object_is_gone(book: Book, tmp_path: Path) -> None:
    """A duty whose object no longer reads (an allocated indicator deleted outside the program: its project funding
    still names it) is left out of 表6, as the full list leaves it out."""
    import shutil
    import sqlite3

    end = dt.date(2026, 11, 30)
    copy = Path(shutil.copy(book.path, tmp_path / "gone.db"))
    raw = sqlite3.connect(copy)
    raw.execute("PRAGMA foreign_keys = OFF")
    gone = raw.execute("SELECT f.indicator_id FROM project_funding f JOIN projects p ON p.id = f.project_id "
                       "WHERE p.decision_id IS NOT NULL ORDER BY f.indicator_id LIMIT 1").fetchone()[0]
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'indicators'"
                               ).fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("DELETE FROM indicators WHERE id = ?", (gone,))
    raw.commit()
    raw.close()
    b = open_book(copy, read_only=True, check="deferred")
    try:
        assert any(d.object_type == "indicator" and d.object_id == gone
                   for d in obligations._duties(b, end))  # the duty is still found by the finders
        got = {(r["level"], r["kind"]): (r["required"], r["published"], r["realname_payments"], r["realname_published"])
               for r in obligations.summary(b, as_of=end) if r["required"]}
        assert got == table6_from_every_duty(b, end, False)
        before = sum(r["required"] for r in obligations.summary(book, as_of=end))
        assert sum(v[0] for v in got.values()) < before
    finally:
        b.close(backup=False)


# -- 表8 ----------------------------------------------------------------------------------------------------------
def table8_one_by_one(book: Book, month: str) -> list[dict[str, Any]]:
    """表8 as it was computed before: each project's goals, monitoring and decisions read on their own."""
    _start, end = periods.bounds(book, month)
    day = end.isoformat()
    out = []
    for r in book.conn.execute(f"SELECT * FROM ({perf_query._BASE}) WHERE decision_id IS NOT NULL "
                               "AND funds_issued_on <= :day AND year <= :year ORDER BY code, id",
                               {"day": day, "month": month, "year": end.year}):
        row = dict(r)
        goals = perf.with_monitoring(book, perf.goals(book, row["id"], on=end), month=month)
        monitored = {a["goal_id"] for a in book.conn.execute(
            "SELECT a.goal_id FROM perf_actuals a JOIN perf_goals g ON g.id = a.goal_id "
            "WHERE g.project_id = ? AND a.month = ?", (row["id"], month))}
        decisions = [d for d in perf.decisions(book, row["id"]) if d["decided_on"] <= day
                     and d["decided_on"][:4] == str(end.year)]
        score = perf.score_text(row["score_tenths"]) if row["score_tenths"] is not None else ""
        out.append({
            "project_no": row["code"], "project_name": row["name"], "goals_set": bool(goals),
            "goals_with_funds": bool(row["goals_set_on"] and row["goals_set_on"] <= row["funds_issued_on"]),
            "indicator_count": len(goals), "monitored_month": sum(1 for g in goals if g["id"] in monitored),
            "deviations": sum(1 for g in goals if g["deviates"]),
            "corrective": "；".join(f"{d['kind_name']}：{d['measures']}" for d in decisions),
            "self_eval": f"{row['eval_year']}年度自评 {score} 分" if score else "",
        })
    return out


@pytest.mark.parametrize("batch", [3, perf_query.TABLE8_BATCH])
def test_table8_in_batches_equals_reading_each_project(book: Book, batch: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(perf_query, "TABLE8_BATCH", batch)
    totals = {"monitored_month": 0, "deviations": 0, "corrective": 0, "goals_set": 0}  # (the demo has no 自评 yet)
    for month in MONTHS:
        got = perf_query.table8_rows(book, month=month)
        assert got == table8_one_by_one(book, month), month
        for r in got:
            for k in totals:
                totals[k] += bool(r[k]) if isinstance(r[k], str) else int(r[k])
    assert all(totals.values()), totals  # monitoring, deviations and decisions all occur
    assert len(perf_query.table8_rows(book, month="2026-11")) > 3  # more than one batch of 3


# -- 表3 / 表4 ----------------------------------------------------------------------------------------------------
def test_table3_rows_are_read_once_per_month_and_each_caller_gets_its_own(book: Book,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """表4 starts from 表3's rows: one assembly reads them once, and what one caller does to its rows does not reach
    the other."""
    from app.models.reports import sources

    calls: list[str] = []
    real = sources._ledger_balances

    def counting(b: Book, p: sources.Period) -> list[dict[str, Any]]:
        calls.append(p.month)
        return real(b, p)

    monkeypatch.setattr(sources, "_ledger_balances", counting)
    package = monthly.assemble(book, month="2026-11")
    assert calls == ["2026-11"] and package.rows["ledger_balances"] and package.rows["spending_progress"]
    p = sources.Period(book, "2026-11")
    first = sources.ledger_balances(book, p)
    first[0]["opening"] += 1
    assert sources.ledger_balances(book, p)[0]["opening"] == first[0]["opening"] - 1
    assert sources.spending_progress(book, p) == package.rows["spending_progress"]
