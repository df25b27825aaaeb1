"""Cross-checks for false claims (虚报冒领、骗取套取) and notice order: warnings W11–W16, looking *across* payments, lists,
projects and years where the payment checks look at one payment at a time.

- W11 同一人重复享受补助: one ID paid the same subsidy (project category) from more projects (or, with
  `count_by = "list"`, in more lists) than the rule set's allowance (`[claims]`: times per year or ever) — in two
  lists, projects or years; the installments of one project's subsidy are one subsidy by default;
- W12 多人共用一个银行账户: more than `max_ids_per_account` different IDs paid into one account;
- W13 财政供养人员领取补助: a person paid (real-name line or personal payee) who is on the 财政供养人员 roster;
- W14 补助对象不在名册: a subsidy paid to someone not on the 脱贫户/监测对象 roster, or marked 死亡/迁出 on or
  before the pay date (only once that roster has been imported);
- W15 账户户名与收款人不一致: a payee whose bank account is held in another name;
- W16 先支付后公示: a project's money paid before its plan notice had been up the minimum days (事前公示).

Each is one set-based SQL statement over the paid payments (status 已支付, paid on or before the day), using the
indexes of schema 0013, so a large county's million real-name lines are read once in index order and never
loaded into Python. The evidence (which payments, lists, dates, amounts) is in the detail, with ID numbers and
accounts masked; the warning's key carries a digest of the ID, never the ID itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator

from app.models.values.ids import mask_account, mask_id
from app.models.values.money import format as fmt
from app.models.warnings.base import Context, Finding

MAX_EVIDENCE = 6  # payments listed in one warning's detail (the count and total are always complete)


def _digest(id_number: str) -> str:
    return hashlib.sha256(id_number.encode()).hexdigest()[:16]


def _marks(values: tuple[str, ...] | list[str]) -> str:
    return ",".join("?" * len(values))


def _only(column: str, values: list[str] | list[int] | None) -> tuple[str, tuple[str, ...]]:
    """The restriction of an incremental run (`column` among the JSON array bound), or none for a whole run."""
    if values is None:
        return "", ()
    return f" AND {column} IN (SELECT value FROM json_each(?))", (json.dumps(sorted(values)),)


def _person_kinds(ctx: Context) -> list[str]:
    return [k.code for k in ctx.book.rules_on(ctx.as_of).payment.kinds if k.real_name_list]


def _evidence(items: list[tuple[str, ...]]) -> str:
    """'request_no 项目 date amount' lines, at most MAX_EVIDENCE of them."""
    shown = [f"{r[1]}（{r[2]}，{r[0]}，{fmt(int(r[3]))} 元）" for r in items[:MAX_EVIDENCE]]
    more = f" 等 {len(items)} 笔" if len(items) > MAX_EVIDENCE else ""
    return "；".join(shown) + more


def _split(concat: str) -> list[tuple[str, ...]]:
    """group_concat of 'date|request_no|project|amount|payment_id|section|project_id' rows, oldest first."""
    return sorted(tuple(x.split("|")) for x in concat.split("\x1f"))


_ROW = "y.pay_date || '|' || y.request_no || '|' || p.code || '|' || l.amount || '|' || y.id || '|' || " \
       "i.section || '|' || p.id"


def repeated_subsidies(ctx: Context) -> Iterator[Finding]:
    """W11: per ID, subsidy category and period (the pay year, or for ever), more projects (lists) than allowed.

    Two steps in one statement: the groups over the allowance are found from the paid subsidy payments' lines
    (driven by `payments_kind`, lines by payment), and only their lines are read again, by person, for the evidence."""
    return _repeated_subsidies(ctx, None)


def _repeated_subsidies(ctx: Context, persons: list[str] | None) -> Iterator[Finding]:
    """W11 over every person, or (incremental) over `persons` only, read by the person index."""
    claims = ctx.book.rules_on(ctx.as_of).claims
    kinds = list(claims.subsidy_payment_kinds)
    if not kinds:
        return
    names = {c.code: c.name for c in ctx.book.rules_on(ctx.as_of).project_categories}
    default = claims.default
    times_sql = "CASE p.category " + " ".join("WHEN ? THEN ?" for _ in claims.allowances) + " ELSE ? END"
    per_sql = "CASE p.category " + " ".join("WHEN ? THEN ?" for _ in claims.allowances) + " ELSE ? END"
    times_args = [x for a in claims.allowances for x in (a.category, a.times)] + [default.times]
    per_args = [x for a in claims.allowances for x in (a.category, a.per)] + [default.per]
    unit = "y.project_id" if claims.count_by == "project" else "y.id"
    period = f"CASE {per_sql} WHEN 'year' THEN substr(y.pay_date, 1, 4) ELSE '' END"
    day = ctx.as_of.isoformat()
    paid = f"y.status = 'paid' AND y.pay_date <= ? AND y.kind IN ({_marks(kinds)})"
    only, extra = _only("l.id_number", persons)
    # a few persons (incremental): one pass over their lines, by the person index, with the evidence in the same
    # grouping; the whole county: two steps, so only the groups over the allowance build their evidence
    rows = ctx.book.conn.execute(
        f"""SELECT l.id_number, min(l.name), p.category, {period} AS period, {times_sql} AS times, {per_sql} AS per,
                   count(DISTINCT {unit}), group_concat({_ROW}, char(31))
            FROM real_name_lines l JOIN payments y ON y.id = l.payment_id JOIN projects p ON p.id = y.project_id
            JOIN indicators i ON i.id = y.indicator_id
            WHERE {paid}{only}
            GROUP BY l.id_number, p.category, period HAVING count(DISTINCT {unit}) > times""",
        (*per_args, *times_args, *per_args, day, *kinds, *extra)) if persons is not None else \
        ctx.book.conn.execute(
        f"""WITH flagged AS MATERIALIZED (
              SELECT l.id_number, p.category, {period} AS period, {times_sql} AS times, {per_sql} AS per
              FROM payments y JOIN real_name_lines l ON l.payment_id = y.id JOIN projects p ON p.id = y.project_id
              WHERE {paid}{only}
              GROUP BY l.id_number, p.category, period HAVING count(DISTINCT {unit}) > times)
            SELECT f.id_number, min(l.name), f.category, f.period, f.times, f.per, count(DISTINCT {unit}),
                   group_concat({_ROW}, char(31))
            FROM flagged f JOIN real_name_lines l ON l.id_number = f.id_number
            JOIN payments y ON y.id = l.payment_id JOIN projects p ON p.id = y.project_id AND p.category = f.category
            JOIN indicators i ON i.id = y.indicator_id
            WHERE {paid} AND (f.period = '' OR substr(y.pay_date, 1, 4) = f.period)
            GROUP BY f.id_number, f.category, f.period""",
        (*per_args, *times_args, *per_args, day, *kinds, *extra, day, *kinds))
    what = "个项目" if unit == "y.project_id" else "次"
    for id_number, name, category, period, times, per, n, concat in rows:
        items = _split(concat)
        # the payments beyond the allowance: everything paid from the (times + 1)-th project (or list) on
        firsts: dict[str, str] = {}
        for r in items:
            firsts.setdefault(r[6] if unit == "y.project_id" else r[4], r[0])
        cut = sorted(firsts.values())[int(times)]
        over = [r for r in items if firsts[r[6] if unit == "y.project_id" else r[4]] >= cut]
        when = f"{period} 年" if per == "year" else "累计"
        label = f"{name}（{mask_id(id_number)}）"
        last = over[0]  # the first payment beyond the allowance: the object stays the same as later payments come
        yield Finding(
            "W11", f"W11:{_digest(id_number)}:{category}:{period or 'ever'}", "payment", last[4], label,
            sum(int(r[3]) for r in over), dt.date.fromisoformat(cut),
            f"{label}{when}在 {n} {what}领取“{names.get(category, category)}”类补助（规则集允许 {times} {what}），"
            f"超出部分 {len(over)} 笔共 {fmt(sum(int(r[3]) for r in over))} 元：{_evidence(items)}",
            last[5], int(last[6]))


def shared_accounts(ctx: Context) -> Iterator[Finding]:
    """W12: one bank account receiving the real-name lines of more than N different IDs."""
    return _shared_accounts(ctx, None)


def _shared_accounts(ctx: Context, accounts: list[str] | None) -> Iterator[Finding]:
    limit = ctx.book.rules_on(ctx.as_of).claims.max_ids_per_account
    kinds = _person_kinds(ctx)
    if not kinds:
        return
    only, extra = _only("l.account", accounts)
    rows = ctx.book.conn.execute(
        f"""SELECT l.account, count(DISTINCT l.id_number), sum(l.amount), min(y.pay_date), min(y.id),
                   group_concat(DISTINCT l.name)
            FROM payments y JOIN real_name_lines l ON l.payment_id = y.id
            WHERE y.status = 'paid' AND y.pay_date <= ? AND y.kind IN ({_marks(kinds)}){only}
            GROUP BY l.account HAVING count(DISTINCT l.id_number) > ?""",
        (ctx.as_of.isoformat(), *kinds, *extra, limit))
    for account, persons, total, first, last_payment, people in rows:
        since = _nth_person_day(ctx, account, limit + 1) or dt.date.fromisoformat(first)
        # sorted: the names read the same whichever index the statement took (a whole run or an incremental one)
        who = "、".join(sorted(set(str(people).split(",")))[:MAX_EVIDENCE]) + (" 等" if persons > MAX_EVIDENCE else "")
        yield Finding(
            "W12", f"W12:{_digest(account)}", "payment", str(last_payment), f"账号 {mask_account(account)}",
            int(total), since,
            f"银行账号 {mask_account(account)} 收到 {persons} 个不同身份证号的补助（规则集上限 {limit} 个），"
            f"共 {fmt(int(total))} 元：{who}")


def _nth_person_day(ctx: Context, account: str, n: int) -> dt.date | None:
    """The pay date on which the account's n-th different person was first paid (when the warning began)."""
    row = ctx.book.conn.execute(
        "SELECT first FROM (SELECT l.id_number, min(y.pay_date) AS first FROM real_name_lines l "
        "JOIN payments y ON y.id = l.payment_id WHERE l.account = ? AND y.status = 'paid' AND y.pay_date <= ? "
        "GROUP BY l.id_number) ORDER BY first LIMIT 1 OFFSET ?", (account, ctx.as_of.isoformat(), n - 1)).fetchone()
    return dt.date.fromisoformat(row[0]) if row else None


