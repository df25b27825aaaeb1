"""A second, small demo county whose books span the change of regime (issue 17): 2020 under xj-2019
(财政扶贫资金), 2021 on under xj-2021 (衔接资金), assigned by the chief with a reason, with money, a project, its
leading-group decision, its 公示 and a paid request in 2020 and again in 2026.

The same kind of payment — 统筹整合资金 for 农村人居环境整治 — is refused when it draws on 2020 money (the 2019
negative list, no leading-group exception) and approved and paid when it draws on 2021 money.

The county has used the program since January 2020, and the file tells that story on its own fixed 今天 (`TODAY`,
store/clock.py, like the main demo): every write is stamped on the day it happened (requests submitted, reviewed and
paid on their own days) and the chief signed every month in the next one, by the 28th — so no month is 逾期
(W9), and each year's 月报 was signed under that year's rules. Built with the business operations only, in a
temporary folder (the sign-offs' 签发前 backups stay out of the user's folder), on its own clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.demo.claims import post_plan_notices
from app.demo.common import PASSWORD, DemoClock, as_user, working_day
from app.demo.goals import goals_for
from app.models.ledger import indicators
from app.models.notices import county
from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.payments import checks
from app.models.payments import requests as payments
from app.models.performance import goals as performance
from app.models.plan import decisions, payees, projects
from app.models.store import clock as clocks
from app.models.store import keys, rule_sets, setup, users
from app.models.store.book import Book
from app.models.values import ids

D = dt.date
# The demo county's own name and code: store/clock.py honours a fixed 今天 only on a file that is the demo in every
# respect (this one is the same 示例县, its books kept in the program since 2020 instead of 2026).
BUREAU = {"bureau_name": clocks.DEMO_NAME, "region_code": clocks.DEMO_REGION, "level": "county"}
START = dt.datetime(2020, 1, 2, 9, 0, 0)  # the county began using the program with the year 2020
TODAY = D(2026, 11, 25)  # the file's own 今天 (the same day as the main demo's)
LAST_SIGNED = "2026-10"  # signed 2026-11-10: every month from January 2020 to October 2026 is signed
REASON = "财农〔2021〕19号：2021 年起财政专项扶贫资金调整为衔接资金，2021 年度起按 xj-2021 管理"
STAFF = [("shenhe", "李红梅", "reviewer"), ("jingban", "阿依古丽·买买提", "clerk")]
FP = "扶贫资金管理股"


def _uscc(seq: int) -> str:
    body = f"91659002MA{seq:07d}"
    return body + ids.uscc_check_char(body)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@contextlib.contextmanager
def _scrypt_once() -> Iterator[None]:
    """The chief's password is checked and the signing key unlocked at each of the ~80 sign-offs with the same
    password and salt: scrypt is a pure function, so its result is remembered for the build (the same bytes,
    computed once instead of 160 times). Restored afterwards, whatever happens."""
    original = hashlib.scrypt
    hashlib.scrypt = functools.lru_cache(maxsize=16)(original)  # type: ignore[assignment]
    try:
        yield
    finally:
        hashlib.scrypt = original  # type: ignore[assignment]


def _months(first: str, last: str) -> Iterator[str]:
    y, m = int(first[:4]), int(first[5:])
    while f"{y:04d}-{m:02d}" <= last:
        yield f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def sign_on(month: str) -> dt.datetime:
    """When the chief signed `month`: a working day between the 5th and the 15th of the next month, afternoon."""
    y, m = int(month[:4]), int(month[5:])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return _at(working_day(D(y, m, 5 + (y * 12 + m) % 9)), 16, m)


class _Story:
    """The county's years, told in order: each event at its own time. The staff open the program on each month's
    sign-off day (the warnings recomputed as of it); the sign-offs themselves are written after the story, each
    with its own date (`sign_all`), so every signed package sums the warnings as they finally stand (`verify`
    re-sums them) — and a month signed by a day is no 月报逾期 on it, as the detector finds once it is closed."""

    def __init__(self, book: Book, clock: DemoClock, out: Path) -> None:
        self.book, self.clock, self.out = book, clock, out
        self.months = list(_months("2020-01", LAST_SIGNED))  # January–March 2020 too: reports with nothing yet
        self.pending = list(self.months)

    def until(self, when: dt.datetime) -> None:
        """Move the story to `when`: the warnings of each sign-off morning passed on the way."""
        who = self.book.user
        while self.pending and sign_on(self.pending[0]) <= when:
            day = sign_on(self.pending.pop(0))
            self.clock.set(day - dt.timedelta(hours=6))
            as_user(self.book, "jingban")
            self.recompute(day.date())
        self.book.user = who
        self.clock.set(when)

    def recompute(self, day: dt.date) -> None:
        from app.models.warnings import engine as warnings

        detection = warnings.detect_incremental(self.book, day)
        kept = [f for f in detection.findings
                if not (f.key.startswith("W9:") and f.key[3:] in self.months and sign_on(f.key[3:]).date() <= day)]
        warnings.recompute(self.book, as_of=day, findings=kept, reads=detection.reads)

    def sign_all(self) -> None:
        """The chief's sign-offs, each on its day in the next month (written last: see the class)."""
        from app.export import signoff

        as_user(self.book, "juzhang")
        last = self.clock.now
        for month in self.months:
            self.clock.at(sign_on(month))
            signoff.sign_off(self.book, month=month, out_dir=self.out, password=PASSWORD, comment="同意报送")
        self.clock.set(last)

    def as_(self, login: str) -> None:
        as_user(self.book, login)


