"""县级公告 of the year's plan (issue #18 item 2): the 项目库, the 年度项目计划 and its 完成情况, published by the
county (谁分配、谁公开) on its website or board, each with the number of the document that approved it (批准文号).

What must be published arises from the data ([design], the 指导意见 names the notices, not their days):
- 项目库 (project_pool): once a project of the year has been entered (入库) — from the day the first was entered;
- 年度项目计划 (annual_plan): once the leading group has approved projects of the year — from its first decision;
- 年度计划完成情况 (plan_completion): after the year — from 31 January of the next year — listing each approved
  project's 验收结果 and 绩效目标完成情况.

These duties are listed with the others in `notice_obligations` (warning W7), at the county level, object "year".
A notice counts as for any other: on the website from its start, on a board once up the minimum days.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.models.notices import objects as objs
from app.models.plan.fields import as_date as _date
from app.models.plan.fields import text as _text
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from app.models.values.money import format as fmt

KINDS = {"project_pool": "项目库", "annual_plan": "年度项目计划", "plan_completion": "年度计划完成情况"}
COMPLETION_DUE = (1, 31)  # [design] the year's completion is published by 31 January of the next year


@dataclass(frozen=True)
class Duty:
    kind: str
    year: int
    since: dt.date
    amount: int

    @property
    def key(self) -> str:
        return f"{self.kind}:county:year:{self.year}"

    @property
    def label(self) -> str:
        return f"{self.year}年{KINDS[self.kind]}"


def duties(book: Book, as_of: dt.date) -> list[Duty]:
    """The county-level plan notices due by `as_of`, by year."""
    day = as_of.isoformat()
    out: list[Duty] = []
    for year, first, total in book.conn.execute(
            "SELECT p.year, min(substr(p.created_at, 1, 10)), sum((SELECT coalesce(sum(f.amount), 0) FROM project_funding f "
            "WHERE f.project_id = p.id)) FROM projects p GROUP BY p.year HAVING min(substr(p.created_at, 1, 10)) <= ? "
            "ORDER BY p.year", (day,)):
        out.append(Duty("project_pool", int(year), dt.date.fromisoformat(first), int(total or 0)))
    for year, first, total in book.conn.execute(
            "SELECT p.year, min(d.decision_date), sum((SELECT coalesce(sum(f.amount), 0) FROM project_funding f "
            "WHERE f.project_id = p.id)) FROM projects p JOIN plan_versions v ON v.project_id = p.id AND v.version = 1 "
            "JOIN plan_decisions d ON d.id = v.decision_id GROUP BY p.year HAVING min(d.decision_date) <= ? "
            "ORDER BY p.year", (day,)):
        out.append(Duty("annual_plan", int(year), dt.date.fromisoformat(first), int(total or 0)))
        due = dt.date(int(year) + 1, *COMPLETION_DUE)
        if due <= as_of:
            out.append(Duty("plan_completion", int(year), due, int(total or 0)))
    return out


def notices_by_duty(book: Book) -> dict[tuple[str, int], list[Any]]:
    """Every county notice by (kind, year), oldest start first (the rows `obligations` rates like any notice)."""
    out: dict[tuple[str, int], list[Any]] = {}
    for n in book.conn.execute("SELECT id, kind, year, place, start_date, end_date FROM county_notices "
                               "ORDER BY start_date, id"):
        out.setdefault((n["kind"], int(n["year"])), []).append(n)
    return out


def draft(book: Book, *, kind: str, year: int, on: dt.date | None = None) -> dict[str, Any]:
    """The notice filled from the data: every project of the year (项目库), the approved ones with the decisions that
    approved them (年度项目计划, 批准文号 = those decisions), or their 验收结果 and 绩效目标完成情况 (完成情况)."""
    if kind not in KINDS:
        raise ValidationError(f"应为 {'、'.join(KINDS.values())} 之一", field="公告类别")
    day = on or book.today()
    approved = kind != "project_pool"
    rows = book.conn.execute(
        "SELECT p.id, p.code, p.name, p.township, p.village, p.status, "
        "(SELECT coalesce(sum(f.amount), 0) FROM project_funding f WHERE f.project_id = p.id) AS total, "
        "(SELECT d.doc_no FROM plan_versions v JOIN plan_decisions d ON d.id = v.decision_id WHERE v.project_id = p.id "
        " AND v.version = 1) AS approved_by FROM projects p WHERE p.year = ? "
        + ("AND p.decision_id IS NOT NULL " if approved else "") + "ORDER BY p.code", (year,)).fetchall()
    status = {s.code: s.name for s in book.rules_for(year).project_statuses}  # the plan year's stage names
    content: dict[str, str] = {}
    for r in rows:
        line = f"{r['name']}（{r['township']}{r['village']}），{fmt(int(r['total']))} 元"
        if kind == "project_pool":
            line += f"，{status.get(r['status'], r['status'])}"
        elif kind == "annual_plan":
            line += f"，审定文号 {r['approved_by']}"
        else:
            extra = objs.project_extra_fields(book, "fund_use", int(r["id"]), on=day)
            line += "；" + "；".join(f"{k}：{v}" for k, v in extra.items() if v)
        content[r["code"]] = line
    docs = sorted({str(r["approved_by"]) for r in rows if r["approved_by"]})
    bureau = objs.bureau(book)[0]
    return {"kind": kind, "year": year, "title": f"{bureau}{year}年{KINDS[kind]}公告",
            "doc_no": "、".join(docs) if approved else "", "content": content, "place": "website",
            "location": objs.default_location(book, "county", "website", objs.ObjectInfo("year", year, "", "", "", year,
                                                                                         0, None)),
            "start_date": day.isoformat(), "end_date": None, "publisher": bureau}


def record(book: Book, *, kind: str, year: int, doc_no: str, place: str, start_date: dt.date | str,
           end_date: dt.date | str | None = None, title: str | None = None, publisher: str | None = None,
           content: Mapping[str, str] | None = None, location: str = "") -> int:
    """Record a county notice as published; the approving document's number is required (nothing written without it)."""
    base = draft(book, kind=kind, year=year)
    doc = _text(doc_no, "批准文号", max_len=200)
    if not doc:
        raise ValidationError("须写明批准文号（领导小组审定项目库/年度计划的决定、或完成情况的验收文件）", field="批准文号")
    places = {p.code: p for p in book.rules.notices.places}
    code = next((c for c, p in places.items() if place in (c, p.name)), None)
    if code is None:
        raise ValidationError(f"应为 {'、'.join(p.name for p in places.values())} 之一", field="公示方式")
    start = _date(start_date, "开始日期")
    end = _date(end_date, "结束日期") if end_date not in (None, "") else None
    if start > book.today():
        raise ValidationError(f"{start.isoformat()} 晚于今天，请在实际发布后登记", field="开始日期")
    if end is not None and (end < start or places[code].permanent):
        raise ValidationError("网站公开长期保留，不填结束日期" if places[code].permanent else "早于开始日期",
                              field="结束日期")
    body = dict(content) if content is not None else base["content"]
    if not body:
        raise ValidationError(f"{year} 年没有可公告的项目", field="公告内容")
    with book.write("record_county_notice") as conn:
        cur = conn.execute(
            "INSERT INTO county_notices (kind, year, doc_no, title, content, place, location, start_date, end_date, "
            "publisher, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, year, doc, _text(title or base["title"], "标题", max_len=120, required=True),
             json.dumps(body, ensure_ascii=False), code, _text(location or base["location"], "发布位置", max_len=100),
             start.isoformat(), end and end.isoformat(), _text(publisher or base["publisher"], "公告单位", max_len=60,
                                                               required=True), book.user_id, book.stamp()))
        return int(cur.lastrowid or 0)


def listed(book: Book, year: int | None = None) -> list[dict[str, Any]]:
    rows = book.conn.execute("SELECT * FROM county_notices WHERE ? IS NULL OR year = ? ORDER BY year, kind, start_date",
                             (year, year))
    return [dict(r) | {"kind_name": KINDS[r["kind"]], "content": json.loads(r["content"])} for r in rows]