def staff_payees(ctx: Context) -> Iterator[Finding]:
    """W13: paid people (real-name lines, personal payees) who are on the 财政供养人员 roster."""
    return _staff_payees(ctx, None)


def _staff_payees(ctx: Context, persons: list[str] | None) -> Iterator[Finding]:
    only, extra = _only("s.id_number", persons)
    kinds = _person_kinds(ctx)
    day = ctx.as_of.isoformat()
    rows = ctx.book.conn.execute(
        f"""SELECT s.id_number, s.name, s.unit, count(*), group_concat(row, char(31)) FROM (
              SELECT l.id_number AS id_number, {_ROW} AS row
              FROM roster_people s JOIN real_name_lines l ON l.id_number = s.id_number
              JOIN payments y ON y.id = l.payment_id JOIN projects p ON p.id = y.project_id
              JOIN indicators i ON i.id = y.indicator_id
              WHERE s.kind = 'staff' AND y.status = 'paid' AND y.pay_date <= ? AND y.kind IN ({_marks(kinds)}){only}
              UNION ALL
              SELECT e.id_code, y.pay_date || '|' || y.request_no || '|' || p.code || '|' || y.amount || '|' || y.id
                     || '|' || i.section || '|' || p.id
              FROM roster_people s JOIN payees e ON e.id_code = s.id_number JOIN payments y ON y.payee_id = e.id
              JOIN projects p ON p.id = y.project_id JOIN indicators i ON i.id = y.indicator_id
              WHERE s.kind = 'staff' AND y.status = 'paid' AND y.pay_date <= ?{only}) x
            JOIN roster_people s ON s.kind = 'staff' AND s.id_number = x.id_number
            GROUP BY s.id_number""", (day, *kinds, *extra, day, *extra))
    for id_number, name, unit, n, concat in rows:
        items = _split(concat)
        label = f"{name}（{mask_id(id_number)}）"
        last = items[0]  # the first payment: the object stays the same as later payments come
        where = f"（{unit}）" if unit else ""
        yield Finding(
            "W13", f"W13:{_digest(id_number)}", "payment", last[4], label, sum(int(r[3]) for r in items),
            dt.date.fromisoformat(items[0][0]),
            f"{label}在财政供养人员名册上{where}，领取扶贫补助 {n} 笔共 {fmt(sum(int(r[3]) for r in items))} 元："
            f"{_evidence(items)}", last[5], int(last[6]))


