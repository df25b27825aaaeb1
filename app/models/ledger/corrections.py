"""更正指标: a mistyped 指标 corrected, and dates learned later filled in (地州文件日期, 上级文件日期, the stage
events of the rule set), with a written reason.

What can be corrected here is what does not move money: 文号, 标题, 上级/地州文件日期, 功能科目, 业务股室, 备注 and
the stage dates. The amount, the fund kind and item, the 资金级次 and the 收到日期 are posted to the 专账 with
the registration; a wrong amount is corrected by 调减/收回 (its own dated record), never by an edit.

The correction is one audited operation (`correct_indicator`): the indicators row is updated, the changed
stage dates are written, and `indicator_corrections` keeps the reason and every field's before and after.
An indicator received in a signed-off month cannot be corrected — refused here with a message that says so
and how to proceed, and by the database's triggers for anyone who tries with sqlite3.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from app.models.ledger import common as lc
from app.models.ledger import deadlines, indicators
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import ClosedPeriodError, ValidationError

FIELDS = {"doc_no": "文号", "title": "标题", "upper_doc_date": "上级文件日期", "prefecture_doc_date": "地州文件日期",
          "func_code": "功能科目", "section": "业务股室", "note": "备注"}
NOT_HERE = {"amount": "指标金额", "kind": "资金类别", "item": "资金项目", "source_level": "资金级次",
            "received_date": "收到日期", "year": "年度"}


def _clean(book: Book, key: str, value: object) -> Any:
    name = FIELDS[key]
    if key == "doc_no":
        return lc.text(value, name, max_len=80, required=True)
    if key == "title":
        return lc.text(value, name, max_len=120)
    if key == "section":
        return lc.text(value, name, max_len=40)
    if key == "note":
        return lc.text(value, name, max_len=500)
    if key == "func_code":
        return indicators._check_func_code(str(value or ""))
    day = lc.opt_date(value, name)
    if day is not None:
        lc.not_future(book, day, name)
    return day.isoformat() if day else None


def history(book: Book, indicator_id: int) -> list[dict[str, Any]]:
    """The corrections of an indicator, oldest first, with who made them."""
    rows = book.conn.execute(
        "SELECT c.*, u.name AS user_name FROM indicator_corrections c LEFT JOIN users u ON u.id = c.user_id "
        "WHERE c.indicator_id = ? ORDER BY c.id", (indicator_id,)).fetchall()
    return [dict(r) | {"changes": json.loads(r["changes"])} for r in rows]


def correct(book: Book, *, indicator_id: int, reason: str, fields: Mapping[str, object] | None = None,
            events: Mapping[str, dt.date | str] | None = None) -> dict[str, list[Any]]:
    """Correct `fields` (keys of FIELDS) and set stage `events` (rule-set event codes → date) of an indicator;
    returns {field name: [before, after]} of what changed. Nothing is written unless every value is valid,
    the dates stay in order, the month is open and something actually changes."""
    fields = dict(fields or {})
    wrong = [NOT_HERE.get(k, k) for k in fields if k not in FIELDS]
    if wrong:
        raise ValidationError(f"{'、'.join(wrong)}不能在这里更正：金额录错请用“调减/收回”，资金类别、级次、收到日期"
                              "录错须调减/收回后重新登记（它们已记入专账）", field=wrong[0])
    why = lc.text(reason, "更正理由", max_len=500, required=True)
    if len(why) < 4:
        raise ValidationError("请写明更正的理由（至少 4 个字），如“文号录错，按原件更正”", field="更正理由")
    ind = indicators.get(book, indicator_id)
    try:
        periods.require_open(book, ind["received_date"], field="收到日期")
    except ClosedPeriodError:
        raise ClosedPeriodError(
            f"指标 {ind['doc_no']} 于 {ind['received_date']} 收到，该月已签发结账（或早于最后一个已签发的月份），"
            "指标和它的时限日期都不能再更正。确需更正的，须由局长在“月报”中重新打开该月（写明理由），"
            "更正后重新签发", field="收到日期") from None
    new = {k: _clean(book, k, v) for k, v in fields.items()}
    changed: dict[str, list[Any]] = {}
    for key, value in new.items():
        before = ind[key] if ind[key] != "" else None
        after = value if value != "" else None
        if before != after:
            changed[FIELDS[key]] = [ind[key], value]
    known = {e: d for e, d in book.conn.execute(
        "SELECT event, day FROM indicator_events WHERE indicator_id = ?", (indicator_id,))}
    new_events: dict[str, dt.date] = {}
    for code, day in (events or {}).items():
        indicators._check_event_code(book, code)
        name = indicators._event_name(book, code)
        when = lc.as_date(day, name)
        lc.not_future(book, when, name)
        if known.get(code) != when.isoformat():
            new_events[code] = when
            changed[name] = [known.get(code), when.isoformat()]
    if not changed:
        raise ValidationError("没有要更正的内容：填写的值与现有记录相同", field="更正内容")
    after_row = {**ind, **new}
    deadlines.check_order(book, after_row, deadlines.event_dates(book, after_row, new_events))
    doc = new.get("doc_no", ind["doc_no"])
    if doc != ind["doc_no"] and book.conn.execute(
            "SELECT 1 FROM indicators WHERE year = ? AND doc_no = ? AND id <> ?", (ind["year"], doc, indicator_id)).fetchone():
        raise ValidationError(f"{ind['year']} 年已有文号“{doc}”的指标，不能把本指标改成同一文号", field="文号")
    with book.write("correct_indicator") as w:
        columns = {k: v for k, v in new.items() if FIELDS[k] in changed}
        if columns:
            w.execute(f"UPDATE indicators SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",  # noqa: S608 - keys from FIELDS
                      (*columns.values(), indicator_id))
        w.executemany(
            "INSERT INTO indicator_events (indicator_id, event, day) VALUES (?, ?, ?) "
            "ON CONFLICT (indicator_id, event) DO UPDATE SET day = excluded.day",
            [(indicator_id, code, day.isoformat()) for code, day in sorted(new_events.items())])
        w.execute("INSERT INTO indicator_corrections (indicator_id, reason, changes, user_id, at) VALUES (?, ?, ?, ?, ?)",
                  (indicator_id, why, json.dumps(changed, ensure_ascii=False), book.user_id, book.stamp()))
    return changed
