"""The fast paths behind warnings W7 and W8 (issue #9) give exactly what the full paths give.

W7 reads `notice_obligations.open_obligations` (open duties only, plain tuples) instead of every
`Obligation` with its display object; W8's treasury query lets SQLite use the partial voucher index.
Both are compared with the long way on the demo county and on a small generated large county.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from app.models.ledger import reconcile
from app.models.notices import obligations as notice_obligations
from app.models.notices import records as notices
from app.models.plan import decisions as plan
from app.models.store.book import Book, open_book
from app.models.warnings import engine as warnings
from app.models.warnings import project_detectors as warn_projects
from benchmarks import make_county
from tests.conftest import FixedClock, login_as, writable_copy
from tests.models.notices import notice_fixtures as nf

DAYS = (dt.date(2026, 3, 31), dt.date(2026, 10, 20), dt.date(2026, 11, 25))


@pytest.fixture(scope="module", params=["demo", "county"])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "demo":
        path = writable_copy(request.getfixturevalue("demo_file"), folder / "示例县.db")
    else:
        path = folder / "county.db"
        make_county.build(path, scale=0.005)
    book = open_book(path, read_only=True)
    yield book
    book.close(backup=False)


def _full_open(book: Book, day: dt.date) -> list[tuple[object, ...]]:
    return sorted(
        (o.key, o.kind, o.kind_name, o.level, o.level_name, o.object_type, o.object_id, o.object_label, o.since,
         o.amount, o.project_id, o.section, o.status, o.detail)
        for o in notice_obligations.obligations(book, as_of=day) if o.is_open)


@pytest.mark.parametrize("day", DAYS)
def test_open_obligations_equal_the_open_ones_of_the_full_list(county: Book, day: dt.date) -> None:
    fast = sorted(tuple(o) for o in notice_obligations.open_obligations(county, as_of=day))
    assert fast == _full_open(county, day)


def test_the_comparison_is_not_vacuous(county: Book) -> None:
    """Both counties have open duties of several kinds, and duties that are met (so the filter is exercised)."""
    everything = notice_obligations.obligations(county, as_of=DAYS[-1])
    assert notice_obligations.MISSING in {o.status for o in everything if o.is_open}
    assert len({o.kind for o in everything if o.is_open}) >= 2
    assert any(not o.is_open for o in everything)


@pytest.mark.parametrize("day", DAYS)
def test_w7_findings_equal_those_from_the_full_obligations(county: Book, day: dt.date) -> None:
    fast = sorted(warn_projects.missing_notices(warnings.Context(county, day)), key=lambda f: f.key)
    full = sorted(warn_projects.findings_from_obligations(warnings.Context(county, day)), key=lambda f: f.key)
    assert fast == full
    # and detect() (what recompute stores) gives them, deduplicated, in its stable order
    assert [f for f in warnings.detect(county, day) if f.code == "W7"] == sorted(
        {f.key: f for f in reversed(full)}.values(), key=lambda f: f.key)


# W8: the treasury half of reconcile.differences, the way it was written before the index could be used
_OLD_TREASURY = (
    "SELECT t.voucher_no, t.pay_date, t.amount, e.amount AS ledger_amount "
    "FROM treasury_payments t JOIN indicators i ON i.id = t.indicator_id "
    "LEFT JOIN ledger_entries e ON e.voucher_no = t.voucher_no AND e.entry_type = 'expenditure' "
    "WHERE (e.id IS NULL OR e.amount <> t.amount) ORDER BY t.pay_date, t.id")


def test_w8_treasury_differences_equal_the_unindexed_query(county: Book) -> None:
    old = [(f"treasury:{r[0]}", r[1], r[2], r[3]) for r in county.conn.execute(_OLD_TREASURY)]
    new = [(d["key"], d["date"], d["treasury_amount"], d["ledger_amount"]) for d in reconcile.differences(county)
           if d["key"].startswith("treasury:")]
    assert new == old
    plan = " ".join(str(r[-1]) for r in county.conn.execute(
        "EXPLAIN QUERY PLAN SELECT e.amount FROM treasury_payments t LEFT JOIN ledger_entries e "
        "ON e.voucher_no = t.voucher_no AND e.voucher_no <> '' AND e.entry_type = 'expenditure'"))
    assert "AUTOMATIC" not in plan and "ledger_entries_voucher" in plan


def test_fast_path_agrees_after_a_plan_adjustment(book: Book, clock: FixedClock) -> None:
    """The one case neither county has: a notice older than the plan adjustment (stale, must be noticed again)."""
    c = nf.build(book, clock)
    login_as(book, "clerk")
    notices.record_notice(book, kind="project_plan", level="village", object_type="project", object_id=c.village_project,
                          title="关于托万克村养殖圈舍建设项目计划安排的公示", place="board", start_date="2026-04-10",
                          end_date="2026-04-22", publisher="阿克苏乡托万克村村民委员会")
    plan.adjust_project(book, project_id=c.village_project, fields={"content": "新建标准化养殖圈舍 24 座"},
                        funding=[(c.indicator, 650_000_00)], decision_no="阿县扶组〔2026〕9号",
                        decision_date="2026-11-10", reason="增加建设规模")
    day = dt.date(2026, 11, 20)
    fast = sorted(tuple(o) for o in notice_obligations.open_obligations(book, as_of=day))
    assert fast == _full_open(book, day)
    assert any("调整" in str(o[-1]) for o in fast)


# W3: the query before it was restricted to payments with a failed check (same rows, same order of messages)
_OLD_W3 = (
    "SELECT y.id, y.request_no, y.project_id, y.amount, y.status, y.draft_date, y.pay_date, i.section, "
    "group_concat(c.message, '；') AS failed FROM payments y JOIN indicators i ON i.id = y.indicator_id "
    "JOIN payment_checks c ON c.payment_id = y.id AND c.outcome = 'fail' "
    "AND c.run = (SELECT max(x.run) FROM payment_checks x WHERE x.payment_id = y.id) "
    "WHERE y.status NOT IN ('draft', 'voided') AND y.draft_date <= ? GROUP BY y.id ORDER BY y.id")


@pytest.mark.parametrize("day", DAYS)
def test_w3_payments_equal_the_unrestricted_query(county: Book, day: dt.date) -> None:
    old = {f"W3:payment:{r['id']}": r["failed"] for r in county.conn.execute(_OLD_W3, (day.isoformat(),))}
    new = {f.key: f.detail.split("未通过审核规则：", 1)[1] for f in warnings.detect(county, day, codes=["W3"])
           if f.key.startswith("W3:payment:")}
    assert new == old
