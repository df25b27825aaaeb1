"""公告公示 records (DOMAIN §4.6): what was posted, where, from when to when, by whom; the people's
feedback and its handling; photos and scans as evidence.

Every operation checks everything first and writes nothing on bad input; a notice dated in a closed
month cannot be changed (periods.require_open here, the closed-month trigger in the database).
What *should* be noticed is derived in `notice_obligations`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from app.models.notices import objects as objs
from app.models.plan.fields import as_date as _date
from app.models.plan.fields import text as _text
from app.models.store import attachments, periods
from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError

EVIDENCE_FIELD = "公示证据"
EDITABLE = ("title", "place", "location", "start_date", "end_date", "publisher", "phones", "content", "note")
LABELS = {"title": "标题", "place": "公示方式", "location": "张贴/发布位置", "start_date": "开始日期",
          "end_date": "结束日期", "publisher": "公告单位", "phones": "监督举报电话", "content": "公告内容",
          "note": "备注", "level": "公示层级", "kind": "公示类别"}
_LIMITS = {"title": 120, "location": 100, "publisher": 60, "phones": 100, "note": 500}


# -- cleaning ----------------------------------------------------------------------------------------


def _opt_date(value: object, field: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _date(value, field)


def _code(book: Book, entries: tuple[Any, ...], value: object, field: str) -> str:
    """A rule-set code, given as code or Chinese name."""
    s = _text(value, field, max_len=40, required=True)
    for e in entries:
        if s in (e.code, e.name):
            return str(e.code)
    raise ValidationError(f"“{s}”不是规则集中的{field}，应为 {'、'.join(e.name for e in entries)} 之一", field=field)


def _content(book: Book, kind: str, value: object, year: int | None = None) -> dict[str, str]:
    """The notice's content fields; a project notice must carry every field the rule set requires."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ValidationError("应为“栏目：内容”的对应表", field=LABELS["content"])
    out = {}
    for key, text in value.items():
        name = _text(key, LABELS["content"], max_len=20, required=True)
        out[name] = _text(text, name, max_len=1000, multiline=True)
    if objs.is_project_kind(book, kind, year):
        for name in objs.content_fields(book, year):
            if not out.get(name):
                raise ValidationError("不能为空（项目公告必须包含此项，可在项目计划中补充后重新生成）", field=name)
        rules = book.rules if year is None else book.rules_for(year)
        for name in rules.notice_order.extra_fields(kind):  # 审批文号; 验收结果, 绩效目标完成情况 (issue #18)
            if not out.get(name):
                raise ValidationError(f"不能为空（{objs.kind_name(book, kind)}公示必须写明此项）", field=name)
    return out


def _clean(book: Book, kind: str, v: Mapping[str, object]) -> dict[str, Any]:
    """Check one notice's editable values; returns them as stored."""
    notices_rules = book.rules.notices
    place = _code(book, notices_rules.places, v.get("place"), LABELS["place"])
    start = _date(v.get("start_date"), LABELS["start_date"])
    end = _opt_date(v.get("end_date"), LABELS["end_date"])
    if start > book.today():
        raise ValidationError(f"{start.isoformat()} 晚于今天（{book.today().isoformat()}），请在实际张贴/发布后登记",
                              field=LABELS["start_date"])
    if end is not None and end < start:
        raise ValidationError(f"{end.isoformat()} 早于开始日期 {start.isoformat()}", field=LABELS["end_date"])
    permanent = next(p.permanent for p in notices_rules.places if p.code == place)
    if permanent and end is not None:
        raise ValidationError(f"{objs.place_name(book, place)}公开长期保留，不填结束日期", field=LABELS["end_date"])
    out: dict[str, Any] = {"place": place, "start_date": start.isoformat(), "end_date": end and end.isoformat()}
    for key, limit in _LIMITS.items():
        out[key] = _text(v.get(key), LABELS[key], max_len=limit, required=key in ("title", "publisher", "phones"),
                         multiline=key == "note")
    out["content"] = json.dumps(_content(book, kind, v.get("content"), start.year), ensure_ascii=False)
    return out


# -- drafting ----------------------------------------------------------------------------------------


def draft(book: Book, *, kind: str, level: str, object_type: str, object_id: int,
          on: dt.date | None = None) -> dict[str, Any]:
    """A notice filled from the data (what the editor starts from and what 生成公告 prints)."""
    level = _code(book, book.rules.notices.levels, level, LABELS["level"])
    kind = _code(book, book.rules.notices.kinds, kind, LABELS["kind"])
    obj = objs.require(book, kind, object_type, object_id)
    day = on or book.today()
    place = "website" if level == "county" else "board"
    if objs.is_project_kind(book, kind):
        content = objs.project_fields(book, object_id, day.year) | objs.project_extra_fields(book, kind, object_id, on=day)
    elif kind == "allocation":
        facts = objs.indicator_facts(book, object_id)
        content = {"资金文件": f"{facts['doc_no']} {facts['title']}".strip(),
                   "资金类别": f"{facts['kind_name']}—{facts['item_name']}（{facts['source_level_name']}）",
                   "资金规模": f"{_yuan(facts['amount'])} 元", "分配到项目": f"{_yuan(obj.amount)} 元"}
    else:
        facts = objs.payment_facts(book, object_id)
        content = {"项目名称": f"{facts['project_name']}", "发放类型": facts["kind_name"],
                   "发放金额": f"{_yuan(facts['amount'])} 元", "发放日期": facts["pay_date"] or "（尚未支付）",
                   "资金文件": facts["doc_no"]}
    title = title_for(kind, obj)
    return {"kind": kind, "level": level, "object_type": object_type, "object_id": object_id, "title": title,
            "content": content, "place": place, "location": objs.default_location(book, level, place, obj),
            "start_date": day.isoformat(), "end_date": None, "publisher": objs.default_publisher(book, level, obj),
            "phones": objs.default_phones(book), "note": "", "object_label": obj.label}