def off_roster(ctx: Context) -> Iterator[Finding]:
    """W14: per paid subsidy payment, the persons not on the 脱贫户/监测对象 roster or off it (死亡/迁出) by the pay date."""
    return _off_roster(ctx, None)


def _off_roster(ctx: Context, payments: list[int] | None) -> Iterator[Finding]:
    book = ctx.book
    if book.conn.execute("SELECT 1 FROM roster_imports WHERE kind = 'poor' LIMIT 1").fetchone() is None:
        return  # nothing to compare with yet: the 名册 page says the roster has not been imported
    kinds = list(book.rules_on(ctx.as_of).claims.subsidy_payment_kinds)
    if not kinds:
        return
    only, extra = _only("y.id", payments)
    rows = book.conn.execute(
        f"""SELECT y.id, y.request_no, y.pay_date, p.code, p.name, p.id, i.section, count(*), sum(l.amount),
                   sum(r.id IS NULL), group_concat(l.name || '|' || l.id_number || '|' ||
                       coalesce(r.status, '') || '|' || coalesce(r.status_date, ''), char(31))
            FROM payments y JOIN real_name_lines l ON l.payment_id = y.id
            JOIN projects p ON p.id = y.project_id JOIN indicators i ON i.id = y.indicator_id
            LEFT JOIN roster_people r ON r.kind = 'poor' AND r.id_number = l.id_number
            WHERE y.status = 'paid' AND y.pay_date <= ? AND y.kind IN ({_marks(kinds)})
              AND (r.id IS NULL OR (r.status <> 'normal' AND r.status_date <= y.pay_date)){only}
            GROUP BY y.id ORDER BY y.id""", (ctx.as_of.isoformat(), *kinds, *extra))
    gone = {"deceased": "已死亡", "moved_out": "已迁出"}
    for pid, request_no, pay_date, code, pname, project_id, section, n, amount, missing, concat in rows:
        people = []
        for part in sorted(str(concat).split("\x1f"), key=lambda x: x.split("|")[1])[:MAX_EVIDENCE]:
            name, number, status, since = part.split("|")
            why = f"{since} {gone[status]}" if status else "不在名册"
            people.append(f"{name}（{mask_id(number)}，{why}）")
        more = f" 等 {n} 人" if n > MAX_EVIDENCE else ""
        off = n - int(missing)
        split = "、".join(x for x in (f"{missing} 人不在名册" if missing else "", f"{off} 人已死亡或迁出" if off else "") if x)
        yield Finding(
            "W14", f"W14:payment:{pid}", "payment", str(pid), f"{request_no} {pname}", int(amount),
            dt.date.fromisoformat(pay_date),
            f"支付申请 {request_no}（{code}，{pay_date}）的实名制名册中有 {n} 人（{split}）不是脱贫户/监测对象，"
            f"涉及 {fmt(int(amount))} 元：{'；'.join(people)}{more}", section or "", int(project_id))


