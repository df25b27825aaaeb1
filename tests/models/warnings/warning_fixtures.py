"""Helpers for the 监控预警 / 绩效目标 tests: a bureau created on 2026-01-05 whose clock the test moves,
approved projects, payees and payments taken through the real workflow."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from app.models.payments import requests as payments
from app.models.plan import decisions as plan
from app.models.plan import payees, projects
from app.models.store.book import Book
from tests.conftest import FixedClock, login_as, post_plan_notice

START = dt.datetime(2026, 1, 5, 9, 0, 0)
_serial = itertools.count(1)
REGULAR_GOALS = [
    {"level1": "产出指标", "level2": "数量指标", "name": "新建蔬菜大棚", "comparator": "≥", "target": "50", "unit": "座"},
    {"level1": "效益指标", "level2": "经济效益指标", "name": "带动脱贫户增收", "comparator": "≥", "target": "2000",
     "unit": "元/户"},
    {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "受益群众满意度", "comparator": "≥", "target": "90",
     "unit": "%"},
]


def at(clock: FixedClock, day: dt.date, hour: int = 10) -> None:
    """Move the test clock to `day` (the app refuses dates after 'today')."""
    clock.now = dt.datetime(day.year, day.month, day.day, hour, 0, 0)


def project(book: Book, indicator_id: int, amount: int, *, approve_on: dt.date | None = dt.date(2026, 3, 20),
            notice: bool = True, **fields: Any) -> int:
    """A 入库 project funded from one indicator; approved by a leading-group decision unless `approve_on` is None."""
    n = next(_serial)
    values: dict[str, Any] = {
        "code": f"XM2026{n:03d}", "year": 2026, "name": f"测试项目{n}", "category": "industry",
        "construction_type": "new", "township": "示例乡", "village": "幸福村", "content": "建设蔬菜大棚",
        "start_date": "2026-03-01", "end_date": "2026-12-31", "implementer": "示例乡人民政府", "responsible": "张三",
        "asset_type": "operating", "subsidy_standard": "每座大棚补助 3 万元", "perf_goals": "新建大棚 50 座",
        "mechanism": "优先吸纳脱贫户务工，带动增收"}
    values.update(fields)
    pid = projects.create_project(book, fields=values, funding=[(indicator_id, amount)])
    if approve_on is not None:
        plan.approve_plan(book, project_ids=[pid], decision_no=f"示扶组〔2026〕{n}号", decision_date=approve_on)
        if notice:  # 事前公示: the plan notice a payment needs (on the board the minimum days before it)
            post_plan_notice(book, pid, approve_on)
    return pid


def payee(book: Book) -> int:
    return int(payees.create_payee(book, payee_type="enterprise", name="示例县富民种养殖农民专业合作社",
                                   id_code="91350100M000100Y43", account_no="6228480088012345671",
                                   bank="中国农业银行示例县支行")["id"])


def pay(book: Book, *, project_id: int, indicator_id: int, payee_id: int | None, amount: int, day: dt.date,
        kind: str = "progress", usage: str = "industry", paid: bool = True) -> int:
    """Draft and submit as the clerk; review as the reviewer; mark paid (unless `paid` is False)."""
    login_as(book, "clerk")
    pid = payments.draft(book, project_id=project_id, indicator_id=indicator_id, payee_id=payee_id, amount=amount,
                         kind=kind, usage=usage, func_code="2130505", econ_code="31005", method="direct", draft_date=day)
    result = payments.submit(book, payment_id=pid, reason="测试")
    if result["blocked"] or not paid:
        return pid
    login_as(book, "reviewer")
    payments.review(book, payment_id=pid, override_note="测试确认")
    payments.mark_paid(book, payment_id=pid, voucher_no=f"ZF{day:%Y%m%d}{next(_serial):04d}", pay_date=day)
    login_as(book, "clerk")
    return pid
