"""The columns a prefecture reviewer asks for (issue 18 item 3), computed beside the nine row sources.

Each function answers one column group, as of the statistical period's last day, from dated data only, so a
signed month sums again to the same figures (verify's drift check):
- 表2: every stage of a document's way down (中央/自治区 → 地州 → 县) with its own verdict;
- 表4: 上年结转 and 当年 money apart (the 31 October rule applies to 当年 money only), and money idle 1 / 2 years;
- 表7: warnings counted by when the problem arose (`since`) as well as when it was found;
- 表8 / 表9: the flags a reviewer looks for (no monitoring this month, rectification past its deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from app.models.ledger import deadlines
from app.models.ledger.query import BALANCE, EXPENSE, INCOME
from app.models.store.book import Book
from app.models.values import workdays


# -- 表2 -------------------------------------------------------------------------------------------------------
def _unit(stage: Mapping[str, Any]) -> str:
    return "个工作日" if stage["day_type"] == "working" else "天"


def stage_verdict(stage: Mapping[str, Any], end: dt.date, cal: workdays.Calendar) -> tuple[str, bool | None]:
    """One stage judged on the period's last day: its text (按时 / 逾期 N 天 / 未完成) and whether it was late.

    A stage finished after the period end counts as unfinished on that day (the table must not know the future)."""
    unit = _unit(stage)
    done = stage["done"]
    if done is not None and done <= end:
        late = done > stage["due"]
        if stage["used"] is None:
            return "已完成", late
        over = stage["used"] - stage["days"]
        text = f"逾期 {over} {unit}" if late else f"按时（{stage['used']}/{stage['days']} {unit}）"
        return text + ("（估算）" if stage["estimated"] else ""), late
    if stage["due"] < end and (stage["own"] or done is not None):
        if stage["day_type"] == "working":
            over = workdays.working_days_between(stage["due"], end, cal)
        else:
            over = (end - stage["due"]).days
        return f"逾期未完成（已超 {over} {unit}）", True
    if stage["own"] or done is not None:
        return f"未完成，{stage['due'].isoformat()} 到期", False
    return "未记录完成日期", None


def stage_columns(book: Book, ind: Mapping[str, Any], end: dt.date, cal: workdays.Calendar,
                  as_of: bool = False) -> dict[str, str]:
    """表2's 各环节 (every stage, who, verdict) and 逾期环节 (who was late, e.g. 地州、县; or 无). `as_of` (calc 1):
    the stages from facts dated up to `end` only (e.g. a 调减 recorded later does not move 全部安排)."""
    parts, late = [], []
    for stage in deadlines.stages(book, ind, cal=cal, today=end, as_of=end if as_of else None):
        if stage["from_date"] > end:
            continue
        text, is_late = stage_verdict(stage, end, cal)
        parts.append(f"{stage['who']}：{text}")
        if is_late:
            late.append(str(stage["who"]))
    return {"stages": "；".join(parts), "late_stages": "、".join(late) if late else ("无" if parts else "")}


CARRY_KEYS = ("carry_available", "carry_spent", "current_available", "current_spent", "idle_1y", "idle_2y")


# -- 表4 -------------------------------------------------------------------------------------------------------
def carryover(book: Book, year_start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """Per fund item: 上年结转 (the balance carried into the year, 年初结余) and 当年 (this year's income) apart,
    and what was spent out of each, plus the money idle one and two years (see docs/月报说明.md 表4).

    [design] An indicator's spending this year draws on its own carried balance first (先支结转、后支当年): a
    document from last year with money left spends that money before any income it receives this year, and a
    document received this year has no carried balance. 结转1年以上 / 2年以上: the balance still unspent on the
    period end of the documents received at least one / two years before it (1年以上 includes 2年以上)."""
    rows = book.conn.execute(
        f"""SELECT i.item, i.received_date,
              coalesce(sum(CASE WHEN e.entry_date < :ys THEN {BALANCE} END), 0) AS opening,
              coalesce(sum(CASE WHEN e.entry_date >= :ys THEN {INCOME} END), 0) AS income,
              coalesce(sum(CASE WHEN e.entry_date >= :ys THEN {EXPENSE} END), 0) AS spent,
              coalesce(sum({BALANCE}), 0) AS closing
            FROM indicators i JOIN ledger_entries e ON e.indicator_id = i.id AND e.entry_date <= :end
            GROUP BY i.id""", {"ys": year_start.isoformat(), "end": end.isoformat()})
    return split_carryover(((item, dt.date.fromisoformat(received), *figures) for item, received, *figures in rows),
                           end)


def split_carryover(rows: Iterable[tuple[str, dt.date, int, int, int, int]], end: dt.date) -> dict[str, dict[str, int]]:
    """`carryover`'s sums from per-indicator (item, received, 年初结余, income and spending this year, closing)."""
    one, two = end - relativedelta(years=1), end - relativedelta(years=2)
    out: dict[str, dict[str, int]] = {}
    for item, day, opening, income, spent, closing in rows:
        t = out.setdefault(item, dict.fromkeys(CARRY_KEYS, 0))
        carry_spent = min(max(spent, 0), max(opening, 0))
        t["carry_available"] += opening
        t["carry_spent"] += carry_spent
        t["current_available"] += income
        t["current_spent"] += spent - carry_spent
        if closing > 0 and day <= one:
            t["idle_1y"] += closing
            if day <= two:
                t["idle_2y"] += closing
    return out


# -- 表7 -------------------------------------------------------------------------------------------------------
def warnings_arisen(book: Book, start: dt.date, end: dt.date, known_by: str | None,
                    indexed: bool = False) -> dict[str, dict[str, int]]:
    """Per warning type: 本月发生 / 累计发生 (its `since` in the month / from 1 January to the period end), and how
    many of the year's were found after the period end (事后发现: back-filled history, a late check).

    `known_by`: a sign-off's timestamp — only warnings detected by then count, so a signed month sums again the same
    (a warning found later does not change a table already sent). None (a preview): every warning known now.
    `indexed` (issue #22): read only the warnings first detected from 1 January on (the index on first_detected), not
    every year's — the same rows, since a warning's `since` is never after its first detection (warnings.engine
    stores min(since, day)); verify's re-summing passes False and reads them all. Counted by SQLite per type (the
    year's warnings are not handed to Python one by one), over the year's rows materialised first: grouping the
    flattened query by code let SQLite walk the (code, status) index through every year's warnings instead."""
    sql, args = arisen_query(end, known_by, indexed)
    return {str(code): {"arose_month": int(month), "arose_cum": int(cum), "found_later": int(later)}
            for code, month, cum, later in book.conn.execute(
                f"WITH arisen AS MATERIALIZED ({sql}) SELECT code, coalesce(sum(since >= :start), 0), count(*), "
                "coalesce(sum(first_detected > :end), 0) FROM arisen GROUP BY code", args | {"start": start.isoformat()})}


def arisen_query(end: dt.date, known_by: str | None, indexed: bool) -> tuple[str, dict[str, Any]]:
    """warnings_arisen's SQL and arguments."""
    sql = "SELECT w.code, w.since, w.first_detected FROM warnings w WHERE w.since BETWEEN :ys AND :end"
    if indexed:
        sql += " AND w.first_detected >= :ys"
    args: dict[str, Any] = {"ys": f"{end.year:04d}-01-01", "end": end.isoformat()}
    if known_by is not None:
        sql += (" AND (SELECT min(e.at) FROM warning_events e WHERE e.warning_id = w.id AND e.event = 'detected')"
                " <= :known")
        args["known"] = known_by
    return sql, args


# -- 表8 / 表9 -------------------------------------------------------------------------------------------------
def monitoring_flag(row: Mapping[str, Any], evaluated: bool) -> str:
    """表8 提示: a project with goals and none monitored this month is flagged (until its self-evaluation)."""
    flags = []
    if not row["goals_set"]:
        flags.append("未编制绩效目标")
    elif not evaluated and row["monitored_month"] == 0:
        flags.append("本月未监控")
    elif not evaluated and row["monitored_month"] < row["indicator_count"]:
        flags.append(f"{row['indicator_count'] - row['monitored_month']} 个指标本月未监控")
    if row["deviations"] and not row["corrective"]:
        flags.append("偏离目标未纠偏")
    return "；".join(flags)


def overdue_flag(deadline: dt.date | None, closed: bool, end: dt.date) -> str:
    """表9 提示: rectification still open on the period end although its deadline has passed."""
    if deadline is None or closed or deadline >= end:
        return ""
    return f"逾期 {(end - deadline).days} 天未整改"


# -- 表3 / 表5: 功能科目 and 经济分类 ---------------------------------------------------------------------------
def item_functional(book: Book, end: dt.date) -> dict[str, str]:
    """表3 功能科目: per fund item, the 功能科目 of its indicators with entries by the period end (code and name
    from the 2019 list; several joined with 、; an indicator without one is left out)."""
    from app.models.ledger import classification

    names = classification.load()
    renamed = {f.code: f.name_in(end.year) for f in book.rules_for(end.year).functional_codes}  # 21305 renamed in 2021
    out: dict[str, list[str]] = {}
    for item, code in book.conn.execute(
            "SELECT DISTINCT i.item, i.func_code FROM indicators i WHERE i.func_code <> '' AND EXISTS "
            "(SELECT 1 FROM ledger_entries e WHERE e.indicator_id = i.id AND e.entry_date <= ?) "
            "ORDER BY i.item, i.func_code", (end.isoformat(),)):
        out.setdefault(item, []).append(f"{code} {renamed[code]}" if code in renamed else names.label(code))
    return {item: "、".join(codes) for item, codes in out.items()}


def project_codes(book: Book, year_start: dt.date, end: dt.date) -> dict[str, dict[str, str]]:
    """表5 功能科目 / 经济分类: per project, the codes of its payments paid this year (several joined with 、)."""
    out: dict[str, dict[str, list[str]]] = {}
    for project, func, econ in book.conn.execute(
            "SELECT DISTINCT pr.code, y.func_code, y.econ_code FROM payments y JOIN projects pr ON pr.id = y.project_id "
            "WHERE y.status = 'paid' AND y.pay_date BETWEEN ? AND ? ORDER BY pr.code, y.func_code, y.econ_code",
            (year_start.isoformat(), end.isoformat())):
        t = out.setdefault(project, {"func_codes": [], "econ_codes": []})
        for key, code in (("func_codes", func), ("econ_codes", econ)):
            if code and code not in t[key]:
                t[key].append(code)
    return {p: {k: "、".join(v) for k, v in t.items()} for p, t in out.items()}
