"""The text of a notice document, built from the data (pure Python; app/export/notice_docs prints it).

A recorded notice prints what was recorded (title, fields, dates, publisher, phones); a draft prints
what notices.draft fills in. Tables (allocation result, payments, real-name list) come from the data
through notice_objects, which never hands out a full ID, an account, a phone or an address.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from app.models.notices import objects as objs
from app.models.notices import records as notices
from app.models.store.book import Book
from app.models.values.money import format as fmt


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None
    numeric: tuple[int, ...] = ()  # right-aligned columns
    widths: tuple[int, ...] = ()  # per cent of the page width, per column (empty: let the layout decide)
    nowrap: tuple[int, ...] = ()  # columns never broken across lines (ID numbers, dates, amounts)


@dataclass(frozen=True)
class NoticeDoc:
    """Everything printed on one notice, in order."""

    title: str
    intro: str
    fields: tuple[tuple[str, str], ...]
    table: Table | None
    closing: str
    phones: str
    publisher: str
    date: dt.date
    file_stem: str
    meta: dict[str, Any] = field(default_factory=dict)


def for_notice(book: Book, notice_id: int) -> NoticeDoc:
    """The document of a recorded notice."""
    n = notices.get(book, notice_id)
    return _build(book, n, n["content_fields"])


def for_draft(book: Book, *, kind: str, level: str, object_type: str, object_id: int,
              on: dt.date | None = None) -> NoticeDoc:
    """The document the app writes before anything is recorded (生成公告 for a missing obligation)."""
    d = notices.draft(book, kind=kind, level=level, object_type=object_type, object_id=object_id, on=on)
    if level != "county":  # a board notice states its period: the rule set's minimum from today
        start = dt.date.fromisoformat(d["start_date"])
        d["end_date"] = (start + dt.timedelta(days=book.rules_on(start).notices.min_board_days - 1)).isoformat()
    return _build(book, d, d["content"])


def _build(book: Book, n: dict[str, Any], content: dict[str, str]) -> NoticeDoc:
    kind, level = n["kind"], n["level"]
    day = dt.date.fromisoformat(n["start_date"])
    fields = tuple((k, v) for k, v in content.items() if v)
    table = _table(book, kind, n["object_type"], int(n["object_id"]), day)
    intro = _intro(book, kind, day)
    closing = _closing(book, n)
    suffix = f"_第{n['id']}号" if n.get("id") else "_待登记_" + _object_code(book, n["object_type"], int(n["object_id"]))
    stem = _safe(f"{day.isoformat()}_{objs.level_name(book, level)}_{objs.kind_name(book, kind)}_{n['title']}") + suffix
    return NoticeDoc(title=n["title"], intro=intro, fields=fields, table=table, closing=closing, phones=n["phones"],
                     publisher=n["publisher"], date=day, file_stem=stem,
                     meta={"kind": kind, "level": level, "object_type": n["object_type"], "object_id": n["object_id"]})


def _intro(book: Book, kind: str, day: dt.date) -> str:
    rules = book.rules_on(day)  # the notice's own year's basis document and wording ([labels.notice_intros])
    meta = rules.meta
    basis = meta.basis
    given = rules.labels.notice_intro(kind, basis=basis, basis_title=meta.basis_title)
    if given is not None:
        return given
    return {
        "allocation": f"根据《{meta.basis_title}》（{basis}）“谁分配、谁公开”的要求，现将资金分配结果公告如下：",
        "project_plan": f"根据{basis}关于扶贫项目“两个一律”公告公示的要求，现将项目计划安排情况公示如下：",
        "fund_use": f"根据{basis}关于扶贫资金“两个一律”公告公示的要求，现将项目资金使用情况公示如下：",
        "real_name": f"根据{rules.labels.fund_family}实名制发放、实名制公示的要求，现将发放名册公示如下（身份证号已按规定隐去部分号码）：",
    }.get(kind, "现公示如下：")


def _closing(book: Book, n: dict[str, Any]) -> str:
    rules = book.rules_on(str(n["start_date"]))
    if any(p.code == n["place"] and p.permanent for p in rules.notices.places):
        return "本公告长期公开。如有异议，请向下列监督举报电话反映。"
    if n.get("end_date"):
        return (f"公示期：{n['start_date']} 至 {n['end_date']}。公示期内如有异议，"
                "请向公告单位或下列监督举报电话反映。")
    return (f"公示期自 {n['start_date']} 起不少于 {rules.notices.min_board_days} 天。"
            "公示期内如有异议，请向公告单位或下列监督举报电话反映。")


def _table(book: Book, kind: str, object_type: str, object_id: int, day: dt.date) -> Table | None:
    if kind == "allocation":
        rows = objs.allocation_rows(book, object_id)
        if not rows:
            return None
        return Table("资金分配结果", ("序号", "项目编号", "项目名称", "实施地点", "实施单位", "分配金额（元）"),
                     tuple((str(i), r["code"], r["name"], r["township"] + r["village"], r["implementer"],
                            fmt(r["amount"])) for i, r in enumerate(rows, 1)),
                     ("合计", "", "", "", "", fmt(sum(r["amount"] for r in rows))), (5,),
                     (8, 15, 26, 17, 17, 17), (1, 5))
    if kind == "fund_use":
        rows = objs.fund_use_rows(book, object_id, as_of=day)
        if not rows:
            return None
        return Table("资金支付明细", ("序号", "支付日期", "支付类型", "收款单位/人", "用途", "金额（元）"),
                     tuple((str(i), r["pay_date"], r["kind_name"], r["payee"], r["purpose"], fmt(r["amount"]))
                           for i, r in enumerate(rows, 1)),
                     ("合计", "", "", "", "", fmt(sum(r["amount"] for r in rows))), (5,),
                     (8, 14, 12, 26, 23, 17), (1, 5))
    if kind == "real_name":
        rows = objs.real_name_rows(book, object_id)
        hidden = objs.bureau(book)[2] == "hidden"
        headers = ("序号", "姓名", *(() if hidden else ("身份证号",)), "所在村", "发放金额（元）")
        body = tuple((str(r["row_no"]), r["name"], *(() if hidden else (r["id_masked"],)), r["village"], fmt(r["amount"]))
                     for r in rows)
        total = ("合计", f"{len(rows)} 人", *(() if hidden else ("",)), "", fmt(sum(r["amount"] for r in rows)))
        widths = (9, 32, 30, 29) if hidden else (8, 24, 29, 19, 20)
        return Table("实名制发放名册", headers, body, total, (len(headers) - 1,), widths,
                     (len(headers) - 1,) if hidden else (2, len(headers) - 1))
    return None


def _object_code(book: Book, object_type: str, object_id: int) -> str:
    """What a clerk knows the object by, for a file name: the project code, the 指标's 文号, the request number."""
    found = objs.info(book, object_type, object_id)
    code = found.label.split(" ")[0] if found is not None else ""
    return _safe(code)[:30] or f"{objs.OBJECT_NAMES.get(object_type, '对象').split('（')[0]}{object_id}"


def _safe(text: str) -> str:
    """A file name that Windows accepts: no reserved characters, not too long."""
    cleaned = re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("._")
    return cleaned[:80] or "公告"
