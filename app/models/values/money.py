"""Money as an integer number of 分 (fen): parsing, display, 大写 and ratios — never a float."""

from __future__ import annotations

import re
from decimal import Decimal

from app.models.values.errors import ValidationError

MAX_FEN = 99_999_999_999_999
"""The largest amount the app accepts: 999,999,999,999.99 元 (spec §2)."""

_MAX_YUAN = Decimal("999999999999.99")
_OVER_LIMIT = "超过上限 999,999,999,999.99 元"

# Full-width digits, comma, point, minus and space → half-width, so IME input parses.
_HALFWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}
_HALFWIDTH.update({0xFF0C: ord(","), 0xFF0E: ord("."), 0xFF0D: ord("-"), 0x3000: ord(" ")})

_NUMBER = re.compile(r"(?P<int>\d+|\d{1,3}(?:,\d{3})+)?(?:\.(?P<frac>\d+))?", re.ASCII)
_LOOSE = re.compile(r"[\d,]*(?:\.[\d,]+)?", re.ASCII)

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿")


def _shown(text: str) -> str:
    """Echo user input back in a message without flooding the dialog."""
    text = text.strip()
    return text if len(text) <= 30 else text[:30] + "…"


def parse(
    text: str,
    *,
    field: str = "金额",
    allow_zero: bool = True,
    allow_negative: bool = False,
) -> int:
    """Turn what a clerk typed into fen, or say in Chinese which field is wrong and why."""
    if not isinstance(text, str):
        raise TypeError(f"money.parse expects str, got {type(text).__name__}")
    s = text.translate(_HALFWIDTH).strip()
    if not s:
        raise ValidationError("不能为空", field=field)
    sign = ""
    if s.startswith("-"):
        sign, s = "-", s[1:].lstrip()
    if s[:1] in ("¥", "￥"):
        s = s[1:].lstrip()
        if not sign and s.startswith("-"):
            sign, s = "-", s[1:].lstrip()
    if s.endswith("元"):
        s = s[:-1].rstrip()
    match = _NUMBER.fullmatch(s)
    if match is None or not (match["int"] or match["frac"]):
        bare = s.replace(",", "")
        if "," in s and _LOOSE.fullmatch(s) and _NUMBER.fullmatch(bare) and bare.strip("."):
            raise ValidationError(f"千分位分隔符位置不正确：{_shown(text)}", field=field)
        raise ValidationError(f"不是有效的金额：{_shown(text)}", field=field)
    frac = match["frac"] or ""
    if len(frac) > 2:
        # Even "1.000" is refused: it may be a mistyped 1,000 — a thousandfold error.
        raise ValidationError("最多两位小数", field=field)
    whole = (match["int"] or "0").replace(",", "")
    amount = Decimal(f"{sign}{whole}.{frac or '0'}")
    return yuan_to_fen(amount, field=field, allow_zero=allow_zero, allow_negative=allow_negative)


def yuan_to_fen(
    amount: Decimal | int,
    *,
    field: str = "金额",
    allow_zero: bool = True,
    allow_negative: bool = False,
) -> int:
    """Convert an exact yuan value (e.g. a spreadsheet cell) to fen, with the same checks as parse."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"yuan_to_fen expects Decimal or int, got {type(amount).__name__}")
    d = Decimal(amount)
    if not d.is_finite():
        raise ValidationError(f"不是有效的金额：{d}", field=field)
    negative, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # finite, so never 'n', 'N' or 'F'
    below_fen = min(len(digits), -2 - exponent)
    if below_fen > 0 and any(digits[len(digits) - below_fen :]):
        raise ValidationError("最多两位小数", field=field)
    if d < 0 and not allow_negative:
        raise ValidationError("不能为负数", field=field)
    if d == 0:
        if not allow_zero:
            raise ValidationError("必须大于零", field=field)
        return 0
    if abs(d) > _MAX_YUAN:
        raise ValidationError(_OVER_LIMIT, field=field)
    magnitude = int("".join(map(str, digits)))
    shift = exponent + 2
    fen = magnitude * 10**shift if shift >= 0 else magnitude // 10**-shift
    return -fen if negative else fen


def _check_int(fen: int) -> None:
    """Refuse floats and bools early: they are the bugs this module exists to prevent."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be int, got {type(fen).__name__}")


def format(fen: int) -> str:  # noqa: A001 - the module is used as money.format
    """Display fen as the bureau writes amounts: 1,234,567.89 and -1,234.00."""
    _check_int(fen)
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan:,}.{cents:02d}"


def to_yuan(fen: int) -> Decimal:
    """Exact yuan value for number cells (openpyxl) — built from the string, so never rounded."""
    _check_int(fen)
    return Decimal(f"{fen}E-2")


def _integer_daxie(yuan: int) -> str:
    """Write a whole number of yuan (< 1 万亿) in 大写, one 零 for each run of inner zeros."""
    digits = str(yuan)
    out: list[str] = []
    pending_zero = False
    for index, char in enumerate(digits):
        position = len(digits) - 1 - index
        value = int(char)
        if value == 0:
            pending_zero = True
        else:
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(_DIGITS[value] + _SMALL_UNITS[position % 4])
        if position % 4 == 0 and position > 0:
            group = digits[max(0, index - 3) : index + 1]
            if int(group):
                out.append(_BIG_UNITS[position // 4])
    return "".join(out)


def daxie(fen: int) -> str:
    """Chinese uppercase amount for payment forms, per 会计基础工作规范 (整 when there is no 分)."""
    _check_int(fen)
    if abs(fen) > MAX_FEN:
        raise ValueError(f"amount out of range for 大写: {fen}")
    prefix = "负" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    parts = [prefix]
    if yuan:
        parts.append(_integer_daxie(yuan) + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    if fen_digit:
        if yuan and not jiao:
            parts.append("零")
        parts.append(_DIGITS[fen_digit] + "分")
    else:
        parts.append("整")
    return "".join(parts)


def ratio_percent(num: int, den: int) -> str:
    """Share as a percentage with two decimals, half-up; "—" when there is nothing to divide by."""
    _check_int(num)
    _check_int(den)
    if den == 0:
        return "—"
    negative = (num < 0) != (den < 0)
    hundredths, remainder = divmod(abs(num) * 10_000, abs(den))
    if 2 * remainder >= abs(den):  # ROUND_HALF_UP: ties go away from zero
        hundredths += 1
    value = Decimal(f"{'-' if negative and hundredths else ''}{hundredths}E-2")
    return f"{value}%"
