"""The working-day calendar kept in the database; the clerk enters next year's notice here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

from app.models.store.book import Book
from app.models.values import workdays
from app.models.values.errors import ValidationError


def calendar(book: Book) -> workdays.Calendar:
    rows = book.conn.execute("SELECT day, kind FROM calendar_days").fetchall()
    years = [r[0] for r in book.conn.execute("SELECT year FROM calendar_years")]
    return workdays.calendar_from_rows([(r[0], r[1]) for r in rows], years)


def years(book: Book) -> list[dict[str, object]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT y.year, y.notice, y.source, "
        "(SELECT count(*) FROM calendar_days d WHERE d.kind = '休' AND substr(d.day, 1, 4) = CAST(y.year AS TEXT)) AS holidays, "
        "(SELECT count(*) FROM calendar_days d WHERE d.kind = '班' AND substr(d.day, 1, 4) = CAST(y.year AS TEXT)) AS workdays "
        "FROM calendar_years y ORDER BY y.year DESC")]


def days(book: Book, year: int) -> list[dict[str, object]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT day, kind, name FROM calendar_days WHERE substr(day, 1, 4) = ? ORDER BY day", (f"{year:04d}",))]


def _parse(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ValidationError(f"“{text}”不是有效日期，应为 YYYY-MM-DD", field=field) from exc


def last_signed_end(conn: sqlite3.Connection) -> dt.date | None:
    """The last day of the last closed (signed) month: every day up to it is a calendar fact some signed month's
    deadlines were counted with (months close in order and stay closed)."""
    row = conn.execute("SELECT max(end_date) FROM periods WHERE closed = 1").fetchone()
    return dt.date.fromisoformat(str(row[0])) if row and row[0] else None


def digest_through(conn: sqlite3.Connection, end: dt.date) -> str:
    """"YYYY-MM-DD sha256": the calendar facts a month ending on `end` relied on — every 休/班 day up to `end` and
    which years up to `end`'s year have an official notice (a year without one is counted Mon–Fri). A month's 表2
    verdicts and 用时 are judged as of its end, so no day after it can change them; next year's notice, or a late
    调休 for a month not yet signed, leaves the digest of every signed month alone."""
    years = [int(r[0]) for r in conn.execute("SELECT year FROM calendar_years WHERE year <= ? ORDER BY year",
                                             (end.year,))]
    days = [[str(r[0]), str(r[1])] for r in conn.execute(
        "SELECT day, kind FROM calendar_days WHERE day <= ? ORDER BY day", (end.isoformat(),))]
    text = json.dumps({"through": end.isoformat(), "years": years, "days": days}, separators=(",", ":"))
    return f"{end.isoformat()} {hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def _diff(old: dict[dt.date, tuple[str, str]], new: dict[dt.date, tuple[str, str]]) -> list[tuple[dt.date, str]]:
    """The days whose kind differs (added, removed, 休⇄班), with a Chinese description; renames don't count."""
    out = []
    for d in sorted(old.keys() | new.keys()):
        a, b = old.get(d), new.get(d)
        if a is not None and b is not None and a[0] == b[0]:
            continue
        kind = {workdays.HOLIDAY: "放假", workdays.WORKDAY: "调休上班"}
        if a is None and b is not None:
            out.append((d, f"{d.isoformat()} 增加为{kind[b[0]]}日"))
        elif b is None and a is not None:
            out.append((d, f"{d.isoformat()} 不再是{kind[a[0]]}日"))
        elif a is not None and b is not None:
            out.append((d, f"{d.isoformat()} 由{kind[a[0]]}日改为{kind[b[0]]}日"))
    return out


