"""Business invariants that `verify` re-checks: the one list, each capability's checks named here in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

from app.models.ledger import invariants as ledger_checks
from app.models.notices import invariants as notice_checks
from app.models.payments import invariants as payment_invariants
from app.models.prefecture import invariants as prefecture_checks
from app.models.search import index as search_index
from app.models.store import clock as clocks
from app.models.store.audit import Finding
from app.models.warnings import invariants as warning_checks

Check = Callable[[sqlite3.Connection], Iterator[Finding]]


def periods_consistent(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Periods never overlap: otherwise a date could be both open and closed."""
    rows = conn.execute("SELECT month, start_date, end_date FROM periods ORDER BY start_date").fetchall()
    for a, b in zip(rows, rows[1:], strict=False):
        if b["start_date"] <= a["end_date"]:
            yield Finding("结账期间", f"期间 {b['month']}", f"与 {a['month']} 的起止日期重叠")


CHECKS: list[tuple[str, Check]] = [
    ("结账期间不重叠", periods_consistent),
    ("专账：每个指标支出不超过收入", ledger_checks.indicator_not_overdrawn),
    ("专账：收入、调减与指标登记一致", ledger_checks.income_matches_register),
    ("专账：收支余结转平衡（期末 = 期初 + 收入 − 支出）", ledger_checks.balances_roll_forward),
    *payment_invariants.CHECKS,
    *warning_checks.CHECKS,
    *notice_checks.CHECKS,
    *prefecture_checks.CHECKS,
    ("搜索索引与业务数据一致（派生数据）", search_index.check),
    ("演示日期只在示例县文件上生效", clocks.check),
]
