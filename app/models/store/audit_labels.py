"""The audit log in Chinese for people: field names, coded values and users by name.

The log itself keeps the database's own words (column names, status codes, `login#id`); this module only
translates for display. Field names come from `resources/audit_labels.toml` first, then from the Chinese views
the schema defines (`v_指标`: `i.doc_no AS 文号` names indicators.doc_no 文号); values from the same file's
`[values.<field>]` tables and the views' `CASE col WHEN 'x' THEN '中文'` branches; a column ending in `_by`
(or `user_id`) holds a user id and is shown as that user's name. What is not known is shown as it is.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from typing import Any

from app.resources import resources_dir

SYSTEM = "系统"
_ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(?!ON\b|JOIN\b|WHERE\b|LEFT\b|GROUP\b|ORDER\b)(\w+))?",
                    re.IGNORECASE)
_COLUMN = re.compile(r"(?:SELECT|,)\s*(?:(\w+)\.)?(\w+)\s+AS\s+([^\s,]+)", re.IGNORECASE)
_CASE = re.compile(r"CASE\s+(?:(\w+)\.)?(\w+)\s+((?:WHEN\s+'[^']*'\s+THEN\s+'[^']*'\s*)+)(?:ELSE\s+'[^']*'\s*)?END\s+AS",
                   re.IGNORECASE)
_WHEN = re.compile(r"WHEN\s+'([^']*)'\s+THEN\s+'([^']*)'", re.IGNORECASE)


@cache
def _resource() -> dict[str, Any]:
    with (resources_dir() / "audit_labels.toml").open("rb") as fh:
        return tomllib.load(fh)


class Labels:
    """Read once per open file (the views are part of its schema)."""

    def __init__(self, conn: Any) -> None:
        data = _resource()
        self.fields: dict[str, str] = dict(data.get("fields_more", {})) | dict(data.get("fields", {}))
        self.values: dict[str, dict[str, str]] = {k: dict(v) for k, v in data.get("values", {}).items()}
        self.by_table: dict[str, dict[str, str]] = {}
        self.view_values: dict[tuple[str, str], dict[str, str]] = {}
        for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND sql IS NOT NULL"):
            self._read_view(str(sql))
        self.users = {int(r[0]): str(r[1]) for r in conn.execute("SELECT id, name FROM users")}
        self.logins = {str(r[0]): str(r[1]) for r in conn.execute("SELECT login, name FROM users")}

    def _read_view(self, sql: str) -> None:
        body = sql.split(" AS ", 1)[1] if sql.upper().startswith("CREATE VIEW") else sql
        aliases: dict[str, str] = {}
        first = ""
        for table, alias in _ALIAS.findall(body):
            first = first or table
            aliases[alias or table] = table
            aliases[table] = table
        for alias, column, label in _COLUMN.findall(body):
            table = aliases.get(alias, first) if alias else first
            if table and not label.startswith("("):
                self.by_table.setdefault(table, {}).setdefault(column, label.replace("_分", "（分）").replace("_元", "（元）"))
        for alias, column, whens in _CASE.findall(body):
            table = aliases.get(alias, first) if alias else first
            self.view_values.setdefault((table, column), {}).update(dict(_WHEN.findall(whens)))

    def field(self, table: str, column: str) -> str:
        return self.fields.get(column) or self.by_table.get(table, {}).get(column) or column

    def value(self, table: str, column: str, value: Any) -> Any:
        if value is None:
            return None
        if (column.endswith("_by") or column == "user_id") and isinstance(value, int):
            return self.users.get(value, f"用户{value}")
        text = str(value)
        codes = self.values.get(column) or (self.values.get("status", {}) if column.endswith("_status") else {})
        named = codes.get(text) or self.view_values.get((table, column), {}).get(text)
        return named if named is not None else value

    def actor(self, actor: str | None) -> str:
        """`login#id` as the user's name (the login in brackets); `system#0` as 系统."""
        if not actor:
            return ""
        login, _, number = actor.partition("#")
        if login == "system":
            return SYSTEM
        name = self.users.get(int(number)) if number.isdigit() else self.logins.get(login)
        return f"{name}（{login}）" if name else actor


def labels(book: Any) -> Labels:
    """The labels for `book`'s file, kept on the book (a user added meanwhile: `refresh(book)`)."""
    found = getattr(book, "_audit_labels", None)
    if found is None:
        found = Labels(book.conn)
        book._audit_labels = found
    return found


def refresh(book: Any) -> Labels:
    book._audit_labels = None
    return labels(book)
