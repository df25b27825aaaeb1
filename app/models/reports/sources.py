"""The row sources of the nine monthly tables (resources/reports/table*.toml), read from the ledger.

Every figure is integer 分 summed in SQL; each table's rows follow the row-source contract written at
the top of its definition file. Tables 6–9 come from notices, warnings, performance and problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from app.models.ledger import deadlines
from app.models.ledger.query import BALANCE, EXPENSE, INCOME
from app.models.reports import review
from app.models.store import holidays, periods, rule_years
from app.models.store.book import Book

Rows = list[dict[str, Any]]
LEVEL_COLUMNS = {"central": "central", "region": "region", "prefecture": "prefecture", "county": "county"}


class Period:
    """The month being reported: its statistical period and the year it accumulates from.

    `carried`: balances may start from the last signed month's (see `carried_from`); verify's re-summing of
    signed months passes False and sums the whole history, so a carried figure is never checked against itself."""

    def __init__(self, book: Book, month: str, *, carried: bool = True) -> None:
        self.month = month
        self.carried = carried
        self.start, self.end = periods.bounds(book, month)
        self.year = int(month[:4])
        self.year_start = dt.date(self.year, 1, 1)
        self.known_by: str | None = None  # a sign-off's timestamp: 表7 counts only warnings detected by then
        # _carried_doc's and indicator_totals' answers, kept while the file is unchanged (`_state`): assembling a
        # month reads the signed snapshot for 表1, 表3 and 表4 and the totals for 表4 and the stored balances once
        self.cache: dict[str, tuple[tuple[int, int], Any]] = {}
        # how the figures are computed (package_data.CALC; verify passes a signed month's own): from 1 on, only
        # facts dated on or before the period end count (表2's stages and 已分配)
        from app.models.reports.package_data import CALC

        self.calc = CALC

    def args(self) -> tuple[str, str, str, str]:
        return (self.year_start.isoformat(), self.start.isoformat(), self.end.isoformat(), self.end.isoformat())


def _items(book: Book, p: Period, extra: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """One row per fund item that has any ledger activity up to the period end, with `extra` figures."""
    sql = f"""
        SELECT k.code AS kind_code, k.name AS kind_name, it.code AS item_code, it.name AS item_name, {extra}
        FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id
        JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item
        WHERE e.entry_date <= ?
        GROUP BY it.code ORDER BY k.sort, it.sort, it.code"""
    return [dict(r) for r in book.conn.execute(sql, (*args, p.end.isoformat()))]


def fund_receipts(book: Book, p: Period) -> Rows:
    """表1: net receipts (income side of the ledger) this month and this year, by source level.

    Like 表3, reads the entries dated after the last signed month plus the year's receipts carried from that
    month's signed 表1 (issue #22); without one, or for verify's re-summing, the whole history."""
    carry = carried_snapshot(book, p, "fund_receipts") if p.carried else None
    rows = _receipts_carried(book, p, *carry) if carry else _receipts_full(book, p)
    plans = annual_plans(book, p.year)
    out = []
    for r in rows:
        if not any(r[f"cum_{c}"] for c in LEVEL_COLUMNS.values()) and not plans.get(r["item_code"]):
            continue
        out.append(r | {"plan": plans.get(r["item_code"], 0)})
    return _named_in_year(book, p, out)


def _named_in_year(book: Book, p: Period, rows: Rows) -> Rows:
    """From calc 2: the fund kind and item names of the year's rule set where it defines the code (xj-2021's
    衔接资金 names in a 2021 month), else the file's (an item the bureau added). calc 0/1: the file's names."""
    if p.calc < 2 or not rows:
        return rows
    from app.models.ledger import catalogue

    kinds, items = catalogue.names_in_year(book, p.year)
    return [r | {"kind_name": kinds.get(str(r["kind_code"]), r["kind_name"]),
                 "item_name": items.get(str(r["item_code"]), r["item_name"])} for r in rows]


def rule_columns(book: Book, p: Period, source: str, rows: Rows) -> Rows:
    """From calc 2: the row fields of the report columns that belong to a ratio rule of the year's rule set (a
    column with `rule`, e.g. 表1's 产业发展比重 for xj-2021's industry_share): its ratio's numerator and denominator
    fields, each the rule's selector summed for the row's fund item (integer 分, as of the period end). A rule the
    year's set does not have adds nothing (the column is not shown: `wording`)."""
    from app.models.reports import definitions
    from app.models.warnings import ratio_detector

    if p.calc < 2:
        return rows
    yearly = {r.code: r for r in book.rules_for(p.year).ratios.yearly}
    for table in definitions.load().tables:
        if table.source != source or table.row_id is None:
            continue
        for col in table.all_columns:
            if not col.rule or col.rule not in yearly or not col.ratio:
                continue
            rule, end = yearly[col.rule], p.end.isoformat()
            num = ratio_detector.amounts_by_item(book, rule.numerator, p.year, end)
            den = ratio_detector.amounts_by_item(book, rule.denominator, p.year, end)
            key = table.row_id
            rows = [r | {col.ratio[0]: num.get(str(r[key]), 0), col.ratio[1]: den.get(str(r[key]), 0)} for r in rows]
    return rows


