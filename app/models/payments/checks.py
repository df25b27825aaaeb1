"""The payment checks (DOMAIN §4.4 items 1–7, plus the 项目管理费 cap, the 以工代赈 labour share and
the 质保金 limit): evaluated on submit and again on review, each outcome stored with the payment.

Every ratio, list and switch comes from the rule set; a ratio marked `soft` ("原则上") gives a warning
that needs the clerk's written reason and the reviewer's override, any other failure blocks.
`evaluate` only reads; `preview` is what the draft form shows while the clerk types.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.models.ledger import indicators
from app.models.plan import projects
from app.models.plan.fields import percent
from app.models.rules.schema import PaymentKind, Ratio, RatioRule, RuleSet
from app.models.store.book import Book
from app.models.values import ids
from app.models.values.errors import AppError
from app.models.values.money import format as fmt
from app.models.values.money import ratio_percent

IN_FLIGHT = ("submitted", "approved")  # not yet in the ledger, but already promised
COMMITTED = projects.COMMITTED
RULES: dict[str, str] = {
    "plan": "列入领导小组审定的项目计划",
    "usage": "支出用途符合资金性质",
    "indicator_balance": "不超过指标可用余额",
    "project_balance": "不超过项目该来源的计划安排",
    "direct_payment": "财政直接支付到合规收款人",
    "payee_id": "收款人证件校验",
    "bond_project": "债券资金只用于申报的债券项目",
    "prepayment": "预付款比例",
    "infra_prepayment": "基础建设类项目预付款比例",
    "real_name": "实名制发放名册",
    "management_fee": "项目管理费限额",
    "labour_share": "以工代赈劳务报酬占比",
    "retention": "质保金比例",
    "notice_order": "事前公示满规定天数",
}


@dataclass(frozen=True)
class Draft:
    """What a payment request says; `payment_id` when it is stored (excluded from the sums)."""

    project_id: int
    indicator_id: int
    payee_id: int | None
    amount: int
    kind: str
    usage: str
    method: str
    payment_id: int | None = None

    @classmethod
    def of(cls, payment: Mapping[str, Any]) -> Draft:
        """A stored request (a `payments` row, or `query.get`'s dict) as the checks read it."""
        return cls(int(payment["project_id"]), int(payment["indicator_id"]),
                   None if payment["payee_id"] is None else int(payment["payee_id"]), int(payment["amount"]),
                   str(payment["kind"]), str(payment["usage"]), str(payment["method"]), int(payment["id"]))


@dataclass(frozen=True)
class Outcome:
    rule: str
    outcome: str  # pass | fail | warn
    actual: str
    limit: str
    message: str
    label: str = ""  # the rule's name when it is not one of RULES (a rule set's own ratio rule)

    @property
    def name(self) -> str:
        return self.label or RULES.get(self.rule, self.rule)


@dataclass
class Ctx:
    book: Book
    d: Draft
    kind: PaymentKind
    project: dict[str, Any]
    indicator: dict[str, Any]
    payee: dict[str, Any] | None
    rules: RuleSet  # the rule set of the indicator's fiscal year: the year this money and payment concern
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.book.conn

    def scalar(self, sql: str, args: Iterable[Any]) -> int:
        return int(self.conn.execute(sql, tuple(args)).fetchone()[0] or 0)


def scope_of(rules: RuleSet | Book, base: str) -> tuple[set[str] | None, set[str] | None]:
    """Which source levels and fund kinds a ratio's base names (e.g. 中央财政专项扶贫资金 → central, ZX):
    read from the rule set's own names, so a new policy's names work without a code change. Given a Book (older
    callers): its current year's set."""
    if isinstance(rules, Book):
        rules = rules.rules
    levels = {s.code for s in rules.source_levels if s.name in base}
    kinds = {k.code for k in rules.kinds if k.name in base}
    return levels or None, kinds or None


def _in(col: str, values: set[str] | None) -> tuple[str, list[str]]:
    if values is None:
        return "1", []
    return f"{col} IN ({','.join('?' * len(values))})", sorted(values)


def _ratio_outcome(rule: str, ratio: Ratio, part: int, whole: int, what: str) -> Outcome:
    shown = f"{fmt(part)} 元（{ratio_percent(part, whole)}）"
    limit = f"{'≤' if ratio.bound == 'max' else '≥'} {percent(ratio.value)} × {fmt(whole)} 元 = {fmt(ratio.threshold(whole))} 元"
    if not ratio.breached(part, whole):
        return Outcome(rule, "pass", shown, limit, f"{what}{ratio_percent(part, whole)}，符合{ratio.name}要求")
    principle = "原则上" if ratio.soft else ""
    side = "不超过" if ratio.bound == "max" else "不低于"
    return Outcome(rule, "warn" if ratio.soft else "fail", shown, limit,
                   f"{what}{ratio_percent(part, whole)}，{principle}应{side}{ratio.base}的 {percent(ratio.value)}")


def _na(rule: str, why: str) -> Outcome:
    return Outcome(rule, "pass", "", "", f"不适用：{why}")


# -- the rules --------------------------------------------------------------------------------------


def check_plan(c: Ctx) -> Outcome:
    p = c.project
    if p["decision_id"] is None or projects.phase(c.book, p) in ("pool", ""):
        return Outcome("plan", "fail", p["status_name"], "已审定",
                       f"项目 {p['code']} 未经{c.rules.labels.leading_group}审定（当前“{p['status_name']}”），不能支付")
    return Outcome("plan", "pass", f"{p['decision_no']}（{p['decision_date']}）", "已审定",
                   f"项目已经领导小组决定 {p['decision_no']}（{p['decision_date']}）审定，现行第 {p['version']} 版")


def check_usage(c: Ctx) -> Outcome:
    rules, ind = c.rules, c.indicator
    kind = rules.kind(ind["kind"])
    try:
        usage = rules.usage_category(c.d.usage)
    except AppError:
        return Outcome("usage", "fail", c.d.usage, "", f"规则集中没有支出用途“{c.d.usage}”")
    if kind.poverty_use_optional and not ind["poverty_use"]:
        return _na("usage", f"{kind.name}未用于脱贫攻坚，按原渠道管理")
    exception = bool(c.project["usage_exception_doc"])
    if rules.usage_allowed(kind.code, usage.code, zh_exception=exception):
        extra = f"（依据领导小组决定 {c.project['usage_exception_doc']} 的例外使用）" if exception and \
            not rules.usage_allowed(kind.code, usage.code) else ""
        return Outcome("usage", "pass", usage.name, kind.name, f"{kind.name}可以支付“{usage.name}”{extra}")
    listed = "只能用于" + "、".join(rules.usage_category(u).name for u in kind.usage) if kind.usage_mode == "allow" \
        else "不得用于该用途（负面清单）"
    return Outcome("usage", "fail", usage.name, kind.name, f"{kind.name}{listed}，不能支付“{usage.name}”")


def indicator_left(c: Ctx) -> int:
    """Available on the indicator (ledger) minus requests submitted or approved but not yet paid."""
    if "ind_left" not in c.cache:
        in_flight = c.scalar(
            "SELECT sum(amount) FROM payments WHERE indicator_id = ? AND status IN (?, ?) AND id IS NOT ?",
            (c.d.indicator_id, *IN_FLIGHT, c.d.payment_id))
        c.cache["ind_left"] = int(c.indicator["available"]) - in_flight
    return int(c.cache["ind_left"])


def check_indicator(c: Ctx) -> Outcome:
    left = indicator_left(c)
    limit = f"{fmt(left)} 元"
    if c.d.amount <= left:
        return Outcome("indicator_balance", "pass", f"{fmt(c.d.amount)} 元", limit,
                       f"指标 {c.indicator['doc_no']} 支付后剩余 {fmt(left - c.d.amount)} 元")
    return Outcome("indicator_balance", "fail", f"{fmt(c.d.amount)} 元", limit,
                   f"超过指标 {c.indicator['doc_no']} 的可用余额 {fmt(max(left, 0))} 元（已扣除已提交、已审核未支付的申请）")


def line_left(c: Ctx) -> int | None:
    if "line_left" not in c.cache:
        line = projects.line_amount(c.conn, c.d.project_id, c.d.indicator_id)
        c.cache["line"] = line
        c.cache["line_left"] = None if line is None else \
            line - projects.line_committed(c.conn, c.d.project_id, c.d.indicator_id, exclude=c.d.payment_id)
    return c.cache["line_left"]  # type: ignore[no-any-return]


def check_project_line(c: Ctx) -> Outcome:
    left = line_left(c)
    if left is None:
        return Outcome("project_balance", "fail", c.indicator["doc_no"], "",
                       f"项目 {c.project['code']} 的资金来源中没有指标 {c.indicator['doc_no']}")
    if c.d.amount <= left:
        return Outcome("project_balance", "pass", f"{fmt(c.d.amount)} 元", f"{fmt(left)} 元",
                       f"项目在该指标上的安排支付后剩余 {fmt(left - c.d.amount)} 元")
    return Outcome("project_balance", "fail", f"{fmt(c.d.amount)} 元", f"{fmt(left)} 元",
                   f"超过项目在指标 {c.indicator['doc_no']} 上尚未使用的计划安排 {fmt(max(left, 0))} 元")


def check_direct(c: Ctx) -> Outcome:
    rules = c.rules
    try:
        method = rules.payment_method(c.d.method)
    except AppError:
        return Outcome("direct_payment", "fail", c.d.method, "", f"规则集中没有支付方式“{c.d.method}”")
    allowed = "、".join(m.name for m in rules.payment.methods if rules.method_allowed(m.code))
    if not rules.method_allowed(method.code):
        return Outcome("direct_payment", "fail", method.name, allowed,
                       f"{c.rules.labels.fund_family}不得采用“{method.name}”，只能{allowed}到最终收款人")
    if c.payee is None:
        if c.kind.real_name_list:
            return Outcome("direct_payment", "pass", method.name, allowed, "按实名制发放名册直接支付到个人账户")
        return Outcome("direct_payment", "fail", "未选择", "收款人", "请选择收款人（企业、个体工商户或建档立卡户）")
    if not c.payee["active"]:
        return Outcome("direct_payment", "fail", c.payee["name"], "", f"收款人“{c.payee['name']}”已停用")
    if c.payee["payee_type"] not in {t.code for t in rules.payment.payee_types}:
        return Outcome("direct_payment", "fail", c.payee["payee_type"], "", "收款人类型不在规则集允许的范围内")
    return Outcome("direct_payment", "pass", method.name, allowed,
                   f"{method.name}到{c.payee['payee_type_name']}“{c.payee['name']}”")


def check_payee_id(c: Ctx) -> Outcome:
    p = c.payee
    if p is None:
        return _na("payee_id", "无单一收款人")
    if p["id_check_ok"]:
        return Outcome("payee_id", "pass", p["id_code"], "", "证件号码校验通过")
    if p["id_confirmed_by"]:
        return Outcome("payee_id", "pass", p["id_code"], "", f"校验码不符，已由审核人于 {p['id_confirmed_at']} 确认")
    ptype = c.rules.payee_type(p["payee_type"])
    failure = c.rules.id_type(ptype.id_type).on_check_failure
    return Outcome("payee_id", "warn" if failure == "warn" else "fail", p["id_code"], "校验码",
                   "统一社会信用代码校验码不符，须审核人核实确认")


def check_bond(c: Ctx) -> Outcome:
    ind = c.indicator
    if not c.rules.is_bond(ind["kind"], ind["item"]):
        return _na("bond_project", "非债券资金")
    declared = c.project["bond_item"]
    if declared == ind["item"]:
        return Outcome("bond_project", "pass", declared, ind["item"], f"债券资金用于申报的债券项目 {declared}")
    return Outcome("bond_project", "fail", declared or "无", ind["item"],
                   f"债券资金（{ind['item_name']}）只能用于申报的债券项目，本项目申报的是“{declared or '无'}”，不得自行调整用途")


def _kind_codes(rules: RuleSet, flag: str) -> list[str]:
    return [k.code for k in rules.payment.kinds if getattr(k, flag)]


def _project_sum(c: Ctx, kinds: list[str]) -> int:
    if not kinds:
        return 0
    return c.scalar(
        f"SELECT sum(amount) FROM payments WHERE project_id = ? AND kind IN ({','.join('?' * len(kinds))}) "
        f"AND status IN (?, ?, ?) AND id IS NOT ?", (c.d.project_id, *kinds, *COMMITTED, c.d.payment_id))


def prepaid_after(c: Ctx) -> int:
    own = c.d.amount if c.kind.prepayment else 0
    return _project_sum(c, _kind_codes(c.rules, "prepayment")) + own


def check_prepayment(c: Ctx) -> Outcome:
    if not c.kind.prepayment:
        return _na("prepayment", f"{c.kind.name}不是预付款")
    return _ratio_outcome("prepayment", c.rules.ratios.prepayment, prepaid_after(c), int(c.project["total"]),
                          "项目预付款累计占项目资金")


def check_infra_prepayment(c: Ctx) -> Outcome:
    ratio = c.rules.ratios.infra_prepayment
    if not c.kind.prepayment:
        return _na("infra_prepayment", f"{c.kind.name}不是预付款")
    if not c.project["infrastructure"]:
        return _na("infra_prepayment", "非基础建设类项目")
    if not c.project["contract_amount"]:
        return Outcome("infra_prepayment", "warn" if ratio.soft else "fail", "未登记", ratio.base,
                       "基础建设类项目未登记合同金额，无法核对预付款比例")
    return _ratio_outcome("infra_prepayment", ratio, prepaid_after(c), int(c.project["contract_amount"]),
                          "预付款累计占合同金额")


def check_retention(c: Ctx) -> Outcome:
    ratio = c.rules.ratios.retention
    if not c.kind.retention:
        return _na("retention", f"{c.kind.name}不是质保金")
    used = _project_sum(c, _kind_codes(c.rules, "retention")) + c.d.amount
    settled = c.conn.execute("SELECT amount, doc_no FROM project_settlements WHERE project_id = ?",
                             (c.d.project_id,)).fetchone()
    if settled is not None:  # the settled price (工程结算价) once recorded: the base the rule names
        return _ratio_outcome("retention", ratio, used, int(settled["amount"]), f"质保金累计占工程结算价（{settled['doc_no']}）")
    if not c.project["contract_amount"]:
        return Outcome("retention", "warn" if ratio.soft else "fail", "未登记", ratio.base,
                       "项目未登记合同金额或工程结算价，无法核对质保金比例")
    return _ratio_outcome("retention", ratio, used, int(c.project["contract_amount"]), "质保金累计占合同金额（尚未登记结算价）")


def fee_cap_base(book: Book, year: int) -> int:
    """What the 项目管理费 ratio is taken of: net amount of the year's indicators its base names (that year's rules)."""
    levels, kinds = scope_of(book.rules_for(year), book.rules_for(year).ratios.management_fee.base)
    lw, la = _in("i.source_level", levels)
    kw, ka = _in("i.kind", kinds)
    row = book.conn.execute(
        f"SELECT sum(e.sign * e.amount) FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
        f"WHERE e.side = 'income' AND i.year = ? AND {lw} AND {kw}", (year, *la, *ka)).fetchone()
    return int(row[0] or 0)


def check_management_fee(c: Ctx) -> Outcome:
    if not c.kind.management_fee:
        return _na("management_fee", f"{c.kind.name}不是项目管理费")
    year = int(c.indicator["year"])
    kinds = _kind_codes(c.rules, "management_fee")
    used = c.scalar(
        f"SELECT sum(y.amount) FROM payments y JOIN indicators i ON i.id = y.indicator_id WHERE i.year = ? "
        f"AND y.kind IN ({','.join('?' * len(kinds))}) AND y.status IN (?, ?, ?) AND y.id IS NOT ?",
        (year, *kinds, *COMMITTED, c.d.payment_id)) + c.d.amount
    return _ratio_outcome("management_fee", c.rules.ratios.management_fee, used, fee_cap_base(c.book, year),
                          f"{year} 年项目管理费累计占{c.rules.ratios.management_fee.base}")


def check_labour(c: Ctx) -> Outcome:
    ratio = c.rules.ratios.labour_share
    if not c.project["work_relief"]:
        return _na("labour_share", "非以工代赈项目")
    levels, _kinds = scope_of(c.rules, ratio.base)
    if levels is not None and c.indicator["source_level"] not in levels:
        return _na("labour_share", f"不是{ratio.base}")
    if c.kind.labour:
        return _na("labour_share", "本笔即为劳务报酬")
    lw, la = _in("i.source_level", levels)
    base = c.scalar(f"SELECT sum(f.amount) FROM project_funding f JOIN indicators i ON i.id = f.indicator_id "
                    f"WHERE f.project_id = ? AND {lw}", (c.d.project_id, *la))
    labour = _kind_codes(c.rules, "labour") or ["-"]
    other = c.scalar(
        f"SELECT sum(y.amount) FROM payments y JOIN indicators i ON i.id = y.indicator_id WHERE y.project_id = ? "
        f"AND y.kind NOT IN ({','.join('?' * len(labour))}) AND y.status IN (?, ?, ?) AND y.id IS NOT ? AND {lw}",
        (c.d.project_id, *labour, *COMMITTED, c.d.payment_id, *la)) + c.d.amount
    return _ratio_outcome("labour_share", ratio, max(base - other, 0), base, "支付后劳务报酬最多只能占")


def check_real_name(c: Ctx) -> Outcome:
    if not c.kind.real_name_list:
        return _na("real_name", f"{c.kind.name}不需要实名制名册")
    if c.d.payment_id is None:
        return Outcome("real_name", "fail", "未导入", "名册", "须导入实名制发放名册（保存草稿后导入）")
    rows = c.conn.execute("SELECT row_no, name, id_number, amount FROM real_name_lines WHERE payment_id = ? "
                          "ORDER BY row_no", (c.d.payment_id,)).fetchall()
    if not rows:
        return Outcome("real_name", "fail", "未导入", "名册", "未附实名制发放名册")
    seen: set[str] = set()
    for r in rows:
        if not ids.is_valid_id_number(r["id_number"]):
            return Outcome("real_name", "fail", r["id_number"], "", f"名册第 {r['row_no']} 行 {r['name']} 的身份证号无效")
        if r["id_number"] in seen:
            return Outcome("real_name", "fail", r["id_number"], "", f"名册第 {r['row_no']} 行 {r['name']} 重复")
        seen.add(r["id_number"])
    total = sum(int(r["amount"]) for r in rows)
    if total != c.d.amount:
        return Outcome("real_name", "fail", f"{fmt(total)} 元", f"{fmt(c.d.amount)} 元",
                       f"名册合计 {fmt(total)} 元与支付金额 {fmt(c.d.amount)} 元不符")
    return Outcome("real_name", "pass", f"{len(rows)} 人，{fmt(total)} 元", f"{fmt(c.d.amount)} 元",
                   f"名册 {len(rows)} 人，身份证号全部有效，合计与支付金额一致")


def notice_ready_on(book: Book, project_id: int, rules: RuleSet | None = None) -> tuple[str | None, dict[str, Any] | None]:
    """(the first day the project's money may be paid, the notice that allows it): the earliest-starting notice of
    the required kind and levels, started on or after the plan's first approval, that has been (or, if still up,
    will have been) on the board the minimum days — or (None, None) when there is none. A notice taken down early
    never counts."""
    order = (rules or book.rules).notice_order
    levels = order.required_levels
    row = book.conn.execute(
        f"""SELECT n.id, n.level, n.place, n.start_date, n.end_date, n.title,
                   date(n.start_date, '+' || ? || ' days') AS ready
            FROM notices n
            WHERE n.object_type = 'project' AND n.object_id = ? AND n.kind = ? AND n.level IN ({','.join('?' * len(levels))})
              AND n.start_date >= coalesce((SELECT min(d.decision_date) FROM plan_versions v
                                            JOIN plan_decisions d ON d.id = v.decision_id WHERE v.project_id = ?), '')
              AND (n.end_date IS NULL OR julianday(n.end_date) - julianday(n.start_date) + 1 >= ?)
            ORDER BY n.start_date, n.id LIMIT 1""",
        (order.min_days, project_id, order.required_kind, *levels, project_id, order.min_days)).fetchone()
    return (row["ready"], dict(row)) if row else (None, None)


def check_notice_order(c: Ctx) -> Outcome:
    """事前公示: the project's plan notice must have been on the board the rule set's minimum days before its money
    is paid (DOMAIN §4.6; rules [notice_order]); a hard check, unless the chief recorded an exception."""
    order, book = c.rules.notice_order, c.book
    if c.project["decision_id"] is None:
        return _na("notice_order", "项目尚未审定（见“列入审定的项目计划”）")
    # the request's own date (what its approval form prints; it is paid on or after it), or today for a new form
    row = c.conn.execute("SELECT draft_date FROM payments WHERE id = ?", (c.d.payment_id,)).fetchone() \
        if c.d.payment_id else None
    today = row["draft_date"] if row else book.today().isoformat()
    ready, notice = notice_ready_on(book, c.d.project_id, c.rules)
    kind = next((k.name for k in c.rules.notices.kinds if k.code == order.required_kind), order.required_kind)
    limit = f"公示满 {order.min_days} 天后（{order.basis}）"
    if ready is not None and notice is not None and ready <= today:
        return Outcome("notice_order", "pass", f"{notice['start_date']} 起公示", limit,
                       f"{kind}公告 {notice['start_date']} 起公示，{ready} 起可以支付（申请日期 {today}）")
    shown = f"{notice['start_date']} 起公示，{ready} 方满 {order.min_days} 天" if notice else f"没有有效的{kind}公告"
    exc = book.conn.execute(
        "SELECT e.doc_no, e.reason, e.granted_on, coalesce(u.name, '') AS by_name FROM notice_exceptions e "
        "LEFT JOIN users u ON u.id = e.granted_by WHERE e.project_id = ?", (c.d.project_id,)).fetchone()
    if exc is not None:
        return Outcome("notice_order", "warn", shown, limit,
                       f"{shown}；按例外支付：{exc['by_name']} {exc['granted_on']} 依 {exc['doc_no']} 登记（{exc['reason']}）")
    return Outcome("notice_order", "fail", shown, limit,
                   f"项目 {c.project['code']} 至申请日期 {today} 事前公示未满 {order.min_days} 天（{shown}），不能支付；"
                   f"确需先行支付的，由局长登记例外（文号、理由）")


RATIO_PREFIX = "ratio:"  # the stored rule of a rule set's own per-payment ratio: "ratio:<code>"


def _filters(selector: str) -> dict[str, str]:
    """The filters of `project_paid[payment_kind=…, usage=…]` (the loader has checked them)."""
    inside = selector.partition("[")[2].rstrip("]")
    return {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in inside.split(",") if p.strip())}


