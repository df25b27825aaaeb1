"""Warnings read from projects, payments and notices: W2 绩效目标不规范, W3 违规支付, W4 超标列支项目管理费,
W7 公告公示缺失. The rules themselves live with their owners — the goals' regularity in
`performance`, the payment checks' outcomes as stored with each payment, what must be noticed in
`notice_obligations` — and are only read here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING

from app.models.performance import goals as performance
from app.models.values.money import format as fmt
from app.models.values.money import ratio_percent
from app.models.warnings.base import Context, Finding

if TYPE_CHECKING:
    from app.models.notices.obligations import Window as notice_window


def _projects(ctx: Context, ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """id → code, name, section (of its largest funding line's indicator) and funded amount, of the projects `ids`
    (those the detector's findings name, not every project the county ever had). Read by each detector itself, not
    shared between detectors: an incremental run records the tables each one reads (engine._Shared)."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    return {int(r["id"]): dict(r) for r in ctx.book.conn.execute(
        "SELECT p.id, p.code, p.name, "
        "(SELECT coalesce(sum(f.amount), 0) FROM project_funding f WHERE f.project_id = p.id) AS funded, "
        "(SELECT i.section FROM project_funding f JOIN indicators i ON i.id = f.indicator_id "
        " WHERE f.project_id = p.id ORDER BY f.amount DESC, f.id LIMIT 1) AS section, "
        "(SELECT min(d.decision_date) FROM plan_versions v JOIN plan_decisions d ON d.id = v.decision_id "
        " WHERE v.project_id = p.id) AS issued_on FROM projects p "
        "WHERE p.id IN (SELECT value FROM json_each(?))", (json.dumps(wanted),))}


def _label(p: dict[str, object]) -> str:
    return f"{p['code']} {p['name']}"


def irregular_goals(ctx: Context) -> Iterator[Finding]:
    """An approved, funded project without goals, or whose goals miss a class, a number or a unit."""
    return _irregular_goals(ctx, None)


def irregular_goals_moved(ctx: Context, _noted: set[str], since: dt.date, stored: set[str]
                          ) -> tuple[set[str], Iterator[Finding]]:
    """W2 when only the clock moved from `since` to `ctx.as_of` (no table it reads written since, `registry.CLOCK`).
    The day enters W2 only as cut-offs: a project counts once its approving decision is dated by the day, a goal
    once set and until removed. So only the projects with such a date in (since, day] can differ — approved, or a
    goal set or removed, in between; every other project's stored finding (or its having none) stands. The goals'
    classes come from the current year's rule set: if that is not the one of both days, every project again."""
    book, day = ctx.book, ctx.as_of.isoformat()
    if not (book.rules is book.rules_on(since) is book.rules_on(ctx.as_of)):
        found = list(_irregular_goals(ctx, None))
        return stored | {f.object_id for f in found}, iter(found)
    a = since.isoformat()
    ids = {int(r[0]) for r in book.conn.execute(
        "SELECT p.id FROM projects p JOIN plan_decisions d ON d.id = p.decision_id "
        "WHERE d.decision_date > ? AND d.decision_date <= ? "
        "UNION SELECT project_id FROM perf_goals WHERE (set_on > ? AND set_on <= ?) "
        "OR (removed_on > ? AND removed_on <= ?)", (a, day, a, day, a, day))}
    return {str(i) for i in ids}, _irregular_goals(ctx, sorted(ids))


def _irregular_goals(ctx: Context, only: list[int] | None) -> Iterator[Finding]:
    if only == []:
        return
    irregular = performance.irregular(ctx.book, on=ctx.as_of, only=only)
    projects = _projects(ctx, irregular)
    for pid, issues in irregular.items():
        p = projects[pid]
        issued = p["issued_on"]
        yield Finding(
            "W2", f"W2:project:{pid}", "perf_goals", str(pid), _label(p), int(str(p["funded"])),
            dt.date.fromisoformat(str(issued)) if issued else None, "；".join(issues), str(p["section"] or ""), pid)


