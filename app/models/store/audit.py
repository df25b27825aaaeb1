"""The hash-chained audit log: sealing new records, walking the chain, and matching rows to it."""

from __future__ import annotations

import bisect
import hashlib
import json
import sqlite3
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.models.store import db
from app.models.store.db import row_json_sql, tracked

GENESIS = "0" * 64
_FIELDS = "seq, at, actor, op, tbl, row_key, action, before, after"


def _make_encode() -> Callable[[list[object]], str]:
    """json.dumps(…, ensure_ascii=False, separators=(",", ":")) without building an encoder per call:
    the chain walk encodes every one of a large county's ~2 million records (same text, same hashes)."""
    options = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    basestring = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:
        return options.encode
    encode = make(None, options.default, basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encode(value, 0))


_ENCODE = _make_encode()


def record_hash(prev: str, row: sqlite3.Row | tuple) -> str:
    """SHA-256 over the previous hash and every field of the record, unambiguously joined."""
    payload = _ENCODE([prev, *[row[i] for i in range(9)]])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


RUNS_STEP = 20  # schema/0020_audit_runs.sql
MIN_RUN = 16  # fewer inserts than this stay ordinary records (a run costs a row of its own)
# Tables whose audit records other code reads one by one (closing windows, users behind a signature, anchors,
# warning runs): never folded, whatever the size of the transaction.
NEVER_FOLDED = frozenset({"periods", "users", "verify_anchors", "warning_runs", "signoffs", "signing_keys"})
NO_DELETE_SQL = db.NO_DELETE_SQL


def old_value_sql(column: str, before: str = "a.before", after: str = "a.after") -> str:
    """SQL for a column's value just before an audit record (of an update or a delete): `before`'s value when
    `before` has the key — a JSON null included (json_type gives 'null', an absent key SQL NULL) — else `after`'s.
    An update record from schema 26 on holds in `before` only the columns it changed (db.changed_json_sql); an
    older one the whole old row, which this reads the same way. A delete's `before` is always the whole row."""
    path = f"'$.{column}'"
    return (f"CASE WHEN json_type({before}, {path}) IS NULL THEN json_extract({after}, {path}) "
            f"ELSE json_extract({before}, {path}) END")


def old_row(before: str | None, after: str | None) -> dict[str, object]:
    """The row just before an audit record, read in Python the same way (old_value_sql): `after` overlaid with
    `before`; {} for an insert."""
    if before is None:
        return {}
    old = json.loads(before)
    return {**json.loads(after), **old} if after else old


def has_runs(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_runs'").fetchone() is not None


def last_seq(conn: sqlite3.Connection) -> int:
    seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])
    if has_runs(conn):
        seq = max(seq, int(conn.execute("SELECT coalesce(max(last_seq), 0) FROM audit_runs").fetchone()[0]))
    return seq


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest sealed record: what a sign-off or a package quotes."""
    row = conn.execute("SELECT seq, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
    out = (int(row[0]), str(row[1])) if row else (0, GENESIS)
    if has_runs(conn):
        run = conn.execute("SELECT last_seq, substr(hashes, -32) FROM audit_runs ORDER BY last_seq DESC LIMIT 1").fetchone()
        if run is not None and int(run[0]) > out[0]:
            out = (int(run[0]), bytes(run[1]).hex())
    return out


def hash_at(conn: sqlite3.Connection, seq: int) -> str | None:
    """The chain hash of record `seq`, stored in audit_log or inside a run; None when there is no such record."""
    if seq == 0:
        return GENESIS
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    if row is not None:
        return None if row[0] is None else str(row[0])
    if not has_runs(conn):
        return None
    run = conn.execute("SELECT first_seq, hashes FROM audit_runs WHERE first_seq <= ? AND last_seq >= ? "
                       "ORDER BY first_seq DESC LIMIT 1", (seq, seq)).fetchone()
    if run is None:
        return None
    i = 32 * (seq - int(run[0]))
    return bytes(run[1])[i:i + 32].hex()


# -- runs: the compact form of a bulk insert ------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    first: int
    last: int
    at: str
    actor: str | None
    op: str | None
    tbl: str
    keys: list[int]
    columns: list[str]
    hashes: bytes

    @property
    def size(self) -> int:
        return self.last - self.first + 1


def _ranges(keys: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for k in keys:
        if out and out[-1][0] + out[-1][1] == k:
            out[-1][1] += 1
        else:
            out.append([k, 1])
    return out


def _expand(ranges: list[list[int]]) -> list[int]:
    return [start + i for start, count in ranges for i in range(count)]


def _run_from(row: tuple) -> Run:
    return Run(int(row[0]), int(row[1]), str(row[2]), row[3], row[4], str(row[5]), _expand(json.loads(row[6])),
               list(json.loads(row[7])), bytes(row[8]))


_RUN_FIELDS = "first_seq, last_seq, at, actor, op, tbl, keys, columns, hashes"


def runs(conn: sqlite3.Connection, *, since: int = 0, table: str | None = None) -> Iterator[Run]:
    """The runs holding records after `since`, in seq order (optionally of one table)."""
    if not has_runs(conn):
        return
    cur = conn.cursor()
    cur.row_factory = None
    # runs do not overlap: those after `since` begin after it, but for the one (if any) that holds it — by the
    # primary key, not a scan of every run the file holds (`last_seq > ?` alone is a scan, issue #22)
    after = ("+last_seq > ? AND first_seq >= coalesce((SELECT max(first_seq) FROM audit_runs WHERE first_seq <= ?), 0)")
    if table is None:
        rows = cur.execute(f"SELECT {_RUN_FIELDS} FROM audit_runs WHERE {after} ORDER BY first_seq", (since, since))
    else:
        rows = cur.execute(f"SELECT {_RUN_FIELDS} FROM audit_runs WHERE +tbl = ? AND {after} ORDER BY first_seq",
                           (table, since, since))
    for row in rows.fetchall():
        yield _run_from(row)


def run_members(conn: sqlite3.Connection, table: str) -> list[tuple[int, int]]:
    """(first key, last key) ranges of a table's rows whose insert record lives in a run, sorted."""
    spans: list[tuple[int, int]] = []
    if not has_runs(conn):
        return spans
    for (keys,) in conn.execute("SELECT keys FROM audit_runs WHERE tbl = ?", (table,)):
        spans.extend((int(a), int(a) + int(n) - 1) for a, n in json.loads(keys))
    return sorted(spans)


