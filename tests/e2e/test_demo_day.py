"""The demo county's own 今天 (issue 20 item 7, issue 22 item 6).

* the demo tells the same story on any real date: opened "on" 2026-12-02 and on 2027-07-01 it shows the same
  dashboard, the same warnings and the same months overdue / waiting — September overdue, October waiting;
* the same file without its clock (the naive demo) shows October overdue on 2026-12-02: the test can fail;
* the insider's attack on a real file: a demo_clock row added with sqlite3 (copied from the demo, with the
  bureau renamed, with the demo's key planted) never stops the real clock there, and verify says so;
* building leaves no backups anywhere; a ready-made copy is used only when it is this code's and intact,
  and copying it opens in well under 5 s.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import build as demo
from app.demo import prebuilt
from app.export import evidence, signoff
from app.models.store import clock as clocks
from app.models.store import setup, users
from app.models.store.book import Book, open_book
from app.models.warnings import dashboard
from app.models.warnings import engine as warnings

REAL_DAYS = (dt.date(2026, 12, 2), dt.date(2027, 7, 1))


class _RealDay:
    """Make the machine's clock say `day` (what dt.datetime.now() returns everywhere)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
        base = dt.datetime

        class Fake(base):  # type: ignore[misc, valid-type]
            @classmethod
            def now(cls, tz: object = None) -> dt.datetime:  # type: ignore[override]
                return base.combine(day, base.min.time()).replace(hour=10)

        monkeypatch.setattr(dt, "datetime", Fake)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The demo built once with the temporary folder redirected, so what it leaves behind can be seen."""
    scratch = tmp_path_factory.mktemp("scratch")
    folder = tmp_path_factory.mktemp("data")
    old = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        path = demo.build(folder / "示例县.db")
    finally:
        tempfile.tempdir = old
    yield path, scratch


def _open(src: Path, where: Path, login: str = "jingban") -> Book:
    path = Path(shutil.copy(src, where / src.name))
    book = open_book(path)
    users.login(book, login, demo.PASSWORD)
    return book


def _story(book: Book) -> dict[str, object]:
    """What the dashboard and 监控预警 tab show, as plain data."""
    view = dashboard.overview(book)
    rows = book.conn.execute("SELECT key, code, status, since, first_detected, cleared_on, amount FROM warnings "
                             "ORDER BY key").fetchall()
    return {
        "today": book.today(), "as_of": view.as_of, "last_run": (view.last_run or {}).get("as_of"),
        "counts": [tuple(vars(c).values()) for c in view.counts],
        "upcoming": [(u.due, u.label, u.days_left) for u in view.upcoming],
        "bonds": [(b.doc_no, b.days_left) for b in view.bonds],
        "warnings": [tuple(r) for r in rows],
        "overdue": sorted(r[0] for r in book.conn.execute(
            "SELECT object_id FROM warnings WHERE code = 'W9' AND cleared_on IS NULL")),
    }


def test_build_leaves_no_backup_and_no_temporary_folder(built: tuple[Path, Path]) -> None:
    path, scratch = built
    assert sorted(p.name for p in path.parent.iterdir()) == ["示例县.db"]  # no 示例县_备份 beside it
    # the temporary build folder (with the 签发前 backups) is gone; only the shared cache of registered report
    # templates (app/export/region_templates.py, a few KB, by design) may stay in the temporary folder
    assert [p.name for p in scratch.iterdir() if p.name != "fundledger-templates"] == []
    assert list(scratch.rglob("*.db")) == []


def test_same_story_on_any_real_day(built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stories = []
    for n, day in enumerate(REAL_DAYS):
        with monkeypatch.context() as m:
            _RealDay(m, day)
            assert dt.datetime.now().date() == day
            where = tmp_path / str(n)
            where.mkdir()
            book = _open(built[0], where)
            try:
                assert book.demo_day == demo.TODAY and book.today() == demo.TODAY and book.clock_problem == ""
                # what the window does on opening: recompute when the last run is older than today — it is not
                assert warnings.last_run(book)["as_of"] == demo.TODAY.isoformat()  # type: ignore[index]
                stories.append(_story(book))
            finally:
                book.close(backup=False)
    assert stories[0] == stories[1]
    story = stories[0]
    assert story["overdue"] == ["2026-09"]  # September overdue; October (due 11-28) is waiting, not overdue
    assert ("2026-10-28" < demo.TODAY.isoformat() < "2026-11-28")
    assert any(label == "2026年10月月报" for _due, label, _left in story["upcoming"])  # type: ignore[attr-defined]
    # "first detected" spread through the year, not all on the day the demo was made
    months = {r[4][:7] for r in story["warnings"]}  # type: ignore[union-attr]
    assert len(months) >= 8 and min(months) <= "2026-03"


def test_without_its_clock_the_demo_changes_with_the_day(built: tuple[Path, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The naive demo (no stored day): on 2026-12-02 October is overdue — what the issue saw."""
    path = Path(shutil.copy(built[0], tmp_path / "plain.db"))
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM demo_clock")
    _RealDay(monkeypatch, REAL_DAYS[0])
    book = open_book(path)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        assert book.demo_day is None and book.today() == REAL_DAYS[0]
        overdue = {f.object_id for f in warnings.detect(book, codes=["W9"])}
        assert "2026-10" in overdue
    finally:
        book.close(backup=False)