def _matches(c: Ctx, filters: dict[str, str]) -> bool:
    return filters.get("payment_kind", c.d.kind) == c.d.kind and filters.get("usage", c.d.usage) == c.d.usage


def _paid_after(c: Ctx, selector: str) -> int:
    """The project's payments (paid and in flight, this one excepted) that `selector` picks, plus this one if it
    is picked: the amount after this payment."""
    f = _filters(selector)
    columns = {"payment_kind": "kind", "usage": "usage"}
    where = "".join(f" AND {columns[name]} = ?" for name in columns if name in f)
    args = [f[name] for name in columns if name in f]
    before = c.scalar(f"SELECT sum(amount) FROM payments WHERE project_id = ? AND status IN (?, ?, ?) AND id IS NOT ?"
                      f"{where}", (c.d.project_id, *COMMITTED, c.d.payment_id, *args))
    return before + (c.d.amount if _matches(c, f) else 0)


def check_ratio_rule(c: Ctx, rule: RatioRule) -> Outcome:
    """One of the year's set's own per-payment ratio rules ([[ratio_rules]] scope = "payment", issue #17): the
    project's payments it picks, after this one, against the denominator it names. A cap concerns only the payments
    it counts; a minimum every payment of the project (paying something else lowers the share)."""
    name, ratio = RATIO_PREFIX + rule.code, rule.ratio
    if ratio.bound == "max" and not _matches(c, _filters(rule.numerator)):
        return _na(name, f"{rule.ratio.name}：本笔支付不计入")
    part = _paid_after(c, rule.numerator)
    if rule.denominator == "project.total":
        whole = int(c.project["total"])
    elif rule.denominator == "project.contract":
        whole = int(c.project["contract_amount"] or 0)
        if not whole:
            return Outcome(name, "warn" if ratio.soft else "fail", "未登记", ratio.base,
                           f"项目未登记合同金额，无法核对{ratio.name}")
    else:
        whole = _paid_after(c, rule.denominator)
    if whole <= 0:
        return _na(name, f"{ratio.name}：{ratio.base}为 0")
    return dataclasses.replace(_ratio_outcome(name, ratio, part, whole, rule.message), label=ratio.name)