def wording(book: Book, p: Period) -> dict[str, object]:
    """From calc 2: the words of the year's rule set the month is rendered with (PackageData.wording, read by
    definitions.worded): the package name and table titles of its `[reports]`, and — for each report column that
    belongs to a ratio rule the set has — the rule's name as the column's header. calc 0/1: none."""
    from app.models.reports import definitions

    if p.calc < 2:
        return {}
    rules = book.rules_for(p.year)
    yearly = {r.code: r for r in rules.ratios.yearly}
    defs = definitions.load()
    titles = {t.id: title for t in defs.tables if (title := rules.reports.title(t.id))}
    columns = {c.rule: yearly[c.rule].ratio.name for t in defs.tables for c in t.all_columns if c.rule in yearly}
    out: dict[str, object] = {"titles": titles, "columns": columns}
    if rules.reports.name:
        out["name"] = rules.reports.name
    return out


def _receipt_columns(p: Period) -> tuple[str, list[str]]:
    parts, args = [], []
    for level, col in LEVEL_COLUMNS.items():
        parts.append(f"coalesce(sum(CASE WHEN i.source_level = ? AND e.entry_date >= ? THEN {INCOME} END), 0) AS month_{col}")
        parts.append(f"coalesce(sum(CASE WHEN i.source_level = ? AND e.entry_date >= ? THEN {INCOME} END), 0) AS cum_{col}")
        args += [level, p.start.isoformat(), level, p.year_start.isoformat()]
    return ", ".join(parts), args


def _receipts_full(book: Book, p: Period) -> Rows:
    """表1's figures by item over every ledger entry up to the period end (the independent sum)."""
    return [{k: r[k] for k in (*ITEM_KEYS, *RECEIPT_FIELDS)} for r in _full_sums(book, p)]


RECEIPT_FIELDS = tuple(f"{w}_{c}" for c in LEVEL_COLUMNS.values() for w in ("month", "cum"))
"""_receipt_columns' figures, in its order."""
ITEM_KEYS = ("kind_code", "kind_name", "item_code", "item_name")


def _receipts_carried(book: Book, p: Period, end: dt.date, signed: dict[str, dict[str, Any]]) -> Rows:
    """表1 from the signed month's (period end `end`) year-to-date receipts plus the entries dated after it.

    Every item with receipts this year is in the signed rows or among the entries since; an item with none
    this year appears (with zeros) only if it has a plan and any ledger activity up to the period end, which
    an indexed probe answers for the few planned items left over (the plan is read live, never carried)."""
    extra, args = _receipt_columns(p)
    since = {str(r["item_code"]): dict(r) for r in book.conn.execute(f"""
        SELECT k.code AS kind_code, it.code AS item_code, {extra}
        FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id
        JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item
        WHERE e.entry_date > ? AND e.entry_date <= ? GROUP BY it.code""",
        (*args, end.isoformat(), p.end.isoformat()))}
    same_year = end >= p.year_start
    figures: dict[str, dict[str, int]] = {}
    kinds: dict[str, str] = {}
    for code in set(since) | (set(signed) if same_year else set()):
        old = signed.get(code, {}) if same_year else {}
        new = since.get(code, {})
        figures[code] = {f: (int(old.get(f, 0)) if f.startswith("cum_") else 0) + int(new.get(f, 0))
                         for f in RECEIPT_FIELDS}
        kinds[code] = str((new or old)["kind_code"])
    for code in annual_plans(book, p.year):
        if code in figures or not book.conn.execute(
                "SELECT 1 FROM indicators i WHERE i.item = ? AND EXISTS (SELECT 1 FROM ledger_entries e "
                "WHERE e.indicator_id = i.id AND e.entry_date <= ?) LIMIT 1", (code, p.end.isoformat())).fetchone():
            continue
        figures[code] = dict.fromkeys(RECEIPT_FIELDS, 0)
        kinds[code] = str(book.conn.execute("SELECT kind FROM indicators WHERE item = ? LIMIT 1", (code,)).fetchone()[0])
    return _named_rows(book, figures, kinds)


