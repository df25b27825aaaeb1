"""A new day with no data changed (issue #22): W1 re-reads only the indicators the day can change — those the last
run noted as open and not yet due (or done on a day still to come) and those received since — and keeps the stored
findings of the others. These tests attack that restriction: an indicator left out of it whose finding must appear,
one kept whose finding must stay, and a write that must bring back the whole run."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from app.demo import build as demo
from app.models.ledger import account as ledger
from app.models.store import users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError
from app.models.warnings import engine as warn
from app.models.warnings import registry
from app.models.warnings.base import Context
from tests.conftest import FixedClock, writable_copy
from tests.models.ledger.ledger_fixtures import register
from tests.models.warnings.test_incremental import START, normal

W1_CLOCK = warn.CLOCK + "W1"


@pytest.fixture(scope="module")
def county(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county with one indicator received on START, its own stage (the bureau's) open and not yet due,
    and the warnings stored that day."""
    path = writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db")
    book = open_book(path)
    book.clock = FixedClock(START)
    users.login(book, "jingban", demo.PASSWORD)
    register(book, received_date=START.date(), amount=50_000_00, doc_no="新财农〔2026〕CLOCK号",
             upper_doc_date=None, prefecture_doc_date=None, source_level="county", kind="ZX")
    users.login(book, "juzhang", demo.PASSWORD)
    warn.recompute(book, as_of=START.date())
    book.close(backup=False)
    return path


def _open(county: Path, tmp_path: Path, day: dt.date) -> Book:
    book = open_book(Path(shutil.copy(county, tmp_path / "c.db")))
    book.clock = FixedClock(dt.datetime.combine(day, START.time()))
    users.login(book, "juzhang", demo.PASSWORD)
    return book


def _new_indicator(book: Book) -> str:
    return str(book.conn.execute("SELECT id FROM indicators WHERE doc_no = '新财农〔2026〕CLOCK号'").fetchone()[0])


def _w1_keys(findings: list[warn.Finding], object_id: str) -> set[str]:
    return {f.key for f in findings if f.code == "W1" and f.object_id == object_id}


def test_the_open_indicator_is_noted_and_its_late_finding_appears_when_the_day_passes_its_due_date(
        county: Path, tmp_path: Path) -> None:
    book = _open(county, tmp_path, START.date())
    try:
        ind = _new_indicator(book)
        stored = warn.last_run(book)
        assert stored is not None
        import json

        noted = json.loads(stored["reads"])[W1_CLOCK]
        assert ind in noted  # open, not yet due: the day can change it
        assert not _w1_keys(warn.detect(book, START.date()), ind)  # not late on START
        later = START.date() + dt.timedelta(days=60)  # past its due date (any limit of the rule set's own stage)
        book.clock = FixedClock(dt.datetime.combine(later, START.time()))
        inc = warn.detect_incremental(book, later)
        full = warn.detect(book, later)
        assert _w1_keys(full, ind), "the test needs the indicator late 60 days on"
        assert "W1" in inc.ran
        assert normal(book, inc.findings, later) == normal(book, full, later)
        # the restriction really restricted: fewer indicators re-read than the full run reads
        every = book.conn.execute("SELECT count(*) FROM indicators WHERE received_date <= ?",
                                  (later.isoformat(),)).fetchone()[0]
        again, _ = registry.CLOCK["late_stages"](Context(book, later), set(noted), START.date(), set())
        assert ind in again and len(again) < every
    finally:
        book.close(backup=False)


