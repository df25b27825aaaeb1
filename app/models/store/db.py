"""SQLite storage: connection pragmas, numbered migrations, generated audit/closed-month triggers."""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.models.values.errors import FileError

APPLICATION_ID = 1179403588  # 'FLED'
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
SQLITE_MAGIC = b"SQLite format 3\x00"
CLOSED_MESSAGE = "该日期所在月份已签发结账（或早于最后一个已签发的月份），不能新增、修改或删除（如需更正，请局长先重新打开该月）"


def migrations() -> list[tuple[int, str, Path]]:
    """The numbered schema steps shipped with this version, in order."""
    steps = []
    for path in sorted(SCHEMA_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        steps.append((int(path.name[:4]), path.stem, path))
    numbers = [n for n, _, _ in steps]
    # Unique and increasing. (Branches reserve numbers: 0010 may be shipped before 0008 and 0009 are merged.)
    if not numbers or numbers[0] != 1 or any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        raise RuntimeError(f"schema steps are not numbered 1..N: {numbers}")
    return steps


def latest_version() -> int:
    return migrations()[-1][0]


def file_uri(path: Path | str) -> str:
    """SQLite's file: URI of `path`, made absolute without resolving it: Path.resolve() asks Windows for the final
    path, which under Wine fails past 260 characters (WinError 234) although the file opens fine."""
    return Path(os.path.abspath(path)).as_uri()


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open with our pragmas; autocommit at the driver so transactions are always explicit."""
    if read_only:
        uri = file_uri(path) + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        conn.execute("PRAGMA journal_mode = DELETE")  # one complete file whenever the app is closed
        conn.execute("PRAGMA synchronous = FULL")
    conn.row_factory = sqlite3.Row
    return conn


def check_header(path: Path) -> None:
    """Refuse what is plainly not an SQLite file before SQLite sees it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise FileError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
    if head and head != SQLITE_MAGIC:
        raise FileError(f"文件 {path} 不是 FundLedger 数据库（也不是 SQLite 文件），或已损坏。")


def quick_check_problem(conn: sqlite3.Connection, path: Path) -> str | None:
    """PRAGMA quick_check: None when sound, else the Chinese message (seconds on a large file)."""
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return f"文件 {path} 已损坏或不是数据库文件：{exc}"
    if rows != ["ok"]:
        return f"文件 {path} 已损坏（完整性检查未通过：{'; '.join(rows[:3])}）。"
    return None


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """quick_check plus our application_id and schema version; every failure is a Chinese message."""
    problem = quick_check_problem(conn, path)
    if problem is not None:
        raise FileError(problem)
    check_identity(conn, path)


def check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """What is cheap at open: the schema SQLite reads, our application_id and schema version (no quick_check;
    the window runs `quick_check_problem` later, in the background, see `Book.start_check`)."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise FileError(f"文件 {path} 已损坏或不是数据库文件：{exc}") from exc
    if app_id == 0 and version == 0 and tables == 0:
        return  # a new, empty file
    if app_id != APPLICATION_ID:
        raise FileError(f"文件 {path} 不是 FundLedger 数据库（可能是其他程序的 SQLite 文件），未作任何修改。")
    if version > latest_version():
        raise FileError(
            f"文件 {path} 由较新版本的 FundLedger 创建（数据库版本 {version}），"
            f"本程序只支持到版本 {latest_version()}。请升级程序后再打开；文件未作任何修改。"
        )


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def schema_step(conn: sqlite3.Connection) -> int:
    """The step this file has reached: user_version, or the highest step `schema_migrations` records when that is
    higher (migrate sets user_version to the highest step it ran, so an honest file never has it lower; one set
    lower by hand must not make verify expect fewer triggers and views)."""
    return max(user_version(conn), max(applied_steps(conn), default=0))


def split_sql(script: str) -> list[str]:
    """Split a script into statements (triggers included) so it can run inside our transaction."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip() and not re.fullmatch(r"\s*(--[^\n]*\n?\s*)*;?\s*", buf):
                statements.append(buf.strip())
            buf = ""
    if buf.strip() and not re.fullmatch(r"(\s*--[^\n]*)*\s*", buf):
        raise RuntimeError(f"incomplete SQL statement: {buf[:80]}")
    return statements


MIGRATIONS_TABLE = "schema_migrations"
_CREATE = re.compile(r'CREATE\s+(?:UNIQUE\s+)?(?:VIRTUAL\s+)?(TABLE|INDEX|TRIGGER|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?'
                     r'["`\[]?(\w+)', re.IGNORECASE)
_ADD_COLUMN = re.compile(r'ALTER\s+TABLE\s+["`\[]?(\w+)["`\]]?\s+ADD\s+(?:COLUMN\s+)?["`\[]?(\w+)', re.IGNORECASE)
_GONE = re.compile(r'(?:DROP\s+(?:TABLE|INDEX|TRIGGER|VIEW)\s+(?:IF\s+EXISTS\s+)?|ALTER\s+TABLE\s+)["`\[]?(\w+)',
                   re.IGNORECASE)


def _statements(path: Path) -> list[str]:
    return split_sql(path.read_text(encoding="utf-8"))


def _code(statement: str) -> str:
    """A statement without its comment lines (what the step's regexes read)."""
    return re.sub(r"--[^\n]*", "", statement).strip()


def step_objects(steps: list[tuple[int, str, Path]] | None = None) -> dict[int, tuple[set[str], set[tuple[str, str]]]]:
    """What each step leaves behind that shows it ran: the tables, indexes, triggers and views it creates and the
    columns it adds — minus any name a step drops, renames or creates again (those prove nothing about who ran)."""
    steps = migrations() if steps is None else steps
    texts = {n: [_code(st) for st in _statements(p)] for n, _, p in steps}
    gone = {m.group(1).lower() for sql in texts.values() for st in sql for m in _GONE.finditer(st)
            if not _ADD_COLUMN.match(st.strip())}
    created = {n: {m.group(2).lower() for st in sql for m in _CREATE.finditer(st)} for n, sql in texts.items()}
    again = {name for n, names in created.items() for name in names
             if any(name in other for m, other in created.items() if m != n)}  # rebuilt by a later step
    out: dict[int, tuple[set[str], set[tuple[str, str]]]] = {}
    for n, sql in texts.items():
        names = created[n] - gone - again
        columns = {(m.group(1).lower(), m.group(2).lower()) for st in sql for m in [_ADD_COLUMN.match(st.strip())] if m}
        out[n] = (names, columns)
    return out


def applied_steps(conn: sqlite3.Connection) -> set[int]:
    """The steps this file has: read from `schema_migrations` when the file has it; for a file from before it,
    every number up to user_version whose objects are all present (the old loader ran only numbers above
    user_version, so a file that reached 18 or 19 while 0012–0017 were still on a branch never got them).
    A step whose objects are only partly present is a damaged file: FileError, nothing written."""
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (MIGRATIONS_TABLE,)).fetchone() is not None
    if has_table:
        return {int(r[0]) for r in conn.execute(f"SELECT number FROM {MIGRATIONS_TABLE}")}
    version = user_version(conn)
    if version == 0:
        return set()
    present = {str(r[0]).lower() for r in conn.execute("SELECT name FROM sqlite_master")}
    out = set()
    for n, (names, columns) in step_objects().items():
        if n > version:
            continue
        have_cols = {(t, c) for t, c in columns if t in present and c in {
            str(r[1]).lower() for r in conn.execute(f'PRAGMA table_info("{t}")')}}
        found, wanted = len(names & present) + len(have_cols), len(names) + len(columns)
        if found == wanted:
            out.add(n)
        elif found:
            missing = sorted((names - present) | {f"{t}.{c}" for t, c in columns - have_cols})
            raise FileError(f"数据库结构不完整：第 {n} 步升级只有一部分存在（缺少 {'、'.join(missing[:5])}），"
                            "不能自动补全。文件未作任何修改，请联系技术支持。")
    return out


