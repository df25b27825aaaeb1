"""Working days (工作日) per the State Council's yearly holiday notice, as data plus pure functions.

Why data: the notice comes out each November and offline PCs cannot update themselves, so the
calendar lives in the bureau's database (seeded from resources/holidays/holidays.toml) and the
clerk enters next year's notice in the app. Everything here is pure: callers pass a `Calendar`.
A date in a year without a notice falls back to Mon–Fri and the result is flagged *estimated*.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.models.values.errors import AppError, ValidationError

HOLIDAY = "休"
"""`calendar_days.kind` of a statutory day off."""
WORKDAY = "班"
"""`calendar_days.kind` of a make-up working weekend day (调休上班)."""

HOLIDAY_FIELD = "放假日期"
WORKDAY_FIELD = "调休上班日期"

SEED_FILE = "holidays.toml"
_WEEKDAY_NAMES = "一二三四五六日"
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    """The official days of the years in `years`; other years are Mon–Fri only."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class YearData:
    """One year's notice: its title and the (date, holiday name) pairs it lists."""

    year: int
    notice: str
    holidays: list[tuple[dt.date, str]]
    workdays: list[tuple[dt.date, str]]


# --- the calendar --------------------------------------------------------------------------


def is_working_day(d: dt.date, cal: Calendar) -> bool:
    """Mon–Fri, minus statutory holidays, plus make-up workdays — for years with data."""
    if d.year in cal.years:
        if d in cal.workdays:
            return True
        if d in cal.holidays:
            return False
    return d.weekday() < 5


def add_working_days(start: dt.date, n: int, cal: Calendar) -> tuple[dt.date, bool]:
    """The n-th working day after `start` ("收到" is day 0), and whether it is an estimate.

    Estimated means some day looked at lies in a year without official data, so a holiday there
    may have been counted as a working day.
    """
    _check_count(n)
    d, found, estimated = start, 0, False
    try:
        while found < n:
            d += _ONE_DAY
            if d.year not in cal.years:
                estimated = True
            if is_working_day(d, cal):
                found += 1
    except OverflowError as exc:
        raise _out_of_range() from exc
    return d, estimated


def add_calendar_days(start: dt.date, n: int, cal: Calendar) -> tuple[dt.date, bool]:
    """`start` + n calendar days; never estimated (the signature matches `add_working_days`)."""
    del cal  # calendar days need no calendar
    _check_count(n)
    try:
        return start + dt.timedelta(days=n), False
    except OverflowError as exc:
        raise _out_of_range() from exc


def working_days_between(a: dt.date, b: dt.date, cal: Calendar) -> int:
    """Working days after `a` up to and including `b` (用时); negative when `b` is before `a`.

    Counted arithmetically (weekdays, then the calendar's exceptions inside the span) so that long
    spans in a list cost nothing.
    """
    if b < a:
        return -working_days_between(b, a, cal)
    lo, hi = a.toordinal(), b.toordinal()
    count = _weekdays_through(hi) - _weekdays_through(lo)
    for d in cal.workdays:
        if d.year in cal.years and lo < d.toordinal() <= hi and d.weekday() >= 5:
            count += 1
    for d in cal.holidays - cal.workdays:
        if d.year in cal.years and lo < d.toordinal() <= hi and d.weekday() < 5:
            count -= 1
    return count


