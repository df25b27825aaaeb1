"""绩效目标 (DOMAIN §5.2): per project, goals in the standard tree, monthly monitoring values, decisions
on deviation (纠偏 / 暂缓拨付 / 收回) and the year-end self-evaluation.

Goals are accepted as the managing unit wrote them — a target that is not a number or a goal without a
unit is stored and reported as irregular (warning W2, `irregular()`), because the point is to show it.
The tree (一级 class, 二级 subclass) and the comparators come from the rule set.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from app.models.ledger import common as lc
from app.models.rules.schema import Comparator, PerfClass
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError

DECISION_KINDS = {"correct": "纠偏", "pause": "暂缓拨付", "recover": "收回"}
GOAL_FIELDS = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "comparator": "比较符",
               "target": "目标值", "unit": "计量单位"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_number(text: object) -> Decimal | None:
    """A quantified value: digits with an optional decimal point (thousands commas and full-width allowed)."""
    s = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip().replace(",", "")
    if not _NUMBER.fullmatch(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _plain(name: str) -> str:
    return name[:-2] if name.endswith("指标") else name


def find_class(book: Book, value: str) -> PerfClass:
    v = unicodedata.normalize("NFKC", value or "").strip()
    for c in book.rules.performance.classes:
        if v in (c.code, c.name, _plain(c.name)):
            return c
    names = "、".join(c.name for c in book.rules.performance.classes)
    raise ValidationError(f"“{v}”不是一级指标，应为 {names}", field=GOAL_FIELDS["level1"])


def find_subclass(cls: PerfClass, value: str) -> str:
    v = unicodedata.normalize("NFKC", value or "").strip()
    for s in cls.subclasses:
        if v in (s.code, s.name, _plain(s.name)):
            return s.code
    names = "、".join(s.name for s in cls.subclasses)
    raise ValidationError(f"“{v}”不是{cls.name}下的二级指标，应为 {names}", field=GOAL_FIELDS["level2"])


def find_comparator(book: Book, value: str) -> Comparator:
    v = unicodedata.normalize("NFKC", value or "").strip()
    for c in book.rules.performance.comparators:
        if v in (c.code, unicodedata.normalize("NFKC", c.symbol), c.name):
            return c
    names = "、".join(f"{c.symbol}（{c.name}）" for c in book.rules.performance.comparators)
    raise ValidationError(f"“{v}”不是比较符，应为 {names}", field=GOAL_FIELDS["comparator"])


def names(book: Book, level1: str, level2: str, comparator: str) -> tuple[str, str, str]:
    """Display names of stored codes (an old code the rule set no longer has is shown as it is)."""
    cls = next((c for c in book.rules.performance.classes if c.code == level1), None)
    sub = next((s.name for s in cls.subclasses if s.code == level2), level2) if cls else level2
    comp = next((c.symbol for c in book.rules.performance.comparators if c.code == comparator), comparator)
    return (cls.name if cls else level1), sub, comp


def clean_goal(book: Book, fields: Mapping[str, object]) -> dict[str, str]:
    """One goal's fields as stored: codes for the tree and comparator, target and unit as written."""
    cls = find_class(book, str(fields.get("level1") or ""))
    level2 = find_subclass(cls, str(fields.get("level2") or ""))
    name = lc.text(fields.get("name"), GOAL_FIELDS["name"], max_len=100, required=True)
    comparator = find_comparator(book, str(fields.get("comparator") or "")).code
    target = lc.text(fields.get("target"), GOAL_FIELDS["target"], max_len=40)
    unit = lc.text(fields.get("unit"), GOAL_FIELDS["unit"], max_len=20)
    if not unit and target.endswith(("%", "％")) and parse_number(target[:-1]) is not None:
        target, unit = target[:-1].strip(), "%"
    return {"level1": cls.code, "level2": level2, "name": name, "comparator": comparator, "target": target,
            "unit": unit}



def _project(book: Book, project_id: int) -> dict[str, Any]:
    row = book.conn.execute("SELECT id, code, name, year FROM projects WHERE id = ?", (project_id,)).fetchone()
    if row is None:
        raise NotFound(f"项目 #{project_id} 不存在", field="项目")
    return dict(row)


# -- goals ---------------------------------------------------------------------------------------