def pending_steps(conn: sqlite3.Connection) -> list[tuple[int, str, Path]]:
    """The shipped steps this file does not have yet, in order (also those numbered below its user_version)."""
    done = applied_steps(conn)
    return [s for s in migrations() if s[0] not in done]


def needs_migration(conn: sqlite3.Connection) -> bool:
    """A step missing, or a file from before `schema_migrations` (which then records what the file has)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)).fetchone() is None:
        return True
    return bool(pending_steps(conn))


def migrate(conn: sqlite3.Connection, *, before: Callable[[int], None] | None = None,
            after: Callable[[sqlite3.Connection, int], None] | None = None) -> int:
    """Apply every missing step in order in one BEGIN IMMEDIATE … COMMIT, recording each in `schema_migrations`
    (created here when absent, with the steps the file already had); `before(version)` runs first (backup),
    `after(conn, old_version)` last, inside the same transaction (data a step needs filled in Python).
    `old_version` is the step before the first missing one, so a step's data fill-in runs even when the step
    was missed below a higher user_version."""
    current = user_version(conn)
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (MIGRATIONS_TABLE,)).fetchone() is not None
    done = applied_steps(conn)
    pending = [(n, name, p) for n, name, p in migrations() if n not in done]
    if not pending and has_table:
        return current
    if before is not None and pending:
        before(current)
    names = {n: name for n, name, _ in migrations()}
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (number INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_at TEXT NOT NULL, how TEXT NOT NULL CHECK (how IN ('applied', 'inferred'))) STRICT")
        conn.executemany(f"INSERT OR IGNORE INTO {MIGRATIONS_TABLE} (number, name, applied_at, how) "
                         "VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime'), 'inferred')",
                         [(n, names.get(n, str(n))) for n in sorted(done)])
        for number, name, path in pending:
            for statement in _statements(path):
                conn.execute(statement)
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (number, name, applied_at, how) "
                         "VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime'), 'applied')", (number, name))
        top = max([current, *(n for n, _, _ in pending)])
        conn.execute(f"PRAGMA user_version = {top}")
        install_triggers(conn)
        if after is not None and pending:
            after(conn, pending[0][0] - 1 if current else 0)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return top


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")').fetchall()]


def row_json_sql(conn: sqlite3.Connection, table: str, skip: set[str], row: str) -> str:
    """json_object(...) of a row's audited columns, the same text in triggers and in verify."""
    parts = []
    for col in _columns(conn, table):
        if col not in skip:
            parts.append(f"'{col}', {row}.\"{col}\"")
    return "json_object(" + ", ".join(parts) + ")"