def irregular_payments(ctx: Context) -> Iterator[Finding]:
    """A recorded payment (not a draft, not voided) whose latest check run failed a hard rule; a treasury
    payment whose voucher matches no approved or paid request."""
    return _irregular_payments(ctx, None)


def irregular_payments_moved(ctx: Context, _noted: set[str], since: dt.date, _stored: set[str]
                             ) -> tuple[set[str], Iterator[Finding]]:
    """W3 when only the clock moved from `since` to `ctx.as_of` (`registry.CLOCK`): a payment's finding depends on
    the day only through `draft_date <= day`, a treasury payment's through `pay_date <= day`; the checks, statuses
    and vouchers are data, none written since. So only the payments drafted and the treasury payments paid in
    (since, day] are read; every other one's stored finding (or its having none) stands — the years of treasury
    data a county keeps are not matched again against every request each new day."""
    window = (since.isoformat(), ctx.as_of.isoformat())
    again = {f"payment:{r[0]}" for r in ctx.book.conn.execute(
        "SELECT id FROM payments WHERE status IN ('submitted', 'approved', 'paid', 'returned') "  # not draft/voided
        "AND draft_date > ? AND draft_date <= ?", window)}  # by the (status, draft_date) index
    again |= {f"treasury:{r[0]}" for r in ctx.book.conn.execute(
        "SELECT voucher_no FROM treasury_payments WHERE pay_date > ? AND pay_date <= ?", window)}
    return again, _irregular_payments(ctx, since)


def _irregular_payments(ctx: Context, after: dt.date | None) -> Iterator[Finding]:
    """W3; `after`: only the payments drafted and the treasury payments paid after that day."""
    book, day = ctx.book, ctx.as_of.isoformat()
    first = "" if after is None else after.isoformat()
    rows = book.conn.execute(
        "SELECT y.id, y.request_no, y.project_id, y.amount, y.status, y.draft_date, y.pay_date, i.section, "
        "group_concat(c.message, '；') AS failed FROM payments y JOIN indicators i ON i.id = y.indicator_id "
        "JOIN payment_checks c ON c.payment_id = y.id AND c.outcome = 'fail' "
        "AND c.run = (SELECT max(x.run) FROM payment_checks x WHERE x.payment_id = y.id) "
        "WHERE y.status NOT IN ('draft', 'voided') AND y.draft_date <= ? AND y.draft_date > ? "
        # implied by the join above; lets SQLite visit only the few payments with a failed check (not all of them)
        "AND y.id IN (SELECT payment_id FROM payment_checks WHERE outcome = 'fail') "
        "GROUP BY y.id ORDER BY y.id", (day, first)).fetchall()
    projects = _projects(ctx, [int(r["project_id"]) for r in rows])
    for r in rows:
        p = projects.get(int(r["project_id"]))
        label = f"{r['request_no']} {p['name'] if p else ''}".strip()
        yield Finding(
            "W3", f"W3:payment:{r['id']}", "payment", str(r["id"]), label, int(r["amount"]),
            dt.date.fromisoformat(r["pay_date"] or r["draft_date"]),
            f"支付申请 {r['request_no']}（{fmt(int(r['amount']))} 元）未通过审核规则：{r['failed']}",
            r["section"] or "", int(r["project_id"]))
    for r in book.conn.execute(
            "SELECT t.id, t.voucher_no, t.pay_date, t.amount, t.payee_name, t.doc_no, i.section FROM treasury_payments t "
            "JOIN indicators i ON i.id = t.indicator_id WHERE t.pay_date <= ? AND t.pay_date > ? "
            "AND NOT EXISTS (SELECT 1 FROM payments y WHERE y.voucher_no = t.voucher_no AND y.status IN "
            "('approved', 'paid')) AND t.pay_date >= coalesce((SELECT min(draft_date) FROM payments), '9999-12-31') "
            "ORDER BY t.id", (day, first)):
        yield Finding(
            "W3", f"W3:treasury:{r['voucher_no']}", "treasury_payment", str(r["id"]), f"{r['voucher_no']}（{r['doc_no']}）",
            int(r["amount"]), dt.date.fromisoformat(r["pay_date"]),
            f"国库 {r['pay_date']} 支付 {r['payee_name']} {fmt(int(r['amount']))} 元，没有对应的已审核支付申请",
            r["section"] or "")


