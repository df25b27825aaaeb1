"""A realistic, internally consistent October package for a county bureau, built by hand.

Amounts are integer 分. The derived figures a ledger would give (期末结余, 可支出资金, 本月收入 …)
are worked out here the way the data layer must, so the untouched package passes every
cross-check and each test can break exactly one thing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.reports.package_data import PackageData, SignOff, WarningRecord

W = 100  # 元 → 分 for whole-yuan figures below

# (kind_code, kind_name, item_code, item_name, plan,
#  本月到位 (中央, 自治区, 地州, 县本级), 累计到位 (中央, 自治区, 地州, 县本级),
#  年初结余, 本月支出, 累计支出, 国库支付数(累计), 质保金, 债券 (到位, 已支出, 超3个月未支出))
FUNDS: list[tuple[Any, ...]] = [
    ("ZX", "财政专项扶贫资金", "ZX01", "扶贫发展资金", 45_000_000 * W,
     (3_000_000 * W, 1_200_000 * W, 0, 500_000 * W), (30_000_000 * W, 9_000_000 * W, 800_000 * W, 2_000_000 * W),
     1_523_456_78, 4_210_345_67, 33_456_789_01, 33_456_789_01, 0, (0, 0, 0)),
    ("ZX", "财政专项扶贫资金", "ZX02", "以工代赈资金", 8_000_000 * W,
     (0, 500_000 * W, 0, 0), (5_000_000 * W, 2_000_000 * W, 0, 0),
     200_000 * W, 987_654_32, 6_100_000 * W, 6_050_000 * W, 0, (0, 0, 0)),
    ("ZX", "财政专项扶贫资金", "ZX03", "少数民族发展资金", 3_000_000 * W,
     (0, 0, 0, 0), (2_400_000 * W, 600_000 * W, 0, 0),
     0, 150_000 * W, 2_780_000_50, 2_780_000_50, 0, (0, 0, 0)),
    ("ZH", "涉农整合扶贫资金", "ZH01", "农业生产发展资金", 20_000_000 * W,
     (2_000_000 * W, 0, 0, 0), (16_000_000 * W, 2_000_000 * W, 0, 0),
     3_000_000 * W, 2_500_000 * W, 17_800_000 * W, 17_800_000 * W, 540_000 * W, (0, 0, 0)),
    ("ZH", "涉农整合扶贫资金", "ZH02", "农村综合改革转移支付", 5_000_000 * W,
     (0, 0, 0, 0), (3_500_000 * W, 500_000 * W, 0, 300_000 * W),
     0, 0, 3_200_000 * W, 3_200_000 * W, 0, (0, 0, 0)),
    ("ZQ", "地方政府债券用于扶贫的资金", "ZQ01", "2026年脱贫攻坚债券（第一批）", 30_000_000 * W,
     (0, 0, 0, 0), (0, 30_000_000 * W, 0, 0),
     0, 5_000_000 * W, 24_000_000 * W, 24_000_000 * W, 0, (30_000_000 * W, 24_000_000 * W, 2_000_000 * W)),
    ("DD", "贫困人口脱贫兜底专项基金", "DD00", "贫困人口脱贫兜底专项基金", 1_500_000 * W,
     (0, 0, 0, 0), (0, 1_500_000 * W, 0, 0),
     0, 120_000 * W, 1_380_000 * W, 1_380_000 * W, 0, (0, 0, 0)),
]  # fmt: skip

ELAPSED, PACE = 304, 304  # 1 Jan – 31 Oct 2026: the period ends on the 31 October deadline


def fund_rows() -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    t1, t3, t4 = [], [], []
    for kc, kn, ic, iname, plan, mon, cum, opening, spend_m, spend_c, treasury, retention, bond in FUNDS:
        names = {"kind_code": kc, "kind_name": kn, "item_code": ic, "item_name": iname}
        t1.append({**names, "plan": plan,
                   **dict(zip(("month_central", "month_region", "month_prefecture", "month_county"), mon, strict=True)),
                   **dict(zip(("cum_central", "cum_region", "cum_prefecture", "cum_county"), cum, strict=True))})
        income_m, income_c = sum(mon), sum(cum)
        t3.append({**names, "opening": opening, "income_month": income_m, "income_cum": income_c,
                   "spend_month": spend_m, "spend_cum": spend_c, "closing": opening + income_c - spend_c,
                   "treasury_paid_cum": treasury, "func_codes": "2130505 生产发展"})
        carry_spent = min(spend_c, opening)  # 先支结转、后支当年
        t4.append({**names, "available": opening + income_c, "spent_cum": spend_c, "elapsed_days": ELAPSED,
                   "pace_days": PACE, "bond_received": bond[0], "bond_spent": bond[1], "bond_idle": bond[2],
                   "retention": retention, "carry_available": opening, "carry_spent": carry_spent,
                   "current_available": income_c, "current_spent": spend_c - carry_spent,
                   "idle_1y": opening - carry_spent, "idle_2y": 0})
    return t1, t3, t4


INDICATORS = [  # 文号, 资金类别, 来源级次, 金额(元), 上级发文, 本级收到, 已分配(元), 下达/分配, 用时, 时限, 超时
    ("新财农〔2025〕88号", "财政专项扶贫资金/扶贫发展资金", "中央", 20_000_000, "2025-11-20", "2025-12-02", 20_000_000,
     "2026-01-08", "37个自然日", "30个自然日", True),
    ("新财农〔2026〕12号", "财政专项扶贫资金/扶贫发展资金", "中央", 10_000_000, "2026-03-10", "2026-03-16", 10_000_000,
     "2026-04-02", "17个自然日", "30个自然日", False),
    ("新财农〔2026〕15号", "财政专项扶贫资金/扶贫发展资金", "自治区", 9_000_000, "2026-03-20", "2026-03-27", 8_500_000,
     None, "未分配完毕", "30个自然日", True),
    ("喀地财农〔2026〕31号", "财政专项扶贫资金/扶贫发展资金", "地州", 800_000, "2026-09-25", "2026-09-29", 800_000,
     "2026-10-10", "11个自然日", "30个自然日", False),
    ("新财农〔2026〕20号", "财政专项扶贫资金/以工代赈资金", "中央", 5_000_000, "2026-04-01", "2026-04-07", 5_000_000,
     "2026-04-28", "21个自然日", "30个自然日", False),
    ("新财农〔2026〕21号", "财政专项扶贫资金/以工代赈资金", "自治区", 2_000_000, "2026-04-15", "2026-04-20", 2_000_000,
     "2026-05-12", "22个自然日", "30个自然日", False),
    ("新财农〔2026〕22号", "财政专项扶贫资金/少数民族发展资金", "中央", 2_400_000, "2026-05-06", "2026-05-11",
     2_400_000, "2026-05-29", "18个自然日", "30个自然日", False),
    ("新财农〔2026〕23号", "财政专项扶贫资金/少数民族发展资金", "自治区", 600_000, "2026-05-06", "2026-05-11",
     600_000, "2026-05-29", "18个自然日", "30个自然日", False),
    ("新财农〔2026〕40号", "涉农整合扶贫资金/农业生产发展资金", "中央", 16_000_000, "2026-02-26", "2026-03-04",
     16_000_000, "2026-03-30", "26个自然日", "30个自然日", False),
    ("新财农〔2026〕41号", "涉农整合扶贫资金/农业生产发展资金", "自治区", 2_000_000, "2026-06-10", "2026-06-15",
     2_000_000, "2026-07-03", "18个自然日", "30个自然日", False),
    ("新财农〔2026〕50号", "涉农整合扶贫资金/农村综合改革转移支付", "中央", 3_500_000, "2026-05-20", "2026-05-26",
     3_500_000, "2026-06-19", "24个自然日", "30个自然日", False),
    ("新财农〔2026〕51号", "涉农整合扶贫资金/农村综合改革转移支付", "自治区", 500_000, "2026-07-01", "2026-07-06",
     500_000, "2026-07-24", "18个自然日", "30个自然日", False),
    ("新财债〔2026〕5号", "地方政府债券用于扶贫的资金", "自治区", 30_000_000, "2026-04-22", "2026-04-24", 30_000_000,
     "2026-04-28", "2个工作日", "3个工作日", False),
    ("新财社〔2026〕9号", "贫困人口脱贫兜底专项基金", "自治区", 1_500_000, "2026-02-10", "2026-02-14", 1_500_000,
     "2026-03-02", "16个自然日", "30个自然日", False),
]  # fmt: skip


def indicator_rows() -> list[dict[str, object]]:
    rows = []
    for no, kind, level, amount, upper, received, allocated, issued, used, limit, overdue in INDICATORS:
        rows.append({"doc_no": no, "kind_name": kind, "source_level": level, "amount": amount * W,
                     "upper_doc_date": dt.date.fromisoformat(upper), "received_on": dt.date.fromisoformat(received),
                     "allocated": allocated * W, "issued_on": dt.date.fromisoformat(issued) if issued else None,
                     "days_used": used, "limit": limit, "overdue": overdue,
                     "stages": f"县：{'逾期' if overdue else '按时'}", "late_stages": "县" if overdue else "无"})  # fmt: skip
    return rows


PROJECTS = [  # 编号, 名称, 类别, 计划, 本月笔数, 本月支付, 累计支付, 预付款累计, 退回笔数, 退回原因
    ("XM2026-001", "阿克苏乡村道路硬化工程", "乡村建设/基础设施", 8_000_000_00, 2, 3_500_000_00, 6_400_000_00,
     2_400_000_00, 0, ""),
    ("XM2026-002", "林果业提质增效项目", "产业发展", 4_200_000_00, 3, 1_698_000_00, 3_900_000_00, 0, 1,
     "实名制发放名册合计与支付金额不符"),
    ("XM2026-003", "以工代赈水渠修复工程", "乡村建设/基础设施", 6_500_000_00, 1, 987_654_32, 6_100_000_00,
     1_950_000_00, 0, ""),
    ("XM2026-004", "脱贫户小额信贷贴息", "产业发展", 1_800_000_00, 1, 150_000_00, 1_780_000_50, 0, 0, ""),
    ("XM2026-005", "2026年债券安置区配套基础设施", "易地搬迁后续帮扶", 30_000_000_00, 2, 5_000_000_00,
     24_000_000_00, 9_000_000_00, 0, ""),
    ("XM2026-006", "兜底保障临时救助", "其他", 1_500_000_00, 4, 120_000_00, 1_380_000_00, 0, 0, ""),
    ("XM2026-007", "设施农业大棚建设项目", "产业发展", 9_000_000_00, 2, 1_512_345_67, 7_000_000_00, 0, 2,
     "超出项目计划金额；收款账户非最终收款人"),
]  # fmt: skip


def project_rows() -> list[dict[str, object]]:
    keys = ("project_no", "project_name", "category", "planned", "pay_count_month", "paid_month", "paid_cum",
            "prepaid_cum", "returned_month", "return_reasons")  # fmt: skip
    return [dict(zip(keys, p, strict=True)) | {"func_codes": "2130505", "econ_codes": "30905"} for p in PROJECTS]


NOTICES = [  # 层级, 类别, 应公示, 已公示, 实名制发放笔数, 已实名公示笔数, 群众反映, 已处理
    ("县级", "资金分配结果", 14, 14, 0, 0, 1, 1),
    ("县级", "年度项目计划", 7, 7, 0, 0, 2, 2),
    ("乡级", "项目安排和资金使用情况", 12, 11, 0, 0, 3, 2),
    ("村级", "项目安排和资金使用情况", 38, 35, 0, 0, 5, 4),
    ("村级", "实名制发放名单", 0, 0, 1_286, 1_250, 2, 2),
]


def notice_rows() -> list[dict[str, object]]:
    keys = ("level", "kind", "required", "published", "realname_payments", "realname_published", "complaints",
            "handled")  # fmt: skip
    return [dict(zip(keys, n, strict=True)) for n in NOTICES]


WARNING_NAMES = {"W1": "指标分配下达超时", "W2": "项目绩效目标填写不规范", "W3": "违规支付和使用财政扶贫资金",
                 "W4": "超标列支项目管理费", "W5": "支出进度滞后", "W6": "资金闲置", "W7": "公告公示缺失",
                 "W8": "专账对账不符", "W9": "月报逾期"}  # fmt: skip

WARNINGS = [  # id, code, detected, status, amount (分)
    (101, "W1", "2026-01-09", "rectified", 20_000_000_00),
    (102, "W1", "2026-10-12", "new", 500_000_00),
    (103, "W2", "2026-06-03", "rectified", 0),
    (104, "W3", "2026-08-19", "rectifying", 86_400_00),
    (105, "W3", "2026-10-08", "new", 1_512_345_67),
    (106, "W3", "2026-10-21", "rectifying", 42_000_00),
    (107, "W5", "2026-10-31", "new", 3_200_000_00),
    (108, "W6", "2026-07-15", "rectified", 500_000_00),
    (109, "W7", "2026-09-02", "rectified", 0),
    (110, "W7", "2026-10-16", "rectifying", 0),
    (111, "W8", "2026-10-05", "rectifying", 50_000_00),
]
PERIOD = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def warning_records() -> list[WarningRecord]:
    return [WarningRecord(i, code, dt.date.fromisoformat(day)) for i, code, day, _, _ in WARNINGS]


def warning_rows() -> list[dict[str, object]]:
    rows = []
    for code, name in WARNING_NAMES.items():
        mine = [w for w in WARNINGS if w[1] == code]
        new = [w for w in mine if dt.date.fromisoformat(w[2]) >= PERIOD[0]]
        status = [w[3] for w in mine]
        rows.append({"code": code, "name": name, "new_month": len(new), "amount": sum(w[4] for w in new),
                     "cum_count": len(mine), "rectified": status.count("rectified"),
                     "rectifying": status.count("rectifying"), "unrectified": status.count("new"),
                     "arose_month": len(new), "arose_cum": len(mine), "found_later": 0})  # fmt: skip
    return rows


def performance_rows() -> list[dict[str, object]]:
    return [
        {"project_no": "XM2026-001", "project_name": "阿克苏乡村道路硬化工程", "goals_set": True,
         "goals_with_funds": True, "indicator_count": 8, "monitored_month": 8, "deviations": 0,
         "corrective": "", "self_eval": "年中自评 92 分", "flag": ""},
        {"project_no": "XM2026-002", "project_name": "林果业提质增效项目", "goals_set": True,
         "goals_with_funds": True, "indicator_count": 9, "monitored_month": 9, "deviations": 2,
         "corrective": "调整技术培训安排，增加入户指导频次", "self_eval": "", "flag": ""},
        {"project_no": "XM2026-003", "project_name": "以工代赈水渠修复工程", "goals_set": True,
         "goals_with_funds": False, "indicator_count": 6, "monitored_month": 5, "deviations": 1,
         "corrective": "劳务报酬发放进度滞后，已督促实施单位按月发放", "self_eval": "",
         "flag": "1 个指标本月未监控"},
        {"project_no": "XM2026-007", "project_name": "设施农业大棚建设项目", "goals_set": False,
         "goals_with_funds": False, "indicator_count": 0, "monitored_month": 0, "deviations": 0,
         "corrective": "", "self_eval": "", "flag": "未编制绩效目标"},
    ]  # fmt: skip


def problem_rows() -> list[dict[str, object]]:
    return [
        {"found_on": dt.date(2026, 10, 8), "problem_type": "违规支付", "warning_id": 105,
         "description": "设施农业大棚建设项目支付超出项目计划中该指标安排的金额", "project": "设施农业大棚建设项目",
         "amount": 1_512_345_67, "section": "农业股", "measures": "退回超付部分，重新履行审核程序",
         "deadline": dt.date(2026, 11, 30), "status": "未整改", "flag": ""},
        {"found_on": dt.date(2026, 10, 21), "problem_type": "违规支付", "warning_id": 106,
         "description": "收款账户 6228480012345678901 为乡镇财政所账户，非最终收款人", "project": "林果业提质增效项目",
         "amount": 42_000_00, "section": "扶贫资金管理股", "measures": "追回资金，改为直接支付至农户",
         "deadline": dt.date(2026, 11, 15), "status": "整改中", "flag": ""},
        {"found_on": dt.date(2026, 10, 5), "problem_type": "专账对账不符", "warning_id": 111,
         "description": "以工代赈资金专账累计支出与国库支付数相差 50,000.00 元", "project": "",
         "amount": 50_000_00, "section": "国库股", "measures": "逐笔核对支付凭证",
         "deadline": dt.date(2026, 11, 10), "status": "整改中", "flag": ""},
        {"found_on": dt.date(2026, 9, 18), "problem_type": "公告公示不规范", "warning_id": None,
         "description": "个别村公示栏未标注监督电话 12317", "project": "", "amount": None,
         "section": "扶贫资金管理股", "measures": "补充公示内容并拍照留存", "deadline": dt.date(2026, 10, 10),
         "status": "已整改", "flag": ""},
    ]  # fmt: skip


SIGNOFF = SignOff(chief="艾力·买买提", reviewer="王建华", preparer="李娜", signed_at=dt.datetime(2026, 11, 20, 10, 30, 0),
                  comment="同意报送")


def make_package(*, signed: bool = True, **changes: object) -> PackageData:
    t1, t3, t4 = fund_rows()
    rows: dict[str, list[dict[str, object]]] = {
        "fund_receipts": t1, "indicators": indicator_rows(), "ledger_balances": t3, "spending_progress": t4,
        "project_payments": project_rows(), "notices": notice_rows(), "warning_summary": warning_rows(),
        "performance": performance_rows(), "problems": problem_rows(),
    }  # fmt: skip
    fields: dict[str, Any] = {
        "bureau": "示例县财政局", "month": "2026-10", "period_start": PERIOD[0], "period_end": PERIOD[1],
        "version": 1, "rows": rows, "bureau_level": "county",
        "signoff": SIGNOFF if signed else SignOff(reviewer="王建华", preparer="李娜"),
        "warnings": warning_records(), "audit_head": (4821, "9f2c" * 16),
    }  # fmt: skip
    fields.update(changes)
    return PackageData(**fields)


def many_projects(n: int) -> list[dict[str, object]]:
    """`n` projects for a long 表5 (several printed pages); its totals no longer match 表3 — layout tests only."""
    rows = []
    for i in range(1, n + 1):
        planned = (500_000 + 7_919 * i) * W + i % 100
        rows.append({"project_no": f"XM2026-{i:04d}", "project_name": f"第{i}号村产业发展项目（庭院经济）",
                     "category": "产业发展", "planned": planned, "pay_count_month": i % 4,
                     "paid_month": (i % 4) * 12_345_67, "paid_cum": planned // 2, "prepaid_cum": planned // 10,
                     "returned_month": int(i % 3 == 0), "return_reasons": "附件不全" if i % 3 == 0 else "",
                     "func_codes": "2130505", "econ_codes": "30905"})  # fmt: skip
    return rows


def with_rows(package: PackageData, source: str, rows: list[dict[str, object]]) -> PackageData:
    """The same package with one row source replaced."""
    import dataclasses

    return dataclasses.replace(package, rows={**package.rows, source: rows})
