"""Small shared pieces of the 专账 area: input cleaning, date checks and the entry types' names."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from app.models.store import periods
from app.models.store.book import Book
from app.models.values import workdays
from app.models.values.errors import ValidationError

ENTRY_TYPES: dict[str, tuple[str, str, int]] = {
    # entry_type: (Chinese name, side, sign)
    "income": ("收入", "income", 1),
    "reduction": ("调减/收回", "income", -1),
    "return": ("缴回", "income", -1),
    "expenditure": ("支出", "expenditure", 1),
    "refund": ("退回", "expenditure", -1),
}
MANUAL_TYPES = ("refund", "return")
REDUCTION_KINDS = {"reduce": "调减", "recall": "收回"}
NO_SECTION = "（未指定股室）"


def entry_type_name(code: str) -> str:
    return ENTRY_TYPES[code][0] if code in ENTRY_TYPES else code


def as_date(value: object, field: str) -> dt.date:
    """A date argument: a `date` (not a datetime) or text as clerks type it."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError("不能为空", field=field)
    return workdays.parse_date(str(value), field)


def opt_date(value: object, field: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return as_date(value, field)


def not_future(book: Book, day: dt.date, field: str) -> None:
    if day > book.today():
        raise ValidationError(f"{day.isoformat()} 晚于今天（{book.today().isoformat()}），不能登记未来的日期", field=field)


def text(value: object, field: str, *, max_len: int, required: bool = False) -> str:
    """Trimmed single-line text; whitespace runs collapsed (文号 typed twice must compare equal)."""
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value or ""))).strip()
    if required and not s:
        raise ValidationError("不能为空", field=field)
    if len(s) > max_len:
        raise ValidationError(f"不能超过 {max_len} 个字符", field=field)
    if not s.isprintable():
        raise ValidationError("不能含控制字符", field=field)
    return s


def amount(value: object, field: str = "金额") -> int:
    """Money arguments are int 分 (> 0); the UI parses typed text with money.parse first."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"应为整数“分”，收到 {type(value).__name__}", field=field)
    if value <= 0:
        raise ValidationError("必须大于零", field=field)
    from app.models.values.money import MAX_FEN

    if value > MAX_FEN:
        raise ValidationError("超过上限 999,999,999,999.99 元", field=field)
    return value


def open_day(book: Book, day: dt.date, field: str) -> None:
    """Friendly refusal for a date in a signed-off month (the trigger still guards raw SQL)."""
    periods.require_open(book, day, field=field)


def month_text(value: str, *, field: str = "月份") -> str:
    y, m = periods.parse_month(value, field=field)
    return f"{y:04d}-{m:02d}"
