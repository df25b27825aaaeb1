"""One error family: every message is Chinese, and names the field it concerns when there is one."""

from __future__ import annotations


class AppError(Exception):
    """An error a user can act on. `str(err)` is the full Chinese message."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}：{message}" if field else message)


class ValidationError(AppError):
    """Bad input: nothing was written."""


class RowErrors(ValidationError):
    """An import refused whole: one (row number, field, reason) per bad row."""

    def __init__(self, errors: list[tuple[int, str, str]], *, what: str = "导入") -> None:
        self.errors = errors
        lines = [f"第 {row} 行 {field}：{reason}" for row, field, reason in errors[:50]]
        more = f"\n……共 {len(errors)} 处错误" if len(errors) > 50 else ""
        super().__init__(f"{what}未写入任何数据，发现 {len(errors)} 处错误：\n" + "\n".join(lines) + more)


class PermissionDenied(AppError):
    """The acting user's role may not do this."""


class ReadOnlyError(AppError):
    """The file is open read-only."""


class ClosedPeriodError(AppError):
    """The date falls in a month that the chief has signed off."""


class FileError(AppError):
    """The database file cannot be used: corrupt, foreign, too new, locked, unreachable."""


class LockedError(FileError):
    """Another running copy of the app holds the file; `holder` says who."""

    def __init__(self, message: str, holder: dict[str, object]) -> None:
        self.holder = holder
        super().__init__(message)


class NotFound(AppError):
    """The object referred to does not exist."""