def _named_rows(book: Book, figures: dict[str, dict[str, int]], kinds: dict[str, str]) -> Rows:
    """Rows by item with their kind and item names, in _items' order (kind, item, code)."""
    if not figures:
        return []
    names = {str(r[0]): r for r in book.conn.execute(
        f"SELECT it.code, it.name, it.sort FROM fund_items it WHERE it.code IN ({','.join('?' * len(figures))})",
        sorted(figures))}
    kind_rows = {str(r[0]): r for r in book.conn.execute("SELECT code, name, sort FROM fund_kinds")}
    out = []
    for code, f in figures.items():
        kind, item = kind_rows[kinds[code]], names[code]
        out.append({"kind_code": kinds[code], "kind_name": kind[1], "item_code": code, "item_name": item[1]} | f
                   | {"_sort": (kind[2], item[2], code)})
    out.sort(key=lambda r: r["_sort"])
    for r in out:
        del r["_sort"]
    return out


def annual_plans(book: Book, year: int) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in book.conn.execute("SELECT item, amount FROM annual_plans WHERE year = ?", (year,))}


def ledger_balances(book: Book, p: Period) -> Rows:
    """表3: 年初结余, income and expenditure (month, year), closing, and what the treasury paid.

    Reads the month's rows plus the balances carried from the last signed month (issue #22): the cost
    follows the months since that sign-off, not the whole history. Without one, the whole history.
    表4 starts from the same rows: one month's assembly reads them once (fresh copies for each caller)."""
    state = _state(book)
    if "balances" not in p.cache or p.cache["balances"][0] != state:
        p.cache["balances"] = (state, _ledger_balances(book, p))
    return [dict(r) for r in p.cache["balances"][1]]


def _ledger_balances(book: Book, p: Period) -> Rows:
    carry = carried_from(book, p) if p.carried else None
    rows = _balances_carried(book, p, *carry) if carry else _balances_full(book, p)
    ys, me = p.year_start.isoformat(), p.end.isoformat()
    treasury = {r[0]: int(r[1]) for r in book.conn.execute(
        "SELECT i.item, sum(t.amount) FROM treasury_payments t JOIN indicators i ON i.id = t.indicator_id "
        "WHERE t.pay_date BETWEEN ? AND ? GROUP BY i.item", (ys, me))}
    func = review.item_functional(book, p.end)
    return _named_in_year(book, p, [
        r | {"treasury_paid_cum": treasury.get(r["item_code"], 0), "func_codes": func.get(r["item_code"], "")}
        for r in rows if r["opening"] or r["income_cum"] or r["spend_cum"] or r["closing"]])


BALANCE_FIELDS = ("opening", "income_month", "income_cum", "spend_month", "spend_cum", "closing")


def _balances_full(book: Book, p: Period) -> Rows:
    """表3's figures by item summed over every ledger entry up to the period end (the independent sum)."""
    return [{k: r[k] for k in (*ITEM_KEYS, *BALANCE_FIELDS)} for r in _full_sums(book, p)]


_BALANCE_COLUMNS = f"""
        coalesce(sum(CASE WHEN e.entry_date < ? THEN {BALANCE} END), 0) AS opening,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_month,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_cum,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS spend_month,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS spend_cum,
        coalesce(sum({BALANCE}), 0) AS closing"""
"""表3's figures (BALANCE_FIELDS) as _items' `extra`; its arguments: year start, month start, year start, month start,
year start."""


def _full_sums(book: Book, p: Period) -> Rows:
    """表1's and 表3's figures by item over every ledger entry up to the period end, in one pass over the entries (both
    tables sum the same entries by item; issue #22: verify's re-summing of each signed month, and a month with no
    signed one to carry from, read the whole history once rather than twice). Kept while the file is unchanged."""
    state = _state(book)
    if "full" not in p.cache or p.cache["full"][0] != state:
        receipts, args = _receipt_columns(p)
        ys, ms = p.year_start.isoformat(), p.start.isoformat()
        p.cache["full"] = (state, _items(book, p, f"{receipts}, {_BALANCE_COLUMNS}", (*args, ys, ms, ys, ms, ys)))
    return p.cache["full"][1]  # type: ignore[no-any-return]


def carried_from(book: Book, p: Period) -> tuple[dt.date, dict[str, dict[str, Any]]] | None:
    """表3's carried rows: `carried_snapshot` of "ledger_balances"."""
    return carried_snapshot(book, p, "ledger_balances")


def carried_snapshot(book: Book, p: Period, source: str) -> tuple[dt.date, dict[str, dict[str, Any]]] | None:
    """The last signed month before `p` whose period ends before `p` starts, as (its period end, its rows of table
    `source` — 表3's "ledger_balances", 表1's "fund_receipts" — by item) — when nothing dated up to that end can have
    changed since: that month and every earlier one are closed (the triggers refuse entries in closed months and
    before the last signed one). The rows are the signed snapshot's: covered by the sign-off's signature (the
    workbook's tables are in the signed manifest, and verify re-creates the workbook from the snapshot) and summed
    again from the whole history by verify (`anchors.check_drift`). Else None (sum everything)."""
    found = _carried_doc(book, p)
    if found is None:
        return None
    end, doc = found
    rows = doc["rows"].get(source)
    if rows is None:
        return None
    return end, {str(r["item_code"]): r for r in rows}


