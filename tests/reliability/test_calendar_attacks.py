"""Attack 7: the working-day calendar edited after a month is signed.

Every signed month's 表2 (用时, 是否逾期) and W1 were counted with the holidays and 调休 days up to its end. The
insider with the file, sqlite3 and no password adds or removes a holiday inside a signed month (the triggers
dropped and put back, the audit chain resealed as the program seals it): the incremental check the window runs at
start-up saw nothing, and the full verify saw it only when a figure of 表2 happened to move. Now each signed month
carries a digest of those calendar facts (signed with the package) which both checks compare with the file, the
triggers refuse the write, and the program refuses it with a message — while next year's notice and a late 调休
for a month not yet signed stay possible (the chief, with a reason, audited)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.demo import build as demo
from app.export import evidence
from app.models.integrity import incremental
from app.models.store import audit, holidays, users
from app.models.store.book import open_book
from app.models.values.errors import PermissionDenied, ValidationError
from tests.conftest import writable_copy
from tests.reliability.test_incremental_attacks import anchored, failed_steps, sealed  # noqa: F401

SIGNED_DAY = "2026-08-26"  # a Wednesday in August 2026, the demo's last signed month


def _drop_if_present(path: Path, *names: str) -> tuple[str, ...]:
    raw = sqlite3.connect(path)
    try:
        return tuple(n for n in names if raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                                      (n,)).fetchone())
    finally:
        raw.close()


def _incremental_findings(path: Path) -> list[str]:
    book = open_book(path)
    try:
        report = incremental.run(book)
        assert report is not None
        return [str(f) for f in report.findings]
    finally:
        book.close(backup=False)


def _full_findings(path: Path) -> list[str]:
    book = open_book(path, read_only=True)
    try:
        report = evidence.verify(book)
        return [str(f) for f in report.findings]
    finally:
        book.close(backup=False)


def test_insider_adds_a_holiday_inside_a_signed_month(anchored: Path) -> None:  # noqa: F811
    """A holiday on a day no deadline of the demo spans: no figure of 表2 moves, so re-summing alone cannot see it."""
    sealed(anchored, "juzhang", "edit_calendar",
           ("INSERT INTO calendar_days (day, kind, name) VALUES (?, '休', '补假')", (SIGNED_DAY,)),
           drop=_drop_if_present(anchored, "calendar_days_locked_i"))
    incr = _incremental_findings(anchored)
    assert any(f.startswith("[工作日历] 2026-08 第 1 版") for f in incr), incr
    full = _full_findings(anchored)
    assert any("工作日历" in f and "2026-08" in f for f in full), full


def test_insider_removes_the_years_notice(anchored: Path) -> None:  # noqa: F811
    """Deleting 2026 from calendar_years makes every 2026 day a Mon–Fri estimate (国庆、春节 become working days)."""
    sealed(anchored, "juzhang", "edit_calendar", ("DELETE FROM calendar_years WHERE year = ?", (2026,)),
           drop=_drop_if_present(anchored, "calendar_years_locked_d"))
    incr = _incremental_findings(anchored)
    assert sum(f.startswith("[工作日历]") for f in incr) == 8, incr  # January–August, each named
    assert any("工作日历" in f for f in _full_findings(anchored))


def test_the_triggers_refuse_plain_sqlite3(anchored: Path) -> None:  # noqa: F811
    raw = sqlite3.connect(anchored)
    try:
        for sql, args in (("INSERT INTO calendar_days (day, kind, name) VALUES (?, '休', 'x')", (SIGNED_DAY,)),
                          ("DELETE FROM calendar_days WHERE day = ?", ("2026-05-01",)),
                          ("UPDATE calendar_days SET kind = '班' WHERE day = ?", ("2026-05-01",)),
                          ("DELETE FROM calendar_years WHERE year = ?", (2026,)),
                          ("INSERT INTO calendar_years (year, notice, source) VALUES (?, 'x', 'x')", (2018,))):
            with pytest.raises(sqlite3.IntegrityError, match="已签发"):
                raw.execute(sql, args)
        raw.execute("UPDATE calendar_days SET name = '劳动节（更名）' WHERE day = '2026-05-01'")  # a name moves nothing
        raw.rollback()
    finally:
        raw.close()


def _year_as_entered(book, year: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    rows = holidays.days(book, year)
    return ([(str(r["day"]), str(r["name"])) for r in rows if r["kind"] == "休"],
            [(str(r["day"]), str(r["name"])) for r in rows if r["kind"] == "班"])


def test_the_program_refuses_a_signed_day_and_lets_the_chief_correct_a_later_one(anchored: Path) -> None:  # noqa: F811
    book = open_book(anchored)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        hol, work = _year_as_entered(book, 2026)
        notice = str(book.conn.execute("SELECT notice FROM calendar_years WHERE year = 2026").fetchone()[0])
        before = book.conn.execute("SELECT day, kind, name FROM calendar_days ORDER BY day").fetchall()
        head = audit.head(book.conn)
        for changed in ([*hol, (SIGNED_DAY, "补假")], [h for h in hol if h[0] != "2026-05-01"]):
            with pytest.raises(ValidationError) as refused:
                holidays.set_year(book, year=2026, notice=notice, holidays=changed, workdays_=work, reason="补发通知")
            assert "已签发的月份" in refused.value.message and refused.value.field == "放假日期"
        assert book.conn.execute("SELECT day, kind, name FROM calendar_days ORDER BY day").fetchall() == before
        assert audit.head(book.conn) == head  # nothing written

        # a late 调休 for a month not yet signed: the chief, with a reason
        later = [*hol, ("2026-12-31", "元旦（补充通知）")]
        with pytest.raises(ValidationError) as no_reason:
            holidays.set_year(book, year=2026, notice=notice, holidays=later, workdays_=work)
        assert no_reason.value.field == "更正理由"
        users.login(book, "jingban", demo.PASSWORD)
        with pytest.raises(PermissionDenied):
            holidays.set_year(book, year=2026, notice=notice, holidays=later, workdays_=work, reason="补充通知")
        users.login(book, "juzhang", demo.PASSWORD)
        assert holidays.set_year(book, year=2026, notice=notice, holidays=later, workdays_=work,
                                 reason="国办发明电〔2026〕9号补充通知") == ["2026-12-31 增加为放假日"]
        op = book.conn.execute("SELECT op FROM audit_log WHERE tbl = 'calendar_days' ORDER BY seq DESC LIMIT 1"
                               ).fetchone()[0]
        assert op == "correct_calendar：国办发明电〔2026〕9号补充通知"
        # next year's notice: the clerk, as every November
        users.login(book, "jingban", demo.PASSWORD)
        holidays.set_year(book, year=2027, notice="国办发明电〔2026〕x号", holidays=[("2027-01-01", "元旦")],
                          workdays_=[])
        incremental.record(book, mode="full", head=audit.head(book.conn))
    finally:
        book.close(backup=False)
    assert _incremental_findings(anchored) == []  # the signed months relied on none of it
    assert _full_findings(anchored) == []


def test_a_months_digest_covers_only_days_up_to_its_end(tmp_path: Path, demo_file: Path) -> None:
    path = writable_copy(demo_file, tmp_path / "d.db")
    raw = sqlite3.connect(path)
    try:
        import datetime as dt

        end = dt.date(2026, 8, 31)
        first = holidays.digest_through(raw, end)
        raw.execute("DROP TRIGGER calendar_days_locked_i")
        raw.execute("INSERT INTO calendar_days (day, kind, name) VALUES ('2026-09-01', '休', 'x')")
        raw.execute("INSERT INTO calendar_years (year, notice, source) VALUES (2027, 'x', 'x')")
        assert holidays.digest_through(raw, end) == first
        raw.execute("INSERT INTO calendar_days (day, kind, name) VALUES ('2026-08-31', '休', 'x')")
        assert holidays.digest_through(raw, end) != first
    finally:
        raw.close()


def test_a_file_repeating_signed_years_imports_the_new_year_only(anchored: Path, tmp_path: Path) -> None:  # noqa: F811
    """The shipped file plus next year (what a bureau is sent): the signed years are unchanged, so the clerk may
    import it without a reason; the same file with a signed day changed is refused whole."""
    from app.models.values import workdays
    from tests.models.store.test_calendar_years import TEST_2027

    shipped = workdays.seed_path().read_text(encoding="utf-8")
    both = tmp_path / "all.toml"
    both.write_text(shipped + TEST_2027, encoding="utf-8")
    book = open_book(anchored)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        done = holidays.import_file(book, both)
        assert all(done[y] == [] for y in range(2019, 2027)) and len(done[2027]) == 3
        bad = tmp_path / "bad.toml"
        bad.write_text(shipped.replace('{ date = 2026-05-01, name = "劳动节" },', "", 1)
                       + TEST_2027.replace("2027-01-04", "2027-01-05"), encoding="utf-8")
        assert bad.read_text(encoding="utf-8") != shipped + TEST_2027
        head = audit.head(book.conn)
        with pytest.raises(ValidationError, match="2026-05-01"):
            holidays.import_file(book, bad)
        assert audit.head(book.conn) == head
    finally:
        book.close(backup=False)


def test_insider_rewrites_the_stored_digest_too(anchored: Path) -> None:  # noqa: F811
    """The naive defence (a digest kept beside the month, unsigned) falls to the insider who rewrites it with the
    calendar, and the data's hash with it: the incremental check, which trusts the stored data, then sees nothing.
    The digest is in manifest.json, which the chief's key signed: the full verify re-creates the package from the
    stored data and finds it no longer the one signed."""
    import datetime as dt
    import json

    from app.models.reports import snapshot

    raw = sqlite3.connect(anchored, isolation_level=None)
    sid, data = raw.execute("SELECT id, data FROM signoffs WHERE status = 'signed' AND month = '2026-08'").fetchone()
    raw.execute("BEGIN")  # the forged digest, worked out in a transaction rolled back
    raw.execute("DROP TRIGGER calendar_days_locked_i")
    raw.execute("INSERT INTO calendar_days (day, kind, name) VALUES (?, '休', '补假')", (SIGNED_DAY,))
    forged = holidays.digest_through(raw, dt.date(2026, 8, 31))
    raw.execute("ROLLBACK")
    raw.close()
    doc = json.loads(data)
    assert doc["calendar"].startswith("2026-08-31 ")
    doc["calendar"] = forged
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    sealed(anchored, "juzhang", "sign_off",
           ("INSERT INTO calendar_days (day, kind, name) VALUES (?, '休', '补假')", (SIGNED_DAY,)),
           ("UPDATE signoffs SET data = ?, data_sha256 = ? WHERE id = ?", (text, snapshot.digest(text), sid)),
           drop=_drop_if_present(anchored, "calendar_days_locked_i"))  # both writes audited and resealed
    assert not any("2026-08" in f and "工作日历" in f for f in _incremental_findings(anchored))  # the limit it states
    full = _full_findings(anchored)
    # and since the fourth attack review, any update of a sign-off but the one a signed reopening makes is named too
    assert sorted(full) == sorted([
        "[报送包] 2026-08 第 1 版报送包：重新生成的 manifest.json 与签发时记录的哈希不一致",
        f"[重新打开签名] 2026-08 的签发记录（审计记录 #{_last_seq(anchored)}，签发记录 #{sid}）：签发记录被改动，而这不是紧随一次"
        "局长签名的重新打开的那一次标记：本程序只在局长签名重新打开时改签发记录，这是绕过本程序写的（被标为已更正的月份不再按签发数据核对）",
        # and since the ninth, what it changed, whatever the promise
        f"[已签发月份] 签发记录 #{sid}（审计记录 #{_last_seq(anchored)}）：签发时写定的内容被改动（data、data_sha256）："
        "本程序从不改动它们，只在重新打开时写重新打开的各列",
    ]), full


def _last_seq(path: Path) -> int:
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute("SELECT max(seq) FROM audit_log").fetchone()[0])
    finally:
        raw.close()
