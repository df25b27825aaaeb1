"""The text of a notice document, built from the data (pure Python; app/export/notice_docs prints it).

A recorded notice prints what was recorded (title, fields, dates, publisher, phones); a draft prints
what notices.draft fills in. Tables (allocation result, payments, real-name list) come from the data
through notice_objects, which never hands out a full ID, an account, a phone or an address.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.models.notices import county
from app.models.notices import objects as objs
from app.models.notices import records as notices
from app.models.store.book import Book
from app.models.values.errors import NotFound
from app.models.values.ids import mask_account, mask_id
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


# -- county-level notices (项目库, 年度项目计划, 年度计划完成情况; issue #18) ---------------------------------------


def for_county(book: Book, county_notice_id: int) -> NoticeDoc:
    """The document of a recorded county notice: what was recorded (title, 批准文号, content, period, publisher)."""
    row = book.conn.execute("SELECT * FROM county_notices WHERE id = ?", (county_notice_id,)).fetchone()
    if row is None:
        raise NotFound(f"县级公告 #{county_notice_id} 不存在", field="县级公告")
    n = dict(row)
    return _county_doc(book, n, json.loads(n["content"]), int(n["id"]))


def for_county_draft(book: Book, *, kind: str, year: int, on: dt.date | None = None) -> NoticeDoc:
    """The document the app writes for a county duty nothing is recorded for yet (filled from the data)."""
    d = county.draft(book, kind=kind, year=year, on=on)
    return _county_doc(book, d, d["content"], None)


COUNTY_CAPTION = {"project_pool": "入库项目清单", "annual_plan": "计划安排项目清单",
                  "plan_completion": "项目完成情况（验收结果、绩效目标完成情况）"}
COUNTY_INTRO = {  # the approving body is the year's rule set's ([labels] leading_group), never written here
    "project_pool": "现将{year}年度项目库入库项目公告如下：",
    "annual_plan": "经{leading_group}审定，现将{year}年度项目计划公告如下：",
    "plan_completion": "现将{year}年度项目计划完成情况（含项目验收结果和绩效目标完成情况）公告如下：",
}


def _county_doc(book: Book, n: dict[str, Any], content: dict[str, str], notice_id: int | None) -> NoticeDoc:
    kind, year = str(n["kind"]), int(n["year"])
    day = dt.date.fromisoformat(str(n["start_date"]))
    rules = book.rules_on(day)  # the notice's own year: its basis document and the hotline's name and number
    codes = sorted(content)
    total = int(book.conn.execute(
        "SELECT coalesce(sum(f.amount), 0) FROM projects p JOIN project_funding f ON f.project_id = p.id "
        "WHERE p.year = ? AND p.code IN (SELECT value FROM json_each(?))", (year, json.dumps(codes))).fetchone()[0])
    rows = tuple((str(i), code, mask_text(str(content[code]))) for i, code in enumerate(codes, 1))
    table = Table(COUNTY_CAPTION.get(kind, "项目清单"), ("序号", "项目编号", "项目情况"), rows,
                  ("合计", f"{len(rows)} 个项目", f"资金合计 {fmt(total)} 元"), (), (8, 18, 74), (0, 1))
    doc_no = str(n.get("doc_no") or "")
    place = next((p.name for p in rules.notices.places if p.code == n["place"]), str(n["place"]))
    fields = (("公告类别", county.KINDS[kind]), ("年度", f"{year}年"),
              ("批准文号", doc_no or "（待填写：审定或验收文件的文号）"), ("公开方式", place),
              *((("发布位置", str(n["location"])),) if n.get("location") else ()))
    given = rules.labels.notice_intro(kind, basis=rules.meta.basis, basis_title=rules.meta.basis_title)
    intro = given if given is not None else (  # the year's rule set may word it ([labels.notice_intros])
        f"根据{rules.meta.basis}关于项目资金公告公示的要求，"
        + COUNTY_INTRO.get(kind, "现公告如下：").format(year=year, leading_group=rules.labels.leading_group))
    phone = objs.bureau(book)[1]
    phones = f"{rules.labels.hotline_name} {rules.notices.supervision_phone}" + (
        f"；本县监督举报电话 {phone}" if phone else "")
    suffix = f"_第{notice_id}号" if notice_id is not None else f"_待登记_{year}"
    stem = _safe(f"{day.isoformat()}_{objs.level_name(book, 'county')}_{county.KINDS[kind]}_{n['title']}") + suffix
    return NoticeDoc(title=str(n["title"]), intro=intro, fields=fields, table=table,
                     closing=_closing(book, n), phones=phones, publisher=str(n["publisher"]), date=day, file_stem=stem,
                     meta={"kind": kind, "level": "county", "object_type": "year", "object_id": year,
                           "county_notice_id": notice_id})


_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_LONG = re.compile(r"(?<![0-9])[0-9]{11,}(?![0-9])")


def mask_text(text: str) -> str:
    """Text typed by a clerk, printed on a public board: an ID number masked, any other run of 11 or more digits
    (an account, a mobile number) masked as an account."""
    return _LONG.sub(lambda m: mask_account(m.group(0)), _ID.sub(lambda m: mask_id(m.group(0)), text))