def _carried_doc(book: Book, p: Period) -> tuple[dt.date, dict[str, Any]] | None:
    """The last signed month's period end and stored data when `p` may carry from it (see `carried_snapshot`)."""
    state = _state(book)
    if "doc" in p.cache and p.cache["doc"][0] == state:
        return p.cache["doc"][1]  # type: ignore[no-any-return]
    found = _read_carried_doc(book, p)
    p.cache["doc"] = (state, found)
    return found


def _state(book: Book) -> tuple[int, int]:
    return book.data_state()


CARRIED_PARTS = {"period_end": "$.period_end", "ledger_balances": "$.rows.ledger_balances",
                 "fund_receipts": "$.rows.fund_receipts", "balances": "$.balances"}
"""The parts of a signed month's stored data later months carry: SQLite cuts them out of the text, so Python parses
these few and not every table's rows (表6/表8 have a row per object of the whole history)."""


def _read_carried_doc(book: Book, p: Period) -> tuple[dt.date, dict[str, Any]] | None:
    """The carried parts of the last signed month's data as {"period_end", "rows": {表3, 表1}, "balances"} — a part
    the month did not store (balances before calc 3) is absent."""
    found = periods.signed_carry(book, p.month, p.start, CARRIED_PARTS)
    if found is None:
        return None
    _month, end, parts = found
    doc: dict[str, Any] = {"period_end": parts["period_end"],
                           "rows": {k: parts[k] for k in ("ledger_balances", "fund_receipts") if k in parts}}
    if "balances" in parts:
        doc["balances"] = parts["balances"]
    return end, doc


def _balances_carried(book: Book, p: Period, end: dt.date, signed: dict[str, dict[str, Any]]) -> Rows:
    """表3's figures from the signed month's (period end `end`) plus the entries dated after it."""
    ys, ms, after, me = p.year_start.isoformat(), p.start.isoformat(), end.isoformat(), p.end.isoformat()
    since = {str(r["item"]): dict(r) for r in book.conn.execute(f"""
        SELECT it.code AS item, k.code AS kind_code,
        coalesce(sum(CASE WHEN e.entry_date < ? THEN {BALANCE} END), 0) AS before_year,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_month,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {INCOME} END), 0) AS income_year,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS spend_month,
        coalesce(sum(CASE WHEN e.entry_date >= ? THEN {EXPENSE} END), 0) AS spend_year,
        coalesce(sum({BALANCE}), 0) AS delta
        FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id
        JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item
        WHERE e.entry_date > ? AND e.entry_date <= ? GROUP BY it.code""", (ys, ms, ys, ms, ys, after, me))}
    same_year = end >= p.year_start
    codes = set(signed) | set(since)
    if not codes:
        return []
    kinds = {code: str((since.get(code) or signed[code])["kind_code"]) for code in codes}
    names = {str(r[0]): r for r in book.conn.execute(
        f"SELECT it.code, it.name, it.sort FROM fund_items it WHERE it.code IN ({','.join('?' * len(codes))})",
        sorted(codes))}
    kind_rows = {str(r[0]): r for r in book.conn.execute("SELECT code, name, sort FROM fund_kinds")}
    out = []
    for code in codes:
        old = signed.get(code, {})
        new = since.get(code, {})
        got = {f: int(new.get(f, 0)) for f in ("before_year", "income_month", "income_year", "spend_month",
                                               "spend_year", "delta")}
        if same_year:
            opening = int(old.get("opening", 0))
            income_cum = int(old.get("income_cum", 0)) + got["income_year"]
            spend_cum = int(old.get("spend_cum", 0)) + got["spend_year"]
        else:
            opening = int(old.get("closing", 0)) + got["before_year"]
            income_cum, spend_cum = got["income_year"], got["spend_year"]
        kind = kind_rows[kinds[code]]
        item = names[code]
        out.append({"kind_code": kinds[code], "kind_name": kind[1], "item_code": code, "item_name": item[1],
                    "opening": opening, "income_month": got["income_month"], "income_cum": income_cum,
                    "spend_month": got["spend_month"], "spend_cum": spend_cum,
                    "closing": int(old.get("closing", 0)) + got["delta"], "_sort": (kind[2], item[2], code)})
    out.sort(key=lambda r: r["_sort"])
    for r in out:
        del r["_sort"]
    return out


INDICATOR_FIELDS = ("opening", "income", "spent", "closing", "net", "spent_all")
"""What a sign-off from calc 3 stores per indicator (PackageData.balances, in this order): the balance carried into
the year (年初结余), the year's income and spending, the closing balance, and income and spending since arrival —
all as of the period end. 表4's 上年结转/当年 split, idle years and bond columns are these figures by indicator."""


