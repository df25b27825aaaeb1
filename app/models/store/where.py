"""The one WHERE builder of the row sources (`*/query.py`): filters joined by AND, values always as parameters.

    w = Where().equals("y.status", status).equals("y.project_id", project_id).contains(text, "y.request_no", "p.name")
    conn.execute(f"SELECT … FROM payments y … {w.clause} ORDER BY … LIMIT ?", [*w.args, limit])

An empty filter (None or "") adds nothing. Column names come from the code, never from the user: they are
checked against a plain `alias.column` pattern, so a slip cannot put text into the SQL.
"""

from __future__ import annotations

import re
from typing import Any

_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?|coalesce\([a-z_.]+, ''\)")


def _column(name: str) -> str:
    if not _COLUMN.fullmatch(name):
        raise ValueError(f"not a column name: {name!r}")
    return name


class Where:
    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *args: Any) -> Where:
        """A condition written out (its `?` placeholders matched by `args`)."""
        if clause.count("?") != len(args):
            raise ValueError(f"{clause!r} has {clause.count('?')} placeholders for {len(args)} values")
        self.clauses.append(clause)
        self.args.extend(args)
        return self

    def equals(self, column: str, value: Any) -> Where:
        """`column = value`, unless value is None or "" (no filter)."""
        if value is None or value == "":
            return self
        return self.add(f"{_column(column)} = ?", value)

    def between(self, column: str, start: Any, end: Any) -> Where:
        return self.add(f"{_column(column)} BETWEEN ? AND ?", start, end)

    def contains(self, text: str | None, *columns: str) -> Where:
        """The user's filter text inside any of `columns` (instr: exact characters, no LIKE wildcards)."""
        needle = (text or "").strip()
        if not needle:
            return self
        return self.add("(" + " OR ".join(f"instr({_column(c)}, ?)" for c in columns) + ")", *[needle] * len(columns))

    @property
    def sql(self) -> str:
        """The conditions joined by AND ("1 = 1" when there are none), for `WHERE {w.sql}`."""
        return " AND ".join(self.clauses) if self.clauses else "1 = 1"

    @property
    def clause(self) -> str:
        """" WHERE …", or "" when there are no conditions."""
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""
