"""What every part of the demo uses: its clock, moved forward by hand, and acting as one of its users."""

from __future__ import annotations

import datetime as dt

from app.models.store import users
from app.models.store.book import Book

PASSWORD = "demo1234"  # every demo account's password (the chief's also opens the signing key)
# The demo's 今天, stored in the file (store/clock.py): January–August signed, September overdue (due 10-28),
# October waiting for the chief (due 11-28), November still running. Shown on the start screen and the title.
TODAY = dt.date(2026, 11, 25)


class DemoClock:
    """A clock the builder moves forward by hand; each reading ticks one second."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now

    def set(self, when: dt.datetime) -> None:
        if when > self.now:
            self.now = when

    def at(self, when: dt.datetime) -> None:
        """The story's time for what is written next, earlier or later than the last reading: the steps each go
        through the year in turn (专账, then 项目/支付, then 签发…), so each sets the time its events happened —
        a request is submitted, reviewed and paid on its own days, not when the builder reaches it."""
        self.now = when - dt.timedelta(seconds=1)


def working_day(day: dt.date, forward: int = 0) -> dt.date:
    """`day` (or the next Monday), then `forward` working days on; weekends only (the demo's own story)."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    for _ in range(forward):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


def as_user(book: Book, login: str) -> None:
    row = book.conn.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()
    book.user = users.get(book, int(row[0]))
