"""Load and validate a policy rule set (resources/rules/*.toml) into the typed `RuleSet`.

A broken file is refused whole with one `RuleSetError` naming the file, the key path (array entries
numbered from 1, as a person counts the `[[…]]` blocks) and the reason — never a half-read policy.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

from app.models.rules import schema as rs
from app.models.rules.schema import RuleSet, RuleSetError
from app.models.rules.toml_node import TomlNode, type_name

__all__ = ["DEFAULT_ID", "SUPPORTED_FORMAT", "RuleSet", "RuleSetError", "RuleSetErrors", "check_text", "load", "load_named", "loads", "shipped_ids",
           "text_hash"]

DEFAULT_ID = "xj-2019"
SUPPORTED_FORMAT = 1
REQUIRED_ROLES = ("clerk", "reviewer", "chief", "auditor")
REQUIRED_WARNINGS = tuple(f"W{n}" for n in range(1, 10))


class _Table(TomlNode):
    """One TOML table of a rule set: typed getters that fail with the key path; unknown keys are refused."""

    error = RuleSetError

    def _typed(self, key: str, want: str, ok: bool, value: object) -> None:
        if not ok:
            self.fail(key, f"应为{want}，实际为{type_name(value)} {value!r}")

    def text(self, key: str) -> str:
        value = self.raw(key)
        self._typed(key, "非空文字", isinstance(value, str) and value.strip() != "", value)
        return cast(str, value)

    def opt_text(self, key: str) -> str | None:
        return self.text(key) if self.has(key) else None

    def integer(self, key: str, lo: int = 1, hi: int | None = None) -> int:
        value = self.raw(key)
        want = "正整数" if lo == 1 and hi is None else f"{lo} 到 {hi} 之间的整数" if hi else f"不小于 {lo} 的整数"
        ok = isinstance(value, int) and not isinstance(value, bool)
        self._typed(key, want, ok and lo <= cast(int, value) <= (hi if hi is not None else cast(int, value)), value)
        return cast(int, value)

    def opt_integer(self, key: str, lo: int = 1, hi: int | None = None) -> int | None:
        return self.integer(key, lo, hi) if self.has(key) else None

    def flag(self, key: str, default: bool | None = None) -> bool:
        if default is not None and not self.has(key):
            return default
        value = self.raw(key)
        self._typed(key, "true 或 false", isinstance(value, bool), value)
        return cast(bool, value)

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        return self.choice_of(key, self.text(key), options)

    def day(self, key: str) -> date:
        value = self.raw(key)
        self._typed(key, "日期（如 2019-05-22）", isinstance(value, date) and not isinstance(value, datetime), value)
        return cast(date, value)

    def ratio(self, key: str) -> Fraction:
        value = self.raw(key)
        self._typed(key, '带引号的小数（如 "0.30"，不用浮点数）', isinstance(value, str), value)
        try:
            number = Decimal(cast(str, value).strip())
        except InvalidOperation:
            self.fail(key, f'应为小数（如 "0.30"），实际为 {value!r}')
        if not number.is_finite() or not 0 <= number <= 1:
            self.fail(key, f"应在 0 到 1 之间，实际为 {value}")
        return Fraction(number)

    def texts(self, key: str) -> tuple[str, ...]:
        return tuple(cast(list[str], self.text_list(key)))


def _each(
    parent: _Table, key: str, *, allow_empty: bool = False, seen: dict[str, str] | None = None
) -> Iterator[tuple[str, _Table]]:
    """Yield (code, table) for an array of tables, refusing duplicate codes (across `seen` if shared);
    each table is checked for unknown keys once the caller has read it."""
    seen = {} if seen is None else seen
    for t in parent.tables(key, allow_empty=allow_empty):
        code = t.text("code")
        if code in seen:
            t.fail("code", f"代码 {code!r} 重复（已在 {seen[code]} 使用）")
        seen[code] = t.key("code")
        yield code, t
        t.done()


def _refs(t: _Table, key: str, known: Iterable[str], what: str) -> tuple[str, ...]:
    known_set = set(known)
    values = t.texts(key)
    for i, v in enumerate(values, 1):
        if v not in known_set:
            t.fail(f"{key}[{i}]", f"引用了未定义的{what} {v!r}")
    return values


def _ref(t: _Table, key: str, known: Iterable[str], what: str) -> str:
    value = t.text(key)
    if value not in set(known):
        t.fail(key, f"引用了未定义的{what} {value!r}")
    return value


def _entries(parent: _Table, key: str, *, seen: dict[str, str] | None = None) -> tuple[rs.Entry, ...]:
    return tuple(rs.Entry(code, t.text("name")) for code, t in _each(parent, key, seen=seen))


def _stages(root: _Table) -> tuple[rs.Stage, ...]:
    """[[project_statuses]] in order, each with its phase (rs.PHASES). Either every entry names its phase or none
    does; a file without them gets phases by position (1st pool, 2nd approved, 3rd implementing, the rest finished),
    as the program read such files before phases were data. The phases must not go back down the list, the first
    stage is a pool stage (a new project enters it), and exactly one stage is the approved one (the leading group's
    approval puts a project there)."""
    positional = ("pool", "approved", "implementing")
    raw = root.raw("project_statuses")
    named = [isinstance(v, dict) and "phase" in v for v in raw] if isinstance(raw, list) else []
    out: list[rs.Stage] = []
    for i, (code, t) in enumerate(_each(root, "project_statuses")):
        if any(named) and not all(named):
            t.fail("phase", "各项目状态要么都写 phase，要么都不写（不写时按顺序：第 1 个 pool、第 2 个 approved、"
                            "第 3 个 implementing、其余 finished）")
        phase = t.choice("phase", rs.PHASES) if named[i] else positional[i] if i < len(positional) else "finished"
        if out and rs.PHASES.index(phase) < rs.PHASES.index(out[-1].phase):
            t.fail("phase", f"阶段不能倒退：{phase!r} 排在 {out[-1].code!r}（{out[-1].phase!r}）之后")
        if not out and phase != "pool":
            t.fail("phase", f'第一个项目状态是新项目进入的阶段，应为 "pool"，实际为 {phase!r}')
        if phase == "approved" and any(s.phase == "approved" for s in out):
            t.fail("phase", '只能有一个 "approved" 阶段（领导小组审定后项目进入的状态）')
        out.append(rs.Stage(code, t.text("name"), phase))
    if not any(s.phase == "approved" for s in out):
        root.fail("project_statuses", '缺少 phase = "approved" 的项目状态（领导小组审定后项目进入的状态）')
    return tuple(out)


def _require(root: _Table, key: str, codes: Iterable[str], required: Iterable[str]) -> None:
    present = set(codes)
    missing = [c for c in required if c not in present]
    if missing:
        root.fail(key, f"缺少必需的代码：{'、'.join(missing)}")


def _kinds(root: _Table, usage_codes: tuple[str, ...]) -> tuple[rs.Kind, ...]:
    item_seen: dict[str, str] = {}
    kinds: list[rs.Kind] = []
    for code, t in _each(root, "kinds"):
        bond, editable = t.flag("bond"), t.flag("items_editable")
        items = tuple(
            rs.Item(item_code, it.text("name"), code, bond or it.flag("bond", False))
            for item_code, it in _each(t, "items", allow_empty=editable, seen=item_seen)
        )
        mode = cast(rs.UsageMode, t.choice("usage_mode", ("deny", "allow")))
        usage = _refs(t, "usage", usage_codes, "支出用途")
        if mode == "allow" and not usage:
            t.fail("usage", "正面清单（allow）不能为空")
        poverty_optional = t.flag("poverty_use_optional")
        kinds.append(rs.Kind(code, t.text("name"), items, editable, bond, poverty_optional, mode, usage))
    return tuple(kinds)


def _usage_exceptions(
    root: _Table, kinds: dict[str, rs.Kind], usages: tuple[str, ...]
) -> tuple[rs.UsageException, ...]:
    if not root.has("usage_exceptions"):
        return ()
    out: list[rs.UsageException] = []
    for code, t in _each(root, "usage_exceptions", allow_empty=True):
        kind = kinds[_ref(t, "kind", kinds, "资金大类")]
        unlocks = _refs(t, "unlocks", usages, "支出用途")
        for i, u in enumerate(unlocks, 1):
            if (u in kind.usage) != (kind.usage_mode == "deny"):
                t.fail(f"unlocks[{i}]", f"用途 {u!r} 本来就允许 {kind.code} 支付，例外没有意义")
        name, condition = t.text("name"), t.text("condition")
        out.append(rs.UsageException(code, name, kind.code, condition, t.flag("requires_decision"), unlocks))
    return tuple(out)


def _deadlines(
    root: _Table, kinds: dict[str, rs.Kind], levels: list[str], events: list[str]
) -> tuple[rs.Deadline, ...]:
    out: list[rs.Deadline] = []
    for code, t in _each(root, "deadlines"):
        kind = kinds.get(_ref(t, "kind", [rs.ALL_KINDS, *kinds], "资金大类"))
        items: tuple[str, ...] = ()
        if t.has("items"):
            if kind is None:
                t.fail("items", f'kind = "{rs.ALL_KINDS}" 时不能限定资金项目')
            items = _refs(t, "items", (i.code for i in kind.items), f"{kind.code} 资金项目")
        poverty_only = t.flag("poverty_use_only", False)
        if poverty_only and (kind is None or not kind.poverty_use_optional):
            t.fail("poverty_use_only", "只适用于 poverty_use_optional = true 的资金大类")
        out.append(
            rs.Deadline(
                code, kind.code if kind else rs.ALL_KINDS, items, poverty_only,
                t.text("stage"), t.text("who"), t.text("office"), _ref(t, "level", levels, "层级"),
                _ref(t, "from_event", events, "事件"), _ref(t, "to_event", events, "事件"),
                t.integer("days"), cast(rs.DayType, t.choice("day_type", ("calendar", "working"))), t.text("basis"),
            )
        )  # fmt: skip
    return tuple(out)


def _payment(root: _Table) -> rs.Payment:
    p = root.table("payment")
    direct_only = p.flag("direct_payment_only")
    methods: list[rs.PaymentMethod] = []
    for c, t in _each(p, "methods"):
        method = rs.PaymentMethod(c, t.text("name"), t.flag("direct"), t.flag("allowed"))
        if direct_only and method.allowed and not method.direct:
            t.fail("allowed", "direct_payment_only = true 时，非直接支付方式不能设为允许")
        methods.append(method)
    if not any(m.allowed for m in methods):
        p.fail("methods", "至少要有一种允许的支付方式")
    flags = ("real_name_list", "prepayment", "retention", "management_fee", "labour")
    kinds = tuple(rs.PaymentKind(c, t.text("name"), *(t.flag(f) for f in flags)) for c, t in _each(p, "kinds"))
    id_types = tuple(
        rs.IdType(c, t.text("name"), cast(rs.CheckFailure, t.choice("on_check_failure", ("warn", "block"))))
        for c, t in _each(p, "id_types")
    )
    id_codes = [i.code for i in id_types]
    payees = tuple(
        rs.PayeeType(c, t.text("name"), _ref(t, "id_type", id_codes, "证件类型"), t.flag("person"))
        for c, t in _each(p, "payee_types")
    )
    p.done()
    return rs.Payment(direct_only, tuple(methods), kinds, id_types, payees)


_SELECTOR = re.compile(r"(\w+)(?:\[(.*)\])?")


def _selector(t: _Table, key: str, known: dict[str, set[str]]) -> str:
    """A year-level selector such as `planned[kind=ZX, category=industry]`, checked against the set's codes."""
    text = t.text(key)
    m = _SELECTOR.fullmatch(text.strip())
    if not m or m[1] not in rs.YEAR_SOURCES:
        t.fail(key, f"应为 {' / '.join(rs.YEAR_SOURCES)}，可加筛选 [kind=…, item=…, source=…, category=…]，实际为 {text!r}")
    for part in filter(None, (p.strip() for p in (m[2] or "").split(","))):
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if name not in rs.YEAR_FILTERS:
            t.fail(key, f"筛选条件 {name!r} 不可识别（可用：{'、'.join(rs.YEAR_FILTERS)}）")
        if value not in known[name]:
            t.fail(key, f"{name}={value!r} 不是本规则集中的代码")
    return text.strip()


