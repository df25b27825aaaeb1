"""What the warning engine, its detectors and the 问题台账 share: a finding, the run's context, and the
Chinese names of warning kinds and statuses (from the rule set).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.models.ledger import common as lc
from app.models.rules.schema import WarningStatus
from app.models.store import holidays, rule_years
from app.models.store.book import Book
from app.models.values import workdays
from app.models.values.errors import NotFound


@dataclass(frozen=True)
class Finding:
    """One thing wrong, as the data shows it on `as_of`; `key` stays the same while it persists."""

    code: str  # W1 … W9
    key: str  # e.g. "W1:indicator:12:zx_prefecture"
    object_type: str  # what "open" switches to: indicator, project, perf_goals, payment, treasury_payment …
    object_id: str
    object_label: str
    amount: int  # 分 involved
    since: dt.date | None  # the first day the condition held (the day after a due date); None: unknown
    detail: str
    section: str = ""
    project_id: int | None = None


@dataclass
class Context:
    """What every detector needs, computed once per run."""

    book: Book
    as_of: dt.date
    params: dict[str, int] = field(default_factory=dict)  # the running warning definition's own parameters
    _cache: dict[str, Any] = field(default_factory=dict)
    # the objects (ids, as text) whose findings may change when only the clock moves — noted by a detector that can
    # re-run over some objects on a new day (registry.CLOCK), stored with the run for the next day's (engine)
    clock: set[str] = field(default_factory=set)

    def param(self, name: str, default: int) -> int:
        """A parameter of the warning definition being run ([[warnings]] params, issue #17), else `default` (the
        rule set's section value, e.g. [spending] idle_days)."""
        return self.params.get(name, default)

    @functools.cached_property
    def calendar(self) -> workdays.Calendar:
        return holidays.calendar(self.book)


Detector = Callable[[Context], Iterable[Finding]]


def statuses(book: Book) -> tuple[WarningStatus, ...]:
    return rule_years.shared(book).warning_statuses


def initial_status(book: Book) -> str:
    return rule_years.shared(book).warning_statuses[0].code


def cleared_status(book: Book) -> str:
    """The status a warning takes when the data stops showing it: the first closed one (已整改)."""
    return next(s.code for s in rule_years.shared(book).warning_statuses if s.closed)


def status_name(book: Book, code: str) -> str:
    return next((s.name for s in rule_years.shared(book).warning_statuses if s.code == code), code)


def is_closed_status(book: Book, code: str) -> bool:
    return any(s.closed for s in rule_years.shared(book).warning_statuses if s.code == code)


def warning_name(book: Book, code: str, year: int | None = None) -> str:
    """The type's name in the rule set of `year` (the year the problem arose; None: the current year's set), so a
    2020 refusal reads in 2020's words, not in those of the set that replaced it."""
    rules = book.rules if year is None else book.rules_for(year)
    return next((w.name for w in rules.warnings if w.code == code),
                next((w.name for w in book.rules.warnings if w.code == code), code))


def get(book: Book, warning_id: int) -> dict[str, Any]:
    row = book.conn.execute(
        "SELECT w.*, coalesce(u.name, '') AS handled_by_name FROM warnings w LEFT JOIN users u ON u.id = w.handled_by "
        "WHERE w.id = ?", (warning_id,)).fetchone()
    if row is None:
        raise NotFound(f"预警 #{warning_id} 不存在", field="预警")
    return decorate(book, dict(row))


def decorate(book: Book, row: dict[str, Any]) -> dict[str, Any]:
    """Add the Chinese names the views show."""
    day = str(row.get("since") or row.get("first_detected") or "")
    row["code_name"] = warning_name(book, row["code"], int(day[:4]) if day[:4].isdigit() else None)
    row["status_name"] = status_name(book, row["status"])
    row["active"] = row.get("cleared_on") is None
    row["state_name"] = "仍在触发" if row["active"] else f"已消除（{row['cleared_on']}）"
    row["section_name"] = row.get("section") or lc.NO_SECTION
    return row