def indicator_totals(book: Book, p: Period) -> dict[int, list[int]]:
    """Per indicator with any money up to the period end, its INDICATOR_FIELDS (an indicator whose six are all zero
    is left out: it adds nothing to any table). Carried from the last signed month's stored balances plus the
    entries dated after it when there are such (issue #22); without them, or for verify's re-summing
    (`carried=False`), summed over every entry up to the period end."""
    state = _state(book)
    if "totals" in p.cache and p.cache["totals"][0] == state:
        return p.cache["totals"][1]  # type: ignore[no-any-return]
    found = _carried_doc(book, p) if p.carried else None
    signed = found[1].get("balances") if found else None
    after = found[0] if found and signed is not None else None
    ys, me = p.year_start.isoformat(), p.end.isoformat()
    since = {int(r[0]): [int(v) for v in r[1:]] for r in book.conn.execute(f"""
        SELECT e.indicator_id, coalesce(sum(CASE WHEN e.entry_date < :ys THEN {BALANCE} END), 0),
          coalesce(sum(CASE WHEN e.entry_date >= :ys THEN {INCOME} END), 0),
          coalesce(sum(CASE WHEN e.entry_date >= :ys THEN {EXPENSE} END), 0),
          coalesce(sum({BALANCE}), 0), coalesce(sum({INCOME}), 0), coalesce(sum({EXPENSE}), 0)
        FROM ledger_entries e WHERE e.entry_date <= :end {"AND e.entry_date > :after" if after else ""}
        GROUP BY e.indicator_id""", {"ys": ys, "end": me, "after": after.isoformat() if after else ""})}
    if after is not None and signed is not None:
        same_year = after >= p.year_start
        for key, old in signed.items():
            new = since.get(int(key), [0] * 6)
            opening, income, spent, closing, net, spent_all = (int(v) for v in old)
            since[int(key)] = [(opening if same_year else closing) + new[0], (income if same_year else 0) + new[1],
                               (spent if same_year else 0) + new[2], closing + new[3], net + new[4],
                               spent_all + new[5]]
    totals = {k: v for k, v in sorted(since.items()) if any(v)}
    p.cache["totals"] = (state, totals)
    return totals


def stored_balances(book: Book, p: Period) -> dict[str, list[int]]:
    """What a month's sign-off stores from calc 3 (PackageData.balances): indicator_totals by indicator id."""
    if p.calc < 3:
        return {}
    return {str(k): v for k, v in indicator_totals(book, p).items()}


def _bonds_and_split(book: Book, p: Period) -> tuple[dict[str, list[int]], dict[str, dict[str, int]]]:
    """表4's bond columns and carryover split from the carried indicator totals — the same figures as
    `progress.bond_clocks(include_spent=True)` and `review.carryover` sum over every ledger entry."""
    from app.models.ledger import progress

    totals = indicator_totals(book, p)
    info = {int(r[0]): (str(r[1]), str(r[2]), dt.date.fromisoformat(str(r[3]))) for r in book.conn.execute(
        "SELECT id, item, kind, received_date FROM indicators")}
    rules = book.rules_on(p.end)
    months = rules.spending.bond_spend_months
    bonds: dict[str, list[int]] = {}
    for key, (_o, _i, _s, _c, net, spent_all) in totals.items():
        item, kind, received = info[key]
        if received > p.end or not rules.is_bond(kind, item):
            continue
        unspent = max(net - spent_all, 0)
        got = bonds.setdefault(item, [0, 0, 0])
        got[0] += net
        got[1] += spent_all
        got[2] += unspent if unspent > 0 and p.end > progress.add_months(received, months) else 0
    split = review.split_carryover(
        ((info[k][0], info[k][2], v[0], v[1], v[2], v[3]) for k, v in totals.items()), p.end)
    return bonds, split