def set_year(book: Book, *, year: int, notice: str, holidays: list[tuple[str, str]],
             workdays_: list[tuple[str, str]], reason: str = "") -> list[str]:
    """Enter or correct one year's calendar as a whole (the State Council notice of that year); returns the
    changed days, described.

    A day on or before the last signed month's end is refused: signed months' deadlines were counted with it
    (the chief reopens those months first, as for any dated record). A year that already has a signed month is
    corrected only by the chief with a reason (a late 调休 notice), written into the audit record's operation."""
    if not 2000 <= int(year) <= 2100:
        raise ValidationError("应在 2000～2100 之间", field="年份")
    notice = (notice or "").strip()
    if not notice:
        raise ValidationError("请填写国务院办公厅通知的名称或文号", field="通知名称")
    hol = [(_parse(d, workdays.HOLIDAY_FIELD), (n or "").strip()) for d, n in holidays]
    work = [(_parse(d, workdays.WORKDAY_FIELD), (n or "").strip()) for d, n in workdays_]
    workdays.validate_year(year, hol, work)
    new = {d: (workdays.HOLIDAY, n) for d, n in hol} | {d: (workdays.WORKDAY, n) for d, n in work}
    old = {dt.date.fromisoformat(str(r["day"])): (str(r["kind"]), str(r["name"])) for r in days(book, year)}
    had = book.conn.execute("SELECT notice FROM calendar_years WHERE year = ?", (year,)).fetchone()
    changes = _diff(old, new)
    signed_end = last_signed_end(book.conn)
    locked = signed_end is not None and dt.date(year, 1, 1) <= signed_end
    if signed_end is not None and had is None and locked:
        raise ValidationError(
            f"{year} 年已有签发的月份（最后签发月份截至 {signed_end.isoformat()}），这些月份的工作日按没有该年通知"
            f"（只按周末）计算并已签发，不能再补录该年安排；如确需更正，请局长先重新打开 {year} 年已签发的月份",
            field="年份")
    for d, what in changes:
        if signed_end is not None and d <= signed_end:
            raise ValidationError(
                f"{what}：该日期在已签发的月份内（最后签发月份截至 {signed_end.isoformat()}），已签发月份的下达时限"
                "按原日历计算，不能改动；如确需更正，请局长先重新打开该月份", field=workdays.HOLIDAY_FIELD
                if new.get(d, old.get(d, ("休", "")))[0] == workdays.HOLIDAY else workdays.WORKDAY_FIELD)
    if had is not None and not changes and had[0] == notice:
        return []  # the same notice again (a file holding earlier years too): nothing to write, nothing to ask
    reason = (reason or "").strip()
    op = "edit_calendar"
    if locked:
        if not reason:
            raise ValidationError(f"{year} 年已有签发的月份：更正该年安排须由局长写明理由（如补发的调休通知文号）",
                                  field="更正理由")
        op = "correct_calendar"
    with book.write(op) as conn:
        conn.execute("UPDATE audit_context SET op = ? WHERE id = 1", (f"correct_calendar：{reason}" if locked else op,))
        for d, _what in changes:
            if d not in new:
                conn.execute("DELETE FROM calendar_days WHERE day = ?", (d.isoformat(),))
        for d, (kind, name) in sorted(new.items()):
            if old.get(d) != (kind, name):
                conn.execute("INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?) ON CONFLICT (day) "
                             "DO UPDATE SET kind = excluded.kind, name = excluded.name", (d.isoformat(), kind, name))
        if had is None:
            conn.execute("INSERT INTO calendar_years (year, notice, source) VALUES (?, ?, '本单位录入')", (year, notice))
        elif had[0] != notice or changes:
            conn.execute("UPDATE calendar_years SET notice = ?, source = '本单位录入' WHERE year = ?", (notice, year))
    return [what for _d, what in changes]


def import_file(book: Book, path: Path | str, *, reason: str = "") -> dict[int, list[str]]:
    """Enter the years of a holiday file in the shipped format (resources/holidays/holidays.toml: `[[years]]`
    with year, notice, holidays and workdays), all or nothing: each year as `set_year` would (a signed day is
    refused, a year with signed months needs the chief and `reason`). Returns each year's changed days."""
    years = workdays.load_seed(Path(path))  # a file that cannot be read or is wrong: AppError naming it
    if not years:
        raise ValidationError(f"{Path(path).name} 中没有任何年度", field="节假日文件")
    out: dict[int, list[str]] = {}
    with book.write("edit_calendar"):
        for y in years:
            out[y.year] = set_year(
                book, year=y.year, notice=y.notice, reason=reason,
                holidays=[(d.isoformat(), n) for d, n in y.holidays],
                workdays_=[(d.isoformat(), n) for d, n in y.workdays])
    return out


def missing_years(book: Book, today: dt.date) -> list[int]:
    """The years whose notice the deadlines need and the file lacks: this year, and from 1 November (when the
    State Council's notice usually comes out and deadlines start running into January) next year too."""
    have = {int(r[0]) for r in book.conn.execute("SELECT year FROM calendar_years")}
    wanted = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [y for y in wanted if y not in have]


def calendar_notice(book: Book, today: dt.date) -> str:
    """What the clerk is told when a needed year is missing (empty when none is)."""
    missing = missing_years(book, today)
    if not missing:
        return ""
    years = "、".join(f"{y} 年" for y in missing)
    return (f"{years}的节假日安排尚未录入：落在 {years}的工作日期限只按周末估算（到期日标“估算”），元旦、春节等假日会被当作"
            f"工作日。请在国务院办公厅通知发布后到“基础设置 → 工作日历”录入，或用“从文件导入…”导入该年的节假日文件。")