def test_demo_is_said_loudly_in_verify(built: tuple[Path, Path]) -> None:
    with open_book(built[0], read_only=True) as book:
        report = evidence.verify(book)
    text = report.text("示例县.db")
    assert report.ok, text
    assert clocks.label(demo.TODAY) in text.splitlines()[1]


# -- the insider's attack: a real bureau file given the demo's clock with sqlite3 ---------------------------


def _real_bureau(tmp_path: Path, *, signed: bool) -> Path:
    """A real county's file (its own name, code and chief's key); with `signed`, January signed off."""
    path = tmp_path / "真实县.db"
    clock = [dt.datetime(2026, 2, 3, 9)]
    book = setup.create(path, bureau_name="某某县财政局", region_code="653101", level="county", chief_login="chief",
                        chief_name="真局长", chief_password="real-pass-1", clock=lambda: clock[0])
    try:
        if signed:
            users.login(book, "chief", "real-pass-1")
            signoff.sign_off(book, month="2026-01", out_dir=tmp_path / "包", password="real-pass-1")
    finally:
        book.close(backup=False)
    return path


def _copy_row(demo_path: Path, raw: sqlite3.Connection) -> None:
    src = sqlite3.connect(demo_path)
    row = src.execute("SELECT id, today, bureau_name, region_code, key_fingerprint, signature FROM demo_clock").fetchone()
    src.close()
    raw.execute("INSERT INTO demo_clock VALUES (?, ?, ?, ?, ?, ?)", row)


def _plant_demo_key(demo_path: Path, raw: sqlite3.Connection) -> None:
    """Retire the real chief's key and make the demo chief's key his (what a thorough insider would do)."""
    src = sqlite3.connect(demo_path)
    key = src.execute("SELECT algorithm, public_key, fingerprint, private_enc FROM signing_keys k JOIN users u "
                      "ON u.id = k.user_id WHERE u.login = 'juzhang' AND k.retired_at IS NULL").fetchone()
    src.close()
    chief = raw.execute("SELECT id FROM users WHERE role = 'chief'").fetchone()[0]
    raw.execute("UPDATE signing_keys SET retired_at = '2026-02-03 09:00:00', retire_reason = 'x' WHERE user_id = ?",
                (chief,))
    raw.execute("INSERT INTO signing_keys (user_id, algorithm, public_key, fingerprint, private_enc, created_at, "
                "reason) VALUES (?, ?, ?, ?, ?, '2026-02-03 09:00:00', 'x')", (chief, *key))


