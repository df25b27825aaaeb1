"""Spending progress (DOMAIN §4.5): the time-elapsed pace to 31 October, bond money's three-month
clocks and idle indicators — computed once here, read by warning W5/W6, the dashboard and 表4.

All figures are sums over `ledger_entries` dated on or before `as_of`, so a past date gives the
picture as it was on that day. Ratios are exact fractions; money is int 分.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

from dateutil.relativedelta import relativedelta

from app.models.ledger.query import BALANCE, EXPENSE, INCOME
from app.models.store import periods, rule_years
from app.models.store.book import Book


def retention_held(book: Book, as_of: dt.date) -> dict[str, int]:
    """The 质保金 still held back on finished projects, per fund kind (分) — exempt from the 31 October rule.

    A project counts once it is finished (a stage of the finished phase of its year's rule set): its settled price
    (工程结算价, once recorded) or else its contract amount × its 质保金 rate, less the retention already paid, spread over its funding lines' kinds pro rata.
    """
    finished = list(rule_years.finished_codes(book))  # each project finished by its own year's stages
    retention = [k.code for k in book.rules_on(as_of).payment.kinds if k.retention]
    if not finished or not retention:
        return {}
    day = as_of.isoformat()
    held: dict[str, int] = {}
    rows = book.conn.execute(
        f"""SELECT p.id, coalesce((SELECT s.amount FROM project_settlements s WHERE s.project_id = p.id
                                    AND s.settled_on <= :day), p.contract_amount) * p.retention_bp / 10000 -
              coalesce((SELECT sum(y.amount) FROM payments y WHERE y.project_id = p.id AND y.status = 'paid'
                        AND y.pay_date <= :day AND y.kind IN ({",".join(f":r{n}" for n in range(len(retention)))})), 0)
            FROM projects p WHERE p.retention_bp > 0 AND p.contract_amount > 0
            AND p.status IN ({",".join(f":f{n}" for n in range(len(finished)))})""",
        {"day": day, **{f"r{n}": c for n, c in enumerate(retention)}, **{f"f{n}": c for n, c in enumerate(finished)}},
    ).fetchall()
    for project_id, amount in rows:
        if amount <= 0:
            continue
        lines = book.conn.execute(
            "SELECT i.kind, sum(f.amount) FROM project_funding f JOIN indicators i ON i.id = f.indicator_id "
            "WHERE f.project_id = ? GROUP BY i.kind ORDER BY sum(f.amount) DESC, i.kind", (project_id,)).fetchall()
        total = sum(int(r[1]) for r in lines)
        left = int(amount)
        for n, (kind, part) in enumerate(lines):
            share = left if n == len(lines) - 1 else int(amount) * int(part) // total
            held[kind] = held.get(kind, 0) + share
            left -= share
    return held


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day where that day does not exist (31 Jan → 30 Apr)."""
    return day + relativedelta(months=months)


def pace(book: Book, as_of: dt.date) -> Fraction:
    """序时进度: the share of 1 January … the year-end day (31 Oct) elapsed on `as_of`, days counted inclusively."""
    start = dt.date(as_of.year, 1, 1)
    end = book.rules_on(as_of).spending.year_end(as_of.year)
    if as_of >= end:
        return Fraction(1)
    return Fraction((as_of - start).days + 1, (end - start).days + 1)


@dataclass(frozen=True)
class KindProgress:
    """One fund kind's spending in the year of `as_of` (the 表4 row): available = 年初结余 + 累计收入."""

    kind: str
    name: str
    opening: int
    income: int
    spent: int
    exempt: int  # 质保金 still held (not expected by 31 Oct)
    pace: Fraction
    after_year_end: bool
    current_spent: int = 0  # what of `spent` drew on this year's money (先支结转、后支当年, as 表4 splits it)

    @property
    def available(self) -> int:
        return self.opening + self.income

    @property
    def base(self) -> int:
        """What must be paid by the year-end day."""
        return max(self.available - self.exempt, 0)

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.spent, self.base) if self.base else Fraction(0)

    @property
    def expected(self) -> Fraction:
        return self.pace * self.base

    @property
    def behind(self) -> bool:
        """Behind the pace: strictly less spent than the elapsed share requires (exactly on pace is fine)."""
        return self.base > 0 and Fraction(self.spent) < self.expected

    @property
    def gap(self) -> int:
        """How far behind, in 分, rounded up (0 when on or ahead of pace)."""
        return max(ceil(self.expected - self.spent), 0) if self.behind else 0

    @property
    def unpaid(self) -> int:
        """What of this year's money (当年安排, less 质保金) is still unpaid: the 31 October rule (新财脱贫组〔2019〕2号
        §三(二)4) binds 当年 money only; the balance carried in from earlier years is 表4's 上年结转 and W6's business."""
        return max(max(self.income - self.exempt, 0) - self.current_spent, 0)