def check_ratio_rules(c: Ctx) -> list[Outcome]:
    """Every per-payment ratio rule of the indicator's year's set, in file order."""
    return [check_ratio_rule(c, rule) for rule in c.rules.ratios.per_payment]


CHECKS = (check_plan, check_usage, check_indicator, check_project_line, check_direct, check_payee_id, check_bond,
          check_prepayment, check_infra_prepayment, check_real_name, check_management_fee, check_labour,
          check_retention, check_notice_order)


def context(book: Book, d: Draft) -> Ctx:
    from app.models.plan import payees

    indicator = indicators.get(book, d.indicator_id)
    rules = book.rules_for(int(indicator["year"]))  # the indicator's fiscal year governs its money
    return Ctx(book, d, rules.payment_kind(d.kind), projects.get(book, d.project_id), indicator,
               payees.get(book, d.payee_id) if d.payee_id else None, rules)


def evaluate(book: Book, d: Draft) -> list[Outcome]:
    """Every rule, in a fixed order; reads only."""
    c = context(book, d)
    return [check(c) for check in CHECKS] + check_ratio_rules(c)


def preview(book: Book, draft_fields: dict[str, Any]) -> dict[str, Any]:
    """What the draft form shows while typing: what is left on the indicator and on the project line
    after this payment, the prepayment ratio after it, and every check's outcome."""
    d = Draft(**{k: draft_fields.get(k) for k in Draft.__dataclass_fields__})  # type: ignore[arg-type]
    c = context(book, d)
    outcomes = [check(c) for check in CHECKS] + check_ratio_rules(c)
    ind_left, p_left = indicator_left(c), line_left(c)
    total = int(c.project["total"])
    return {
        "indicator_left": ind_left, "indicator_left_after": ind_left - d.amount,
        "line_amount": c.cache.get("line"), "line_left": p_left,
        "line_left_after": None if p_left is None else p_left - d.amount,
        "prepaid_after": prepaid_after(c), "project_total": total,
        "prepayment_ratio_after": ratio_percent(prepaid_after(c), total),
        "outcomes": outcomes, "blocked": any(o.outcome == "fail" for o in outcomes),
        "warned": any(o.outcome == "warn" for o in outcomes),
    }


