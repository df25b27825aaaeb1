"""QDate ↔ datetime.date, typed (PySide6's `QDate.toPython()` is typed as returning `object`)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate


def to_date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())
