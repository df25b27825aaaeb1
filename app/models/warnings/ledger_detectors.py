"""Warnings read from the special account and the calendar: W1 下达超时, W5 支出进度滞后, W6 资金闲置,
W8 专账对账不符, W9 月报逾期. Each reuses the module that owns the rule (deadlines, progress,
reconcile, the rule set's reporting dates) — nothing here recomputes a rule of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from math import ceil

from app.models.ledger import common as lc
from app.models.ledger import deadlines, progress, reconcile
from app.models.store import periods
from app.models.values.money import format as fmt
from app.models.values.money import ratio_percent
from app.models.warnings.base import Context, Finding

ONE_DAY = dt.timedelta(days=1)


def _figures(ctx: Context) -> list[progress.Figures]:
    """The ledger read once per run for W5 and W6."""
    if "figures" not in ctx._cache:
        ctx._cache["figures"] = progress.figures(ctx.book, ctx.as_of)
    found: list[progress.Figures] = ctx._cache["figures"]
    return found


def _label(doc_no: str, title: str) -> str:
    return f"{doc_no} {title}".strip()


def _section(text: str | None) -> str:
    return "" if not text or text == lc.NO_SECTION else text


def late_stages(ctx: Context) -> Iterator[Finding]:
    """Every stage of §3 the recorded dates show late, and the bureau's own stage still open past its due date."""
    return _late_stages(ctx, None)


def late_stages_moved(ctx: Context, dependent: set[str], since: dt.date, _stored: set[str]
                      ) -> tuple[set[str], Iterator[Finding]]:
    """W1 when only the clock moved from `since` to `ctx.as_of` (no table it reads written since): the indicators
    whose findings may differ — those the last run noted as depending on the day (`ctx.clock`: a stage not yet
    done and not yet late, or done on a day still to come) and those received after `since` (they enter the run's
    `received_date <= as_of`) — and their findings. Every other indicator's stages are all done, or late and still
    open (late stays late): its findings are the stored ones."""
    rows = ctx.book.conn.execute(
        "SELECT id FROM indicators WHERE id IN (SELECT value FROM json_each(?)) "
        "OR (received_date > ? AND received_date <= ?)",
        (json.dumps(sorted(int(i) for i in dependent)), since.isoformat(), ctx.as_of.isoformat()))
    ids = {int(r[0]) for r in rows}
    return {str(i) for i in ids}, _late_stages(ctx, sorted(ids))


def _late_stages(ctx: Context, only: list[int] | None) -> Iterator[Finding]:
    book, as_of = ctx.book, ctx.as_of
    if only is None:
        rows = book.conn.execute("SELECT * FROM indicators WHERE received_date <= ? ORDER BY id", (as_of.isoformat(),))
    else:
        rows = book.conn.execute("SELECT * FROM indicators WHERE received_date <= ? AND id IN "
                                 "(SELECT value FROM json_each(?)) ORDER BY id", (as_of.isoformat(), json.dumps(only)))
    for row in rows:
        ind = dict(row)
        for s in deadlines.stages(book, ind, cal=ctx.calendar, today=as_of):
            done: dt.date | None = s["done"]
            if done is not None and done <= as_of:
                late, how = done > s["due"], f"{done.isoformat()} 才完成"
            elif done is not None:
                late, how = as_of > s["due"], "至今未完成"
                ctx.clock.add(str(ind["id"]))  # "至今未完成" turns into "… 才完成" when the day reaches `done`
            else:
                late, how = bool(s["late"]), "至今未完成"
                if s["late"] is False:  # open, not yet due: late once the day passes it (late stays late)
                    ctx.clock.add(str(ind["id"]))
            if not late:
                continue
            unit = "个工作日" if s["day_type"] == "working" else "天"
            estimated = "（到期日为估算）" if s["estimated"] else ""
            yield Finding(
                "W1", f"W1:{ind['id']}:{s['code']}", "indicator", str(ind["id"]), _label(ind["doc_no"], ind["title"]),
                int(ind["amount"]), s["due"] + ONE_DAY,
                f"{s['stage']}（{s['who']}，时限 {s['days']} {unit}）：{s['from_name']} {s['from_date'].isoformat()}，"
                f"应于 {s['due'].isoformat()} 前完成，{how}{estimated}",
                _section(ind["section"]))


