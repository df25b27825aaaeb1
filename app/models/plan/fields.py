"""The fields of a plan project (DOMAIN §4.0): Chinese labels and one cleaner per field.

The same cleaners serve the editor, the API and the .xlsx import, so a value is refused with the same
Chinese message whichever way it arrives. Codes come from the rule set; names are accepted too.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from app.models.store.book import Book
from app.models.values import money, workdays
from app.models.values.errors import ValidationError

LABELS: dict[str, str] = {
    "code": "项目编号", "year": "年度", "name": "项目名称", "category": "项目类别", "construction_type": "建设性质",
    "township": "乡镇", "village": "村", "content": "建设任务", "subsidy_standard": "补助标准",
    "start_date": "开工日期", "end_date": "完工日期", "implementer": "实施单位", "responsible": "责任人",
    "perf_goals": "绩效目标", "mechanism": "带贫减贫机制", "households": "受益户数", "persons": "受益人数",
    "poor_households": "其中脱贫户/监测户数", "poor_persons": "其中脱贫/监测人数", "infrastructure": "基础建设类",
    "work_relief": "以工代赈项目", "contract_amount": "合同金额", "retention_bp": "质保金比例",
    "bond_item": "申报债券项目", "asset_type": "资产类型", "usage_exception_doc": "例外使用决定文号", "note": "备注",
}
REQUIRED = ("code", "year", "name", "category", "construction_type", "township", "content", "start_date", "end_date",
            "implementer", "responsible", "asset_type")
DEFAULTS: dict[str, Any] = {
    "village": "", "subsidy_standard": "", "perf_goals": "", "mechanism": "", "households": 0, "persons": 0,
    "poor_households": 0, "poor_persons": 0, "infrastructure": 0, "work_relief": 0, "contract_amount": 0,
    "retention_bp": 0, "bond_item": None, "usage_exception_doc": "", "note": "",
}
_TEXT_LIMITS = {"code": 40, "name": 120, "township": 40, "village": 40, "content": 1000, "subsidy_standard": 200,
                "implementer": 100, "responsible": 40, "perf_goals": 1000, "mechanism": 1000,
                "usage_exception_doc": 80, "note": 500}
_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", ""}


def text(value: object, field: str, *, max_len: int, required: bool = False, multiline: bool = False) -> str:
    """Trimmed text; single-line fields have whitespace runs collapsed. Control characters are refused."""
    raw = unicodedata.normalize("NFC", "" if value is None else str(value))
    s = raw.strip() if multiline else re.sub(r"\s+", " ", raw).strip()
    if required and not s:
        raise ValidationError("不能为空", field=field)
    if len(s) > max_len:
        raise ValidationError(f"不能超过 {max_len} 个字符（现有 {len(s)} 个）", field=field)
    if any(not c.isprintable() and c not in "\n\t" for c in s):
        raise ValidationError("不能含控制字符", field=field)
    return s


def as_date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or not str(value).strip():
        raise ValidationError("不能为空", field=field)
    return workdays.parse_date(str(value), field)


def as_int(value: object, field: str, *, lo: int = 0, hi: int = 10_000_000) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise ValidationError("应为整数", field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        text_value = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if not re.fullmatch(r"-?\d+", text_value):
            raise ValidationError(f"“{value}”不是整数", field=field)
        value = int(text_value)
    if not lo <= value <= hi:
        raise ValidationError(f"应在 {lo}～{hi} 之间（收到 {value}）", field=field)
    return value


def as_flag(value: object, field: str) -> int:
    if isinstance(value, bool) or value in (0, 1):
        return int(bool(value))
    s = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip().lower()
    if s in _YES:
        return 1
    if s in _NO:
        return 0
    raise ValidationError(f"应填“是”或“否”（收到“{value}”）", field=field)


def as_fen(value: object, field: str, *, allow_zero: bool = True) -> int:
    """int is already 分 (the API); text and spreadsheet numbers are 元 (typed by people)."""
    if isinstance(value, bool):
        raise ValidationError("不是有效的金额", field=field)
    if isinstance(value, int):
        if value < 0 or (value == 0 and not allow_zero) or value > money.MAX_FEN:
            raise ValidationError("必须大于零" if value <= 0 else "超过上限 999,999,999,999.99 元", field=field)
        return value
    if isinstance(value, (float, Decimal)):
        return money.yuan_to_fen(Decimal(str(value)), field=field, allow_zero=allow_zero)
    if value is None or not str(value).strip():
        if allow_zero:
            return 0
        raise ValidationError("不能为空", field=field)
    return money.parse(str(value), field=field, allow_zero=allow_zero)


def yuan_cell(value: object, field: str, *, allow_zero: bool = True) -> int:
    """A spreadsheet cell in 元 — an int there is 元, not 分."""
    if isinstance(value, int) and not isinstance(value, bool):
        return money.yuan_to_fen(value, field=field, allow_zero=allow_zero)
    return as_fen(value, field, allow_zero=allow_zero)


def as_percent_bp(value: object, field: str) -> int:
    """质保金比例: an int is 万分之 (API); text like "3"/"3%"/"2.5" is a percentage."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 10000:
            raise ValidationError("应在 0～100% 之间", field=field)
        return value
    s = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip().rstrip("%").strip()
    if not s:
        return 0
    try:
        number = Decimal(s)
    except InvalidOperation:
        raise ValidationError(f"“{value}”不是百分比（如 3 或 3%）", field=field) from None
    bp = number * 100
    if not number.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= 10000:
        raise ValidationError("应为 0～100 之间、最多两位小数的百分比", field=field)
    return int(bp)


