"""What must be noticed (DOMAIN §4.6, "两个一律"), derived from the data, against what was recorded.

`obligations(book, as_of=…)` is the source of warning W7 (公告公示缺失). It only reads: no write, no
side effect, same answer for the same file and day. One `Obligation` per duty.

Which duties exist is data (issue #17): each rule set's `[[duties]]` names, for an object (indicator, project,
payment) and the moment it arises (`when`: allocated, pooled, approved, finished, stage, paid_real_name), the notice kind
and level, and optionally its own minimum days, the level to use when the object names no village, whether a plan
adjustment calls for a new notice, and which project statuses make fund use publishable. The program knows how to
find each (object, when) (`_FINDERS`); a duty is defined and judged by the rule set of the year it arose. Under
xj-2019 (and any file without `[[duties]]`) that is:

- 资金分配结果 (allocation), level 县: each indicator with money assigned to projects of the plan
  approved by the leading group — arises on the first approving decision's date;
- 项目计划安排 (project_plan), levels 乡 and 村: each approved project, at its township and (if it
  names one) its village — arises on the date of the decision now in force; a notice older than an
  adjustment (调整) no longer counts;
- 资金使用情况 (fund_use), levels 乡 and 村: each project that is 已完工/已验收 and has paid money —
  arises on its last payment date;
- 实名制发放 (real_name), level 村 (乡 when the project names no village): each paid payment with a
  real-name list — arises on the pay date.

xj-2021 adds 项目入库公示 (pool_entry) at the village when a project enters the 项目库, and (from version 2021.3)
when it enters the 储备 stage (`when = "stage"`, `project_statuses = ["reserved"]`): that duty arises on the day the
project entered the stage, read from the audit log (see `_stage_rows`).
The county-level notices of the year's plan (项目库, 年度项目计划, 完成情况) come from `notices.county`.

A notice counts for a duty when it has the same kind, object and level and started on or before
`as_of`. Status (best notice wins): 已公示 — on a permanent place (网站) from its start, or on a board
or site for at least rules.notices.min_board_days days (counted inclusive); 公示中 — still up, not yet
that long; 公示期不足 — taken down (end date set) before that many days; 缺失 — no notice at all.
W7 should fire for 缺失 and 公示期不足.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.models.notices import county
from app.models.notices import objects as objs
from app.models.store import rule_years
from app.models.store.book import Book

SHOWN, POSTING, TOO_SHORT, MISSING = "已公示", "公示中", "公示期不足", "缺失"
STATUSES = (MISSING, TOO_SHORT, POSTING, SHOWN)
OPEN_STATUSES = (MISSING, TOO_SHORT)  # what W7 reports
_RANK = {SHOWN: 3, POSTING: 2, TOO_SHORT: 1}


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
    min_days: int | None = None  # the duty's own minimum days (None: the year's notices.min_board_days)


# Each (object, when) the rule sets' [[duties]] may name (rules.sections.DUTY_OBJECTS): the query that lists the
# objects for which it has happened by a day — (object id, the day, the village named, the project's status).
_FINDERS: dict[tuple[str, str], str] = {
    ("indicator", "allocated"):
        "SELECT f.indicator_id, min(d.decision_date) AS first, '', '' FROM project_funding f "
        "JOIN projects p ON p.id = f.project_id JOIN plan_versions v ON v.project_id = p.id AND v.version = 1 "
        "JOIN plan_decisions d ON d.id = v.decision_id WHERE p.decision_id IS NOT NULL "
        "GROUP BY f.indicator_id HAVING first <= :day ORDER BY f.indicator_id",
    ("project", "pooled"):
        "SELECT p.id, substr(p.created_at, 1, 10) AS since, p.village, p.status FROM projects p "
        "WHERE substr(p.created_at, 1, 10) <= :day ORDER BY p.id",
    ("project", "approved"):
        "SELECT p.id, d.decision_date, p.village, p.status FROM projects p JOIN plan_decisions d ON d.id = p.decision_id "
        "WHERE d.decision_date <= :day ORDER BY p.id",
    ("project", "finished"):
        "SELECT p.id, max(y.pay_date) AS last, p.village, p.status FROM projects p JOIN payments y ON y.project_id = p.id "
        "WHERE y.status = 'paid' AND y.pay_date <= :day GROUP BY p.id ORDER BY p.id",
    ("payment", "paid_real_name"):
        "SELECT y.id, y.pay_date, p.village, p.status FROM payments y JOIN real_name_lists l ON l.payment_id = y.id "
        "JOIN projects p ON p.id = y.project_id WHERE y.status = 'paid' AND y.pay_date <= :day ORDER BY y.id",
}


# 表6 of a month signed under calc 1 (reports/package_data.CALC): a project counts as approved by a day by its
# last decision dated on or before it, with the village that version approved — a 调整 decided later does not take
# the approval away from a signed month. (Without it: the project's current decision, as months signed before.)
_AS_OF_FINDERS: dict[tuple[str, str], str] = {
    ("project", "approved"):
        "SELECT p.id, max(d.decision_date) AS since, json_extract(v.snapshot, '$.project.village'), p.status "
        "FROM projects p JOIN plan_versions v ON v.project_id = p.id JOIN plan_decisions d ON d.id = v.decision_id "
        "WHERE d.decision_date <= :day GROUP BY p.id ORDER BY p.id",
}


# A project's stage changes as the audit log holds them: every audited update of projects whose status differs before
# and after (the log is append-only and hash-chained; updates are never folded into runs), earliest first. An update
# from schema 26 on keeps in `before` only the columns it changed: one without `status` there left it alone (an older
# record's whole `before` has it, equal to `after`'s when unchanged).
_STAGE_MOVES = (
    "SELECT CAST(row_key AS INTEGER) AS id, substr(at, 1, 10) AS day, json_extract(before, '$.status') AS old, "
    "json_extract(after, '$.status') AS new FROM audit_log WHERE tbl = 'projects' AND action = 'U' "
    "AND json_type(before, '$.status') IS NOT NULL "
    "AND json_extract(before, '$.status') IS NOT json_extract(after, '$.status') ORDER BY seq")


def _stage_rows(book: Book, day: str) -> list[tuple[int, str, str, str]]:
    """(project id, day it entered the stage, village, stage) for every stage entered by `day`: the stage a project was
    created in (the status before its first audited change, or its status if it never changed) on its created_at
    day, each later stage on the day of the audited write that first moved it there (推进, 审定, the first payment).
    The day comes from the audit log, not from a column the program keeps: it is the write's own stamp, the same
    clock as created_at, and it cannot be rewritten afterwards without `verify` noticing."""
    cur = book.conn.cursor()
    cur.row_factory = None
    projects = {int(r[0]): (str(r[1])[:10], r[2] or "", r[3])
                for r in cur.execute("SELECT id, created_at, village, status FROM projects")}
    entered: dict[tuple[int, str], str] = {}
    first_status: dict[int, str] = {}
    for pid, moved_on, old, new in cur.execute(_STAGE_MOVES).fetchall():
        if pid not in projects:
            continue
        first_status.setdefault(pid, str(old))
        entered.setdefault((pid, str(new)), str(moved_on))
    for pid, (created, _village, status) in projects.items():
        entered.setdefault((pid, first_status.get(pid, str(status))), created)
    return sorted((pid, since, projects[pid][1], stage) for (pid, stage), since in entered.items() if since <= day)


def _uses_stage_duties(book: Book) -> bool:
    return any(d.when == "stage" for rules in rule_years.all_sets(book) for d in rules.duties)


# A finder restricted to the duties arisen after a day and those of some objects (W7 on a new day, `Window`).
_WINDOWED = ("WITH f(oid, day, village, status) AS ({finder}) SELECT oid, day, village, status FROM f "
             "WHERE day > :since OR oid IN (SELECT value FROM json_each(:ids))")

# The same rows as _WINDOWED around the finder, for the finders over payments, which every year of the file adds
# to: a project's last payment is after `since` exactly when it has a payment paid in (since, day], so only those
# projects (and the window's own) are grouped; a payment's own day is searched by the paid-payments date index
# (schema 21) — not every payment the county ever made read and then filtered.
_WINDOWED_FINDERS: dict[tuple[str, str], str] = {
    ("project", "finished"):
        "SELECT p.id, max(y.pay_date) AS last, p.village, p.status FROM projects p JOIN payments y ON y.project_id = p.id "
        "WHERE y.status = 'paid' AND y.pay_date <= :day AND p.id IN (SELECT project_id FROM payments "
        "WHERE status = 'paid' AND pay_date > :since AND pay_date <= :day UNION SELECT value FROM json_each(:ids)) "
        "GROUP BY p.id ORDER BY p.id",
    ("payment", "paid_real_name"):
        "SELECT y.id, y.pay_date, p.village, p.status FROM payments y JOIN real_name_lists l ON l.payment_id = y.id "
        "JOIN projects p ON p.id = y.project_id WHERE y.status = 'paid' AND y.pay_date <= :day "
        "AND y.id IN (SELECT id FROM payments WHERE status = 'paid' AND pay_date > :since AND pay_date <= :day "
        "UNION SELECT value FROM json_each(:ids)) ORDER BY y.id",
}


class Window(NamedTuple):
    """The duties whose W7 finding a new day may change when nothing was written since `since`: those arisen after
    it, and every duty of `objects` (object type → ids: those with a notice whose status can still move, see
    `changeable_objects`, and whatever else the caller adds)."""

    since: dt.date
    objects: dict[str, set[int]]


def changeable_objects(book: Book, since: dt.date, as_of: dt.date) -> dict[str, set[int]]:
    """Object type → ids of the objects with a notice whose status on `as_of` may differ from its status on
    `since`: begun by `as_of` and fewer than the longest minimum days of any rule set before `since` (a notice
    posted that long is 已公示 or 公示期不足 for good; one not yet begun is nothing yet)."""
    longest = max(max([r.notices.min_board_days, *(d.min_days or 0 for d in r.duties)]) for r in rule_years.all_sets(book))
    first = (since - dt.timedelta(days=longest)).isoformat()
    out: dict[str, set[int]] = defaultdict(set)
    for otype, oid in book.conn.execute("SELECT object_type, object_id FROM notices WHERE start_date > ? "
                                        "AND start_date <= ?", (first, as_of.isoformat())):
        out[str(otype)].add(int(oid))
    return out


def _duties(book: Book, as_of: dt.date, as_of_rule: bool = False, window: Window | None = None) -> list[_Duty]:
    """Every duty arisen by `as_of`, as the rule set of the year each arose defines them ([[duties]], issue #17):
    one query per (object, when) the program knows, each row matched against that year's duty definitions.
    `as_of_rule`: 表6 from calc 1, see _AS_OF_FINDERS. `window`: only the duties arisen after its day and those
    of its objects."""
    cur = book.conn.cursor()
    cur.row_factory = None  # plain tuples
    by_year: dict[int, dict[tuple[str, str], tuple[Any, ...]]] = {}
    out: list[_Duty] = []
    if window is None:
        found: dict[tuple[str, str], Any] = {
            key: cur.execute(_finder(key, as_of_rule), {"day": as_of.isoformat()}).fetchall() for key in _FINDERS}
    else:
        found = {key: cur.execute(_windowed(key, as_of_rule), {
            "day": as_of.isoformat(), "since": window.since.isoformat(),
            "ids": json.dumps(sorted(window.objects.get(key[0], ())))}).fetchall() for key in _FINDERS}
    if _uses_stage_duties(book):  # `status` of these rows is the stage entered, matched against project_statuses
        rows = _stage_rows(book, as_of.isoformat())
        if window is not None:
            after, ids = window.since.isoformat(), window.objects.get("project", set())
            rows = [r for r in rows if r[1] > after or r[0] in ids]
        found[("project", "stage")] = rows
    for (obj, when), rows in found.items():
        out.extend(_matched(book, obj, when, rows, by_year))
    return out


def _windowed(key: tuple[str, str], as_of_rule: bool) -> str:
    """The query of one (object, when) limited to a Window: _WINDOWED_FINDERS', or _WINDOWED around the finder."""
    if not as_of_rule and key in _WINDOWED_FINDERS:
        return _WINDOWED_FINDERS[key]
    return _WINDOWED.format(finder=_finder(key, as_of_rule))


def _finder(key: tuple[str, str], as_of_rule: bool) -> str:
    """The query of one (object, when): _FINDERS', or _AS_OF_FINDERS' for 表6 from calc 1."""
    return _AS_OF_FINDERS.get(key, _FINDERS[key]) if as_of_rule else _FINDERS[key]


def _matched(book: Book, obj: str, when: str, rows: Iterable[tuple[Any, ...]],
             by_year: dict[int, dict[tuple[str, str], tuple[Any, ...]]]) -> Iterator[_Duty]:
    """The duties a finder's rows (object id, the day, the village named, the project's status) give: each row matched
    against the duty definitions of the year of its day (`by_year` keeps them)."""
    for oid, since_text, village, status in rows:
        since = _d(since_text)
        defs = by_year.get(since.year)
        if defs is None:
            defs = by_year.setdefault(since.year, _definitions(book, since.year))
        for duty in defs.get((obj, when), ()):
            level = duty.level_for(village or "")
            if level is None or (duty.project_statuses and status not in duty.project_statuses):
                continue
            yield _Duty(duty.kind, level, obj, int(oid), since, since if duty.renew_on_adjustment else None,
                        duty.min_days)


def _definitions(book: Book, year: int) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The duty definitions of `year`'s rule set by (object, when)."""
    found: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for duty in book.rules_for(year).duties:
        found[(duty.object, duty.when)].append(duty)
    return {k: tuple(v) for k, v in found.items()}


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def notice_status(book: Book, notice: Any, as_of: dt.date) -> tuple[str, int] | None:
    """(status, days) of one notice on `as_of`; None when it has not started yet."""
    return _status_of(book, as_of)(notice)


def _status_of(book: Book, as_of: dt.date, year: int | None = None,
               min_days: int | None = None) -> Callable[[Any], tuple[str, int] | None]:
    """notice_status with the rule set read once: a function of the notice row only. `year`: the fiscal year whose
    rule set governs the duty (the year it arose); default the year of `as_of`. `min_days`: the duty's own minimum
    ([[duties]] min_days), default that rule set's notices.min_board_days."""
    rules = book.rules_for(as_of.year if year is None else year).notices
    permanent_places = {p.code for p in rules.places if p.permanent}
    min_days = rules.min_board_days if min_days is None else min_days

    def status(notice: Any) -> tuple[str, int] | None:
        start = _d(notice["start_date"])
        if start > as_of:
            return None
        elapsed = (as_of - start).days + 1
        if notice["place"] in permanent_places:
            return SHOWN, elapsed
        if notice["end_date"]:
            end = _d(notice["end_date"])
            total = (end - start).days + 1
            if total < min_days:
                return TOO_SHORT, total
            if end >= as_of and elapsed < min_days:
                return POSTING, elapsed
            return SHOWN, total
        return (SHOWN if elapsed >= min_days else POSTING), elapsed

    return status


def _notices(book: Book, objects: Iterable[tuple[str, int]] | None = None) -> dict[tuple[str, str, str, int], list[Any]]:
    """Every notice by (kind, level, object_type, object_id), oldest start first; `objects`: only the notices about
    these (object_type, object_id), found by the object index (a new day's W7 rates a few of the county's duties)."""
    notices: dict[tuple[str, str, str, int], list[Any]] = defaultdict(list)
    columns = "SELECT id, kind, level, object_type, object_id, place, start_date, end_date FROM notices"
    if objects is None:
        rows: Iterable[Any] = book.conn.execute(f"{columns} ORDER BY start_date, id")
    else:
        by_type: dict[str, set[int]] = defaultdict(set)
        for otype, oid in objects:
            by_type[otype].add(int(oid))
        rows = sorted((n for otype, ids in sorted(by_type.items()) for n in book.conn.execute(
            f"{columns} WHERE object_type = ? AND object_id IN (SELECT value FROM json_each(?))",
            (otype, json.dumps(sorted(ids))))), key=lambda n: (n["start_date"], n["id"]))
    for n in rows:
        notices[(n["kind"], n["level"], n["object_type"], n["object_id"])].append(n)
    return notices


def _best(candidates: list[Any], not_before: str | None,
          status: Callable[[Any], tuple[str, int] | None]) -> tuple[str, int | None, Any, Any]:
    """(status, days, best notice or None, stale notice or None) of one duty from the notices about its object."""
    best: tuple[str, int, Any] | None = None
    stale = None
    for n in candidates:
        if not_before and n["start_date"] < not_before:
            stale = n
            continue
        got = status(n)
        if got is not None and (best is None or _RANK[got[0]] >= _RANK[best[0]]):
            best = (got[0], got[1], n)
    if best is None:
        return MISSING, None, None, stale
    return best[0], best[1], best[2], stale


def _names(book: Book, as_of: dt.date) -> dict[str, dict[str, str]]:
    n = book.rules_on(as_of).notices
    return {"kind": {e.code: e.name for e in n.kinds}, "level": {e.code: e.name for e in n.levels},
            "place": {e.code: e.name for e in n.places}}


def _detail(book: Book, names: dict[str, dict[str, str]], status: str, notice: Any, days: int | None, since: dt.date,
            level: str, stale: Any, min_days: int | None = None) -> str:
    rules = book.rules_on(since)  # the duty's own year
    min_days = rules.notices.min_board_days if min_days is None else min_days
    if notice is None:
        if stale is not None:
            return f"{stale['start_date']} 的公示早于 {since.isoformat()} 的领导小组调整决定，调整后尚未重新公示"
        return f"自 {since.isoformat()} 起应公示，尚无{names['level'].get(level, level)}公示记录"
    place = names["place"].get(notice["place"], notice["place"])
    if status == TOO_SHORT:
        return f"{place} {notice['start_date']} 至 {notice['end_date']} 公示 {days} 天，少于 {min_days} 天"
    if status == POSTING:
        return f"{place}自 {notice['start_date']} 起公示，已 {days} 天（须满 {min_days} 天）"
    if any(p.code == notice["place"] and p.permanent for p in rules.notices.places):
        return f"{place}自 {notice['start_date']} 起长期公开"
    return f"{place} {notice['start_date']} 起公示 {days} 天"


def _rate(book: Book, as_of: dt.date, duty: _Duty, notices: dict[tuple[str, str, str, int], list[Any]],
          by_year: dict[tuple[int, int | None], Callable[[Any], tuple[str, int] | None]]
          ) -> tuple[str, int | None, Any, Any]:
    """(status, days, best notice, stale notice) of one duty; a duty is judged by the rule set of the year it arose,
    with its own minimum days when its definition sets one."""
    key = (duty.since.year, duty.min_days)
    status_of = by_year.get(key) or by_year.setdefault(key, _status_of(book, as_of, *key))
    return _best(notices.get((duty.kind, duty.level, duty.object_type, duty.object_id), []),
                 duty.not_before.isoformat() if duty.not_before else None, status_of)


def _name(book: Book, names: dict[str, dict[str, str]], what: str, code: str, since: dt.date) -> str:
    """The Chinese name of a notice kind/level: as `as_of`'s rule set names it, else the duty's own year's."""
    if code in names[what]:
        return names[what][code]
    n = book.rules_on(since).notices
    return {e.code: e.name for e in (n.kinds if what == "kind" else n.levels)}.get(code, code)


def obligations(book: Book, *, as_of: dt.date, as_of_rule: bool = False) -> list[Obligation]:
    """Every duty to publish that has arisen by `as_of`, with its status (pure read; see module doc).

    Sorted: open ones first (缺失, 公示期不足, 公示中, 已公示), then by since, kind, level and object.
    """
    notices = _notices(book)
    duties = _duties(book, as_of, as_of_rule)
    found: dict[str, dict[int, objs.ObjectInfo]] = {
        t: objs.infos(book, t, [d.object_id for d in duties if d.object_type == t]) for t in objs.OBJECT_NAMES}
    names = _names(book, as_of)
    by_year: dict[tuple[int, int | None], Callable[[Any], tuple[str, int] | None]] = {}
    out = []
    for duty in duties:
        obj = found[duty.object_type].get(duty.object_id)
        if obj is None:
            continue
        status, days, notice, stale = _rate(book, as_of, duty, notices, by_year)
        out.append(Obligation(
            key=f"{duty.kind}:{duty.level}:{duty.object_type}:{duty.object_id}", kind=duty.kind,
            kind_name=_name(book, names, "kind", duty.kind, duty.since), level=duty.level,
            level_name=_name(book, names, "level", duty.level, duty.since),
            object_type=duty.object_type, object_id=duty.object_id, object_label=obj.label, township=obj.township,
            village=obj.village, since=duty.since, amount=obj.amount, project_id=obj.project_id, section=obj.section,
            status=status, notice_id=notice["id"] if notice is not None else None, days=days,
            detail=_detail(book, names, status, notice, days, duty.since, duty.level, stale, duty.min_days)))
    for duty, status, days, notice in _county(book, as_of):  # 项目库, 年度项目计划, 完成情况 (issue #18)
        out.append(Obligation(
            key=duty.key, kind=duty.kind, kind_name=county.KINDS[duty.kind], level="county",
            level_name=names["level"].get("county", "county"), object_type="year", object_id=duty.year,
            object_label=duty.label, township="", village="", since=duty.since, amount=duty.amount, project_id=None,
            section="", status=status, notice_id=notice["id"] if notice is not None else None, days=days,
            detail=_detail(book, names, status, notice, days, duty.since, "county", None)))
    order = {s: i for i, s in enumerate(STATUSES)}
    out.sort(key=lambda o: (order[o.status], o.since, o.kind, o.level, o.object_type, o.object_id))
    return out


def _county(book: Book, as_of: dt.date) -> list[tuple[Any, str, int | None, Any]]:
    """The county-level plan notices due by `as_of` (notices.county), each with its status, days and best notice."""
    found = county.notices_by_duty(book)
    status_of = _status_of(book, as_of)
    out = []
    for duty in county.duties(book, as_of):
        status, days, notice, _stale = _best(found.get((duty.kind, duty.year), []), None, status_of)
        out.append((duty, status, days, notice))
    return out


class OpenDuty(NamedTuple):
    """An open duty (缺失 or 公示期不足) with what W7 shows: the same values `obligations` gives that duty."""

    key: str
    kind: str
    kind_name: str
    level: str
    level_name: str
    object_type: str
    object_id: int
    object_label: str
    since: dt.date
    amount: int
    project_id: int | None
    section: str
    status: str
    detail: str


def open_obligations(book: Book, *, as_of: dt.date, skip: Collection[str] = frozenset(),
                     skipped: set[str] | None = None, window: Window | None = None,
                     considered: set[str] | None = None) -> list[OpenDuty]:
    """Only the open duties of `obligations` (缺失, 公示期不足: what W7 reports), in duty order — the fast path.

    Same duties, statuses, keys, labels, amounts and texts as `obligations(...)` filtered by `is_open`
    (tests/models/warnings/test_warnings_fast_paths.py compares the two): the duties come from the same
    rule-set-driven queries, but the objects are read only for the open ones, and nothing is built for a duty that
    has been met.

    `skip`: keys of duties the caller already holds as 缺失 (W7 on a new day with nothing written: a duty with no
    notice stays 缺失 with the same text, whatever the day); such a duty, still without any notice, is left out and
    its key added to `skipped`. A duty with a notice is always rated (its status can move with the day).
    `window`: only its duties (see `Window`; the county's own duties always); `considered` gets the key of every
    duty looked at.
    """
    names = _names(book, as_of)
    duties = _duties(book, as_of, window=window)
    # a window's few duties: only their objects' notices (the rest of the county's are never looked at)
    notices = _notices(book, None if window is None else {(d.object_type, d.object_id) for d in duties})
    by_year: dict[tuple[int, int | None], Callable[[Any], tuple[str, int] | None]] = {}
    open_ones: list[tuple[_Duty, str, str]] = []
    for duty in duties:
        if considered is not None:
            considered.add(f"{duty.kind}:{duty.level}:{duty.object_type}:{duty.object_id}")
        if (duty.kind, duty.level, duty.object_type, duty.object_id) not in notices:  # the common case: no notice
            if skip:
                key = f"{duty.kind}:{duty.level}:{duty.object_type}:{duty.object_id}"
                if key in skip:
                    if skipped is not None:
                        skipped.add(key)
                    continue
            level_name = _name(book, names, "level", duty.level, duty.since)
            open_ones.append((duty, MISSING, f"自 {duty.since.isoformat()} 起应公示，尚无{level_name}公示记录"))
            continue
        status, days, notice, stale = _rate(book, as_of, duty, notices, by_year)
        if status in OPEN_STATUSES:
            open_ones.append((duty, status, _detail(book, names, status, notice, days, duty.since, duty.level, stale,
                                                     duty.min_days)))
    found: dict[str, dict[int, objs.ObjectInfo]] = {
        t: objs.infos(book, t, [d.object_id for d, _s, _t in open_ones if d.object_type == t])
        for t in objs.OBJECT_NAMES}
    out = []
    for duty, status, detail in open_ones:
        obj = found[duty.object_type].get(duty.object_id)
        if obj is None:
            continue
        out.append(OpenDuty(f"{duty.kind}:{duty.level}:{duty.object_type}:{duty.object_id}", duty.kind,
                            _name(book, names, "kind", duty.kind, duty.since), duty.level,
                            _name(book, names, "level", duty.level, duty.since), duty.object_type, duty.object_id,
                            obj.label, duty.since, obj.amount, obj.project_id, obj.section, status, detail))
    levels = names["level"]
    for duty, status, days, notice in _county(book, as_of):
        if considered is not None:
            considered.add(duty.key)
        if status in OPEN_STATUSES:
            out.append(OpenDuty(duty.key, duty.kind, county.KINDS[duty.kind], "county", levels.get("county", "county"),
                                "year", duty.year, duty.label, duty.since, duty.amount, None, "", status,
                                _detail(book, names, status, notice, days, duty.since, "county", None)))
    return out


# 表6 counts duties without a Python object for each (issue #22: the duties grow with every year kept in the file). For
# each (object, when) the finder's rows are split by whether any notice names the object: the objects no notice names
# — most of them, and every one of their duties is 缺失 — are grouped by what decides their duties (the year of the day,
# whose rule set defines them; whether a village is named; the project's status) and counted by SQLite; only the
# objects some notice names come back one by one and are rated as `obligations` rates them. An object whose row no
# longer reads (objects.infos' joins, `objs._FROM`) has no duty in `obligations` and is left out here too.
_COUNTED = """
WITH found(oid, since, village, status) AS MATERIALIZED ({finder}),
  named AS MATERIALIZED (SELECT n.object_id FROM notices n WHERE n.object_type = :object),
  present AS (SELECT * FROM found WHERE EXISTS (SELECT 1 {exists}))
SELECT 1, oid, since, village, status, 1 FROM present WHERE oid IN named
UNION ALL
SELECT 0, 0, min(since), max(coalesce(village, '')), status, count(*) FROM present WHERE oid NOT IN named
GROUP BY substr(since, 1, 4), coalesce(village, '') <> '', status"""


def _counted_sql(key: tuple[str, str], as_of_rule: bool) -> str:
    """The finder of `key`, run once: (1, the row) for each object some notice names, (0, 0, a day, a village, the
    status, how many) for each group of the others (see _COUNTED)."""
    return _COUNTED.format(finder=_finder(key, as_of_rule), exists=objs._FROM[key[0]].format(ids="found.oid"))


def duty_counts(book: Book, *, as_of: dt.date, as_of_rule: bool = False) -> Counter[tuple[str, str, str]]:
    """How many duties `obligations` lists, by (level, kind, status) — what 表6 counts, without reading each object's
    label, place and amount, writing each duty's text, or building an object for a duty no notice can meet (see
    _COUNTED). A duty without any notice is 缺失, as in `obligations`."""
    out: Counter[tuple[str, str, str]] = Counter()
    notices = _notices(book)
    cur = book.conn.cursor()
    cur.row_factory = None  # plain tuples
    by_year: dict[int, dict[tuple[str, str], tuple[Any, ...]]] = {}
    rated: dict[tuple[int, int | None], Callable[[Any], tuple[str, int] | None]] = {}
    for key in _FINDERS:
        each = []
        for noticed, *row, n in cur.execute(_counted_sql(key, as_of_rule), {"day": as_of.isoformat(), "object": key[0]}):
            if noticed:
                each.append(row)
                continue
            for duty in _matched(book, *key, [row], by_year):
                out[(duty.level, duty.kind, MISSING)] += n
        _rate_each(book, as_of, _matched(book, *key, each, by_year), notices, rated, out)
    if _uses_stage_duties(book):  # read from the audit log in Python (_stage_rows): every row rated as above
        rows = _stage_rows(book, as_of.isoformat())
        present = objs.existing(book, "project", [r[0] for r in rows])
        _rate_each(book, as_of, (d for d in _matched(book, "project", "stage", rows, by_year)
                                 if d.object_id in present), notices, rated, out)
    for duty, status, _days, _notice in _county(book, as_of):
        out[("county", duty.kind, status)] += 1
    return out


def _rate_each(book: Book, as_of: dt.date, duties: Iterable[_Duty], notices: dict[tuple[str, str, str, int], list[Any]],
               rated: dict[tuple[int, int | None], Callable[[Any], tuple[str, int] | None]],
               out: Counter[tuple[str, str, str]]) -> None:
    """Count each duty by its status as `obligations` rates it (缺失 when no notice of its kind and level names it)."""
    for duty in duties:
        if (duty.kind, duty.level, duty.object_type, duty.object_id) not in notices:
            out[(duty.level, duty.kind, MISSING)] += 1
        else:
            out[(duty.level, duty.kind, _rate(book, as_of, duty, notices, rated)[0])] += 1


def summary(book: Book, *, as_of: dt.date, start: dt.date | None = None, as_of_rule: bool = False
            ) -> list[dict[str, Any]]:
    """Counts per level × kind for report 表6: required, published (已公示), real-name payments and how many
    are noticed, feedback received and handled (feedback counted from `start`, default the year's 1 January)."""
    first = start or dt.date(as_of.year, 1, 1)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    notice_rules = book.rules_on(as_of).notices
    for lv in notice_rules.levels:
        for kd in notice_rules.kinds:
            rows[(lv.code, kd.code)] = {"level": lv.name, "kind": kd.name, "required": 0, "published": 0,
                                        "realname_payments": 0, "realname_published": 0, "complaints": 0, "handled": 0}
    for (level, kind, status), n in duty_counts(book, as_of=as_of, as_of_rule=as_of_rule).items():
        row = rows.get((level, kind))
        if row is None:
            continue
        row["required"] += n
        row["published"] += n if status == SHOWN else 0
        if kind == "real_name":
            row["realname_payments"] += n
            row["realname_published"] += n if status == SHOWN else 0
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
