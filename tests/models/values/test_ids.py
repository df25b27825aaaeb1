"""ID numbers block saving when wrong; USCC check failures only warn; masks never leak."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.models.values import ids
from app.models.values.errors import ValidationError

TODAY = dt.date(2024, 6, 15)

# Check characters worked out independently with the MOD 11-2 definition (see _iso7064_ok).
VALID_IDS = [
    "34052419800101001X",
    "11010519491231002X",
    "440524198001010013",
    "650102199001011239",
    "510108197810304419",
]


def _iso7064_ok(number: str) -> bool:
    """MOD 11-2 defined directly (Σ aᵢ·2^(18−i) ≡ 1 mod 11), independent of the weight table."""
    values = [10 if c == "X" else int(c) for c in number]
    return sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11 == 1


def _gb32100_ok(code: str) -> bool:
    """GB 32100 defined directly: Σ cᵢ·3^(i−1) + c₁₈ ≡ 0 mod 31."""
    values = [ids.USCC_ALPHABET.index(c) for c in code]
    return (sum(v * pow(3, i, 31) for i, v in enumerate(values[:17])) + values[17]) % 31 == 0


births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
regions = st.text(alphabet="0123456789", min_size=6, max_size=6)
sequences = st.text(alphabet="0123456789", min_size=3, max_size=3)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    body = draw(regions) + draw(births).strftime("%Y%m%d") + draw(sequences)
    return body + ids.id_check_char(body)


uscc_bodies = st.text(alphabet=ids.USCC_ALPHABET, min_size=17, max_size=17)


def _id_rejects(text: str, reason: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        ids.check_id_number(text, field="户主身份证号", today=TODAY)
    assert info.value.field == "户主身份证号"
    assert "户主身份证号" in str(info.value)
    assert reason in str(info.value)
    return info.value


# --- 公民身份号码 -----------------------------------------------------------------------------


def test_spec_example_check_char() -> None:
    assert ids.id_check_char("34052419800101001") == "X"


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_ids(number: str) -> None:
    assert ids.check_id_number(number, today=TODAY) == number
    assert ids.is_valid_id_number(number)
    assert _iso7064_ok(number)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("34052419800101001x", "34052419800101001X"),
        ("３４０５２４１９８００１０１００１Ｘ", "34052419800101001X"),
        ("３４０５２４１９８００１０１００１ｘ", "34052419800101001X"),
        (" 340524 19800101 001X\t", "34052419800101001X"),
        ("\u3000440524198001010013\u3000", "440524198001010013"),
    ],
)
def test_normalized_forms_accepted(text: str, normalized: str) -> None:
    assert ids.check_id_number(text, today=TODAY) == normalized


def test_normalize() -> None:
    assert ids.normalize(" ａｂ１２ x\u3000") == "AB12X"


@pytest.mark.parametrize(
    "number", ["340524198001010011", "340524198001010010", "110105194912310021", "440524198001010014"]
)
def test_wrong_check_char_names_the_right_one(number: str) -> None:
    expected = ids.id_check_char(number[:17])
    _id_rejects(number, f"校验码错误，应为 {expected}")


@pytest.mark.parametrize(
    ("text", "actual"),
    [("34052419800101001", 17), ("34052419800101001X0", 19), ("1", 1), ("340524800101001", 15)],
)
def test_wrong_length(text: str, actual: int) -> None:
    _id_rejects(text, f"应为18位，实际{actual}位")


def test_empty_id() -> None:
    _id_rejects("  ", "不能为空")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3405241980A101001X", "第11位「A」应为数字"),
        ("X40524198001010010", "第1位「X」应为数字"),
        ("34052419800101001Y", "第18位「Y」应为数字或 X"),
        ("3405241980010100-X", "第17位「-」应为数字"),
        ("34052419800101\u066301X", "第15位「\u0663」应为数字"),
    ],
)
def test_bad_characters(text: str, reason: str) -> None:
    _id_rejects(text, reason)


def _with_date(date_text: str) -> str:
    body = "340524" + date_text + "001"
    return body + ids.id_check_char(body)


@pytest.mark.parametrize(
    ("date_text", "reason"),
    [
        ("19800230", "出生日期 19800230 不是有效日期"),
        ("19810229", "出生日期 19810229 不是有效日期"),
        ("19801301", "不是有效日期"),
        ("19800100", "不是有效日期"),
        ("00000000", "不是有效日期"),
        ("18991231", "出生日期 18991231 早于 1900 年"),
        ("20240616", "出生日期 20240616 晚于今天"),
        ("29990101", "晚于今天"),
    ],
)
def test_impossible_birth_dates(date_text: str, reason: str) -> None:
    _id_rejects(_with_date(date_text), reason)


def test_edge_birth_dates_accepted() -> None:
    for date_text in ("19000101", "20000229", "20240615"):
        assert ids.check_id_number(_with_date(date_text), today=TODAY)


def test_future_relative_to_real_today() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert not ids.is_valid_id_number(_with_date(tomorrow.strftime("%Y%m%d")))


def test_birth_date() -> None:
    assert ids.birth_date("11010519491231002x") == dt.date(1949, 12, 31)
    with pytest.raises(ValidationError):
        ids.birth_date("110105194912310021")


def test_is_valid_id_number_false_cases() -> None:
    assert not ids.is_valid_id_number("")
    assert not ids.is_valid_id_number("340524198001010011")
    assert not ids.is_valid_id_number(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", ["1234", "3405241980010100A", "340524198001010011"])
def test_id_check_char_rejects_bad_bodies(body: str) -> None:
    with pytest.raises(ValueError):
        ids.id_check_char(body)


@given(id_numbers())
def test_generated_ids_valid_and_satisfy_iso7064(number: str) -> None:
    assert _iso7064_ok(number)
    assert ids.check_id_number(number.lower(), today=TODAY) == number
    assert ids.birth_date(number) == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_substitution_is_refused(number: str, position: int, char: str) -> None:
    assume(number[position] != char)
    changed = number[:position] + char + number[position + 1 :]
    assert not ids.is_valid_id_number(changed)


@given(id_numbers(), st.integers(min_value=0, max_value=16))
def test_adjacent_transposition_is_refused(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not ids.is_valid_id_number(swapped)


# --- 统一社会信用代码 --------------------------------------------------------------------------


def test_uscc_spec_example() -> None:
    assert ids.uscc_check_char("91350100M000100Y4") == "3"
    assert ids.check_uscc("91350100M000100Y43") == ("91350100M000100Y43", True)
    assert _gb32100_ok("91350100M000100Y43")


@pytest.mark.parametrize("code", ["91350100M000100Y40", "91350100M000100Y4Y"])
def test_uscc_bad_check_is_a_warning_not_an_error(code: str) -> None:
    assert ids.check_uscc(code) == (code, False)


def test_uscc_normalized() -> None:
    assert ids.check_uscc(" ９１３５０１００m０００１００y４３ ") == ("91350100M000100Y43", True)


def _uscc_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        ids.check_uscc(text, field="收款单位代码")
    assert info.value.field == "收款单位代码"
    assert "收款单位代码" in str(info.value)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("text", "actual"),
    [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("913501", 6)],
)
def test_uscc_bad_length(text: str, actual: int) -> None:
    _uscc_rejects(text, f"应为18位，实际{actual}位")


def test_uscc_empty() -> None:
    _uscc_rejects("", "不能为空")


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "-", "*"])
def test_uscc_forbidden_characters(bad: str) -> None:
    code = "91350100M000100Y4" + bad
    _uscc_rejects(code, f"第18位「{bad}」不是允许的字符")
    _uscc_rejects(bad + code[1:], f"第1位「{bad}」不是允许的字符")


@given(uscc_bodies)
def test_uscc_check_char_satisfies_gb32100(body: str) -> None:
    code = body + ids.uscc_check_char(body)
    assert _gb32100_ok(code)
    assert ids.check_uscc(code.lower()) == (code, True)


@given(uscc_bodies, st.sampled_from(ids.USCC_ALPHABET))
def test_uscc_wrong_check_is_flagged(body: str, char: str) -> None:
    assume(char != ids.uscc_check_char(body))
    assert ids.check_uscc(body + char) == (body + char, False)


def test_uscc_check_char_rejects_bad_body() -> None:
    with pytest.raises(ValueError):
        ids.uscc_check_char("91350100M000100YI")


# --- masking --------------------------------------------------------------------------------


def test_mask_id_examples() -> None:
    assert ids.mask_id("650102199001011234") == "650102********1234"
    assert ids.mask_id(" 6501０２199001011234 ") == "650102********1234"
    assert ids.mask_id("34052419800101001x") == "340524********001X"
    assert ids.mask_id("650102199001011234", "hidden") == ""
    assert ids.mask_id("") == ""
    assert ids.mask_id("650102800101123") == "*" * 15
    with pytest.raises(ValueError):
        ids.mask_id("650102199001011234", "full")


def test_mask_account_examples() -> None:
    assert ids.mask_account("6222 0212 3456 5678") == "****5678"
    assert ids.mask_account("") == ""
    assert ids.mask_account("   ") == ""
    assert ids.mask_account("5678") == "****"
    assert ids.mask_account("12345678") == "****5678"


def _shown(masked: str) -> str:
    return "".join(c for c in masked if c != "*")


@given(id_numbers())
def test_mask_id_shows_exactly_first6_last4(number: str) -> None:
    masked = ids.mask_id(number)
    assert masked == number[:6] + "********" + number[-4:]
    assert number[6:14] not in masked
    assert ids.mask_id(number, "hidden") == ""


@given(st.text(max_size=40))
def test_mask_id_never_leaks_more_than_ten(text: str) -> None:
    masked = ids.mask_id(text)
    shown = _shown(masked)
    assert len(shown) <= 10
    value = ids.normalize(text)
    if shown:
        assert masked.startswith(value[:6]) and masked.endswith(value[-4:])
        assert len(value) == 18


@given(st.text(max_size=40))
def test_mask_account_never_leaks_more_than_four(text: str) -> None:
    masked = ids.mask_account(text)
    value = ids.normalize(text)
    assert len(_shown(masked)) <= 4
    assert masked in ("", "****", "****" + value[-4:])
    assert (masked == "") == (value == "")
