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
from pathlib import Path
from typing import Any

from app.demo import claims
from app.demo import people as dp
from app.demo.payments_data import ADJUSTMENT, DECISIONS, PROJECTS, TOWNS, Proj
from app.demo.payments_flow import END, Ctx, D, _line_left, request, when, workday
from app.demo.payments_scenarios import SCENARIOS
from app.models.ledger import indicators
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store.book import Book

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
        c.clock.at(when(_entered_on(c, p, lines[p.code]), 10, len(c.proj)))
        c.proj[p.code] = projects.create_project(c.book, fields=_fields(c, p), funding=lines[p.code])
        c.spec[p.code] = p
    for n, (doc_no, day, title) in enumerate(DECISIONS):
        c.clock.at(when(day, 16))
        batch = [c.proj[p.code] for p in PROJECTS if p.decision == n]
        plan.approve_plan(c.book, project_ids=batch, decision_no=doc_no, decision_date=day, title=title)
        claims.post_plan_notices(c.book, batch, day)  # 事前公示 (issue #18): the notice a payment needs


def _entered_on(c: Ctx, p: Proj, lines: list[tuple[int, int]]) -> dt.date:
    """The day the clerk put the project into the 项目库: three weeks before the decision approving it (still
    入库 ones: in October), not before the documents of the money it plans were received."""
    decided = DECISIONS[p.decision][1] if p.decision >= 0 else D(2026, 10, 26)
    received = max(dt.date.fromisoformat(str(indicators.get(c.book, i)["received_date"])) for i, _ in lines)
    return min(decided, max(workday(decided - dt.timedelta(days=21)), workday(received, 1)))


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

    events += [(day, 0, functools.partial(fn, c)) for day, fn in SCENARIOS]
    events += [(day, 1, functools.partial(fn, c)) for day, fn in claims.SCENARIOS]  # issue #18's October cases
    events.append((ADJUSTMENT[1], 2, lambda: _adjust(c)))
    for day, _order, run in sorted(events, key=lambda e: (e[0], e[1])):
        c.clock.at(when(workday(day), 8, 40))  # each request then sets its own submission, review and payment times
        run()
    _close_projects(c)
    from app.demo.payments_treasury import import_paid_through_october

    import_paid_through_october(c.book, c.clock, Path(book.path))
    clock.set(dt.datetime(2026, 11, 20, 18, 0, 0))
