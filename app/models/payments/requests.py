"""支付审批: a payment request's way 草稿 → 已提交 → 已审核 → 已支付, or 退回 / 作废 (DOMAIN §4.3–§4.4).

Every transition is one operation that checks the current status first (anything else is refused),
runs the checks where the workflow says so (submit, review) and stores their outcomes, and writes
one `payment_events` row. Marking a request paid posts the 专账 expenditure in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.models.ledger import account as ledger
from app.models.ledger import classification, indicators
from app.models.payments import checks
from app.models.payments.query import STATUS_NAMES, get
from app.models.plan import fields as pf
from app.models.plan import projects
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import AppError, PermissionDenied, ValidationError
from app.models.values.money import format as fmt

ALLOWED_FROM = {
    "edit": ("draft", "returned"), "submit": ("draft", "returned"), "review": ("submitted",),
    "return": ("submitted",), "void": ("draft", "submitted", "returned", "approved"), "paid": ("approved",),
    "real_name": ("draft", "returned"),
}
ACTION_VERBS = {"edit": "修改", "submit": "提交", "review": "审核", "return": "退回", "void": "作废",
                "paid": "登记已支付", "real_name": "导入实名制名册"}


class TransitionError(AppError):
    """The request is not in a status this step may start from."""


def require_status(payment: dict[str, Any], action: str) -> None:
    if payment["status"] not in ALLOWED_FROM[action]:
        allowed = "、".join(STATUS_NAMES[s] for s in ALLOWED_FROM[action])
        raise TransitionError(
            f"支付申请 {payment['request_no']} 当前为“{payment['status_name']}”，不能{ACTION_VERBS[action]}"
            f"（只有“{allowed}”的申请可以{ACTION_VERBS[action]}）", field="状态")


# The permission-table operation behind each action (resources/permissions.toml).
PERMISSION = {"edit": "draft_payment", "submit": "submit_payment", "review": "review_payment",
              "return": "return_payment", "void": "void_payment", "paid": "mark_paid",
              "real_name": "import_real_name_list"}


def is_own(book: Book, payment: Mapping[str, Any]) -> bool:
    """The drafter's own request (the chief counts as every drafter): who may edit, submit, import its roster."""
    user = book.user
    return user is not None and (user.role == "chief" or payment["drafted_by"] == user.id)


def may_review(book: Book, payment: Mapping[str, Any]) -> bool:
    """Four eyes: the reviewer is neither the drafter nor the submitter."""
    return book.user_id is not None and book.user_id not in (payment["drafted_by"], payment["submitted_by"])


def actions_for(book: Book, payment: Mapping[str, Any] | None) -> frozenset[str]:
    """What the logged-in user may do now: "draft" (a new request), and for `payment` each of `ALLOWED_FROM`'s
    actions its status, the permission table and the rules above allow — the same rules the operations below
    enforce, so a button the window enables is one the operation accepts."""
    found = {"draft"} if book.may("draft_payment") else set()
    if payment is None or book.user is None:
        return frozenset(found)
    rule = {"edit": is_own(book, payment), "submit": is_own(book, payment), "review": may_review(book, payment),
            "real_name": is_own(book, payment) and bool(payment["real_name_required"]),
            "return": True, "void": True, "paid": True}
    for action, op in PERMISSION.items():
        if payment["status"] in ALLOWED_FROM[action] and rule[action] and book.may(op):
            found.add(action)
    return frozenset(found)


