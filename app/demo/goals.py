"""The demo county's 绩效目标 templates: a plausible set of indicators per project category (data only)."""

from __future__ import annotations

Goal = tuple[str, str, str, str, str, str]  # level1, level2, name, comparator, target, unit

COMMON: list[Goal] = [
    ("output", "timeliness", "项目按期完工率", ">=", "100", "%"),
    ("benefit", "sustainable", "工程设计使用年限", ">=", "10", "年"),
    ("satisfaction", "beneficiary", "受益群众满意度", ">=", "90", "%"),
]
BY_CATEGORY: dict[str, list[Goal]] = {
    "industry": [
        ("output", "quantity", "新建标准化养殖圈舍", ">=", "60", "座"),
        ("output", "cost", "每座圈舍补助标准", "<=", "3", "万元"),
        ("benefit", "economic", "带动脱贫户年人均增收", ">=", "1500", "元"),
        ("benefit", "social", "带动脱贫户（监测户）户数", ">=", "120", "户"),
    ],
    "employment": [
        ("output", "quantity", "开展职业技能培训", ">=", "800", "人次"),
        ("output", "quality", "培训合格率", ">=", "90", "%"),
        ("benefit", "economic", "培训后务工人员月均收入", ">=", "3000", "元"),
        ("benefit", "social", "实现转移就业人数", ">=", "500", "人"),
    ],
    "infrastructure": [
        ("output", "quantity", "硬化村组道路", ">=", "12", "公里"),
        ("output", "quality", "工程验收合格率", "=", "100", "%"),
        ("output", "cost", "每公里建设成本", "<=", "45", "万元"),
        ("benefit", "social", "改善出行条件受益人口", ">=", "2600", "人"),
    ],
    "three_guarantees": [
        ("output", "quantity", "改造农村危房", ">=", "35", "户"),
        ("output", "quality", "改造后住房安全鉴定达标率", "=", "100", "%"),
        ("benefit", "social", "住房安全有保障户数", ">=", "35", "户"),
    ],
    "relocation_followup": [
        ("output", "quantity", "安置区配套扶贫车间", ">=", "2", "个"),
        ("benefit", "economic", "搬迁群众就近就业月均收入", ">=", "2500", "元"),
        ("benefit", "social", "搬迁群众就近就业人数", ">=", "150", "人"),
    ],
    "management_fee": [
        ("output", "quantity", "完成项目前期设计评审", ">=", "30", "个"),
        ("output", "cost", "管理费占中央专项扶贫资金比例", "<=", "1", "%"),
        ("benefit", "social", "项目验收合格率", ">=", "95", "%"),
    ],
    "other": [
        ("output", "quantity", "受益农户", ">=", "200", "户"),
        ("benefit", "economic", "受益户户均增收", ">=", "800", "元"),
    ],
}


def goals_for(category: str) -> list[Goal]:
    """The template of a category, then the goals every project carries (time, sustainability, satisfaction)."""
    return BY_CATEGORY.get(category, BY_CATEGORY["other"]) + COMMON
