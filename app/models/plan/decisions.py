"""The leading group's decisions on the plan: 审定 (approve) and 调整 (adjust), with every version kept.

DOMAIN §4.0: a payment is made only for a project of the plan approved by the county poverty leading
group (decision 文号 and date). A change after approval needs a new decision; the version before and
after stays in `plan_versions` as a full snapshot, so what was approved when can always be shown.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from app.models.plan import fields as pf
from app.models.plan import projects
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError


def _decision(book: Book, conn: sqlite3.Connection, doc_no: str, decision_date: object, title: str) -> tuple[int, dt.date]:
    """The decision row for this 文号 (created on first use; the same 文号 must keep its date)."""
    doc = pf.text(doc_no, "决定文号", max_len=80, required=True)
    day = pf.as_date(decision_date, "决定日期")
    if day > book.today():
        raise ValidationError(f"{day.isoformat()} 晚于今天，不能登记未来的决定", field="决定日期")
    row = conn.execute("SELECT id, decision_date FROM plan_decisions WHERE doc_no = ?", (doc,)).fetchone()
    if row is not None:
        if row["decision_date"] != day.isoformat():
            raise ValidationError(f"决定“{doc}”已登记，日期为 {row['decision_date']}，与本次填写的不同", field="决定日期")
        return int(row["id"]), day
    periods.require_open(book, day, field="决定日期")
    cur = conn.execute(
        "INSERT INTO plan_decisions (doc_no, decision_date, title, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
        (doc, day.isoformat(), pf.text(title, "决定标题", max_len=120), book.user_id, book.stamp()))
    return int(cur.lastrowid or 0), day


def snapshot(book: Book, project_id: int) -> dict[str, Any]:
    """Everything the decision approved: the project's fields and its funding lines."""
    project = projects.get(book, project_id)
    return {
        "project": projects.stored_values(project) | {"status": project["status"]},
        "funding": [{"indicator_id": f["indicator_id"], "doc_no": f["doc_no"], "amount": f["amount"]}
                    for f in projects.funding_lines(book, project_id)],
    }


def _version(book: Book, conn: sqlite3.Connection, project_id: int, version: int, decision_id: int, change: str,
             reason: str) -> None:
    conn.execute(
        "INSERT INTO plan_versions (project_id, version, decision_id, change, reason, snapshot, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (project_id, version, decision_id, change, reason,
         json.dumps(snapshot(book, project_id), ensure_ascii=False, sort_keys=True), book.user_id, book.stamp()))


def actions_for(book: Book, project: Mapping[str, Any] | None) -> frozenset[str]:
    """What the logged-in user may do now with `project` (None: nothing selected), by the same rules the
    operations enforce: "new" and "import" need only the permission; a project still in the pool (no
    decision yet) can be edited and deleted, moved forward through its year's pool stages (入库 → 储备) and approved
    from the last of them; a decided one can be adjusted and moved forward until its year's last stage."""
    found = {a for a, op in (("new", "edit_project"), ("import", "import_plan")) if book.may(op)}
    if project is None:
        return frozenset(found)
    pooled = project["decision_id"] is None
    for action, op, rule in (("edit", "edit_project", pooled), ("delete", "edit_project", pooled),
                             ("approve", "approve_plan", projects.awaiting_approval(book, project)),
                             ("adjust", "adjust_plan", not pooled),
                             ("advance", "advance_project", projects.next_stage(book, project) is not None),
                             ("exception", "grant_notice_exception", not pooled),  # issue #18
                             ("settle", "record_settlement", not pooled)):
        if rule and book.may(op):
            found.add(action)
    return frozenset(found)


def approve_plan(book: Book, *, project_ids: Sequence[int], decision_no: str, decision_date: dt.date | str,
                 title: str = "") -> int:
    """Record the leading group's decision approving these projects; returns the decision id. Each must be at the
    last pool stage of its own year's rule set (xj-2019: 入库; xj-2021: 储备, reached from 入库 by 推进)."""
    if not project_ids:
        raise ValidationError("请选择要审定的项目", field="项目")
    chosen = [projects.get(book, pid) for pid in dict.fromkeys(project_ids)]
    for p in chosen:
        if p["decision_id"] is not None:
            raise ValidationError(f"项目 {p['code']} 已经领导小组审定（当前为“{p['status_name']}”），修改请用“调整”",
                                  field="项目状态")
        if not projects.awaiting_approval(book, p):
            ready = projects.approval_status(book, int(p["year"]))
            raise ValidationError(f"项目 {p['code']} 的项目状态为“{p['status_name']}”，{p['year']} 年度的规则集要求"
                                  f"项目状态为“{pf_status(book, ready, int(p['year']))}”才能审定（请先“推进状态”）",
                                  field="项目状态")
        if not p["total"]:
            raise ValidationError(f"项目 {p['code']} 还没有资金来源，不能审定", field="资金来源")
    with book.write("approve_plan") as conn:
        decision_id, _day = _decision(book, conn, decision_no, decision_date, title)
        for p in chosen:
            projects.check_funding(book, conn, projects.stored_values(p), projects.current_lines(book, p["id"]),
                                   project_id=p["id"])
            conn.execute("UPDATE projects SET status = ?, decision_id = ?, version = 1, updated_at = ? WHERE id = ?",
                         (projects.approved_status(book, int(p["year"])), decision_id, book.stamp(), p["id"]))
            _version(book, conn, p["id"], 1, decision_id, "approve", "")
    return decision_id