def _event(book: Book, conn: sqlite3.Connection, payment_id: int, action: str, before: str | None, after: str,
           note: str = "") -> None:
    conn.execute("INSERT INTO payment_events (payment_id, action, from_status, to_status, note, user_id, at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (payment_id, action, before, after, note, book.user_id, book.stamp()))


def _code(value: object, field: str, lengths: tuple[int, ...]) -> str:
    s = pf.text(value, field, max_len=max(lengths), required=True)
    if not (s.isdigit() and s.isascii() and len(s) in lengths):
        raise ValidationError(f"“{s}”应为 {'、'.join(map(str, lengths))} 位数字的科目编码", field=field)
    return s


def clean(book: Book, *, project_id: int, indicator_id: int, payee_id: int | None, amount: object, kind: str,
          usage: str, func_code: str, econ_code: str, method: str, draft_date: object, purpose: str = "",
          payment_id: int | None = None) -> dict[str, Any]:
    """Every field checked, then what is left on the indicator and the project line: an amount above
    what is left is refused here, before anything is saved."""
    project = projects.get(book, project_id)
    ind = indicators.get(book, indicator_id)
    rules = book.rules_for(int(ind["year"]))  # the indicator's fiscal year governs its money
    value = pf.as_fen(amount, "金额", allow_zero=False)
    if kind not in {k.code for k in rules.payment.kinds}:
        raise ValidationError(f"应为 {'、'.join(k.name for k in rules.payment.kinds)} 之一", field="支付类型")
    if usage not in {u.code for u in rules.usage_categories}:
        raise ValidationError("请从规则集的支出用途中选择", field="支出用途")
    if method not in {m.code for m in rules.payment.methods}:
        raise ValidationError(f"应为 {'、'.join(m.name for m in rules.payment.methods)} 之一", field="支付方式")
    if payee_id is None and not rules.payment_kind(kind).real_name_list:
        raise ValidationError("请选择收款人（只有按实名制名册发放的款项可以不选）", field="收款人")
    if payee_id is not None:
        from app.models.plan import payees

        payees.get(book, payee_id)
    day = pf.as_date(draft_date, "申请日期")
    if day > book.today():
        raise ValidationError(f"{day.isoformat()} 晚于今天，不能登记未来的日期", field="申请日期")
    if day.isoformat() < ind["received_date"]:
        raise ValidationError(f"{day.isoformat()} 早于指标 {ind['doc_no']} 的收到日期 {ind['received_date']}",
                              field="申请日期")
    periods.require_open(book, day, field="申请日期")
    row = {"project_id": project["id"], "indicator_id": ind["id"], "payee_id": payee_id, "amount": value,
           "kind": kind, "usage": usage, "method": method,
           "func_code": classification.check_functional(_code(func_code, "功能科目", (3, 5, 7))),
           "econ_code": classification.check_economic(_code(econ_code, "经济科目", (3, 5)), field="经济科目"),
           "purpose": pf.text(purpose, "用途说明", max_len=200),
           "draft_date": day.isoformat()}
    draft = checks.Draft(project["id"], ind["id"], payee_id, value, kind, usage, method, payment_id)
    c = checks.context(book, draft)
    # A project without this indicator among its sources is a check failure on submit (kept, with its reason);
    # an amount above what is left is refused now, before anything is saved.
    line = checks.check_project_line(c) if checks.line_left(c) is not None else None
    for outcome in (checks.check_indicator(c), line):
        if outcome is not None and outcome.outcome == "fail":
            raise ValidationError(outcome.message, field="金额")
    return row


def draft(book: Book, *, project_id: int, indicator_id: int, payee_id: int | None, amount: object, kind: str,
          usage: str, func_code: str, econ_code: str, method: str, draft_date: object, purpose: str = "",
          client_token: str | None = None) -> int:
    """Save a new request (草稿); the same `client_token` twice gives back the first request."""
    if client_token:
        row = book.conn.execute("SELECT id FROM payments WHERE client_token = ?", (client_token,)).fetchone()
        if row:
            return int(row[0])
    v = clean(book, project_id=project_id, indicator_id=indicator_id, payee_id=payee_id, amount=amount, kind=kind,
              usage=usage, func_code=func_code, econ_code=econ_code, method=method, draft_date=draft_date,
              purpose=purpose)
    with book.write("draft_payment") as conn:
        year = v["draft_date"][:4]
        last = conn.execute("SELECT max(CAST(substr(request_no, 8) AS INTEGER)) FROM payments WHERE request_no LIKE ?",
                            (f"SQ{year}-%",)).fetchone()[0]
        cols = list(v)
        cur = conn.execute(
            f"INSERT INTO payments ({', '.join(cols)}, request_no, client_token, status, drafted_by, drafted_at) "
            f"VALUES ({', '.join('?' * len(cols))}, ?, ?, 'draft', ?, ?)",
            (*v.values(), f"SQ{year}-{(last or 0) + 1:04d}", client_token or None, book.user_id, book.stamp()))
        payment_id = int(cur.lastrowid or 0)
        _event(book, conn, payment_id, "draft", None, "draft")
    return payment_id


def _own(book: Book, payment: dict[str, Any], what: str) -> None:
    if book.user and not is_own(book, payment):
        raise PermissionDenied(f"只有起草人 {payment['drafter_name']} 可以{what}这份申请")


def update(book: Book, *, payment_id: int, project_id: int, indicator_id: int, payee_id: int | None, amount: object,
           kind: str, usage: str, func_code: str, econ_code: str, method: str, draft_date: object,
           purpose: str = "") -> None:
    """Correct a 草稿 or 退回 request (it becomes 草稿 again); an approved one can only be voided."""
    current = get(book, payment_id)
    require_status(current, "edit")
    _own(book, current, "修改")
    v = clean(book, project_id=project_id, indicator_id=indicator_id, payee_id=payee_id, amount=amount, kind=kind,
              usage=usage, func_code=func_code, econ_code=econ_code, method=method, draft_date=draft_date,
              purpose=purpose, payment_id=payment_id)
    with book.write("draft_payment") as conn:
        conn.execute(f"UPDATE payments SET {', '.join(f'{c} = ?' for c in v)}, status = 'draft' WHERE id = ?",
                     (*v.values(), payment_id))
        changed = [k for k in v if str(v[k]) != str(current[k])]
        _event(book, conn, payment_id, "edit", current["status"], "draft", "修改：" + "、".join(changed) if changed else "")


def _failures(outcomes: list[checks.Outcome], kind: str) -> list[checks.Outcome]:
    return [o for o in outcomes if o.outcome == kind]


def _result(book: Book, payment_id: int, outcomes: list[checks.Outcome], run: int) -> dict[str, Any]:
    return {"payment": get(book, payment_id), "outcomes": outcomes, "run": run,
            "blocked": bool(_failures(outcomes, "fail")), "warned": bool(_failures(outcomes, "warn"))}


def _refusal(outcomes: list[checks.Outcome]) -> str:
    return "规则检查未通过：" + "；".join(f"{o.name}——{o.message}" for o in _failures(outcomes, "fail"))


def submit(book: Book, *, payment_id: int, reason: str = "") -> dict[str, Any]:
    """Run every check and store the outcomes. A hard failure sends the request back (退回) with its
    reasons; a "原则上" warning needs the clerk's written `reason`; otherwise it is 已提交."""
    current = get(book, payment_id)
    require_status(current, "submit")
    _own(book, current, "提交")
    outcomes = checks.evaluate(book, checks.Draft.of(current))
    warns = _failures(outcomes, "warn")
    why = pf.text(reason, "超限理由", max_len=500, multiline=True)
    blocked = bool(_failures(outcomes, "fail"))
    if warns and not blocked and not why:
        raise ValidationError("以下“原则上”限制未满足，提交前须写明理由：" + "；".join(o.message for o in warns),
                              field="超限理由")
    with book.write("submit_payment") as conn:
        run = checks.store(book, conn, payment_id, "submit", outcomes)
        if blocked:
            text = _refusal(outcomes)
            conn.execute("UPDATE payments SET status = 'returned', return_reason = ? WHERE id = ?", (text, payment_id))
            _event(book, conn, payment_id, "return", current["status"], "returned", text)
        else:
            conn.execute("UPDATE payments SET status = 'submitted', soft_reason = ?, submitted_by = ?, submitted_at = ?, "
                         "override_note = '' WHERE id = ?", (why if warns else "", book.user_id, book.stamp(), payment_id))
            _event(book, conn, payment_id, "submit", current["status"], "submitted", why if warns else "")
    return _result(book, payment_id, outcomes, run)


def review(book: Book, *, payment_id: int, override_note: str = "", opinion: str = "") -> dict[str, Any]:
    """The reviewer (never the drafter) runs the checks again: a hard failure sends it back; a warning
    needs the reviewer's written override of the clerk's reason; otherwise it is 已审核, with the reviewer's
    `opinion` (审核意见, optional) kept on the request and printed on the 支付审批单."""
    said = pf.text(opinion, "审核意见", max_len=500, multiline=True)
    current = get(book, payment_id)
    require_status(current, "review")
    if book.user is not None and not may_review(book, current):
        raise PermissionDenied("不能审核本人起草或提交的支付申请，须由另一名审核人审核")
    outcomes = checks.evaluate(book, checks.Draft.of(current))
    warns = _failures(outcomes, "warn")
    note = pf.text(override_note, "审核意见", max_len=500, multiline=True)
    blocked = bool(_failures(outcomes, "fail"))
    if warns and not blocked and not note:
        raise ValidationError(f"经办人的理由：{current['soft_reason'] or '（无）'}。以下“原则上”限制未满足，"
                              "审核通过须写明审核意见（确认超限）：" + "；".join(o.message for o in warns), field="审核意见")
    with book.write("review_payment") as conn:
        run = checks.store(book, conn, payment_id, "review", outcomes)
        if blocked:
            text = _refusal(outcomes)
            conn.execute("UPDATE payments SET status = 'returned', return_reason = ? WHERE id = ?", (text, payment_id))
            _event(book, conn, payment_id, "return", "submitted", "returned", text)
        else:
            if warns:
                with book.write("override_soft_check") as inner:
                    inner.execute("UPDATE payments SET override_note = ? WHERE id = ?", (note, payment_id))
            conn.execute("UPDATE payments SET status = 'approved', reviewed_by = ?, reviewed_at = ?, review_opinion = ? "
                         "WHERE id = ?", (book.user_id, book.stamp(), said, payment_id))
            _event(book, conn, payment_id, "review", "submitted", "approved",
                   "；".join(t for t in (said, note if note != said else "") if t))
    return _result(book, payment_id, outcomes, run)


@dataclass(frozen=True)
class BatchOutcome:
    """One request of a batch: done, or refused with the operation's own message."""

    payment_id: int
    request_no: str
    done: bool
    message: str


def _each(book: Book, payment_ids: list[int], action: str, run: Any) -> list[BatchOutcome]:
    """Batch work: each request through the single operation, as its own transaction — one refused request
    (wrong status, four eyes, a failed check, a warning that needs its own written confirmation) never holds
    back or undoes the others, and each is audited as if done alone. The text of the reason or opinion is
    checked before any request is touched."""
    out: list[BatchOutcome] = []
    for pid in dict.fromkeys(payment_ids):
        try:
            number = str(get(book, pid)["request_no"])
        except AppError as err:
            out.append(BatchOutcome(pid, f"#{pid}", False, str(err)))
            continue
        try:
            message = run(pid)
        except AppError as err:
            out.append(BatchOutcome(pid, number, False, str(err)))
        else:
            out.append(BatchOutcome(pid, number, message is None, message or f"已{ACTION_VERBS[action]}"))
    return out


def review_each(book: Book, payment_ids: list[int], *, opinion: str = "") -> list[BatchOutcome]:
    """批量审核通过 with one 审核意见: a request whose checks warn is refused here (a warning is confirmed
    request by request, with its own written 确认意见); one whose checks fail is sent back by `review`
    itself and reported as not approved."""
    said = pf.text(opinion, "审核意见", max_len=500, multiline=True)

    def one(pid: int) -> str | None:
        result = review(book, payment_id=pid, opinion=said)
        if result["blocked"]:
            return "规则检查未通过，已退回：" + str(result["payment"]["return_reason"])
        return None

    return _each(book, payment_ids, "review", one)


def return_each(book: Book, payment_ids: list[int], *, reason: str) -> list[BatchOutcome]:
    """批量退回 with one reason (required), each request through `return_payment`."""
    why = pf.text(reason, "退回理由", max_len=500, required=True, multiline=True)

    def one(pid: int) -> None:
        return_payment(book, payment_id=pid, reason=why)

    return _each(book, payment_ids, "return", one)


def return_payment(book: Book, *, payment_id: int, reason: str) -> None:
    """The reviewer sends a submitted request back to its drafter, with the reason."""
    current = get(book, payment_id)
    require_status(current, "return")
    why = pf.text(reason, "退回理由", max_len=500, required=True, multiline=True)
    with book.write("return_payment") as conn:
        conn.execute("UPDATE payments SET status = 'returned', return_reason = ? WHERE id = ?", (why, payment_id))
        _event(book, conn, payment_id, "return", "submitted", "returned", why)


def void(book: Book, *, payment_id: int, reason: str) -> None:
    """作废 with a written reason. An approved request only by a reviewer; a paid one never
    (money that has left is corrected by a refund in the 专账)."""
    current = get(book, payment_id)
    if current["status"] == "paid":
        raise TransitionError(f"支付申请 {current['request_no']} 已支付，不能作废；收款人退款请在专账中登记“退回”",
                              field="状态")
    require_status(current, "void")
    why = pf.text(reason, "作废理由", max_len=500, required=True, multiline=True)
    if current["status"] == "approved" and book.user and book.user.role != "reviewer":
        raise PermissionDenied("已审核的申请只能由审核人作废")
    with book.write("void_payment") as conn:
        conn.execute("UPDATE payments SET status = 'voided', void_reason = ? WHERE id = ?", (why, payment_id))
        _event(book, conn, payment_id, "void", current["status"], "voided", why)


def mark_paid(book: Book, *, payment_id: int, voucher_no: str, pay_date: dt.date | str) -> int:
    """Record the treasury's payment voucher and post the expenditure to the 专账 — both or neither.
    Returns the ledger entry id."""
    current = get(book, payment_id)
    require_status(current, "paid")
    voucher = pf.text(voucher_no, "支付凭证号", max_len=60, required=True)
    if not re.fullmatch(r"[0-9A-Za-z\-_/〔〕()（）]+", voucher):
        raise ValidationError(f"“{voucher}”含有不允许的字符（只用字母、数字和 - _ /）", field="支付凭证号")
    day = pf.as_date(pay_date, "支付日期")
    if day.isoformat() < current["draft_date"]:
        raise ValidationError(f"{day.isoformat()} 早于申请日期 {current['draft_date']}", field="支付日期")
    if day > book.today():
        raise ValidationError(f"{day.isoformat()} 晚于今天，不能登记未来的日期", field="支付日期")
    periods.require_open(book, day, field="支付日期")
    if book.conn.execute("SELECT 1 FROM payments WHERE voucher_no = ?", (voucher,)).fetchone():
        raise ValidationError(f"凭证号“{voucher}”已登记在另一笔支付上", field="支付凭证号")
    summary = f"{current['request_no']} {current['project_name']} {current['payee_display']}"[:200]
    with book.write("mark_paid") as conn:
        entry_id = ledger.post_expenditure(book, indicator_id=current["indicator_id"], amount=current["amount"],
                                           entry_date=day, voucher_no=voucher, payment_id=payment_id, summary=summary)
        conn.execute("UPDATE payments SET status = 'paid', voucher_no = ?, pay_date = ?, ledger_entry_id = ?, paid_by = ?, "
                     "paid_at = ? WHERE id = ?", (voucher, day.isoformat(), entry_id, book.user_id, book.stamp(), payment_id))
        _event(book, conn, payment_id, "paid", "approved", "paid", f"凭证号 {voucher}，{fmt(current['amount'])} 元")
        _start_project(book, conn, current["project_id"])
    return entry_id


def _start_project(book: Book, conn: sqlite3.Connection, project_id: int) -> None:
    """The first money paid moves a project at its year's approved stage to the next stage (实施中), if that is one
    of the implementing phase."""
    row = conn.execute("SELECT year, status FROM projects WHERE id = ?", (project_id,)).fetchone()
    rules = book.rules_for(int(row[0]))
    nxt = rules.next_stage(rules.approved_stage.code)
    if row[1] == rules.approved_stage.code and nxt is not None and nxt.phase == "implementing":
        conn.execute("UPDATE projects SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                     (nxt.code, book.stamp(), project_id, rules.approved_stage.code))