DELTA_STEP = 26  # schema/0026_audit_delta.sql: an update's `before` holds only the columns it changed
_NO_KEY = "$.-"  # a JSON path no audited column can have (column names are identifiers): json_remove skips it


def changed_json_sql(conn: sqlite3.Connection, table: str, skip: set[str]) -> str:
    """An UPDATE's `before` from schema 26 on: the old values of only the audited columns whose value changed
    (`{}` when none did). Unchanged means OLD IS NEW under BINARY collation (users.login is NOCASE: 'Chief' → 'chief'
    is a change); two IS-equal values of a column with a type affinity (every audited column today) are the same
    value of the same type, so JSON writes them alike — the bulk-import check rebuilds an imported row from `after`
    where `before` lacks a column. Readers take a column's old value from `before` when it has the key (a JSON null
    included), else from `after` (audit.old_value_sql); a whole `before` (records before schema 26) reads the same."""
    paths = []
    for col in _columns(conn, table):
        if col not in skip:
            if not re.fullmatch(r"\w+", col):
                raise RuntimeError(f"audited column name not a plain identifier: {table}.{col}")
            paths.append(f"CASE WHEN OLD.\"{col}\" IS NEW.\"{col}\" COLLATE BINARY THEN '$.{col}' ELSE '{_NO_KEY}' END")
    old_json = row_json_sql(conn, table, skip, "OLD")
    return f"json_remove({old_json}, {', '.join(paths)})" if paths else old_json


