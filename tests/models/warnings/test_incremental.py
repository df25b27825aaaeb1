"""Incremental warnings (issue #22 item 1): after any sequence of changes — ledger entries, new indicators,
default sections, users, handling, the clock moving (days, months, into the next year) — `detect_incremental`
finds exactly what the full `detect` finds, and storing its findings leaves the same warnings table as storing the full ones would.
Hypothesis draws the sequences on copies of the demo county."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.demo import build as demo
from app.models.ledger import account as ledger
from app.models.store import users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError
from app.models.warnings import engine as warn
from tests.conftest import FixedClock, writable_copy
from tests.models.ledger.ledger_fixtures import register

START = dt.datetime(2026, 11, 25, 9, 0)


@pytest.fixture(scope="module")
def demo_file(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's copy of the session's demo county (tests/conftest.py), its warnings recomputed on START."""
    path = writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db")
    book = open_book(path)  # today's warnings stored once, with what each detector read: the state of a day's first open
    book.clock = FixedClock(START)
    users.login(book, "juzhang", demo.PASSWORD)
    warn.recompute(book, as_of=START.date())
    book.close(backup=False)
    return path


@pytest.fixture
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("incremental")


def stored_since(book: Book) -> dict[str, str]:
    return {r[0]: r[1] for r in book.conn.execute("SELECT key, since FROM warnings")}


def normal(book: Book, findings: list[warn.Finding], day: dt.date) -> list[tuple[Any, ...]]:
    """What storing a finding writes: a stored warning keeps its `since` (fixed when first stored); a new one gets its
    own, or today, and never a day after today."""
    since = stored_since(book)
    return [(f.code, f.key, f.object_type, str(f.object_id), f.object_label, f.amount, f.detail, f.project_id,
             since.get(f.key) or min(f.since or day, day).isoformat()) for f in findings]


def table(book: Book) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in book.conn.execute(
        "SELECT key, status, amount, detail, object_label, since, cleared_on, project_id FROM warnings ORDER BY key")]


OPS = st.one_of(
    st.tuples(st.just("expense"), st.integers(0, 30), st.integers(1, 5_000_00)),
    st.tuples(st.just("register"), st.integers(1, 3), st.integers(1_00, 900_000_00)),
    st.tuples(st.just("section"), st.sampled_from(["W1", "W5", "W8", "W9"]), st.sampled_from(["", "国库股", "综合股"])),
    st.tuples(st.just("user"), st.integers(0, 10_000), st.just(0)),
    # days, a month, a season and into the next year: new days whose clock-only runs (W1) keep what is stored
    st.tuples(st.just("clock"), st.sampled_from([0, 1, 3, 17, 40, 100, 400]), st.just(0)),
    st.tuples(st.just("store"), st.just(0), st.just(0)),
)


def apply(book: Book, op: tuple[str, Any, Any], n: int, clock: FixedClock) -> None:
    kind, a, b = op
    try:
        if kind == "expense":
            ids = [r[0] for r in book.conn.execute("SELECT id FROM indicators ORDER BY id")]
            users.login(book, "jingban", demo.PASSWORD)
            ledger.post_expenditure(book, indicator_id=ids[a % len(ids)], amount=b, entry_date=clock.now.date(),
                                    voucher_no=f"HYP-{n}", payment_id=None, summary="随机支出")
        elif kind == "register":
            users.login(book, "jingban", demo.PASSWORD)
            register(book, received_date=clock.now.date() - dt.timedelta(days=a * 20), amount=b,
                     doc_no=f"新财农〔2026〕H{n}-{a}号", upper_doc_date=None, prefecture_doc_date=None,
                     source_level="county", kind="ZX")
        elif kind == "section":
            users.login(book, "juzhang", demo.PASSWORD)
            warn.set_default_section(book, code=a, section=b)
        elif kind == "user":
            users.login(book, "juzhang", demo.PASSWORD)
            users.add_user(book, login=f"u{a}x{n}", name="随机用户", role="clerk", password="Random-pass-1", section="")
        elif kind == "clock":
            clock.now = clock.now + dt.timedelta(days=a)
        elif kind == "store":
            users.login(book, "juzhang", demo.PASSWORD)
            warn.recompute(book, as_of=clock.now.date())
    except AppError:
        pass  # refused (over the indicator's balance, a closed month): nothing written, as in the window
    finally:
        users.login(book, "juzhang", demo.PASSWORD)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=8))
def test_incremental_equals_full_on_random_changes(demo_file: Path, workdir: Path, ops: list[tuple[str, Any, Any]]
                                                   ) -> None:
    path = Path(shutil.copy(demo_file, workdir / f"c{len(list(workdir.iterdir()))}.db"))
    book = open_book(path)
    clock = FixedClock(START)
    book.clock = clock
    users.login(book, "juzhang", demo.PASSWORD)
    try:
        for n, op in enumerate(ops):
            apply(book, op, n, clock)
            day = clock.now.date()
            inc = warn.detect_incremental(book, day)
            full = warn.detect(book, day)
            assert normal(book, inc.findings, day) == normal(book, full, day), (ops[: n + 1], inc.ran)
        # storing the incremental findings leaves what storing the full ones leaves
        other = Path(shutil.copy(path, workdir / f"{path.stem}-full.db"))
        twin = open_book(other)
        twin.clock = FixedClock(clock.now)
        users.login(twin, "juzhang", demo.PASSWORD)
        try:
            warn.recompute(book, as_of=clock.now.date())  # incremental
            warn.recompute(twin, as_of=clock.now.date(), findings=warn.detect(twin, clock.now.date()))
            assert table(book) == table(twin)
        finally:
            twin.close(backup=False)
    finally:
        book.close(backup=False)


def test_a_same_day_rerun_skips_what_no_change_touched(demo_file: Path, tmp_path: Path) -> None:
    """The attack on a naive skip: a write to a table a detector reads must make it run again."""
    path = Path(shutil.copy(demo_file, tmp_path / "c.db"))
    book = open_book(path)
    book.clock = FixedClock(START)
    users.login(book, "juzhang", demo.PASSWORD)
    try:
        day = START.date()
        assert warn.detect_incremental(book, day).ran == []  # stored today, nothing written since
        users.add_user(book, login="idle1", name="无关用户", role="clerk", password="Random-pass-1", section="")
        assert warn.detect_incremental(book, day).ran == []  # users: read by no detector
        warn.set_default_section(book, code="W9", section="国库股")  # applies to warnings found later only
        assert warn.detect_incremental(book, day).ran == []
        users.login(book, "jingban", demo.PASSWORD)
        posted = False
        for (ind,) in book.conn.execute("SELECT id FROM indicators ORDER BY id DESC").fetchall():
            try:  # the first indicator (newest first) that still has 1.00 元 to spend
                ledger.post_expenditure(book, indicator_id=int(ind), amount=1_00, entry_date=day,
                                        voucher_no="SKIP-1", payment_id=None, summary="一笔支出")
            except AppError:
                continue
            posted = True
            break
        assert posted, "no indicator of the demo has money left to post an expenditure against"
        inc = warn.detect_incremental(book, day)
        assert {"W5", "W6"} <= set(inc.ran)  # they read the ledger
        assert set(inc.ran) == {c for c, tables in inc.reads.items() if "ledger_entries" in tables}
        assert normal(book, inc.findings, day) == normal(book, warn.detect(book, day), day)
        book.clock = FixedClock(START + dt.timedelta(days=1))
        assert set(warn.detect_incremental(book, day + dt.timedelta(days=1)).ran) == set(warn.registry.DETECTORS)
    finally:
        book.close(backup=False)