@dataclass(frozen=True)
class Figures:
    """One indicator's money as of a day: the year's opening balance, income and spending, and the totals."""

    indicator_id: int
    doc_no: str
    title: str
    kind: str
    item: str
    section: str
    received: str
    opening: int  # balance carried into the year of `as_of`
    income_ytd: int
    spent_ytd: int
    net: int  # net income since arrival (after 调减/收回/缴回)
    spent: int  # net expenditure since arrival
    last_payment: str | None


def figures(book: Book, as_of: dt.date, *, carried: bool = True) -> list[Figures]:
    """Every indicator received by `as_of`, with its money as of that day (entries dated by `as_of` only).

    `carried` (issue #22): from the balances the last signed month stored per indicator (`signed_balances`) plus
    the entries dated after its period end — a new day costs the days since that month, not the whole history.
    Without such a month, or with `carried=False`, one pass over every entry. The two are equal: entries dated in
    a signed month cannot change while it stays signed (the closed-month triggers; verify re-sums every signed
    month from the entries and names a month whose stored balances no longer match them)."""
    day, start = as_of.isoformat(), dt.date(as_of.year, 1, 1).isoformat()
    base = signed_balances(book, as_of) if carried else None
    last_payment = ("(SELECT e.entry_date FROM ledger_entries e WHERE e.indicator_id = i.id AND e.entry_date <= :day "
                    "AND e.entry_type = 'expenditure' ORDER BY e.entry_date DESC LIMIT 1)")
    head = "SELECT i.id, i.doc_no, i.title, i.kind, i.item, i.section, i.received_date"
    if base is None:
        rows = book.conn.execute(
            f"""{head},
                  coalesce(sum(CASE WHEN e.entry_date < :start THEN {BALANCE} END), 0),
                  coalesce(sum(CASE WHEN e.entry_date >= :start THEN {INCOME} END), 0),
                  coalesce(sum(CASE WHEN e.entry_date >= :start THEN {EXPENSE} END), 0),
                  coalesce(sum({INCOME}), 0), coalesce(sum({EXPENSE}), 0),
                  max(CASE WHEN e.entry_type = 'expenditure' THEN e.entry_date END)
                FROM indicators i LEFT JOIN ledger_entries e ON e.indicator_id = i.id AND e.entry_date <= :day
                WHERE i.received_date <= :day GROUP BY i.id ORDER BY i.received_date, i.id""",
            {"day": day, "start": start})
        return [Figures(*r) for r in rows]
    end, signed = base
    since = {int(r[0]): r[1:] for r in book.conn.execute(
        f"""SELECT e.indicator_id, coalesce(sum(CASE WHEN e.entry_date < :start THEN {BALANCE} END), 0),
              coalesce(sum(CASE WHEN e.entry_date >= :start THEN {INCOME} END), 0),
              coalesce(sum(CASE WHEN e.entry_date >= :start THEN {EXPENSE} END), 0),
              coalesce(sum({INCOME}), 0), coalesce(sum({EXPENSE}), 0)
            FROM ledger_entries e WHERE e.entry_date > :end AND e.entry_date <= :day GROUP BY e.indicator_id""",
        {"day": day, "start": start, "end": end.isoformat()})}
    same_year = end.year == as_of.year
    out = []
    for r in book.conn.execute(f"{head}, {last_payment} FROM indicators i WHERE i.received_date <= :day "
                               "ORDER BY i.received_date, i.id", {"day": day}):
        opening, income, spent, closing, net, spent_all = signed.get(int(r[0]), _NOTHING)
        b, inc, exp, inc_all, exp_all = since.get(int(r[0]), (0, 0, 0, 0, 0))
        out.append(Figures(r[0], r[1], r[2], r[3], r[4], r[5], r[6], (opening if same_year else closing) + b,
                           (income if same_year else 0) + inc, (spent if same_year else 0) + exp, net + inc_all,
                           spent_all + exp_all, r[7]))
    return out


_NOTHING = (0, 0, 0, 0, 0, 0)
_CARRIED = {"period_end": "$.period_end", "balances": "$.balances"}