def management_fees(ctx: Context) -> Iterator[Finding]:
    """Per budget year: 项目管理费 paid above the cap — the rule set's share of the base the payment checks use."""
    return _management_fees(ctx, None)


def management_fees_moved(ctx: Context, _noted: set[str], since: dt.date, _stored: set[str]
                          ) -> tuple[set[str], Iterator[Finding]]:
    """W4 when only the clock moved from `since` to `ctx.as_of` (`registry.CLOCK`). A budget year's finding depends
    on the day only through `pay_date <= day`; the base, the cap and the fee kinds are data and that year's rule set,
    none written since. So only the years with a payment paid in (since, day] are read again; every other year's
    stored finding (or its having none) stands — the old years a county keeps cost nothing on a new day."""
    years = {int(r[0]) for r in ctx.book.conn.execute(
        "SELECT DISTINCT i.year FROM payments y JOIN indicators i ON i.id = y.indicator_id "
        "WHERE y.status = 'paid' AND y.pay_date > ? AND y.pay_date <= ?", (since.isoformat(), ctx.as_of.isoformat()))}
    return {str(y) for y in years}, _management_fees(ctx, sorted(years))


def _management_fees(ctx: Context, only: list[int] | None) -> Iterator[Finding]:
    if only == []:  # a new day with no payment in between: no year to read
        return
    from app.models.payments.checks import fee_cap_base

    book, as_of = ctx.book, ctx.as_of
    years = [int(r[0]) for r in book.conn.execute(
        "SELECT DISTINCT i.year FROM payments y JOIN indicators i ON i.id = y.indicator_id "
        "WHERE y.status = 'paid' AND y.pay_date <= ? ORDER BY i.year", (as_of.isoformat(),))]
    for year in years if only is None else [y for y in years if y in only]:
        rules = book.rules_for(year)  # each budget year under its own rule set
        ratio = rules.ratios.management_fee
        fee_kinds = [k.code for k in rules.payment.kinds if k.management_fee]
        if not fee_kinds:
            continue
        marks = ",".join("?" * len(fee_kinds))
        paid, n = book.conn.execute(
            f"SELECT sum(y.amount), count(*) FROM payments y JOIN indicators i ON i.id = y.indicator_id "
            f"WHERE y.status = 'paid' AND y.kind IN ({marks}) AND y.pay_date <= ? AND i.year = ?",
            (*fee_kinds, as_of.isoformat(), year)).fetchone()
        if not n:
            continue
        base = fee_cap_base(book, int(year))
        if ratio.breached(int(paid), base):
            cap = ratio.threshold(base)
            share = ratio_percent(ratio.value.numerator, ratio.value.denominator)
            yield Finding(
                "W4", f"W4:{year}", "management_fee", str(year), f"{year}年度项目管理费", int(paid) - cap, None,
                f"{year} 年度资金已支付项目管理费 {n} 笔共 {fmt(int(paid))} 元，超过上限 {fmt(cap)} 元"
                f"（{ratio.base} {fmt(base)} 元的 {share}），超出 {fmt(int(paid) - cap)} 元")


def missing_notices(ctx: Context) -> Iterator[Finding]:
    """What must be noticed (DOMAIN §4.6) and is not, or was posted too briefly — as notice_obligations says.

    Reads `notice_obligations.open_obligations`, the fast path that builds only the open duties; it gives the
    same findings as `findings_from_obligations` over the full `obligations` (compared in the tests)."""
    return _missing_notices(ctx, frozenset(), None)


