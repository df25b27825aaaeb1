"""指标 register: received fund documents, their reductions/recalls, and what is left on each.

Registration posts the income to the special account in the same transaction; a reduction or
recall (调减/收回) is its own dated record (and ledger entry) referring to the original — never an edit.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from typing import Any

from app.models.ledger import account as ledger
from app.models.ledger import classification, deadlines
from app.models.ledger import common as lc
from app.models.store import attachments
from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError

# Per indicator: net income (amount − 调减/收回 − 缴回) and net expenditure (支出 − 退回) from the ledger.
_FIGURES = """
    coalesce((SELECT sum(CASE WHEN e.side = 'income' THEN e.sign * e.amount ELSE 0 END)
              FROM ledger_entries e WHERE e.indicator_id = {i}.id), 0) AS net_amount,
    coalesce((SELECT sum(CASE WHEN e.side = 'expenditure' THEN e.sign * e.amount ELSE 0 END)
              FROM ledger_entries e WHERE e.indicator_id = {i}.id), 0) AS paid,
    coalesce((SELECT sum(r.amount) FROM indicator_reductions r WHERE r.indicator_id = {i}.id), 0) AS reduced,
    coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.indicator_id = {i}.id AND e.entry_type = 'return'), 0)
        AS returned,
    coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.indicator_id = {i}.id AND e.entry_type = 'refund'), 0)
        AS refunded
"""
SELECT = f"""
SELECT i.*, k.name AS kind_name, it.name AS item_name, a.name AS scan_name, {_FIGURES.format(i='i')}
FROM indicators i JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item
LEFT JOIN attachments a ON a.id = i.scan_id
"""


def _row(book: Book, row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["available"] = d["net_amount"] - d["paid"]
    d["source_level_name"] = _source_name(book, d["source_level"], d.get("year"))
    d["section_name"] = d["section"] or lc.NO_SECTION
    return d


def _source_name(book: Book, code: str, year: object = None) -> str:
    try:
        return (book.rules_for(int(str(year))) if year else book.rules).source_level(code).name
    except Exception:  # noqa: BLE001 - an old code the current rule set no longer lists
        return code


def get(book: Book, indicator_id: int) -> dict[str, Any]:
    """All columns plus net_amount (amount − reductions − returns), paid (net expenditure), available."""
    row = book.conn.execute(SELECT + " WHERE i.id = ?", (indicator_id,)).fetchone()
    if row is None:
        raise NotFound(f"指标 #{indicator_id} 不存在", field="指标")
    return _row(book, row)


def available(book: Book, indicator_id: int) -> int:
    """What is left to pay on an indicator, in 分."""
    return int(get(book, indicator_id)["available"])


def find_by_doc(book: Book, doc_no: str, *, year: int | None = None) -> list[dict[str, Any]]:
    """Indicators carrying this 文号 (newest year first): what a treasury row's 指标文号 points at."""
    sql = SELECT + " WHERE i.doc_no = ?"
    args: list[object] = [lc.text(doc_no, "指标文号", max_len=80)]
    if year is not None:
        sql += " AND i.year = ?"
        args.append(year)
    return [_row(book, r) for r in book.conn.execute(sql + " ORDER BY i.year DESC, i.id", args)]


def reductions(book: Book, indicator_id: int) -> list[dict[str, Any]]:
    rows = book.conn.execute(
        "SELECT r.*, a.name AS scan_name FROM indicator_reductions r LEFT JOIN attachments a ON a.id = r.scan_id "
        "WHERE r.indicator_id = ? ORDER BY r.reduction_date, r.id", (indicator_id,))
    return [dict(r) | {"kind_name": lc.REDUCTION_KINDS.get(r["kind"], r["kind"])} for r in rows]


def events(book: Book, indicator_id: int) -> dict[str, dt.date]:
    """Every recorded date of the indicator's way down, keyed by the rule set's event codes."""
    return deadlines.event_dates(book, get(book, indicator_id))


# -- registering ---------------------------------------------------------------------------------