def _ratio_rule(t: _Table, code: str, known: dict[str, set[str]]) -> rs.RatioRule:
    bound = cast(rs.Bound, t.choice("bound", ("max", "min")))
    ratio = rs.Ratio(t.text("name"), t.ratio("value"), t.text("base"), bound, t.flag("soft"))
    fixed = rs.PAYMENT_RATIOS.get(code)
    if fixed is not None:  # computed by the payment checks: the selectors are theirs
        for key, want in zip(("numerator", "denominator"), fixed, strict=True):
            if t.has(key) and t.text(key) != want:
                t.fail(key, f"比例 {code} 由支付检查计算，{key} 应为 {want!r}")
        numerator, denominator = fixed
    scope = cast(Literal["year", "payment"], t.choice("scope", ("year", "payment")) if t.has("scope") else "year")
    if fixed is not None and scope != "year":
        t.fail("scope", f"比例 {code} 由支付检查计算，不能设置 scope")
    if fixed is None and scope == "payment":
        numerator = _payment_selector(t, "numerator", known, whole=False)
        denominator = _payment_selector(t, "denominator", known, whole=True)
    elif fixed is None:
        numerator, denominator = _selector(t, "numerator", known), _selector(t, "denominator", known)
    message = t.opt_text("message") or ratio.name
    return rs.RatioRule(code, ratio, numerator, denominator, message, scope)


