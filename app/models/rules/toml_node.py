"""Path-aware reading of a parsed TOML document: every failure names the file, the key path and the reason.

Shared by the rule-set reader (app/models/rules/load.py) and the report-definition reader
(app/models/reports/toml_reader.py); each subclass names its own error type, so a broken file says which
kind of file it is. Unknown keys are refused by `done()`: a misspelt key is never silently ignored.
Array entries are numbered from 1, as a person counts the `[[…]]` blocks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, NoReturn, Self, cast

from app.models.values.errors import AppError

_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "true/false"),
    (int, "整数"),
    (float, "浮点数"),
    (str, "文字"),
    (datetime, "日期时间"),
    (date, "日期"),
    (list, "列表"),
    (dict, "表"),
)


def type_name(value: object) -> str:
    """The Chinese name of a TOML value's type, for messages."""
    return next((name for t, name in _TYPE_NAMES if isinstance(value, t)), type(value).__name__)


class FileKeyError(AppError):
    """A data file that cannot be used; subclasses set `what` (规则文件, 报表定义文件 …)."""

    what: ClassVar[str] = "文件"

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        where = f"{key} " if key else ""
        super().__init__(f"{self.what} {file}：{where}{reason}")


class TomlNode:
    """One TOML table being read. Subclasses set `error` and add their typed getters."""

    error: ClassVar[type[FileKeyError]] = FileKeyError

    def __init__(self, data: dict[str, object], path: str, file: str) -> None:
        self.data, self.path, self.file = data, path, file
        self._seen: set[str] = set()

    def key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> NoReturn:
        raise self.error(self.file, self.key(key), reason)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> object:
        if key not in self.data:
            self.fail(key, "缺失（必填项）")
        self._seen.add(key)
        return self.data[key]

    def text_list(self, key: str) -> list[object]:
        """The raw list under `key`, each entry a non-empty string (checked)."""
        value = self.raw(key)
        if not isinstance(value, list):
            self.fail(key, f"应为文字列表，实际为{type_name(value)} {value!r}")
        items = cast(list[object], value)
        for i, v in enumerate(items, 1):
            if not isinstance(v, str) or not v.strip():
                self.fail(f"{key}[{i}]", f"应为非空文字，实际为{type_name(v)} {v!r}")
        return items

    def table(self, key: str) -> Self:
        value = self.raw(key)
        if not isinstance(value, dict):
            self.fail(key, f"应为表（[…] 段），实际为{type_name(value)} {value!r}")
        return type(self)(cast(dict[str, object], value), self.key(key), self.file)

    def tables(self, key: str, *, allow_empty: bool = False) -> list[Self]:
        value = self.raw(key)
        if not isinstance(value, list):
            self.fail(key, f"应为表的列表（[[…]] 段），实际为{type_name(value)} {value!r}")
        items = cast(list[object], value)
        if not items and not allow_empty:
            self.fail(key, "不能为空")
        out: list[Self] = []
        for i, v in enumerate(items, 1):
            if not isinstance(v, dict):
                self.fail(f"{key}[{i}]", f"应为表，实际为{type_name(v)} {v!r}")
            out.append(type(self)(cast(dict[str, object], v), f"{self.key(key)}[{i}]", self.file))
        return out

    def choice_of(self, key: str, value: str, options: tuple[str, ...]) -> str:
        if value not in options:
            self.fail(key, f"应为 {' / '.join(options)} 之一，实际为 {value!r}")
        return value

    def done(self) -> None:
        """Refuse keys nobody read: a misspelt optional key must not be silently ignored."""
        for key in self.data:
            if key not in self._seen:
                self.fail(key, "不是可识别的键（拼写错误？）")
