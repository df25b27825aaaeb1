"""Typed, path-aware reading of report-definition TOML: every failure names the file and the key.

The reading itself is shared with the rule-set reader (app/models/rules/toml_node.py); this module adds
the report's own getters and error type, so a broken report file says 报表定义文件 ….
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import cast

from app.models.rules.toml_node import FileKeyError, TomlNode, type_name


class ReportDefinitionError(FileKeyError):
    """A report definition that cannot be used: names the file, the key path and the reason."""

    what = "报表定义文件"


def placeholders(template: str) -> list[str]:
    """The `{name}` fields of a format string (raises ValueError on a malformed one)."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


class Node(TomlNode):
    """One TOML table of a report definition; `done()` refuses keys nobody asked for."""

    error = ReportDefinitionError

    def text(self, key: str, default: str | None = None, *, allow_empty: bool = False) -> str:
        if default is not None and not self.has(key):
            return default
        value = self.raw(key)
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.fail(key, f"应为{'文字' if allow_empty else '非空文字'}，实际为{type_name(value)} {value!r}")
        return value

    def opt_text(self, key: str) -> str | None:
        return self.text(key) if self.has(key) else None

    def _check_template(self, key: str, value: str, allowed: Iterable[str]) -> str:
        known = set(allowed)
        try:
            fields = placeholders(value)
        except ValueError as exc:
            self.fail(key, f"格式错误（{exc}）：{value!r}")
        for name in fields:
            if name not in known:
                self.fail(key, f"占位符 {{{name}}} 不可用，可用的有：{'、'.join(sorted(known))}")
        return value

    def template(self, key: str, allowed: Iterable[str], default: str | None = None) -> str:
        """A format string whose `{fields}` must all be in `allowed`."""
        return self._check_template(key, self.text(key, default, allow_empty=True), allowed)

    def templates(self, key: str, allowed: Iterable[str], *, hi: int = 10) -> tuple[str, ...]:
        """A list of format strings, each checked like `template`."""
        values = self.texts(key, hi=hi)
        return tuple(self._check_template(f"{key}[{i}]", v, allowed) for i, v in enumerate(values, 1))

    def integer(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        if default is not None and not self.has(key):
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(key, f"应为 {lo} 到 {hi} 之间的整数，实际为{type_name(value)} {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self.raw(key)
        if not isinstance(value, bool):
            self.fail(key, f"应为 true 或 false，实际为{type_name(value)} {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        return self.choice_of(key, self.text(key, default), options)

    def texts(self, key: str, *, lo: int = 1, hi: int = 1000) -> tuple[str, ...]:
        items = self.text_list(key)
        if not lo <= len(items) <= hi:
            self.fail(key, f"应有 {lo} 到 {hi} 项，实际为 {len(items)} 项")
        return tuple(cast(list[str], items))