def spending_progress(book: Book, p: Period) -> Rows:
    """表4: available vs spent, the time-elapsed pace to the year-end date, bond money and 质保金.

    From a month carried from a sign-off that stored its indicator balances (calc 3, issue #22), the bond columns and
    the 上年结转/当年 split come from those balances plus the entries since; otherwise (and for verify's re-summing)
    from every ledger entry up to the period end."""
    from app.models.ledger import progress

    year_end = book.rules_for(p.year).spending.year_end(p.year)
    pace_days = (year_end - p.year_start).days + 1
    elapsed = min((p.end - p.year_start).days + 1, pace_days)
    found = _carried_doc(book, p) if p.carried else None
    if found is not None and found[1].get("balances") is not None:
        bonds, split = _bonds_and_split(book, p)
    else:
        bonds = {}
        for clock in progress.bond_clocks(book, p.end, include_spent=True):
            item = book.conn.execute("SELECT item FROM indicators WHERE id = ?", (clock.indicator_id,)).fetchone()[0]
            got = bonds.setdefault(item, [0, 0, 0])
            got[0] += clock.net
            got[1] += clock.spent
            got[2] += clock.unspent if clock.overdue else 0
        split = review.carryover(book, p.year_start, p.end)
    retention = retention_by_item(book, p.end, finished_as_of=p.calc >= 1)
    out = []
    for r in ledger_balances(book, p):
        bond = bonds.get(r["item_code"], [0, 0, 0])
        extra = split.get(r["item_code"]) or dict.fromkeys(review.CARRY_KEYS, 0)
        out.append({
            "kind_code": r["kind_code"], "kind_name": r["kind_name"], "item_code": r["item_code"],
            "item_name": r["item_name"], "available": r["opening"] + r["income_cum"], "spent_cum": r["spend_cum"],
            "elapsed_days": elapsed, "pace_days": pace_days, "bond_received": bond[0], "bond_spent": bond[1],
            "bond_idle": bond[2], "retention": retention.get(r["item_code"], 0),
        } | {k: extra[k] for k in review.CARRY_KEYS})
    return out


def _finished_after(book: Book, as_of: dt.date, finished: list[str]) -> set[int]:
    """Projects finished now whose move to a finished status was recorded after `as_of` (the audit log dates each
    move; statuses only move forward): a month's 质保金 must not change when a project is finished after it."""
    later = set()
    rows = book.conn.execute(
        f"""SELECT p.id, (SELECT min(a.at) FROM audit_log a WHERE a.tbl = 'projects' AND a.row_key = CAST(p.id AS TEXT)
                          AND json_extract(a.after, '$.status') IN ({",".join("?" * len(finished))}))
            FROM projects p WHERE p.retention_bp > 0 AND p.status IN ({",".join("?" * len(finished))})""",
        (*finished, *finished)).fetchall()
    for project_id, first_at in rows:
        if first_at is not None and str(first_at)[:10] > as_of.isoformat():
            later.add(int(project_id))
    return later


def retention_by_item(book: Book, as_of: dt.date, *, finished_as_of: bool = False) -> dict[str, int]:
    """质保金 held back on finished projects, attributed to the items of their funding lines. `finished_as_of` (calc 1):
    only projects whose finishing was recorded by `as_of` — months signed before it counted today's status."""
    finished = list(rule_years.finished_codes(book))  # each project finished by its own year's stages
    retention_kinds = [k.code for k in book.rules_on(as_of).payment.kinds if k.retention]
    if not finished or not retention_kinds:
        return {}
    held: dict[str, int] = {}
    rows = book.conn.execute(
        f"""SELECT p.id, coalesce((SELECT s.amount FROM project_settlements s WHERE s.project_id = p.id
                                    AND s.settled_on <= ?), p.contract_amount) * p.retention_bp / 10000 -
              coalesce((SELECT sum(y.amount) FROM payments y WHERE y.project_id = p.id AND y.status = 'paid'
                        AND y.pay_date <= ? AND y.kind IN ({",".join("?" * len(retention_kinds))})), 0)
            FROM projects p WHERE p.retention_bp > 0 AND p.contract_amount > 0
            AND p.status IN ({",".join("?" * len(finished))})""",
        (as_of.isoformat(), as_of.isoformat(), *retention_kinds, *finished)).fetchall()
    later = _finished_after(book, as_of, finished) if finished_as_of else set()
    for project_id, amount in rows:
        if amount <= 0 or int(project_id) in later:
            continue
        lines = book.conn.execute(
            "SELECT i.item, sum(f.amount) FROM project_funding f JOIN indicators i ON i.id = f.indicator_id "
            "WHERE f.project_id = ? GROUP BY i.item ORDER BY sum(f.amount) DESC, i.item", (project_id,)).fetchall()
        total = sum(int(r[1]) for r in lines) or 1
        left = int(amount)
        for n, (item, part) in enumerate(lines):
            share = left if n == len(lines) - 1 else int(amount) * int(part) // total
            held[item] = held.get(item, 0) + share
            left -= share
    return held