def store(book: Book, conn: sqlite3.Connection, payment_id: int, stage: str, outcomes: list[Outcome]) -> int:
    """Write one run of outcomes inside the caller's transaction; returns the run number."""
    run = int(conn.execute("SELECT coalesce(max(run), 0) + 1 FROM payment_checks WHERE payment_id = ?",
                           (payment_id,)).fetchone()[0])
    uid = book.user.id if book.user and book.user.id else None
    conn.executemany(
        "INSERT INTO payment_checks (payment_id, run, stage, rule, outcome, actual, limit_value, message, evaluated_by, "
        "evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(payment_id, run, stage, o.rule, o.outcome, o.actual, o.limit, o.message, uid, book.stamp()) for o in outcomes])
    return run


def stored(book: Book, payment_id: int, run: int | None = None) -> list[dict[str, Any]]:
    """The outcomes of a run (the latest when not given), with each rule's name."""
    if run is None:
        run = int(book.conn.execute("SELECT coalesce(max(run), 0) FROM payment_checks WHERE payment_id = ?",
                                    (payment_id,)).fetchone()[0])
    rows = book.conn.execute(
        "SELECT c.*, u.name AS user_name FROM payment_checks c LEFT JOIN users u ON u.id = c.evaluated_by "
        "WHERE c.payment_id = ? AND c.run = ? ORDER BY c.id", (payment_id, run)).fetchall()
    names = {"pass": "通过", "fail": "不通过", "warn": "提示"}
    own: dict[str, str] = {}
    if any(str(r["rule"]).startswith(RATIO_PREFIX) for r in rows):  # a rule set's own ratio: named by its year's set
        year = book.conn.execute("SELECT i.year FROM payments y JOIN indicators i ON i.id = y.indicator_id "
                                 "WHERE y.id = ?", (payment_id,)).fetchone()
        if year is not None:
            own = {RATIO_PREFIX + x.code: x.ratio.name for x in book.rules_for(int(year[0])).ratios.per_payment}
    return [dict(r) | {"rule_name": own.get(r["rule"]) or RULES.get(r["rule"], r["rule"]),
                       "outcome_name": names[r["outcome"]]} for r in rows]