def _payment_selector(t: _Table, key: str, known: dict[str, set[str]], *, whole: bool) -> str:
    """A per-payment selector: `project_paid[payment_kind=…, usage=…]`, or (denominator only) project.total /
    project.contract; codes checked against the set's payment kinds and usages."""
    text = t.text(key).strip()
    allowed = rs.PAYMENT_SOURCES if whole else rs.PAYMENT_SOURCES[:1]
    m = _SELECTOR.fullmatch(text) if not text.startswith("project.") else None
    if text in allowed[1:]:
        return text
    if not m or m[1] != "project_paid":
        t.fail(key, f"应为 {' / '.join(allowed)}（project_paid 可加筛选 [payment_kind=…, usage=…]），实际为 {text!r}")
    for part in filter(None, (p.strip() for p in (m[2] or "").split(","))):
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if name not in rs.PAYMENT_FILTERS:
            t.fail(key, f"筛选条件 {name!r} 不可识别（可用：{'、'.join(rs.PAYMENT_FILTERS)}）")
        if value not in known[name]:
            t.fail(key, f"{name}={value!r} 不是本规则集中的代码")
    return text


def _ratios(root: _Table, known: dict[str, set[str]]) -> rs.Ratios:
    """`[[ratio_rules]]` (a list: the five payment ratios and any others), or the older `[ratios.<code>]` tables of
    the five, translated into the same list."""
    rules: list[rs.RatioRule] = []
    if root.has("ratio_rules"):
        if root.has("ratios"):
            root.fail("ratios", "与 ratio_rules 不能同时出现（ratio_rules 是新写法）")
        for code, t in _each(root, "ratio_rules"):
            rules.append(_ratio_rule(t, code, known))
    else:
        r = root.table("ratios")
        for code in rs.PAYMENT_RATIOS:
            t = r.table(code)
            rules.append(_ratio_rule(t, code, known))
            t.done()
        r.done()
    by_code = {x.code: x.ratio for x in rules}
    missing = [c for c in rs.PAYMENT_RATIOS if c not in by_code]
    if missing:
        root.fail("ratio_rules", f"缺少支付检查所需的比例：{'、'.join(missing)}")
    return rs.Ratios(by_code["prepayment"], by_code["infra_prepayment"], by_code["management_fee"],
                     by_code["labour_share"], by_code["retention"], rules=tuple(rules))


