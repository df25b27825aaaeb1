"""The loader applies every missing schema step, not only those numbered above user_version.

Numbers are reserved per branch and land out of order: a file that reached user_version 18 or 19 while 0012–0017
were still on their branches was never given them by the old loader (it ran only `number > user_version`), and
would not be given them ever after. Each file below is made the way the old loader made it — the listed steps run
in order, user_version set to the number it reached, the generated triggers installed — and must end with the
schema of a new file."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from app.models.store import db
from app.models.values.errors import FileError

ALL = [n for n, _, _ in db.migrations()]
# The last step the old loader (steps above user_version only) can have run: it was replaced (commit 8b4cc01) when
# steps up to 0024 existed. Every later step is applied by this loader, in order after any missing 0012–0017 —
# 0025 indexes `warnings`, which 0012 rebuilds, so it cannot have run before 0012.
OLD_LOADER_LAST = 24


def old_loader_file(path: Path, numbers: list[int], version: int) -> sqlite3.Connection:
    conn = db.connect(path)
    steps = {n: p for n, _, p in db.migrations()}
    conn.execute("BEGIN IMMEDIATE")
    for n in numbers:
        for statement in db.split_sql(steps[n].read_text(encoding="utf-8")):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    db.install_triggers(conn)
    conn.execute("COMMIT")
    return conn


def schema(conn: sqlite3.Connection) -> dict[tuple[str, str], object]:
    """sqlite_master, each object by (type, name): a table as its columns (name, type, not null, default, key) and
    its CHECK/REFERENCES text — a column added by a later step sits last, whatever order the steps ran in —, every
    other object as its SQL, whitespace normalised."""
    out: dict[tuple[str, str], object] = {}
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"):
        if kind == "table":
            cols = sorted(tuple(r[1:]) for r in conn.execute(f'PRAGMA table_info("{name}")'))
            out[(kind, name)] = (cols, sorted(re.findall(r"(?:CHECK|REFERENCES)\s*\(?[^,]*", sql or "")))
        else:
            out[(kind, name)] = " ".join((sql or "").split())
    return out


@pytest.fixture
def fresh(tmp_path: Path) -> dict[tuple[str, str], object]:
    conn = db.connect(tmp_path / "fresh.db")
    assert db.migrate(conn) == ALL[-1]
    try:
        return schema(conn)
    finally:
        conn.close()


STATES = {
    "v1": ([1], 1),
    "v9": ([n for n in ALL if n <= 9], 9),
    "v11": ([n for n in ALL if n <= 11], 11),
    "v17": ([n for n in ALL if n <= 17], 17),
    "dev at 18 (0012–0017 on branches)": ([n for n in ALL if n <= 11] + [18], 18),
    "dev at 19 (0012–0017 on branches)": ([n for n in ALL if n <= 11] + [18, 19], 19),
    "dev at 19, then the old loader's upgrade to the latest": ([n for n in ALL if n <= 11 or 18 <= n <= OLD_LOADER_LAST],
                                                               OLD_LOADER_LAST),
    "v19 without 0014's column only": ([n for n in ALL if n <= 19 and n != 14], 19),
}


@pytest.mark.parametrize("state", STATES)
def test_every_earlier_state_ends_with_the_fresh_schema(state: str, tmp_path: Path,
                                                        fresh: dict[tuple[str, str], object]) -> None:
    numbers, version = STATES[state]
    conn = old_loader_file(tmp_path / "old.db", numbers, version)
    try:
        assert db.needs_migration(conn)
        missing = [n for n in ALL if n not in numbers]
        assert [n for n, _, _ in db.pending_steps(conn)] == missing  # found also below user_version
        seen: list[int] = []
        db.migrate(conn, before=seen.append)
        assert seen == ([version] if missing else [])
        assert schema(conn) == fresh
        assert db.user_version(conn) == ALL[-1]
        recorded = dict(conn.execute("SELECT number, how FROM schema_migrations").fetchall())
        assert recorded == {n: ("inferred" if n in numbers else "applied") for n in ALL}
        assert not db.needs_migration(conn)
        assert db.migrate(conn) == ALL[-1]  # idempotent: nothing left, nothing written
    finally:
        conn.close()


def test_data_fill_in_of_a_missed_step_runs(tmp_path: Path) -> None:
    """`after` is told the step before the first missing one, so 0012's Python fill-in runs on a dev file at 19."""
    conn = old_loader_file(tmp_path / "old.db", STATES["dev at 19 (0012–0017 on branches)"][0], 19)
    told: list[int] = []
    try:
        db.migrate(conn, after=lambda _c, v: told.append(v))
    finally:
        conn.close()
    assert told == [11]


def test_a_step_only_partly_present_is_refused_and_nothing_written(tmp_path: Path) -> None:
    conn = old_loader_file(tmp_path / "old.db", [n for n in ALL if n <= 13], 13)
    conn.execute("DROP TABLE county_notices")  # one of 0013's tables gone, the others there
    before = schema(conn)
    try:
        with pytest.raises(FileError, match="第 13 步升级只有一部分存在.*county_notices"):
            db.migrate(conn)
        assert schema(conn) == before
    finally:
        conn.close()


def test_the_record_is_what_counts_once_it_exists(tmp_path: Path) -> None:
    """A file with `schema_migrations` is read from it: a step removed from the record is applied again (and its
    CREATE fails loudly rather than being skipped silently) — the record is not guessed over."""
    conn = db.connect(tmp_path / "f.db")
    db.migrate(conn)
    conn.execute("DELETE FROM schema_migrations WHERE number = 18")
    try:
        assert [n for n, _, _ in db.pending_steps(conn)] == [18]
        with pytest.raises(sqlite3.OperationalError, match="already exists"):
            db.migrate(conn)
        assert [n for n, _, _ in db.pending_steps(conn)] == [18]  # rolled back
    finally:
        conn.close()
