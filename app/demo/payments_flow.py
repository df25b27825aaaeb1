"""The demo's payment requests taken through the workflow: a request as far as a chosen stop, with refusals
fixed the way a clerk would. Shared by the demo's plan (payments.py) and its deliberate cases (payments_scenarios.py).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.demo import people as dp
from app.demo.common import as_user, working_day
from app.demo.payments_data import Proj
from app.models.ledger import indicators
from app.models.payments import checks, real_name
from app.models.payments import requests as pay_ops
from app.models.plan import projects
from app.models.store.book import Book
from app.models.values.errors import AppError

D = dt.date
END = D(2026, 11, 19)
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
        as_user(self.book, login)


workday = working_day


def when(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def review_day(day: dt.date) -> dt.date:
    """The reviewer's day for a request submitted on `day`: the next working day (payment follows two days later)."""
    return workday(day, 1)


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
    c.clock.at(when(workday(day), 9, 10 + len(c.made) % 40))  # drafted and submitted on the request's own day
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
    c.clock.at(when(workday(day), 10, payment_id % 50))
    result = _submit(c, payment_id, reason)
    if result["blocked"] and fix is not None:
        fix(payment_id)
        result = _submit(c, payment_id, reason)
    if result["blocked"] or stop == "submitted":
        return
    c.as_("shenhe")
    c.clock.at(when(review_day(day), 11, payment_id % 50))  # reviewed the next working day, before payment
    warned = any(o.outcome == "warn" for o in checks.evaluate(c.book, _draft(c, payment_id)))
    result = pay_ops.review(c.book, payment_id=payment_id,
                            override_note=override or ("已核实，情况属实，同意支付" if warned else ""))
    if result["blocked"] or stop == "approved":
        return
    paid_on = workday(day, 3)
    if paid_on > END:
        return
    c.as_("jingban")
    c.clock.at(when(paid_on, 16, payment_id % 50))  # the treasury's voucher day
    c.voucher += 1
    pay_ops.mark_paid(c.book, payment_id=payment_id, voucher_no=f"ZF{paid_on:%Y%m%d}{c.voucher:04d}", pay_date=paid_on)


def _draft(c: Ctx, payment_id: int) -> checks.Draft:
    from app.models.payments.query import get

    return checks.Draft.of(get(c.book, payment_id))


def _submit(c: Ctx, payment_id: int, reason: str) -> dict[str, Any]:
    c.as_("jingban")
    warned = any(o.outcome == "warn" for o in checks.evaluate(c.book, _draft(c, payment_id)))
    return pay_ops.submit(c.book, payment_id=payment_id,
                          reason=reason or ("按合同约定及项目实施进度确需支付，已附相关材料" if warned else ""))


def _line_left(c: Ctx, code: str) -> int:
    """What a request on the project's (first) line can still be: the line, and the indicator behind it."""
    lines = projects.funding_lines(c.book, c.proj[code])
    if not lines:
        return 0
    return max(0, min(int(lines[0]["left"]), indicators.available(c.book, int(lines[0]["indicator_id"]))))
