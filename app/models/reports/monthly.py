"""The monthly package as data: assemble, cross-check, status, reopen, and the signed versions' stored data.

Rendering and signing (which records the rendered files' hashes) stand one floor up, in app/export/signoff.py.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.models.ledger import issued
from app.models.reports import cross_checks as xc
from app.models.reports import package_data, snapshot
from app.models.reports import sources as report_data
from app.models.reports.package_data import PackageData, SignOff, WarningRecord
from app.models.store import audit, db, endorsements, holidays, keys, periods, permissions, signature, users
from app.models.store.book import Book
from app.models.values.errors import AppError, NotFound, ValidationError

ProgressFn = Callable[[int, int, str], None]  # (done, total, text); may raise to cancel


@dataclass(frozen=True)
class Preview:
    package: PackageData
    checks: list[xc.CheckResult]

    @property
    def ok(self) -> bool:
        return xc.all_passed(self.checks)


def _bureau(book: Book) -> sqlite3.Row:
    return book.conn.execute("SELECT name, level FROM bureau WHERE id = 1").fetchone()


def _names(book: Book, reviewer_id: int | None, preparer_id: int | None) -> tuple[str, str]:
    def name_of(user_id: int | None, roles: tuple[str, ...], field: str) -> str:
        if user_id is None:
            row = book.conn.execute(
                f"SELECT name FROM users WHERE active = 1 AND role IN ({','.join('?' * len(roles))}) ORDER BY id LIMIT 1",
                roles).fetchone()
            return str(row[0]) if row else ""
        user = users.get(book, user_id)
        if user.role not in roles:
            raise ValidationError(f"{user.name} 的角色是{user.role_name}，不能作为{field}", field=field)
        return user.name

    return name_of(reviewer_id, ("reviewer",), "审核人"), name_of(preparer_id, ("clerk",), "填表人")


def next_version(book: Book, month: str) -> int:
    row = book.conn.execute("SELECT coalesce(max(version), 0) FROM signoffs WHERE month = ?", (month,)).fetchone()
    return int(row[0]) + 1


def assemble(book: Book, *, month: str, version: int | None = None, signoff: SignOff | None = None,
             audit_head: tuple[int, str] | None = None, progress: ProgressFn | None = None,
             carried: bool = True, calc: int | None = None) -> PackageData:
    """Every table's rows for the month, read from the data as it stands now. `carried=False`: balances summed
    over the whole history instead of carried from the last signed month (verify's re-summing)."""
    periods.parse_month(month)
    p = report_data.Period(book, month, carried=carried)
    p.calc = package_data.CALC if calc is None else calc  # verify's re-sum: the signed month's own computation
    if signoff and signoff.signed_at:  # 表7's 按发生时间 columns: what was known when it was signed
        p.known_by = signoff.signed_at.isoformat(sep=" ", timespec="seconds")
    bureau = _bureau(book)
    sources = report_data.all_sources()
    rows = {}
    for n, (name, source) in enumerate(sources.items()):
        if progress:
            progress(n, len(sources) + 1, f"汇总 {month} 的数据（{n + 1}/{len(sources)}）…")
        rows[name] = report_data.rule_columns(book, p, name, source(book, p))
    from app.models.warnings import query as warnings_query

    warnings = [WarningRecord(i, code, day) for i, code, day in warnings_query.counted_records(book, month=month)]
    rules = book.rules_for(int(month[:4]))
    return PackageData(
        rule_set=f"{rules.label} {rules.file_hash}", calendar=holidays.digest_through(book.conn, p.end),
        bureau=bureau["name"], month=month, period_start=p.start, period_end=p.end,
        version=version or next_version(book, month), rows=rows, bureau_level=bureau["level"],
        signoff=signoff or SignOff(), warnings=warnings, audit_head=audit_head,
        fixed_time=None if signoff and signoff.signed_at else dt.datetime.combine(p.end, dt.time(0, 0)),
        calc=p.calc, wording=report_data.wording(book, p), balances=report_data.stored_balances(book, p),
    )


def preview(book: Book, *, month: str, progress: ProgressFn | None = None) -> Preview:
    """What the chief looks at before signing: the package and the seven cross-checks."""
    package = assemble(book, month=month, progress=progress)
    if progress:
        progress(len(report_data.all_sources()), len(report_data.all_sources()) + 1, "核对表间勾稽关系…")
    return Preview(package, xc.cross_checks(package))


def status(book: Book, *, month: str, today: dt.date | None = None) -> str:
    """未编制 (period not over) / 待签发 / 已签发 / 逾期 — against the rule set's due date."""
    year, mon = periods.parse_month(month)
    today = today or book.today()
    signed = book.conn.execute("SELECT 1 FROM signoffs WHERE month = ? AND status = 'signed'", (month,)).fetchone()
    if signed:
        return "已签发"
    _start, end = periods.bounds(book, month)
    if today <= end:
        return "未编制"
    due = book.rules_for(year).reporting.due_date(year, mon, str(_bureau(book)["level"]))
    return "逾期" if today > due else "待签发"


def rule_set_line(book: Book, *, year: int) -> str:
    """What the 月报 page says of the year's rule set: its id and version, its name, and why the year has it."""
    from app.models.store import rule_sets

    rules = book.rules_for(year)
    why = next((str(y["reason"]) for y in rule_sets.years(book) if y["year"] == year), "")
    return f"{year} 年适用规则集：{rules.label}（{rules.name}）" + (f"；依据：{why}" if why else "")


def months(book: Book, *, year: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    today = today or book.today()
    out = []
    for mon in range(1, 13):
        month = f"{year:04d}-{mon:02d}"
        start, end = periods.bounds(book, month)
        if start > today:
            break
        row = book.conn.execute(
            "SELECT version, signed_at, (SELECT name FROM users WHERE id = signed_by) FROM signoffs "
            "WHERE month = ? AND status = 'signed'", (month,)).fetchone()
        out.append({"month": month, "start": start.isoformat(), "end": end.isoformat(),
                    "due": book.rules_for(year).reporting.due_date(year, mon, str(_bureau(book)["level"])).isoformat(),
                    "status": status(book, month=month, today=today), "version": row[0] if row else None,
                    "signed_at": row[1] if row else "", "signed_by": row[2] if row else ""})
    return out


def set_annual_plan(book: Book, *, year: int, item: str, amount: int) -> None:
    """年度计划数 of one fund item (表1)."""
    set_annual_plans(book, year=year, plans={item: amount})


def set_annual_plans(book: Book, *, year: int, plans: dict[str, int]) -> None:
    """年度计划数 of several fund items of one year (表1), all or nothing: each not below what is already issued."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError("应在 2000～2100 之间", field="年度")
    issued.check_plan_year_open(book, year=year)
    with book.write("set_annual_plan") as conn:
        for item, amount in plans.items():
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise ValidationError("应为整数“分”", field="年度计划数")
            found = conn.execute("SELECT name FROM fund_items WHERE code = ?", (item,)).fetchone()
            if not found:
                raise ValidationError(f"资金项目 {item} 不存在", field="资金项目")
            if amount < 0:
                raise ValidationError(f"“{found[0]}”的年度计划数不能为负数", field="年度计划数")
            issued.check_plan_covers_issued(book, year=year, item=item, name=str(found[0]), amount=amount)
            conn.execute("INSERT INTO annual_plans (year, item, amount) VALUES (?, ?, ?) "
                         "ON CONFLICT (year, item) DO UPDATE SET amount = excluded.amount", (year, item, amount))


def annual_plan_rows(book: Book, *, year: int) -> list[dict[str, Any]]:
    """Every active fund item with its 年度计划数 of `year` and what is already issued (the dialog's table)."""
    from app.models.ledger import catalogue

    plans = report_data.annual_plans(book, year)
    kind_names, item_names = catalogue.names_in_year(book, year)  # the year's words (issue 17), else the file's
    out = []
    for r in book.conn.execute(
            "SELECT it.code, it.name, k.name, k.code FROM fund_items it JOIN fund_kinds k ON k.code = it.kind "
            "WHERE it.active = 1 OR it.code IN (SELECT item FROM annual_plans WHERE year = ?) "
            "ORDER BY k.sort, it.sort, it.code", (int(year),)):
        out.append({"item": r[0], "item_name": item_names.get(r[0], r[1]), "kind_name": kind_names.get(r[3], r[2]),
                    "plan": plans.get(r[0]),
                    "issued": issued.issued_for_year(book, year=year, item=r[0])})
    return out


def _first_month_in_use(book: Book, year: int) -> str | None:
    """The first month of `year` with anything dated in it (or signed): the year's reporting starts there."""
    start, _end = periods.bounds(book, f"{year:04d}-01")
    _s, last = periods.bounds(book, f"{year:04d}-12")
    found: list[str] = []
    for t in db.tracked(book.conn):
        expr = t["date_expr"] or ""
        if expr.startswith("{row}.") and expr[6:].isidentifier():
            col = expr[6:]
            row = book.conn.execute(f'SELECT min("{col}") FROM "{t["name"]}" WHERE "{col}" BETWEEN ? AND ?',
                                    (start.isoformat(), last.isoformat())).fetchone()
            if row and row[0]:
                found.append(periods.month_of(dt.date.fromisoformat(str(row[0])[:10]), periods.cutoff_of(book)))
    row = book.conn.execute("SELECT min(month) FROM signoffs WHERE month LIKE ?", (f"{year:04d}-%",)).fetchone()
    if row and row[0]:
        found.append(str(row[0]))
    return min(found) if found else None


def open_earlier_months(book: Book, month: str) -> list[str]:
    """Earlier months of the same year, from the first one in use, that are not signed: they must be signed
    first (or together with `month`), so a signed month never rests on an open one."""
    year, mon = periods.parse_month(month)
    first = _first_month_in_use(book, year)
    if first is None or first >= month:
        return []
    signed = {r[0] for r in book.conn.execute(
        "SELECT month FROM signoffs WHERE status = 'signed' AND month LIKE ?1 "
        "UNION SELECT month FROM periods WHERE closed = 1 AND month LIKE ?1", (f"{year:04d}-%",))}  # closed: frozen too
    return [m for m in (f"{year:04d}-{n:02d}" for n in range(int(first[5:]), mon)) if m not in signed]


def reopen(book: Book, *, month: str, reason: str, password: str | None) -> None:
    """Chief only, with a reason and the chief's password: the month opens again and the signed version is kept as
    superseded. The chief's key signs the reopening (signature.reopen_payload) at the chain head it is written on:
    verify takes a reopening without that signature for one written around the program."""
    periods.parse_month(month)
    if len((reason or "").strip()) < 5:
        raise ValidationError("请写明重新打开的理由（至少 5 个字）", field="理由")
    permissions.require("reopen_month", book.user.role if book.user else None)
    _check_reopen(book, month)
    signer = users.unlock_signing_key(book, password, action="重新打开")  # before anything is written
    anchored = endorsements.anchored_chief_keys(book.conn, audit.head(book.conn)[0] + 1)
    signed_any = book.conn.execute("SELECT 1 FROM signoffs WHERE signature != '' LIMIT 1").fetchone() is not None
    if not anchored or not signed_any:  # every sign-off predates signing keys (a file from before schema 9)
        raise ValidationError(
            "本文件中还没有任何一份用签名密钥签名的报送包（此前的月份由早期版本签发，没有签名），核验无法确认你的签名密钥"
            f"（{keys.show(signer.key.fingerprint)}）属于局长，所以还不能签名重新打开：请先签发下一个月份（新的报送包带着签名"
            "报送上级），之后就可以按顺序重新打开", field="签名密钥")
    if signer.key.fingerprint not in anchored:
        raise ValidationError(
            f"你的签名密钥（{keys.show(signer.key.fingerprint)}）没有出现在此前任何一份已签发报送包的签名中（多半是重置密码后"
            "生成、重置时没有经另一位局长签名确认的新密钥），不能用它签名重新打开：核验无法确认它属于局长。请由签发过报送包的"
            "局长重新打开；或请另一位局长为你重置密码，并在重置时输入他本人的密码签名确认你的新密钥", field="签名密钥")
    with book.write("reopen_month") as conn:
        row = _check_reopen(book, month)
        assert book.user is not None
        at = book.stamp()
        body = signature.reopen_payload(conn, signer=signer, login=book.user.login, name=book.user.name, month=month,
                                        version=int(row["version"]), signoff_signature=str(row["signature"]),
                                        reason=reason.strip(), reopened_at=at, head=audit.head(conn))
        periods.reopen_month(book, month=month, reason=reason)  # the first record after the head signed above
        conn.execute("UPDATE signoffs SET status = 'superseded', reopened_at = ?, reopened_by = ?, reopen_reason = ?, "
                     "reopen_signature = ? WHERE id = ?",
                     (at, book.user.id, reason.strip(), signature.sign_reopen(body, signer), row["id"]))


def _check_reopen(book: Book, month: str) -> sqlite3.Row:
    row = book.conn.execute("SELECT id, version, signature FROM signoffs WHERE month = ? AND status = 'signed'",
                            (month,)).fetchone()
    if row is None:
        raise ValidationError(f"{month} 没有已签发的报送包", field="月份")
    later = [r[0] for r in book.conn.execute(
        "SELECT month FROM signoffs WHERE status = 'signed' AND month > ? ORDER BY month", (month,))]
    if later:
        raise ValidationError(f"{'、'.join(later)} 已签发：月份按顺序结账，请先重新打开较晚的月份", field="月份")
    return row


def signoffs(book: Book, *, month: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT s.id, s.month, s.version, s.status, s.signed_at, u.name AS signed_by, s.comment, s.audit_seq, "
           "s.audit_hash, s.files, s.reopened_at, s.reopen_reason FROM signoffs s JOIN users u ON u.id = s.signed_by")
    args: tuple[Any, ...] = ()
    if month:
        sql += " WHERE s.month = ?"
        args = (month,)
    return [dict(r) | {"files": json.loads(r["files"])} for r in book.conn.execute(sql + " ORDER BY s.month, s.version", args)]


def signed_package(book: Book, *, month: str, version: int | None = None) -> tuple[dict[str, Any], PackageData]:
    sql = "SELECT * FROM signoffs WHERE month = ?"
    args: tuple[Any, ...] = (month,)
    if version is None:
        sql += " ORDER BY version DESC LIMIT 1"
    else:
        sql += " AND version = ?"
        args = (month, version)
    row = book.conn.execute(sql, args).fetchone()
    if row is None:
        raise NotFound(f"{month} 没有签发记录" + (f"（第 {version} 版）" if version else ""), field="月份")
    if snapshot.digest(row["data"]) != row["data_sha256"]:
        raise AppError(f"{month} 第 {row['version']} 版的签发数据与其哈希不符，被改动过")
    return dict(row), snapshot.loads(row["data"])


def is_signed(book: Book, month: str) -> bool:
    """Whether `month` has a current (not superseded) sign-off."""
    return book.conn.execute("SELECT 1 FROM signoffs WHERE month = ? AND status = 'signed'", (month,)).fetchone() is not None


def readiness(book: Book, month: str, checks_ok: bool) -> str:
    """What the preview says about signing `month`: already signed (and which version), the cross-checks to fix,
    or 可以签发."""
    current = book.conn.execute("SELECT version, signed_at FROM signoffs WHERE month = ? AND status = 'signed' "
                                "ORDER BY version DESC LIMIT 1", (month,)).fetchone()
    if current is not None:
        return (f"本月已签发（第 {current['version']} 版，{str(current['signed_at'])[:16]}），无需再签发；"
                "如须更正，由局长写明理由重新打开本月后再签发新版本。")
    if not checks_ok:
        return "未通过的勾稽关系见左下（鼠标停留可看涉及的行），修正数据后重新预览。"
    return "可以签发。"