def holder_mismatch(ctx: Context) -> Iterator[Finding]:
    """W15: a payee with paid money whose bank account is held in a different name (whitespace ignored)."""
    return _holder_mismatch(ctx, None)


def _holder_mismatch(ctx: Context, payees: list[int] | None) -> Iterator[Finding]:
    only, extra = _only("e.id", payees)
    rows = ctx.book.conn.execute(
        f"""SELECT e.id, e.name, e.account_name, e.account_no, count(y.id), sum(y.amount), min(y.pay_date)
           FROM payees e JOIN payments y ON y.payee_id = e.id
           WHERE y.status = 'paid' AND y.pay_date <= ?
             AND replace(replace(e.name, ' ', ''), '　', '') <> replace(replace(e.account_name, ' ', ''), '　', ''){only}
           GROUP BY e.id ORDER BY e.id""", (ctx.as_of.isoformat(), *extra))
    for payee_id, name, holder, account, n, amount, first in rows:
        yield Finding(
            "W15", f"W15:payee:{payee_id}", "payee", str(payee_id), name, int(amount), dt.date.fromisoformat(first),
            f"收款人“{name}”的银行账户 {mask_account(account)} 户名为“{holder}”，与收款人不一致；"
            f"已向该账户支付 {n} 笔共 {fmt(int(amount))} 元")