def _coded(entries: tuple[Any, ...], value: object, field: str) -> str:
    """A rule-set code, given as its code or its Chinese name."""
    s = text(value, field, max_len=60, required=True)
    for e in entries:
        if s in (e.code, e.name):
            return str(e.code)
    names = "、".join(e.name for e in entries)
    raise ValidationError(f"“{s}”不在规则集的清单中，应为 {names} 之一", field=field)


def _bond_item(book: Book, value: object, field: str) -> str | None:
    s = text(value, field, max_len=40)
    if not s:
        return None
    row = book.conn.execute("SELECT code, kind, name FROM fund_items WHERE code = ? OR name = ?", (s, s)).fetchone()
    if row is None:
        raise ValidationError(f"资金目录中没有“{s}”（应为债券资金项目代码，如 ZQ2026-01）", field=field)
    if not book.rules.is_bond(row["kind"], row["code"]):
        raise ValidationError(f"“{row['code']} {row['name']}”不是债券资金项目", field=field)
    return str(row["code"])


def _cleaners(book: Book) -> dict[str, Callable[[object, str], Any]]:
    r = book.rules
    return {
        "year": lambda v, f: as_int(v, f, lo=2000, hi=2100),
        "category": lambda v, f: _coded(r.project_categories, v, f),
        "construction_type": lambda v, f: _coded(r.construction_types, v, f),
        "asset_type": lambda v, f: _coded(r.asset_types, v, f),
        "start_date": as_date, "end_date": as_date,
        "households": as_int, "persons": as_int, "poor_households": as_int, "poor_persons": as_int,
        "infrastructure": as_flag, "work_relief": as_flag,
        "contract_amount": as_fen, "retention_bp": as_percent_bp,
        "bond_item": lambda v, f: _bond_item(book, v, f),
    }


def clean(book: Book, raw: Mapping[str, object], *, base: Mapping[str, Any] | None = None,
          ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Every field cleaned; returns (values, [(field label, reason)]). `base` fills keys not given."""
    values: dict[str, Any] = dict(DEFAULTS) | dict(base or {})
    errors: list[tuple[str, str]] = []
    unknown = [k for k in raw if k not in LABELS]
    if unknown:
        raise ValueError(f"unknown project fields: {unknown}")
    cleaners = _cleaners(book)
    for key, label in LABELS.items():
        if key not in raw:
            if key in REQUIRED and key not in values:
                errors.append((label, "不能为空"))
            continue
        try:
            if key in cleaners:
                if key in REQUIRED and (raw[key] is None or str(raw[key]).strip() == ""):
                    raise ValidationError("不能为空", field=label)
                values[key] = cleaners[key](raw[key], label)
            else:
                values[key] = text(raw[key], label, max_len=_TEXT_LIMITS[key], required=key in REQUIRED,
                                   multiline=key in ("content", "perf_goals", "mechanism", "note"))
        except ValidationError as exc:
            errors.append((label, exc.message))
    errors += _cross_checks(book, values, {label for label, _ in errors})
    return values, errors


def _cross_checks(book: Book, v: dict[str, Any], bad: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    L = LABELS
    if not {L["start_date"], L["end_date"]} & bad and "start_date" in v and "end_date" in v:
        if v["start_date"] > v["end_date"]:
            out.append((L["end_date"], f"{v['end_date']} 早于开工日期 {v['start_date']}"))
    for part, whole in (("poor_households", "households"), ("poor_persons", "persons")):
        if not {L[part], L[whole]} & bad and v[part] > v[whole]:
            out.append((L[part], f"{v[part]} 大于{L[whole]} {v[whole]}"))
    if L["retention_bp"] not in bad:
        year = v.get("year")  # the project's own fiscal year's limit
        ratio = (book.rules_for(int(year)) if isinstance(year, int) else book.rules).ratios.retention
        if ratio.breached(v["retention_bp"], 10000):
            out.append((L["retention_bp"], f"{v['retention_bp'] / 100:g}% 超过规则集的{ratio.name}上限 "
                                           f"{percent(ratio.value)}（{ratio.base}）"))
    return out


def percent(value: Fraction) -> str:
    """A rule-set ratio as people write it: 0.3 → 30%, 0.015 → 1.5%."""
    hundred = value * 100
    return f"{float(hundred):g}%" if hundred.denominator != 1 else f"{hundred.numerator}%"


def first_error(errors: list[tuple[str, str]]) -> ValidationError:
    label, reason = errors[0]
    more = f"（另有 {len(errors) - 1} 处问题）" if len(errors) > 1 else ""
    return ValidationError(reason + more, field=label)


def to_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as stored: dates as ISO text."""
    out = {}
    for key in LABELS:
        value = values.get(key)
        out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out