def title_for(kind: str, obj: objs.ObjectInfo) -> str:
    """关于××项目计划安排的公示 — the usual wording of each kind, cut to the title's length limit."""
    name = obj.name.removesuffix("项目")
    title = {
        "allocation": f"关于{obj.name}分配结果的公告",
        "project_plan": f"关于{name}项目计划安排的公示",
        "fund_use": f"关于{name}项目资金使用情况的公示",
        "real_name": f"{obj.name}实名制发放公示",
        "pool_entry": f"关于{name}项目入库的公示",
        "pool_reserve": f"关于{name}项目纳入项目库储备的公示",
    }.get(kind, f"{obj.label}公示")
    return title if len(title) <= _LIMITS["title"] else title[: _LIMITS["title"] - 1] + "…"


def _yuan(fen: int) -> str:
    from app.models.values.money import format as fmt

    return fmt(int(fen))


# -- writing -----------------------------------------------------------------------------------------


def record_notice(book: Book, *, kind: str, level: str, object_type: str, object_id: int, title: str, place: str,
                  start_date: dt.date | str, publisher: str, end_date: dt.date | str | None = None,
                  phones: str | None = None, content: Mapping[str, str] | None = None, location: str = "",
                  note: str = "", evidence: Sequence[tuple[str, bytes]] = ()) -> int:
    """Record a notice as posted (with optional photos/scans); returns its id.

    `content` defaults to what the data says now (notices.draft); phones default to 12317 and the bureau's line.
    """
    level = _code(book, book.rules.notices.levels, level, LABELS["level"])
    kind = _code(book, book.rules.notices.kinds, kind, LABELS["kind"])
    objs.require(book, kind, object_type, object_id)
    if content is None:
        content = draft(book, kind=kind, level=level, object_type=object_type, object_id=object_id)["content"]
    values = _clean(book, kind, {"title": title, "place": place, "start_date": start_date, "end_date": end_date,
                                 "publisher": publisher, "phones": objs.default_phones(book) if phones is None else phones,
                                 "content": content, "location": location, "note": note})
    for name, data in evidence:
        attachments.check(book, name, data, field=EVIDENCE_FIELD)
    periods.require_open(book, values["start_date"], field=LABELS["start_date"])
    with book.write("record_notice") as conn:
        cur = conn.execute(
            "INSERT INTO notices (level, kind, object_type, object_id, title, content, place, location, start_date, "
            "end_date, publisher, phones, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (level, kind, object_type, object_id, values["title"], values["content"], values["place"],
             values["location"], values["start_date"], values["end_date"], values["publisher"], values["phones"],
             values["note"], book.user_id, book.stamp()))
        notice_id = int(cur.lastrowid or 0)
        for name, data in evidence:
            _insert_evidence(book, conn, notice_id, name, data, "")
    return notice_id


def update_notice(book: Book, *, notice_id: int, fields: Mapping[str, object]) -> None:
    """Change what was recorded (e.g. the end date once the notice is taken down). Kind, level and object stay."""
    unknown = [k for k in fields if k not in EDITABLE]
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(LABELS.get(k, k) for k in unknown)}（请另行登记一条公告）",
                              field=LABELS.get(unknown[0], unknown[0]))
    current = get(book, notice_id)
    periods.require_open(book, current["start_date"], field=LABELS["start_date"])
    merged = {k: current[k] for k in EDITABLE} | {"content": current["content_fields"]} | dict(fields)
    values = _clean(book, current["kind"], merged)
    periods.require_open(book, values["start_date"], field=LABELS["start_date"])
    with book.write("edit_notice") as conn:
        conn.execute(
            "UPDATE notices SET title = ?, content = ?, place = ?, location = ?, start_date = ?, end_date = ?, "
            "publisher = ?, phones = ?, note = ?, updated_by = ?, updated_at = ? WHERE id = ?",
            (values["title"], values["content"], values["place"], values["location"], values["start_date"],
             values["end_date"], values["publisher"], values["phones"], values["note"], book.user_id, book.stamp(),
             notice_id))


def _insert_evidence(book: Book, conn: sqlite3.Connection, notice_id: int, name: str, data: bytes, caption: str) -> int:
    attachment_id = attachments.insert(conn, book, name, data, field=EVIDENCE_FIELD)
    cur = conn.execute(
        "INSERT INTO notice_evidence (notice_id, attachment_id, caption, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
        (notice_id, attachment_id, caption, book.user_id, book.stamp()))
    return int(cur.lastrowid or 0)