def in_spans(spans: list[tuple[int, int]], key: str) -> bool:
    try:
        k = int(key)
    except ValueError:
        return False
    if str(k) != key:
        return False
    i = bisect.bisect_right(spans, (k, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= k <= spans[i][1]


def _key_column(conn: sqlite3.Connection, table: str) -> str | None:
    row = conn.execute("SELECT key_column FROM tracked_tables WHERE name = ?", (table,)).fetchone()
    return None if row is None else str(row[0])


def inserted(conn: sqlite3.Connection, table: str, columns: list[str], keys: list[int], after_seq: int
             ) -> list[str | None]:
    """Each key's row as it was inserted, as the audit trigger wrote it (json_object over `columns`): the row
    just before its first audit record after `after_seq` if it has one (it was changed or deleted since, by the
    program: that record's `before`, over its `after` for the columns an update left alone — old_value_sql), else
    the row as it stands. None where neither exists (the row is gone, unaudited)."""
    key_col = _key_column(conn, table)
    if key_col is None or not keys:
        return [None] * len(keys)
    live_json = "json_object(" + ", ".join(f"'{c}', x.\"{c}\"" for c in columns) + ")"
    then_json = "json_object(" + ", ".join(f"'{c}', {old_value_sql(c)}" for c in columns) + ")"
    cur = conn.cursor()
    cur.row_factory = None
    found: dict[int, str] = {}
    for start, count in _ranges(keys):
        for k, j in cur.execute(f'SELECT x."{key_col}", {live_json} FROM "{table}" x '
                                f'WHERE x."{key_col}" BETWEEN ? AND ?', (start, start + count - 1)):
            found[int(k)] = j
    text_keys = json.dumps([str(k) for k in keys])
    for k, j in cur.execute(
            f"SELECT a.row_key, {then_json} FROM json_each(?) k JOIN audit_log a ON a.seq = "
            "(SELECT min(seq) FROM audit_log WHERE tbl = ? AND row_key = k.value AND seq > ?)",
            (text_keys, table, after_seq)):
        found[int(k)] = j
    return [found.get(k) for k in keys]


def _candidates(rows: list[tuple]) -> list[list[tuple]]:
    """Stretches of consecutive plain insert records of one transaction into one table, integer keys."""
    out: list[list[tuple]] = []
    cur: list[tuple] = []
    for row in rows:
        key = row[5]
        ok = row[6] == "I" and row[7] is None and row[8] is not None and key.lstrip("-").isdigit() and str(int(key)) == key
        if ok and cur and (row[0] == cur[-1][0] + 1 and row[1:5] == cur[-1][1:5]):
            cur.append(row)
            continue
        if len(cur) >= MIN_RUN:
            out.append(cur)
        cur = [row] if ok else []
    if len(cur) >= MIN_RUN:
        out.append(cur)
    return out


def _fold(conn: sqlite3.Connection, rows: list[tuple], hashes: dict[int, str], keep: int) -> set[int]:
    """Write runs for what can be folded among `rows` (seq, at, actor, op, tbl, row_key, action, before, after);
    `hashes` holds every record's chain hash. Returns the seqs now held by runs (their audit_log rows must go).
    A record is folded only when its row, read back now, gives exactly the `after` it holds. Record `keep` (the
    newest in the log) stays: SQLite numbers the next record after the highest seq left in audit_log."""
    folded: set[int] = set()
    integer_keys: dict[str, bool] = {}
    for stretch in _candidates(rows):
        tbl = stretch[0][4]
        if tbl in NEVER_FOLDED:
            continue
        if tbl not in integer_keys:  # only tables keyed by an INTEGER column: keys read back by range
            key_col = _key_column(conn, tbl)
            integer_keys[tbl] = key_col is not None and any(
                r[1] == key_col and str(r[2]).upper() == "INTEGER" for r in conn.execute(f'PRAGMA table_info("{tbl}")'))
        if not integer_keys[tbl]:
            continue
        columns = list(json.loads(stretch[0][8]))
        keys = [int(r[5]) for r in stretch]
        back = inserted(conn, tbl, columns, keys, stretch[-1][0])
        piece: list[tuple] = []
        for row, again in zip([*stretch, None], [*back, None], strict=True):
            if row is not None and again == row[8] and row[0] != keep:
                piece.append(row)
                continue
            if len(piece) >= MIN_RUN:
                first = piece[0]
                conn.execute(
                    f"INSERT INTO audit_runs ({_RUN_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (first[0], piece[-1][0], first[1], first[2], first[3], tbl,
                     json.dumps(_ranges([int(r[5]) for r in piece]), separators=(",", ":")),
                     json.dumps(columns, separators=(",", ":")),
                     b"".join(bytes.fromhex(hashes[r[0]]) for r in piece)))
                folded.update(r[0] for r in piece)
            piece = []
    return folded


def _delete(conn: sqlite3.Connection, seqs: set[int]) -> None:
    ordered = sorted(seqs)
    spans = _ranges(ordered)
    conn.executemany("DELETE FROM audit_log WHERE seq BETWEEN ? AND ?", [(a, a + n - 1) for a, n in spans])


def seal(conn: sqlite3.Connection, after_seq: int) -> int:
    """Chain every record written by this transaction (seq > after_seq); returns how many. Runs of bulk inserts
    are folded into `audit_runs` (their records deleted while still unsealed)."""
    prev = start = head(conn)[1]
    rows = conn.execute(f"SELECT {_FIELDS} FROM audit_log WHERE seq > ? AND hash IS NULL ORDER BY seq", (after_seq,)).fetchall()
    hashes: dict[int, str] = {}
    plain = [tuple(r) for r in rows]
    for row in plain:
        h = record_hash(prev, row)
        hashes[row[0]] = h
        prev = h
    folded = _fold(conn, plain, hashes, plain[-1][0] if plain else 0) if len(plain) >= MIN_RUN and has_runs(conn) else set()
    if folded:
        _delete(conn, folded)
    # prev_hash stays empty from schema 20 on: the hash already covers the previous hash (record_hash), so the
    # stored copy only repeated the record before it (64 bytes a record); the walk links every record either way
    prev_hash = (lambda _prev: None) if has_runs(conn) else (lambda value: value)
    updates, prev = [], start
    for row in plain:
        if row[0] not in folded:
            updates.append((prev_hash(prev), hashes[row[0]], row[0]))
        prev = hashes[row[0]]
    conn.executemany("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", updates)
    return len(plain)


def compact(conn: sqlite3.Connection, progress: Callable[[int], None] | None = None) -> int:
    """Fold the sealed insert records of an older file into runs (the upgrade to schema 20); returns how many
    records were folded. The hashes are the ones already in the chain: nothing signed changes."""
    # the stored copies of the previous hash go too (see seal); audit_log_no_update is set aside for this one
    # statement inside the upgrade transaction and created again word for word
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_no_update'").fetchone()
    if trigger is not None:
        conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET prev_hash = NULL WHERE prev_hash IS NOT NULL AND hash IS NOT NULL")
    if trigger is not None:
        conn.execute(trigger[0])
    folded_total = 0
    cur = conn.cursor()
    cur.row_factory = None
    start = 0
    newest = int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])
    while True:
        rows = cur.execute(f"SELECT {_FIELDS}, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 200000",
                           (start,)).fetchall()
        if not rows:
            return folded_total
        # keep a transaction's stretch whole: stop the batch before the last record's stretch if more follows
        if len(rows) == 200000:
            last = rows[-1]
            cut = len(rows)
            while cut > 1 and rows[cut - 1][1:5] == last[1:5]:
                cut -= 1
            if cut > 1:
                rows = rows[:cut]
        hashes = {r[0]: r[9] for r in rows}
        folded = _fold(conn, [r[:9] for r in rows], hashes, newest)
        if folded:
            _delete(conn, folded)
        folded_total += len(folded)
        start = rows[-1][0]
        if progress is not None:
            progress(start)


