"""问题台账: problems found by the monitoring warnings or entered by hand, each with its rectification —
the source of report 表9.

A problem's facts (found date, type, description, project, amount, section) are dated by the day it
was found; its rectification is a dated history (`problem_updates`, the newest is the state), so a
signed-off month keeps what its 表9 said while rectification goes on in later months.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from app.models.ledger import common as lc
from app.models.store import periods
from app.models.store.book import Book
from app.models.store.where import Where
from app.models.values.errors import NotFound, ValidationError
from app.models.warnings import base as warn

ORIGINS = {"warning": "动态监控预警", "self_check": "自查发现", "audit": "审计发现", "inspection": "巡视巡察/监督检查发现",
           "complaint": "群众反映"}
OTHER = "other"
OTHER_NAME = "其他问题"


def categories(book: Book) -> list[tuple[str, str]]:
    """Problem types: the warning types of the rule set, plus 其他问题."""
    return [(w.code, w.name) for w in book.rules.warnings] + [(OTHER, OTHER_NAME)]


def category_name(book: Book, code: str) -> str:
    return OTHER_NAME if code == OTHER else warn.warning_name(book, code)



def _project(book: Book, project_id: int | None) -> int | None:
    if project_id is None:
        return None
    if not book.conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone():
        raise ValidationError(f"项目 #{project_id} 不存在", field="涉及项目")
    return project_id


def _status(book: Book, status: str) -> str:
    if status not in {s.code for s in warn.statuses(book)}:
        raise ValidationError(f"应为 {'、'.join(s.name for s in warn.statuses(book))} 之一", field="整改情况")
    return status


def _insert_update(conn: sqlite3.Connection, book: Book, problem_id: int, day: dt.date, status: str, measures: str,
                   deadline: dt.date | None, progress: str) -> None:
    conn.execute(
        "INSERT INTO problem_updates (problem_id, day, status, measures, deadline, progress, by_user, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (problem_id, day.isoformat(), status, measures, deadline.isoformat() if deadline else None, progress,
         book.user_id, book.stamp()))


def add(book: Book, *, description: str, category: str = OTHER, found_on: dt.date | str | None = None,
        project_id: int | None = None, amount: int = 0, section: str = "", origin: str = "self_check",
        measures: str = "", deadline: dt.date | str | None = None) -> int:
    """Enter a problem by hand (自查、审计、巡视、群众反映 …); returns its id."""
    if category not in dict(categories(book)):
        raise ValidationError("请选择问题类型", field="问题类型")
    if origin not in ORIGINS or origin == "warning":
        raise ValidationError(f"应为 {'、'.join(v for k, v in ORIGINS.items() if k != 'warning')} 之一", field="问题来源")
    text = lc.text(description, "问题描述", max_len=500, required=True)
    day = lc.as_date(found_on, "发现日期") if found_on else book.today()
    lc.not_future(book, day, "发现日期")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError("应为不小于零的整数“分”", field="涉及金额")
    sec = lc.text(section, "责任股室", max_len=40)
    plan = lc.text(measures, "整改措施", max_len=500)
    due = lc.opt_date(deadline, "整改时限")
    if due is not None and due < day:
        raise ValidationError(f"不能早于发现日期 {day.isoformat()}", field="整改时限")
    pid = _project(book, project_id)
    periods.require_open(book, day, field="发现日期")
    with book.write("edit_problem") as conn:
        cur = conn.execute(
            "INSERT INTO problems (found_on, category, origin, description, project_id, amount, section, warning_id, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            (day.isoformat(), category, origin, text, pid, amount, sec, book.user_id, book.stamp()))
        problem_id = int(cur.lastrowid or 0)
        _insert_update(conn, book, problem_id, day, warn.initial_status(book), plan, due, "")
    return problem_id


def from_warning(book: Book, *, warning_id: int, measures: str = "", deadline: dt.date | str | None = None) -> int:
    """List a warning in the 问题台账 (once); its later handling is mirrored into the problem's history."""
    w = warn.get(book, warning_id)
    row = book.conn.execute("SELECT id FROM problems WHERE warning_id = ?", (warning_id,)).fetchone()
    if row:
        raise ValidationError(f"该预警已列入问题台账（问题 #{row[0]}）", field="预警")
    day = book.today()
    plan = lc.text(measures, "整改措施", max_len=500)
    due = lc.opt_date(deadline, "整改时限")
    if due is not None and due < day:
        raise ValidationError(f"不能早于今天 {day.isoformat()}", field="整改时限")
    periods.require_open(book, day, field="发现日期")
    description = f"{w['object_label']}：{w['detail']}"[:500]
    with book.write("edit_problem") as conn:
        cur = conn.execute(
            "INSERT INTO problems (found_on, category, origin, description, project_id, amount, section, warning_id, "
            "created_by, created_at) VALUES (?, ?, 'warning', ?, ?, ?, ?, ?, ?, ?)",
            (day.isoformat(), w["code"], description, w["project_id"], w["amount"], w["section"], warning_id,
             book.user_id, book.stamp()))
        problem_id = int(cur.lastrowid or 0)
        _insert_update(conn, book, problem_id, day, w["status"], plan, due, w["note"])
    return problem_id


