"""The shipped rule set pins the policy's numbers; a broken rule file is a clear Chinese error."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from app.models.rules import load as rules
from app.models.rules.load import RuleSet, RuleSetError
from app.models.values.errors import AppError, NotFound
from app.resources import resources_dir

SHIPPED = resources_dir() / "rules" / "xj-2019.toml"


@pytest.fixture(scope="module")
def rs() -> RuleSet:
    return rules.load()


# ───────────── the shipped file ─────────────


def test_default_rule_set_is_the_shipped_file_and_is_cached(rs: RuleSet) -> None:
    assert rules.load() is rs
    assert rs.source == "xj-2019.toml"
    assert (rs.meta.id, rs.meta.basis, rs.meta.effective) == ("xj-2019", "新财脱贫组〔2019〕2号", date(2019, 5, 22))


def test_named_rule_sets_come_from_resources(rs: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules.load_named(rules.DEFAULT_ID) is rs
    assert (rs.id, rs.name) == ("xj-2019", rs.meta.name)
    with pytest.raises(RuleSetError, match="规则集编号无效"):
        rules.load_named("../xj-2019")
    with pytest.raises(RuleSetError, match="找不到文件"):
        rules.load_named("xj-1999")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "xj-2099.toml").write_bytes(SHIPPED.read_bytes())  # xj-2021 ships now (issue 17)
    monkeypatch.setattr("app.resources.resources_dir", lambda: tmp_path)
    with pytest.raises(RuleSetError) as info:
        rules.load_named("xj-2099")
    assert info.value.key == "meta.id" and "应与文件名一致（xj-2099）" in info.value.reason


def test_loading_a_path_reads_that_file_afresh(rs: RuleSet, tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_bytes(SHIPPED.read_bytes())
    loaded = rules.load(copy)
    assert loaded is not rs
    assert loaded.source == "copy.toml"
    assert loaded.deadlines == rs.deadlines and loaded.kinds == rs.kinds


def test_fund_catalogue(rs: RuleSet) -> None:
    assert [k.code for k in rs.kinds] == ["ZX", "ZH", "YD", "ZQ", "QT", "DD", "YB"]
    assert [(i.code, i.name) for i in rs.kind("ZX").items] == [
        ("ZX01", "扶贫发展资金"),
        ("ZX02", "以工代赈资金"),
        ("ZX03", "少数民族发展资金"),
        ("ZX04", "国有贫困农场扶贫资金"),
        ("ZX05", "国有贫困牧场扶贫资金"),
        ("ZX06", "国有贫困林场扶贫资金"),
    ]
    assert [i.name for i in rs.kind("YD").items] == ["中央预算内投资", "地方政府债券", "其他"]
    assert {k.code for k in rs.kinds if k.items_editable} == {"ZH", "ZQ", "QT"}
    for code in ("DD", "YB"):
        kind = rs.kind(code)
        assert [i.name for i in kind.items] == [kind.name]
    assert rs.item("ZX02").kind == "ZX"
    assert rs.is_bond("ZQ") and rs.is_bond("YD", "YD02")
    assert not rs.is_bond("YD", "YD01") and not rs.is_bond("ZX", "ZX01")
    assert [s.name for s in rs.source_levels] == ["中央", "自治区", "地（州、市）", "县（市、区）本级"]
    assert [lv.code for lv in rs.levels if lv.bureau] == ["prefecture", "county"]


def test_unknown_codes_are_not_found(rs: RuleSet) -> None:
    for lookup in (rs.kind, rs.item, rs.deadline, rs.payment_kind, rs.role, rs.warning, rs.usage_category):
        with pytest.raises(NotFound):
            lookup("NOPE")


# ───────────── usage lists §三(一) ─────────────


def test_zx_negative_list(rs: RuleSet) -> None:
    assert not rs.usage_allowed("ZX", "admin_basic")
    assert rs.usage_allowed("ZX", "industry")
    assert rs.usage_allowed("ZX", "household_subsidy")
    for usage in ("vehicles_comms", "bonuses", "enterprise_losses", "office_buildings", "staff_housing"):
        assert not rs.usage_allowed("ZX", usage)
    for usage in ("budget_gap", "debt_repayment", "large_capital_construction", "urban", "unrelated"):
        assert not rs.usage_allowed("ZX", usage)


def test_yd_and_zq_positive_lists(rs: RuleSet) -> None:
    assert {u.name for u in rs.allowed_usages("YD")} == {
        "建档立卡搬迁人口住房建设",
        "安置区内配套基础设施建设",
        "安置区公共服务建设",
    }
    assert {u.name for u in rs.allowed_usages("ZQ")} == {"基础设施建设", "污染防治", "乡村振兴", "生态环保", "农村公路"}
    assert not rs.usage_allowed("ZQ", "bonuses") and not rs.usage_allowed("YD", "industry")


def test_zh_negative_list_and_its_exception(rs: RuleSet) -> None:
    for usage in ("village_public_facilities", "medical_security", "insurance", "admin_other", "large_infrastructure"):
        assert not rs.usage_allowed("ZH", usage)
        assert rs.usage_allowed("ZX", usage) is (usage != "large_infrastructure")  # ZX's list is shorter
    assert rs.usage_allowed("ZH", "industry")
    for usage in ("rural_environment", "non_poor_village"):
        assert not rs.usage_allowed("ZH", usage)
        assert rs.usage_allowed("ZH", usage, zh_exception=True)
    assert not rs.usage_allowed("ZH", "bonuses", zh_exception=True)  # the exception unlocks only its two uses
    (exception,) = rs.usage_exceptions
    assert exception.kind == "ZH" and exception.requires_decision


def test_qt_follows_zx_and_every_kind_can_pay_something_legal(rs: RuleSet) -> None:
    assert rs.allowed_usages("QT") == rs.allowed_usages("ZX")
    assert not rs.usage_allowed("DD", "unrelated") and not rs.usage_allowed("YB", "unrelated")
    assert rs.usage_allowed("YB", "medical_security")
    for kind in rs.kinds:
        assert rs.allowed_usages(kind.code)


# ───────────── deadlines §二(一) ─────────────

DOMAIN_DEADLINES = [
    # code, kind, items, responsible level, days, day type
    ("zx_region", "ZX", (), "region", 30, "calendar"),
    ("zx_prefecture", "ZX", (), "prefecture", 5, "working"),
    ("zh_region", "ZH", (), "region", 30, "calendar"),
    ("zh_prefecture", "ZH", (), "prefecture", 5, "working"),
    ("yd_region_central", "YD", ("YD01",), "region", 30, "calendar"),
    ("yd_region_bond", "YD", ("YD02",), "region", 2, "working"),
    ("yd_prefecture_bond", "YD", ("YD02",), "prefecture", 3, "working"),
    ("yd_prefecture_other", "YD", ("YD01", "YD03"), "prefecture", 5, "working"),
    ("zq_region", "ZQ", (), "region", 3, "working"),
    ("zq_prefecture", "ZQ", (), "prefecture", 3, "working"),
    ("qt_region", "QT", (), "region", 30, "calendar"),
    ("qt_prefecture", "QT", (), "prefecture", 5, "working"),
    ("county_plan", "*", (), "county", 30, "calendar"),
]


def test_every_deadline_row_of_domain_section_3(rs: RuleSet) -> None:
    assert [(d.code, d.kind, d.items, d.level, d.days, d.day_type) for d in rs.deadlines] == DOMAIN_DEADLINES
    county = rs.deadline("county_plan")
    assert (county.from_event, county.to_event) == ("county_received", "county_planned")
    assert rs.deadline("yd_region_bond").from_event == "bond_issued"
    assert rs.deadline("zq_region").from_event == "plan_approved"
    assert rs.deadline("qt_prefecture").poverty_use_only


def test_deadlines_for_an_indicator(rs: RuleSet) -> None:
    def codes(kind: str, item: str, level: str | None = None, poverty_use: bool = True) -> list[str]:
        return [d.code for d in rs.deadlines_for(kind, item, level=level, poverty_use=poverty_use)]

    assert codes("YD", "YD02", "prefecture") == ["yd_prefecture_bond"]
    assert codes("YD", "YD03", "prefecture") == ["yd_prefecture_other"]
    assert codes("ZX", "ZX01") == ["zx_region", "zx_prefecture", "county_plan"]
    assert codes("QT", "QT01", "prefecture", poverty_use=False) == []
    assert codes("QT", "QT01", "prefecture") == ["qt_prefecture"]
    assert codes("ZH", "ZH01", "county") == ["county_plan"]


# ───────────── payments, ratios, spending §三(二) ─────────────


def test_payment_rules(rs: RuleSet) -> None:
    assert rs.payment.direct_payment_only
    assert [m.name for m in rs.payment.methods if rs.method_allowed(m.code)] == ["财政直接支付"]
    assert {m.name for m in rs.payment.methods if not m.allowed} == {
        "财政授权支付",
        "转入财政专户",
        "转入预算单位实有资金账户",
    }
    assert {k.name for k in rs.payment.kinds if k.real_name_list} == {"到户补助", "劳务报酬"}
    assert [k.name for k in rs.payment.kinds if k.prepayment] == ["预付款"]
    assert [k.name for k in rs.payment.kinds if k.retention] == ["质保金"]
    assert [k.name for k in rs.payment.kinds if k.management_fee] == ["项目管理费"]
    assert {p.name: p.id_type for p in rs.payment.payee_types} == {
        "企业": "uscc",
        "个体工商户": "uscc",
        "建档立卡户": "id_number",
        "其他个人": "id_number",
    }
    assert rs.id_type("uscc").on_check_failure == "warn" and rs.id_type("id_number").on_check_failure == "block"


def test_ratios_are_exact_and_pinned(rs: RuleSet) -> None:
    r = rs.ratios
    assert (r.prepayment.value, r.prepayment.bound, r.prepayment.soft) == (Fraction(1, 2), "max", True)
    assert (r.infra_prepayment.value, r.infra_prepayment.soft) == (Fraction(3, 10), True)
    assert (r.management_fee.value, r.management_fee.soft) == (Fraction(1, 100), False)
    assert (r.labour_share.value, r.labour_share.bound, r.labour_share.soft) == (Fraction(3, 10), "min", True)
    assert (r.retention.value, r.retention.bound) == (Fraction(3, 100), "max")
    assert r.prepayment.breached(50_000_01, 100_000_00) and not r.prepayment.breached(50_000_00, 100_000_00)
    assert r.labour_share.breached(29_99, 100_00) and not r.labour_share.breached(30_00, 100_00)
    assert r.management_fee.threshold(333) == 3 and r.labour_share.threshold(333) == 100


def test_spending_limits(rs: RuleSet) -> None:
    s = rs.spending
    assert s.year_end(2024) == date(2024, 10, 31)
    assert s.year_end_exempt_payment_kinds == ("retention",)
    assert (s.bond_spend_months, s.idle_days) == (3, 90)


def test_notices_and_reporting(rs: RuleSet) -> None:
    n = rs.notices
    assert (n.min_board_days, n.website_permanent, n.supervision_phone, n.id_mask_mode) == (
        10,
        True,
        "12317",
        "partial",
    )
    assert [x.name for x in n.levels] == ["县级", "乡（镇）级", "村级"]
    assert [x.name for x in n.kinds] == ["资金分配结果", "项目计划安排", "资金使用情况", "实名制发放"]
    assert [(p.name, p.permanent) for p in n.places] == [("公示栏", False), ("项目地点", False), ("网站", True)]
    rep = rs.reporting
    assert rep.cutoff_day is None and rs.report_cutoff_day is None and rep.due_day("county") == 28
    assert rep.period(2024, 2) == (date(2024, 2, 1), date(2024, 2, 29))
    assert rep.due_date(2024, 12, "county") == date(2025, 1, 28)
    assert rep.due_date(2025, 1, "prefecture") == date(2025, 2, 28)  # the 30th, clamped to February's end


def test_vocabularies(rs: RuleSet) -> None:
    assert [c.name for c in rs.project_categories] == [
        "产业发展",
        "就业",
        "乡村建设/基础设施",
        "教育/健康/住房“三保障”",
        "易地搬迁后续帮扶",
        "项目管理费",
        "其他",
    ]
    assert [c.name for c in rs.construction_types] == ["新建", "续建", "改扩建"]
    assert [c.name for c in rs.asset_types] == ["经营性", "公益性", "到户"]
    assert [s.name for s in rs.project_statuses] == ["入库", "审定", "实施中", "已完工", "已验收"]
    assert {c.name: [s.name for s in c.subclasses] for c in rs.performance.classes} == {
        "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
        "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
        "满意度指标": ["服务对象满意度指标"],
    }
    assert [c.symbol for c in rs.performance.comparators] == ["≥", "≤", "="]
    assert [w.code for w in rs.warnings] == [f"W{n}" for n in (*range(1, 10), *range(11, 17))]  # W11–W16: false claims (#18)
    assert rs.warning("W4").name == "超标列支项目管理费"
    assert [s.name for s in rs.warning_statuses] == ["新发现", "整改中", "已整改", "已说明"]
    assert {r.code: r.read_only for r in rs.roles} == {
        "clerk": False,
        "reviewer": False,
        "chief": False,
        "auditor": True,
    }
    assert rs.backup_keep == {"recent": 10, "daily": 7, "weekly": 8, "monthly": 12}
    assert rs.limits.scan_max_bytes == 20 * 1024 * 1024 and rs.limits.evidence_types == ("pdf", "jpg", "jpeg", "png")
    assert rs.limits.max_amount_fen == 99_999_999_999_999
    group = rs.functional_code("21305")
    assert (group.name_in(2019), group.name_in(2024)) == ("扶贫", "巩固脱贫攻坚成果衔接乡村振兴")
    assert rs.functional_code("2130504").name == "农村基础设施建设"


# ───────────── broken files ─────────────


def _broken(tmp_path: Path, old: str, new: str) -> RuleSetError:
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test edit must hit exactly one place: {old!r}"
    path = tmp_path / "xj-2019.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        rules.load(path)
    assert isinstance(info.value, AppError)
    assert str(info.value).startswith("规则文件 xj-2019.toml：")
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "bond_spend_months = 3 ",
            "",
            "spending.bond_spend_months 缺失（必填项）",
        ),
        (
            "idle_days = 90 ",
            'idle_days = "90" ',
            "spending.idle_days 应为正整数，实际为文字 '90'",
        ),
        (
            'to_event = "region_issued"\ndays = 2\n',
            'to_event = "region_issued"\ndays = -2\n',
            "deadlines[6].days 应为正整数，实际为整数 -2",
        ),
        (
            'value = "0.50"',
            'value = "1.5"',
            "ratios.prepayment.value 应在 0 到 1 之间，实际为 1.5",
        ),
        (
            'value = "0.50"',
            "value = 0.5",
            'ratios.prepayment.value 应为带引号的小数（如 "0.30"，不用浮点数），实际为浮点数 0.5',
        ),
        (
            '{ code = "ZX02", name = "以工代赈资金" }',
            '{ code = "ZX01", name = "以工代赈资金" }',
            "kinds[1].items[2].code 代码 'ZX01' 重复（已在 kinds[1].items[1].code 使用）",
        ),
        (
            '"admin_basic",                # (1) 行政事业单位基本支出',
            '"admin_basics",',
            "kinds[1].usage[1] 引用了未定义的支出用途 'admin_basics'",
        ),
        (
            'kind = "ZQ"\nstage = "自治区下达脱贫攻坚债券资金"',
            'kind = "XX"\nstage = "自治区下达脱贫攻坚债券资金"',
            "deadlines[9].kind 引用了未定义的资金大类 'XX'",
        ),
        (
            'items = ["YD01", "YD03"]',
            'items = ["YD01", "ZX03"]',
            "deadlines[8].items[2] 引用了未定义的YD 资金项目 'ZX03'",
        ),
        (
            'basis = "[design]"',
            'basis = "[design]"\nday_type2 = "calendar"',
            "deadlines[13].day_type2 不是可识别的键（拼写错误？）",
        ),
        (
            'year_end = "10-31"',
            'year_end = "10-32"',
            "spending.year_end 应为“月-日”（如 \"10-31\"），实际为 '10-32'",
        ),
        (
            "format = 1 ",
            "format = 2 ",
            "meta.format 格式版本 2 高于本程序支持的 1，请升级程序",
        ),
        (
            'code = "auditor"',
            'code = "guest"',
            "roles 缺少必需的代码：auditor",
        ),
        (
            'name = "财政授权支付"                          # §三(二)2：不得实行授权支付\ndirect = false\nallowed = false',
            'name = "财政授权支付"\ndirect = false\nallowed = true',
            "payment.methods[2].allowed direct_payment_only = true 时，非直接支付方式不能设为允许",
        ),
        (
            'unlocks = ["rural_environment", "non_poor_village"]',
            'unlocks = ["rural_environment", "industry"]',
            "usage_exceptions[1].unlocks[2] 用途 'industry' 本来就允许 ZH 支付，例外没有意义",
        ),
        (
            'cutoff_day = "last"',
            'cutoff_day = "end"',
            "reporting.cutoff_day 应为 \"last\"（月末）或 1 到 28 之间的整数，实际为 'end'",
        ),
    ],
)
def test_broken_file_names_the_key_and_the_reason(tmp_path: Path, old: str, new: str, message: str) -> None:
    err = _broken(tmp_path, old, new)
    assert str(err) == f"规则文件 xj-2019.toml：{message}"
    assert err.key == message.split(" ")[0]


def test_day_type_must_be_calendar_or_working(tmp_path: Path) -> None:
    err = _broken(tmp_path, 'days = 2\nday_type = "working"', 'days = 2\nday_type = "weekday"')
    assert err.key == "deadlines[6].day_type" and "calendar / working" in err.reason


def test_not_toml_at_all(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("这不是规则文件\n[[[\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        rules.load(path)
    assert str(info.value).startswith("规则文件 broken.toml：不是有效的 TOML 文件，第 1 行")


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="找不到文件"):
        rules.load(tmp_path / "absent.toml")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('name = "规则"'.encode("gbk"))
    with pytest.raises(RuleSetError, match="不是 UTF-8 编码"):
        rules.load(gbk)


def test_empty_toml_says_what_is_missing() -> None:
    with pytest.raises(RuleSetError) as info:
        rules.loads("", name="empty.toml")
    # every missing section is named (issue 17: a bad file is refused with all its problems), meta first
    assert re.match(r"规则文件 empty.toml 有 1\d 处问题，未载入：\n  1. meta：缺失（必填项）", str(info.value))
    assert (info.value.key, info.value.reason) == ("meta", "缺失（必填项）")
