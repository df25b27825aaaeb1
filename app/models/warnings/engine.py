"""监控预警 W1–W9 (DOMAIN §5.1): one engine that detects from the data and stores the handling.

`detect(book, as_of)` is pure — it reads the data and the rule set and returns findings; the
per-family detectors live in `ledger_detectors` (W1 W5 W6 W8 W9) and `project_detectors` (W2 W3 W4 W7),
listed in `registry`; what they share (Finding, Context, the status names) is in `base`.
`recompute(book, as_of=…)` stores them: a new key is a new warning (status 新发现), a known one
keeps its handling, one that stops firing is closed with the date, one that fires again reopens.
Every change of status is also a dated `warning_events` row, so the state on any past day — what
表7 of a signed month counted — can be re-created after the month is closed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.models.ledger import common as lc
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from app.models.warnings import claims_incremental, problems, registry
from app.models.warnings.base import (  # noqa: F401 - re-exported: callers read these through the engine
    Context,
    Finding,
    cleared_status,
    decorate,
    get,
    initial_status,
    is_closed_status,
    status_name,
    statuses,
    warning_name,
)


def detect(book: Book, as_of: dt.date | None = None, *, codes: Iterable[str] | None = None) -> list[Finding]:
    """Every warning the data shows on `as_of` (default today), W1 … W9, in a stable order."""
    ctx = Context(book, as_of or book.today())
    defined = book.rules_on(ctx.as_of).warnings  # the warnings of the year the run looks at
    wanted = set(codes) if codes is not None else {w.code for w in defined}
    found: dict[str, Finding] = {}
    for w in defined:
        detector = registry.BY_NAME.get(w.detector)
        if w.code in wanted and detector is not None:
            ctx.params = dict(w.params)  # the definition's own parameters (a detector reused with other numbers)
            for f in detector(ctx):
                if f.code != w.code:  # a detector reused under another code: the finding carries the set's code
                    f = dataclasses.replace(f, code=w.code, key=w.code + f.key[len(f.code):])
                found.setdefault(f.key, f)
    order = {w.code: i for i, w in enumerate(defined)}  # the rule set's order (W1 … W9, then any code it adds)
    return sorted(found.values(), key=lambda f: (order.get(f.code, len(order)), f.code, f.key))


# -- incremental detection (issue #22) ---------------------------------------------------------------

_SQLITE_READ = 20  # sqlite3.SQLITE_READ: the authorizer is told the table of every column a statement reads
# Read once per file and kept on the Book (the rule set named in `bureau`): counted as read by every detector.
ALWAYS_READ = ("bureau",)


@dataclass(frozen=True)
class Detection:
    """Findings of an incremental run: `fresh` the findings it made, `kept` the stored warnings it keeps as they are
    without reading them (`claims_incremental.Kept`: of W11–W15 every group but the changed ones; of a detector run
    only for what the clock moved — W1 W2 W4 W7 W8 W16, `registry.CLOCK` — every object but those read again; of a
    code nothing written since on the same day, all of them), `reads` what each
    detector read (stored with the run), `ran` the codes detected afresh (the others' stored findings were kept),
    `base` the id of the stored run it started from. Pass it whole to `recompute(detection=…)`: the kept warnings
    are then neither read back nor rewritten. `findings` is everything, the kept ones read from the store when
    first asked for (what `detect` finds; for a caller that filters the list)."""

    fresh: list[Finding]
    reads: dict[str, list[str]]
    ran: list[str]
    kept: tuple[claims_incremental.Kept, ...] = ()
    base: int | None = None
    book: Book | None = dataclasses.field(default=None, repr=False, compare=False)

    @functools.cached_property
    def findings(self) -> list[Finding]:
        found: dict[str, Finding] = {}
        if self.kept:
            assert self.book is not None
            for k in self.kept:
                for f in k.findings(self.book):
                    found.setdefault(f.key, f)
        for f in self.fresh:
            found.setdefault(f.key, f)
        return _ordered(found.values())


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (int(f.code[1:]), f.key))


def _has_reads(conn: sqlite3.Connection) -> bool:
    return any(r[1] == "reads" for r in conn.execute("PRAGMA table_info(warning_runs)"))


def _stored_groups(book: Book, code: str) -> set[str]:
    """The objects (`object_id`, the group of a clock detector's keys) of the warnings of `code` firing as stored."""
    return {str(r[0]) for r in book.conn.execute(
        "SELECT object_id FROM warnings WHERE code = ? AND cleared_on IS NULL", (code,))}


def _whole_key(key: str) -> str:
    return key


def _code_prefix(code: str, group: str) -> str:
    return f"{code}:{group}"


AUDIT_SEQ = "@audit_seq"  # key of `reads`: the audit head when the detection began
CLOCK = "@clock:"  # key of `reads` + a code: the objects whose findings of that code may change with the day alone


class _Shared(dict[str, Any]):
    """The detectors' cache shared by one incremental run (as `detect` shares one Context): W5 and W6 read the
    ledger's figures once, W2/W3/W7 the projects once. Each entry keeps the tables read while it was made, and a
    detector served from it is counted as having read them (else a later write to them would not re-run it)."""

    def __init__(self) -> None:
        super().__init__()
        self.made_with: dict[str, set[str]] = {}
        self.used: set[str] = set()

    def __contains__(self, key: object) -> bool:
        self.used.add(str(key))
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        self.used.add(key)
        return super().__getitem__(key)


def _log_range(book: Book, previous: dict[str, Any], before: dict[str, Any]) -> tuple[int, tuple[int, int] | None] | None:
    """Where the changes since the stored run begin in the audit log: the head when its detection began (a write
    made while it ran in the background is after it), less the run's own storing transaction (`skip`, first and
    last seq); for a run stored without that head, after its warning_runs record. None: cannot be told."""
    run_seq = claims_incremental.anchor(book, previous)
    try:
        start, store = int(before[AUDIT_SEQ][0]), int(before[AUDIT_SEQ][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None if run_seq is None else (run_seq, None)
    return start, ((store + 1, run_seq) if run_seq is not None and run_seq > store else None)


def _claims_delta(book: Book, previous: dict[str, Any] | None, where: tuple[int, tuple[int, int] | None] | None,
                  day: dt.date) -> claims_incremental.Delta | None:
    """The rows changed since the last stored run, for the claims detectors; None when a whole run is needed."""
    if previous is None or where is None:
        return None
    previous_day = dt.date.fromisoformat(previous["as_of"])
    if day < previous_day or not claims_incremental.same_rules(book, previous_day, day):
        return None
    return claims_incremental.delta(book, where[0], previous_day, day, where[1])


def _recorder(seen: set[str]) -> Any:
    def note(action: int, arg1: str | None, _arg2: str | None, _db: str | None, _src: str | None) -> int:
        if action == _SQLITE_READ and arg1:
            seen.add(arg1)
        return 0  # SQLITE_OK: the authorizer only watches

    return note


def detect_incremental(book: Book, as_of: dt.date | None = None, *, codes: Iterable[str] | None = None) -> Detection:
    """The same findings as `detect(book, as_of)`, re-running only what may have changed.

    A detector is re-run when the day differs from the last run's (deadlines pass, the pace moves: every
    detector depends on the date), when any table it read on the last run was written since (the audit log
    says which), or when nothing is known of it (a first run, a detector added since). Otherwise its findings
    are the warnings of its code stored as firing by that run. Each detector runs with a context of its own,
    with an SQLite authorizer recording the tables it reads; shared caches would hide reads. `codes`: only these
    warnings (a benchmark's; storing such a detection closes every other code's warnings)."""
    day = as_of or book.today()
    previous = last_run(book)
    same_day = previous is not None and previous["as_of"] == day.isoformat()
    try:
        before = json.loads(previous.get("reads") or "{}") if previous else {}
    except (json.JSONDecodeError, TypeError):
        before = {}
    found: dict[str, Finding] = {}
    kept: list[claims_incremental.Kept] = []
    reads: dict[str, list[str]] = {}
    ran: list[str] = []
    # the audit head as this detection starts: the next run's changes begin here (a write made while this
    # detection runs in the background comes after it, so the next run sees it; recompute adds its own start)
    head = book.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    reads[AUDIT_SEQ] = [str(int(head or 0))]
    where = _log_range(book, previous, before) if previous else None
    claims_delta = _claims_delta(book, previous, where, day)
    written: set[str] | None = None  # the tables written since the stored run (None: unknown)
    if where is not None and previous is not None and day >= dt.date.fromisoformat(previous["as_of"]):
        written = set(claims_delta.tables) if claims_delta else claims_incremental.AuditRange(book, *where).tables()
    # only the clock moved for a detector that read none of `written`: the rule set the same (one year's)
    moved_from = None
    if written is not None and not same_day and previous is not None:
        previous_day = dt.date.fromisoformat(previous["as_of"])
        if previous_day.year == day.year or book.rules_on(previous_day) is book.rules_on(day):
            moved_from = previous_day
    shared = _Shared()
    wanted = set(codes) if codes is not None else None
    for w in book.rules_on(day).warnings:
        detector = registry.BY_NAME.get(w.detector)  # by the rule set's detector name, as `detect` (a code a set adds)
        if detector is None or (wanted is not None and w.code not in wanted):
            continue
        known = before.get(w.code)
        untouched = written is not None and isinstance(known, list) and not (set(known) & written)
        if untouched and same_day:
            reads[w.code] = sorted(known)  # type: ignore[arg-type]
            if isinstance(before.get(CLOCK + w.code), list):
                reads[CLOCK + w.code] = before[CLOCK + w.code]
            # every stored warning of the code kept as it is: neither read nor compared when saved
            kept.append(claims_incremental.Kept(w.code, frozenset(), _whole_key, _code_prefix))
            continue
        seen: set[str] = set()
        clock_run = registry.CLOCK.get(w.detector)
        dependent = before.get(CLOCK + w.code)
        if untouched and moved_from is not None and clock_run is not None and isinstance(dependent, list):
            # a new day, nothing it reads written: the objects the day can change re-read, the others' findings kept
            ctx = Context(book, day, dict(w.params))
            group_of_key, prefix = registry.CLOCK_KEYS[w.detector]
            # before the authorizer: not a read of the detector's
            stored = _stored_groups(book, w.code) if w.detector in registry.CLOCK_USES_STORED else set()
            book.conn.set_authorizer(_recorder(seen))
            try:
                again, fresh = clock_run(ctx, set(dependent), moved_from, stored)
                fresh = list(fresh)
            finally:
                book.conn.set_authorizer(None)
            for f in fresh:
                if f.code != w.code:
                    f = dataclasses.replace(f, code=w.code, key=w.code + f.key[len(f.code):])
                found.setdefault(f.key, f)
            # the stored warnings of every other object are kept as they are: saving neither reads nor compares them
            kept.append(claims_incremental.Kept(
                w.code, frozenset(again) | {group_of_key(f.key) for f in fresh}, group_of_key, prefix))
            reads[w.code] = sorted(seen | set(known) | set(ALWAYS_READ))  # type: ignore[arg-type]
            reads[CLOCK + w.code] = sorted(ctx.clock)
            ran.append(w.code)
            continue
        # W11–W15: over the rows changed since the last run, keeping its findings for the rest (claims_incremental;
        # run before the authorizer: reading the stored warnings is not a read of the detector's)
        result: Iterable[Finding] | None = None
        if claims_delta and isinstance(known, list):
            partial = claims_incremental.run(Context(book, day, dict(w.params)), w.code, w.detector, claims_delta, known)
            if partial is not None:
                result, keep = partial
                kept.append(keep)
                seen |= set(known)  # the groups not re-read still rest on what the last run read
        ctx = Context(book, day, dict(w.params), shared)
        had = set(shared)
        shared.used = set()
        book.conn.set_authorizer(_recorder(seen))
        try:
            for f in result if result is not None else detector(ctx):
                if f.code != w.code:  # a detector reused under another code: the finding carries the set's code
                    f = dataclasses.replace(f, code=w.code, key=w.code + f.key[len(f.code):])
                found.setdefault(f.key, f)
        finally:
            book.conn.set_authorizer(None)
        for key in set(shared) - had:  # made by this detector: with what it read
            shared.made_with[key] = set(seen)
        for key in shared.used & had:  # served from another's: what that one read
            seen |= shared.made_with.get(key, set())
        reads[w.code] = sorted(seen | set(ALWAYS_READ))
        if clock_run is not None and result is None:
            reads[CLOCK + w.code] = sorted(ctx.clock)
        ran.append(w.code)
    return Detection(_ordered(found.values()), reads, ran, tuple(kept), previous["id"] if previous else None, book)


# -- statuses ------------------------------------------------------------------------------------


# -- storing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    as_of: dt.date
    found: int
    added: int
    changed: int
    cleared: int
    reopened: int

    def text(self) -> str:
        return (f"截至 {self.as_of.isoformat()}：当前预警 {self.found} 条，其中新发现 {self.added} 条、"
                f"重新出现 {self.reopened} 条；已消除 {self.cleared} 条。")


def default_sections(book: Book) -> dict[str, str]:
    return {r[0]: r[1] for r in book.conn.execute("SELECT code, section FROM warning_sections")}


def last_run(book: Book) -> dict[str, Any] | None:
    row = book.conn.execute("SELECT * FROM warning_runs ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else None



def _events(conn: sqlite3.Connection, book: Book, day: dt.date, events: list[tuple[int, str, str, int, str, str]]
            ) -> None:
    """(warning id, event, status, amount, section, note) of one day's recompute, in the order they happened."""
    at = book.stamp()
    conn.executemany(
        "INSERT INTO warning_events (warning_id, day, event, status, amount, section, note, by_user, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(w, day.isoformat(), event, status, amount, section, note, book.user_id, at)
         for w, event, status, amount, section, note in events])


# positions in the rows recompute reads from `warnings`
_W_ID, _W_KEY, _W_STATUS, _W_AMOUNT, _W_DETAIL, _W_LABEL, _W_SINCE, _W_SECTION, _W_CLEARED_ON, _W_PROJECT, _W_CODE = \
    range(11)
_W_COLUMNS = "id, key, status, amount, detail, object_label, since, section, cleared_on, project_id, code"


def _existing(book: Book, findings: list[Finding], kept: tuple[claims_incremental.Kept, ...]
              ) -> tuple[dict[str, tuple[Any, ...]], int]:
    """The stored rows saving compares with, by key, and how many firing warnings are kept untouched.

    Without `kept`, every row. With it, every row of the other codes, and of a kept code only the rows of its dirty
    groups (found by key range on the key's unique index: the group's prefix, or the prefix and ':…') and the rows
    of the keys found: the warnings the run keeps are neither read nor written, so the 100,000s of a large county's
    W11 cost one count."""
    cur = book.conn.cursor()
    cur.row_factory = None  # plain tuples: tens of thousands of rows, read by position (see _W_* above)
    if not kept:
        return {r[_W_KEY]: r for r in cur.execute(f"SELECT {_W_COLUMNS} FROM warnings")}, 0
    codes = sorted({k.code for k in kept})
    marks = ",".join("?" * len(codes))
    # the other codes by the code index (a scan for `code NOT IN` would read every kept row's page)
    others = [c for (c,) in cur.execute("SELECT DISTINCT code FROM warnings") if c not in set(codes)]
    existing = {r[_W_KEY]: r for r in cur.execute(
        f"SELECT {_W_COLUMNS} FROM warnings WHERE code IN ({','.join('?' * len(others))})", others)}
    prefixes = json.dumps(sorted(p for k in kept for p in k.prefixes()))
    w_columns = ", ".join(f"w.{c.strip()}" for c in _W_COLUMNS.split(","))
    by_code = {k.code: k for k in kept}
    for r in cur.execute(
            f"SELECT {w_columns} FROM json_each(?) g JOIN warnings w ON w.key = g.value "
            f"UNION ALL SELECT {w_columns} FROM json_each(?) g JOIN warnings w "
            "ON w.key > g.value || ':' AND w.key < g.value || ';'", (prefixes, prefixes)):
        # a key under a dirty group's prefix may be another group's (an obligation key that extends another's):
        # only the dirty groups' rows are compared, the kept ones stay as they are
        if r[_W_CODE] not in by_code or by_code[r[_W_CODE]].is_dirty(r[_W_KEY]):
            existing[r[_W_KEY]] = r
    mine = set(codes)
    wanted = json.dumps(sorted(f.key for f in findings if f.code in mine and f.key not in existing))
    for r in cur.execute(f"SELECT {_W_COLUMNS} FROM warnings WHERE key IN (SELECT value FROM json_each(?))",
                         (wanted,)):
        existing[r[_W_KEY]] = r
    live = dict(cur.execute(f"SELECT code, count(*) FROM warnings WHERE code IN ({marks}) AND cleared_on IS NULL "
                            "GROUP BY code", codes).fetchall())
    read_again = sum(1 for r in existing.values() if r[_W_CLEARED_ON] is None and r[_W_CODE] in by_code
                     and by_code[r[_W_CODE]].is_dirty(r[_W_KEY]))
    # in the table's order, as the whole read gives them: the warnings closed get their events in the same order
    return dict(sorted(existing.items(), key=lambda kv: kv[1][_W_ID])), \
        sum(int(live.get(c, 0)) for c in codes) - read_again


def recompute(book: Book, *, as_of: dt.date | None = None, findings: list[Finding] | None = None,
              reads: dict[str, list[str]] | None = None, detection: Detection | None = None) -> RecomputeResult:
    """Detect (unless `findings` or a `detection` were made elsewhere, e.g. off the GUI thread) and store, in one
    transaction.

    Without either the detection is incremental (`detect_incremental`); `reads` goes with findings detected that
    way (stored with the run for the next one; without it the next run detects everything). A `detection` brings
    its own reads and the warnings it keeps (`Detection.kept`): those stay as stored, unread — the same table as
    storing its materialised `findings`, which reads every one of them back."""
    day = as_of or book.today()
    previous = last_run(book)
    if previous and day.isoformat() < previous["as_of"]:
        raise ValidationError(f"不能早于上次计算的日期 {previous['as_of']}", field="计算日期")
    periods.require_open(book, day, field="计算日期")
    if findings is not None and detection is not None:
        raise ValueError("recompute: findings or a detection, not both")
    if findings is None and (detection is None or detection.base != (previous["id"] if previous else None)):
        # none given, or the store moved on since the detection began (another run stored meanwhile): the kept
        # warnings would be another run's, so detect again from what is stored now
        detection = detect_incremental(book, day)
    kept: tuple[claims_incremental.Kept, ...] = ()
    if detection is not None:
        findings, reads, kept = detection.fresh, detection.reads, detection.kept
    assert findings is not None
    existing, n_kept = _existing(book, findings, kept)
    found = len(findings) + n_kept
    sections = default_sections(book)
    first, cleared = initial_status(book), cleared_status(book)
    added = changed = n_cleared = reopened = 0
    with book.write("recompute_warnings") as conn:
        if reads and AUDIT_SEQ in reads:  # the audit head as this transaction starts (nothing else writes till it ends)
            store_head = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
            reads = {**reads, AUDIT_SEQ: [reads[AUDIT_SEQ][0], str(int(store_head or 0))]}
        # Written table by table — the new warnings, then the changes to stored ones, then every event in the order
        # it happened — so a run's inserts stand together in the audit log and seal folds them into runs (audit.seal):
        # 100,000s of warnings and events over the years, hashed as ever, without their JSON kept twice. The ids and
        # rows are those the one interleaved pass wrote (inserts of each table in the same order).
        live = set()
        ids: dict[str, int] = {}
        for f in findings:
            live.add(f.key)
            if f.key in existing:
                continue
            section = f.section or sections.get(f.code, "")
            cur = conn.execute(
                "INSERT INTO warnings (key, code, object_type, object_id, object_label, project_id, amount, detail, "
                "since, first_detected, status, section) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f.key, f.code, f.object_type, f.object_id, f.object_label, f.project_id, f.amount, f.detail,
                 min(f.since or day, day).isoformat(), day.isoformat(), first, section))
            ids[f.key] = int(cur.lastrowid or 0)
        events: list[tuple[int, str, str, int, str, str]] = []
        for f in findings:
            old = existing.get(f.key)
            if old is None:
                events.append((ids[f.key], "detected", first, f.amount, f.section or sections.get(f.code, ""),
                               f.detail))
                added += 1
                continue
            if old[_W_CLEARED_ON] is not None:
                status = first if is_closed_status(book, old[_W_STATUS]) else old[_W_STATUS]
                conn.execute("UPDATE warnings SET cleared_on = NULL, status = ? WHERE id = ?", (status, old[_W_ID]))
                events.append((old[_W_ID], "reopened", status, f.amount, old[_W_SECTION], f.detail))
                _mirror(conn, book, old[_W_ID], day, status, f"预警再次出现：{f.detail}")
                reopened += 1
            # `since` (when the problem arose) is fixed when the warning is first stored: a key whose condition
            # changes shape while it stays live (a due date moved by a later payment) is the same unresolved
            # problem, and a date moved later would have it "found" before it "arose" (表7), while a date moved
            # at all would change the 表7 of a month already signed.
            if (old[_W_AMOUNT], old[_W_DETAIL], old[_W_LABEL], old[_W_PROJECT]) != (
                    f.amount, f.detail, f.object_label, f.project_id):
                conn.execute("UPDATE warnings SET amount = ?, detail = ?, object_label = ?, project_id = ? "
                             "WHERE id = ?", (f.amount, f.detail, f.object_label, f.project_id, old[_W_ID]))
                changed += 1
        for key, old in existing.items():
            if key in live or old[_W_CLEARED_ON] is not None:
                continue
            closed = is_closed_status(book, old[_W_STATUS])
            status = old[_W_STATUS] if closed else cleared
            note = "" if closed else f"{day.isoformat()} 重新计算时预警条件已消除"
            conn.execute(
                "UPDATE warnings SET cleared_on = ?, status = ?, note = CASE WHEN note = '' THEN ? ELSE note END, "
                "handled_on = CASE WHEN ? THEN handled_on ELSE ? END WHERE id = ?",
                (day.isoformat(), status, note, int(closed), day.isoformat(), old[_W_ID]))
            events.append((old[_W_ID], "cleared", status, old[_W_AMOUNT], old[_W_SECTION], note))
            if not closed:
                _mirror(conn, book, old[_W_ID], day, status, note)
            n_cleared += 1
        _events(conn, book, day, events)
        if _has_reads(conn):
            conn.execute(
                "INSERT INTO warning_runs (as_of, ran_at, by_user, found, added, changed, cleared, reopened, reads) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (day.isoformat(), book.stamp(), book.user_id, found, added, changed, n_cleared, reopened,
                 json.dumps(reads or {}, sort_keys=True)))
        else:  # a file whose schema lacks step 17 (a later step applied first): every run detects everything
            conn.execute(
                "INSERT INTO warning_runs (as_of, ran_at, by_user, found, added, changed, cleared, reopened) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (day.isoformat(), book.stamp(), book.user_id, found, added, changed, n_cleared, reopened))
    return RecomputeResult(day, found, added, changed, n_cleared, reopened)


def _mirror(conn: sqlite3.Connection, book: Book, warning_id: int, day: dt.date, status: str, note: str) -> None:
    """Keep the 问题台账 entry made from this warning (if any) in step with it."""
    problems.follow_warning(conn, book, warning_id=warning_id, day=day, status=status, note=note)


# -- handling ------------------------------------------------------------------------------------


def handle(book: Book, *, warning_id: int, status: str, note: str = "", section: str | None = None,
           handled_on: dt.date | str | None = None) -> dict[str, Any]:
    """Record the handling: 整改中 with the plan, 已整改 / 已说明 with what was done or why (a note is required)."""
    w = get(book, warning_id)
    codes = {s.code: s for s in statuses(book)}
    if status not in codes:
        raise ValidationError(f"应为 {'、'.join(s.name for s in statuses(book))} 之一", field="处理状态")
    if status == initial_status(book):
        raise ValidationError(f"“{codes[status].name}”只由系统在发现预警时设置", field="处理状态")
    text = lc.text(note, "整改说明", max_len=500)
    if codes[status].closed and len(text) < 4:
        raise ValidationError(f"标记为“{codes[status].name}”须写明整改情况或说明理由（至少 4 个字）", field="整改说明")
    sec = w["section"] if section is None else lc.text(section, "责任股室", max_len=40)
    day = lc.as_date(handled_on, "整改日期") if handled_on else book.today()
    lc.not_future(book, day, "整改日期")
    if day.isoformat() < w["first_detected"]:
        raise ValidationError(f"不能早于预警发现日期 {w['first_detected']}", field="整改日期")
    last = book.conn.execute("SELECT max(day) FROM warning_events WHERE warning_id = ?", (warning_id,)).fetchone()[0]
    if last and day.isoformat() < last:
        raise ValidationError(f"不能早于该预警最近一次记录的日期 {last}", field="整改日期")
    periods.require_open(book, day, field="整改日期")
    with book.write("handle_warning") as conn:
        conn.execute("UPDATE warnings SET status = ?, note = ?, section = ?, handled_on = ?, handled_by = ? WHERE id = ?",
                     (status, text, sec, day.isoformat(), book.user_id, warning_id))
        _events(conn, book, day, [(warning_id, "handled", status, w["amount"], sec, text)])
        _mirror(conn, book, warning_id, day, status, text)
    return get(book, warning_id)


def set_default_section(book: Book, *, code: str, section: str) -> None:
    """Which section answers for a warning type when its object names none (e.g. 月报逾期 → 国库股)."""
    book.rules.warning(code)
    sec = lc.text(section, "责任股室", max_len=40)
    with book.write("set_warning_sections") as conn:
        if sec:
            conn.execute("INSERT INTO warning_sections (code, section) VALUES (?, ?) "
                         "ON CONFLICT (code) DO UPDATE SET section = excluded.section", (code, sec))
        else:
            conn.execute("DELETE FROM warning_sections WHERE code = ?", (code,))


def events(book: Book, warning_id: int) -> list[dict[str, Any]]:
    """The warning's history, oldest first: detected, handled, cleared, reopened."""
    names = {"detected": "发现", "handled": "处理", "cleared": "消除", "reopened": "再次出现"}
    rows = book.conn.execute(
        "SELECT e.*, coalesce(u.name, '系统') AS by_name FROM warning_events e LEFT JOIN users u ON u.id = e.by_user "
        "WHERE e.warning_id = ? ORDER BY e.id", (warning_id,))
    return [dict(r) | {"event_name": names.get(r["event"], r["event"]), "status_name": status_name(book, r["status"])}
            for r in rows]
