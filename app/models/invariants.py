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

from . import ledger_checks  # noqa: E402 - 专账 invariants register below

CHECKS += [
    ("专账：每个指标支出不超过收入", ledger_checks.indicator_not_overdrawn),
    ("专账：收入、调减与指标登记一致", ledger_checks.income_matches_register),
    ("专账：收支余结转平衡（期末 = 期初 + 收入 − 支出）", ledger_checks.balances_roll_forward),
]

from . import payment_invariants  # noqa: E402 - 项目计划 and 支付审批 invariants

CHECKS += payment_invariants.CHECKS

from . import warning_checks  # noqa: E402 - 监控预警 and 问题台账 invariants

CHECKS += warning_checks.CHECKS

from . import notice_checks  # noqa: E402 - 公告公示 invariants

CHECKS += notice_checks.CHECKS