def signed_balances(book: Book, as_of: dt.date) -> tuple[dt.date, dict[int, tuple[int, ...]]] | None:
    """The period end of the last month signed before `as_of`'s month and the balances its sign-off stored per
    indicator (calc 3, reports.sources.INDICATOR_FIELDS: opening, income, spent, closing, net, spent_all as of that
    end) — when every month up to it is closed, so nothing dated up to its end can have changed since. Else None.
    The balances are covered by the sign-off's signature and re-summed from the entries by verify."""
    found = periods.signed_carry(book, f"{as_of.year:04d}-{as_of.month:02d}", as_of, _CARRIED)
    if found is None or "balances" not in found[2]:
        return None
    _month, end, parts = found
    balances = parts["balances"]
    return end, {int(k): tuple(int(x) for x in v) for k, v in balances.items()}


def by_kind(book: Book, as_of: dt.date, *, of: list[Figures] | None = None) -> list[KindProgress]:
    """Every fund kind with money this year, in catalogue order (`of`: figures already read for the day)."""
    totals: dict[str, list[int]] = {}
    for f in figures(book, as_of) if of is None else of:
        t = totals.setdefault(f.kind, [0, 0, 0, 0])
        t[0] += f.opening
        t[1] += f.income_ytd
        t[2] += f.spent_ytd
        t[3] += f.spent_ytd - min(max(f.spent_ytd, 0), max(f.opening, 0))  # as reports.review.carryover splits it
    held = retention_held(book, as_of)
    from app.models.ledger.exemptions import exempt_by_kind  # the region's 31 October exemptions (issue #18)

    for code, amount in exempt_by_kind(book, as_of).items():
        held[code] = held.get(code, 0) + amount
    share = pace(book, as_of)
    after = as_of > book.rules_on(as_of).spending.year_end(as_of.year)
    out = []
    for code, name in book.conn.execute("SELECT code, name FROM fund_kinds ORDER BY sort"):
        opening, income, spent, current = totals.get(code, (0, 0, 0, 0))
        if opening or income or spent:
            out.append(KindProgress(code, name, opening, income, spent, held.get(code, 0), share, after, current))
    return out


@dataclass(frozen=True)
class BondClock:
    """Bond money must become actual expenditure within N months of arrival (DOMAIN §4.5)."""

    indicator_id: int
    doc_no: str
    title: str
    kind: str
    section: str
    received: dt.date
    deadline: dt.date  # the last day on which spending still counts as in time
    net: int  # net income (after 调减/收回/缴回) as of the day
    spent: int
    as_of: dt.date

    @property
    def unspent(self) -> int:
        return max(self.net - self.spent, 0)

    @property
    def days_left(self) -> int:
        """Days until the deadline (0 on the day itself, negative once overdue)."""
        return (self.deadline - self.as_of).days

    @property
    def overdue(self) -> bool:
        return self.unspent > 0 and self.as_of > self.deadline


def bond_clocks(book: Book, as_of: dt.date, *, include_spent: bool = False,
                of: list[Figures] | None = None, months: int | None = None) -> list[BondClock]:
    """Every bond indicator's clock (those still holding money, unless `include_spent`); `months` overrides the rule
    set's bond_spend_months (a warning definition's own parameter)."""
    months = book.rules_on(as_of).spending.bond_spend_months if months is None else months
    out = []
    for f in figures(book, as_of) if of is None else of:
        if not book.rules_on(as_of).is_bond(f.kind, f.item):
            continue
        got = dt.date.fromisoformat(f.received)
        clock = BondClock(f.indicator_id, f.doc_no, f.title, f.kind, f.section, got, add_months(got, months), f.net,
                          f.spent, as_of)
        if include_spent or clock.unspent > 0:
            out.append(clock)
    return out


@dataclass(frozen=True)
class Idle:
    """An indicator holding a balance with no payment since `last_activity` (its last payment or arrival)."""

    indicator_id: int
    doc_no: str
    title: str
    section: str
    balance: int
    last_activity: dt.date
    idle_since: dt.date  # the first day that counts as idle


def idle_indicators(book: Book, as_of: dt.date, *, of: list[Figures] | None = None,
                    limit: int | None = None) -> list[Idle]:
    """Indicators with a balance and no payment for more than the rule set's idle days (or `limit` days: a warning
    definition's own parameter)."""
    limit = book.rules_on(as_of).spending.idle_days if limit is None else limit
    out = []
    for f in figures(book, as_of) if of is None else of:
        balance = f.net - f.spent
        if balance <= 0:
            continue
        activity = dt.date.fromisoformat(f.last_payment or f.received)
        if (as_of - activity).days > limit:
            out.append(Idle(f.indicator_id, f.doc_no, f.title, f.section, balance, activity,
                            activity + dt.timedelta(days=limit + 1)))
    return out
