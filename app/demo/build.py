"""The demo county 示例县: deterministic, realistic data for trying and training.

Every capability adds its part to the list in `steps()`; the clock is fixed, so two builds are alike. Each part sets
the clock to the story's time of what it writes (common.DemoClock.at): a request is submitted, reviewed and paid on its
own days, a notice recorded the day it went up, a month signed in the next one — so every stamp in the file follows the
story (tests/e2e/test_demo_timeline.py), though the parts write one after another (audit rows jump back in time).
The finished file carries its own 今天 (`TODAY`, store/clock.py): whenever it is open, warnings, deadlines,
the dashboard and overdue months are computed for that day, so the demo tells the same story on any real date.
It is built in a temporary folder that is removed afterwards: the sign-offs' 签发前 backups (about 100 MB)
never reach the user's data folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.demo.claims import claims_step
from app.demo.common import PASSWORD, TODAY, DemoClock, as_user
from app.demo.ledger import ledger_step, treasury_step
from app.demo.notices import notices_step
from app.demo.payments import payments_step
from app.demo.tables import annual_plans_step, old_money_step
from app.demo.warnings import history_step, warnings_step
from app.models.store import clock as clocks
from app.models.store import keys, setup, users
from app.models.store.book import Book

BUREAU = {"bureau_name": clocks.DEMO_NAME, "region_code": clocks.DEMO_REGION, "level": "county"}
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
        old_money_step,  # 2024/2025 documents back-filled with money still unspent (表4 结转, 闲置; 表7)
        payments_step,  # 项目计划 and 支付审批: plans what the 专账 indicators have left
        claims_step,  # 名册 for the false-claim cross-checks: after the payments they are compared with
        treasury_step,  # the treasury's export covers the payments made above
        notices_step,  # 公告公示: reads the plan and payments above
        warnings_step,  # after 专账, 项目/支付 and 公告公示: it reads what they built
        annual_plans_step,  # 表1 年度计划数, after every 2026 document is registered (before any month is signed)
        history_step,  # the year's warnings day by day, with January–August signed in their next months
        _today,  # last: the file's own 今天, signed by the demo chief
    ]


def _today(book: Book, clock: DemoClock) -> None:
    """Bring the warnings up to the demo's 今天 and write that day into the file (store/clock.py)."""
    from app.models.warnings import engine as warnings

    clock.set(dt.datetime.combine(TODAY, dt.time(8, 30)))
    as_user(book, "jingban")
    warnings.recompute(book, as_of=TODAY)  # what the dashboard shows on opening: nothing left to recompute
    chief = book.conn.execute("SELECT id FROM users WHERE login = 'juzhang'").fetchone()[0]
    signer = keys.unlock(book.conn, user_id=int(chief), password=PASSWORD)
    with book.write("demo_clock", system=True) as conn:
        clocks.stamp(conn, signer, today=TODAY)


def build(path: Path | str) -> Path:
    """Create the demo file at `path` (which must not exist yet).

    Built in a temporary folder (with whatever backups the sign-offs take beside it), then moved to `path`;
    the folder is removed whatever happens, so nothing but the finished file is left behind."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    work = Path(tempfile.mkdtemp(prefix="fundledger-demo-"))
    try:
        part = work / "示例县.db"
        clock = DemoClock(DEMO_START)
        book = setup.create(part, chief_login="juzhang", chief_name="王建国", chief_password=PASSWORD,
                            clock=clock, **BUREAU)
        try:
            for step in steps():
                as_user(book, "juzhang")
                step(book, clock)
        finally:
            book.close(backup=False)
        shutil.move(str(part), str(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path
