"""The working-day calendar kept in the database; the clerk enters next year's notice here."""

from __future__ import annotations

import datetime as dt

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


def set_year(book: Book, *, year: int, notice: str, holidays: list[tuple[str, str]],
             workdays_: list[tuple[str, str]]) -> None:
    """Replace one year's calendar as a whole (the State Council notice of that year)."""
    if not 2000 <= int(year) <= 2100:
        raise ValidationError("应在 2000～2100 之间", field="年份")
    notice = (notice or "").strip()
    if not notice:
        raise ValidationError("请填写国务院办公厅通知的名称或文号", field="通知名称")
    hol = [(_parse(d, "放假日期"), (n or "").strip()) for d, n in holidays]
    work = [(_parse(d, "调休上班日期"), (n or "").strip()) for d, n in workdays_]
    workdays.validate_year(year, hol, work)
    with book.write("edit_calendar") as conn:
        conn.execute("DELETE FROM calendar_days WHERE substr(day, 1, 4) = ?", (f"{year:04d}",))
        conn.execute(
            "INSERT INTO calendar_years (year, notice, source) VALUES (?, ?, '本单位录入') "
            "ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, source = excluded.source",
            (year, notice),
        )
        conn.executemany(
            "INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)",
            [(d.isoformat(), "休", n) for d, n in hol] + [(d.isoformat(), "班", n) for d, n in work],
        )