def indicator_rows(book: Book, p: Period) -> Rows:
    """表2: each allocation document from above received this year, with its own deadline."""
    from app.models.ledger import indicators
    from app.models.plan import projects

    above = [lv.code for lv in book.rules_for(p.year).source_levels]
    own = {"county": "county", "prefecture": "prefecture"}.get(str(deadlines.bureau_level(book)), "county")
    above = above[: above.index(own)] if own in above else above
    cal = holidays.calendar(book)
    named = p.calc >= 2  # calc 2: the year's rule set names the kind and item (see _named_in_year)
    if named:
        from app.models.ledger import catalogue

        kind_names, item_names = catalogue.names_in_year(book, p.year)
    out = []
    for row in book.conn.execute(
            f"SELECT id FROM indicators WHERE received_date BETWEEN ? AND ? "
            f"AND source_level IN ({','.join('?' * len(above))}) ORDER BY received_date, id",
            (p.year_start.isoformat(), p.end.isoformat(), *above)):
        ind = indicators.get(book, int(row[0]))
        net = int(book.conn.execute(
            f"SELECT coalesce(sum({INCOME}), 0) FROM ledger_entries e WHERE e.indicator_id = ? AND e.entry_date <= ?",
            (ind["id"], p.end.isoformat())).fetchone()[0])
        as_of = p.end if p.calc >= 1 else None  # calc 0: as months signed before the as-of rule were summed
        stage = next((s for s in deadlines.stages(book, ind, cal=cal, today=p.end, as_of=as_of) if s["own"]), None)
        done = stage["done"] if stage and stage["done"] and stage["done"] <= p.end else None
        used = ""
        if stage and stage["used"] is not None:
            used = f"{stage['used']}个{'工作日' if stage['day_type'] == 'working' else '自然日'}"
        limit = f"{stage['days']}个{'工作日' if stage['day_type'] == 'working' else '自然日'}" if stage else ""
        kind_name, item_name = ind["kind_name"], ind["item_name"]
        if named:
            kind_name = kind_names.get(str(ind["kind"]), kind_name)
            item_name = item_names.get(str(ind["item"]), item_name)
        out.append({
            "doc_no": ind["doc_no"], "kind_name": f"{kind_name}/{item_name}",
            "source_level": ind["source_level_name"], "amount": net,
            "upper_doc_date": _day(ind.get("upper_doc_date")), "received_on": _day(ind["received_date"]),
            "allocated": min(deadlines.approved_as_of(book, int(ind["id"]), p.end) if as_of
                             else projects.planned_on_indicator(book, int(ind["id"])), net), "issued_on": done,
            "days_used": used, "limit": limit, "overdue": bool(stage and stage["late"]),
        } | review.stage_columns(book, ind, p.end, cal, as_of=as_of is not None))
    return out


def _day(text: object) -> dt.date | None:
    return dt.date.fromisoformat(str(text)) if text else None


def project_payments(book: Book, p: Period) -> Rows:
    """表5: projects with payments or returns this year — paid amounts net of refunds of their payments.

    Starts from the year's payments, refunds and returns (issue #22): the projects visited are the year's, not
    every project in the file's history (which the same rows in the same order came from before)."""
    ys, ms, me = p.year_start.isoformat(), p.start.isoformat(), p.end.isoformat()
    prepay = [k.code for k in book.rules_for(p.year).payment.kinds if k.prepayment] or [""]
    after_end = (p.end + dt.timedelta(days=1)).isoformat()  # the range the index reads; substr() decides
    rows = book.conn.execute(
        f"""
        WITH paid AS (
            SELECT y.project_id, y.pay_date AS day, y.amount AS amount, y.kind AS kind, 1 AS n
            FROM payments y WHERE y.status = 'paid' AND y.pay_date BETWEEN ? AND ?
            UNION ALL
            SELECT y.project_id, e.entry_date, -e.amount, y.kind, 0
            FROM ledger_entries e JOIN payments y ON y.id = e.payment_id
            WHERE e.entry_type = 'refund' AND e.entry_date BETWEEN ? AND ?),
        returned AS (
            SELECT y.project_id, v.at AS day, y.return_reason AS reason FROM payment_events v
            JOIN payments y ON y.id = v.payment_id WHERE v.action = 'return' AND v.at >= ? AND v.at < ?
            AND substr(v.at, 1, 10) BETWEEN ? AND ?)
        SELECT pr.code AS project_no, pr.name AS project_name, pr.category AS category,
          coalesce((SELECT sum(f.amount) FROM project_funding f WHERE f.project_id = pr.id), 0) AS planned,
          coalesce((SELECT sum(n) FROM paid WHERE paid.project_id = pr.id AND day >= ?), 0) AS pay_count_month,
          coalesce((SELECT sum(amount) FROM paid WHERE paid.project_id = pr.id AND day >= ?), 0) AS paid_month,
          coalesce((SELECT sum(amount) FROM paid WHERE paid.project_id = pr.id), 0) AS paid_cum,
          coalesce((SELECT sum(amount) FROM paid WHERE paid.project_id = pr.id
                    AND kind IN ({",".join("?" * len(prepay))})), 0) AS prepaid_cum,
          (SELECT count(*) FROM returned WHERE returned.project_id = pr.id AND substr(day, 1, 10) >= ?) AS returned_month,
          (SELECT group_concat(reason, '；') FROM (SELECT DISTINCT reason FROM returned
                WHERE returned.project_id = pr.id AND substr(day, 1, 10) >= ? AND reason <> '')) AS return_reasons
        FROM projects pr
        WHERE pr.id IN (SELECT project_id FROM paid UNION SELECT project_id FROM returned)
        ORDER BY pr.code""",
        (ys, me, ys, me, ys, after_end, ys, me, ms, ms, *prepay, ms, ms)).fetchall()
    names = {c.code: c.name for c in book.rules_for(p.year).project_categories}
    codes = review.project_codes(book, p.year_start, p.end)
    none = {"func_codes": "", "econ_codes": ""}
    approved = _approved_as_of(book, [str(r["project_no"]) for r in rows], p.end) if p.calc >= 1 else {}
    return [dict(r) | approved.get(r["project_no"], {})
            | {"category": names.get((approved.get(r["project_no"]) or {}).get("category", r["category"]), r["category"]),
               "return_reasons": r["return_reasons"] or ""}
            | codes.get(r["project_no"], none) for r in rows]