def _check_catalogue(conn: sqlite3.Connection, kind: str, item: str) -> tuple[str, str]:
    kind = (kind or "").strip().upper()
    item = (item or "").strip().upper()
    if not kind:
        raise ValidationError("不能为空", field="资金大类")
    if not conn.execute("SELECT 1 FROM fund_kinds WHERE code = ?", (kind,)).fetchone():
        raise ValidationError(f"没有代码为“{kind}”的资金大类", field="资金大类")
    if not item:
        raise ValidationError("不能为空", field="资金项目")
    row = conn.execute("SELECT kind, active, name FROM fund_items WHERE code = ?", (item,)).fetchone()
    if row is None:
        raise ValidationError(f"没有代码为“{item}”的资金项目（可在 基础设置→资金目录 中新增）", field="资金项目")
    if row["kind"] != kind:
        raise ValidationError(f"“{item} {row['name']}”不属于资金大类 {kind}", field="资金项目")
    if not row["active"]:
        raise ValidationError(f"“{item} {row['name']}”已停用", field="资金项目")
    return kind, item


def _check_func_code(code: str) -> str:
    value = lc.text(code, "功能科目", max_len=7)
    if value and not (value.isdigit() and len(value) in (3, 5, 7)):
        raise ValidationError(f"“{value}”不是支出功能分类科目编码（3、5 或 7 位数字，如 2130505）", field="功能科目")
    return classification.check_functional(value)


def register(
    book: Book, *, doc_no: str, year: int, kind: str, item: str, source_level: str, amount: int,
    received_date: dt.date | str, upper_doc_date: dt.date | str | None = None,
    prefecture_doc_date: dt.date | str | None = None, func_code: str = "", section: str = "", title: str = "",
    scan: tuple[str, bytes] | None = None, poverty_use: bool = True,
    extra_events: Mapping[str, dt.date | str] | None = None, note: str = "", econ_code: str = "",
) -> int:
    """Register a received fund document and post its income; returns the indicator id."""
    conn = book.conn
    doc = lc.text(doc_no, "文号", max_len=80, required=True)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError(f"应为 2000～2100 之间的年份，收到 {year!r}", field="年度")
    kind, item = _check_catalogue(conn, kind, item)
    source = (source_level or "").strip()
    rules = book.rules_for(year)  # the rule set of the money's fiscal year
    if source not in {s.code for s in rules.source_levels}:
        names = "、".join(f"{s.code}（{s.name}）" for s in rules.source_levels)
        raise ValidationError(f"“{source}”不是资金级次，应为 {names}", field="资金级次")
    value = lc.amount(amount)
    received = lc.as_date(received_date, "收到日期")
    if abs(year - received.year) > 1:
        raise ValidationError(f"{year} 年的资金不可能在 {received.isoformat()} 收到（年度与收到日期相差超过一年）", field="年度")
    upper = lc.opt_date(upper_doc_date, "上级文件日期")
    pref = lc.opt_date(prefecture_doc_date, "地州文件日期")
    extra = {code: lc.as_date(day, _event_name(book, code)) for code, day in (extra_events or {}).items()}
    for code in extra:
        _check_event_code(book, code)
    row = {"received_date": received.isoformat(), "upper_doc_date": upper and upper.isoformat(),
           "prefecture_doc_date": pref and pref.isoformat(), "source_level": source, "kind": kind, "item": item,
           "poverty_use": int(bool(poverty_use)), "year": year}
    events_map = deadlines.event_dates(book, row, extra)
    for label, day in (("收到日期", received), ("上级文件日期", upper), ("地州文件日期", pref), *extra.items()):
        if day is not None:
            lc.not_future(book, day, _event_name(book, label))
    deadlines.check_order(book, row, events_map)
    func = _check_func_code(func_code)
    econ = classification.check_economic(lc.text(econ_code, "经济分类", max_len=5))
    sec = lc.text(section, "业务股室", max_len=40)
    name = lc.text(title, "标题", max_len=120)
    remark = lc.text(note, "备注", max_len=500)
    if scan is not None:
        attachments.check(book, scan[0], scan[1])
    if conn.execute("SELECT 1 FROM indicators WHERE year = ? AND doc_no = ?", (year, doc)).fetchone():
        raise ValidationError(f"{year} 年已登记过文号“{doc}”的指标，同一文号一年只能登记一次（调减请用“调减/收回”）", field="文号")
    lc.open_day(book, received, "收到日期")
    with book.write("register_indicator") as w:
        scan_id = attachments.insert(w, book, scan[0], scan[1]) if scan is not None else None
        cur = w.execute(
            "INSERT INTO indicators (doc_no, year, kind, item, source_level, amount, title, upper_doc_date, "
            "prefecture_doc_date, received_date, func_code, econ_code, section, poverty_use, scan_id, note, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc, year, kind, item, source, value, name, row["upper_doc_date"], row["prefecture_doc_date"],
             row["received_date"], func, econ, sec, row["poverty_use"], scan_id, remark, book.user_id, book.stamp()),
        )
        indicator_id = int(cur.lastrowid or 0)
        w.executemany(
            "INSERT INTO indicator_events (indicator_id, event, day) VALUES (?, ?, ?)",
            [(indicator_id, code, day.isoformat()) for code, day in sorted(extra.items())],
        )
        ledger.insert_entry(w, book, indicator_id=indicator_id, entry_type="income", amount=value,
                                 entry_date=received, voucher_no="", summary=f"收到指标 {doc} {name}".strip())
    return indicator_id


