"""An indicator's approved-plan history (表2's 计划完成 and 已分配, W1): the projects that ever funded it are read from
every plan version once while the file is unchanged, not by parsing every version for each indicator (issue #22).
The answers equal the old per-indicator query, a line moved off an indicator later still counts on the days it was
approved, and a new version is seen at once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from app.models.ledger import deadlines
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store.book import Book
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx


def history_by_old_query(book: Book, indicator_id: int, as_of: dt.date | None) -> dict[int, list[tuple[str, int]]]:
    """_plan_history as it was: the projects that ever funded the indicator found by parsing every plan version's
    snapshot in the statement itself."""
    history: dict[int, list[tuple[str, int]]] = {}
    then = ("" if as_of is None else " UNION SELECT w.project_id FROM plan_versions w, json_each(w.snapshot, '$.funding') f "
            "WHERE json_extract(f.value, '$.indicator_id') = :ind")
    for v in book.conn.execute(
            "SELECT v.project_id, v.snapshot, d.decision_date FROM plan_versions v JOIN plan_decisions d "
            "ON d.id = v.decision_id WHERE v.project_id IN (SELECT project_id FROM project_funding WHERE indicator_id = :ind"
            f"{then}) AND (:day IS NULL OR d.decision_date <= :day) ORDER BY d.decision_date, v.version",
            {"ind": indicator_id, "day": as_of.isoformat() if as_of else None}):
        lines = {int(f["indicator_id"]): int(f["amount"]) for f in json.loads(v["snapshot"])["funding"]}
        history.setdefault(int(v["project_id"]), []).append((str(v["decision_date"]), lines.get(indicator_id, 0)))
    return history


def _sorted(h: dict[int, list[tuple[str, int]]]) -> dict[int, list[tuple[str, int]]]:
    return dict(sorted(h.items()))


def test_a_line_moved_off_and_back_counts_on_the_days_it_was_approved(book: Book) -> None:
    login_as(book, "clerk")
    a = register(book, amount=100_000_00, received_date="2026-03-10")
    b = register(book, amount=100_000_00, received_date="2026-03-10")
    pid = projects.create_project(book, fields=fx.project_fields(), funding=[(a, 60_000_00)])
    plan.approve_plan(book, project_ids=[pid], decision_no="示扶组发〔2026〕1号", decision_date="2026-03-20")
    day = dt.date(2026, 12, 31)
    assert deadlines.approved_as_of(book, b, day) == 0  # read once: the versions as they are now
    plan.adjust_project(book, project_id=pid, fields={}, funding=[(b, 60_000_00)], reason="改由另一指标安排",
                        decision_no="示扶组发〔2026〕2号", decision_date="2026-05-01")
    plan.adjust_project(book, project_id=pid, fields={}, funding=[(a, 50_000_00)], reason="改回",
                        decision_no="示扶组发〔2026〕3号", decision_date="2026-06-01")
    # on 15 May the project was approved on b (version 2), though no line funds b now: the version written after the
    # first read is seen
    assert deadlines.approved_as_of(book, b, dt.date(2026, 5, 15)) == 60_000_00
    assert deadlines.approved_as_of(book, b, day) == 0
    assert deadlines.approved_as_of(book, a, dt.date(2026, 4, 1)) == 60_000_00
    assert deadlines.approved_as_of(book, a, dt.date(2026, 5, 15)) == 0
    assert deadlines.approved_as_of(book, a, day) == 50_000_00
    for ind in (a, b):
        for as_of in (None, dt.date(2026, 3, 19), dt.date(2026, 3, 20), dt.date(2026, 5, 15), day):
            assert deadlines._plan_history(book, ind, as_of) == history_by_old_query(book, ind, as_of)


def test_every_indicator_of_the_demo_equals_the_old_query(demo_book: Book) -> None:
    book = demo_book
    days: list[dt.date | None] = [None, *(dt.date(y, m, 28) for y in (2025, 2026) for m in (1, 3, 5, 7, 9, 11))]
    ids = [int(r[0]) for r in book.conn.execute("SELECT id FROM indicators ORDER BY id")]
    compared: dict[str, Any] = {"with_history": 0}
    for ind in ids:
        for as_of in days:
            got = deadlines._plan_history(book, ind, as_of)
            assert _sorted(got) == _sorted(history_by_old_query(book, ind, as_of)), (ind, as_of)
            compared["with_history"] += bool(got)
    assert compared["with_history"] > len(ids)  # most indicators have approved projects on most days
