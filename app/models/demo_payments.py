"""The demo county's 项目计划 and 支付审批: 40 projects approved in batches by the leading group, about
300 payment requests from January to November through the real workflow (drafted by jingban, reviewed by
shenhe, paid with a treasury voucher), real-name lists for households, and refusals kept as 退回 with their
reasons so every check can be seen at work. Deterministic: fixed dates and a seeded generator.

Runs after the 专账 step and plans what its indicators have left; at the end the treasury's data for the
paid requests (through October) is imported, so the monthly 对账 keeps the 专账 demo's own story.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks, indicators, plan, projects, real_name
from . import demo_people as dp
from . import payments as pay_ops
from .book import Book
from .demo_payments_data import ADJUSTMENT, DECISIONS, PROJECTS, TOWNS, Proj
from .errors import AppError

D = dt.date
END = D(2026, 11, 19)
SCHEDULES: dict[str, tuple[tuple[str, float], ...]] = {
    "works": (("prepayment", .30),) + (("progress", .075),) * 8 + (("settlement", .07),),
    "works_high": (("progress", .10),) * 6 + (("settlement", .07),),
    "works_32": (("prepayment", .32),) + (("progress", .075),) * 7 + (("settlement", .125),),
    "carryover": (("progress", .35), ("progress", .30), ("settlement", .28)),
    "coop_high": (("prepayment", .55), ("progress", .12), ("progress", .12), ("settlement", .12)),
    "coop": (("prepayment", .40),) + (("progress", .09),) * 5 + (("settlement", .11),),
    "household": (("household_subsidy", .15),) * 6,
    "housing": (("household_subsidy", .30),) * 3,
    "training": (("prepayment", .30),) + (("progress", .15),) * 3 + (("settlement", .20),),
    "relief": (("progress", .12), ("labour_pay", .08), ("progress", .10), ("labour_pay", .09), ("progress", .10),
               ("labour_pay", .09), ("progress", .10), ("labour_pay", .09), ("settlement", .12)),
    "relief_low": (("progress", .15), ("labour_pay", .12), ("progress", .10), ("labour_pay", .12)),
    "jobs": (("labour_pay", .10),) * 9,
    "medical": (("progress", .09),) * 10,
    "insurance": (("settlement", .95),),
    "interest": (("settlement", .22),) * 4,
    "supply": (("progress", .50), ("settlement", .45)),
    "fee": (), "none": (), "pooled": (),
}
WINDOW_END = {"carryover": D(2026, 7, 31)}
LIST_RANGES = {"housing": (15000, 30000), "jobs": (1200, 1800), "relief": (900, 2400), "relief_low": (900, 2400)}
PURPOSE = {"prepayment": "按合同支付预付款", "progress": "按工程（项目）进度支付进度款", "settlement": "项目结算款",
           "household_subsidy": "到户补助资金发放", "labour_pay": "务工群众劳务报酬发放", "retention": "质保金",
           "management_fee": "项目管理费"}


@dataclass
class Ctx:
    book: Book
    clock: Any
    rng: random.Random
    ind: dict[str, int] = field(default_factory=dict)
    proj: dict[str, int] = field(default_factory=dict)
    spec: dict[str, Proj] = field(default_factory=dict)
    payees: list[int] = field(default_factory=list)
    households: list[int] = field(default_factory=list)
    payable: dict[str, int] = field(default_factory=dict)
    pool: dict[str, list[dp.Person]] = field(default_factory=dict)
    voucher: int = 7000
    made: list[int] = field(default_factory=list)

    def as_(self, login: str) -> None:
        from .demo import as_user

        as_user(self.book, login)


def workday(day: dt.date, forward: int = 0) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    for _ in range(forward):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


def usage_of(p: Proj, kind: str) -> str:
    return {"household_subsidy": "household_subsidy", "labour_pay": "labour_pay",
            "management_fee": "management_fee", "retention": p.usage or "industry"}.get(kind, p.usage or "industry")


def request(c: Ctx, code: str, kind: str, fen: int, day: dt.date, *, stop: str = "paid", payee: int | None = None,
            usage: str | None = None, method: str = "direct", doc: str | None = None, reason: str = "",
            override: str = "", purpose: str = "", people: list[tuple[Any, ...]] | None = None,
            fix: Callable[[int], None] | None = None) -> int | None:
    """One request through the workflow as far as `stop` (draft/submitted/approved/paid); refusals by the
    rules stay 退回. Returns its id, or None when there was no room left for it."""
    p, pid = c.spec[code], c.proj[code]
    indicator = c.ind[doc or p.funding[0][0]]
    kind_rule = c.book.rules.payment_kind(kind)
    if people is None and kind_rule.real_name_list:
        low, high = LIST_RANGES.get(p.profile, (1000, 3000))
        people = dp.roster(c.rng, c.pool[p.town], fen, low, high, p.village)
        fen = dp.total(people)
    if fen < 100_00:
        return None
    who = payee if payee is not None else (None if kind_rule.real_name_list else c.payees[p.payee])
    c.as_("jingban")
    try:
        payment_id = pay_ops.draft(
            c.book, project_id=pid, indicator_id=indicator, payee_id=who, amount=fen, kind=kind,
            usage=usage or usage_of(p, kind), func_code=indicators.get(c.book, indicator)["func_code"] or "2130599",
            econ_code="30305" if kind_rule.real_name_list else "31005", method=method, draft_date=day,
            purpose=purpose or PURPOSE.get(kind, ""))
    except AppError:
        return None  # nothing left on the line or the indicator: the clerk would not file it
    c.made.append(payment_id)
    if people:
        real_name.import_list(c.book, payment_id=payment_id, file_name=f"{code}_{day:%m%d}_名册.xlsx",
                              data=dp.xlsx(people))
    advance(c, payment_id, day, stop=stop, reason=reason, override=override, fix=fix)
    return payment_id


def advance(c: Ctx, payment_id: int, day: dt.date, *, stop: str = "paid", reason: str = "", override: str = "",
            fix: Callable[[int], None] | None = None) -> None:
    """Submit (clerk), review (reviewer), mark paid (clerk) — as far as `stop`; a refusal ends it as 退回."""
    if stop == "draft":
        return
    result = _submit(c, payment_id, reason)
    if result["blocked"] and fix is not None:
        fix(payment_id)
        result = _submit(c, payment_id, reason)
    if result["blocked"] or stop == "submitted":
        return
    c.as_("shenhe")
    warned = any(o.outcome == "warn" for o in checks.evaluate(c.book, _draft(c, payment_id)))
    result = pay_ops.review(c.book, payment_id=payment_id,
                            override_note=override or ("已核实，情况属实，同意支付" if warned else ""))
    if result["blocked"] or stop == "approved":
        return
    paid_on = workday(day, 3)
    if paid_on > END:
        return
    c.as_("jingban")
    c.voucher += 1
    pay_ops.mark_paid(c.book, payment_id=payment_id, voucher_no=f"ZF{paid_on:%Y%m%d}{c.voucher:04d}", pay_date=paid_on)


def _draft(c: Ctx, payment_id: int) -> checks.Draft:
    from .payment_query import get

    p = get(c.book, payment_id)
    return checks.Draft(p["project_id"], p["indicator_id"], p["payee_id"], p["amount"], p["kind"], p["usage"],
                        p["method"], payment_id)


def _submit(c: Ctx, payment_id: int, reason: str) -> dict[str, Any]:
    c.as_("jingban")
    warned = any(o.outcome == "warn" for o in checks.evaluate(c.book, _draft(c, payment_id)))
    return pay_ops.submit(c.book, payment_id=payment_id,
                          reason=reason or ("按合同约定及项目实施进度确需支付，已附相关材料" if warned else ""))


def _plan(c: Ctx) -> None:
    """Create the 40 projects (入库), then record the decisions approving them batch by batch. Each
    project plans its share of what the indicator has left to pay (`payable`, which its requests use);
    one project per indicator also takes the rest, so every approved indicator is planned whole."""
    c.as_("jingban")
    lines: dict[str, list[tuple[int, int]]] = {}
    for p in PROJECTS:
        lines[p.code] = []
        for doc, share in p.funding:
            free = projects.unplanned(c.book, c.ind[doc])
            avail = indicators.available(c.book, c.ind[doc])
            lines[p.code].append((c.ind[doc], int(min(free, avail) * share) // 100_000 * 100_000))
        c.payable[p.code] = sum(a for _, a in lines[p.code])
    for p in sorted(PROJECTS, key=lambda x: x.absorb):
        if p.absorb:
            taken = sum(a for q in PROJECTS if not q.absorb for i, a in lines[q.code] if i == lines[p.code][0][0])
            ind = lines[p.code][0][0]
            lines[p.code] = [(ind, int(indicators.get(c.book, ind)["net_amount"]) - taken)]
        c.proj[p.code] = projects.create_project(c.book, fields=_fields(c, p), funding=lines[p.code])
        c.spec[p.code] = p
    for n, (doc_no, day, title) in enumerate(DECISIONS):
        c.clock.set(dt.datetime.combine(day, dt.time(16)))
        batch = [c.proj[p.code] for p in PROJECTS if p.decision == n]
        plan.approve_plan(c.book, project_ids=batch, decision_no=doc_no, decision_date=day, title=title)


def _fields(c: Ctx, p: Proj) -> dict[str, object]:
    approved_on = DECISIONS[p.decision][1] if p.decision >= 0 else D(2026, 10, 26)
    households = 0 if p.category == "management_fee" else c.rng.randint(40, 400)
    return {
        "code": p.code, "year": 2026, "name": p.name, "category": p.category, "construction_type": p.construction,
        "township": p.town, "village": p.village, "content": p.content,
        "subsidy_standard": "按实际工程量据实结算" if p.infra else "按县级实施方案标准执行",
        "start_date": approved_on + dt.timedelta(days=10), "end_date": D(2026, 11, 30),
        "implementer": f"{p.town}人民政府" if p.village else "示例县乡村振兴局",
        "responsible": c.rng.choice(("艾尔肯·吾斯曼", "王建军", "古丽米拉·买买提", "刘志强", "阿迪力·托合提")),
        "perf_goals": f"产出：{p.content}；效益：带动脱贫户稳定增收；满意度：受益群众满意度≥90%",
        "mechanism": "优先吸纳脱贫户和监测对象务工，收益优先用于脱贫户" if p.category != "management_fee" else "",
        "households": households, "persons": households * 4, "poor_households": households * 3 // 5,
        "poor_persons": households * 3 // 5 * 4, "infrastructure": p.infra, "work_relief": p.work_relief,
        "asset_type": p.asset, "contract_amount": c.payable[p.code] if p.infra else 0,
        "retention_bp": 300 if p.infra else 0, "bond_item": p.bond_item, "usage_exception_doc": p.exception,
    }


def _adjust(c: Ctx) -> None:
    """调整 under a new decision: XM2026-003 gains a second village, the money moved from XM2026-038."""
    c.as_("jingban")
    give, take = c.proj["XM2026-003"], c.proj["XM2026-038"]
    ind = c.ind[c.spec["XM2026-003"].funding[0][0]]
    line = projects.funding_lines(c.book, take)[0]
    moved = min(200_000_00, line["amount"] - line["committed"]) // 100_000 * 100_000
    doc, day, title = ADJUSTMENT
    plan.adjust_project(c.book, project_id=take, fields={}, funding=[(ind, line["amount"] - moved)],
                        decision_no=doc, decision_date=day, title=title,
                        reason="农资统购已按实际需求完成，结余资金调整用于庭院经济到户补助")
    current = projects.current_lines(c.book, give)
    plan.adjust_project(c.book, project_id=give, fields={"content": "扶持脱贫户发展庭院种植养殖，受益范围扩大到阿亚克村"},
                        funding=[(i, a + moved if i == ind else a) for i, a in current],
                        decision_no=doc, decision_date=day, title=title,
                        reason="阿亚克村 36 户脱贫户申请发展庭院经济，经乡镇核实后扩大受益范围")
    c.payable["XM2026-003"] += moved


def _schedule(c: Ctx) -> list[tuple[dt.date, int, Callable[[], Any]]]:
    """The ordinary requests of every project, spread from its approval to mid-November."""
    events: list[tuple[dt.date, int, Callable[[], Any]]] = []
    for p in PROJECTS:
        steps = SCHEDULES[p.profile]
        if p.decision < 0 or not steps:
            continue
        start = DECISIONS[p.decision][1] + dt.timedelta(days=12)
        span = (WINDOW_END.get(p.profile, END - dt.timedelta(days=4)) - start).days
        budget = c.payable[p.code]
        for i, (kind, share) in enumerate(steps):
            day = workday(start + dt.timedelta(days=int(span * (i + 0.3) / len(steps))))
            if day >= D(2026, 11, 10):
                stop = c.rng.choice(("paid", "paid", "approved", "approved", "submitted", "draft"))
            else:
                stop = "paid"
            fen = int(budget * share) // 10_000 * 10_000

            def run(code: str = p.code, kind: str = kind, fen: int = fen, day: dt.date = day, stop: str = stop) -> None:
                left = min(_line_left(c, code), fen)
                request(c, code, kind, left, day, stop=stop)
            events.append((day, 1, run))
    return events


def _line_left(c: Ctx, code: str) -> int:
    """What a request on the project's (first) line can still be: the line, and the indicator behind it."""
    lines = projects.funding_lines(c.book, c.proj[code])
    if not lines:
        return 0
    return max(0, min(int(lines[0]["left"]), indicators.available(c.book, int(lines[0]["indicator_id"]))))


