"""The rule set's yearly ratio rules ([[ratio_rules]] with year-level selectors, e.g. 衔接资金用于产业发展的比重):
each evaluated for the year of `as_of` under that year's rule set. Selectors: `received[…]` net amount of the
year's indicators, `planned[…]` what the year's indicators are arranged to projects, `paid[…]` what was paid from
them; filters kind= item= source= (indicator) and category= (project). The finding's code is the one the rule set
gives this detector (the engine sets it)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.models.rules.schema import RatioRule
from app.models.store.book import Book
from app.models.values.money import format as fmt
from app.models.values.money import ratio_percent
from app.models.warnings.base import Context, Finding

CODE = "RATIO"  # replaced by the rule set's code for this detector
_COLUMNS = {"kind": "i.kind", "item": "i.item", "source": "i.source_level", "category": "p.category"}


def _filters(selector: str) -> tuple[str, list[dict[str, str]] | dict[str, str]]:
    m = re.fullmatch(r"(\w+)(?:\[(.*)\])?", selector)
    assert m is not None  # the loader checked it
    pairs = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in (m[2] or "").split(",") if p.strip())}
    return m[1], pairs


def amount(book: Book, selector: str, year: int, as_of: str) -> int:
    """The 分 a year-level selector names, for budget year `year`, as of `as_of`."""
    return sum(_amounts(book, selector, year, as_of, by_item=False).values())


def amounts_by_item(book: Book, selector: str, year: int, as_of: str) -> dict[str, int]:
    """`amount` split by fund item (indicator item code): the per-row parts of a ratio rule's report column."""
    return _amounts(book, selector, year, as_of, by_item=True)


def _amounts(book: Book, selector: str, year: int, as_of: str, *, by_item: bool) -> dict[str, int]:
    source, pairs = _filters(selector)
    assert isinstance(pairs, dict)
    where = ["i.year = ?"]
    args: list[object] = [year]
    for key, value in pairs.items():
        where.append(f"{_COLUMNS[key]} = ?")
        args.append(value)
    cond = " AND ".join(where)
    if source == "received":
        sql = (f"SELECT sum(e.sign * e.amount) FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
               f"WHERE e.side = 'income' AND e.entry_date <= ? AND {cond}")
        if "category" in pairs:
            return {}  # an indicator has no project category
    elif source == "planned":
        sql = (f"SELECT sum(f.amount) FROM project_funding f JOIN indicators i ON i.id = f.indicator_id "
               f"JOIN projects p ON p.id = f.project_id JOIN plan_decisions d ON d.id = p.decision_id "
               f"WHERE d.decision_date <= ? AND {cond}")
    else:
        sql = (f"SELECT sum(y.amount) FROM payments y JOIN indicators i ON i.id = y.indicator_id "
               f"JOIN projects p ON p.id = y.project_id WHERE y.status = 'paid' AND y.pay_date <= ? AND {cond}")
    if not by_item:
        row = book.conn.execute(sql, (as_of, *args)).fetchone()
        return {"": int(row[0] or 0)}
    sql = sql.replace("SELECT sum(", "SELECT i.item, sum(", 1) + " GROUP BY i.item"
    return {str(r[0]): int(r[1] or 0) for r in book.conn.execute(sql, (as_of, *args))}


def _finding(rule: RatioRule, year: int, part: int, whole: int) -> Finding:
    r = rule.ratio
    side = "不低于" if r.bound == "min" else "不超过"
    principle = "原则上" if r.soft else ""
    gap = abs(r.threshold(whole) - part)
    return Finding(CODE, f"{CODE}:{rule.code}:{year}", "ratio_rule", f"{rule.code}:{year}", f"{year}年度{r.name}", gap,
                   None, f"{year} 年{rule.message} {ratio_percent(part, whole)}（{fmt(part)} / {fmt(whole)} 元），"
                         f"{principle}应{side} {ratio_percent(r.value.numerator, r.value.denominator)}（{r.base}）")


def ratio_rules(ctx: Context) -> Iterator[Finding]:
    """Every yearly ratio rule of the year of `as_of` that its data breaches (a year without a base: nothing)."""
    year = ctx.as_of.year
    for rule in ctx.book.rules_for(year).ratios.yearly:
        whole = amount(ctx.book, rule.denominator, year, ctx.as_of.isoformat())
        if whole <= 0:
            continue
        part = amount(ctx.book, rule.numerator, year, ctx.as_of.isoformat())
        if rule.ratio.breached(part, whole):
            yield _finding(rule, year, part, whole)