def update(book: Book, *, problem_id: int, status: str, progress: str = "", measures: str | None = None,
           deadline: dt.date | str | None = None, day: dt.date | str | None = None) -> None:
    """Record rectification: the status, what was done (整改情况), the measures and the time limit."""
    current = get(book, problem_id)
    state = _status(book, status)
    text = lc.text(progress, "整改情况", max_len=500)
    if warn.is_closed_status(book, state) and len(text) < 4:
        raise ValidationError("办结须写明整改情况或说明理由（至少 4 个字）", field="整改情况")
    plan = current["measures"] if measures is None else lc.text(measures, "整改措施", max_len=500)
    due = lc.opt_date(deadline, "整改时限") if deadline is not None else (
        dt.date.fromisoformat(current["deadline"]) if current["deadline"] else None)
    when = lc.as_date(day, "日期") if day else book.today()
    lc.not_future(book, when, "日期")
    if when.isoformat() < current["found_on"]:
        raise ValidationError(f"不能早于发现日期 {current['found_on']}", field="日期")
    periods.require_open(book, when, field="日期")
    with book.write("edit_problem") as conn:
        _insert_update(conn, book, problem_id, when, state, plan, due, text)


def follow_warning(conn: sqlite3.Connection, book: Book, *, warning_id: int, day: dt.date, status: str,
                   note: str) -> None:
    """Inside the warning's own transaction: the problem made from it takes the same status."""
    row = conn.execute(
        "SELECT p.id, u.measures, u.deadline FROM problems p JOIN problem_updates u ON u.problem_id = p.id "
        "WHERE p.warning_id = ? ORDER BY u.id DESC LIMIT 1", (warning_id,)).fetchone()
    if row is None:
        return
    deadline = dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None
    _insert_update(conn, book, int(row["id"]), day, status, row["measures"], deadline, note)


_STATE = """
    SELECT p.*, coalesce(pr.code, '') AS project_code, coalesce(pr.name, '') AS project_name,
           u.status, u.measures, u.deadline, u.progress, u.day AS updated_on
    FROM problems p
    JOIN problem_updates u ON u.id = (SELECT max(x.id) FROM problem_updates x WHERE x.problem_id = p.id {upto})
    LEFT JOIN projects pr ON pr.id = p.project_id
"""
_STATE_FROM = _STATE[_STATE.index("FROM problems p"):]  # the rows the table lists, without the columns