def tracked(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT name, key_column, date_expr, skip_columns FROM tracked_tables ORDER BY name").fetchall()


def trigger_sql(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """The audit and closed-month triggers of every tracked table, generated from its columns:
    {trigger name: (table, CREATE TRIGGER statement)}. verify compares the file's triggers with these.
    A file with schema step 26 gets update records holding only the changed columns' old values (changed_json_sql),
    an older one (a file not upgraded yet) the whole old row, as before."""
    out: dict[str, tuple[str, str]] = {}
    delta = DELTA_STEP in applied_steps(conn)
    for t in tracked(conn):
        name, key, date_expr = t["name"], t["key_column"], t["date_expr"]
        skip = {c for c in t["skip_columns"].split(",") if c}
        ctx = "(SELECT {c} FROM audit_context WHERE id = 1)"
        at = f"coalesce({ctx.format(c='at')}, strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime'))"
        head = f"INSERT INTO audit_log (at, actor, op, tbl, row_key, action, before, after) VALUES ({at}, {ctx.format(c='actor')}, {ctx.format(c='op')}, '{name}'"
        new_json = row_json_sql(conn, name, skip, "NEW")
        old_json = row_json_sql(conn, name, skip, "OLD")
        out[f"fl_audit_{name}_i"] = (name, f'CREATE TRIGGER "fl_audit_{name}_i" AFTER INSERT ON "{name}" BEGIN '
                                           f"{head}, CAST(NEW.\"{key}\" AS TEXT), 'I', NULL, {new_json}); END")
        changed_json = changed_json_sql(conn, name, skip) if delta else old_json
        out[f"fl_audit_{name}_u"] = (name, f'CREATE TRIGGER "fl_audit_{name}_u" AFTER UPDATE ON "{name}" BEGIN '
                                           f"{head}, CAST(NEW.\"{key}\" AS TEXT), 'U', {changed_json}, {new_json}); END")
        out[f"fl_audit_{name}_d"] = (name, f'CREATE TRIGGER "fl_audit_{name}_d" AFTER DELETE ON "{name}" BEGIN '
                                           f"{head}, CAST(OLD.\"{key}\" AS TEXT), 'D', {old_json}, NULL); END")
        if date_expr:
            def closed(row: str, date_expr: str = date_expr) -> str:
                expr = date_expr.replace("{row}", row)
                # at or before the last signed month: months close in order and stay closed
                return f"({expr}) <= (SELECT max(end_date) FROM periods WHERE closed = 1)"

            raise_sql = f"BEGIN SELECT RAISE(ABORT, '{CLOSED_MESSAGE}'); END"
            out[f"fl_closed_{name}_i"] = (name, f'CREATE TRIGGER "fl_closed_{name}_i" BEFORE INSERT ON "{name}" '
                                                f"WHEN {closed('NEW')} {raise_sql}")
            out[f"fl_closed_{name}_u"] = (name, f'CREATE TRIGGER "fl_closed_{name}_u" BEFORE UPDATE ON "{name}" '
                                                f"WHEN {closed('OLD')} OR {closed('NEW')} {raise_sql}")
            out[f"fl_closed_{name}_d"] = (name, f'CREATE TRIGGER "fl_closed_{name}_d" BEFORE DELETE ON "{name}" '
                                                f"WHEN {closed('OLD')} {raise_sql}")
    return out


def install_triggers(conn: sqlite3.Connection) -> None:
    """(Re)generate the audit and closed-month triggers of every tracked table from its columns."""
    wanted = trigger_sql(conn)
    for table in {t for t, _ in wanted.values()}:
        for old in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=? AND "
            "(name LIKE 'fl_audit_%' OR name LIKE 'fl_closed_%')",
            (table,),
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{old[0]}"')
    for _table, sql in wanted.values():
        conn.execute(sql)


# The tables the global search indexes (schema 0008; app/models/search/index.py), each with three triggers.
SEARCH_SOURCES = ("payees", "projects", "indicators", "payments", "notices")


@functools.cache
def _reference() -> tuple[tuple[tuple[str, str, str, str], ...], dict[str, str]]:
    """This program's own migrations run once on a fresh file in memory: its `tracked_tables` and its views."""
    mem = sqlite3.connect(":memory:", isolation_level=None)
    try:
        mem.row_factory = sqlite3.Row
        migrate(mem)
        tracked = tuple((str(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or "")) for r in mem.execute(
            "SELECT name, key_column, date_expr, skip_columns FROM tracked_tables ORDER BY name"))
        return tracked, {str(r[0]): str(r[1]) for r in mem.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'")}
    finally:
        mem.close()


def reference_tracked() -> tuple[tuple[str, str, str, str], ...]:
    """`tracked_tables` as this program's own migrations create it: (name, key column, date expression, skipped
    columns). verify compares the file's list with it — a list read from the file alone lets whoever deletes a row
    there (and the table's triggers) write with no audit record, unseen by every check that walks the same list."""
    return _reference()[0]


def reference_views() -> dict[str, str]:
    """The views this program's own migrations create, by name, with their SQL: verify compares the file's with them
    (the Chinese views are what the manual tells an auditor to read)."""
    return _reference()[1]


# The one fixed trigger a step re-creates in Python (book._compact_audit, after schema/0020_audit_runs.sql drops it).
NO_DELETE_SQL = ("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN OLD.hash IS NOT NULL "
                 "BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END")
NO_DELETE_STEP = 20


@functools.cache
def _step_history() -> tuple[tuple[int, dict[str, str], frozenset[str]], ...]:
    """This program's own steps run one by one on a fresh file in memory: after each step, the triggers the steps
    write as text (the search, lock and append-only ones; not the generated fl_* ones), by name with their SQL, and
    the tables that exist."""
    mem = sqlite3.connect(":memory:", isolation_level=None)
    out = []
    try:
        for number, _name, path in migrations():
            for statement in _statements(path):
                mem.execute(statement)
            if number == NO_DELETE_STEP:
                mem.execute(NO_DELETE_SQL)
            out.append((number, {str(r[0]): str(r[1]) for r in mem.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")},
                frozenset(str(r[0]) for r in mem.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))))
        return tuple(out)
    finally:
        mem.close()


def _fixed_trigger_history() -> tuple[tuple[int, dict[str, str]], ...]:
    return tuple((number, found) for number, found, _tables in _step_history())


def reference_tables(conn: sqlite3.Connection) -> frozenset[str]:
    """The tables this program's own steps leave in a file that has reached `conn`'s step: verify names any that is
    missing (a table dropped makes every check that skips an absent table — one an older file does not have yet —
    look at nothing)."""
    step = schema_step(conn)
    want: frozenset[str] = frozenset()
    for number, _found, tables in _step_history():
        if number <= step:
            want = tables
    return want


def reference_fixed_triggers(conn: sqlite3.Connection) -> dict[str, str]:
    """The written-out triggers as this program leaves them in a file with `conn`'s schema steps: {name: SQL}.
    (A file not upgraded yet keeps the text its last step wrote — audit_log_no_delete changed at step 20.)"""
    top = max(applied_steps(conn), default=0)
    want: dict[str, str] = {}
    for number, found in _fixed_trigger_history():
        if number <= top:
            want = found
    return want


def expected_triggers(conn: sqlite3.Connection) -> set[str]:
    """Names of the triggers the app relies on; verify reports any that are missing (the tracked tables' ones
    from the program's own list as well as the file's, see `reference_tracked`)."""
    names = {"audit_log_no_update", "audit_log_no_delete"}
    step = schema_step(conn)
    if step >= 8:
        names |= {f"search_{t}_{a}" for t in SEARCH_SOURCES for a in "iud"}
    if step >= 20:  # schema/0020_audit_runs.sql: bulk imports' records, append-only too
        names |= {"audit_runs_no_update", "audit_runs_no_delete"}
    if step >= 12:  # schema/0012_rule_sets.sql: a signed year keeps its rule set
        names |= {"rule_sets_locked_i", "rule_sets_locked_u", "rule_sets_locked_d",
                  "rule_set_files_no_update", "rule_set_files_no_delete"}
    if 24 in applied_steps(conn):  # schema/0024_calendar_lock.sql: days up to the last signed month stay as signed
        names |= {f"calendar_{t}_locked_{a}" for t in ("days", "years") for a in "iud"}
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    rows = [(str(t["name"]), str(t["date_expr"] or "")) for t in tracked(conn)]
    rows += [(name, date_expr) for name, _key, date_expr, _skip in reference_tracked() if name in tables]
    for name, date_expr in rows:
        names |= {f"fl_audit_{name}_{a}" for a in "iud"}
        if date_expr:
            names |= {f"fl_closed_{name}_{a}" for a in "iud"}
    return names


# -- before SQLite opens a file writable: its header and any journal beside it, read as plain bytes -------------
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


@dataclass(frozen=True)
class Header:
    """The fields of an SQLite file's 100-byte header that tell whose file it is and how it is journaled."""

    page_size: int
    write_version: int  # 1 = rollback journal, 2 = WAL
    change_counter: int
    pages: int
    user_version: int
    application_id: int


def parse_header(head: bytes) -> Header | None:
    """None when these bytes are not the start of an SQLite file."""
    if len(head) < 100 or head[:16] != SQLITE_MAGIC:
        return None
    size = int.from_bytes(head[16:18], "big")
    size = 65536 if size == 1 else size
    if size < 512 or size > 65536 or size & (size - 1):
        return None
    return Header(page_size=size, write_version=head[18], change_counter=int.from_bytes(head[24:28], "big"),
                  pages=int.from_bytes(head[28:32], "big"), user_version=int.from_bytes(head[60:64], "big"),
                  application_id=int.from_bytes(head[68:72], "big"))


def read_header(path: Path) -> Header | None:
    try:
        with open(path, "rb") as fh:
            return parse_header(fh.read(100))
    except OSError as exc:
        raise FileError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc


def preflight(path: Path) -> None:
    """Before any connection that could write: whose file it is, read from its bytes and, where the header is
    not enough, through an `immutable` read-only connection (which never writes, checkpoints or rolls back).

    Refuses another application's SQLite file (in any journal mode), a newer FundLedger version, and a file in
    WAL mode that is not ours — opening those writable would checkpoint a WAL or rewrite the header."""
    check_header(path)
    head = read_header(path)
    if head is None:
        raise FileError(f"文件 {path} 不是 FundLedger 数据库（文件头无效），或已损坏。未作任何修改。")
    if head.application_id not in (0, APPLICATION_ID):
        raise FileError(f"文件 {path} 不是 FundLedger 数据库（可能是其他程序的 SQLite 文件），未作任何修改。")
    if head.application_id == APPLICATION_ID and head.user_version > latest_version():
        raise FileError(
            f"文件 {path} 由较新版本的 FundLedger 创建（数据库版本 {head.user_version}），"
            f"本程序只支持到版本 {latest_version()}。请升级程序后再打开；文件未作任何修改。")
    if head.application_id == 0:
        # An empty file of ours (just created) has no tables; anything else with id 0 is someone else's.
        try:
            conn = sqlite3.connect(file_uri(path) + "?mode=ro&immutable=1", uri=True)
            try:
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise FileError(f"文件 {path} 已损坏或不是数据库文件：{exc}。未作任何修改。") from exc
        if tables or head.user_version:
            raise FileError(f"文件 {path} 不是 FundLedger 数据库（可能是其他程序的 SQLite 文件），未作任何修改。")
        if head.write_version == 2:
            raise FileError(f"文件 {path} 不是 FundLedger 数据库（处于 WAL 模式，是其他程序的 SQLite 文件），未作任何修改。")


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def hot_journal(path: Path) -> bool:
    """A rollback journal SQLite would roll into the file on the next writable open (its header is live)."""
    journal = journal_path(path)
    try:
        with open(journal, "rb") as fh:
            return fh.read(8) == JOURNAL_MAGIC
    except OSError:
        return False


def journal_problem(path: Path) -> str | None:
    """Whether the hot journal beside `path` belongs to it, from the bytes of both (nothing is opened).

    A rollback journal starts with a header (magic, page count, checksum nonce, the database's size in pages
    before the transaction, sector size, page size), then records of (page number, original page, checksum).
    Ours always holds page 1 — every transaction changes page 1's change counter — so its original page 1
    must be this file's own header: same page size and application_id, a change counter equal to the file's
    or one less. A journal another database left here fails one of these; rolling it in would write its pages
    over ours. Returns None when it fits (or there is no hot journal), else the Chinese reason."""
    if not hot_journal(path):
        return None
    journal = journal_path(path)
    head = read_header(path)
    name = journal.name
    if head is None:
        return f"数据库文件头无效，不能确认日志文件 {name} 属于它"
    try:
        data = journal.read_bytes()
    except OSError as exc:
        return f"无法读取日志文件 {name}（{exc.strerror or exc}）"
    if len(data) < 28:
        return f"日志文件 {name} 不完整"
    sector = int.from_bytes(data[20:24], "big")
    page_size = int.from_bytes(data[24:28], "big")
    if page_size != head.page_size:
        return f"日志文件 {name} 的页大小为 {page_size} 字节，而数据库为 {head.page_size} 字节：它属于另一个数据库"
    if sector < 512 or sector > 65536 or sector & (sector - 1):
        return f"日志文件 {name} 的扇区大小 {sector} 无效"
    record = 4 + page_size + 4
    offset = sector
    while offset + record <= len(data):
        number = int.from_bytes(data[offset:offset + 4], "big")
        if number == 1:
            original = parse_header(data[offset + 4:offset + 4 + page_size])
            if original is None:
                return f"日志文件 {name} 中保存的第 1 页不是 SQLite 文件头：它不属于该数据库"
            if original.application_id not in (head.application_id, 0) or original.page_size != head.page_size:
                return f"日志文件 {name} 中保存的文件头属于另一个数据库（程序标识或页大小不同）"
            if head.change_counter - original.change_counter not in (0, 1):
                return (f"日志文件 {name} 记录的修改计数（{original.change_counter}）与数据库（{head.change_counter}）"
                        "不衔接：它来自另一个文件或另一个时间")
            return None
        if number == 0:
            break  # the rest of the segment was never written
        offset += record
    return f"日志文件 {name} 中没有该数据库的第 1 页，无法确认它属于该数据库"