def _approved_as_of(book: Book, codes: list[str], end: dt.date) -> dict[str, dict[str, Any]]:
    """表5 (and 表8's name) from calc 1: each project's name, category and 计划金额 as its last version approved on or before `end`
    stated them (a 调整 decided later does not reach back into a signed month); a project with no version approved
    by then keeps what it has now."""
    import json

    out: dict[str, dict[str, Any]] = {}
    if not codes:
        return out
    for code, text in book.conn.execute(
            "SELECT p.code, v.snapshot FROM plan_versions v JOIN plan_decisions d ON d.id = v.decision_id "
            f"JOIN projects p ON p.id = v.project_id WHERE d.decision_date <= ? AND p.code IN ({','.join('?' * len(codes))}) "
            "ORDER BY d.decision_date, v.version", (end.isoformat(), *codes)):
        snap = json.loads(text)
        fields = snap.get("project") or {}
        out[str(code)] = {"project_name": fields.get("name"), "category": fields.get("category"),
                          "planned": sum(int(f["amount"]) for f in snap.get("funding") or [])}
        out[str(code)] = {k: v for k, v in out[str(code)].items() if v is not None}
    return out


def notice_rows(book: Book, p: Period) -> Rows:
    """表6: what had to be noticed by the period end and what was, per level and kind."""
    from app.models.notices import obligations as notice_obligations

    return notice_obligations.summary(book, as_of=p.end, start=p.year_start, as_of_rule=p.calc >= 1)


def warning_summary(book: Book, p: Period) -> Rows:
    """表7, from the dated warning history (frozen once the month closes), so a signed month re-creates."""
    from app.models.warnings import query as warnings_query

    arisen = review.warnings_arisen(book, p.start, p.end, p.known_by, indexed=p.carried)
    zero = {"arose_month": 0, "arose_cum": 0, "found_later": 0}
    return [r | arisen.get(str(r["code"]), zero) for r in warnings_query.warning_summary(book, month=p.month)]


def performance_rows(book: Book, p: Period) -> Rows:
    """表8, as of the period's last day."""
    from app.models.performance import query as perf_query

    evaluated = {r[0] for r in book.conn.execute(
        "SELECT p.code FROM perf_evaluations e JOIN projects p ON p.id = e.project_id WHERE e.evaluated_on <= ?",
        (p.end.isoformat(),))}
    rows = perf_query.table8_rows(book, month=p.month)
    approved = _approved_as_of(book, [str(r["project_no"]) for r in rows], p.end) if p.calc >= 1 else {}
    return [r | {k: v for k, v in approved.get(r["project_no"], {}).items() if k == "project_name"}
            | {"flag": review.monitoring_flag(r, r["project_no"] in evaluated)} for r in rows]


def problem_rows(book: Book, p: Period) -> Rows:
    from app.models.warnings import problems

    return [{k: v for k, v in r.items() if k != "closed"}
            | {"flag": review.overdue_flag(r["deadline"], bool(r.get("closed")), p.end)}
            for r in problems.table9_rows(book, month=p.month)]


SOURCES: dict[str, Callable[[Book, Period], Rows]] = {
    "fund_receipts": fund_receipts,
    "indicators": indicator_rows,
    "ledger_balances": ledger_balances,
    "spending_progress": spending_progress,
    "project_payments": project_payments,
    "notices": notice_rows,
    "warning_summary": warning_summary,
    "performance": performance_rows,
    "problems": problem_rows,
}


def all_sources() -> dict[str, Callable[[Book, Period], Rows]]:
    """Every row source the report definitions name, checked against them so none is missing."""
    from app.models.reports import definitions

    wanted = {t.source for t in definitions.load().tables}
    missing = wanted - set(SOURCES)
    if missing:
        raise RuntimeError(f"report row sources without data: {sorted(missing)}")
    return {name: SOURCES[name] for name in sorted(wanted)}