@pytest.mark.parametrize("attack", ["copy_row", "rename_too", "plant_key"])
def test_insider_cannot_stop_a_real_files_clock(built: tuple[Path, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, attack: str) -> None:
    path = _real_bureau(tmp_path, signed=True)
    with sqlite3.connect(path) as raw:
        _copy_row(built[0], raw)
        if attack in ("rename_too", "plant_key"):
            raw.execute("UPDATE bureau SET name = ?, region_code = ?", (clocks.DEMO_NAME, clocks.DEMO_REGION))
        if attack == "plant_key":
            _plant_demo_key(built[0], raw)
    _RealDay(monkeypatch, REAL_DAYS[0])
    with open_book(path, read_only=True) as book:
        assert book.demo_day is None
        assert book.today() == REAL_DAYS[0]  # the real clock runs: deadlines keep passing
        # each layer of the defence is what stops its attack: identity, then the signature, then the sign-offs
        assert {"copy_row": "不是示例县", "rename_too": "签名", "plant_key": "签发"}[attack] in book.clock_problem
        assert any(f.check == "演示日期" for f in clocks.check(book.conn))
        report = evidence.verify(book)
    assert not report.ok
    assert "演示日期" in report.text()


def test_forged_row_without_the_chiefs_password_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new real file (no sign-off yet) renamed to the demo's identity and given a row signed with a key the
    insider made up: the chief's registered key does not check it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = _real_bureau(tmp_path, signed=False)
    with sqlite3.connect(path) as raw:
        fp = raw.execute("SELECT fingerprint FROM signing_keys WHERE retired_at IS NULL").fetchone()[0]
        raw.execute("UPDATE bureau SET name = ?, region_code = ?", (clocks.DEMO_NAME, clocks.DEMO_REGION))
        data = clocks.statement(today="2026-02-03", bureau_name=clocks.DEMO_NAME, region_code=clocks.DEMO_REGION,
                                fingerprint=fp)
        raw.execute("INSERT INTO demo_clock VALUES (1, '2026-02-03', ?, ?, ?, ?)",
                    (clocks.DEMO_NAME, clocks.DEMO_REGION, fp, Ed25519PrivateKey.generate().sign(data).hex()))
    _RealDay(monkeypatch, REAL_DAYS[0])
    with open_book(path, read_only=True) as book:
        assert book.demo_day is None and book.today() == REAL_DAYS[0]
        assert "签名" in book.clock_problem


def test_a_real_file_without_a_row_is_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _real_bureau(tmp_path, signed=False)
    _RealDay(monkeypatch, REAL_DAYS[1])
    with open_book(path, read_only=True) as book:
        assert (book.demo_day, book.clock_problem, book.today()) == (None, "", REAL_DAYS[1])
        assert list(clocks.check(book.conn)) == []


# -- the ready-made demo ---------------------------------------------------------------------------------------


def test_ready_made_copy_is_used_only_when_it_is_this_codes_and_intact(built: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    prebuilt.keep(cache, built[0])
    assert prebuilt.usable(cache) == cache / prebuilt.FILE
    start = time.perf_counter()
    path, copied = prebuilt.make(tmp_path / "first.db", caches=[cache])
    book = open_book(path, check="deferred")
    users.login(book, "juzhang", demo.PASSWORD)
    opened = time.perf_counter() - start
    try:
        assert copied and book.demo_day == demo.TODAY
    finally:
        book.close(backup=False)
    assert opened < 5.0, f"the ready-made demo took {opened:.1f} s to copy, open and log in"
    assert not (tmp_path / "first_备份").exists()
    # a tampered copy (one byte changed) is not used
    with open(cache / prebuilt.FILE, "r+b") as fh:
        fh.seek(200_000)
        byte = fh.read(1)
        fh.seek(200_000)
        fh.write(bytes([byte[0] ^ 1]))
    assert prebuilt.usable(cache) is None
    # another program's copy (another recipe) is not used either
    prebuilt.keep(cache, built[0])
    info = (cache / prebuilt.MANIFEST).read_text(encoding="utf-8").replace(prebuilt.recipe(), "0" * 64)
    (cache / prebuilt.MANIFEST).write_text(info, encoding="utf-8")
    assert prebuilt.usable(cache) is None


def test_all_in_insider_turns_the_file_into_the_demo_and_it_says_so(built: tuple[Path, Path], tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's key is public (its password is demo1234), so an insider who renames the bureau, plants that
    key and rewrites the sign-offs to name it gets the fixed day — but the file is then the demo: its title and
    verify's first line say 示例县 · 演示日期, every package it signs goes up as 示例县财政局 659901 (which no
    prefecture has registered), and verify fails on the rewritten rows. No real county dodges a deadline so."""
    path = _real_bureau(tmp_path, signed=True)
    with sqlite3.connect(path) as raw:
        _copy_row(built[0], raw)
        raw.execute("UPDATE bureau SET name = ?, region_code = ?", (clocks.DEMO_NAME, clocks.DEMO_REGION))
        _plant_demo_key(built[0], raw)
        fp = raw.execute("SELECT key_fingerprint FROM demo_clock").fetchone()[0]
        raw.execute("UPDATE signoffs SET signature = signature || ?", (fp,))
    _RealDay(monkeypatch, REAL_DAYS[0])
    with open_book(path, read_only=True) as book:
        assert book.demo_day == demo.TODAY  # the clock is the demo's …
        report = evidence.verify(book)
    text = report.text()
    assert clocks.label(demo.TODAY) in text.splitlines()[1]  # … and the file says it is the demo, first thing
    assert not report.ok  # … and is caught: the rewritten rows break the audit chain and the signatures
