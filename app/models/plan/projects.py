"""项目计划: projects, their funding lines (which indicators pay how much), and what is planned.

A project is edited freely while it is in the 项目库 (a stage of the pool phase of its own year's rule set: 入库, and
under xj-2021 also 储备). Once the leading group has approved it (decisions.py) it changes only through 调整 with a new
decision. The funding lines on an
indicator never add up to more than its net amount (`unplanned` ≥ 0), checked inside the write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from app.models.ledger import deadlines
from app.models.plan import fields as pf
from app.models.store import rule_years
from app.models.store.book import Book
from app.models.store.where import Where
from app.models.values.errors import NotFound, ValidationError
from app.models.values.money import format as fmt

COMMITTED = ("submitted", "approved", "paid")  # payment statuses that use up a funding line
SELECT = """
SELECT p.*, d.doc_no AS decision_no, d.decision_date,
  (SELECT coalesce(sum(f.amount), 0) FROM project_funding f WHERE f.project_id = p.id) AS total,
  (SELECT coalesce(sum(y.amount), 0) FROM payments y WHERE y.project_id = p.id AND y.status = 'paid') AS paid
FROM projects p LEFT JOIN plan_decisions d ON d.id = p.decision_id
"""
SORT_KEYS = {"code": "p.code", "name": "p.name", "year": "p.year", "category": "p.category",
             "township": "p.township", "village": "p.village", "total": "total", "paid": "paid",
             "status_name": "p.status", "decision_no": "decision_no", "version": "p.version",
             "implementer": "p.implementer"}


# -- stages: those of the project's own year's rule set, each with its phase (issue #17) ----------------------


def stages(book: Book, year: int) -> tuple[Any, ...]:
    return book.rules_for(int(year)).project_statuses


def initial_status(book: Book, year: int) -> str:
    """The stage a new project of `year` enters (its year's first stage, a pool stage)."""
    return book.rules_for(int(year)).initial_stage.code


def approval_status(book: Book, year: int) -> str:
    """The stage a project of `year` must have reached to be approved: its year's last pool stage."""
    return book.rules_for(int(year)).approval_stage.code


def approved_status(book: Book, year: int) -> str:
    """The stage the leading group's approval puts a project of `year` in."""
    return book.rules_for(int(year)).approved_stage.code


def status_index(book: Book, code: str, year: int) -> int:
    """Position of `code` in the stages of `year`'s rule set (-1: not one of them)."""
    return book.rules_for(int(year)).stage_index(code)


def phase(book: Book, project: Mapping[str, Any]) -> str:
    """The phase of the project's stage in its year's rule set ("" for a code that set does not know)."""
    stage = book.rules_for(int(project["year"])).stage(str(project["status"]))
    return stage.phase if stage is not None else ""


def next_stage(book: Book, project: Mapping[str, Any]) -> Any | None:
    """The stage 推进 would move `project` to, or None: before approval only to a later pool stage (项目库 stages,
    e.g. 入库 → 储备), after it to the next stage until the last; approval itself is 审定, not 推进."""
    rules = book.rules_for(int(project["year"]))
    nxt = rules.next_stage(str(project["status"]))
    if nxt is None:
        return None
    pooled = project["decision_id"] is None
    return nxt if (nxt.phase == "pool") == pooled else None


def awaiting_approval(book: Book, project: Mapping[str, Any]) -> bool:
    """Not yet approved and at the stage from which its year's rules allow approval."""
    return project["decision_id"] is None and project["status"] == approval_status(book, int(project["year"]))


def status_choices(book: Book) -> list[tuple[str, str]]:
    """(code, name) of every stage of any year's set in the file, for a filter: in the order of the sets (earliest
    year first, a later set's new stage after the one before it), named as the latest set names it."""
    sets = rule_years.all_sets(book)
    order: list[str] = []
    for rules in sets:
        for i, s in enumerate(rules.project_statuses):
            if s.code not in order:
                before = rules.project_statuses[i - 1].code if i else None
                order.insert(order.index(before) + 1 if before in order else len(order), s.code)
    names = {s.code: s.name for rules in sets for s in rules.project_statuses}
    return [(code, names[code]) for code in order]


def _name(entries: tuple[Any, ...], code: object) -> str:
    for e in entries:
        if e.code == code:
            return str(e.name)
    return "" if code is None else str(code)


def decorate(book: Book, row: Mapping[str, Any]) -> dict[str, Any]:
    d = dict(row)
    r = book.rules_for(int(d["year"])) if d.get("year") else book.rules  # the project's own year's names
    d["category_name"] = _name(r.project_categories, d["category"])
    d["construction_type_name"] = _name(r.construction_types, d["construction_type"])
    d["asset_type_name"] = _name(r.asset_types, d["asset_type"])
    d["status_name"] = _name(r.project_statuses, d["status"])
    stage = r.stage(str(d["status"]))
    d["phase"] = stage.phase if stage is not None else ""
    d["place"] = d["township"] + (f" {d['village']}" if d["village"] else "")
    return d


# -- reading -----------------------------------------------------------------------------------------


def get(book: Book, project_id: int) -> dict[str, Any]:
    row = book.conn.execute(SELECT + " WHERE p.id = ?", (project_id,)).fetchone()
    if row is None:
        raise NotFound(f"项目 #{project_id} 不存在", field="项目")
    return decorate(book, row)


def by_code(book: Book, code: str) -> dict[str, Any] | None:
    row = book.conn.execute(SELECT + " WHERE p.code = ?", (code.strip(),)).fetchone()
    return decorate(book, row) if row else None


def funding_lines(book: Book, project_id: int) -> list[dict[str, Any]]:
    """The funding lines with each indicator's 文号 and what payments have used of the line."""
    marks = ",".join("?" * len(COMMITTED))
    rows = book.conn.execute(
        "SELECT f.id, f.indicator_id, f.amount, i.doc_no, i.year, i.kind, i.item, i.source_level, it.name AS item_name, "
        f"coalesce((SELECT sum(y.amount) FROM payments y WHERE y.project_id = f.project_id AND y.indicator_id = f.indicator_id "
        f"AND y.status IN ({marks})), 0) AS committed, "
        "coalesce((SELECT sum(y.amount) FROM payments y WHERE y.project_id = f.project_id AND y.indicator_id = f.indicator_id "
        "AND y.status = 'paid'), 0) AS paid "
        "FROM project_funding f JOIN indicators i ON i.id = f.indicator_id JOIN fund_items it ON it.code = i.item "
        "WHERE f.project_id = ? ORDER BY f.id", (*COMMITTED, project_id)).fetchall()
    return [dict(r) | {"left": r["amount"] - r["committed"]} for r in rows]


def current_lines(book: Book, project_id: int) -> list[tuple[int, int]]:
    return [(int(r[0]), int(r[1])) for r in book.conn.execute(
        "SELECT indicator_id, amount FROM project_funding WHERE project_id = ? ORDER BY id", (project_id,))]


def line_amount(conn: sqlite3.Connection, project_id: int, indicator_id: int) -> int | None:
    row = conn.execute("SELECT amount FROM project_funding WHERE project_id = ? AND indicator_id = ?",
                       (project_id, indicator_id)).fetchone()
    return None if row is None else int(row[0])


def line_committed(conn: sqlite3.Connection, project_id: int, indicator_id: int, *, exclude: int | None = None) -> int:
    marks = ",".join("?" * len(COMMITTED))
    row = conn.execute(
        f"SELECT coalesce(sum(amount), 0) FROM payments WHERE project_id = ? AND indicator_id = ? AND status IN ({marks}) "
        "AND id IS NOT ?", (project_id, indicator_id, *COMMITTED, exclude)).fetchone()
    return int(row[0])


def planned_on_indicator(book: Book, indicator_id: int) -> int:
    """What the plan assigns to an indicator, in 分 (every project's funding line on it)."""
    row = book.conn.execute("SELECT coalesce(sum(amount), 0) FROM project_funding WHERE indicator_id = ?",
                            (indicator_id,)).fetchone()
    return int(row[0])


def unplanned(book: Book, indicator_id: int) -> int:
    """What of an indicator's net amount (after 调减/收回/缴回) is not yet assigned to a project."""
    from app.models.ledger import indicators

    return int(indicators.get(book, indicator_id)["net_amount"]) - planned_on_indicator(book, indicator_id)




class ProjectQuery:
    """Row source for the 项目计划 table: filter by year, status and text; sort keys whitelisted."""

    def __init__(self, book: Book, *, year: int | None = None, status: str = "", text: str = "") -> None:
        self.book = book
        w = Where().equals("p.year", year or None).equals("p.status", status).contains(
            text, "p.code", "p.name", "p.township", "p.village", "p.implementer")
        self.where, self.args = w.clause, w.args

    def count(self) -> int:
        return int(self.book.conn.execute("SELECT count(*) FROM projects p" + self.where, self.args).fetchone()[0])

    def total(self) -> int:
        """资金规模 of every project the filter selects (not only the rows fetched so far)."""
        return int(self.book.conn.execute(
            "SELECT coalesce(sum(f.amount), 0) FROM project_funding f JOIN projects p ON p.id = f.project_id"
            + self.where, self.args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        """The table's order: the sort column (else year, newest first, and code), then the id (one place each)."""
        if sort_key in SORT_KEYS:
            return SORT_KEYS[sort_key] + (" DESC" if descending else "") + ", p.id"
        return "p.year DESC, p.code, p.id"

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        rows = self.book.conn.execute(f"{SELECT}{self.where} ORDER BY {self._order(sort_key, descending)} "
                                      "LIMIT ? OFFSET ?", [*self.args, limit, offset])
        return [decorate(self.book, r) for r in rows]  # row by row, not fetchall (payments.query.fetch says why)

    def has(self, project_id: int) -> bool:
        """Whether the project is listed under this filter (one row looked up by its key)."""
        where = (self.where + " AND" if self.where else " WHERE") + " p.id = ?"
        return self.book.conn.execute(f"SELECT 1 FROM projects p{where}", [*self.args, project_id]).fetchone() \
            is not None

    def position(self, project_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The project's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed row is numbered (the sort may be a computed column): run it off the GUI thread."""
        row = self.book.conn.execute(
            f"SELECT n FROM (SELECT p.id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS n FROM ({SELECT}{self.where}) p) WHERE rid = ?", [*self.args, project_id]).fetchone()
        return None if row is None else int(row[0])


def indicator_choices(book: Book) -> list[dict[str, Any]]:
    """Indicators for a funding-line pick list, newest first, with what each has not yet planned."""
    rows = book.conn.execute(
        "SELECT i.id, i.doc_no, i.year, i.kind, i.item, it.name AS item_name, i.title, "
        "(SELECT coalesce(sum(e.sign * e.amount), 0) FROM ledger_entries e WHERE e.indicator_id = i.id "
        " AND e.side = 'income') - (SELECT coalesce(sum(f.amount), 0) FROM project_funding f "
        " WHERE f.indicator_id = i.id) AS unplanned "
        "FROM indicators i JOIN fund_items it ON it.code = i.item ORDER BY i.year DESC, i.received_date DESC, i.id DESC")
    return [dict(r) for r in rows]


def filter_years(book: Book) -> list[int]:
    """The 项目计划 tab's year filter: every plan year that has projects, and the current year, newest first
    (one pass over the year column; the projects themselves are not read)."""
    years = {int(r[0]) for r in book.conn.execute("SELECT DISTINCT year FROM projects")}
    return sorted(years | {book.today().year}, reverse=True)


def choices(book: Book, *, payable_only: bool = False) -> list[dict[str, Any]]:
    """(id, code, name) for pick lists; `payable_only`: approved by the leading group."""
    where = " WHERE p.decision_id IS NOT NULL" if payable_only else ""
    return [decorate(book, r) for r in book.conn.execute(SELECT + where + " ORDER BY p.year DESC, p.code")]


# -- writing -----------------------------------------------------------------------------------------


def check_funding(book: Book, conn: sqlite3.Connection, values: Mapping[str, Any], lines: Sequence[tuple[int, int]],
                  *, project_id: int | None, pending: Mapping[int, int] | None = None) -> list[tuple[int, int]]:
    """Validate funding lines inside the write: indicators exist, nothing over what is unplanned, bond
    money only for the project that declared that bond, no line below what payments already used.
    `pending` adds lines of other projects written in the same import."""
    from app.models.ledger import indicators

    field = "资金来源"
    out: dict[int, int] = {}
    for indicator_id, amount in lines:
        if isinstance(indicator_id, bool) or not isinstance(indicator_id, int):
            raise ValidationError("请选择指标", field=field)
        value = pf.as_fen(amount, f"{field}金额", allow_zero=False)
        if indicator_id in out:
            raise ValidationError(f"同一指标（#{indicator_id}）出现两次，请合并为一行", field=field)
        out[indicator_id] = value
    for indicator_id, value in out.items():
        ind = indicators.get(book, indicator_id)
        others = int(conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM project_funding WHERE indicator_id = ? AND project_id IS NOT ?",
            (indicator_id, project_id)).fetchone()[0]) + (pending or {}).get(indicator_id, 0)
        free = deadlines.net_received(conn, indicator_id) - others
        if value > free:
            raise ValidationError(
                f"指标 {ind['doc_no']} 尚未安排的只有 {fmt(max(free, 0))} 元，不能安排 {fmt(value)} 元", field=field)
        if book.rules_for(int(ind["year"])).is_bond(ind["kind"], ind["item"]) and values.get("bond_item") != ind["item"]:
            raise ValidationError(
                f"指标 {ind['doc_no']} 是债券资金（{ind['item_name']}），只能安排给申报该债券项目的项目"
                f"（本项目的申报债券项目为“{values.get('bond_item') or '无'}”）", field=field)
        if project_id is not None:
            used = line_committed(conn, project_id, indicator_id)
            if value < used:
                raise ValidationError(
                    f"指标 {ind['doc_no']} 上本项目已提交或支付 {fmt(used)} 元，安排额不能少于此数", field=field)
    if project_id is not None:
        for row in conn.execute("SELECT indicator_id FROM project_funding WHERE project_id = ?", (project_id,)):
            if row[0] not in out and line_committed(conn, project_id, row[0]):
                doc = indicators.get(book, row[0])["doc_no"]
                raise ValidationError(f"指标 {doc} 上已有支付，不能从资金来源中删除", field=field)
    return sorted(out.items())


def write_funding(conn: sqlite3.Connection, project_id: int, lines: Sequence[tuple[int, int]]) -> None:
    """Replace the lines, touching only what changed (the audit log then shows the real change)."""
    current = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT indicator_id, id, amount FROM project_funding WHERE project_id = ?", (project_id,))}
    wanted = dict(lines)
    for indicator_id, (line_id, _amount) in current.items():
        if indicator_id not in wanted:
            conn.execute("DELETE FROM project_funding WHERE id = ?", (line_id,))
    for indicator_id, amount in lines:
        if indicator_id not in current:
            conn.execute("INSERT INTO project_funding (project_id, indicator_id, amount) VALUES (?, ?, ?)",
                         (project_id, indicator_id, amount))
        elif current[indicator_id][1] != amount:
            conn.execute("UPDATE project_funding SET amount = ? WHERE id = ?", (amount, current[indicator_id][0]))


def _cleaned(book: Book, fields: Mapping[str, object], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    values, errors = pf.clean(book, fields, base=base)
    if errors:
        raise pf.first_error(errors)
    return values


def insert(book: Book, conn: sqlite3.Connection, values: Mapping[str, Any]) -> int:
    row = pf.to_row(values)
    if conn.execute("SELECT 1 FROM projects WHERE code = ?", (row["code"],)).fetchone():
        raise ValidationError(f"项目编号“{row['code']}”已存在", field=pf.LABELS["code"])
    cols = list(pf.LABELS)
    cur = conn.execute(
        f"INSERT INTO projects ({', '.join(cols)}, status, version, created_by, created_at, updated_at) "
        f"VALUES ({', '.join('?' * len(cols))}, ?, 0, ?, ?, ?)",
        (*[row[c] for c in cols], initial_status(book, int(row["year"])), book.user_id, book.stamp(), book.stamp()))
    return int(cur.lastrowid or 0)


def update_row(book: Book, conn: sqlite3.Connection, project_id: int, values: Mapping[str, Any]) -> None:
    row = pf.to_row(values)
    clash = conn.execute("SELECT 1 FROM projects WHERE code = ? AND id != ?", (row["code"], project_id)).fetchone()
    if clash:
        raise ValidationError(f"项目编号“{row['code']}”已被其他项目使用", field=pf.LABELS["code"])
    cols = list(pf.LABELS)
    conn.execute(f"UPDATE projects SET {', '.join(f'{c} = ?' for c in cols)}, updated_at = ? WHERE id = ?",
                 (*[row[c] for c in cols], book.stamp(), project_id))


def create_project(book: Book, *, fields: Mapping[str, object], funding: Sequence[tuple[int, int]] = ()) -> int:
    """A new project (入库) with its funding lines; returns its id."""
    values = _cleaned(book, fields)
    with book.write("edit_project") as conn:
        lines = check_funding(book, conn, values, funding, project_id=None)
        project_id = insert(book, conn, values)
        write_funding(conn, project_id, lines)
    return project_id


def stored_values(project: Mapping[str, Any]) -> dict[str, Any]:
    return {k: project[k] for k in pf.LABELS}


def update_project(book: Book, *, project_id: int, fields: Mapping[str, object],
                   funding: Sequence[tuple[int, int]] | None = None) -> None:
    """Edit a project not yet approved; an approved one changes only through 调整 (plan.adjust_project)."""
    current = get(book, project_id)
    if current["decision_id"] is not None:
        raise ValidationError(
            f"项目已于 {current['decision_date']} 经领导小组决定（{current['decision_no']}）审定，"
            "只能通过“调整”修改，并须有新的领导小组决定", field="项目状态")
    values = _cleaned(book, fields, base=stored_values(current))
    year = int(values.get("year") or current["year"])
    if book.rules_for(year).stage(str(current["status"])) is None:  # stages follow the project's year (issue #17)
        raise ValidationError(f"{year} 年度的规则集没有项目当前的状态“{current['status_name']}”，不能改为该年度"
                              "（可删除后按该年度重新录入）", field=pf.LABELS["year"])
    with book.write("edit_project") as conn:
        given = funding if funding is not None else current_lines(book, project_id)
        lines = check_funding(book, conn, values, given, project_id=project_id)
        update_row(book, conn, project_id, values)
        write_funding(conn, project_id, lines)


def delete_project(book: Book, *, project_id: int) -> None:
    """Only a project not yet approved and never used by a payment request can be deleted."""
    current = get(book, project_id)
    if current["decision_id"] is not None:
        raise ValidationError("已审定的项目不能删除（可通过调整将其资金安排调减）", field="项目状态")
    with book.write("edit_project") as conn:
        if conn.execute("SELECT 1 FROM payments WHERE project_id = ?", (project_id,)).fetchone():
            raise ValidationError("该项目已有支付申请，不能删除", field="项目")
        conn.execute("DELETE FROM project_funding WHERE project_id = ?", (project_id,))
        conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))