def _spending(root: _Table, payment: rs.Payment) -> rs.Spending:
    t = root.table("spending")
    year_end = t.text("year_end")
    match = re.fullmatch(r"(\d{2})-(\d{2})", year_end)
    try:
        month, day = (int(match[1]), int(match[2])) if match else (0, 0)
        date(2001, month, day)
    except ValueError:
        t.fail("year_end", f'应为“月-日”（如 "10-31"），实际为 {year_end!r}')
    exempt = _refs(t, "year_end_exempt_payment_kinds", (k.code for k in payment.kinds), "支付类型")
    s = rs.Spending(month, day, exempt, t.integer("bond_spend_months", 1, 12), t.integer("idle_days"))
    t.done()
    return s


def _notices(root: _Table) -> rs.Notices:
    t = root.table("notices")
    n = rs.Notices(
        t.integer("min_board_days"), t.flag("website_permanent"), t.text("supervision_phone"),
        cast(rs.MaskMode, t.choice("id_mask_mode", ("partial", "hidden"))),
        t.integer("id_mask_head", 0, 17), t.integer("id_mask_tail", 0, 17), t.integer("bank_account_tail", 0, 8),
        t.texts("project_notice_fields"), _entries(t, "levels"), _entries(t, "kinds"),
        tuple(rs.Place(c, p.text("name"), p.flag("permanent")) for c, p in _each(t, "places")),
    )  # fmt: skip
    if n.id_mask_head + n.id_mask_tail >= 18:
        t.fail("id_mask_tail", "id_mask_head 与 id_mask_tail 之和应小于 18，否则身份证号没有被遮盖")
    t.done()
    return n


def _performance(root: _Table) -> rs.Performance:
    t = root.table("performance")
    sub_seen: dict[str, str] = {}
    classes = tuple(
        rs.PerfClass(code, c.text("name"), _entries(c, "subclasses", seen=sub_seen)) for code, c in _each(t, "classes")
    )
    comparators = tuple(rs.Comparator(c, x.text("symbol"), x.text("name")) for c, x in _each(t, "comparators"))
    t.done()
    return rs.Performance(classes, comparators)


