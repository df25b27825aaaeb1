"""Typed, path-aware reading of report-definition TOML: every failure names the file and the key.

Modelled on the rule-set reader (app/models/rules.py) but with its own error type, so a broken
report file says 报表定义文件 …, and unknown keys are refused (a misspelt key is never ignored).
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import NoReturn, cast

from app.models.errors import AppError


class ReportDefinitionError(AppError):
    """A report definition that cannot be used: names the file, the key path and the reason."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        where = f"{key} " if key else ""
        super().__init__(f"报表定义文件 {file}：{where}{reason}")


def _type_name(value: object) -> str:
    names: tuple[tuple[type, str], ...] = (
        (bool, "true/false"), (int, "整数"), (float, "浮点数"), (str, "文字"), (list, "列表"), (dict, "表"),
    )  # fmt: skip
    return next((name for t, name in names if isinstance(value, t)), type(value).__name__)


def placeholders(template: str) -> list[str]:
    """The `{name}` fields of a format string (raises ValueError on a malformed one)."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


class Node:
    """One TOML table being read; `done()` refuses keys nobody asked for."""

    def __init__(self, data: dict[str, object], path: str, file: str) -> None:
        self.data, self.path, self.file = data, path, file
        self._seen: set[str] = set()

    def key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> NoReturn:
        raise ReportDefinitionError(self.file, self.key(key), reason)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> object:
        if key not in self.data:
            self.fail(key, "缺失（必填项）")
        self._seen.add(key)
        return self.data[key]

    def text(self, key: str, default: str | None = None, *, allow_empty: bool = False) -> str:
        if default is not None and not self.has(key):
            return default
        value = self.raw(key)
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.fail(key, f"应为{'文字' if allow_empty else '非空文字'}，实际为{_type_name(value)} {value!r}")
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
            self.fail(key, f"应为 {lo} 到 {hi} 之间的整数，实际为{_type_name(value)} {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self.raw(key)
        if not isinstance(value, bool):
            self.fail(key, f"应为 true 或 false，实际为{_type_name(value)} {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in options:
            self.fail(key, f"应为 {' / '.join(options)} 之一，实际为 {value!r}")
        return value

    def texts(self, key: str, *, lo: int = 1, hi: int = 1000) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, list):
            self.fail(key, f"应为文字列表，实际为{_type_name(value)} {value!r}")
        items = cast(list[object], value)
        if not lo <= len(items) <= hi:
            self.fail(key, f"应有 {lo} 到 {hi} 项，实际为 {len(items)} 项")
        for i, v in enumerate(items, 1):
            if not isinstance(v, str) or not v.strip():
                self.fail(f"{key}[{i}]", f"应为非空文字，实际为{_type_name(v)} {v!r}")
        return tuple(cast(list[str], items))

    def table(self, key: str) -> Node:
        value = self.raw(key)
        if not isinstance(value, dict):
            self.fail(key, f"应为表（[…] 段），实际为{_type_name(value)} {value!r}")
        return Node(cast(dict[str, object], value), self.key(key), self.file)

    def tables(self, key: str) -> list[Node]:
        value = self.raw(key)
        if not isinstance(value, list) or not value:
            self.fail(key, "应为非空的表列表（[[…]] 段）")
        out: list[Node] = []
        for i, v in enumerate(cast(list[object], value), 1):
            if not isinstance(v, dict):
                self.fail(f"{key}[{i}]", f"应为表，实际为{_type_name(v)} {v!r}")
            out.append(Node(cast(dict[str, object], v), f"{self.key(key)}[{i}]", self.file))
        return out

    def done(self) -> None:
        for key in self.data:
            if key not in self._seen:
                self.fail(key, "不是可识别的键（拼写错误？）")