def _payee(book: Book) -> int:
    return int(payees.create_payee(book, payee_type="enterprise", name="示例二县环境工程有限公司", id_code=_uscc(1),
                                   account_no="6222000000000001", bank="中国农业银行示例二县支行")["id"])


def _pay(s: _Story, payment_id: int, submitted: dt.date, paid: dt.date, voucher: str) -> None:
    """Submitted on its day, reviewed the next working day, paid on `paid` (after the review)."""
    s.until(_at(submitted, 10))
    s.as_("jingban")
    payments.submit(s.book, payment_id=payment_id)
    s.until(_at(working_day(submitted, 1), 11))
    s.as_("shenhe")
    payments.review(s.book, payment_id=payment_id)
    s.until(_at(paid, 15))
    s.as_("jingban")
    payments.mark_paid(s.book, payment_id=payment_id, voucher_no=voucher, pay_date=paid)
    _publish(s, working_day(paid, 2))


def _project(s: _Story, *, code: str, year: int, name: str, content: str, village: str, funding: list[tuple[int, int]],
             category: str = "infrastructure", entered: dt.date, decision: tuple[str, dt.date]) -> int:
    """A project entered into the 项目库, approved by the leading group and put on the village board that day. Under
    xj-2021 (2021 on) it first passes the 储备 stage a week after entry (论证通过, 推进 by the clerk) and the 项目库
    notices then due go up, before the decision."""
    s.until(_at(entered, 10))
    s.as_("jingban")
    fields = {"code": code, "year": year, "name": name, "category": category, "construction_type": "new",
              "township": "城关镇", "village": village, "content": content,
              "start_date": (decision[1] + dt.timedelta(days=12)).isoformat(), "end_date": f"{year}-10-31",
              "implementer": "城关镇人民政府", "responsible": "吐尔逊", "asset_type": "public",
              "subsidy_standard": "按实际工程量据实结算", "households": 120, "persons": 460, "poor_households": 80,
              "poor_persons": 310}
    pid = projects.create_project(s.book, fields=fields, funding=funding)
    if not projects.awaiting_approval(s.book, projects.get(s.book, pid)):
        reserved = entered + dt.timedelta(days=7)
        s.until(_at(reserved, 10))
        decisions.advance_to_approval(s.book, project_ids=[pid])
        _publish(s, working_day(reserved, 1))
    s.until(_at(decision[1], 16))
    decisions.approve_plan(s.book, project_ids=[pid], decision_no=decision[0], decision_date=decision[1])
    post_plan_notices(s.book, [pid], decision[1])  # 事前公示 (issue #18): up before the payments
    fields_ = ("level1", "level2", "name", "comparator", "target", "unit")
    for goal in goals_for(category):  # 绩效目标 attached to the money the day it was approved
        performance.add_goal(s.book, project_id=pid, fields=dict(zip(fields_, goal, strict=True)), set_on=decision[1])
    _publish(s, decision[1] + dt.timedelta(days=1))
    return pid


def _publish(s: _Story, day: dt.date) -> None:
    """The clerk puts up every notice due by `day` that is not up yet: the county's on the bureau's website, the
    others on their boards for 15 days — each from the later of the next working day after it fell due and `day`."""
    book = s.book
    for duty in ob.obligations(book, as_of=day):
        if duty.notice_id is not None or not duty.is_open:
            continue
        start = max(working_day(duty.since + dt.timedelta(days=1)), day)
        s.until(_at(start, 14))
        s.as_("jingban")
        if duty.object_type == "year":
            doc = str(county.draft(book, kind=duty.kind, year=duty.object_id).get("doc_no") or "")
            county.record(book, kind=duty.kind, year=duty.object_id, place="website", start_date=start,
                          doc_no=doc or f"示二县{duty.object_id}年度项目验收意见")
            continue
        draft = notices.draft(book, kind=duty.kind, level=duty.level, object_type=duty.object_type,
                              object_id=duty.object_id, on=start)
        notices.record_notice(book, kind=duty.kind, level=duty.level, object_type=duty.object_type,
                              object_id=duty.object_id, title=draft["title"], place=draft["place"],
                              location=draft["location"], content={k: v or "不适用" for k, v in draft["content"].items()},
                              start_date=start, end_date=None if duty.level == "county" else start + dt.timedelta(days=14),
                              publisher=draft["publisher"])