def decorate_goal(book: Book, row: Mapping[str, Any],
                  named: dict[tuple[str, str, str], tuple[str, str, str]] | None = None) -> dict[str, Any]:
    """A stored goal with its display names; `named` caches `names()` over a batch (one rule-set lookup per
    distinct code triple instead of one per goal)."""
    d = dict(row)
    key = (d["level1"], d["level2"], d["comparator"])
    if named is None:
        shown = names(book, *key)
    else:
        shown = named.get(key) or named.setdefault(key, names(book, *key))
    d["level1_name"], d["level2_name"], d["comparator_symbol"] = shown
    d["target_text"] = f"{d['comparator_symbol']} {d['target']}{d['unit']}".strip()
    return d


def goals(book: Book, project_id: int, *, on: dt.date | None = None) -> list[dict[str, Any]]:
    """The project's goals in force on `on` (default: now), in tree order."""
    return goals_of(book, [project_id], on=on).get(project_id, [])


def goals_of(book: Book, project_ids: Iterable[int], *, on: dt.date | None = None) -> dict[int, list[dict[str, Any]]]:
    """`goals()` of many projects at once (a page of the 绩效目标 list): project id → its goals in force on `on`,
    in tree order; a project without goals is absent. One query per 500 projects, not one per project."""
    day = (on or dt.date.max).isoformat()
    order = {c.code: i for i, c in enumerate(book.rules.performance.classes)}
    ids = list(dict.fromkeys(int(i) for i in project_ids))
    named: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start: start + 500]
        for r in book.conn.execute(
                f"SELECT * FROM perf_goals WHERE project_id IN ({','.join('?' * len(chunk))}) AND set_on <= ? "
                "AND (removed_on IS NULL OR removed_on > ?) ORDER BY sort, id", (*chunk, day, day)):
            out.setdefault(int(r["project_id"]), []).append(decorate_goal(book, r, named))
    for rows in out.values():
        rows.sort(key=lambda g: (order.get(g["level1"], 99), g["sort"], g["id"]))
    return out


def get_goal(book: Book, goal_id: int) -> dict[str, Any]:
    row = book.conn.execute("SELECT * FROM perf_goals WHERE id = ?", (goal_id,)).fetchone()
    if row is None:
        raise NotFound(f"绩效指标 #{goal_id} 不存在", field="绩效指标")
    return decorate_goal(book, row)


def _clash(conn: Any, project_id: int, goal: Mapping[str, str], exclude: int | None = None) -> None:
    if conn.execute("SELECT 1 FROM perf_goals WHERE project_id = ? AND level2 = ? AND name = ? AND removed_on IS NULL "
                    "AND id IS NOT ?", (project_id, goal["level2"], goal["name"], exclude)).fetchone():
        raise ValidationError(f"本项目已有同名的三级指标“{goal['name']}”", field=GOAL_FIELDS["name"])


def insert_goal(conn: Any, book: Book, project_id: int, goal: Mapping[str, str], set_on: dt.date) -> int:
    """Inside the caller's write (editor and import)."""
    sort = int(conn.execute("SELECT coalesce(max(sort), 0) + 1 FROM perf_goals WHERE project_id = ?",
                            (project_id,)).fetchone()[0])
    cur = conn.execute(
        "INSERT INTO perf_goals (project_id, level1, level2, name, comparator, target, unit, set_on, sort, created_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (project_id, goal["level1"], goal["level2"], goal["name"], goal["comparator"], goal["target"], goal["unit"],
         set_on.isoformat(), sort, book.user_id, book.stamp()))
    return int(cur.lastrowid or 0)


def add_goal(book: Book, *, project_id: int, fields: Mapping[str, object], set_on: dt.date | str | None = None) -> int:
    """Add one goal; `set_on` is the day the goals were set (attached to the money), default today."""
    _project(book, project_id)
    goal = clean_goal(book, fields)
    day = lc.as_date(set_on, "设定日期") if set_on else book.today()
    lc.not_future(book, day, "设定日期")
    # a goal back-dated into a signed month would change that month's 表8 after it was sent (and fail verify)
    periods.require_open(book, day, field="设定日期")
    with book.write("edit_goals") as conn:
        _clash(conn, project_id, goal)
        return insert_goal(conn, book, project_id, goal, day)


