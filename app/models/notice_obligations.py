"""What must be noticed (DOMAIN §4.6, "两个一律"), derived from the data, against what was recorded.

`obligations(book, as_of=…)` is the source of warning W7 (公告公示缺失). It only reads: no write, no
side effect, same answer for the same file and day. One `Obligation` per duty:

- 资金分配结果 (allocation), level 县: each indicator with money assigned to projects of the plan
  approved by the leading group — arises on the first approving decision's date;
- 项目计划安排 (project_plan), levels 乡 and 村: each approved project, at its township and (if it
  names one) its village — arises on the date of the decision now in force; a notice older than an
  adjustment (调整) no longer counts;
- 资金使用情况 (fund_use), levels 乡 and 村: each project that is 已完工/已验收 and has paid money —
  arises on its last payment date;
- 实名制发放 (real_name), level 村 (乡 when the project names no village): each paid payment with a
  real-name list — arises on the pay date.

A notice counts for a duty when it has the same kind, object and level and started on or before
`as_of`. Status (best notice wins): 已公示 — on a permanent place (网站) from its start, or on a board
or site for at least rules.notices.min_board_days days (counted inclusive); 公示中 — still up, not yet
that long; 公示期不足 — taken down (end date set) before that many days; 缺失 — no notice at all.
W7 should fire for 缺失 and 公示期不足.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import notice_objects as objs
from .book import Book

SHOWN, POSTING, TOO_SHORT, MISSING = "已公示", "公示中", "公示期不足", "缺失"
STATUSES = (MISSING, TOO_SHORT, POSTING, SHOWN)
OPEN_STATUSES = (MISSING, TOO_SHORT)  # what W7 reports
_RANK = {SHOWN: 3, POSTING: 2, TOO_SHORT: 1}
FUND_USE_STATUSES = ("completed", "accepted")  # project statuses (rule set codes) whose fund use must be noticed


@dataclass(frozen=True)
class Obligation:
    """One duty to publish and how it stands on `as_of`.

    key: stable while the duty exists, e.g. "project_plan:village:project:12" (kind:level:object_type:object_id).
    since: the day the duty arose. amount: 分 involved (allocated / project funds / payment).
    notice_id: the notice that best meets it (None when 缺失). days: days posted (so far, or in total).
    """

    key: str
    kind: str
    kind_name: str
    level: str
    level_name: str
    object_type: str
    object_id: int
    object_label: str
    township: str
    village: str
    since: dt.date
    amount: int
    project_id: int | None
    section: str
    status: str
    notice_id: int | None
    days: int | None
    detail: str

    @property
    def is_open(self) -> bool:
        """Missing or posted too briefly: what W7 reports."""
        return self.status in OPEN_STATUSES

    def as_row(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {
            "place": self.township + self.village, "since_text": self.since.isoformat()}


@dataclass(frozen=True)
class _Duty:
    kind: str
    level: str
    object_type: str
    object_id: int
    since: dt.date
    not_before: dt.date | None  # a notice must start on/after this day to count (plan adjustments)


def _duties(book: Book, as_of: dt.date) -> Iterable[_Duty]:
    day = as_of.isoformat()
    conn = book.conn
    for r in conn.execute(
            "SELECT f.indicator_id, min(d.decision_date) AS first FROM project_funding f "
            "JOIN projects p ON p.id = f.project_id JOIN plan_versions v ON v.project_id = p.id AND v.version = 1 "
            "JOIN plan_decisions d ON d.id = v.decision_id WHERE p.decision_id IS NOT NULL "
            "GROUP BY f.indicator_id HAVING first <= ?", (day,)):
        yield _Duty("allocation", "county", "indicator", r[0], _d(r[1]), None)
    for r in conn.execute(
            "SELECT p.id, p.village, d.decision_date FROM projects p JOIN plan_decisions d ON d.id = p.decision_id "
            "WHERE d.decision_date <= ? ORDER BY p.id", (day,)):
        since = _d(r["decision_date"])
        yield _Duty("project_plan", "township", "project", r["id"], since, since)
        if r["village"]:
            yield _Duty("project_plan", "village", "project", r["id"], since, since)
    marks = ",".join("?" * len(FUND_USE_STATUSES))
    for r in conn.execute(
            f"SELECT p.id, p.village, max(y.pay_date) AS last FROM projects p JOIN payments y ON y.project_id = p.id "
            f"WHERE p.status IN ({marks}) AND y.status = 'paid' AND y.pay_date <= ? GROUP BY p.id ORDER BY p.id",
            (*FUND_USE_STATUSES, day)):
        yield _Duty("fund_use", "township", "project", r["id"], _d(r["last"]), None)
        if r["village"]:
            yield _Duty("fund_use", "village", "project", r["id"], _d(r["last"]), None)
    for r in conn.execute(
            "SELECT y.id, y.pay_date, p.village FROM payments y JOIN real_name_lists l ON l.payment_id = y.id "
            "JOIN projects p ON p.id = y.project_id WHERE y.status = 'paid' AND y.pay_date <= ? ORDER BY y.id", (day,)):
        yield _Duty("real_name", "village" if r["village"] else "township", "payment", r["id"], _d(r["pay_date"]), None)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def notice_status(book: Book, notice: Any, as_of: dt.date) -> tuple[str, int] | None:
    """(status, days) of one notice on `as_of`; None when it has not started yet."""
    start = _d(notice["start_date"])
    if start > as_of:
        return None
    rules = book.rules.notices
    permanent = any(p.code == notice["place"] and p.permanent for p in rules.places)
    elapsed = (as_of - start).days + 1
    if permanent:
        return SHOWN, elapsed
    if notice["end_date"]:
        end = _d(notice["end_date"])
        total = (end - start).days + 1
        if total < rules.min_board_days:
            return TOO_SHORT, total
        if end >= as_of and elapsed < rules.min_board_days:
            return POSTING, elapsed
        return SHOWN, total
    return (SHOWN if elapsed >= rules.min_board_days else POSTING), elapsed


def _names(book: Book) -> dict[str, dict[str, str]]:
    n = book.rules.notices
    return {"kind": {e.code: e.name for e in n.kinds}, "level": {e.code: e.name for e in n.levels},
            "place": {e.code: e.name for e in n.places}}


def _detail(book: Book, names: dict[str, dict[str, str]], status: str, notice: Any, days: int | None, duty: _Duty,
            stale: Any) -> str:
    min_days = book.rules.notices.min_board_days
    if notice is None:
        if stale is not None:
            return f"{stale['start_date']} 的公示早于 {duty.since.isoformat()} 的领导小组调整决定，调整后尚未重新公示"
        return f"自 {duty.since.isoformat()} 起应公示，尚无{names['level'].get(duty.level, duty.level)}公示记录"
    place = names["place"].get(notice["place"], notice["place"])
    if status == TOO_SHORT:
        return f"{place} {notice['start_date']} 至 {notice['end_date']} 公示 {days} 天，少于 {min_days} 天"
    if status == POSTING:
        return f"{place}自 {notice['start_date']} 起公示，已 {days} 天（须满 {min_days} 天）"
    if any(p.code == notice["place"] and p.permanent for p in book.rules.notices.places):
        return f"{place}自 {notice['start_date']} 起长期公开"
    return f"{place} {notice['start_date']} 起公示 {days} 天"


def obligations(book: Book, *, as_of: dt.date) -> list[Obligation]:
    """Every duty to publish that has arisen by `as_of`, with its status (pure read; see module doc).

    Sorted: open ones first (缺失, 公示期不足, 公示中, 已公示), then by since, kind, level and object.
    """
    notices: dict[tuple[str, str, str, int], list[Any]] = defaultdict(list)
    for n in book.conn.execute("SELECT id, kind, level, object_type, object_id, place, start_date, end_date "
                               "FROM notices ORDER BY start_date, id"):
        notices[(n["kind"], n["level"], n["object_type"], n["object_id"])].append(n)
    duties = list(_duties(book, as_of))
    found: dict[str, dict[int, objs.ObjectInfo]] = {
        t: objs.infos(book, t, [d.object_id for d in duties if d.object_type == t]) for t in objs.OBJECT_NAMES}
    names = _names(book)
    out = []
    for duty in duties:
        best: tuple[str, int, Any] | None = None
        stale = None
        for n in notices.get((duty.kind, duty.level, duty.object_type, duty.object_id), []):
            if duty.not_before and n["start_date"] < duty.not_before.isoformat():
                stale = n
                continue
            got = notice_status(book, n, as_of)
            if got is not None and (best is None or _RANK[got[0]] >= _RANK[best[0]]):
                best = (got[0], got[1], n)
        status, days, notice = best if best else (MISSING, None, None)
        obj = found[duty.object_type].get(duty.object_id)
        if obj is None:
            continue
        out.append(Obligation(
            key=f"{duty.kind}:{duty.level}:{duty.object_type}:{duty.object_id}", kind=duty.kind,
            kind_name=names["kind"].get(duty.kind, duty.kind), level=duty.level,
            level_name=names["level"].get(duty.level, duty.level),
            object_type=duty.object_type, object_id=duty.object_id, object_label=obj.label, township=obj.township,
            village=obj.village, since=duty.since, amount=obj.amount, project_id=obj.project_id, section=obj.section,
            status=status, notice_id=notice["id"] if notice is not None else None, days=days,
            detail=_detail(book, names, status, notice, days, duty, stale)))
    order = {s: i for i, s in enumerate(STATUSES)}
    out.sort(key=lambda o: (order[o.status], o.since, o.kind, o.level, o.object_type, o.object_id))
    return out


def summary(book: Book, *, as_of: dt.date, start: dt.date | None = None) -> list[dict[str, Any]]:
    """Counts per level × kind for report 表6: required, published (已公示), real-name payments and how many
    are noticed, feedback received and handled (feedback counted from `start`, default the year's 1 January)."""
    first = start or dt.date(as_of.year, 1, 1)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for lv in book.rules.notices.levels:
        for kd in book.rules.notices.kinds:
            rows[(lv.code, kd.code)] = {"level": lv.name, "kind": kd.name, "required": 0, "published": 0,
                                        "realname_payments": 0, "realname_published": 0, "complaints": 0, "handled": 0}
    for o in obligations(book, as_of=as_of):
        row = rows.get((o.level, o.kind))
        if row is None:
            continue
        row["required"] += 1
        row["published"] += o.status == SHOWN
        if o.kind == "real_name":
            row["realname_payments"] += 1
            row["realname_published"] += o.status == SHOWN
    for r in book.conn.execute(
            "SELECT n.level, n.kind, count(*) AS n, sum(EXISTS (SELECT 1 FROM notice_feedback_handling h "
            "WHERE h.feedback_id = f.id AND h.resolved = 1 AND h.handled_date <= ?)) AS handled "
            "FROM notice_feedback f JOIN notices n ON n.id = f.notice_id WHERE f.received_date BETWEEN ? AND ? "
            "GROUP BY n.level, n.kind", (as_of.isoformat(), first.isoformat(), as_of.isoformat())):
        row = rows.get((r["level"], r["kind"]))
        if row is not None:
            row["complaints"] += int(r["n"])
            row["handled"] += int(r["handled"] or 0)
    return list(rows.values())