def _reporting(root: _Table, bureau_levels: list[str]) -> rs.Reporting:
    t = root.table("reporting")
    raw_cutoff = t.raw("cutoff_day")
    if isinstance(raw_cutoff, str) and raw_cutoff != "last":
        t.fail("cutoff_day", f'应为 "last"（月末）或 1 到 28 之间的整数，实际为 {raw_cutoff!r}')
    cutoff = None if raw_cutoff == "last" else t.integer("cutoff_day", 1, 28)
    due: list[rs.ReportDue] = []
    for d in t.tables("due"):
        level = _ref(d, "level", bureau_levels, "使用单位层级")
        if any(x.level == level for x in due):
            d.fail("level", f"层级 {level!r} 重复")
        due.append(rs.ReportDue(level, d.integer("day", 1, 31), d.text("to")))
        d.done()
    r = rs.Reporting(cutoff, t.integer("due_month_offset", 0, 1), tuple(due))
    t.done()
    return r


def _functional_codes(root: _Table) -> tuple[rs.FunctionalCode, ...]:
    out = []
    for code, t in _each(root, "functional_codes"):
        if not code.isdigit():
            t.fail("code", f"应为数字科目编码，实际为 {code!r}")
        former, year = t.opt_text("former_name"), t.opt_integer("renamed_year", 1990, 2100)
        if (former is None) != (year is None):
            t.fail("renamed_year", "former_name 与 renamed_year 须同时填写")
        out.append(rs.FunctionalCode(code, t.text("name"), former, year))
    return tuple(out)


def _small_tables(root: _Table) -> tuple[rs.Limits, rs.Backups, rs.Fundraising]:
    lim, b, f = root.table("limits"), root.table("backups"), root.table("fundraising")
    limits = rs.Limits(lim.integer("max_amount_fen"), lim.integer("scan_max_mb", 1, 1024), lim.texts("evidence_types"))
    backups = rs.Backups(*(b.integer(k) for k in ("recent", "daily", "weekly", "monthly")))
    fundraising = rs.Fundraising(
        f.ratio("regional_zx_min_share"), f.ratio("zh_integration_share_2016"),
        f.integer("yd_per_person_central_fen"), f.integer("yd_per_person_regional_fen"),
        f.integer("dd_annual_fen"), f.integer("dd_first_year"), f.integer("dd_years"),
        f.integer("yb_annual_fen"), f.integer("yb_first_year"), f.integer("yb_counties"),
        f.ratio("south_xinjiang_min_share"), f.ratio("deep_poor_counties_min_share"),
    )  # fmt: skip
    for t in (lim, b, f):
        t.done()
    return limits, backups, fundraising


def _claims(root: _Table, payment: rs.Payment, categories: Iterable[str]) -> rs.Claims:
    t = root.table("claims")
    kinds = _refs(t, "subsidy_payment_kinds", (k.code for k in payment.kinds), "支付类型")
    per_options = ("year", "ever")
    default = rs.Allowance("", t.integer("default_times"), cast(Literal["year", "ever"], t.choice("default_per", per_options)))
    known = set(categories)
    out: list[rs.Allowance] = []
    for a in t.tables("allowances", allow_empty=True):
        category = _ref(a, "category", known, "项目类别")
        if any(x.category == category for x in out):
            a.fail("category", f"项目类别 {category!r} 重复")
        out.append(rs.Allowance(category, a.integer("times"), cast(Literal["year", "ever"], a.choice("per", per_options))))
        a.done()
    c = rs.Claims(kinds, default, tuple(out), t.integer("max_ids_per_account"),
                  cast(Literal["project", "list"], t.choice("count_by", ("project", "list"))))
    t.done()
    return c


def _notice_order(root: _Table, notices: rs.Notices) -> rs.NoticeOrder:
    t = root.table("notice_order")
    n = rs.NoticeOrder(t.integer("min_days_before_payment", 0, 366),
                       _ref(t, "required_kind", (k.code for k in notices.kinds), "公示类别"),
                       _refs(t, "required_levels", (lv.code for lv in notices.levels), "公示层级"), t.text("basis"),
                       t.texts("plan_fields"), t.texts("completion_fields"))
    if not n.required_levels:
        t.fail("required_levels", "至少列出一个公示层级")
    t.done()
    return n


