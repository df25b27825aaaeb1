"""What differs between two rule sets, item by item: what `fundledger rules diff A B` prints and what
docs/规则集.md explains. Coded lists (kinds, usages, deadlines, warnings …) are matched by code, so a renamed
fund kind shows as one changed name, not as one removed and one added entry."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.models.rules.schema import RuleSet

# Sections whose changes say nothing about policy (where the file came from, its hash).
_SKIP = {"source", "file_hash"}
# Chinese names of the top-level sections, for the printed report.
SECTION_NAMES = {
    "meta": "基本信息", "kinds": "资金类别", "usage_categories": "支出用途", "usage_exceptions": "用途例外",
    "source_levels": "资金级次", "levels": "层级", "events": "时限事件", "deadlines": "下达时限", "payment": "支付",
    "ratios": "比例", "spending": "支出进度", "notices": "公告公示", "project_categories": "项目类别",
    "construction_types": "建设性质", "asset_types": "资产类型", "project_statuses": "项目状态",
    "performance": "绩效目标", "warnings": "预警", "warning_statuses": "预警处理状态", "reporting": "月报",
    "limits": "其他限制", "roles": "角色", "backups": "备份", "functional_codes": "支出功能分类科目",
    "fundraising": "筹集与分配", "labels": "名称", "duties": "公示义务", "claims": "虚报冒领比对",
    "notice_order": "事前公示", "reports": "月报表名称",
}
# Ratios repeats the five payment ratios of its list as fields: compare the list only.
_RATIO_FIELDS = {"prepayment", "infra_prepayment", "management_fee", "labour_share", "retention"}


@dataclass(frozen=True)
class Difference:
    path: str  # key path as in the file, e.g. kinds[ZX].usage
    a: str  # the value in A ("" when absent)
    b: str  # the value in B ("" when absent)

    @property
    def section(self) -> str:
        top = self.path.split(".")[0].split("[")[0]
        return SECTION_NAMES.get(top, top)

    def text(self) -> str:
        if not self.a:
            return f"{self.path}：B 新增 {self.b}"
        if not self.b:
            return f"{self.path}：B 中没有（A 为 {self.a}）"
        return f"{self.path}：A {self.a} → B {self.b}"


def _shown(value: Any) -> str:
    if value is None:
        return "未设定"
    if isinstance(value, Fraction):
        return f"{float(value) * 100:g}%"
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return "[" + "、".join(value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if dataclasses.is_dataclass(value):
        code = getattr(value, "code", None)
        name = (getattr(value, "name", None) or getattr(getattr(value, "ratio", None), "name", None)
                or getattr(value, "label", None) or getattr(value, "text", None))
        return f"{code} {name}".strip() if code is not None else str(name or value)
    return str(value)


def _coded(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and all(
        dataclasses.is_dataclass(v) and hasattr(v, "code") for v in value)


def _walk(path: str, a: Any, b: Any) -> Iterator[Difference]:
    if a == b:
        return
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b) and type(a) is type(b):
        for f in dataclasses.fields(a):
            if f.name in _SKIP or not f.init or f.name.startswith("_"):
                continue
            if type(a).__name__ == "Ratios" and f.name in _RATIO_FIELDS:
                continue
            yield from _walk(f"{path}.{f.name}" if path else f.name, getattr(a, f.name), getattr(b, f.name))
        return
    if _coded(a) or _coded(b):
        left = {v.code: v for v in (a or ())}
        right = {v.code: v for v in (b or ())}
        for code in [*left, *(c for c in right if c not in left)]:
            where = f"{path}[{code}]"
            if code not in right:
                yield Difference(where, _shown(left[code]), "")
            elif code not in left:
                yield Difference(where, "", _shown(right[code]))
            else:
                yield from _walk(where, left[code], right[code])
        return
    if isinstance(a, tuple) and isinstance(b, tuple) and all(isinstance(v, str) for v in (*a, *b)):
        gone, new = [v for v in a if v not in b], [v for v in b if v not in a]
        if gone or new:
            parts = ([f"去掉 {'、'.join(gone)}"] if gone else []) + ([f"增加 {'、'.join(new)}"] if new else [])
            yield Difference(path, _shown(a), _shown(b) + f"（{'；'.join(parts)}）")
        else:
            yield Difference(path, _shown(a), _shown(b) + "（顺序不同）")
        return
    yield Difference(path, _shown(a), _shown(b))


def diff(a: RuleSet, b: RuleSet) -> list[Difference]:
    """Every difference from A to B, in the order of the file's sections."""
    return list(_walk("", a, b))