def missing_notices_moved(ctx: Context, _noted: set[str], since: dt.date, stored: set[str]
                          ) -> tuple[set[str], Iterator[Finding]]:
    """W7 when only the clock moved (no table it reads written since the last run, `registry.CLOCK`): a duty the
    last run found 缺失 and that still has no notice is 缺失 today with the same text, label and amount, so its
    stored finding is kept (`stored`: the stored W7 findings' object ids, the duties' keys) and nothing is built for
    it; every other duty — noticed ones (公示中 turns 已公示 or 公示期不足 with the day) and new ones — as the full run.
    Returns the object ids read again (the stored findings of those are replaced) and their findings.

    One kind of duty moves with data dated in between: a project's 资金使用 duty arises on its last payment, so a
    payment paid in (since, day] — written before the last run, dated after its day — moves the day the duty arose
    and its text. The stored duties of the projects paid in between are built again.

    Only the duties the day can change are listed at all (`obligations.Window`): those arisen after `since`, those of
    objects with a notice whose status can still move, and those of the projects paid in between; a stored finding
    of any other duty stands as it is."""
    from app.models.notices import obligations as notice_obligations

    paid = {str(r[0]) for r in ctx.book.conn.execute(
        "SELECT DISTINCT project_id FROM payments WHERE status = 'paid' AND pay_date > ? AND pay_date <= ?",
        (since.isoformat(), ctx.as_of.isoformat()))}
    keep = {k for k in stored if not (k.split(":")[2:3] == ["project"] and k.split(":")[3] in paid)} if paid else stored
    objects = notice_obligations.changeable_objects(ctx.book, since, ctx.as_of)
    objects.setdefault("project", set()).update(int(p) for p in paid)
    skipped: set[str] = set()
    considered: set[str] = set()
    found = list(_missing_notices(ctx, keep, skipped, notice_obligations.Window(since, objects), considered))
    return ((stored & considered) - skipped) | {f.object_id for f in found}, iter(found)


def _missing_notices(ctx: Context, skip: Collection[str], skipped: set[str] | None,
                     window: notice_window | None = None, considered: set[str] | None = None) -> Iterator[Finding]:
    from app.models.notices import obligations as notice_obligations

    found = notice_obligations.open_obligations(ctx.book, as_of=ctx.as_of, skip=skip, skipped=skipped,
                                                window=window, considered=considered)
    projects = _projects(ctx, [ob.project_id for ob in found if not ob.section and ob.project_id])
    for ob in found:
        section = ob.section or str(projects.get(ob.project_id or 0, {}).get("section") or "")
        yield Finding(
            "W7", f"W7:{ob.key}", "notice_obligation", ob.key, ob.object_label, int(ob.amount), ob.since,
            f"{ob.level_name}{ob.kind_name}{ob.status}：{ob.detail}", section, ob.project_id)


def findings_from_obligations(ctx: Context) -> Iterator[Finding]:
    """W7 the long way: every duty with its display object (`notice_obligations.obligations`), the open ones kept.
    The reference `missing_notices` must agree with."""
    from app.models.notices import obligations as notice_obligations

    found = [ob for ob in notice_obligations.obligations(ctx.book, as_of=ctx.as_of) if ob.is_open]
    projects = _projects(ctx, [ob.project_id for ob in found if not ob.section and ob.project_id])
    for ob in found:
        section = ob.section or str(projects.get(ob.project_id or 0, {}).get("section") or "")
        yield Finding(
            "W7", f"W7:{ob.key}", "notice_obligation", ob.key, ob.object_label, int(ob.amount), ob.since,
            f"{ob.level_name}{ob.kind_name}{ob.status}：{ob.detail}", section, ob.project_id)