def _duties(root: _Table, notices: rs.Notices, statuses: tuple[rs.Stage, ...]) -> tuple[rs.Duty, ...]:
    """`[[duties]]`: which objects must be published, by whom, of which kind, from when, for how long (issue #17).
    A file without the section keeps the duties the program had before they were data (DEFAULT_DUTIES)."""
    if not root.has("duties"):
        return rs.DEFAULT_DUTIES
    kinds, levels = [k.code for k in notices.kinds], [lv.code for lv in notices.levels]
    out: list[rs.Duty] = []
    for code, t in _each(root, "duties"):
        kind = _ref(t, "kind", kinds, "公示类别（notices.kinds）")
        obj = t.choice_of("object", t.text("object"), tuple(rs.DUTY_OBJECTS))
        whens = rs.DUTY_OBJECTS[obj]
        when = t.text("when")
        if when not in whens:
            t.fail("when", f"{rs.DUTY_OBJECT_NAMES[obj]}的公示义务应在 {' / '.join(whens)} 之一时产生，实际为 {when!r}")
        level = _ref(t, "level", levels, "公示层级（notices.levels）")
        min_days = t.opt_integer("min_days", 1, 366)
        no_village = t.text("no_village") if t.has("no_village") else ""
        if no_village:
            if obj == "indicator":
                t.fail("no_village", "指标没有所在村，不能设置 no_village")
            if no_village != "skip" and no_village not in levels:
                t.fail("no_village", f'应为 "skip"（不产生义务）或公示层级 {"、".join(levels)} 之一，实际为 {no_village!r}')
        renew = t.flag("renew_on_adjustment", False)
        if renew and when != "approved":
            t.fail("renew_on_adjustment", '只适用于 when = "approved"（项目计划调整后须重新公示）')
        project_statuses: tuple[str, ...] = ()
        if when in ("finished", "stage"):
            project_statuses = _refs(t, "project_statuses", (s.code for s in statuses), "项目状态")
            if not project_statuses:
                t.fail("project_statuses", "至少列出一个项目状态")
        elif t.has("project_statuses"):
            t.fail("project_statuses", '只适用于 when = "finished" 或 "stage"')
        duty = rs.Duty(code, kind, obj, when, level, t.text("label"), t.text("basis"), min_days, no_village, renew,
                       project_statuses)
        mine = {duty.level_for("村"), duty.level_for("")} - {None}
        for d in out:
            if (d.kind, d.object) == (kind, obj) and mine & ({d.level_for("村"), d.level_for("")} - {None}):
                t.fail("level", f"与 {d.code} 重复：同一类别、同一对象在同一层级只能有一项公示义务")
        out.append(duty)
    return tuple(out)


