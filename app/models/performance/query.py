"""Reading 绩效目标: the per-project overview (the 绩效目标 tab's list) and the 表8 row source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.models.performance import goals as perf
from app.models.store import periods
from app.models.store.book import Book

_BASE = """
SELECT p.id, p.code, p.name, p.year, p.status, p.decision_id,
  (SELECT min(d.decision_date) FROM plan_versions v JOIN plan_decisions d ON d.id = v.decision_id
     WHERE v.project_id = p.id) AS funds_issued_on,
  (SELECT coalesce(sum(f.amount), 0) FROM project_funding f WHERE f.project_id = p.id) AS funded,
  (SELECT count(*) FROM perf_goals g WHERE g.project_id = p.id AND g.set_on <= :day
     AND (g.removed_on IS NULL OR g.removed_on > :day)) AS goal_count,
  (SELECT min(g.set_on) FROM perf_goals g WHERE g.project_id = p.id AND g.set_on <= :day) AS goals_set_on,
  (SELECT max(a.month) FROM perf_actuals a JOIN perf_goals g ON g.id = a.goal_id WHERE g.project_id = p.id
     AND a.month <= :month) AS last_month,
  (SELECT e.score_tenths FROM perf_evaluations e WHERE e.project_id = p.id AND e.evaluated_on <= :day
     ORDER BY e.year DESC LIMIT 1) AS score_tenths,
  (SELECT e.year FROM perf_evaluations e WHERE e.project_id = p.id AND e.evaluated_on <= :day
     ORDER BY e.year DESC LIMIT 1) AS eval_year