def paid_before_notice(ctx: Context) -> Iterator[Finding]:
    """W16 先支付后公示: a project's money paid before its plan notice had been on the board the rule set's minimum
    days (事前公示; the payment check refuses it now, so what remains is history and the chief's recorded exceptions).

    One row per project: its first such payment, how many and how much, and the exception if one was recorded."""
    return _paid_before_notice(ctx, None)


def paid_before_notice_moved(ctx: Context, noted: set[str], since: dt.date, _stored: set[str]
                             ) -> tuple[set[str], Iterator[Finding]]:
    """W16 when only the clock moved from `since` to `ctx.as_of` (`registry.CLOCK`). A project's finding depends on
    the day through `pay_date <= day` and `start_date <= day` (a notice begun by then), and its text names the day
    when no notice has yet run its days (`noted`: those projects, as the last run found them). So only the projects
    with a payment paid or a notice begun in (since, day], and the noted ones, are read again; every other
    project's stored finding (or its having none) stands."""
    a, day = since.isoformat(), ctx.as_of.isoformat()
    ids = {int(r[0]) for r in ctx.book.conn.execute(
        "SELECT project_id FROM payments WHERE status = 'paid' AND pay_date > ? AND pay_date <= ? "
        "UNION SELECT object_id FROM notices WHERE object_type = 'project' AND start_date > ? AND start_date <= ?",
        (a, day, a, day))} | {int(i) for i in noted}
    return {str(i) for i in ids}, _paid_before_notice(ctx, sorted(ids))


def _paid_before_notice(ctx: Context, only: list[int] | None) -> Iterator[Finding]:
    if only == []:
        return
    book = ctx.book
    order = book.rules_on(ctx.as_of).notice_order
    levels = list(order.required_levels)
    day = ctx.as_of.isoformat()
    among, among_args = _only("n.object_id", only)
    among_p, among_p_args = _only("y.project_id", only)
    rows = book.conn.execute(
        f"""WITH ready AS (
              SELECT n.object_id AS project_id, min(date(n.start_date, '+' || ? || ' days')) AS ready
              FROM notices n
              WHERE n.object_type = 'project' AND n.kind = ? AND n.level IN ({_marks(levels)}) AND n.start_date <= ?
                AND n.start_date >= coalesce((SELECT min(d.decision_date) FROM plan_versions v
                    JOIN plan_decisions d ON d.id = v.decision_id WHERE v.project_id = n.object_id), '')
                AND (n.end_date IS NULL OR julianday(n.end_date) - julianday(n.start_date) + 1 >= ?){among}
              GROUP BY n.object_id)
            SELECT p.id, p.code, p.name, r.ready, count(*), sum(y.amount), min(y.pay_date),
                   group_concat(y.request_no || '|' || y.pay_date, char(31)), e.doc_no, min(i.section)
            FROM payments y JOIN projects p ON p.id = y.project_id JOIN indicators i ON i.id = y.indicator_id
            LEFT JOIN ready r ON r.project_id = p.id
            LEFT JOIN notice_exceptions e ON e.project_id = p.id
            WHERE y.status = 'paid' AND y.pay_date <= ? AND (r.ready IS NULL OR y.pay_date < r.ready){among_p}
            GROUP BY p.id ORDER BY p.id""",
        (order.min_days, order.required_kind, *levels, day, order.min_days, *among_args, day, *among_p_args))
    for pid, code, name, ready, n, amount, first, concat, exception, section in rows:
        if not ready:  # the text names the day: a new day changes it
            ctx.clock.add(str(pid))
        paid = sorted(tuple(x.split("|")) for x in str(concat).split("\x1f"))
        shown = "；".join(f"{no}（{on}）" for no, on in paid[:MAX_EVIDENCE]) + (f" 等 {n} 笔" if n > MAX_EVIDENCE else "")
        when = f"项目计划公示 {ready} 方满 {order.min_days} 天" if ready else f"截至 {day} 没有满 {order.min_days} 天的项目计划公示"
        why = f"；按局长登记的例外（{exception}）支付" if exception else ""
        yield Finding(
            "W16", f"W16:project:{pid}", "project", str(pid), f"{code} {name}", int(amount),
            dt.date.fromisoformat(first),
            f"{when}，此前已支付 {n} 笔共 {fmt(int(amount))} 元：{shown}{why}（{order.basis}：事前公示）",
            section or "", int(pid))
