"""Business invariants that `verify` re-checks; each capability appends its own checks here."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

from .audit import Finding

Check = Callable[[sqlite3.Connection], Iterator[Finding]]


def periods_consistent(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Periods never overlap: otherwise a date could be both open and closed."""
    rows = conn.execute("SELECT month, start_date, end_date FROM periods ORDER BY start_date").fetchall()
    for a, b in zip(rows, rows[1:], strict=False):
        if b["start_date"] <= a["end_date"]:
            yield Finding("结账期间", f"期间 {b['month']}", f"与 {a['month']} 的起止日期重叠")


CHECKS: list[tuple[str, Check]] = [
    ("结账期间不重叠", periods_consistent),
]