def spending_behind(ctx: Context) -> Iterator[Finding]:
    """Per fund kind: behind the time-elapsed pace (to the year-end day) or unpaid after it; per bond
    indicator: money not spent within the bond months of its arrival."""
    book, as_of = ctx.book, ctx.as_of
    year_end = book.rules_on(as_of).spending.year_end(as_of.year)
    for k in progress.by_kind(book, as_of, of=_figures(ctx)):
        exempt = f"（已扣除尚未支付的质保金 {fmt(k.exempt)} 元）" if k.exempt else ""
        if not k.after_year_end and k.behind:
            yield Finding(
                "W5", f"W5:kind:{k.kind}", "fund_kind", k.kind, k.name, k.gap, None,
                f"截至 {as_of.isoformat()}，可支出 {fmt(k.base)} 元{exempt}，累计支出 {fmt(k.spent)} 元，"
                f"支出进度 {ratio_percent(k.ratio.numerator, k.ratio.denominator)}，低于序时进度 "
                f"{ratio_percent(k.pace.numerator, k.pace.denominator)}（应支出 {fmt(ceil(k.expected))} 元，"
                f"滞后 {fmt(k.gap)} 元）")
        elif k.after_year_end and k.unpaid > 0:
            yield Finding(
                # its own key per year: a different problem from the pace warning of the same kind earlier in the year
                "W5", f"W5:unpaid:{k.kind}:{as_of.year}", "fund_kind", k.kind, k.name, k.unpaid, year_end + ONE_DAY,
                f"{as_of.year} 年当年资金（本年到位 {fmt(k.income)} 元）应于 {year_end.isoformat()} 前支付完毕，"
                f"截至 {as_of.isoformat()} 仍有 {fmt(k.unpaid)} 元未支付{exempt}；上年结转资金不在此列")
    months = ctx.param("bond_spend_months", book.rules_on(as_of).spending.bond_spend_months)
    for c in progress.bond_clocks(book, as_of, of=_figures(ctx), months=months):
        if c.overdue:
            yield Finding(
                "W5", f"W5:bond:{c.indicator_id}", "indicator", str(c.indicator_id), _label(c.doc_no, c.title),
                c.unspent, c.deadline + ONE_DAY,
                f"债券资金 {c.received.isoformat()} 到位，应在 {months} 个月内（{c.deadline.isoformat()} 前）形成实际支出，"
                f"尚有 {fmt(c.unspent)} 元未支出", _section(c.section))


def idle_money(ctx: Context) -> Iterator[Finding]:
    days = ctx.param("idle_days", ctx.book.rules_on(ctx.as_of).spending.idle_days)
    for i in progress.idle_indicators(ctx.book, ctx.as_of, of=_figures(ctx), limit=days):
        yield Finding(
            "W6", f"W6:{i.indicator_id}", "indicator", str(i.indicator_id), _label(i.doc_no, i.title), i.balance,
            i.idle_since, f"余额 {fmt(i.balance)} 元，自 {i.last_activity.isoformat()} 起超过 {days} 天没有支付",
            _section(i.section))


def reconciliation(ctx: Context) -> Iterator[Finding]:
    """Each unexplained difference between the ledger, the sections' ledgers and the treasury's data."""
    return _reconciliation(ctx, None)


def reconciliation_moved(ctx: Context, _noted: set[str], since: dt.date, _stored: set[str]
                         ) -> tuple[set[str], Iterator[Finding]]:
    """W8 when only the clock moved from `since` to `ctx.as_of` (`registry.CLOCK`): a difference is what the data
    say, whatever the day; the day only lets in those dated by it (a payment's, an entry's, a section month's end).
    So only the differences dated in (since, day] are new; every other stored finding (or its absence) stands."""
    found = list(_reconciliation(ctx, (since + ONE_DAY, ctx.as_of)))
    return {f.object_id for f in found}, iter(found)


def _reconciliation(ctx: Context, dated: tuple[dt.date, dt.date] | None) -> Iterator[Finding]:
    if dated is not None and dated[0] > dated[1]:
        return
    for d in reconcile.open_differences(ctx.book, dated):
        day = dt.date.fromisoformat(d["date"])
        if day > ctx.as_of:
            continue
        label = d["voucher_no"] or d["section"]
        if d.get("doc_no"):
            label = f"{label}（{d['doc_no']}）"
        yield Finding(
            "W8", f"W8:{d['month']}:{d['key']}", "recon_difference", f"{d['month']}|{d['key']}", label,
            abs(int(d.get("difference") or 0)), day, f"{d['month']} {d['kind_name']}：{d.get('detail', '')}",
            _section(d.get("section")))


def _months(first: str, last: str) -> Iterator[str]:
    y, m = periods.parse_month(first)
    ly, lm = periods.parse_month(last)
    while (y, m) <= (ly, lm):
        yield f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def reports_overdue(ctx: Context) -> Iterator[Finding]:
    """Every month since the bureau started using the app whose package is not signed off by its due date."""
    book, as_of = ctx.book, ctx.as_of
    row = book.conn.execute("SELECT created_at, level FROM bureau WHERE id = 1").fetchone()
    if row is None:
        return
    cutoff = periods.cutoff_of(book)
    first = periods.month_of(dt.date.fromisoformat(str(row["created_at"])[:10]), cutoff)
    closed = {r[0] for r in book.conn.execute("SELECT month FROM periods WHERE closed = 1")}
    for month in _months(first, periods.month_of(as_of, cutoff)):
        y, m = periods.parse_month(month)
        reporting = book.rules_for(y).reporting  # the month's own year's reporting rules
        to = next((d.to for d in reporting.due if d.level == row["level"]), reporting.due[0].to)
        due_day = reporting.due_date(y, m, row["level"])
        if as_of > due_day and month not in closed:
            yield Finding(
                "W9", f"W9:{month}", "month", month, f"{y}年{m}月月报", 0, due_day + ONE_DAY,
                f"{y}年{m}月的月报应于 {due_day.isoformat()} 前经局长签发报送{to}，至今未签发")