def update_goal(book: Book, *, goal_id: int, fields: Mapping[str, object]) -> None:
    current = get_goal(book, goal_id)
    if current["removed_on"]:
        raise ValidationError("该指标已删除，不能修改", field="绩效指标")
    goal = clean_goal(book, fields)
    if periods.is_closed(book, str(current["set_on"])):
        raise ValidationError(f"该指标自 {current['set_on']} 起生效，该月已结账，报出的月报按原指标汇总，不能原地修改；"
                              "请删除该指标，再从今天起设定新的指标", field="绩效指标")
    with book.write("edit_goals") as conn:
        _clash(conn, current["project_id"], goal, exclude=goal_id)
        conn.execute("UPDATE perf_goals SET level1 = ?, level2 = ?, name = ?, comparator = ?, target = ?, unit = ? "
                     "WHERE id = ?", (*[goal[k] for k in GOAL_FIELDS], goal_id))


def remove_goal(book: Book, *, goal_id: int) -> None:
    """Take a goal out of force from today; its monitoring values stay."""
    current = get_goal(book, goal_id)
    if current["removed_on"]:
        return
    with book.write("edit_goals") as conn:
        if conn.execute("SELECT 1 FROM perf_actuals WHERE goal_id = ?", (goal_id,)).fetchone() is None \
                and current["set_on"] >= book.today().isoformat():
            conn.execute("DELETE FROM perf_goals WHERE id = ?", (goal_id,))
        else:
            conn.execute("UPDATE perf_goals SET removed_on = ? WHERE id = ?", (book.today().isoformat(), goal_id))


# -- monitoring ----------------------------------------------------------------------------------


def judge(goal: Mapping[str, Any], value: str) -> bool | None:
    """Whether `value` meets the goal (None: the target or the value is not a number, nothing to judge)."""
    target, got = parse_number(goal["target"]), parse_number(value)
    if target is None or got is None:
        return None
    if goal["comparator"] == ">=":
        return got >= target
    if goal["comparator"] == "<=":
        return got <= target
    if goal["comparator"] == "=":
        return got == target
    return None


def record_actual(book: Book, *, goal_id: int, month: str, actual: str, forecast: str = "", note: str = "") -> None:
    """The value reached by the end of `month` and, optionally, the full-year value expected (预计全年完成值)."""
    goal = get_goal(book, goal_id)
    record_month(book, project_id=int(goal["project_id"]), month=month, values={goal_id: (actual, forecast, note)})


def record_month(book: Book, *, project_id: int, month: str, values: Mapping[int, tuple[str, str, str]]) -> int:
    """One project's monitoring for `month`: goal id → (actual, forecast, note), written together or not at all.
    Entered again for the same month, a value replaces the earlier one. Returns how many were written."""
    _project(book, project_id)
    m = lc.month_text(month)
    start, end = periods.bounds(book, m)
    if start > book.today():
        raise ValidationError(f"{m} 尚未开始，不能录入", field="月份")
    rows = []
    for goal_id, (actual, forecast, note) in values.items():
        goal = get_goal(book, goal_id)
        if goal["project_id"] != project_id:
            raise ValidationError(f"指标“{goal['name']}”不属于本项目", field="绩效指标")
        value = lc.text(actual, f"{goal['name']}的实际完成值", max_len=40, required=True)
        expect = lc.text(forecast, f"{goal['name']}的预计全年完成值", max_len=40)
        if parse_number(goal["target"]) is not None:
            for text, field in ((value, "实际完成值"), (expect, "预计全年完成值")):
                if text and parse_number(text) is None:
                    raise ValidationError(f"“{goal['name']}”的目标值是数值，完成值也应填数值（收到“{text}”）",
                                          field=field)
        rows.append((goal_id, m, end.isoformat(), value, expect, lc.text(note, "偏差原因及说明", max_len=500),
                     book.user_id, book.stamp()))
    periods.require_open(book, end, field="月份")
    with book.write("record_actuals") as conn:
        conn.executemany(
            "INSERT INTO perf_actuals (goal_id, month, period_end, actual, forecast, note, entered_by, entered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (goal_id, month) DO UPDATE SET actual = excluded.actual, "
            "forecast = excluded.forecast, note = excluded.note, entered_by = excluded.entered_by, "
            "entered_at = excluded.entered_at", rows)
    return len(rows)


def latest_actuals(book: Book, goal_ids: Iterable[int], *, month: str | None = None) -> dict[int, dict[str, Any]]:
    """Each goal's newest monitoring value up to `month` (default: any)."""
    ids = list(goal_ids)
    out: dict[int, dict[str, Any]] = {}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    upto = month or "9999-12"
    for r in book.conn.execute(
            f"SELECT a.* FROM perf_actuals a WHERE a.goal_id IN ({marks}) AND a.month <= ? "
            "AND a.month = (SELECT max(b.month) FROM perf_actuals b WHERE b.goal_id = a.goal_id AND b.month <= ?)",
            (*ids, upto, upto)):
        out[int(r["goal_id"])] = dict(r)
    return out


