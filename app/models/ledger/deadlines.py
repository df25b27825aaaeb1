"""Allocation and issuance deadlines (DOMAIN §3): due dates, time used and lateness of each stage.

The stages, their limits and day types all come from the rule set's [[deadlines]]; the bureau's
level (bureau.level) decides which stage is its own. The recorded dates of an indicator map onto
the rule set's events: the upper document's date is the region stage's end, the prefecture's
document date the prefecture stage's end, the received date the bureau's own stage's start, and
any other event is an `indicator_events` row.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import sqlite3
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from app.models.rules.schema import Deadline, RuleSet
from app.models.store import holidays
from app.models.store.book import Book
from app.models.values import workdays
from app.models.values.errors import ValidationError

# Which indicator column records the end of the stage at which level.
COLUMN_LEVELS = {"upper_doc_date": "region", "prefecture_doc_date": "prefecture"}
COLUMN_LABELS = {"upper_doc_date": "上级文件日期", "prefecture_doc_date": "地州文件日期", "received_date": "收到日期"}

Completion = Callable[[Book, Mapping[str, Any]], "dt.date | None"]
def net_received(conn: sqlite3.Connection, indicator_id: int, as_of: dt.date | None = None) -> int:
    """An indicator's net amount on the special account: income after 调减/收回/缴回 (dated up to `as_of`)."""
    row = conn.execute(
        "SELECT coalesce(sum(CASE WHEN side = 'income' THEN sign * amount END), 0) FROM ledger_entries "
        "WHERE indicator_id = ? AND (? IS NULL OR entry_date <= ?)",
        (indicator_id, *(2 * [as_of.isoformat() if as_of else None]))).fetchone()
    return int(row[0])


def _plan_history(book: Book, indicator_id: int, as_of: dt.date | None) -> dict[int, list[tuple[str, int]]]:
    """project → [(decision date, its approved line on the indicator)], decisions dated up to `as_of`."""
    history: dict[int, list[tuple[str, int]]] = {}
    # the projects funded by it now; as of a day, also those whose approved version funded it then and no
    # longer does (a line moved off it later must not change what was approved on that day)
    projects = {int(r[0]) for r in book.conn.execute(
        "SELECT project_id FROM project_funding WHERE indicator_id = ?", (indicator_id,))}
    if as_of is not None:
        projects |= _funded_by_versions(book).get(indicator_id, frozenset())
    for v in book.conn.execute(
            "SELECT v.project_id, v.snapshot, d.decision_date FROM plan_versions v JOIN plan_decisions d "
            "ON d.id = v.decision_id WHERE v.project_id IN (SELECT value FROM json_each(:projects)) "
            "AND (:day IS NULL OR d.decision_date <= :day) ORDER BY d.decision_date, v.version",
            {"projects": json.dumps(sorted(projects)), "day": as_of.isoformat() if as_of else None}):
        lines = {int(f["indicator_id"]): int(f["amount"]) for f in json.loads(v["snapshot"])["funding"]}
        history.setdefault(int(v["project_id"]), []).append((str(v["decision_date"]), lines.get(indicator_id, 0)))
    return history


_FUNDED: weakref.WeakKeyDictionary[Book, tuple[tuple[int, int], dict[int, frozenset[int]]]] = \
    weakref.WeakKeyDictionary()


def _funded_by_versions(book: Book) -> dict[int, frozenset[int]]:
    """indicator id → every project whose approved versions ever funded it: each version's snapshot read once while
    the file is unchanged (issue #22), not once per indicator — a month's 表2 asks for each of its indicators, and
    the versions are every project's of every year."""
    state = book.data_state()
    cached = _FUNDED.get(book)
    if cached is not None and cached[0] == state:
        return cached[1]
    found: dict[int, set[int]] = {}
    for project_id, indicator in book.conn.execute(
            "SELECT w.project_id, json_extract(f.value, '$.indicator_id') FROM plan_versions w, "
            "json_each(w.snapshot, '$.funding') f"):
        # the value as SQLite compares it with an integer id: a JSON integer, or a real with no fraction
        if isinstance(indicator, float) and indicator.is_integer():
            indicator = int(indicator)
        if isinstance(indicator, int):
            found.setdefault(indicator, set()).add(int(project_id))
    out = {k: frozenset(v) for k, v in found.items()}
    _FUNDED[book] = (state, out)
    return out


def planned_on(book: Book, indicator: Mapping[str, Any], as_of: dt.date | None = None) -> dt.date | None:
    """The first day the approved plan assigned the whole net amount of an indicator (the deadline event
    "county_planned"), read from the approved versions: at each decision date, every approved project
    counts with its line as of that date. None while the approved lines fall short.

    `as_of`: what was known on that day (a month's figures, see docs/月报说明.md 表2): the net amount and the
    decisions dated up to it only — a decision dated later is not done yet on that day."""
    indicator_id = int(indicator["id"])
    net = net_received(book.conn, indicator_id, as_of)
    if net <= 0:
        return None
    history = _plan_history(book, indicator_id, as_of)
    for day in sorted({d for versions in history.values() for d, _ in versions}):
        approved = sum(next((a for d, a in reversed(versions) if d <= day), 0) for versions in history.values())
        if approved >= net:
            return dt.date.fromisoformat(day)
    return None