def _weekdays_through(ordinal: int) -> int:
    """Mon–Fri days among ordinals 1..ordinal (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _check_count(n: int) -> None:
    if n < 0:
        raise ValidationError(f"不能为负数（{n}）", field="期限天数")


def _out_of_range() -> ValidationError:
    return ValidationError("超出可计算的日期范围", field="到期日")


def calendar_from_rows(rows: Iterable[tuple[str, str]], years: Iterable[int]) -> Calendar:
    """Build the calendar from `calendar_days` (day, kind) rows and the `calendar_years` years."""
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for day, kind in rows:
        try:
            d = dt.date.fromisoformat(day)
        except (TypeError, ValueError) as exc:
            raise AppError(f"工作日历中的日期“{day}”无效") from exc
        if kind == HOLIDAY:
            holidays.add(d)
        elif kind == WORKDAY:
            workdays.add(d)
        else:
            raise AppError(f"工作日历中 {day} 的类型“{kind}”无效，应为“{HOLIDAY}”或“{WORKDAY}”")
    return Calendar(frozenset(holidays), frozenset(workdays), frozenset(int(y) for y in years))


def calendar_from_years(years: Iterable[YearData]) -> Calendar:
    """The calendar of some `YearData` (the seed, before any database exists)."""
    data = list(years)
    return Calendar(
        holidays=frozenset(d for y in data for d, _ in y.holidays),
        workdays=frozenset(d for y in data for d, _ in y.workdays),
        years=frozenset(y.year for y in data),
    )


# --- entering a year -----------------------------------------------------------------------


# The year comes first, with four digits: "10/11/2026" (day or month first?) and "26-10-11" are refused, never guessed.
_YEAR_FIRST = re.compile(r"\d{4}(?:\d{4}$|\s*[-/.年])")
_DEFAULTS = (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2))  # a part missing from the text shows as a difference


def parse_date(text: str, field: str) -> dt.date:
    """A date as clerks type it or a workbook stores it as text: 2026-10-10, 2026/10/10, 2026.10.10,
    2026年10月10日, 20261010, 2026-10-10 00:00:00, full-width digits, 2026-Oct-10.

    Parsed by dateutil with explicit rules: the year first with four digits (no day-first/month-first guess),
    every part present (year, month and day), no fuzzy skipping of words, and no time of day other than
    midnight. Anything else is refused, naming the field and quoting the text.
    """
    from dateutil import parser

    cleaned = unicodedata.normalize("NFKC", str(text)).strip()
    cleaned = re.sub(r"\s*([年月])\s*", "-", cleaned).replace("日", " ").strip()
    refusal = ValidationError(f"“{text}”不是有效日期，应为 YYYY-MM-DD（年份在前，四位）", field=field)
    if not _YEAR_FIRST.match(cleaned):
        raise refusal
    try:
        first, second = (parser.parse(cleaned, default=d, yearfirst=True, dayfirst=False, fuzzy=False)
                         for d in _DEFAULTS)
    except (ValueError, OverflowError) as exc:  # dateutil's ParserError is a ValueError
        raise refusal from exc
    if first != second:  # a part of the date was missing and came from the default
        raise refusal
    if first.time() != dt.time(0) or first.tzinfo is not None:
        raise ValidationError(f"“{text}”带有时刻，请只填日期（YYYY-MM-DD）", field=field)
    return first.date()


def _as_date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime):  # a datetime is a date subclass, but not a day
        raise ValidationError(f"“{value}”不是有效日期，应为 YYYY-MM-DD", field=field)
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value), field)


def _describe(d: dt.date) -> str:
    return f"{d.isoformat()}（星期{_WEEKDAY_NAMES[d.weekday()]}）"


def validate_year(
    year: int,
    holidays: Iterable[tuple[dt.date | str, str]],
    workdays: Iterable[tuple[dt.date | str, str]],
) -> None:
    """Refuse a year's notice that cannot be right, naming the field; nothing is returned.

    Why strict: a wrong day silently moves every deadline computed across it.
    """
    seen: dict[str, set[dt.date]] = {}
    for field_name, items in ((HOLIDAY_FIELD, holidays), (WORKDAY_FIELD, workdays)):
        days = seen.setdefault(field_name, set())
        for value, _name in items:
            d = _as_date(value, field_name)
            if d.year != year:
                raise ValidationError(f"{d.isoformat()} 不在 {year} 年内", field=field_name)
            if d in days:
                raise ValidationError(f"{d.isoformat()} 填写了两次", field=field_name)
            days.add(d)
    for d in sorted(seen[WORKDAY_FIELD]):
        if d in seen[HOLIDAY_FIELD]:
            raise ValidationError(f"{d.isoformat()} 已填在{HOLIDAY_FIELD}中，同一天不能既放假又上班", field=WORKDAY_FIELD)
        if d.weekday() < 5:
            raise ValidationError(f"{_describe(d)} 不是周六或周日；调休上班日只能是周末", field=WORKDAY_FIELD)


# --- the shipped seed ----------------------------------------------------------------------


def seed_path() -> Path:
    from app import resources

    return resources.resources_dir() / "holidays" / SEED_FILE


def load_seed(path: Path | None = None) -> list[YearData]:
    """The shipped 2019–2026 calendar, validated, oldest year first. A broken file is an AppError."""
    path = seed_path() if path is None else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AppError(f"节假日数据 {path.name} 无法读取：{exc}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AppError(f"节假日数据 {path.name} 格式错误：{exc}") from exc
    result: list[YearData] = []
    try:
        for entry in data["years"]:
            year = entry["year"]
            if not isinstance(year, int) or isinstance(year, bool):
                raise AppError(f"节假日数据 {path.name}：year 应为整数，而不是“{year}”")
            holidays = _seed_days(entry.get("holidays", []), HOLIDAY_FIELD)
            workdays = _seed_days(entry.get("workdays", []), WORKDAY_FIELD)
            validate_year(year, holidays, workdays)
            result.append(YearData(year, str(entry["notice"]), holidays, workdays))
    except ValidationError as exc:
        raise AppError(f"节假日数据 {path.name} 第 {year} 年：{exc}") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise AppError(f"节假日数据 {path.name} 缺少或写错了项目：{exc}") from exc
    if len({y.year for y in result}) != len(result):
        raise AppError(f"节假日数据 {path.name} 中有重复的年份")
    return sorted(result, key=lambda y: y.year)


def _seed_days(items: list[dict[str, Any]], field: str) -> list[tuple[dt.date, str]]:
    return [(_as_date(item["date"], field), str(item["name"])) for item in items]
