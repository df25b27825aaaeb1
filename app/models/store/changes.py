"""What an operation changed, read from the audit log: which tables, which rows.

Every write goes through `Book.write`, and every tracked table's triggers record each inserted, updated and
deleted row in `audit_log`. So what an operation changed need not be declared by the operation: it is the
audit records after the sequence number read before it ran. The window hands this to every tab, and a tab
refreshes only when a table it shows was touched (app/ui/kit/ops.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """Row keys (as the audit log writes them: text) by table name."""

    rows: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def touches(self, *tables: str) -> bool:
        """Whether any of `tables` had a row inserted, updated or deleted."""
        return any(t in self.rows for t in tables)

    def ids(self, table: str) -> frozenset[int]:
        """The integer keys changed in `table` (tables keyed by `id`); other keys are left out."""
        return frozenset(int(k) for k in self.rows.get(table, ()) if k.lstrip("-").isdigit())

    def merged(self, other: Changes) -> Changes:
        tables = set(self.rows) | set(other.rows)
        return Changes({t: self.rows.get(t, frozenset()) | other.rows.get(t, frozenset()) for t in tables})


NONE = Changes()


def mark(conn: sqlite3.Connection) -> int:
    """The audit log's last sequence number: read before an operation, handed to `since` after it."""
    from app.models.store import audit

    return audit.last_seq(conn)


def since(conn: sqlite3.Connection, seq: int) -> Changes:
    """Every row written after audit record `seq` (by anyone: a concurrent write is included, never missed)."""
    rows: dict[str, set[str]] = {}
    for table, key in conn.execute("SELECT tbl, row_key FROM audit_log WHERE seq > ?", (seq,)):
        rows.setdefault(str(table), set()).add(str(key))
    from app.models.store import audit

    for run in audit.runs(conn, since=seq):  # a bulk import's inserts, folded into one record
        rows.setdefault(run.tbl, set()).update(str(k) for k in run.keys)
    return Changes({t: frozenset(keys) for t, keys in rows.items()})
