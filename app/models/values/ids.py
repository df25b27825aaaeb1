"""公民身份号码 and 统一社会信用代码: validation, check characters and masking (DOMAIN §2)."""

from __future__ import annotations

import datetime as dt

from app.models.values.errors import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DECIMAL = "0123456789"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100 code characters: digits and upper-case letters without I, O, S, V, Z."""
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Full-width ASCII block (！..～) → ASCII, and the ideographic space → a space.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = ord(" ")


def normalize(text: str) -> str:
    """Canonical form of a typed or pasted code: no whitespace, half-width, upper-case."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return "".join(text.translate(_HALFWIDTH).split()).upper()


def id_check_char(body17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of an ID number."""
    if len(body17) != 17 or any(c not in _DECIMAL for c in body17):
        raise ValueError(f"ID body must be 17 digits: {body17!r}")
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth(number: str, field: str, today: dt.date | None) -> dt.date:
    """Positions 7–14 must be a real date between 1900-01-01 and today."""
    text = number[6:14]
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValidationError(f"出生日期 {text} 不是有效日期", field=field) from None
    if born.year < 1900:
        raise ValidationError(f"出生日期 {text} 早于 1900 年", field=field)
    if born > (today or dt.date.today()):
        raise ValidationError(f"出生日期 {text} 晚于今天", field=field)
    return born


def check_id_number(text: str, *, field: str = "身份证号", today: dt.date | None = None) -> str:
    """Return the normalized 18-char number, or say precisely why it cannot be saved."""
    number = normalize(text)
    if not number:
        raise ValidationError("不能为空", field=field)
    if len(number) != 18:
        raise ValidationError(f"应为18位，实际{len(number)}位", field=field)
    for position, char in enumerate(number[:17], start=1):
        if char not in _DECIMAL:
            raise ValidationError(f"第{position}位「{char}」应为数字", field=field)
    if number[17] not in _DECIMAL + "X":
        raise ValidationError(f"第18位「{number[17]}」应为数字或 X", field=field)
    _birth(number, field, today)
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(f"校验码错误，应为 {expected}", field=field)
    return number


def is_valid_id_number(text: str) -> bool:
    """True when check_id_number would accept the text (for filters and quick checks)."""
    if not isinstance(text, str):
        return False
    try:
        check_id_number(text)
    except ValidationError:
        return False
    return True


def birth_date(id_number: str, *, field: str = "身份证号") -> dt.date:
    """Birth date of a valid ID number (age rules); invalid numbers raise like check_id_number."""
    return _birth(check_id_number(id_number, field=field), field, None)


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character for the first 17 characters of a 统一社会信用代码."""
    if len(body17) != 17 or any(c not in USCC_ALPHABET for c in body17):
        raise ValueError(f"USCC body must be 17 code characters: {body17!r}")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(text: str, *, field: str = "统一社会信用代码") -> tuple[str, bool]:
    """Reject malformed codes; report a failed check character as False (a warning, not a block)."""
    code = normalize(text)
    if not code:
        raise ValidationError("不能为空", field=field)
    if len(code) != 18:
        raise ValidationError(f"应为18位，实际{len(code)}位", field=field)
    for position, char in enumerate(code, start=1):
        if char not in USCC_ALPHABET:
            raise ValidationError(
                f"第{position}位「{char}」不是允许的字符（只用数字和除 I、O、S、V、Z 外的大写字母）",
                field=field,
            )
    return code, code[17] == uscc_check_char(code[:17])


def mask_id(number: str, mode: str = "partial") -> str:
    """Public form of an ID number: first 6 + 8 asterisks + last 4, or nothing (privacy, §2)."""
    if mode == "hidden":
        return ""
    if mode != "partial":
        raise ValueError(f"unknown mask mode: {mode!r}")
    value = normalize(number)
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    # Unknown layout (old 15-digit or malformed): show no characters at all.
    return "*" * len(value)


def mask_account(account: str) -> str:
    """Public form of a bank account: at most the last 4, and none of a short account."""
    value = normalize(account)
    if not value:
        return ""
    return "****" + value[-4:] if len(value) >= 8 else "****"