FROM projects p
"""
SORT = {"code": "code", "name": "name", "year": "year", "funded": "funded", "goal_count": "goal_count",
        "last_month": "last_month", "score": "score_tenths"}


def years(book: Book) -> list[int]:
    """Plan years that have projects, newest first (the tab's year filter)."""
    return [int(r[0]) for r in book.conn.execute("SELECT DISTINCT year FROM projects ORDER BY year DESC")]


def _decorate(book: Book, row: dict[str, Any], goals: list[dict[str, Any]]) -> dict[str, Any]:
    """One listed project's goal figures from its goals (already `with_monitoring`)."""
    approved = row["decision_id"] is not None and row["funded"] > 0
    if goals:
        issues = perf.problems_of(book, goals)
    else:
        issues = ["资金已下达，但未编制绩效目标"] if approved else []
    row["issues"] = "；".join(issues)
    row["regular"] = not issues
    row["deviations"] = sum(1 for g in goals if g["deviates"])
    row["score"] = perf.score_text(row["score_tenths"]) if row["score_tenths"] is not None else ""
    row["self_eval"] = f"{row['eval_year']}年度 {row['score']} 分" if row["score"] else ""
    row["with_funds"] = bool(row["goals_set_on"] and row["funds_issued_on"]
                             and row["goals_set_on"] <= row["funds_issued_on"])
    row["goals_state"] = ("未编制" if not goals else "不规范" if issues else "规范")
    return row


def _decorate_page(book: Book, rows: list[dict[str, Any]], month: str | None) -> list[dict[str, Any]]:
    """A page of projects decorated with three queries in all (goals, latest monitoring values), not three per
    project: the 绩效目标 list's first paint costs its page, not the projects before it."""
    by_project = perf.goals_of(book, [r["id"] for r in rows])
    perf.with_monitoring(book, [g for gs in by_project.values() for g in gs], month=month)
    return [_decorate(book, r, by_project.get(int(r["id"]), [])) for r in rows]


@dataclass
class PerfProjectQuery:
    """Projects with their goal figures: filter by year and text; `irregular_only` keeps the W2 cases."""

    book: Book
    year: int | None = None
    text: str = ""
    irregular_only: bool = False

    def _where(self) -> tuple[str, dict[str, Any]]:
        """The filter over `projects`' own columns (year, code, name)."""
        where = ["1 = 1"]
        args: dict[str, Any] = {}
        if self.year:
            where.append("year = :year")
            args["year"] = self.year
        if self.text.strip():
            where.append("(instr(code, :text) OR instr(name, :text))")
            args["text"] = self.text.strip()
        return " AND ".join(where), args

    def _rows(self, sort_key: str | None, descending: bool, offset: int = 0,
              limit: int | None = None) -> list[dict[str, Any]]:
        """The filtered projects with their figures, sorted, from `offset` (at most `limit`). Sorted by one of
        the project's own columns, the page is chosen from `projects` first and only its rows get the per-project
        sub-queries; sorted by a figure (安排资金, 指标数 …), every filtered project's figure is computed."""
        where, args = self._where()
        args.update(day="9999-12-31", month="9999-12")
        order = SORT.get(sort_key or "", "code")
        direction = "DESC" if descending else "ASC"
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        if order in ("code", "name", "year"):
            chosen = f"SELECT id FROM projects WHERE {where} ORDER BY {order} {direction}, id{page}"
            sql = f"{_BASE} WHERE p.id IN ({chosen}) ORDER BY p.{order} {direction}, p.id"
        else:
            sql = f"SELECT * FROM ({_BASE}) WHERE {where} ORDER BY {order} {direction}, id{page}"
        return [dict(r) for r in self.book.conn.execute(sql, args)]

    def count(self) -> int:
        if self.irregular_only:
            return len(self._irregular(None, False))
        where, args = self._where()
        return int(self.book.conn.execute(f"SELECT count(*) FROM projects WHERE {where}", args).fetchone()[0])

    def _irregular(self, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        flagged = perf.irregular(self.book, on=dt.date.max)
        return [r for r in self._rows(sort_key, descending) if r["id"] in flagged]

    def fetch(self, offset: int, limit: int, sort_key: str | None = None, descending: bool = False) -> list[dict[str, Any]]:
        if self.irregular_only:
            rows = self._irregular(sort_key, descending)[offset: offset + limit]
        else:
            rows = self._rows(sort_key, descending, offset, limit)
        return _decorate_page(self.book, rows, None)

    def has(self, project_id: int) -> bool:
        """Whether the project is listed under this filter (one row looked up by its key; with `irregular_only`, that
        one project's goals checked)."""
        where, args = self._where()
        args["id"] = int(project_id)
        if self.book.conn.execute(f"SELECT 1 FROM projects WHERE {where} AND id = :id", args).fetchone() is None:
            return False
        return not self.irregular_only or int(project_id) in perf.irregular(self.book, on=dt.date.max,
                                                                              only=[int(project_id)])

    def position(self, project_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The project's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed row is numbered (the sort may be a figure; `irregular_only` checks every project's
        goals): run it off the GUI thread."""
        if self.irregular_only:
            ids = [int(r["id"]) for r in self._irregular(sort_key, descending)]
            return ids.index(int(project_id)) if int(project_id) in ids else None
        where, args = self._where()
        args.update(day="9999-12-31", month="9999-12", id=int(project_id))
        order = SORT.get(sort_key or "", "code")
        direction = "DESC" if descending else "ASC"
        rows = "projects" if order in ("code", "name", "year") else f"({_BASE})"  # the figures only to sort by one
        row = self.book.conn.execute(
            f"SELECT at FROM (SELECT id AS rid, row_number() OVER (ORDER BY {order} {direction}, id) - 1 AS at "
            f"FROM {rows} WHERE {where}) WHERE rid = :id", args).fetchone()
        return None if row is None else int(row[0])


def table8_rows(book: Book, *, month: str) -> list[dict[str, Any]]:
    """表8 row source: every project approved by the end of `month` for the month's year or before,
    with its goals, the month's monitoring, deviations, decisions and self-evaluation as of that day.

    Read TABLE8_BATCH projects at a time (goals, monitoring, decisions: a few statements per batch, not per project;
    issue #22 — the list grows with every year the file keeps)."""
    _start, end = periods.bounds(book, month)
    day = end.isoformat()
    sql = (f"SELECT * FROM ({_BASE}) WHERE decision_id IS NOT NULL AND funds_issued_on <= :day AND year <= :year "
           "ORDER BY code, id")
    projects = [dict(r) for r in book.conn.execute(sql, {"day": day, "month": month, "year": end.year})]
    out = []
    for at in range(0, len(projects), TABLE8_BATCH):
        batch = projects[at: at + TABLE8_BATCH]
        ids = [int(r["id"]) for r in batch]
        goals_by = perf.goals_of(book, ids, on=end)
        perf.with_monitoring(book, [g for gs in goals_by.values() for g in gs], month=month)
        monitored = {int(g) for (g,) in book.conn.execute(
            "SELECT a.goal_id FROM perf_actuals a JOIN perf_goals g ON g.id = a.goal_id "
            f"WHERE g.project_id IN ({','.join('?' * len(ids))}) AND a.month = ?", (*ids, month))}
        decided = perf.decisions_of(book, ids)
        for row in batch:
            goals = goals_by.get(int(row["id"]), [])
            decisions = [d for d in decided.get(int(row["id"]), []) if d["decided_on"] <= day
                         and d["decided_on"][:4] == str(end.year)]
            score = perf.score_text(row["score_tenths"]) if row["score_tenths"] is not None else ""
            out.append({
                "project_no": row["code"], "project_name": row["name"], "goals_set": bool(goals),
                "goals_with_funds": bool(row["goals_set_on"] and row["goals_set_on"] <= row["funds_issued_on"]),
                "indicator_count": len(goals), "monitored_month": sum(1 for g in goals if g["id"] in monitored),
                "deviations": sum(1 for g in goals if g["deviates"]),
                "corrective": "；".join(f"{d['kind_name']}：{d['measures']}" for d in decisions),
                "self_eval": f"{row['eval_year']}年度自评 {score} 分" if score else "",
            })
    return out


TABLE8_BATCH = 200  # projects per batch: their goals' ids stay well under SQLite's limit on bound parameters
