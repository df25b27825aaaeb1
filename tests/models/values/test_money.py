"""Money is exact fen: parsing accepts what clerks type and refuses everything ambiguous."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.values import money
from app.models.values.errors import ValidationError

valid_fen = st.integers(min_value=-money.MAX_FEN, max_value=money.MAX_FEN)
positive_fen = st.integers(min_value=0, max_value=money.MAX_FEN)


# --- parse: accepted forms -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234567.89", 123456789),
        ("1,234,567.89", 123456789),
        ("1234", 123400),
        (" 12.5 ", 1250),
        ("１２３４．５", 123450),
        ("１，２３４", 123400),
        ("¥1,234.56", 123456),
        ("￥88", 8800),
        ("88元", 8800),
        ("￥ 1,000.00 元", 100000),
        ("\u3000７．０５\u3000", 705),
        ("0", 0),
        ("0.01", 1),
        ("0.1", 10),
        ("007", 700),
        ("999,999,999,999.99", money.MAX_FEN),
        ("999999999999.99", money.MAX_FEN),
    ],
)
def test_parse_accepts(text: str, fen: int) -> None:
    assert money.parse(text) == fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("-1,234.00", -123400), ("－５", -500), ("-¥3", -300), ("¥-3.5", -350), ("-0", 0)],
)
def test_parse_negative_when_allowed(text: str, fen: int) -> None:
    assert money.parse(text, allow_negative=True) == fen


def test_parse_negative_zero_is_zero_not_negative() -> None:
    assert money.parse("-0.00") == 0


# --- parse: rejections name the field and the reason -----------------------------------


def _rejects(text: str, reason: str, *, allow_zero: bool = True, allow_negative: bool = False) -> None:
    with pytest.raises(ValidationError) as info:
        money.parse(text, field="拨付金额", allow_zero=allow_zero, allow_negative=allow_negative)
    assert info.value.field == "拨付金额"
    assert "拨付金额" in str(info.value)
    assert reason in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_rejects_empty(text: str) -> None:
    _rejects(text, "不能为空")


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "12a",
        "1e5",
        "1E5",
        "1.5e3",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "Infinity",
        "12.",
        "1..2",
        "1.2.3",
        "¥",
        "元",
        "-",
        "+5",
        "1 234",
        "12,34.5x",
        "0x10",
        "--5",
        "¥¥5",
        "5元元",
        ",",
    ],
)
def test_rejects_not_a_number(text: str) -> None:
    _rejects(text, "不是有效的金额", allow_negative=True)


def test_not_a_number_message_quotes_the_input() -> None:
    _rejects("1e5", "不是有效的金额：1e5")


@pytest.mark.parametrize("text", ["1,23,4", "1234,567", ",123", "1,,234", "12,3456", "1,234.5,6", "1,2345.00"])
def test_rejects_misplaced_thousands_separators(text: str) -> None:
    _rejects(text, "千分位分隔符位置不正确")


@pytest.mark.parametrize("text", ["1.234", "0.001", "1.000", "1,234.567", "１．２３４"])
def test_rejects_more_than_two_decimals(text: str) -> None:
    _rejects(text, "最多两位小数")


@pytest.mark.parametrize("text", ["-1", "-0.01", "－１", "¥-5"])
def test_rejects_negative_by_default(text: str) -> None:
    _rejects(text, "不能为负数")


@pytest.mark.parametrize("text", ["0", "0.00", "-0", "¥0元"])
def test_rejects_zero_when_not_allowed(text: str) -> None:
    _rejects(text, "必须大于零", allow_zero=False)


@pytest.mark.parametrize("text", ["1000000000000", "1,000,000,000,000.00", "1000000000000.01", "9" * 13, "1" * 5000])
def test_rejects_over_limit(text: str) -> None:
    _rejects(text, "超过上限 999,999,999,999.99 元")


def test_rejects_negative_over_limit_when_negatives_allowed() -> None:
    _rejects("-1000000000000", "超过上限", allow_negative=True)


def test_limit_is_inclusive() -> None:
    assert money.parse("999999999999.99") == money.MAX_FEN
    assert money.parse("-999999999999.99", allow_negative=True) == -money.MAX_FEN
    _rejects("1000000000000.00", "超过上限")


@pytest.mark.parametrize("value", [123, 12.5, None, b"12"])
def test_parse_takes_only_text(value: object) -> None:
    with pytest.raises(TypeError):
        money.parse(value)  # type: ignore[arg-type]


# --- yuan_to_fen -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (Decimal("12.34"), 1234),
        (Decimal("1.230"), 123),
        (Decimal("1E+2"), 10000),
        (7, 700),
        (Decimal("-0"), 0),
        (Decimal("0.10"), 10),
    ],
)
def test_yuan_to_fen(value: Decimal | int, fen: int) -> None:
    assert money.yuan_to_fen(value) == fen


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (Decimal("NaN"), "不是有效的金额"),
        (Decimal("Infinity"), "不是有效的金额"),
        (Decimal(1.1), "最多两位小数"),
        (Decimal("1E-1000000"), "最多两位小数"),
        (Decimal("-5"), "不能为负数"),
        (Decimal("1E+1000"), "超过上限"),
        (Decimal("1000000000000"), "超过上限"),
    ],
)
def test_yuan_to_fen_rejects(value: Decimal, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        money.yuan_to_fen(value, field="单元格")
    assert info.value.field == "单元格"
    assert reason in str(info.value)


def test_yuan_to_fen_refuses_floats() -> None:
    with pytest.raises(TypeError):
        money.yuan_to_fen(1.5)  # type: ignore[arg-type]


# --- format / to_yuan / round trips --------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (-1, "-0.01"),
        (123400, "1,234.00"),
        (-123400, "-1,234.00"),
        (123456789, "1,234,567.89"),
        (100000, "1,000.00"),
        (99999, "999.99"),
        (money.MAX_FEN, "999,999,999,999.99"),
    ],
)
def test_format(fen: int, text: str) -> None:
    assert money.format(fen) == text


@given(valid_fen)
def test_parse_format_round_trip(fen: int) -> None:
    assert money.parse(money.format(fen), allow_negative=True) == fen


@given(positive_fen)
def test_parse_unseparated_round_trip(fen: int) -> None:
    assert money.parse(money.format(fen).replace(",", "")) == fen


@given(valid_fen)
def test_to_yuan_is_exact(fen: int) -> None:
    yuan = money.to_yuan(fen)
    assert isinstance(yuan, Decimal)
    assert yuan * 100 == fen
    assert yuan.as_tuple().exponent == -2
    assert money.yuan_to_fen(yuan, allow_negative=True) == fen


@pytest.mark.parametrize("bad", [1.5, True, "12", None])
def test_format_refuses_non_int(bad: object) -> None:
    with pytest.raises(TypeError):
        money.format(bad)  # type: ignore[arg-type]


# --- daxie -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (10, "壹角整"),
        (15, "壹角伍分"),
        (100, "壹元整"),
        (1010, "壹拾元壹角整"),
        (1050, "壹拾元伍角整"),
        (1005, "壹拾元零伍分"),
        (10000, "壹佰元整"),
        (100500, "壹仟零伍元整"),
        (140950, "壹仟肆佰零玖元伍角整"),  # 会计基础工作规范 example ¥1,409.50
        (600714, "陆仟零柒元壹角肆分"),  # 规范 example ¥6,007.14
        (168032, "壹仟陆佰捌拾元叁角贰分"),  # 规范 example ¥1,680.32 (form without 零)
        (10700053, "壹拾万零柒仟元伍角叁分"),  # 规范 example ¥107,000.53 (second form)
        (2000000, "贰万元整"),
        (10000000, "壹拾万元整"),
        (10000001, "壹拾万元零壹分"),
        (123456789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (12345678912, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        (10000000000, "壹亿元整"),
        (10001000000, "壹亿零壹万元整"),
        (10010000000, "壹亿零壹拾万元整"),
        (10000010000, "壹亿零壹佰元整"),
        (100001000000, "壹拾亿零壹万元整"),
        (
            money.MAX_FEN,
            "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
        (-123400, "负壹仟贰佰叁拾肆元整"),
        (-5, "负伍分"),
    ],
)
def test_daxie_vectors(fen: int, words: str) -> None:
    assert money.daxie(fen) == words


_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _decode_integer(words: str) -> int:
    """Independent reader of 大写 whole numbers, to check daxie is unambiguous."""
    total = section = digit = 0
    for char in words:
        if char in _DIGIT:
            digit = _DIGIT[char]
        elif char in _UNIT:
            section += digit * _UNIT[char]
            digit = 0
        else:
            total += (section + digit) * {"万": 10**4, "亿": 10**8}[char]
            section = digit = 0
    return total + section + digit


def _decode(words: str) -> int:
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负")
    yuan_words, _, rest = words.rpartition("元")
    fen = _decode_integer(yuan_words) * 100
    rest = rest.removesuffix("整").removeprefix("零")
    if "角" in rest:
        jiao, _, rest = rest.partition("角")
        fen += _DIGIT[jiao] * 10
    if rest:
        assert rest.endswith("分") and len(rest) == 2, rest
        fen += _DIGIT[rest[0]]
    return sign * fen


@given(valid_fen)
def test_daxie_reads_back(fen: int) -> None:
    assert _decode(money.daxie(fen)) == fen


@given(valid_fen)
def test_daxie_shape(fen: int) -> None:
    words = money.daxie(fen)
    assert "零零" not in words
    assert not words.endswith("零")
    assert words.endswith("整") == (fen % 10 == 0)
    assert words.endswith("分") == (fen % 10 != 0)
    assert ("元" in words) == (abs(fen) >= 100 or fen == 0)
    assert not words.removeprefix("负").startswith("零") or fen == 0
    assert not set(words) & set("0123456789一二三四五六七八九十百千")


def test_daxie_out_of_range() -> None:
    with pytest.raises(ValueError):
        money.daxie(money.MAX_FEN + 1)


# --- ratio_percent ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "den", "text"),
    [
        (1, 3, "33.33%"),
        (2, 3, "66.67%"),
        (1, 8, "12.50%"),
        (0, 5, "0.00%"),
        (5, 5, "100.00%"),
        (3, 2, "150.00%"),
        (1, 0, "—"),
        (0, 0, "—"),
        (-1, 8, "-12.50%"),
        (1, 80000, "0.00%"),
        (1, 40000, "0.00%"),
        (1, 20000, "0.01%"),
        (-1, 20000, "-0.01%"),
        (1, 200, "0.50%"),
        (123456789, 1000000000, "12.35%"),
    ],
)
def test_ratio_percent(num: int, den: int, text: str) -> None:
    assert money.ratio_percent(num, den) == text


@given(st.integers(min_value=0, max_value=money.MAX_FEN), st.integers(min_value=1, max_value=money.MAX_FEN))
def test_ratio_percent_matches_decimal_half_up(num: int, den: int) -> None:
    with localcontext() as ctx:
        ctx.prec = 60
        expected = (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert money.ratio_percent(num, den) == f"{expected}%"
