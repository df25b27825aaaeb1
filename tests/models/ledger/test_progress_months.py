"""Month arithmetic by dateutil's relativedelta: the bond clock's 3 months, the M+1 report due date."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models.ledger.progress import add_months
from app.models.rules.load import load_named

D = dt.date


@pytest.mark.parametrize("start, months, end", [
    (D(2026, 1, 31), 3, D(2026, 4, 30)),  # no 31 April: the month's last day
    (D(2025, 11, 30), 3, D(2026, 2, 28)),  # across the year, into February
    (D(2027, 11, 29), 3, D(2028, 2, 29)),  # a leap February keeps the 29th
    (D(2026, 10, 15), 3, D(2027, 1, 15)),
    (D(2026, 3, 31), -1, D(2026, 2, 28)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(start: dt.date, months: int, end: dt.date) -> None:
    assert add_months(start, months) == end


def test_report_due_date_is_next_month_and_the_period_follows_the_cutoff() -> None:
    rules = load_named("xj-2019")
    reporting = rules.reporting
    due_december = reporting.due_date(2026, 12, "county")
    assert due_december.year == 2027 and due_december.month == 1  # M+1 across the year end
    start, end = reporting.period(2026, 3)
    assert end.month == 3 and (start.month, start.year) in ((3, 2026), (2, 2026))
    assert reporting.period(2026, 1)[0].year in (2025, 2026)