def approved_as_of(book: Book, indicator_id: int, as_of: dt.date) -> int:
    """What the approved plan assigned to an indicator on `as_of` (每个项目截至当日最后一次审定的额度), in 分."""
    return sum(versions[-1][1] for versions in _plan_history(book, indicator_id, as_of).values())


def _complete(provider: Completion, book: Book, ind: Mapping[str, Any], as_of: dt.date | None) -> dt.date | None:
    """A provider's completion day, as known on `as_of` when given (a provider that cannot say: its day, dropped
    when after `as_of`)."""
    if as_of is None:
        return provider(book, ind)
    try:
        takes = "as_of" in inspect.signature(provider).parameters
    except (TypeError, ValueError):
        takes = False
    done = provider(book, ind, as_of=as_of) if takes else provider(book, ind)  # type: ignore[call-arg]
    return done if done is None or done <= as_of else None



COMPLETION: dict[str, Completion] = {
    "county_planned": planned_on,
}
"""event code → function(book, indicator) giving the day that event happened (None: not yet): the events
no date column of the indicator records, read from other data."""
EXTERNAL_EVENTS = frozenset(COMPLETION)


def bureau_level(book: Book) -> str:
    row = book.conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()
    return str(row[0]) if row else "county"


def rules_of(book: Book, ind: Mapping[str, Any]) -> RuleSet:
    """The rule set of the indicator's fiscal year (its deadlines are that year's); the current year's when the
    indicator is not yet dated (a form being filled)."""
    year = ind.get("year")
    return book.rules_for(int(year)) if year not in (None, "") else book.rules  # type: ignore[arg-type]


def _rank(rules: RuleSet, code: str) -> int:
    codes = [s.code for s in rules.source_levels]
    return codes.index(code) if code in codes else len(codes)


def _level_rank(rules: RuleSet, code: str) -> int:
    codes = [lv.code for lv in rules.levels]
    return codes.index(code) if code in codes else len(codes)


def applicable(book: Book, ind: Mapping[str, Any], *, own_level: str | None = None) -> list[Deadline]:
    """The stages this indicator passed through (its source level at or above the stage's level), top down.
    `own_level`: the bureau's level when the caller has read it already."""
    rules = rules_of(book, ind)
    found = rules.deadlines_for(str(ind["kind"]), str(ind["item"]), poverty_use=bool(ind.get("poverty_use", 1)))
    source = _rank(rules, str(ind["source_level"]))
    own = own_level or bureau_level(book)
    stages = [d for d in found if d.level == own or source <= _rank(rules, d.level)]
    return sorted(stages, key=lambda d: _level_rank(rules, d.level))


def _event_for(rules: RuleSet, stages: list[Deadline], level: str, end: bool) -> str | None:
    for d in stages:
        if d.level == level:
            return d.to_event if end else d.from_event
    fallback = f"{level}_{'issued' if end else 'received'}"
    return fallback if fallback in {e.code for e in rules.events} else None


def column_events(book: Book, ind: Mapping[str, Any], *, own_level: str | None = None,
                  stages: list[Deadline] | None = None) -> dict[str, str]:
    """column name → event code for this indicator and this bureau (`own_level`, `stages`: already read)."""
    own_level = own_level or bureau_level(book)
    stages = applicable(book, ind, own_level=own_level) if stages is None else stages
    rules = rules_of(book, ind)
    out: dict[str, str] = {}
    for column, level in COLUMN_LEVELS.items():
        code = _event_for(rules, stages, level, end=True)
        if code:
            out[column] = code
    received = _event_for(rules, stages, own_level, end=False)
    if received:
        out["received_date"] = received
    return out


def event_dates(book: Book, ind: Mapping[str, Any], extra: Mapping[str, dt.date] | None = None, *,
                columns: Mapping[str, str] | None = None) -> dict[str, dt.date]:
    """Every known event date of an indicator (columns, indicator_events rows, then `extra`); `columns`: its
    `column_events` when already read."""
    out: dict[str, dt.date] = {}
    if ind.get("id") is not None:
        for event, day in book.conn.execute(
                "SELECT event, day FROM indicator_events WHERE indicator_id = ?", (ind["id"],)):
            out[event] = dt.date.fromisoformat(day)
    for column, event in (column_events(book, ind) if columns is None else columns).items():
        value = ind.get(column)
        if value:
            out[event] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    out.update(extra or {})
    return out