class RuleSetErrors(RuleSetError):
    """A rule file with several problems: every one of them, each with its key path (`problems`)."""

    def __init__(self, problems: list[RuleSetError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.file, first.key, first.reason)
        lines = "\n".join(f"  {n}. {p.key or '（文件）'}：{p.reason}" for n, p in enumerate(problems, 1))
        self.message = f"规则文件 {first.file} 有 {len(problems)} 处问题，未载入：\n{lines}"
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message


_FAILED = object()
_SECTIONS = {
    "meta", "usage_categories", "kinds", "levels", "events", "payment", "roles", "warnings", "limits", "backups",
    "fundraising", "usage_exceptions", "source_levels", "deadlines", "ratios", "spending", "notices",
    "project_categories", "construction_types", "asset_types", "project_statuses", "performance", "warning_statuses",
    "reporting", "functional_codes", "labels", "ratio_rules", "claims", "notice_order", "duties", "reports",
}


def _build(root: _Table) -> RuleSet:
    """Every section read; a section that fails is recorded and the rest still checked (sections that depend on
    a failed one are skipped, not reported twice). Any problem: RuleSetErrors with all of them."""
    problems: list[RuleSetError] = []

    def part(fn: Any, *args: Any) -> Any:
        if any(a is _FAILED for a in args):
            return _FAILED
        try:
            return fn(*args)
        except RuleSetError as exc:
            problems.append(exc)
            return _FAILED

    meta = part(_meta, root)
    usage_categories = part(_entries, root, "usage_categories")
    usages = _FAILED if usage_categories is _FAILED else tuple(u.code for u in usage_categories)
    kinds = part(_kinds, root, usages)
    by_code = _FAILED if kinds is _FAILED else {k.code: k for k in kinds}
    levels = part(lambda: tuple(rs.Level(c, t.text("name"), t.flag("bureau")) for c, t in _each(root, "levels")))
    level_codes = _FAILED if levels is _FAILED else [lv.code for lv in levels]
    bureau_levels = _FAILED if levels is _FAILED else [lv.code for lv in levels if lv.bureau]
    events = part(_entries, root, "events")
    event_codes = _FAILED if events is _FAILED else [e.code for e in events]
    payment = part(_payment, root)
    roles = part(_roles, root)
    warnings = part(_warnings, root)
    small = part(_small_tables, root)
    categories = part(_entries, root, "project_categories")
    source_levels = part(_entries, root, "source_levels")
    known = _FAILED if _FAILED in (kinds, categories, source_levels, payment, usage_categories) else {
        "kind": {k.code for k in kinds}, "item": {i.code for k in kinds for i in k.items},
        "source": {s.code for s in source_levels}, "category": {c.code for c in categories},
        "payment_kind": {k.code for k in payment.kinds}, "usage": {u.code for u in usage_categories}}
    values = {
        "meta": meta, "kinds": kinds, "usage_categories": usage_categories,
        "usage_exceptions": part(_usage_exceptions, root, by_code, usages),
        "source_levels": source_levels, "levels": levels, "events": events,
        "payment": payment, "deadlines": part(_deadlines, root, by_code, level_codes, event_codes),
        "ratios": part(_ratios, root, known), "spending": part(_spending, root, payment), "notices": part(_notices, root),
        "project_categories": categories,
        "construction_types": part(_entries, root, "construction_types"),
        "asset_types": part(_entries, root, "asset_types"), "project_statuses": part(_stages, root),
        "performance": part(_performance, root), "warnings": warnings,
        "warning_statuses": part(lambda: tuple(rs.WarningStatus(c, t.text("name"), t.flag("closed"))
                                              for c, t in _each(root, "warning_statuses"))),
        "reporting": part(_reporting, root, bureau_levels), "roles": roles,
        "functional_codes": part(_functional_codes, root),
        "claims": part(_claims, root, payment, _FAILED if categories is _FAILED else [c.code for c in categories]),
    }  # fmt: skip
    values["notice_order"] = part(_notice_order, root, values["notices"])  # issue #18
    values["labels"] = part(_labels, root, values["notices"], kinds)
    values["duties"] = part(_duties, root, values["notices"], values["project_statuses"])  # issue #17
    values["reports"] = part(_reports, root)  # issue #17: the monthly tables' wording
    root._seen |= _SECTIONS  # a section skipped after a failed one it depends on is not an unknown key
    part(root.done)
    if problems:
        raise problems[0] if len(problems) == 1 else RuleSetErrors(problems)
    limits, backups, fundraising = small
    return RuleSet(source=root.file, limits=limits, backups=backups, fundraising=fundraising, **values)


def _meta(root: _Table) -> rs.Meta:
    m = root.table("meta")
    fmt = m.integer("format")
    if fmt > SUPPORTED_FORMAT:
        m.fail("format", f"格式版本 {fmt} 高于本程序支持的 {SUPPORTED_FORMAT}，请升级程序")
    meta = rs.Meta(
        fmt, m.text("id"), m.text("name"), m.text("basis"), m.text("basis_title"), m.text("issuer"),
        m.text("version"), m.day("effective"),
    )  # fmt: skip
    m.done()
    return meta


def _labels(root: _Table, notices: rs.Notices, kinds: tuple[rs.Kind, ...]) -> rs.Labels:
    """`[labels]`: names that change with the regime. fund_family and notice_intros are optional (files written before
    them): the family defaults to the first fund kind's name, a notice without an intro keeps the program's wording."""
    import string

    t = root.table("labels")
    family = t.text("fund_family") if t.has("fund_family") else kinds[0].name
    intros: list[rs.NoticeIntro] = []
    if t.has("notice_intros"):
        n = t.table("notice_intros")
        known = {k.code for k in notices.kinds}
        for kind in list(n.data):
            if kind not in known:
                n.fail(kind, f"不是公示类别（notices.kinds）的代码，可用：{'、'.join(sorted(known))}")
            text = n.text(kind)
            try:
                fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None]
            except ValueError as exc:
                n.fail(kind, f"花括号不成对（{exc}）；可用的填空为 {'、'.join('{' + f + '}' for f in rs.LABEL_FIELDS)}")
            bad = [f for f in fields if f not in rs.LABEL_FIELDS]
            if bad:
                n.fail(kind, f"填空 {'、'.join('{' + f + '}' for f in bad)} 不可识别（可用："
                             f"{'、'.join('{' + f + '}' for f in rs.LABEL_FIELDS)}）")
            intros.append(rs.NoticeIntro(kind, text))
        n.done()
    labels = rs.Labels(t.text("leading_group"), t.text("hotline_name"), family, tuple(intros))
    t.done()
    return labels


