"""Working days: the shipped 2019–2026 data and the deadline arithmetic built on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.values import workdays
from app.models.values.errors import AppError, ValidationError
from app.models.values.workdays import Calendar

D = dt.date
SEED = workdays.load_seed()
CAL = workdays.calendar_from_years(SEED)
EMPTY = Calendar()

# Dates around the seeded years, so that both official and estimated years are drawn.
near_dates = st.dates(min_value=D(2018, 6, 1), max_value=D(2028, 6, 30))
counts = st.integers(min_value=0, max_value=60)


def _naive_between(a: dt.date, b: dt.date, cal: Calendar) -> int:
    return sum(is_wd for is_wd in (workdays.is_working_day(a + dt.timedelta(days=i), cal)
                                   for i in range(1, (b - a).days + 1)))


# --- the cases the domain spells out ---------------------------------------------------


def test_national_day_2026_five_working_days() -> None:
    # 9-30 (1), 10-1..10-7 off, 10-8 (2), 10-9 (3), Saturday 10-10 make-up (4), 10-12 (5).
    assert workdays.add_working_days(D(2026, 9, 29), 5, CAL) == (D(2026, 10, 12), False)


def test_national_day_2026_days() -> None:
    assert not any(workdays.is_working_day(D(2026, 10, day), CAL) for day in range(1, 8))
    assert workdays.is_working_day(D(2026, 10, 8), CAL)
    assert workdays.is_working_day(D(2026, 10, 10), CAL)  # Saturday, 调休上班
    assert not workdays.is_working_day(D(2026, 10, 11), CAL)
    assert workdays.is_working_day(D(2026, 9, 20), CAL)  # Sunday, 调休上班


def test_without_calendar_the_national_day_case_is_weekdays_only() -> None:
    # Guards the test above: the data, not the weekday rule, moves the date.
    assert workdays.add_working_days(D(2026, 9, 29), 5, EMPTY) == (D(2026, 10, 6), True)


def test_spring_festival_2026() -> None:
    # 2-14 (Sat) make-up; 2-15..2-23 off; 2-28 (Sat) make-up.
    assert workdays.is_working_day(D(2026, 2, 14), CAL)
    assert not any(workdays.is_working_day(D(2026, 2, day), CAL) for day in range(15, 24))
    assert workdays.is_working_day(D(2026, 2, 28), CAL)
    # Received Fri 2-13: 2-14 (1), 2-24 (2), 2-25 (3), 2-26 (4), 2-27 (5).
    assert workdays.add_working_days(D(2026, 2, 13), 5, CAL) == (D(2026, 2, 27), False)
    assert workdays.add_working_days(D(2026, 2, 13), 6, CAL) == (D(2026, 2, 28), False)
    assert workdays.working_days_between(D(2026, 2, 13), D(2026, 2, 28), CAL) == 6


def test_2026_make_up_workdays_are_exactly_the_notice() -> None:
    (y2026,) = [y for y in SEED if y.year == 2026]
    assert [d for d, _ in y2026.workdays] == [
        D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]
    assert y2026.notice == "国务院办公厅关于2026年部分节假日安排的通知"


def test_2027_has_no_data_so_it_is_estimated_on_weekends_only() -> None:
    assert 2027 not in CAL.years
    # 2027-01-01 is a Friday (元旦 in any real notice) — without data it counts as a working day.
    assert workdays.is_working_day(D(2027, 1, 1), CAL)
    assert workdays.add_working_days(D(2026, 12, 30), 2, CAL) == (D(2027, 1, 1), True)
    # Thu 2027-02-04 + 3 → Fri (1), Mon (2), Tue (3).
    assert workdays.add_working_days(D(2027, 2, 4), 3, CAL) == (D(2027, 2, 9), True)


def test_estimated_only_when_a_year_without_data_is_examined() -> None:
    assert workdays.add_working_days(D(2026, 12, 28), 3, CAL) == (D(2026, 12, 31), False)
    assert workdays.add_working_days(D(2026, 12, 28), 4, CAL) == (D(2027, 1, 1), True)
    assert workdays.add_working_days(D(2026, 12, 31), 0, CAL) == (D(2026, 12, 31), False)


def test_data_for_an_unlisted_year_is_ignored() -> None:
    cal = workdays.calendar_from_rows([("2027-01-01", "休"), ("2027-01-09", "班")], years=[2026])
    assert workdays.is_working_day(D(2027, 1, 1), cal)
    assert not workdays.is_working_day(D(2027, 1, 9), cal)


# --- calendar days ---------------------------------------------------------------------


def test_calendar_days_ignore_holidays() -> None:
    assert workdays.add_calendar_days(D(2026, 9, 29), 30, CAL) == (D(2026, 10, 29), False)
    assert workdays.add_calendar_days(D(2027, 12, 15), 30, CAL) == (D(2028, 1, 14), False)
    assert workdays.add_calendar_days(D(2024, 2, 1), 29, EMPTY) == (D(2024, 3, 1), False)


def test_negative_counts_are_refused() -> None:
    for fn in (workdays.add_working_days, workdays.add_calendar_days):
        with pytest.raises(ValidationError) as err:
            fn(D(2026, 1, 1), -1, CAL)
        assert err.value.field == "期限天数"


def test_date_range_end_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        workdays.add_working_days(D(9999, 12, 30), 5, EMPTY)
    with pytest.raises(ValidationError):
        workdays.add_calendar_days(D(9999, 12, 30), 5, EMPTY)


# --- working_days_between --------------------------------------------------------------


def test_between_examples() -> None:
    assert workdays.working_days_between(D(2026, 9, 29), D(2026, 10, 12), CAL) == 5
    assert workdays.working_days_between(D(2026, 10, 12), D(2026, 9, 29), CAL) == -5
    assert workdays.working_days_between(D(2026, 9, 29), D(2026, 9, 29), CAL) == 0
    assert workdays.working_days_between(D(2026, 10, 1), D(2026, 10, 7), CAL) == 0
    assert workdays.working_days_between(D(2026, 10, 9), D(2026, 10, 10), CAL) == 1


@given(near_dates, counts)
def test_add_working_days_lands_on_the_nth_working_day(start: dt.date, n: int) -> None:
    due, estimated = workdays.add_working_days(start, n, CAL)
    assert due >= start
    examined = [start + dt.timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(workdays.is_working_day(d, CAL) for d in examined) == n
    if n:
        assert workdays.is_working_day(due, CAL)
    assert estimated == any(d.year not in CAL.years for d in examined)
    assert workdays.working_days_between(start, due, CAL) == n


@given(near_dates, near_dates)
def test_between_matches_day_by_day_count(a: dt.date, b: dt.date) -> None:
    expected = _naive_between(a, b, CAL) if a <= b else -_naive_between(b, a, CAL)
    assert workdays.working_days_between(a, b, CAL) == expected


@given(near_dates, st.integers(min_value=0, max_value=400))
def test_calendar_days_property(start: dt.date, n: int) -> None:
    due, estimated = workdays.add_calendar_days(start, n, CAL)
    assert (due - start).days == n and not estimated


# --- the seed --------------------------------------------------------------------------


def test_seed_covers_2019_to_2026() -> None:
    assert [y.year for y in SEED] == list(range(2019, 2027))
    assert CAL.years == frozenset(range(2019, 2027))
    for y in SEED:
        assert y.notice == f"国务院办公厅关于{y.year}年部分节假日安排的通知"
        assert y.holidays and y.workdays


@pytest.mark.parametrize("year", [y.year for y in SEED])
def test_seed_year_is_consistent(year: int) -> None:
    (data,) = [y for y in SEED if y.year == year]
    off = [d for d, _ in data.holidays]
    on = [d for d, _ in data.workdays]
    assert len(set(off)) == len(off) and len(set(on)) == len(on)
    assert all(d.year == year for d in off + on)
    assert not set(off) & set(on)
    assert all(d.weekday() >= 5 for d in on)
    names = {n for _, n in data.holidays + data.workdays}
    assert names <= {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    # Every holiday appears each year (中秋节 is folded into 国庆节 in some years, so not required).
    assert {"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节"} <= {n for _, n in data.holidays}
    # Holiday blocks include the weekend days joined to them ("与周末连休"), every year alike.
    for d in off:
        for neighbour in (d - dt.timedelta(days=1), d + dt.timedelta(days=1)):
            if neighbour.year in CAL.years and neighbour.weekday() >= 5:
                assert neighbour in CAL.holidays or neighbour in CAL.workdays, (d, neighbour)
    workdays.validate_year(year, data.holidays, data.workdays)


def test_seed_known_days_across_years() -> None:
    assert not workdays.is_working_day(D(2020, 1, 31), CAL)  # 2020 春节 extension
    assert not workdays.is_working_day(D(2020, 2, 1), CAL)  # make-up Saturday cancelled by it
    assert workdays.is_working_day(D(2019, 4, 28), CAL)  # 2019 劳动节 adjustment
    assert not workdays.is_working_day(D(2025, 10, 8), CAL)
    assert workdays.is_working_day(D(2025, 10, 11), CAL)


def test_load_seed_refuses_broken_files(tmp_path: Path) -> None:
    bad = tmp_path / "h.toml"
    bad.write_text('[[years]]\nyear = 2030\nnotice = "x"\nholidays = []\n'
                   'workdays = [{ date = 2030-01-02, name = "元旦" }]\n', encoding="utf-8")
    with pytest.raises(AppError, match="调休上班日期"):
        workdays.load_seed(bad)
    bad.write_text("years = [", encoding="utf-8")
    with pytest.raises(AppError, match="格式错误"):
        workdays.load_seed(bad)
    with pytest.raises(AppError, match="无法读取"):
        workdays.load_seed(tmp_path / "missing.toml")


# --- calendar_from_rows ----------------------------------------------------------------


def test_calendar_from_rows_matches_the_seed() -> None:
    rows = [(d.isoformat(), "休") for y in SEED for d, _ in y.holidays]
    rows += [(d.isoformat(), "班") for y in SEED for d, _ in y.workdays]
    assert workdays.calendar_from_rows(rows, [y.year for y in SEED]) == CAL


def test_calendar_from_rows_refuses_unknown_kind() -> None:
    with pytest.raises(AppError):
        workdays.calendar_from_rows([("2026-01-01", "假")], [2026])
    with pytest.raises(AppError):
        workdays.calendar_from_rows([("2026-13-01", "休")], [2026])


# --- validate_year ---------------------------------------------------------------------


def _refused(holidays: list[tuple[dt.date | str, str]], workdays_: list[tuple[dt.date | str, str]],
             year: int = 2027) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        workdays.validate_year(year, holidays, workdays_)
    return err.value


def test_validate_year_accepts_a_plausible_2027() -> None:
    workdays.validate_year(2027, [("2027-01-01", "元旦"), (D(2027, 10, 1), "国庆节")],
                           [("2027/9/26", "国庆节"), ("２０２７年１０月９日", "国庆节")])


def test_validate_year_rejects_a_date_outside_the_year() -> None:
    err = _refused([("2026-12-31", "元旦")], [])
    assert err.field == "放假日期" and "2026-12-31" in err.message
    assert _refused([], [(D(2028, 1, 8), "元旦")]).field == "调休上班日期"


def test_validate_year_rejects_a_date_in_both_lists() -> None:
    err = _refused([("2027-10-09", "国庆节")], [("2027-10-09", "国庆节")])
    assert err.field == "调休上班日期" and "2027-10-09" in err.message and "放假日期" in err.message


def test_validate_year_rejects_a_weekday_make_up_day() -> None:
    err = _refused([], [("2027-10-08", "国庆节")])  # a Friday
    assert err.field == "调休上班日期" and "星期五" in err.message


def test_validate_year_rejects_a_repeated_date() -> None:
    err = _refused([("2027-10-01", "国庆节"), (D(2027, 10, 1), "国庆节")], [])
    assert err.field == "放假日期" and "2027-10-01" in err.message
    assert _refused([], [("2027-10-09", "国庆节"), ("2027-10-09", "国庆节")]).field == "调休上班日期"


@pytest.mark.parametrize("text", ["2027-02-30", "明年元旦", "", "2027-1", "10/1/2027"])
def test_validate_year_rejects_unparsable_dates_quoting_them(text: str) -> None:
    err = _refused([(text, "元旦")], [])
    assert err.field == "放假日期" and f"“{text}”" in err.message
    assert _refused([], [(text, "元旦")]).field == "调休上班日期"


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)))
def test_parse_date_round_trips(d: dt.date) -> None:
    for text in (d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日",
                 d.strftime("%Y%m%d"), f" {d.isoformat()} "):
        assert workdays.parse_date(text, "放假日期") == d


@pytest.mark.parametrize("text, expected", [
    ("2026-10-10 00:00:00", D(2026, 10, 10)),  # a workbook's date stored as text with its midnight
    ("２０２６－１０－０９", D(2026, 10, 9)),  # full-width
    ("2026年 1月 5日", D(2026, 1, 5)),
    ("2026.1.5", D(2026, 1, 5)),
    ("2026-Oct-10", D(2026, 10, 10)),
])
def test_parse_date_is_tolerant_of_how_dates_are_typed(text: str, expected: dt.date) -> None:
    assert workdays.parse_date(text, "支付日期") == expected


@pytest.mark.parametrize("text, why", [
    ("10/11/2026", "年份在前"),  # day-first or month-first? never guessed
    ("11/10/26", "年份在前"),
    ("26-10-11", "年份在前"),
    ("2026-10", "年份在前"),  # no day: dateutil would fill one in from its default
    ("2026年10月", "年份在前"),
    ("2026-02-30", "不是有效日期"),
    ("2026-10-10 08:30", "带有时刻"),
    ("2026-10-10 下午", "不是有效日期"),  # no fuzzy skipping of words
    ("20261", "不是有效日期"),
])
def test_parse_date_refuses_what_it_would_have_to_guess(text: str, why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        workdays.parse_date(text, "支付日期")
    assert caught.value.field == "支付日期" and f"“{text}”" in caught.value.message and why in caught.value.message