def attach_evidence(book: Book, *, notice_id: int, name: str, data: bytes, caption: str = "") -> int:
    """Keep a photo of the board or a scan (image or PDF, within the rule set's size limit) with the notice."""
    current = get(book, notice_id)
    attachments.check(book, name, data, field=EVIDENCE_FIELD)
    note = _text(caption, "说明", max_len=100)
    periods.require_open(book, current["start_date"], field=LABELS["start_date"])
    with book.write("attach_notice_evidence") as conn:
        return _insert_evidence(book, conn, notice_id, name, data, note)


def add_feedback(book: Book, *, notice_id: int, received_date: dt.date | str, person: str, content: str,
                 channel: str = "") -> int:
    """Record what someone said about a notice (who, when, how, what); returns its id."""
    current = get(book, notice_id)
    day = _date(received_date, "反映日期")
    if day.isoformat() < current["start_date"]:
        raise ValidationError(f"{day.isoformat()} 早于公告开始日期 {current['start_date']}", field="反映日期")
    if day > book.today():
        raise ValidationError(f"{day.isoformat()} 晚于今天", field="反映日期")
    who = _text(person, "反映人", max_len=60, required=True)
    how = _text(channel, "反映方式", max_len=20)
    what = _text(content, "反映内容", max_len=1000, required=True, multiline=True)
    periods.require_open(book, day, field="反映日期")
    with book.write("add_notice_feedback") as conn:
        cur = conn.execute(
            "INSERT INTO notice_feedback (notice_id, received_date, person, channel, content, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (notice_id, day.isoformat(), who, how, what, book.user_id, book.stamp()))
        return int(cur.lastrowid or 0)


def handle_feedback(book: Book, *, feedback_id: int, handled_date: dt.date | str, handling: str,
                    resolved: bool = True) -> int:
    """Record how a piece of feedback was handled (its own dated row: the history stays)."""
    row = book.conn.execute("SELECT * FROM notice_feedback WHERE id = ?", (feedback_id,)).fetchone()
    if row is None:
        raise NotFound(f"反馈 #{feedback_id} 不存在", field="反馈")
    day = _date(handled_date, "处理日期")
    if day.isoformat() < row["received_date"]:
        raise ValidationError(f"{day.isoformat()} 早于反映日期 {row['received_date']}", field="处理日期")
    if day > book.today():
        raise ValidationError(f"{day.isoformat()} 晚于今天", field="处理日期")
    text = _text(handling, "处理情况", max_len=1000, required=True, multiline=True)
    periods.require_open(book, day, field="处理日期")
    with book.write("handle_notice_feedback") as conn:
        cur = conn.execute(
            "INSERT INTO notice_feedback_handling (feedback_id, handled_date, handling, resolved, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (feedback_id, day.isoformat(), text, int(bool(resolved)), book.user_id, book.stamp()))
        return int(cur.lastrowid or 0)



# -- reading -----------------------------------------------------------------------------------------


def decorate(book: Book, row: Mapping[str, Any]) -> dict[str, Any]:
    d = dict(row)
    d["kind_name"] = objs.kind_name(book, d["kind"])
    d["level_name"] = objs.level_name(book, d["level"])
    d["place_name"] = objs.place_name(book, d["place"])
    d["period"] = d["start_date"] + (f" 至 {d['end_date']}" if d["end_date"] else " 起")
    return d


def get(book: Book, notice_id: int) -> dict[str, Any]:
    """The record with names, its content as a dict (`content_fields`) and the object's label."""
    row = book.conn.execute("SELECT * FROM notices WHERE id = ?", (notice_id,)).fetchone()
    if row is None:
        raise NotFound(f"公告 #{notice_id} 不存在", field="公告")
    d = decorate(book, row)
    d["content_fields"] = json.loads(d["content"])
    obj = objs.info(book, d["object_type"], d["object_id"])
    d["object_label"] = obj.label if obj else f"#{d['object_id']}"
    return d


def evidence(book: Book, notice_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT e.id, e.attachment_id, e.caption, e.added_at, a.name, a.mime, a.size FROM notice_evidence e "
        "JOIN attachments a ON a.id = e.attachment_id WHERE e.notice_id = ? ORDER BY e.id", (notice_id,))]


def feedback(book: Book, notice_id: int) -> list[dict[str, Any]]:
    """Each piece of feedback with its latest handling (empty when not yet handled)."""
    rows = book.conn.execute(
        "SELECT f.*, h.handled_date, h.handling, h.resolved FROM notice_feedback f LEFT JOIN notice_feedback_handling h "
        "ON h.id = (SELECT max(id) FROM notice_feedback_handling WHERE feedback_id = f.id) "
        "WHERE f.notice_id = ? ORDER BY f.received_date, f.id", (notice_id,)).fetchall()
    return [dict(r) | {"status": "已处理" if r["resolved"] else ("处理中" if r["handling"] else "未处理")} for r in rows]
