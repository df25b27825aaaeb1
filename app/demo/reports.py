"""Demo: the chief signs each month in the next one — January–August signed on time; September is overdue (W9,
due 10-28) and October awaits sign-off (due 11-28).

Each sign-off is dated the day in `SIGN_ON` (a working day between the 6th and the 16th of the next month) and written
at the end of the year's history (warnings.history_step), so each package sums the warnings as they finally stand.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from app.demo.common import working_day
from app.export import signoff
from app.models.store.book import Book

SIGNED_MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]


def _sign_on(month: int) -> dt.datetime:
    """Month `month`'s sign-off: the next month, a working day from the 6th to the 16th, in the afternoon."""
    year, nxt = (2026, month + 1) if month < 12 else (2027, 1)
    day = working_day(dt.date(year, nxt, 6 + (month * 3) % 9))
    return dt.datetime.combine(day, dt.time(15, 10 + month))


SIGN_ON = {f"2026-{m:02d}": _sign_on(m) for m in range(1, 9)}


def sign(book: Book, clock: Any, month: str, when: dt.datetime) -> None:
    """The chief signs `month` at `when` (the package goes to a temporary folder: the demo keeps no packages)."""
    from app.demo.common import PASSWORD, as_user

    as_user(book, "juzhang")
    out = Path(tempfile.mkdtemp(prefix="fundledger-demo-"))
    try:
        clock.at(when)
        signoff.sign_off(book, month=month, out_dir=out, password=PASSWORD, comment="同意报送")
    finally:
        shutil.rmtree(out, ignore_errors=True)