def _reports(root: _Table) -> rs.ReportWording:
    """`[reports]` (optional): `name` the monthly package's name, `[reports.titles]` one title per table id."""
    if not root.has("reports"):
        return rs.ReportWording()
    t = root.table("reports")
    name = t.text("name") if t.has("name") else ""
    titles: list[rs.Entry] = []
    if t.has("titles"):
        n = t.table("titles")
        for table_id in list(n.data):
            if not re.fullmatch(rs.REPORT_TABLE_ID, table_id):
                n.fail(table_id, "不是月报表的编号（应为 表1、表2 …… 表9 这样的工作表名）")
            titles.append(rs.Entry(table_id, n.text(table_id)))
        n.done()
    t.done()
    return rs.ReportWording(name, tuple(titles))


def _roles(root: _Table) -> tuple[rs.Role, ...]:
    roles = tuple(rs.Role(c, t.text("name"), t.flag("read_only")) for c, t in _each(root, "roles"))
    _require(root, "roles", (r.code for r in roles), REQUIRED_ROLES)
    return roles


def _warnings(root: _Table) -> tuple[rs.WarningDef, ...]:
    from app.models.rules.sections import DEFAULT_DETECTORS, DETECTOR_PARAMS, DETECTORS

    out = []
    for code, t in _each(root, "warnings"):
        name = t.text("name")
        if t.has("detector"):
            detector = t.text("detector")
            if detector not in DETECTORS:
                t.fail("detector", f"没有名为 {detector!r} 的检测器（可用：{'、'.join(DETECTORS)}）")
        elif code in DEFAULT_DETECTORS:
            detector = DEFAULT_DETECTORS[code]
        else:
            t.fail("detector", f"预警 {code} 须写明 detector（可用：{'、'.join(DETECTORS)}）")
        params: list[tuple[str, int]] = []
        if t.has("params"):
            p = t.table("params")
            allowed = DETECTOR_PARAMS.get(detector, {})
            for key in list(p.data):
                if key not in allowed:
                    p.fail(key, f"检测器 {detector} 没有参数 {key!r}"
                                + (f"（可用：{'、'.join(allowed)}）" if allowed else "（它不取参数）"))
                params.append((key, p.integer(key, *allowed[key])))
            p.done()
        out.append(rs.WarningDef(code, name, detector, tuple(params)))
    warnings = tuple(out)
    _require(root, "warnings", (w.code for w in warnings), REQUIRED_WARNINGS)
    return warnings


def check_text(text: str, *, name: str = "<文本>") -> list[RuleSetError]:
    """Every problem of a rule file's text (empty: it loads) — what `fundledger rules check` prints."""
    try:
        loads(text, name=name)
    except RuleSetErrors as exc:
        return list(exc.problems)
    except RuleSetError as exc:
        return [exc]
    return []


def loads(text: str, *, name: str = "<文本>") -> RuleSet:
    """Parse and validate rule-set TOML text; `name` is used in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        at = f"第 {where[1]} 行第 {where[2]} 列附近" if where else ""
        raise RuleSetError(name, "", f"不是有效的 TOML 文件，{at}格式错误（{exc}）") from exc
    rules = _build(_Table(data, "", name))
    return dataclasses.replace(rules, file_hash=text_hash(text))


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a rule file's text as UTF-8: the `file_hash` a year's assignment records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shipped_ids() -> tuple[str, ...]:
    """The ids of the rule sets shipped in resources/rules/, sorted."""
    from app import resources

    return tuple(sorted(p.stem for p in (resources.resources_dir() / "rules").glob("*.toml")))


def _load_file(path: Path) -> RuleSet:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise RuleSetError(path.name, "", f"找不到文件（{path}）") from exc
    except OSError as exc:
        raise RuleSetError(path.name, "", f"无法读取（{exc.strerror or exc}）") from exc
    except UnicodeDecodeError as exc:
        raise RuleSetError(path.name, "", "不是 UTF-8 编码的文本文件") from exc
    return loads(text, name=path.name)


@functools.cache
def load_named(rule_set_id: str) -> RuleSet:
    """The shipped rule set `resources/rules/<id>.toml` — the id a bureau's file records — read once."""
    from app import resources

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", rule_set_id):
        raise RuleSetError(rule_set_id, "", "规则集编号无效（只能由字母、数字、点、横线组成）")
    rules = _load_file(resources.resources_dir() / "rules" / f"{rule_set_id}.toml")
    if rules.meta.id != rule_set_id:
        raise RuleSetError(rules.source, "meta.id", f"应与文件名一致（{rule_set_id}），实际为 {rules.meta.id!r}")
    return rules


def load(path: Path | None = None) -> RuleSet:
    """The rule set at `path` (read afresh), or the shipped default (read once, then cached)."""
    return load_named(DEFAULT_ID) if path is None else _load_file(path)
