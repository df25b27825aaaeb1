"""The demo's deliberate cases: every payment rule refusing (or warning on) a request at least once, the
fixes that follow, voids, a concurrent over-commitment and a real-name list that had to be redone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from app.demo import people as dp
from app.demo.payments_flow import Ctx, _line_left, advance, request
from app.models.payments import checks
from app.models.payments import requests as pay_ops
from app.models.payments.query import get
from app.models.plan import decisions as plan
from app.models.plan import payees, projects
from app.models.values.errors import RowErrors

D = dt.date


def part(c: Ctx, code: str, share: float) -> int:
    """A share of what a request on the project can still be (its line and its indicator), whole 百元."""
    return int(_line_left(c, code) * share) // 10_000 * 10_000


def budget(c: Ctx, code: str) -> int:
    return c.payable[code]


def vehicle(c: Ctx) -> None:
    request(c, "XM2026-005", "progress", part(c, "XM2026-005", 0.1), D(2026, 4, 16), usage="vehicles_comms",
            purpose="购买合作社运输车辆一台")


def office_then_fixed(c: Ctx) -> None:
    """Refused for a prohibited use, corrected by the clerk, then approved and paid (the done-when flow)."""
    def fix(payment_id: int) -> None:
        p = get(c.book, payment_id)
        pay_ops.update(c.book, payment_id=payment_id, project_id=p["project_id"], indicator_id=p["indicator_id"],
                       payee_id=p["payee_id"], amount=p["amount"], kind=p["kind"], usage="rural_infrastructure",
                       func_code=p["func_code"], econ_code=p["econ_code"], method=p["method"],
                       draft_date=p["draft_date"], purpose="通村道路路基工程进度款（用途已更正）")
    request(c, "XM2026-002", "progress", part(c, "XM2026-002", 0.08), D(2026, 5, 20), usage="office_buildings",
            purpose="通村道路路基工程进度款", fix=fix)


def village_office(c: Ctx) -> None:
    request(c, "XM2026-017", "progress", part(c, "XM2026-017", 0.08), D(2026, 7, 8),
            usage="village_public_facilities", purpose="英巴格村村委会办公用房维修")


def relocation_workshop(c: Ctx) -> None:
    request(c, "XM2026-016", "progress", part(c, "XM2026-016", 0.08), D(2026, 6, 3), usage="industry",
            purpose="安置区扶贫车间缝纫设备")


def authorised(c: Ctx) -> None:
    request(c, "XM2026-027", "progress", part(c, "XM2026-027", 0.1), D(2026, 9, 22), method="authorized",
            purpose="电商服务站设备款（授权支付）")


def township_account(c: Ctx) -> None:
    request(c, "XM2026-012", "progress", part(c, "XM2026-012", 0.1), D(2026, 7, 21), method="unit_account",
            purpose="转入托格拉克乡财政所账户统一支付")


def bond_elsewhere(c: Ctx) -> None:
    request(c, "XM2026-013", "progress", 50_000_00, D(2026, 8, 12), doc="新财债〔2026〕14号", usage="industry",
            purpose="果园灌溉管道（拟用债券资金）")


def concurrent(c: Ctx) -> None:
    """Two requests that each fit alone: the one submitted first wins, the other is refused (the
    indicator has not enough left for both)."""
    code, day = "XM2026-019", D(2026, 9, 15)
    room = part(c, code, 1.0)
    first = request(c, code, "progress", room * 45 // 100 // 10_000 * 10_000, day, stop="draft")
    second = request(c, code, "progress", room, day, stop="draft", purpose="渠系改造进度款（第二标段）")
    if first:
        advance(c, first, day)
    if second:
        advance(c, second, day)


def roster_redone(c: Ctx) -> None:
    """Submitted without its list (refused), a list with a wrong ID refused whole, then the right list."""
    code, day = "XM2026-018", D(2026, 7, 2)
    p = c.spec[code]
    rows = dp.roster(c.rng, c.pool[p.town], part(c, code, 0.2), 1000, 3000, p.village)
    payment_id = request(c, code, "household_subsidy", dp.total(rows), day, people=[], stop="submitted")
    if payment_id is None:
        return
    bad = list(rows)
    name, id_number, *rest = bad[3]
    bad[3] = (name, id_number[:-1] + ("0" if id_number[-1] != "0" else "1"), *rest)
    from app.models.payments import real_name

    try:
        real_name.import_list(c.book, payment_id=payment_id, file_name="特色种植补助名册.xlsx", data=dp.xlsx(bad))
    except RowErrors:
        pass  # refused whole, naming row 5: nothing was kept
    real_name.import_list(c.book, payment_id=payment_id, file_name="特色种植补助名册（更正）.xlsx", data=dp.xlsx(rows))
    advance(c, payment_id, day)


def fee(share: float, what: str, day: dt.date) -> Callable[[Ctx], None]:
    """项目管理费: two within the 1 % cap, the third would pass it and is refused."""
    def run(c: Ctx) -> None:
        cap = c.book.rules.ratios.management_fee.threshold(checks.fee_cap_base(c.book, 2026))
        request(c, "XM2026-004", "management_fee", int(cap * share) // 10_000 * 10_000, day, purpose=what)
    return run


def retention(c: Ctx) -> None:
    """质保金 after acceptance: 5 % of the contract is refused, exactly 3 % is paid."""
    code = "XM2026-001"
    pid = c.proj[code]
    c.as_("jingban")
    for status in ("completed", "accepted"):
        p = projects.get(c.book, pid)
        if projects.status_index(c.book, status, p["year"]) > projects.status_index(c.book, p["status"], p["year"]):
            plan.advance_status(c.book, project_id=pid, status=status)
    contract = int(projects.get(c.book, pid)["contract_amount"])
    request(c, code, "retention", contract * 5 // 100, D(2026, 9, 10), purpose="质保金（按合同 5%）")
    request(c, code, "retention", contract * 3 // 100, D(2026, 9, 14), purpose="质保金（按规定 3%）")


def prepay_returned(c: Ctx) -> None:
    """A prepayment above 30 % of the contract: the reviewer sends it back; the clerk files 30 % exactly."""
    code = "XM2026-014"
    contract = int(projects.get(c.book, c.proj[code])["contract_amount"])
    first = request(c, code, "prepayment", contract * 35 // 100, D(2026, 5, 12), stop="submitted",
                    reason="冷库设备须提前订货，供货商要求预付 35%")
    if first and get(c.book, first)["status"] == "submitted":
        c.as_("shenhe")
        pay_ops.return_payment(c.book, payment_id=first, reason="预付款超过合同金额的 30%，请按合同分期支付后重报")
    request(c, code, "prepayment", contract * 30 // 100, D(2026, 5, 15), purpose="按合同支付 30% 预付款")


def labour_share(c: Ctx) -> None:
    code = "XM2026-008"
    first = request(c, code, "progress", budget(c, code) * 58 // 100 // 10_000 * 10_000, D(2026, 7, 20), stop="submitted",
                    reason="工程机械台班费用集中结算")
    if first and get(c.book, first)["status"] == "submitted":
        c.as_("shenhe")
        pay_ops.return_payment(c.book, payment_id=first,
                               reason="支付后以工代赈劳务报酬占比将低于 30%，请调整支付结构，优先发放务工群众劳务报酬")


def confirm_old_code(c: Ctx) -> None:
    c.as_("shenhe")
    row = c.book.conn.execute("SELECT id FROM payees WHERE id_check_ok = 0 AND id_confirmed_by IS NULL").fetchone()
    if row:
        payees.confirm_id(c.book, payee_id=int(row[0]))


def voids(c: Ctx) -> None:
    dup = request(c, "XM2026-022", "progress", part(c, "XM2026-022", 0.05), D(2026, 8, 18), stop="draft")
    if dup:
        c.as_("jingban")
        pay_ops.void(c.book, payment_id=dup, reason="重复录入，同一进度款已另行申请")


def void_approved(c: Ctx) -> None:
    approved = request(c, "XM2026-015", "progress", part(c, "XM2026-015", 0.05), D(2026, 6, 25), stop="approved")
    if approved and get(c.book, approved)["status"] == "approved":
        c.as_("shenhe")
        pay_ops.void(c.book, payment_id=approved, reason="收款人开户行信息变更，作废后按新账户重新申请")


def void_draft(c: Ctx) -> None:
    draft = request(c, "XM2026-012", "progress", part(c, "XM2026-012", 0.05), D(2026, 9, 3), stop="draft")
    if draft:
        c.as_("jingban")
        pay_ops.void(c.book, payment_id=draft, reason="施工合同变更，待签订补充协议后重新申请")


def one_household(c: Ctx) -> None:
    """A 建档立卡户 paid individually: the payee, and a real-name list of one."""
    payee = payees.get(c.book, c.households[0])
    person = next(p for pool in c.pool.values() for p in pool if p.id_number == payee["id_code"])
    row = (person.name, person.id_number, person.village, "3000", person.account)
    request(c, "XM2026-003", "household_subsidy", 3_000_00, D(2026, 5, 8), payee=int(payee["id"]), people=[row],
            purpose="庭院经济到户补助（个人申请）")


def pooled(c: Ctx) -> None:
    request(c, "XM2026-032", "progress", part(c, "XM2026-032", 0.3), D(2026, 11, 3), purpose="加工车间设备预订款")


SCENARIOS: list[tuple[dt.date, Callable[[Ctx], Any]]] = [
    (D(2026, 4, 10), fee(0.45, "项目前期设计及评审费", D(2026, 4, 10))),
    (D(2026, 8, 20), fee(0.40, "工程监理费", D(2026, 8, 20))),
    (D(2026, 10, 15), fee(0.20, "项目验收及审计费", D(2026, 10, 15))), (D(2026, 4, 16), vehicle), (D(2026, 5, 8), one_household),
    (D(2026, 5, 12), prepay_returned), (D(2026, 5, 20), office_then_fixed), (D(2026, 6, 3), relocation_workshop),
    (D(2026, 6, 10), confirm_old_code), (D(2026, 6, 25), void_approved), (D(2026, 7, 2), roster_redone),
    (D(2026, 7, 8), village_office), (D(2026, 7, 20), labour_share), (D(2026, 7, 21), township_account),
    (D(2026, 8, 12), bond_elsewhere), (D(2026, 8, 18), voids), (D(2026, 9, 3), void_draft),
    (D(2026, 9, 10), retention), (D(2026, 9, 15), concurrent), (D(2026, 9, 22), authorised),
    (D(2026, 11, 3), pooled),
]