def actuals(book: Book, goal_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT a.*, coalesce(u.name, '') AS by_name FROM perf_actuals a LEFT JOIN users u ON u.id = a.entered_by "
        "WHERE a.goal_id = ? ORDER BY a.month", (goal_id,))]


def with_monitoring(book: Book, rows: list[dict[str, Any]], *, month: str | None = None) -> list[dict[str, Any]]:
    """Add each goal's latest value, the value judged (the forecast when given) and the deviation flag."""
    latest = latest_actuals(book, [g["id"] for g in rows], month=month)
    for g in rows:
        a = latest.get(g["id"])
        g["actual_month"] = a["month"] if a else ""
        g["actual"] = a["actual"] if a else ""
        g["forecast"] = a["forecast"] if a else ""
        g["actual_note"] = a["note"] if a else ""
        verdict = judge(g, (a["forecast"] or a["actual"])) if a else None
        g["deviates"] = verdict is False
        g["judgement"] = "" if a is None else ("未达目标（偏离）" if verdict is False else "符合目标" if verdict
                                               else "无法量化比较")
    return rows


# -- irregular goals (W2) ------------------------------------------------------------------------


def problems_of(book: Book, goals_: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is irregular about one project's goals (empty: regular). No goals at all is the caller's case."""
    found: list[str] = []
    have = {g["level1"] for g in goals_}
    missing = [c.name for c in book.rules.performance.classes if c.code not in have]
    if missing:
        found.append(f"缺少一级指标：{'、'.join(missing)}")
    for g in goals_:
        if parse_number(g["target"]) is None:
            shown = f"“{g['target']}”" if g["target"] else "为空"
            found.append(f"“{g['name']}”的目标值{shown}，不是数值")
        if not g["unit"]:
            found.append(f"“{g['name']}”没有计量单位")
    return found


def irregular(book: Book, *, on: dt.date | None = None, only: Sequence[int] | None = None) -> dict[int, list[str]]:
    """project id → what is wrong, for every approved project holding funds (W2): no goals at all,
    a level-1 class missing, a target that is not a number, a goal without a unit. `only`: of these projects."""
    day = (on or book.today()).isoformat()
    among, among_goals = "", ""
    ids: tuple[str, ...] = ()
    if only is not None:
        among = " AND p.id IN (SELECT value FROM json_each(?))"
        among_goals = " AND project_id IN (SELECT value FROM json_each(?))"
        ids = (json.dumps(sorted(set(only))),)
    funded = [r[0] for r in book.conn.execute(
        "SELECT p.id FROM projects p JOIN plan_decisions d ON d.id = p.decision_id WHERE d.decision_date <= ? "
        f"AND EXISTS (SELECT 1 FROM project_funding f WHERE f.project_id = p.id){among} ORDER BY p.id", (day, *ids))]
    by_project: dict[int, list[dict[str, Any]]] = {}
    for r in book.conn.execute(
            "SELECT project_id, level1, name, target, unit FROM perf_goals WHERE set_on <= ? "
            f"AND (removed_on IS NULL OR removed_on > ?){among_goals}", (day, day, *ids)):
        by_project.setdefault(int(r["project_id"]), []).append(dict(r))
    out: dict[int, list[str]] = {}
    for pid in funded:
        items = by_project.get(pid, [])
        found = ["资金已下达，但未编制绩效目标"] if not items else problems_of(book, items)
        if found:
            out[pid] = found
    return out


# -- decisions and self-evaluation ---------------------------------------------------------------


def record_decision(book: Book, *, project_id: int, kind: str, measures: str, decided_on: dt.date | str | None = None,
                    doc_no: str = "", amount: int = 0, goal_id: int | None = None) -> int:
    """A decision on deviation: 纠偏 (measures), 暂缓拨付 or 收回 (with the amount concerned)."""
    _project(book, project_id)
    if kind not in DECISION_KINDS:
        raise ValidationError(f"应为 {'、'.join(DECISION_KINDS.values())} 之一", field="处理方式")
    text = lc.text(measures, "处理措施", max_len=500, required=True)
    day = lc.as_date(decided_on, "决定日期") if decided_on else book.today()
    lc.not_future(book, day, "决定日期")
    doc = lc.text(doc_no, "决定文号", max_len=80)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError("应为不小于零的整数“分”", field="涉及金额")
    if kind in ("pause", "recover") and amount == 0:
        raise ValidationError(f"{DECISION_KINDS[kind]}须填写涉及金额", field="涉及金额")
    if goal_id is not None and get_goal(book, goal_id)["project_id"] != project_id:
        raise ValidationError("该指标不属于本项目", field="绩效指标")
    periods.require_open(book, day, field="决定日期")
    with book.write("record_perf_decision") as conn:
        cur = conn.execute(
            "INSERT INTO perf_decisions (project_id, goal_id, decided_on, kind, doc_no, amount, measures, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, goal_id, day.isoformat(), kind, doc, amount, text, book.user_id, book.stamp()))
        return int(cur.lastrowid or 0)


def decisions(book: Book, project_id: int) -> list[dict[str, Any]]:
    return decisions_of(book, [project_id]).get(project_id, [])


def decisions_of(book: Book, project_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """`decisions()` of many projects at once: project id → its corrective decisions by date (absent: none)."""
    ids = list(dict.fromkeys(int(i) for i in project_ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start: start + 500]
        for r in book.conn.execute(
                "SELECT d.*, coalesce(g.name, '') AS goal_name FROM perf_decisions d LEFT JOIN perf_goals g "
                f"ON g.id = d.goal_id WHERE d.project_id IN ({','.join('?' * len(chunk))}) ORDER BY d.decided_on, d.id",
                chunk):
            out.setdefault(int(r["project_id"]), []).append(
                dict(r) | {"kind_name": DECISION_KINDS.get(r["kind"], r["kind"])})
    return out


def parse_score(text: object) -> int:
    """A score 0–100 with at most one decimal, in tenths of a point."""
    value = parse_number(text)
    if value is None or not 0 <= value <= 100:
        raise ValidationError(f"应为 0～100 之间的分数（收到“{text}”）", field="自评得分")
    tenths = value * 10
    if tenths != tenths.to_integral_value():
        raise ValidationError("最多一位小数", field="自评得分")
    return int(tenths)


def score_text(tenths: int) -> str:
    whole, part = divmod(int(tenths), 10)
    return f"{whole}.{part}" if part else str(whole)


def self_evaluate(book: Book, *, project_id: int, year: int, score: str, report: str,
                  evaluated_on: dt.date | str | None = None) -> None:
    """The year-end self-evaluation (自评): score and report; entered again, it replaces the year's."""
    _project(book, project_id)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= book.today().year:
        raise ValidationError(f"应为 2000～{book.today().year} 之间的年度", field="评价年度")
    tenths = parse_score(score)
    text = unicodedata.normalize("NFC", str(report or "")).strip()
    if len(text) < 10:
        raise ValidationError("请填写自评报告（至少 10 个字）", field="自评报告")
    if len(text) > 4000:
        raise ValidationError("不能超过 4000 个字", field="自评报告")
    day = lc.as_date(evaluated_on, "评价日期") if evaluated_on else book.today()
    lc.not_future(book, day, "评价日期")
    if day.year < year:
        raise ValidationError(f"{year} 年度的自评不能早于该年度", field="评价日期")
    old = book.conn.execute("SELECT evaluated_on FROM perf_evaluations WHERE project_id = ? AND year = ?",
                            (project_id, year)).fetchone()
    if old:
        periods.require_open(book, old[0], field="原评价日期")
    periods.require_open(book, day, field="评价日期")
    with book.write("self_evaluate") as conn:
        conn.execute(
            "INSERT INTO perf_evaluations (project_id, year, evaluated_on, score_tenths, report, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, year) DO UPDATE SET evaluated_on = excluded.evaluated_on, "
            "score_tenths = excluded.score_tenths, report = excluded.report, created_by = excluded.created_by, "
            "created_at = excluded.created_at",
            (project_id, year, day.isoformat(), tenths, text, book.user_id, book.stamp()))


def evaluations(book: Book, project_id: int) -> list[dict[str, Any]]:
    rows = book.conn.execute("SELECT * FROM perf_evaluations WHERE project_id = ? ORDER BY year DESC", (project_id,))
    return [dict(r) | {"score": score_text(r["score_tenths"])} for r in rows]
