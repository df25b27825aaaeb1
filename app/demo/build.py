"""The demo county 示例县: deterministic, realistic data for trying and training.

Every capability adds its part to the list in `steps()`; the clock is fixed, so two builds are alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from app.demo.claims import claims_step
from app.demo.common import PASSWORD, DemoClock, as_user
from app.demo.ledger import ledger_step, treasury_step
from app.demo.notices import notices_step
from app.demo.payments import payments_step
from app.demo.reports import reports_step
from app.demo.warnings import warnings_step
from app.models.store import setup, users
from app.models.store.book import Book

BUREAU = {"bureau_name": "示例县财政局", "region_code": "659901", "level": "county"}
STAFF = [
    # login, name, role, section
    ("shenhe", "李红梅", "reviewer", "国库股"),
    ("jingban", "阿依古丽·买买提", "clerk", "扶贫资金管理股"),
    ("jingban2", "张伟", "clerk", "农业股"),
    ("shenji", "刘明", "auditor", "县审计局"),
]
DEMO_START = dt.datetime(2026, 1, 5, 9, 0, 0)


Step = Callable[[Book, DemoClock], None]


def _staff(book: Book, clock: DemoClock) -> None:
    for login, name, role, section in STAFF:
        users.add_user(book, login=login, name=name, role=role, password=PASSWORD, section=section)


def steps() -> list[Step]:
    """The demo's parts, in order: each reads what the ones before it built."""
    return [
        _staff,
        ledger_step,
        payments_step,  # 项目计划 and 支付审批: plans what the 专账 indicators have left
        claims_step,  # 名册 for the false-claim cross-checks: after the payments they are compared with
        treasury_step,  # the treasury's export covers the payments made above
        notices_step,  # 公告公示: reads the plan and payments above
        warnings_step,  # after 专账, 项目/支付 and 公告公示: it reads what they built
        reports_step,  # last: signing closes January–August
    ]


def build(path: Path | str) -> Path:
    """Create the demo file at `path` (which must not exist yet)."""
    path = Path(path)
    clock = DemoClock(DEMO_START)
    book = setup.create(path, chief_login="juzhang", chief_name="王建国", chief_password=PASSWORD,
                        clock=clock, **BUREAU)
    try:
        for step in steps():
            as_user(book, "juzhang")
            step(book, clock)
    except BaseException:
        book.close(backup=False)
        path.unlink(missing_ok=True)
        raise
    book.close(backup=False)
    return path
