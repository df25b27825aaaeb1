"""The special account (专账): posting income, expenditure, refunds and returns, never overdrawing.

Income is posted by `indicators.register`, reductions by `indicators.reduce`; the payment flow
calls `post_expenditure` when a payment is paid; refunds (退回) and returns (缴回) are manual
entries with a voucher number. Balances and listings live in `ledger_query`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from app.models.ledger import common as lc
from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError
from app.models.values.money import format as fmt


def _figures(conn: sqlite3.Connection, indicator_id: int) -> tuple[str, str, int, int]:
    """(doc_no, received_date, net income, net expenditure) of an indicator, read inside the transaction."""
    row = conn.execute(
        "SELECT i.doc_no, i.received_date, "
        "coalesce(sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount END), 0), "
        "coalesce(sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount END), 0) "
        "FROM indicators i LEFT JOIN ledger_entries e ON e.indicator_id = i.id WHERE i.id = ? GROUP BY i.id",
        (indicator_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"指标 #{indicator_id} 不存在", field="指标")
    return str(row[0]), str(row[1]), int(row[2]), int(row[3])


def insert_entry(
    conn: sqlite3.Connection, book: Book, *, indicator_id: int, entry_type: str, amount: int, entry_date: dt.date,
    voucher_no: str, summary: str, payment_id: int | None = None, reduction_id: int | None = None,
) -> int:
    """One ledger row inside the caller's write transaction, refusing anything that would overdraw.

    After the entry: net income ≥ 0, net expenditure ≥ 0, and net expenditure ≤ net income.
    """
    name, side, sign = lc.ENTRY_TYPES[entry_type]
    doc_no, _received, income, spent = _figures(conn, indicator_id)
    if side == "expenditure" and sign < 0:
        if amount > spent:
            raise ValidationError(
                f"{name} {fmt(amount)} 元超过该指标（{doc_no}）已支出的 {fmt(spent)} 元", field="金额")
    elif sign < 0 or side == "expenditure":
        if amount > income - spent:
            raise ValidationError(
                f"{name} {fmt(amount)} 元超过该指标（{doc_no}）的可用余额 {fmt(income - spent)} 元"
                "（支出不能超过指标收入）", field="金额")
    if voucher_no and conn.execute("SELECT 1 FROM ledger_entries WHERE voucher_no = ?", (voucher_no,)).fetchone():
        raise ValidationError(f"凭证号“{voucher_no}”已记过账，同一凭证不能重复记账", field="凭证号")
    cur = conn.execute(
        "INSERT INTO ledger_entries (entry_date, indicator_id, entry_type, side, sign, amount, voucher_no, payment_id, "
        "reduction_id, summary, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry_date.isoformat(), indicator_id, entry_type, side, sign, amount, voucher_no, payment_id, reduction_id,
         summary, book.user.id if book.user and book.user.id else None, book.stamp()),
    )
    return int(cur.lastrowid or 0)


def _check_common(book: Book, indicator_id: int, amount: int, entry_date: dt.date | str, voucher_no: str,
                  summary: str) -> tuple[int, dt.date, str, str]:
    if isinstance(indicator_id, bool) or not isinstance(indicator_id, int):
        raise ValidationError("请选择指标", field="指标")
    value = lc.amount(amount)
    day = lc.as_date(entry_date, "记账日期")
    lc.not_future(book, day, "记账日期")
    _doc, received, _income, _spent = _figures(book.conn, indicator_id)
    if day.isoformat() < received:
        raise ValidationError(f"{day.isoformat()} 早于该指标的收到日期 {received}", field="记账日期")
    voucher = lc.text(voucher_no, "凭证号", max_len=60, required=True)
    text = lc.text(summary, "摘要", max_len=200)
    lc.open_day(book, day, "记账日期")
    return value, day, voucher, text


def post_expenditure(
    book: Book, *, indicator_id: int, amount: int, entry_date: dt.date, voucher_no: str, payment_id: int | None,
    summary: str,
) -> int:
    """Post a payment's expenditure (a savepoint inside the caller's transaction); returns the entry id.

    Refused (field 金额) when it would make the indicator's expenditure exceed its net income.
    """
    value, day, voucher, text = _check_common(book, indicator_id, amount, entry_date, voucher_no, summary)
    if payment_id is not None and (isinstance(payment_id, bool) or not isinstance(payment_id, int)):
        raise ValidationError("应为支付记录编号", field="支付记录")
    with book.write("post_ledger_entry") as conn:
        return insert_entry(conn, book, indicator_id=indicator_id, entry_type="expenditure", amount=value,
                            entry_date=day, voucher_no=voucher, summary=text, payment_id=payment_id)


def post_manual(
    book: Book, *, indicator_id: int, entry_type: str, amount: int, entry_date: dt.date | str, voucher_no: str,
    summary: str, payment_id: int | None = None,
) -> int:
    """A manual entry: 退回 (entry_type="refund", a payee pays back) or 缴回 (="return", paid back upward)."""
    if entry_type not in lc.MANUAL_TYPES:
        names = "、".join(f"{c}（{lc.entry_type_name(c)}）" for c in lc.MANUAL_TYPES)
        raise ValidationError(f"手工记账只能是 {names}", field="记账类型")
    value, day, voucher, text = _check_common(book, indicator_id, amount, entry_date, voucher_no, summary)
    if not text:
        raise ValidationError("请写明退回或缴回的原因", field="摘要")
    with book.write("manual_ledger_entry") as conn:
        return insert_entry(conn, book, indicator_id=indicator_id, entry_type=entry_type, amount=value,
                            entry_date=day, voucher_no=voucher, summary=text, payment_id=payment_id)


def entry(book: Book, entry_id: int) -> dict[str, object]:
    row = book.conn.execute("SELECT * FROM ledger_entries WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise NotFound(f"记账记录 #{entry_id} 不存在", field="记账记录")
    return dict(row) | {"entry_type_name": lc.entry_type_name(row["entry_type"])}