def event_label(book: Book, ind: Mapping[str, Any], event: str, *, columns: Mapping[str, str] | None = None) -> str:
    for column, code in (column_events(book, ind) if columns is None else columns).items():
        if code == event:
            return COLUMN_LABELS[column]
    for e in rules_of(book, ind).events:
        if e.code == event:
            return e.name
    return event


def check_order(book: Book, ind: Mapping[str, Any], events: Mapping[str, dt.date]) -> None:
    """Refuse dates out of order: received before issued, issued before received upstream."""
    chain: list[str] = []
    for d in applicable(book, ind):
        chain += [e for e in (d.from_event, d.to_event) if e not in chain]
    known = [(e, events[e]) for e in chain if e in events]
    for i, (earlier, a) in enumerate(known):
        for later, b in known[i + 1:]:
            if b < a:
                raise ValidationError(
                    f"{b.isoformat()} 早于{event_label(book, ind, earlier)} {a.isoformat()}"
                    "（不能先收到后下达、先下达后收到）", field=event_label(book, ind, later))


def _used(d: Deadline, start: dt.date, end: dt.date, cal: workdays.Calendar) -> int:
    if d.day_type == "working":
        return workdays.working_days_between(start, end, cal)
    return (end - start).days


def stages(book: Book, ind: Mapping[str, Any], *, cal: workdays.Calendar | None = None,
           today: dt.date | None = None, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Every stage the recorded dates allow: due date (estimated?), completion, 用时 and lateness.

    `as_of` (a signed month's figures: its period end, with `today` the same day): only facts dated up to it
    count — a stage completed later is not complete on that day (用时 counts to `today`), a stage started later
    is not there yet. Without it every recorded date counts (the register's view today)."""
    cal = cal or holidays.calendar(book)
    today = today or book.today()
    own_level = bureau_level(book)
    found = applicable(book, ind, own_level=own_level)  # read once: labels and dates below reuse them
    columns = column_events(book, ind, own_level=own_level, stages=found)
    known = event_dates(book, ind, columns=columns)
    if as_of is not None:
        known = {event: day for event, day in known.items() if day <= as_of}
    out = []
    for d in found:
        start = known.get(d.from_event)
        if start is None:
            continue
        add = workdays.add_working_days if d.day_type == "working" else workdays.add_calendar_days
        due, estimated = add(start, d.days, cal)
        done = known.get(d.to_event)
        provider = COMPLETION.get(d.to_event)
        if done is None and provider is not None:
            done = _complete(provider, book, ind, as_of)
        own = d.level == own_level
        unit = "个工作日" if d.day_type == "working" else "天"
        late: bool | None
        if done is not None:
            used = _used(d, start, done, cal)
            late = done > due
            status = f"超时 {used - d.days} {unit}" if late else "按时"
        elif own and (provider is not None or d.to_event not in EXTERNAL_EVENTS):
            used = _used(d, start, today, cal)
            late = today > due
            status = f"超时未完成（已用 {used} {unit}）" if late else f"未完成，{due.isoformat()} 到期"
        else:
            used, late = None, None
            status = "待项目计划核对" if own else "未记录完成日期"
        out.append({
            "code": d.code, "stage": d.stage, "who": d.who, "level": d.level, "own": own, "days": d.days,
            "day_type": d.day_type, "limit": f"{d.days} {unit}", "from_event": d.from_event,
            "from_name": event_label(book, ind, d.from_event, columns=columns), "from_date": start,
            "to_event": d.to_event, "to_name": event_label(book, ind, d.to_event, columns=columns), "due": due, "estimated": estimated, "done": done,
            "used": used, "late": late, "status": status + ("（估算）" if estimated else ""), "basis": d.basis,
        })
    return out


def summary(book: Book, ind: Mapping[str, Any], *, cal: workdays.Calendar | None = None,
            today: dt.date | None = None) -> dict[str, Any]:
    """One line for the register: the bureau's own due date, and the stage most worth seeing —
    the first late one, else the own stage once it can be judged, else the latest completed one."""
    found = stages(book, ind, cal=cal, today=today)
    own = next((s for s in found if s["own"]), None)
    late = [s for s in found if s["late"]]
    judged = [s for s in found if s["used"] is not None]
    shown = late[0] if late else (own if own and own["used"] is not None else (judged[-1] if judged else own))
    unit = "个工作日" if shown and shown["day_type"] == "working" else "天"
    return {
        "due": (own["due"].isoformat() + ("（估算）" if own["estimated"] else "")) if own else "",
        "stage_who": shown["who"] if shown else "",
        "used_text": f"{shown['used']} {unit}（限 {shown['limit']}）" if shown and shown["used"] is not None else "",
        "deadline_status": shown["status"] if shown else "缺少日期",
        "late": bool(late),
        "late_text": "；".join(f"{s['who']}{s['status']}" for s in late),
    }
