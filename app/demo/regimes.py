"""A second, small demo county whose books span the change of regime (issue 17): 2020 under xj-2019
(财政扶贫资金), 2021 on under xj-2021 (衔接资金), assigned by the chief with a reason.

The same kind of payment — 统筹整合资金 for 农村人居环境整治 — is refused when it draws on 2020 money (the 2019
negative list, no leading-group exception) and approved and paid when it draws on 2021 money. Built with the
business operations only, on its own fixed clock (the main demo's clock is not touched).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from app.demo.common import PASSWORD, DemoClock, as_user
from app.models.ledger import indicators
from app.models.payments import checks
from app.models.payments import requests as payments
from app.models.plan import decisions, payees, projects
from app.models.store import rule_sets, setup, users
from app.models.values import ids

D = dt.date
BUREAU = {"bureau_name": "示例二县财政局", "region_code": "659902", "level": "county"}
START = dt.datetime(2021, 6, 1, 9, 0, 0)
REASON = "财农〔2021〕19号：2021 年起财政专项扶贫资金调整为衔接资金，2021 年度起按 xj-2021 管理"
STAFF = [("shenhe", "李红梅", "reviewer"), ("jingban", "阿依古丽·买买提", "clerk")]


def _uscc(seq: int) -> str:
    body = f"91659002MA{seq:07d}"
    return body + ids.uscc_check_char(body)


def build_regimes(path: Path | str) -> dict[str, int]:
    """Create the two-regime demo file at `path`; returns the ids of the refused and the paid payment."""
    path = Path(path)
    clock = DemoClock(START)
    book = setup.create(path, chief_login="juzhang", chief_name="王建国", chief_password=PASSWORD, clock=clock,
                        **BUREAU)
    try:
        for login, name, role in STAFF:
            users.add_user(book, login=login, name=name, role=role, password=PASSWORD, section="扶贫资金管理股")
        rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason=REASON)
        as_user(book, "jingban")
        old = indicators.register(
            book, doc_no="新财农〔2020〕35号", year=2020, kind="ZH", item="ZH01", source_level="central",
            amount=800_000_00, received_date=D(2020, 4, 10), upper_doc_date=D(2020, 4, 1),
            prefecture_doc_date=D(2020, 4, 7), func_code="2130505", section="扶贫资金管理股",
            title="2020年中央财政农业生产发展资金（统筹整合）")
        new = indicators.register(
            book, doc_no="新财农〔2021〕12号", year=2021, kind="ZH", item="ZH01", source_level="central",
            amount=900_000_00, received_date=D(2021, 3, 12), upper_doc_date=D(2021, 3, 2),
            prefecture_doc_date=D(2021, 3, 8), func_code="2130504", section="扶贫资金管理股",
            title="2021年中央财政农业生产发展资金（统筹整合）")
        fields = {"code": "XM2021-001", "year": 2021, "name": "托万克村人居环境整治项目", "category": "infrastructure",
                  "construction_type": "new", "township": "城关镇", "village": "托万克村",
                  "content": "村内户厕改造 120 户、垃圾收集点 6 处", "start_date": "2021-05-10", "end_date": "2021-10-31",
                  "implementer": "城关镇人民政府", "responsible": "吐尔逊", "asset_type": "public"}
        pid = projects.create_project(book, fields=fields, funding=[(old, 300_000_00), (new, 300_000_00)])
        payee = int(payees.create_payee(book, payee_type="enterprise", name="示例二县环境工程有限公司",
                                        id_code=_uscc(1), account_no="6222000000000001", bank="中国农业银行示例二县支行")["id"])
        # the clerk records the leading group's decision (as in the main demo)
        decisions.approve_plan(book, project_ids=[pid], decision_no="示二乡振组〔2021〕3号", decision_date=D(2021, 5, 6))
        from app.demo.claims import post_plan_notices

        post_plan_notices(book, [pid], D(2021, 5, 6))  # 事前公示 (issue #18): up 10 days before the June payments
        common: dict[str, Any] = {"project_id": pid, "payee_id": payee, "amount": 120_000_00, "kind": "progress",
                  "usage": "rural_environment", "func_code": "2130504", "econ_code": "31005", "method": "direct",
                  "draft_date": D(2021, 6, 1)}
        refused = payments.draft(book, indicator_id=old, purpose="户厕改造进度款（动用 2020 年整合资金）", **common)
        allowed = payments.draft(book, indicator_id=new, purpose="户厕改造进度款（动用 2021 年整合资金）", **common)
        payments.submit(book, payment_id=refused)  # stored with the failed check: 2019's negative list
        payments.submit(book, payment_id=allowed)
        as_user(book, "shenhe")
        payments.review(book, payment_id=allowed)
        as_user(book, "jingban")
        clock.set(dt.datetime(2021, 6, 3, 10, 0))
        payments.mark_paid(book, payment_id=allowed, voucher_no="ZF202106030001", pay_date=D(2021, 6, 3))
        outcome = {o["rule"]: o["outcome"] for o in checks.stored(book, refused)}
        assert outcome.get("usage") == "fail", outcome  # the demo's point; a change of rules must not silently drop it
    except BaseException:
        book.close(backup=False)
        path.unlink(missing_ok=True)
        raise
    book.close(backup=False)
    return {"refused": refused, "allowed": allowed}