def _decorate(book: Book, row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["category_name"] = category_name(book, d["category"])
    d["origin_name"] = ORIGINS.get(d["origin"], d["origin"])
    d["status_name"] = warn.status_name(book, d["status"])
    d["project"] = f"{d['project_code']} {d['project_name']}".strip()
    d["section_name"] = d["section"] or lc.NO_SECTION
    d["closed"] = warn.is_closed_status(book, d["status"])
    return d


def get(book: Book, problem_id: int) -> dict[str, Any]:
    row = book.conn.execute(_STATE.format(upto="") + " WHERE p.id = ?", (problem_id,)).fetchone()
    if row is None:
        raise NotFound(f"问题 #{problem_id} 不存在", field="问题")
    return _decorate(book, row)


def history(book: Book, problem_id: int) -> list[dict[str, Any]]:
    rows = book.conn.execute(
        "SELECT u.*, coalesce(us.name, '系统') AS by_name FROM problem_updates u LEFT JOIN users us ON us.id = u.by_user "
        "WHERE u.problem_id = ? ORDER BY u.id", (problem_id,))
    return [dict(r) | {"status_name": warn.status_name(book, r["status"])} for r in rows]


SORT = {"id": "p.id", "found_on": "p.found_on", "category_name": "p.category", "origin_name": "p.origin",
        "description": "p.description", "project": "pr.code", "amount": "p.amount", "section_name": "p.section",
        "status_name": "u.status", "measures": "u.measures", "deadline": "u.deadline", "updated_on": "u.day"}


@dataclass
class ProblemQuery:
    """Row source of the 问题台账 view: filter by open/closed and free text."""

    book: Book
    state: str = ""  # "" all, "open", "closed"
    text: str = ""

    def _where(self) -> tuple[str, list[Any]]:
        w = Where()
        closed = [s.code for s in warn.statuses(self.book) if s.closed]
        marks = ",".join("?" * len(closed))
        if self.state == "open":
            w.add(f"u.status NOT IN ({marks})", *closed)
        elif self.state == "closed":
            w.add(f"u.status IN ({marks})", *closed)
        w.contains(self.text, "p.description", "p.section", "coalesce(pr.name, '')", "u.measures", "u.progress")
        return w.sql, w.args

    def count(self) -> int:
        where, args = self._where()
        sql = f"SELECT count(*) FROM ({_STATE.format(upto='')} WHERE {where})"
        return int(self.book.conn.execute(sql, args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        """The table's order: the sort column (else the date found), then the id the same way (one place each)."""
        direction = "DESC" if descending else "ASC"
        return f"{SORT.get(sort_key or '', 'p.found_on')} {direction}, p.id {direction}"

    def fetch(self, offset: int, limit: int, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        where, args = self._where()
        sql = f"{_STATE.format(upto='')} WHERE {where} ORDER BY {self._order(sort_key, descending)} LIMIT ? OFFSET ?"
        return [_decorate(self.book, r) for r in self.book.conn.execute(sql, [*args, int(limit), int(offset)])]

    def has(self, problem_id: int) -> bool:
        """Whether the problem is listed under this filter (one problem looked up by its key, with its latest update)."""
        where, args = self._where()
        return self.book.conn.execute(f"SELECT 1 FROM ({_STATE.format(upto='')} WHERE {where} AND p.id = ?)",
                                      [*args, int(problem_id)]).fetchone() is not None

    def position(self, problem_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The problem's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed problem is numbered: run it off the GUI thread."""
        where, args = self._where()
        row = self.book.conn.execute(
            f"SELECT at FROM (SELECT p.id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS at {_STATE_FROM.format(upto='')} WHERE {where}) "
            "WHERE rid = ?", [*args, int(problem_id)]).fetchone()
        return None if row is None else int(row[0])


def table9_rows(book: Book, *, month: str) -> list[dict[str, Any]]:
    """表9 row source: every problem found by the end of `month` with its rectification as of that day —
    the open ones, plus those closed within the year of the month."""
    _start, end = periods.bounds(book, month)
    year_start = f"{end.year:04d}-01-01"
    closed = {s.code for s in warn.statuses(book) if s.closed}
    sql = _STATE.format(upto="AND x.day <= :end") + " WHERE p.found_on <= :end ORDER BY p.found_on, p.id"
    out = []
    for r in book.conn.execute(sql, {"end": end.isoformat()}):
        d = _decorate(book, r)
        if d["status"] in closed and d["updated_on"] < year_start:
            continue
        state = d["status_name"] + (f"：{d['progress']}" if d["progress"] else "")
        out.append({
            "found_on": dt.date.fromisoformat(d["found_on"]), "problem_type": d["category_name"],
            "description": d["description"], "project": d["project"], "amount": int(d["amount"]) or None,
            "section": d["section"], "measures": d["measures"],
            "deadline": dt.date.fromisoformat(d["deadline"]) if d["deadline"] else None, "status": state,
            "warning_id": d["warning_id"], "closed": bool(d["closed"])})
    return out