def _draft(s: _Story, **kw: Any) -> int:
    """The clerk drafts a request on its own day, in the morning."""
    s.until(_at(kw["draft_date"], 9))
    s.as_("jingban")
    return payments.draft(s.book, **kw)


def _common(pid: int, payee: int, amount: int, usage: str, func: str, day: dt.date, kind: str = "progress",
            ) -> dict[str, Any]:
    return {"project_id": pid, "payee_id": payee, "amount": amount, "kind": kind, "usage": usage, "func_code": func,
            "econ_code": "31005", "method": "direct", "draft_date": day}


def _tell(s: _Story) -> dict[str, int]:
    book = s.book
    for login, name, role in STAFF:
        users.add_user(book, login=login, name=name, role=role, password=PASSWORD, section=FP)
    s.as_("jingban")
    payee = _payee(book)
    # 2020, under xj-2019: 财政专项扶贫资金 and a village road, approved by the leading group of the 2019 set
    s.until(_at(D(2020, 4, 10), 10))
    zx2020 = indicators.register(
        book, doc_no="新财农〔2020〕21号", year=2020, kind="ZX", item="ZX01", source_level="central",
        amount=500_000_00, received_date=D(2020, 4, 10), upper_doc_date=D(2020, 4, 1),
        prefecture_doc_date=D(2020, 4, 7), func_code="2130505", section=FP, title="2020年中央财政专项扶贫资金")
    s.until(_at(D(2020, 4, 14), 10))
    old = indicators.register(
        book, doc_no="新财农〔2020〕35号", year=2020, kind="ZH", item="ZH01", source_level="central",
        amount=500_000_00, received_date=D(2020, 4, 14), upper_doc_date=D(2020, 4, 3),
        prefecture_doc_date=D(2020, 4, 9), func_code="2130505", section=FP, title="2020年中央财政农业生产发展资金（统筹整合）")
    road = _project(s, code="XM2020-001", year=2020, name="托万克村村组道路硬化项目", content="硬化村组道路 3.2 公里",
                    village="托万克村", funding=[(zx2020, 500_000_00), (old, 200_000_00)], entered=D(2020, 4, 20),
                    decision=("示二扶组〔2020〕3号", D(2020, 5, 8)))
    first = _draft(s, indicator_id=zx2020, purpose="村组道路硬化进度款",
                           **_common(road, payee, 300_000_00, "infrastructure", "2130505", D(2020, 6, 15)))
    _pay(s, first, D(2020, 6, 15), D(2020, 6, 18), "ZF202006180001")
    rest = _draft(s, indicator_id=zx2020, purpose="村组道路硬化结算款",
                          **_common(road, payee, 200_000_00, "infrastructure", "2130505", D(2020, 9, 21),
                                    kind="settlement"))
    _pay(s, rest, D(2020, 9, 21), D(2020, 9, 24), "ZF202009240001")
    more = _draft(s, indicator_id=old, purpose="村组道路硬化进度款（统筹整合资金）",
                  **_common(road, payee, 200_000_00, "infrastructure", "2130505", D(2020, 10, 12)))
    _pay(s, more, D(2020, 10, 12), D(2020, 10, 15), "ZF202010150001")  # 300,000 of the 整合资金 carried into 2021
    # 2021: the chief assigns xj-2021 from 2021 (before any 2021 month is signed)
    s.until(_at(D(2021, 1, 12), 10))
    s.as_("juzhang")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason=REASON)
    _publish(s, working_day(D(2021, 2, 3)))  # each February: last year's 完成情况 (and anything else that fell due)
    s.until(_at(D(2021, 4, 12), 10))
    s.as_("jingban")
    new = indicators.register(
        book, doc_no="新财农〔2021〕12号", year=2021, kind="ZH", item="ZH01", source_level="central",
        amount=300_000_00, received_date=D(2021, 4, 12), upper_doc_date=D(2021, 4, 1),
        prefecture_doc_date=D(2021, 4, 7), func_code="2130504", section=FP,
        title="2021年中央财政农业生产发展资金（统筹整合）")
    pid = _project(s, code="XM2021-001", year=2021, name="托万克村人居环境整治项目",
                   content="村内户厕改造 120 户、垃圾收集点 6 处", village="托万克村",
                   funding=[(old, 300_000_00), (new, 300_000_00)], entered=D(2021, 4, 19),
                   decision=("示二乡振组〔2021〕3号", D(2021, 5, 6)))
    s.until(_at(D(2021, 6, 1), 9))
    refused = _draft(s, indicator_id=old, purpose="户厕改造进度款（动用 2020 年整合资金）",
                             **_common(pid, payee, 120_000_00, "rural_environment", "2130504", D(2021, 6, 1)))
    allowed = _draft(s, indicator_id=new, purpose="户厕改造进度款（动用 2021 年整合资金）",
                             **_common(pid, payee, 120_000_00, "rural_environment", "2130504", D(2021, 6, 1)))
    s.until(_at(D(2021, 6, 1), 10))
    payments.submit(book, payment_id=refused)  # stored with the failed check: 2019's negative list
    _pay(s, allowed, D(2021, 6, 1), D(2021, 6, 3), "ZF202106030001")
    done = _draft(s, indicator_id=new, purpose="户厕改造结算款",
                  **_common(pid, payee, 180_000_00, "rural_environment", "2130504", D(2021, 9, 13), kind="settlement"))
    _pay(s, done, D(2021, 9, 13), D(2021, 9, 16), "ZF202109160001")
    outcome = {o["rule"]: o["outcome"] for o in checks.stored(book, refused)}
    assert outcome.get("usage") == "fail", outcome  # the demo's point; a change of rules must not silently drop it
    for year in range(2022, 2027):
        _publish(s, working_day(D(year, 2, 3)))
    # 2026, under xj-2021: 衔接资金 and a 产业 project approved by the 乡村振兴领导小组
    s.until(_at(D(2026, 3, 16), 10))
    zx2026 = indicators.register(
        book, doc_no="新财农〔2026〕9号", year=2026, kind="ZX", item="ZX01", source_level="central",
        amount=600_000_00, received_date=D(2026, 3, 16), upper_doc_date=D(2026, 3, 5),
        prefecture_doc_date=D(2026, 3, 11), func_code="2130505", section=FP,
        title="2026年中央财政衔接推进乡村振兴补助资金")
    barn = _project(s, code="XM2026-001", year=2026, name="托万克村标准化养殖圈舍建设项目", category="industry",
                    content="新建标准化养殖圈舍 12 座", village="托万克村", funding=[(zx2026, 600_000_00)],
                    entered=D(2026, 3, 25), decision=("示二乡振组〔2026〕2号", D(2026, 4, 10)))
    bid = _draft(s, indicator_id=zx2026, purpose="养殖圈舍建设进度款",
                         **_common(barn, payee, 360_000_00, "industry", "2130505", D(2026, 6, 10)))
    _pay(s, bid, D(2026, 6, 10), D(2026, 6, 15), "ZF202606150001")
    last = _draft(s, indicator_id=zx2026, purpose="养殖圈舍建设结算款",
                          **_common(barn, payee, 240_000_00, "industry", "2130505", D(2026, 10, 12),
                                    kind="settlement"))
    _pay(s, last, D(2026, 10, 12), D(2026, 10, 15), "ZF202610150001")
    s.until(_at(TODAY, 8, 30))
    s.as_("jingban")
    s.recompute(TODAY)
    s.sign_all()  # every month through October, each on its day
    return {"refused": refused, "allowed": allowed}


def _today(book: Book, clock: DemoClock) -> None:
    """The warnings as of the demo's 今天, and that day written into the file, signed by the demo chief."""
    from app.models.warnings import engine as warnings

    as_user(book, "jingban")
    warnings.recompute(book, as_of=TODAY)
    chief = book.conn.execute("SELECT id FROM users WHERE login = 'juzhang'").fetchone()[0]
    signer = keys.unlock(book.conn, user_id=int(chief), password=PASSWORD)
    with book.write("demo_clock", system=True) as conn:
        clocks.stamp(conn, signer, today=TODAY)


def build_regimes(path: Path | str) -> dict[str, int]:
    """Create the two-regime demo file at `path` (which must not exist); returns the ids of the refused and the
    paid 2021 payment."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    work = Path(tempfile.mkdtemp(prefix="fundledger-demo2-"))
    try:
        part = work / "示例二县.db"
        clock = DemoClock(START)
        with _scrypt_once():
            book = setup.create(part, chief_login="juzhang", chief_name="王建国", chief_password=PASSWORD,
                                clock=clock, **BUREAU)
            try:
                made = _tell(_Story(book, clock, work / "packages"))
                _today(book, clock)
            finally:
                book.close(backup=False)
        shutil.move(str(part), str(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return made