def adjust_project(book: Book, *, project_id: int, fields: Mapping[str, object], funding: Sequence[tuple[int, int]],
                   decision_no: str, decision_date: dt.date | str, reason: str, title: str = "") -> int:
    """调整 an approved project under a new leading-group decision; returns the new version number."""
    current = projects.get(book, project_id)
    if current["decision_id"] is None:
        raise ValidationError("项目尚未审定，直接修改即可，不需要调整", field="项目状态")
    why = pf.text(reason, "调整理由", max_len=500, required=True)
    values, errors = pf.clean(book, fields, base=projects.stored_values(current))
    if errors:
        raise pf.first_error(errors)
    if pf.text(decision_no, "决定文号", max_len=80) == current["decision_no"]:
        raise ValidationError(f"调整须有新的领导小组决定，“{current['decision_no']}”是现行版本的决定", field="决定文号")
    with book.write("adjust_plan") as conn:
        decision_id, day = _decision(book, conn, decision_no, decision_date, title)
        if day.isoformat() < current["decision_date"]:
            raise ValidationError(f"{day.isoformat()} 早于现行版本的决定日期 {current['decision_date']}", field="决定日期")
        lines = projects.check_funding(book, conn, values, funding, project_id=project_id)
        projects.update_row(book, conn, project_id, values)
        projects.write_funding(conn, project_id, lines)
        version = int(current["version"]) + 1
        conn.execute("UPDATE projects SET decision_id = ?, version = ? WHERE id = ?", (decision_id, version, project_id))
        _version(book, conn, project_id, version, decision_id, "adjust", why)
    return version


def advance_status(book: Book, *, project_id: int, status: str) -> None:
    """Move a project forward through the stages of its own year's rule set, never back: before approval through
    the pool stages (入库 → 储备 under xj-2021; the step into the approved stage is 审定), after it on to the last
    stage (实施中 → 已完工 → 已验收)."""
    current = projects.get(book, project_id)
    rules = book.rules_for(int(current["year"]))
    target = rules.stage(status)
    if target is None:
        raise ValidationError(f"{current['year']} 年度的规则集中没有项目状态“{status}”", field="项目状态")
    if rules.stage_index(status) <= rules.stage_index(current["status"]):
        raise ValidationError(f"项目当前为“{current['status_name']}”，状态只能向后推进", field="项目状态")
    if current["decision_id"] is None and target.phase != "pool":
        raise ValidationError(f"项目尚未经领导小组审定，不能推进到“{target.name}”（审定请用“审定”）", field="项目状态")
    with book.write("advance_project") as conn:
        conn.execute("UPDATE projects SET status = ?, updated_at = ? WHERE id = ?", (status, book.stamp(), project_id))


def advance_to_approval(book: Book, *, project_ids: Sequence[int]) -> None:
    """推进 each not-yet-approved project through the rest of its year's pool stages to the one approval is allowed
    from (xj-2021: 入库 → 储备; nothing under xj-2019), one audited `advance_project` per step, as the 推进 button
    would — for the demo and for a batch whose review (论证) is done; refused like `advance_status`."""
    for pid in dict.fromkeys(project_ids):
        while True:
            p = projects.get(book, pid)
            nxt = projects.next_stage(book, p)
            if p["decision_id"] is not None or projects.awaiting_approval(book, p) or nxt is None:
                break
            advance_status(book, project_id=pid, status=nxt.code)


def versions(book: Book, project_id: int) -> list[dict[str, Any]]:
    rows = book.conn.execute(
        "SELECT v.*, d.doc_no, d.decision_date, d.title, u.name AS user_name FROM plan_versions v "
        "JOIN plan_decisions d ON d.id = v.decision_id LEFT JOIN users u ON u.id = v.created_by "
        "WHERE v.project_id = ? ORDER BY v.version", (project_id,)).fetchall()
    out = []
    for r in rows:
        snap = json.loads(r["snapshot"])
        out.append(dict(r) | {"change_name": "审定" if r["change"] == "approve" else "调整",
                              "total": sum(int(f["amount"]) for f in snap["funding"]), "data": snap})
    return out


def decisions(book: Book) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT d.*, (SELECT count(*) FROM plan_versions v WHERE v.decision_id = d.id) AS versions "
        "FROM plan_decisions d ORDER BY d.decision_date DESC, d.id DESC")]


def decision(book: Book, decision_id: int) -> dict[str, Any]:
    row = book.conn.execute("SELECT * FROM plan_decisions WHERE id = ?", (decision_id,)).fetchone()
    if row is None:
        raise NotFound(f"领导小组决定 #{decision_id} 不存在", field="决定")
    return dict(row)


def pf_status(book: Book, code: str, year: int) -> str:
    """The name of stage `code` in `year`'s rule set."""
    stage = book.rules_for(year).stage(code)
    return stage.name if stage is not None else code


