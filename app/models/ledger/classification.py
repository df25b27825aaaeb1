"""功能科目 and 经济分类 as data: the curated 2019 government classification in resources/classification.

Indicators (指标) and payments name one code of each; a new entry is checked against this list (old rows keep
whatever they hold: the field is optional on an indicator, and nothing already saved is rewritten).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app import resources
from app.models.values.errors import AppError, ValidationError

FILE = "gov-2019.toml"
FUNCTIONAL_LENGTHS = (3, 5, 7)
ECONOMIC_LENGTHS = (3, 5)


@dataclass(frozen=True)
class Classification:
    edition: str
    source: str
    functional: dict[str, str]  # code → name, in file order
    economic: dict[str, str]

    def functional_name(self, code: str) -> str:
        return self.functional.get(code, "")

    def economic_name(self, code: str) -> str:
        return self.economic.get(code, "")

    def label(self, code: str, *, economic: bool = False) -> str:
        """“2130505 生产发展”; a code not in the list as it is (old data)."""
        name = (self.economic if economic else self.functional).get(code, "")
        return f"{code} {name}".strip() if code else ""


def _codes(doc: dict[str, object], key: str, lengths: tuple[int, ...], path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    rows = doc.get(key)
    if not isinstance(rows, list) or not rows:
        raise AppError(f"{path.name}：缺少 [[{key}]]")
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or set(row) != {"code", "name"}:
            raise AppError(f"{path.name}：[[{key}]] 第 {n} 项应只有 code 和 name 两个键")
        code, name = row["code"], row["name"]
        if not (isinstance(code, str) and code.isascii() and code.isdigit() and len(code) in lengths):
            raise AppError(f"{path.name}：[[{key}]] 第 {n} 项的 code 应为 {'、'.join(map(str, lengths))} 位数字，"
                           f"实际为 {code!r}")
        if not (isinstance(name, str) and name.strip()):
            raise AppError(f"{path.name}：[[{key}]] 第 {n} 项（{code}）缺少名称")
        if code in out:
            raise AppError(f"{path.name}：[[{key}]] 科目 {code} 重复")
        if len(code) > 3 and code[:-2] not in out:
            raise AppError(f"{path.name}：[[{key}]] 科目 {code} 的上级科目 {code[:-2]} 不在它之前")
        out[code] = name.strip()
    return out


def load_from(path: Path) -> Classification:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AppError(f"{path.name}：无法读取（{exc}）") from None
    meta = doc.get("meta")
    if not isinstance(meta, dict) or meta.get("format") != 1:
        raise AppError(f"{path.name}：[meta] format 应为 1")
    return Classification(str(meta.get("edition", "")), str(meta.get("source", "")),
                          _codes(doc, "functional", FUNCTIONAL_LENGTHS, path),
                          _codes(doc, "economic", ECONOMIC_LENGTHS, path))


@functools.lru_cache(maxsize=2)
def _cached(path: str) -> Classification:
    return load_from(Path(path))


def load() -> Classification:
    """The shipped list (resources/classification/gov-2019.toml), read once per process."""
    return _cached(str(resources.resources_dir() / "classification" / FILE))


def check_functional(code: str, *, required: bool = False, field: str = "功能科目") -> str:
    """A 功能科目 code from the list ('' allowed unless required), or a message naming the field."""
    return _check(code, field, load().functional, FUNCTIONAL_LENGTHS, "2130505", required)


def check_economic(code: str, *, required: bool = False, field: str = "经济分类") -> str:
    """An 经济分类 code from the list ('' allowed unless required)."""
    return _check(code, field, load().economic, ECONOMIC_LENGTHS, "30905 或 50302", required)


def _check(code: str, field: str, known: dict[str, str], lengths: tuple[int, ...], example: str,
           required: bool) -> str:
    kind = "经济分类" if known is load().economic else "功能科目"
    value = (code or "").strip().split(" ")[0]
    if not value:
        if required:
            raise ValidationError("不能为空", field=field)
        return ""
    if not (value.isascii() and value.isdigit() and len(value) in lengths):
        raise ValidationError(f"“{value}”应为 {'、'.join(map(str, lengths))} 位数字的科目编码（如 {example}）", field=field)
    if value not in known:
        raise ValidationError(f"“{value}”不在《2019年政府收支分类科目》本程序收录的{kind}中"
                              f"（resources/classification/{FILE}）", field=field)
    return value
