"""Both demo counties tell a story a reviewer can walk: every stamp in the file follows it.

An independent walk found the main demo's 272 payments submitted, reviewed and paid at one system time in November
(approval forms reviewed months after their payment), January–August signed on one afternoon in November (表7 showing
them overdue), the 47号 exception registered after the payment it allowed; and the two-regime demo on the real
date, 65 月报逾期 warnings including months before the file existed. These are the invariants, over the whole file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo.regimes import build_regimes
from app.models.notices import obligations as ob
from app.models.store.book import open_book
from tests.conftest import writable_copy


@pytest.fixture(scope="module")
def main_demo(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's copy of the session's demo county (tests/conftest.py)."""
    return writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db")


@pytest.fixture(scope="module")
def two_regimes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo2") / "two.db"
    build_regimes(path)
    return path


@pytest.fixture(params=["main", "two"])
def raw(request: pytest.FixtureRequest) -> Iterator[sqlite3.Connection]:
    path = request.getfixturevalue("main_demo" if request.param == "main" else "two_regimes")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def _day(stamp: str) -> dt.date:
    return dt.date.fromisoformat(str(stamp)[:10])


def test_every_request_is_submitted_then_reviewed_then_paid_on_its_own_days(raw: sqlite3.Connection) -> None:
    rows = raw.execute("SELECT * FROM payments WHERE submitted_at IS NOT NULL").fetchall()
    assert rows
    for r in rows:
        assert _day(r["submitted_at"]) >= dt.date.fromisoformat(r["draft_date"]), dict(r)
        if r["reviewed_at"]:
            assert r["reviewed_at"] >= r["submitted_at"], dict(r)
        if r["pay_date"]:
            assert r["reviewed_at"] and _day(r["reviewed_at"]) <= dt.date.fromisoformat(r["pay_date"]), dict(r)
            assert _day(r["paid_at"]) == dt.date.fromisoformat(r["pay_date"]), dict(r)
    # the audit trail of each request says the same: its review before its payment date
    late = raw.execute(
        "SELECT e.payment_id, e.action, e.at, y.pay_date FROM payment_events e JOIN payments y ON y.id = e.payment_id "
        "WHERE y.pay_date IS NOT NULL AND e.action IN ('submit', 'review', 'approve') AND date(e.at) > y.pay_date"
    ).fetchall()
    assert not [dict(r) for r in late]
    # not all on one day, as when the builder stamped everything when it reached it
    assert len({_day(r["reviewed_at"]) for r in rows if r["reviewed_at"]}) > min(len(rows) // 2, 40) or len(rows) < 10


def test_every_month_is_signed_in_the_next_one_by_the_28th_and_never_was_overdue(raw: sqlite3.Connection) -> None:
    signed = raw.execute("SELECT month, signed_at FROM signoffs WHERE status = 'signed'").fetchall()
    assert len(signed) >= 8
    for month, at in signed:
        y, m = int(month[:4]), int(month[5:])
        first = dt.date(y + m // 12, m % 12 + 1, 1)
        assert first <= _day(at) <= first.replace(day=28), (month, at)
    months = {r[0] for r in signed}
    w9 = {r[0] for r in raw.execute("SELECT object_id FROM warnings WHERE code = 'W9'")}
    assert not w9 & months  # not even a cleared one: a month signed in time was never 逾期


def test_projects_are_entered_before_the_decision_approving_them(raw: sqlite3.Connection) -> None:
    late = raw.execute("SELECT p.code, p.created_at, d.decision_date FROM projects p JOIN plan_versions v ON "
                       "v.project_id = p.id AND v.version = 1 JOIN plan_decisions d ON d.id = v.decision_id "
                       "WHERE date(p.created_at) > d.decision_date OR date(d.created_at) < d.decision_date").fetchall()
    assert not [tuple(r) for r in late]


def test_an_exception_is_registered_before_the_requests_it_allows(raw: sqlite3.Connection) -> None:
    rows = raw.execute("SELECT e.project_id, e.granted_on, e.created_at, min(y.draft_date) AS first FROM "
                       "notice_exceptions e JOIN payments y ON y.project_id = e.project_id GROUP BY e.id").fetchall()
    for r in rows:
        assert r["granted_on"] <= r["first"] and _day(r["created_at"]) <= dt.date.fromisoformat(r["first"]), dict(r)


def test_the_main_demo_keeps_its_story(main_demo: Path) -> None:
    conn = sqlite3.connect(f"file:{main_demo}?mode=ro", uri=True)
    try:
        assert [r[0] for r in conn.execute("SELECT month FROM signoffs ORDER BY month")] == [
            f"2026-{m:02d}" for m in range(1, 9)]
        # September is overdue on the demo's 今天 (due 10-28), the only 月报逾期
        assert [r[0] for r in conn.execute("SELECT key FROM warnings WHERE code = 'W9'")] == ["W9:2026-09"]
        assert conn.execute("SELECT granted_on FROM notice_exceptions").fetchall() == [("2026-10-26",)]
    finally:
        conn.close()


def test_the_two_regime_demo_spans_2020_to_2026_on_its_own_fixed_day(two_regimes: Path) -> None:
    with open_book(two_regimes, read_only=True) as book:
        assert book.demo_day == dt.date(2026, 11, 25) and book.clock_problem == ""
        assert book.today() == dt.date(2026, 11, 25)
        assert book.rules_for(2020).id == "xj-2019"
        assert book.rules_for(2021).id == book.rules_for(2026).id == "xj-2021"
        conn = book.conn
        money = {r[0] for r in conn.execute("SELECT year FROM indicators")}
        assert {2020, 2021, 2026} <= money
        for year in (2020, 2026):  # a project, its leading-group decision, its notice and a paid request each year
            assert conn.execute("SELECT count(*) FROM projects WHERE year = ? AND decision_id IS NOT NULL",
                                (year,)).fetchone()[0]
            assert conn.execute("SELECT count(*) FROM notices WHERE start_date LIKE ?", (f"{year}-%",)).fetchone()[0]
            assert conn.execute("SELECT count(*) FROM payments WHERE status = 'paid' AND pay_date LIKE ?",
                                (f"{year}-%",)).fetchone()[0]
        # from 2021 (xj-2021) a project passes 储备 before the decision approving it; a 2020 one goes straight from 入库
        reserved = {r[0]: r[1] for r in conn.execute(
            "SELECT p.year, min(substr(a.at, 1, 10)) < min(d.decision_date) FROM projects p JOIN plan_versions v ON "
            "v.project_id = p.id AND v.version = 1 JOIN plan_decisions d ON d.id = v.decision_id LEFT JOIN audit_log a "
            "ON a.tbl = 'projects' AND a.row_key = CAST(p.id AS TEXT) AND a.action = 'U' "
            "AND json_extract(a.after, '$.status') = 'reserved' GROUP BY p.id")}
        assert reserved == {2020: None, 2021: 1, 2026: 1}, reserved
        assert not [o.key for o in ob.obligations(book, as_of=book.today()) if o.kind == "pool_reserve" and o.is_open]
        signed = [r[0] for r in conn.execute("SELECT month FROM signoffs ORDER BY month")]
        assert signed[0] == "2020-01" and signed[-1] == "2026-10" and len(signed) == len(set(signed)) == 82
        assert not conn.execute("SELECT count(*) FROM warnings WHERE code = 'W9'").fetchone()[0]
        # the 月报 tab offers every year back to 2020 (it offered the last six: 2021–2026, so 2020 was out of reach)
        from app.models.reports import monthly
        from app.models.store import periods

        assert periods.years_in_use(book) == list(range(2026, 2019, -1))
        assert [m["status"] for m in monthly.months(book, year=2020)] == ["已签发"] * 12
        # the file was made in January 2020: nothing in it is stamped before, nothing after its 今天
        first, last = conn.execute("SELECT min(at), max(at) FROM audit_log").fetchone()
        assert first >= "2020-01-02" and last < "2026-11-26", (first, last)


@pytest.mark.parametrize("which", ["main_demo", "two_regimes"])
def test_verify_passes_on_the_demo_as_built(which: str, request: pytest.FixtureRequest) -> None:
    """Signed months re-sum as they were signed: signing on the story's days must not sign warnings that move later."""
    from app.export import evidence

    with open_book(request.getfixturevalue(which), read_only=True) as book:
        report = evidence.verify(book)
        assert report.ok, report.text("demo.db")


def test_no_warning_arose_after_it_was_first_found(raw: sqlite3.Connection) -> None:
    """A warning's 发生时间 (since) is never later than the day it was first found (the walk found 47 such)."""
    bad = raw.execute("SELECT key, since, first_detected FROM warnings WHERE since > first_detected").fetchall()
    assert not [tuple(r) for r in bad]
    assert not raw.execute("SELECT count(*) FROM warnings WHERE first_detected > '2026-11-25'").fetchone()[0]


def test_the_two_regime_demo_words_each_years_tables_by_its_rule_set(two_regimes: Path) -> None:
    """Issue 17: a 2020 month's signed workbook and PDF are titled and named in xj-2019's words (财政扶贫资金, no
    产业发展比重); a 2021 month's in xj-2021's (财政衔接推进乡村振兴补助资金, with the industry-share column)."""
    import io

    import openpyxl

    from app.export import signed
    from tests import pdftext

    def files(book: object, month: str) -> tuple[list[str], str]:
        got = signed.signed_files(book, month=month, version=1)  # type: ignore[arg-type]
        xlsx = next(data for name, data in got.items() if name.endswith(".xlsx"))
        pdf = next(data for name, data in got.items() if name.endswith(".pdf"))
        ws = openpyxl.load_workbook(io.BytesIO(xlsx))["表1"]
        cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        path = two_regimes.with_name(f"{month}.pdf")
        path.write_bytes(pdf)
        return cells, "".join(pdftext.text(path).split())

    with open_book(two_regimes, read_only=True) as book:
        cells, text = files(book, "2020-06")
        assert cells[0] == "表1　财政扶贫资金筹集及到位情况表" and "衔接资金用于产业发展的比重" not in cells
        assert "财政扶贫资金监督管理各类情况月报表" in text and "衔接" not in text
        cells, text = files(book, "2021-06")
        assert cells[0] == "表1　财政衔接推进乡村振兴补助资金筹集及到位情况表" and "衔接资金用于产业发展的比重" in cells
        assert "财政衔接推进乡村振兴补助资金监督管理各类情况月报表" in text and "财政扶贫资金筹集" not in text
        assert not any("财政专项扶贫资金" in c for c in cells)
