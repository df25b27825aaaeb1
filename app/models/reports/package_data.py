"""Everything one monthly package is rendered from: plain data the data layer assembles.

The renderers never touch the database: the same PackageData always gives the same bytes, which is
what lets an auditor re-create a signed package and compare hashes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from app.models.values.errors import ValidationError

Row = Mapping[str, object]
"""One row of a row source: money as int 分, counts as int, dates as datetime.date, flags as bool."""

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
"""Naive timestamps in the app are Beijing time (the bureau's official clock)."""

CALC = 3
"""How the month's figures are computed, stamped in the signed data (`calc`) so verify re-sums a signed month the
way it was summed. 0 (absent): before the as-of rule — 表2's 用时/是否超时 counted a completion recorded later
with a date after the period end, and 已分配 was the plan as it stands. 1: as of the period end — only facts
dated on or before it count (docs/月报说明.md 表2 “截至期末”). 2: worded by the year's rule set (issue 17) — the
package's name and table titles from its `[reports]`, fund kind and item names from its `[[kinds]]` where it
defines the code, and the columns of its ratio rules (表1 产业发展比重), all recorded in `wording`; a month
computed under 0 or 1 keeps the report definitions' words, the file's names and no rule columns. 3: the same figures,
and the sign-off also stores each indicator's balances as of the period end (`balances`, sources.INDICATOR_FIELDS),
so the next months' 表4 carries them instead of summing the whole history (issue #22); the manifest records their
SHA-256, so they are signed, and verify sums them again from the whole history. Raise it, never reuse a number, when a change
alters what a month sums to; keep the older computation for months signed under the older number."""

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class SignOff:
    """Who answers for the package. `signed_at` None: not signed yet (a preview)."""

    chief: str = ""
    reviewer: str = ""
    preparer: str = ""
    signed_at: dt.datetime | None = None
    comment: str = ""


class WarningRecord(NamedTuple):
    """One warning as counted by 表7; cross-checks 5 and 7 compare the tables with this list. A named tuple: a month
    lists every warning of its year (tens of thousands in a county that keeps many years), built in one pass."""

    id: int
    code: str  # W1 … W9
    detected_on: dt.date  # the day it was first detected


@dataclass(frozen=True)
class PackageData:
    bureau: str
    month: str  # YYYY-MM
    period_start: dt.date
    period_end: dt.date
    version: int  # 1 for the first sign-off, 2, 3 … for 更正版
    rows: Mapping[str, Sequence[Row]]  # row-source name → rows, in display order
    bureau_level: Literal["county", "prefecture"] = "county"
    signoff: SignOff = field(default_factory=SignOff)
    warnings: Sequence[WarningRecord] = ()
    audit_head: tuple[int, str] | None = None  # (seq, hash) of the audit chain at sign-off
    fixed_time: dt.datetime | None = None  # document timestamp for an unsigned preview
    signing_key: str = ""  # SHA-256 fingerprint of the chief's public key, filled at sign-off
    rule_set: str = ""  # the year's rule set: "id version sha256-of-its-file" (empty in packages signed before it)
    calendar: str = ""  # the working-day calendar it relied on: "through-date sha256" (store/holidays.digest_through)
    calc: int = 0  # how its figures were computed (CALC when assembled now; 0 in months signed before it existed)
    wording: Mapping[str, object] = field(default_factory=dict)  # calc 2: name, titles, rule columns (definitions.worded)
    balances: Mapping[str, Sequence[int]] = field(default_factory=dict)  # calc 3: indicator id → INDICATOR_FIELDS

    def __post_init__(self) -> None:
        if not _MONTH.fullmatch(self.month):
            raise ValidationError(f"月份应为 YYYY-MM，实际为 {self.month!r}", field="月份")
        if self.period_start > self.period_end:
            raise ValidationError("统计期间的开始日期晚于结束日期", field="统计期间")
        if self.version < 1:
            raise ValidationError(f"版本号应从 1 开始，实际为 {self.version}", field="版本")
        if not self.bureau.strip():
            raise ValidationError("不能为空", field="填报单位")

    @property
    def year(self) -> int:
        return int(self.month[:4])

    @property
    def month_number(self) -> int:
        return int(self.month[5:])

    @property
    def signed(self) -> bool:
        return self.signoff.signed_at is not None

    def stamp(self) -> dt.datetime:
        """The one timestamp written into the files: the sign-off, else a given one, else the period end.

        Returned timezone-aware (naive values are taken as Beijing time), whole seconds.
        """
        when = self.signoff.signed_at or self.fixed_time
        if when is None:
            when = dt.datetime.combine(self.period_end, dt.time(0, 0))
        if when.tzinfo is None:
            when = when.replace(tzinfo=CHINA)
        return when.replace(microsecond=0)

    def fields(self) -> dict[str, object]:
        """The placeholders of the wording in report.toml ({bureau}, {start}, {chief} …)."""
        signed_at = self.signoff.signed_at
        return {
            "bureau": self.bureau,
            "month": self.month,
            "year": self.year,
            "month_number": self.month_number,
            "start": chinese_date(self.period_start),
            "end": chinese_date(self.period_end),
            "version": self.version,
            "chief": self.signoff.chief,
            "reviewer": self.signoff.reviewer,
            "preparer": self.signoff.preparer,
            "signed_on": signed_at.date().isoformat() if signed_at else "",
            "signed_at": signed_at.strftime("%Y-%m-%d %H:%M") if signed_at else "",
        }


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