def record_event(book: Book, *, indicator_id: int, event: str, day: dt.date | str) -> None:
    """Add a date learned later (e.g. the day the prefecture received the regional document)."""
    ind = get(book, indicator_id)
    _check_event_code(book, event)
    when = lc.as_date(day, _event_name(book, event))
    lc.not_future(book, when, _event_name(book, event))
    known = deadlines.event_dates(book, ind)
    if event in known:
        raise ValidationError(f"已记录为 {known[event].isoformat()}，不能修改", field=_event_name(book, event))
    deadlines.check_order(book, ind, known | {event: when})
    with book.write("register_indicator") as w:
        w.execute("INSERT INTO indicator_events (indicator_id, event, day) VALUES (?, ?, ?)",
                  (indicator_id, event, when.isoformat()))


def _check_event_code(book: Book, code: str) -> None:
    if code not in {e.code for e in book.rules.events}:
        raise ValidationError(f"规则集中没有事件“{code}”", field="时限事件")


def _event_name(book: Book, code: str) -> str:
    for e in book.rules.events:
        if e.code == code:
            return e.name
    return code



# -- reductions and recalls ----------------------------------------------------------------------


def reduce(
    book: Book, *, indicator_id: int, kind: str, doc_no: str, reduction_date: dt.date | str, amount: int,
    reason: str = "", scan: tuple[str, bytes] | None = None,
) -> int:
    """调减 (kind="reduce") or 收回 (kind="recall") part of an indicator; returns the reduction id.

    Only what has not been paid can be taken back; the original indicator row is left as it was.
    """
    ind = get(book, indicator_id)
    if kind not in lc.REDUCTION_KINDS:
        raise ValidationError(f"应为 {'、'.join(f'{k}（{v}）' for k, v in lc.REDUCTION_KINDS.items())}", field="类型")
    doc = lc.text(doc_no, "调减文号", max_len=80, required=True)
    when = lc.as_date(reduction_date, "调减日期")
    lc.not_future(book, when, "调减日期")
    if when.isoformat() < ind["received_date"]:
        raise ValidationError(f"{when.isoformat()} 早于该指标的收到日期 {ind['received_date']}", field="调减日期")
    value = lc.amount(amount)
    if value > ind["available"]:
        from app.models.values.money import format as fmt

        raise ValidationError(
            f"调减 {fmt(value)} 元超过该指标尚未支付的余额 {fmt(ind['available'])} 元（已支付的不能调减）", field="金额")
    why = lc.text(reason, "理由", max_len=500)
    if scan is not None:
        attachments.check(book, scan[0], scan[1])
    lc.open_day(book, when, "调减日期")
    with book.write("adjust_indicator") as w:
        scan_id = attachments.insert(w, book, scan[0], scan[1]) if scan is not None else None
        cur = w.execute(
            "INSERT INTO indicator_reductions (indicator_id, kind, doc_no, reduction_date, amount, reason, scan_id, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (indicator_id, kind, doc, when.isoformat(), value, why, scan_id, book.user_id, book.stamp()),
        )
        reduction_id = int(cur.lastrowid or 0)
        ledger.insert_entry(
            w, book, indicator_id=indicator_id, entry_type="reduction", amount=value, entry_date=when, voucher_no="",
            summary=f"{lc.REDUCTION_KINDS[kind]} {ind['doc_no']}（{doc}）", reduction_id=reduction_id)
    return reduction_id