def test_kept_findings_of_closed_indicators_equal_the_full_run_over_many_days(
        county: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored day after day (each a clock-only run): the kept findings of indicators not re-read stay exactly the
    full run's, including late stages done long ago and late stages still open."""
    from app.models.ledger import deadlines

    read: list[int] = []
    stages = deadlines.stages

    def counting(book: Book, ind: dict[str, object], **kw: object) -> list[dict[str, object]]:
        read.append(int(str(ind["id"])))
        return stages(book, ind, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(deadlines, "stages", counting)
    book = _open(county, tmp_path, START.date())
    try:
        day = START.date()
        for step in (1, 6, 30, 3, 90):
            day += dt.timedelta(days=step)
            book.clock = FixedClock(dt.datetime.combine(day, START.time()))
            read.clear()
            inc = warn.detect_incremental(book, day)
            again = set(read)
            read.clear()
            full = warn.detect(book, day)
            assert normal(book, inc.findings, day) == normal(book, full, day), day
            if day.year == START.year:  # same rule year: the clock-only run re-read fewer indicators
                assert again < set(read), (day, again)
                assert {f.key for f in full if f.code == "W1" and int(f.object_id) not in again}, \
                    "some W1 findings come from indicators not re-read (kept as stored)"
            warn.recompute(book, as_of=day, detection=inc)
    finally:
        book.close(backup=False)


def test_a_write_to_a_table_w1_reads_brings_back_the_whole_run(county: Path, tmp_path: Path) -> None:
    book = _open(county, tmp_path, START.date())
    try:
        users.login(book, "jingban", demo.PASSWORD)
        for (ind,) in book.conn.execute("SELECT id FROM indicators ORDER BY id DESC").fetchall():
            try:
                ledger.post_expenditure(book, indicator_id=int(ind), amount=1_00, entry_date=START.date(),
                                        voucher_no="CLOCK-1", payment_id=None, summary="一笔支出")
                break
            except AppError:
                continue
        users.login(book, "juzhang", demo.PASSWORD)
        later = START.date() + dt.timedelta(days=3)
        book.clock = FixedClock(dt.datetime.combine(later, START.time()))
        inc = warn.detect_incremental(book, later)
        # the ledger is W1's (the plan's completion reads the net amount): nothing of W1 kept, every indicator read
        assert "ledger_entries" in inc.reads["W1"]
        assert not ({f.key for f in warn.detect(book, later) if f.code == "W1"}
                    - {f.key for f in inc.fresh if f.code == "W1"})
        assert normal(book, inc.findings, later) == normal(book, warn.detect(book, later), later)
    finally:
        book.close(backup=False)


def _missing_w7(findings: list[warn.Finding]) -> list[warn.Finding]:
    return [f for f in findings if f.code == "W7" and "缺失" in f.detail and f.object_id.split(":")[2] == "project"]


def test_w7_keeps_missing_duties_without_building_them_and_rates_the_rest(county: Path, tmp_path: Path) -> None:
    """A clock-only W7 run leaves out every stored 缺失 duty still without a notice (kept as stored) and gives the
    full run's findings; a duty given a notice since must not be kept: the write makes W7 run whole."""
    from app.models.notices import records as notices

    book = _open(county, tmp_path, START.date())
    try:
        later = START.date() + dt.timedelta(days=2)
        book.clock = FixedClock(dt.datetime.combine(later, START.time()))
        stored = {f.object_id for f in warn.detect_incremental(book, START.date()).findings if f.code == "W7"}
        again, found = registry.CLOCK["missing_notices"](Context(book, later), set(), START.date(), stored)
        found = list(found)
        full = [f for f in warn.detect(book, later) if f.code == "W7"]
        assert len(again) < len(stored), "stored 缺失 duties without a notice are not built again"
        kept = {f.key for f in full} - {f.key for f in found}
        assert kept and all(k[3:] in stored for k in kept)
        inc = warn.detect_incremental(book, later)
        assert "W7" in inc.ran and normal(book, inc.findings, later) == normal(book, warn.detect(book, later), later)
        warn.recompute(book, as_of=later, detection=inc)
        # a notice for one of the kept 缺失 duties: its finding must go, on the next day
        target = _missing_w7(full)[0]
        kind, level, _t, pid = target.object_id.split(":")
        users.login(book, "jingban", demo.PASSWORD)
        notices.record_notice(book, kind=kind, level=level, object_type="project", object_id=int(pid),
                              title="补录公示", place="board", start_date=later - dt.timedelta(days=30),
                              end_date=later - dt.timedelta(days=1), publisher="示例乡人民政府")
        users.login(book, "juzhang", demo.PASSWORD)
        next_day = later + dt.timedelta(days=1)
        book.clock = FixedClock(dt.datetime.combine(next_day, START.time()))
        inc = warn.detect_incremental(book, next_day)
        full = warn.detect(book, next_day)
        assert target.key not in {f.key for f in full if "缺失" in f.detail}
        assert normal(book, inc.findings, next_day) == normal(book, full, next_day)
    finally:
        book.close(backup=False)