def _close_projects(c: Ctx) -> None:
    """Projects whose settlement is paid are 已完工; the statuses move forward only."""
    c.as_("jingban")
    for pid in c.proj.values():
        project = projects.get(c.book, pid)
        settled = c.book.conn.execute("SELECT 1 FROM payments WHERE project_id = ? AND kind = 'settlement' "
                                      "AND status = 'paid'", (pid,)).fetchone()
        if settled and project["status"] == "in_progress":
            plan.advance_status(c.book, project_id=pid, status="completed")


def payments_step(book: Book, clock: Any) -> None:
    """Add the plan and the payment requests (after the 专账 step; its indicators pay them)."""
    c = Ctx(book, clock, random.Random(20260401))
    c.ind = {r["doc_no"]: int(r["id"]) for r in book.conn.execute("SELECT id, doc_no FROM indicators")}
    c.pool = dp.people(c.rng)
    c.as_("jingban")
    c.payees = dp.enterprise_payees(book)
    c.households = dp.household_payees(book, c.pool[next(iter(TOWNS))], 3)
    _plan(c)
    events = _schedule(c)
    from .demo_payments_scenarios import SCENARIOS

    events += [(day, 0, functools.partial(fn, c)) for day, fn in SCENARIOS]
    events.append((ADJUSTMENT[1], 2, lambda: _adjust(c)))
    for _day, _order, run in sorted(events, key=lambda e: (e[0], e[1])):
        run()
    _close_projects(c)
    from .demo_payments_treasury import import_paid_through_october

    import_paid_through_october(c.book, c.clock, Path(book.path))
    clock.set(dt.datetime(2026, 11, 20, 18, 0, 0))