@dataclass(frozen=True)
class Finding:
    """One thing verify found wrong; `where` names the first broken record, row or file."""

    check: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}：{self.detail}"


@dataclass(frozen=True)
class Note(Finding):
    """Something verify could not confirm on this machine that is no fault of the file: e.g. a signed package
    made by another program version cannot be re-created byte for byte here. Reported, but the file passes."""


def changes_of(conn: sqlite3.Connection, tables: tuple[str, ...] | list[str], since: int = 0
               ) -> Iterator[tuple[int, str, str, str]]:
    """(seq, table, row key, 'U' or 'D') of every update and delete record of `tables` after `since`, in order: for
    the tables whose rows the program only ever adds (verify names each such record)."""
    if not tables:
        return
    yield from conn.execute(
        f"SELECT seq, tbl, row_key, action FROM audit_log WHERE seq > ? AND tbl IN ({', '.join('?' * len(tables))}) "
        "AND action IN ('U', 'D') ORDER BY seq", (since, *tables))


def check_chain(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Walk the chain in order; the first unsealed, re-linked or altered record is named."""
    yield from walk(conn)


_QUOTE = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def run_record_payload(prev: str, seq: int, middle: str, key: int, after: str) -> str:
    """The text record_hash hashes for record `seq` of a run (the insert of row `key`, its `after` JSON), built
    without a list per record: `middle` is run_middle(run). Equal to _ENCODE([prev, seq, at, actor, op, tbl,
    str(key), "I", None, after]) for every run (tests/models/store/test_audit_runs.py)."""
    return f'["{prev}",{seq}{middle}{key}","I",null,{_QUOTE(after)}]'


def run_middle(run: Run) -> str:
    """The part of each record's payload that is the same for every record of a run: its time, actor, op, table."""
    return "," + _ENCODE([run.at, run.actor, run.op, run.tbl])[1:-1] + ',"'


def _int_key(value: object) -> int | None:
    """A key as the integer it spells exactly ("12" → 12; "012", "1.0", "²" → None), as str(k) matches row_key."""
    try:
        k = int(str(value))
    except ValueError:
        return None
    return k if str(k) == str(value) else None


class _Changed:
    """Per table, the integer keys that have any record of their own in audit_log, sorted (8 bytes a key): only those
    rows of a run can have been changed or deleted (by the program) since their import, so only they need their first
    later record looked up (one index seek each); every other row of the run is read as it stands. Filled once per
    table per walk; a chunk of a run finds its keys with two bisections."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.keys: dict[str, array] = {}

    def of(self, table: str) -> array:
        if table not in self.keys:
            found = array("q")
            for (k,) in self.conn.execute("SELECT DISTINCT row_key FROM audit_log WHERE tbl = ? "
                                          "ORDER BY CAST(row_key AS INTEGER)", (table,)):
                key = _int_key(k)  # only keys spelt as integers: the order of those is numeric
                if key is not None and -(1 << 63) <= key < (1 << 63):
                    found.append(key)
            self.keys[table] = found
        return self.keys[table]

    @staticmethod
    def within(keys: array, first: int, last: int) -> list[str]:
        return [str(k) for k in keys[bisect.bisect_left(keys, first):bisect.bisect_right(keys, last)]]


CHUNK = 4096  # rows read back at a time while a run is hashed again: memory stays flat for a 100,000-row import


def _chunks(ranges: list[list[int]]) -> Iterator[tuple[int, int]]:
    for start, count in ranges:
        for offset in range(0, count, CHUNK):
            yield start + offset, min(CHUNK, count - offset)


def _run_afters(conn: sqlite3.Connection, run: Run, changed: array) -> Iterator[str | None]:
    """Each record's `after` of a run, in the run's order, as inserted() gives them, streamed range by range: a
    complete range of keys is one ordered read of the table; rows with later records of their own take the row just
    before the first one (what they were when imported: old_value_sql); a missing row is None."""
    key_col = _key_column(conn, run.tbl)
    if key_col is None:
        yield from [None] * len(run.keys)
        return
    live_json = "json_object(" + ", ".join(f"'{c}', x.\"{c}\"" for c in run.columns) + ")"
    then_json = "json_object(" + ", ".join(f"'{c}', {old_value_sql(c)}" for c in run.columns) + ")"
    cur = conn.cursor()
    cur.row_factory = None
    read = f'SELECT x."{key_col}", {live_json} FROM "{run.tbl}" x WHERE x."{key_col}" BETWEEN ? AND ? ORDER BY x."{key_col}"'
    for start, count in _chunks(_ranges(run.keys)):
        rows = cur.execute(read, (start, start + count - 1)).fetchall()
        if len(rows) == count and [k for k, _j in rows] == list(range(start, start + count)):
            afters: list[str | None] = [j for _k, j in rows]
        else:  # rows missing (deleted since, by the program or not) or odd keys: key by key, as inserted() does
            by_key = {_int_key(k): j for k, j in rows}
            afters = [by_key.get(start + i) for i in range(count)]
        later = _Changed.within(changed, start, start + count - 1)
        if later:
            for k, j in cur.execute(
                    f"SELECT a.row_key, {then_json} FROM json_each(?) k JOIN audit_log a ON a.seq = "
                    "(SELECT min(seq) FROM audit_log WHERE tbl = ? AND row_key = k.value AND seq > ?)",
                    (json.dumps(later), run.tbl, run.last)):
                afters[int(k) - start] = j
        yield from afters


def _check_run(conn: sqlite3.Connection, run: Run, prev: str, changed: _Changed | None = None
               ) -> tuple[Finding | None, str]:
    """Hash every record of a run again, its `after` read back from the rows; (first problem, last hash)."""
    sha256 = hashlib.sha256
    if len(run.keys) != run.size:
        return Finding("审计链", f"审计记录 #{run.first}–#{run.last}（{run.tbl}，批量导入）",
                       "记录数与主键数不符，该批量导入记录被改动过"), prev
    middle, stored = run_middle(run), run.hashes.hex()
    afters = _run_afters(conn, run, (changed or _Changed(conn)).of(run.tbl))
    for i, (key, after) in enumerate(zip(run.keys, afters, strict=True)):
        if after is None:
            where = f"审计记录 #{run.first + i}（{run.tbl} / {key}，批量导入 #{run.first}–#{run.last} 中的一行）"
            return Finding("审计链", where, "导入的这一行已不在表中，也没有删除它的审计记录：它是在本程序之外被删除的"), prev
        h = sha256(run_record_payload(prev, run.first + i, middle, key, after).encode("utf-8")).hexdigest()
        if h != stored[64 * i:64 * i + 64]:
            where = f"审计记录 #{run.first + i}（{run.tbl} / {key}，批量导入 #{run.first}–#{run.last} 中的一行）"
            return Finding("审计链", where, "导入时的内容与其哈希不符：这一行在本程序之外被修改或替换过，"
                                            "或该批量导入记录被改动过"), prev
        prev = h
    return None, prev


def walk(conn: sqlite3.Connection, start_seq: int = 0, start_hash: str = GENESIS) -> Iterator[Finding]:
    """The chain from the record after `start_seq` (whose hash is `start_hash`) to the end: every record present
    in order, sealed, linked to the one before and hashing to its hash; runs hashed again from the rows.
    The full verify walks from the start, the incremental one from its anchor (one walk for both)."""
    problem, leftover = walk_part(conn, Part(start_seq, start_hash, None, first=True))
    if problem is not None:
        yield problem
    elif leftover is not None:
        yield overlap_finding(leftover)


@dataclass(frozen=True)
class Part:
    """A stretch of the chain checked on its own (verify splits the chain among worker processes): the records
    after `start_seq` up to and including `end_seq` (None: to the end), linked to `start_hash`, the STORED hash of
    record `start_seq` — each record is checked against its predecessor's stored hash, exactly as the whole walk
    does once that predecessor has passed, so the parts together decide what the whole walk decides.
    `end_seq` is a sealed record of audit_log (never inside a run); a run belongs to the part its first record
    falls in. `first`: the part the whole walk would start with (it judges a start inside a run)."""

    start_seq: int
    start_hash: str
    end_seq: int | None
    first: bool = False


def overlap_finding(leftover: tuple[int, int]) -> Finding:
    return Finding("审计链", f"审计记录 #{leftover[0]}–#{leftover[1]}（批量导入）",
                   "与审计日志中的记录重叠或不衔接，审计日志被改动过")


def walk_part(conn: sqlite3.Connection, part: Part) -> tuple[Finding | None, tuple[int, int] | None]:
    """(the part's first problem, the lowest run of the part the walk never reached). The whole walk reports the
    first problem of the first part that has one; only when no part has one, the lowest unreached run of all
    (as the whole walk does at its end)."""
    start_seq, prev, expected = part.start_seq, part.start_hash, part.start_seq + 1
    pending: dict[int, int] = {}  # first seq → last seq; each run is read when the walk reaches it
    if has_runs(conn):
        # the runs the whole walk could still reach here: the first part takes any run ending after its start
        # (one beginning at or before it is judged below), the others those beginning after their start. A run
        # of a later part is reached here only past this part's last record: a problem found here either way.
        pending = {int(a): int(b) for a, b in conn.execute(
            "SELECT first_seq, last_seq FROM audit_runs WHERE " + ("last_seq > ?" if part.first else "first_seq > ?"),
            (start_seq,))}
    if part.first and any(first <= start_seq for first in pending):
        return Finding("审计链", f"审计记录 #{start_seq}", "位于批量导入记录之中：不能从这里核验（锚点被改动过）"), None
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: 1.7 million records are walked in well under the time of Row objects
    encode, sha256 = _ENCODE, hashlib.sha256
    changed = _Changed(conn)

    def through_runs(upto: int | None) -> Finding | None:
        nonlocal prev, expected
        while expected != upto and expected in pending:
            pending.pop(expected)
            run = _run_from(conn.execute(f"SELECT {_RUN_FIELDS} FROM audit_runs WHERE first_seq = ?",
                                         (expected,)).fetchone())
            problem, prev = _check_run(conn, run, prev, changed)
            if problem is not None:
                return problem
            expected = run.last + 1
        return None

    if part.end_seq is None:
        rows = cur.execute(f"SELECT {_FIELDS}, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq", (start_seq,))
    else:
        rows = cur.execute(f"SELECT {_FIELDS}, prev_hash, hash FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq",
                           (start_seq, part.end_seq))
    for row in rows:
        seq = row[0]
        if seq != expected:
            found = through_runs(seq)
            if found is not None:
                return found, None
            if seq != expected:
                return Finding("审计链", f"审计记录 #{expected}", f"记录缺失（下一条为 #{seq}），审计日志被删除过"), None
        expected = seq + 1
        problem = ""
        if row[10] is None:
            problem = "未经本程序封存：该变更不是由本程序写入的（可能用其他工具修改了数据库）"
        elif row[9] is not None and row[9] != prev:  # (kept by files before schema 20; the hash covers it anyway)
            problem = "与上一条记录的哈希不衔接，审计日志被删除或改动过"
        elif sha256(encode([prev, *row[:9]]).encode("utf-8")).hexdigest() != row[10]:  # = record_hash
            problem = "内容与其哈希不符，该审计记录被改动过"
        if problem:
            return Finding("审计链", f"审计记录 #{seq}（{row[4]} / {row[5]}）", problem), None
        prev = row[10]
    if part.end_seq is None:
        found = through_runs(None)
        if found is not None:
            return found, None
    else:  # the runs of the parts after this one are theirs
        pending = {a: b for a, b in pending.items() if a <= part.end_seq}
    if pending:
        first = min(pending)
        return None, (first, pending[first])
    return None, None


def split(conn: sqlite3.Connection, parts: int) -> list[Part]:
    """The whole chain as up to `parts` parts of about equal length (by seq), each ending at a sealed record of
    audit_log; one part (the whole walk) when the chain is too short to split."""
    total = last_seq(conn)
    ends: list[int] = []
    for k in range(1, max(parts, 1)):
        row = conn.execute("SELECT seq FROM audit_log WHERE seq >= ? AND hash IS NOT NULL ORDER BY seq LIMIT 1",
                           (max(total * k // parts, 1),)).fetchone()
        if row is not None and row[0] < total and (not ends or row[0] > ends[-1]):
            ends.append(int(row[0]))
    return parts_at(conn, ends)


def parts_at(conn: sqlite3.Connection, ends: list[int]) -> list[Part]:
    """The parts ending at the sealed audit_log records `ends` (ascending), the last one running to the end."""
    out: list[Part] = []
    start = (0, GENESIS)
    for end in ends:
        row = conn.execute("SELECT hash FROM audit_log WHERE seq = ? AND hash IS NOT NULL", (end,)).fetchone()
        if row is None or end <= start[0]:
            raise ValueError(f"审计记录 #{end} 不能作为分段的终点")
        out.append(Part(start[0], start[1], end, first=not out))
        start = (end, str(row[0]))
    out.append(Part(start[0], start[1], None, first=not out))
    return out


def combine(results: list[tuple[Finding | None, tuple[int, int] | None]]) -> list[Finding]:
    """What the whole walk reports, from its parts' results in order (see walk_part)."""
    for problem, _leftover in results:
        if problem is not None:
            return [problem]
    leftovers = [left for _problem, left in results if left is not None]
    return [overlap_finding(min(leftovers))] if leftovers else []


class RepeatedKey(ValueError):
    """An audit record's JSON names a column twice: the program's json_object never does."""


def _no_repeats(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in pairs:
        if k in out:
            raise RepeatedKey(k)
        out[k] = v
    return out


def strict_json(text: str) -> dict[str, object]:
    """An audit record's `before` or `after` as the program's triggers write it, refusing a column named twice:
    SQLite's json_extract reads a repeated key's first value and json.loads its last, so a forged record with a
    key twice could show one date to the closed-month check and another to the row check (RepeatedKey)."""
    value = json.loads(text, object_pairs_hook=_no_repeats)
    if not isinstance(value, dict):
        raise RepeatedKey("")  # not an object at all: no trigger writes that either
    return value


_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def checked_json(text: str) -> dict[str, object]:
    """strict_json at json.loads' speed for the text the triggers write: json_object's text is what Python writes
    back from what it read (the same keys in the same order, compact, unescaped), so only a text that does not come
    back the same — a key twice among them — is parsed again key by key."""
    value = json.loads(text)
    if isinstance(value, dict) and _CANONICAL(value) == text:
        return value
    return strict_json(text)


def _same(current: str, audited: str, defaults: dict[str, object] | None = None) -> bool:
    """Equal, or equal on every column the audit knows and, for a column added since (ALTER TABLE … ADD COLUMN with
    a DEFAULT: the record was written before it existed), still the value the upgrade gave every row — any other
    value was written later, and the program's every later write leaves a record holding the whole row. `defaults`
    None: columns the record lacks are not judged. Never a record naming a column twice (strict_json)."""
    if current == audited:
        return True
    try:
        then = strict_json(audited)
    except (RepeatedKey, ValueError):
        return False
    now = json.loads(current)
    if not all(k in now and now[k] == v for k, v in then.items()):
        return False
    return defaults is None or all(now[k] == defaults[k] for k in now.keys() - then.keys() if k in defaults)


ADDED_COLUMN = ("导入后新增的列 {column} 已不是升级时给的默认值，却没有任何审计记录：数据在本程序之外被修改过"
                "（这一行由批量导入写入，此后本程序没有改过它）")


def column_defaults(conn: sqlite3.Connection, table: str) -> dict[str, object]:
    """Each column's declared default as the value SQLite gives it (NULL where none is declared): the value an
    `ALTER TABLE … ADD COLUMN` put in every row already there."""
    out: dict[str, object] = {}
    for _cid, name, _kind, _notnull, default, _pk in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
        out[str(name)] = None if default is None else conn.execute(f"SELECT {default}").fetchone()[0]
    return out


def added_since_runs(conn: sqlite3.Connection, table: str, key: str, skip: set[str]) -> Iterator[tuple[str, str]]:
    """Rows a bulk import inserted and nothing changed since (no record of their own: the chain walk hashes them over
    the import's columns only) whose column added after the import no longer holds its default: (key, column)."""
    if not has_runs(conn):
        return
    defaults = column_defaults(conn, table)
    for columns, keys in conn.execute("SELECT columns, keys FROM audit_runs WHERE tbl = ? ORDER BY first_seq", (table,)):
        added = [c for c in defaults if c not in skip and c not in set(json.loads(columns))]
        if not added:
            continue
        values = [defaults[c] for c in added]
        flags = ", ".join(f'x."{c}" IS NOT ?' for c in added)
        differs = " OR ".join(f'x."{c}" IS NOT ?' for c in added)
        for start, count in json.loads(keys):
            found = conn.execute(
                f'SELECT CAST(x."{key}" AS TEXT), {flags} FROM "{table}" x WHERE x."{key}" BETWEEN ? AND ? '
                f'AND ({differs}) AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.tbl = ? '
                f'AND a.row_key = CAST(x."{key}" AS TEXT)) LIMIT 1',
                (*values, int(start), int(start) + int(count) - 1, *values, table)).fetchone()
            if found is not None:
                yield str(found[0]), next(c for c, bad in zip(added, found[1:], strict=True) if bad)
                return




class Spans:
    """Membership of keys in a table's bulk-import spans (run_members), cheap when asked in ascending order (as a
    table scan gives them): a pointer moves forward; a key out of order is looked up by bisection."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.i = 0
        self.last: int | None = None

    def __contains__(self, key: object) -> bool:
        k = _int_key(key)
        if k is None:
            return False
        spans = self.spans
        if self.last is None or k < self.last:
            self.i = max(bisect.bisect_right(spans, (k, 1 << 62)) - 1, 0)
        self.last = k
        while self.i < len(spans) and spans[self.i][1] < k:
            self.i += 1
        return self.i < len(spans) and spans[self.i][0] <= k


def suspects_sql(conn: sqlite3.Connection, name: str, key: str, skip: set[str], where: str = "") -> str:
    """Each row of `name` whose last audit record is missing, a delete, or holds other content than the row:
    (key as text, the row's JSON or NULL when it has no record, that record's seq, action, after). The row's JSON
    is built only where it is compared or reported (a row imported in bulk and never changed has no record: its
    content is the chain walk's to hash, only its key comes back)."""
    return (f'SELECT r.k, CASE WHEN a.seq IS NULL THEN NULL ELSE r.j END, a.seq, a.action, a.after FROM '
            f'(SELECT CAST(x."{key}" AS TEXT) AS k, {row_json_sql(conn, name, skip, "x")} AS j, (SELECT seq FROM audit_log '
            f'WHERE tbl = ? AND row_key = CAST(x."{key}" AS TEXT) ORDER BY seq DESC LIMIT 1) AS s FROM "{name}" x{where}) r '
            "LEFT JOIN audit_log a ON a.seq = r.s WHERE a.seq IS NULL OR a.action = 'D' OR a.after IS NOT r.j")


class Reinserted:
    """Whether a bulk import (a run) after chain position `after` inserted a table's key again: a key freed by a
    delete is handed out again by SQLite (no table uses AUTOINCREMENT), and a re-import of 16 rows or more is folded
    into a run, so the key's last plain record stays the delete. Runs are read once per table, on first use."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.by_table: dict[str, list[tuple[int, list[list[int]]]]] = {}

    def __call__(self, table: str, key: object, after: int) -> bool:
        k = _int_key(key)
        if k is None or not has_runs(self.conn):
            return False
        if table not in self.by_table:
            self.by_table[table] = [(int(f), json.loads(keys)) for f, keys in self.conn.execute(
                "SELECT first_seq, keys FROM audit_runs WHERE tbl = ? ORDER BY first_seq", (table,))]
        return any(first > after and any(int(a) <= k < int(a) + int(n) for a, n in ranges)
                   for first, ranges in self.by_table[table])


def check_history(conn: sqlite3.Connection, since: int = 0) -> Iterator[Finding]:
    """Every update and delete record starts from the row its key's previous record left: the row just before it
    (old_row: `before` over `after`, the whole old row for a delete or a record before schema 26) equals, column by
    column, the `after` of the previous record of the same row. The triggers write exactly that; a record written by
    hand can claim another old state — an old date in an open month, or none at all, so the closed-month check
    would judge a row moved out of a closed month by the month it never had — and is named here. Records after
    `since` (the incremental verify from its anchor). A row whose earlier history is a bulk import (a run) has no
    plain previous record: the run's hash ties the first later record's `before` to the row as imported."""
    keys = {str(t[0]): str(t[1]) for t in tracked(conn)}  # (name, key column), whatever the row factory
    spans: dict[str, Spans] = {}
    again = Reinserted(conn)

    def imported(tbl: str, key: object) -> bool:  # a bulk import's row: its run is its previous record
        if tbl not in spans:
            spans[tbl] = Spans(run_members(conn, tbl))
        return key in spans[tbl]

    cur = conn.cursor()
    cur.row_factory = None
    for seq, tbl, row_key, action, before, after, p_seq, p_action, p_after in cur.execute(
            "SELECT a.seq, a.tbl, a.row_key, a.action, a.before, a.after, p.seq, p.action, p.after FROM audit_log a "
            "LEFT JOIN audit_log p ON p.seq = (SELECT max(q.seq) FROM audit_log q WHERE q.tbl = a.tbl "
            "AND q.row_key = a.row_key AND q.seq < a.seq) WHERE a.seq > ? "
            "AND (a.action IN ('U', 'D') OR p.seq IS NOT NULL) ORDER BY a.seq",
            (since,)):  # streamed: 200,000 updates of a large county are not held at once
        where = f"审计记录 #{seq}（表 {tbl} 主键 {row_key}）"
        if action == "I":  # an insert after its key's previous record: only after a delete
            if p_action != "D":
                yield Finding("审计链", where, f"新增记录的主键此前已有一行（上一条记录 #{p_seq} 不是删除）：本程序不会为已有的行"
                                             "写新增记录，这条记录是手写的（多半把一次修改写成了新增，避开了修改前内容的核对）")
                return
            continue
        try:
            old = {**(checked_json(after) if after else {}), **checked_json(before or "{}")}
            key = keys.get(str(tbl))
            if key is not None and key in old and str(old[key]) != str(row_key):
                # the program never changes a row's key: a record that says it did takes another row's history (and
                # old date) for its own — a row of a closed month rewritten as if it had been an open month's
                what = "删除" if action == "D" else "修改"
                yield Finding("审计链", where, f"{what}记录的修改前内容写的是另一行（主键 {old[key]}）：本程序从不改动行的主键，"
                                             f"{what}时记下的总是这一行本身，这条记录是手写的")
                return
            if p_seq is None:
                if imported(str(tbl), row_key):
                    continue  # a bulk import's row: the run's hash ties this record's `before` to the row as imported
                yield Finding("审计链", where, "修改或删除的这一行此前没有任何记录（没有新增，也不在批量导入中）：本程序写的行"
                                             "都有来历，这条记录是手写的（多半为了让一行离开已结账的月份或凑齐行数）")
                return
            if p_action == "D":
                if again(str(tbl), row_key, int(p_seq)):
                    continue  # the key used again by a bulk import after the delete: the run's hash ties this record
                yield Finding("审计链", where, f"修改或删除的这一行在审计记录 #{p_seq} 已被删除，此后没有再新增：这条记录是手写的")
                return
            if p_after is None:
                continue
            # an update's or delete's own text was checked as such; an insert's is checked here
            then = checked_json(p_after) if p_action == "I" else json.loads(p_after)
        except (RepeatedKey, ValueError):
            yield Finding("审计链", where, "记录中的数据不是本程序写的格式（同一列出现两次或不是 JSON 对象）：记录是手写的")
            return
        differ = [k for k, v in then.items() if k in old and old[k] != v]
        if differ:
            yield Finding("审计链", where,
                          f"记录的修改前内容（{'、'.join(differ[:5])}）与该行上一条审计记录 #{p_seq} 的修改后内容不一致："
                          "本程序写的记录总是从上一条记录留下的行开始，这条记录是手写的")
            return


def check_rows(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every business row must equal its last audited state; rows without one were added outside.

    SQLite pairs each row with its last audit record (an index seek on audit_log_row) and hands back
    only the rows whose JSON differs, so a million-row table is checked without holding its history.
    """
    for t in tracked(conn):
        name, key = t["name"], t["key_column"]
        skip = {c for c in t["skip_columns"].split(",") if c}
        suspects = conn.cursor()
        suspects.row_factory = None
        spans: Spans | None = None
        defaults = column_defaults(conn, name)
        again = Reinserted(conn)
        for row_key, row_json, seq, action, after in suspects.execute(suspects_sql(conn, name, key, skip), (name,)):
            if seq is None:
                spans = Spans(run_members(conn, name)) if spans is None else spans
                if row_key in spans:
                    continue  # inserted by a bulk import, never changed since: the chain walk hashed it again
            if action == "D" and again(name, row_key, int(seq)):
                continue  # inserted again by a bulk import after its delete, never changed since: the walk hashed it
            if seq is None or action == "D":
                yield Finding("数据核对", f"表 {name} 主键 {row_key}", "该行没有审计记录，是在本程序之外写入的")
                return
            if not _same(row_json, after or "{}", defaults):
                yield Finding(
                    "数据核对", f"表 {name} 主键 {row_key}",
                    f"当前内容与审计记录 #{seq} 不一致，数据在本程序之外被修改过",
                )
                return
        for row_key, column in added_since_runs(conn, name, key, skip):
            yield Finding("数据核对", f"表 {name} 主键 {row_key}", ADDED_COLUMN.format(column=column))
            return
        gone = conn.execute(
            "SELECT l.row_key, l.m FROM (SELECT row_key, max(seq) AS m FROM audit_log WHERE tbl = ? GROUP BY row_key) l "
            "JOIN audit_log a ON a.seq = l.m WHERE a.action <> 'D' AND NOT EXISTS "
            f'(SELECT 1 FROM "{name}" x WHERE x."{key}" = l.row_key AND CAST(x."{key}" AS TEXT) = l.row_key) '
            "ORDER BY l.m LIMIT 1",
            (name,),
        ).fetchone()
        if gone is not None:
            yield Finding("数据核对", f"表 {name} 主键 {gone[0]}", f"审计记录 #{gone[1]} 中存在的行已不在表中，被删除过")
            return
