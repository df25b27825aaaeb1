"""专账 invariants re-checked by `fundledger verify` on the raw connection (DOMAIN §4.2).

The operations already refuse anything that would break them; these find what another tool did.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from app.models.store.audit import Finding
from app.models.values.money import format as fmt

_LIMIT = 20  # findings per check: enough to act on, not a flood


def indicator_not_overdrawn(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Per indicator: 0 ≤ net expenditure ≤ net income, and net income ≥ 0."""
    rows = conn.execute(
        "SELECT i.id, i.doc_no, "
        "coalesce(sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount END), 0) AS income, "
        "coalesce(sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount END), 0) AS spent "
        "FROM indicators i LEFT JOIN ledger_entries e ON e.indicator_id = i.id GROUP BY i.id ORDER BY i.id")
    found = 0
    for r in rows:
        problem = ""
        if r["spent"] > r["income"]:
            problem = f"支出 {fmt(r['spent'])} 元超过收入 {fmt(r['income'])} 元"
        elif r["spent"] < 0:
            problem = f"退回多于支出（净支出 {fmt(r['spent'])} 元）"
        elif r["income"] < 0:
            problem = f"调减、缴回多于收入（净收入 {fmt(r['income'])} 元）"
        if problem:
            yield Finding("专账不变量", f"指标 #{r['id']}（{r['doc_no']}）", problem)
            found += 1
            if found >= _LIMIT:
                return


def income_matches_register(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Each indicator has exactly one income entry of its amount, and each reduction exactly one entry."""
    found = 0
    for r in conn.execute(
            "SELECT i.id, i.doc_no, i.amount, count(e.id) AS n, coalesce(sum(e.amount), 0) AS posted "
            "FROM indicators i LEFT JOIN ledger_entries e ON e.indicator_id = i.id AND e.entry_type = 'income' "
            "GROUP BY i.id HAVING n <> 1 OR posted <> i.amount ORDER BY i.id"):
        yield Finding("专账不变量", f"指标 #{r['id']}（{r['doc_no']}）",
                      f"登记金额 {fmt(r['amount'])} 元，专账收入为 {r['n']} 笔共 {fmt(r['posted'])} 元，二者不符")
        found += 1
        if found >= _LIMIT:
            return
    for r in conn.execute(
            "SELECT r.id, r.amount, r.indicator_id, count(e.id) AS n, coalesce(sum(e.amount), 0) AS posted, "
            "max(e.indicator_id) AS ind FROM indicator_reductions r "
            "LEFT JOIN ledger_entries e ON e.reduction_id = r.id AND e.entry_type = 'reduction' "
            "GROUP BY r.id HAVING n <> 1 OR posted <> r.amount OR ind <> r.indicator_id ORDER BY r.id"):
        yield Finding("专账不变量", f"调减/收回 #{r['id']}",
                      f"登记金额 {fmt(r['amount'])} 元，专账记为 {r['n']} 笔共 {fmt(r['posted'])} 元，二者不符")
        found += 1
        if found >= _LIMIT:
            return
    for r in conn.execute(
            "SELECT e.id FROM ledger_entries e LEFT JOIN indicator_reductions r ON r.id = e.reduction_id "
            "WHERE e.entry_type = 'reduction' AND r.id IS NULL ORDER BY e.id LIMIT ?", (_LIMIT,)):
        yield Finding("专账不变量", f"记账记录 #{r['id']}", "调减/收回记账没有对应的调减/收回登记")


def balances_roll_forward(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Per kind and year: closing = opening + income − expenditure, and the next opening = this closing.

    Entry dates must be real dates, or an entry would fall out of every period's sums.
    """
    for r in conn.execute("SELECT id, entry_date FROM ledger_entries WHERE date(entry_date) IS NOT entry_date "
                          "ORDER BY id LIMIT ?", (_LIMIT,)):
        yield Finding("收支余", f"记账记录 #{r['id']}", f"记账日期“{r['entry_date']}”不是有效日期，该笔不在任何期间的收支余中")
    flows: dict[str, dict[int, tuple[int, int]]] = {}
    for r in conn.execute(
            "SELECT i.kind, CAST(substr(e.entry_date, 1, 4) AS INTEGER) AS y, "
            "coalesce(sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount END), 0), "
            "coalesce(sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount END), 0) "
            "FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
            "WHERE date(e.entry_date) IS e.entry_date GROUP BY i.kind, y"):
        flows.setdefault(r[0], {})[int(r[1])] = (int(r[2]), int(r[3]))
    for kind, by_year in sorted(flows.items()):
        opening = 0
        for year in range(min(by_year), max(by_year) + 1):
            income, spent = by_year.get(year, (0, 0))
            closing = conn.execute(
                "SELECT coalesce(sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE -e.sign * e.amount END), 0) "
                "FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id WHERE i.kind = ? AND e.entry_date <= ?",
                (kind, f"{year:04d}-12-31")).fetchone()[0]
            if closing != opening + income - spent:
                yield Finding("收支余", f"{kind} {year} 年",
                              f"年末余额 {fmt(closing)} 元 ≠ 年初余额 {fmt(opening)} + 收入 {fmt(income)} − 支出 {fmt(spent)} 元")
            opening = closing
