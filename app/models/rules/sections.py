"""The rule set's smaller sections (ratios, spending, notices, performance, reporting, limits …).

Split out of rules_schema.py to keep modules small; rules_schema re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from math import ceil, floor
from typing import Literal

from dateutil.relativedelta import relativedelta

from app.models.values.errors import NotFound

Bound = Literal["max", "min"]
MaskMode = Literal["partial", "hidden"]


@dataclass(frozen=True)
class Entry:
    """A plain code + Chinese name (notice levels, statuses, asset types …)."""

    code: str
    name: str


# A project stage's phase ([[project_statuses]] phase, issue #17): in the 项目库 before the leading group's decision,
# the one stage its approval puts a project in, being carried out, finished. Stages are listed in this order.
PHASES = ("pool", "approved", "implementing", "finished")
PHASE_NAMES = {"pool": "项目库（审定前）", "approved": "审定", "implementing": "实施", "finished": "完工"}


@dataclass(frozen=True)
class Stage(Entry):
    """A project stage ([[project_statuses]]): code, name and phase (PHASES). A file without `phase` keys gets them
    by position (1st pool, 2nd approved, 3rd implementing, the rest finished) — what the program assumed before."""

    phase: str = "pool"


@dataclass(frozen=True)
class Ratio:
    """An exact ratio limit; `soft` ("原则上") means a warning with reason and override, not a block."""

    name: str
    value: Fraction
    base: str
    bound: Bound
    soft: bool

    def threshold(self, whole: int) -> int:
        """The limit in 分 for a base of `whole` 分: rounded down for a cap, up for a minimum."""
        exact = self.value * whole
        return floor(exact) if self.bound == "max" else ceil(exact)

    def breached(self, part: int, whole: int) -> bool:
        """Whether `part` of `whole` (both 分) violates the limit — exact, no float."""
        if self.bound == "max":
            return Fraction(part) > self.value * whole
        return Fraction(part) < self.value * whole


@dataclass(frozen=True)
class RatioRule:
    """One ratio rule of the list `[[ratio_rules]]`: what is divided by what (selectors), the bound, hard or soft.

    The five payment ratios (PAYMENT_RATIOS) are computed by the payment checks with fixed selectors; any other code
    uses year-level selectors — `received[…]`, `planned[…]` or `paid[…]` with filters kind=, item=, source=,
    category= — and is evaluated for each year by the warning detector `ratio_rules`."""

    code: str
    ratio: Ratio
    numerator: str
    denominator: str
    message: str
    scope: Literal["year", "payment"] = "year"  # payment: checked on every payment it concerns (PAYMENT_SOURCES)


# code → (numerator, denominator) of the ratios the payment checks compute (app/models/payments/checks.py)
PAYMENT_RATIOS = {
    "prepayment": ("payment.prepaid", "project.total"),
    "infra_prepayment": ("payment.prepaid", "project.contract"),
    "management_fee": ("payment.management_fees_of_year", "year.fee_base"),
    "labour_share": ("payment.labour_left", "project.work_relief_funds"),
    "retention": ("payment.retention", "project.contract"),
}
YEAR_SOURCES = ("received", "planned", "paid")
YEAR_FILTERS = ("kind", "item", "source", "category")
# Selectors of a ratio rule with scope = "payment", checked on each payment of a project (app/models/payments/checks.py
# check_ratio_rules): project_paid[…] the project's payments (paid and in flight) with this one, filtered by
# payment_kind= and usage=; project.total the project's funds; project.contract its contract amount.
PAYMENT_SOURCES = ("project_paid", "project.total", "project.contract")
PAYMENT_FILTERS = ("payment_kind", "usage")


@dataclass(frozen=True)
class Ratios:
    prepayment: Ratio
    infra_prepayment: Ratio
    management_fee: Ratio
    labour_share: Ratio
    retention: Ratio
    rules: tuple[RatioRule, ...] = ()  # every ratio rule in file order, the five above included

    @property
    def yearly(self) -> tuple[RatioRule, ...]:
        """The ratio rules evaluated per year (not by the payment checks)."""
        return tuple(r for r in self.rules if r.code not in PAYMENT_RATIOS and r.scope == "year")

    @property
    def per_payment(self) -> tuple[RatioRule, ...]:
        """The ratio rules a set adds to the payment checks (scope = "payment"), in file order."""
        return tuple(r for r in self.rules if r.code not in PAYMENT_RATIOS and r.scope == "payment")


@dataclass(frozen=True)
class Spending:
    year_end_month: int
    year_end_day: int
    year_end_exempt_payment_kinds: tuple[str, ...]
    bond_spend_months: int
    idle_days: int

    def year_end(self, year: int) -> date:
        """The day by which the year's funds must be paid (default 31 October)."""
        return date(year, self.year_end_month, self.year_end_day)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    permanent: bool


@dataclass(frozen=True)
class Notices:
    min_board_days: int
    website_permanent: bool
    supervision_phone: str
    id_mask_mode: MaskMode
    id_mask_head: int
    id_mask_tail: int
    bank_account_tail: int
    project_notice_fields: tuple[str, ...]
    levels: tuple[Entry, ...]
    kinds: tuple[Entry, ...]
    places: tuple[Place, ...]


# What a publishing duty can be about and when it arises (the mechanism the program has; app/models/notices/
# obligations.py finds each): object → {when: what the day is}. A rule set's [[duties]] picks among them.
DUTY_OBJECTS = {
    "indicator": {"allocated": "指标的资金首次安排到经领导小组审定的项目之日"},
    "project": {"pooled": "项目入库（录入项目库）之日",
                "approved": "领导小组审定（或调整）项目计划的决定之日",
                "finished": "项目处于所列状态、最后一笔支付之日",
                "stage": "项目进入所列阶段（项目状态）之日"},
    "payment": {"paid_real_name": "附实名制发放名册的支付付款之日"},
}
DUTY_OBJECT_NAMES = {"indicator": "指标", "project": "项目", "payment": "支付"}


@dataclass(frozen=True)
class Duty:
    """One publishing duty (issue #17: data, not code): notices of `kind` at `level` about each `object` once `when`
    has happened, up at least `min_days` days (None: notices.min_board_days).

    no_village: what happens when the object (a project, or a payment's project) names no village — "" the duty
    applies as written, "skip" it does not arise, or a level code to publish at instead (实名制: 乡 when no 村).
    renew_on_adjustment: a notice older than the decision now in force no longer counts (项目计划 after 调整).
    project_statuses: for when = "finished", the project statuses (codes) whose use of funds must be published; for
    when = "stage", the stages whose entry calls for the notice (it arises on the day the project entered one)."""

    code: str
    kind: str
    object: str
    when: str
    level: str
    label: str
    basis: str
    min_days: int | None = None
    no_village: str = ""
    renew_on_adjustment: bool = False
    project_statuses: tuple[str, ...] = ()

    def level_for(self, village: str) -> str | None:
        """The level an object with `village` ('' = none) is published at under this duty; None: no duty."""
        if village or not self.no_village:
            return self.level
        return None if self.no_village == "skip" else self.no_village


# The duties of a rule file written before duties were data: exactly what obligations.py hard-coded until then.
DEFAULT_DUTIES = (
    Duty("allocation", "allocation", "indicator", "allocated", "county", "资金分配结果（县级）", "[design] 程序原有规则"),
    Duty("plan_township", "project_plan", "project", "approved", "township", "项目计划安排（乡级）",
         "[design] 程序原有规则", renew_on_adjustment=True),
    Duty("plan_village", "project_plan", "project", "approved", "village", "项目计划安排（村级）",
         "[design] 程序原有规则", no_village="skip", renew_on_adjustment=True),
    Duty("fund_use_township", "fund_use", "project", "finished", "township", "资金使用情况（乡级）",
         "[design] 程序原有规则", project_statuses=("completed", "accepted")),
    Duty("fund_use_village", "fund_use", "project", "finished", "village", "资金使用情况（村级）",
         "[design] 程序原有规则", no_village="skip", project_statuses=("completed", "accepted")),
    Duty("real_name", "real_name", "payment", "paid_real_name", "village", "实名制发放（村级，无村时乡级）",
         "[design] 程序原有规则", no_village="township"),
)


@dataclass(frozen=True)
class PerfClass:
    code: str
    name: str
    subclasses: tuple[Entry, ...]


@dataclass(frozen=True)
class Comparator:
    code: str
    symbol: str
    name: str


@dataclass(frozen=True)
class Performance:
    classes: tuple[PerfClass, ...]
    comparators: tuple[Comparator, ...]


# The warning detectors the program has (app/models/warnings/registry.py maps each name to its function; a test
# checks the two lists agree). A rule set's [[warnings]] entry names one: a new code may reuse a detector.
DETECTORS = ("late_stages", "irregular_goals", "irregular_payments", "management_fees", "spending_behind",
             "idle_money", "missing_notices", "reconciliation", "reports_overdue", "ratio_rules",
             # issue #18: false claims across payments, lists, projects and years; money paid before its notice
             "repeated_subsidies", "shared_accounts", "staff_payees", "off_roster", "holder_mismatch",
             "paid_before_notice")
# The detector of each code when an entry names none (rule files written before detectors were data).
DEFAULT_DETECTORS = {"W1": "late_stages", "W2": "irregular_goals", "W3": "irregular_payments",
                     "W4": "management_fees", "W5": "spending_behind", "W6": "idle_money", "W7": "missing_notices",
                     "W8": "reconciliation", "W9": "reports_overdue"}


# The parameters a detector takes from its [[warnings]] entry (`params = { idle_days = 180 }`): name → (least, most).
# A definition that gives none uses the rule set's section value ([spending] idle_days, bond_spend_months).
DETECTOR_PARAMS: dict[str, dict[str, tuple[int, int]]] = {
    "idle_money": {"idle_days": (1, 3650)},
    "spending_behind": {"bond_spend_months": (1, 12)},
}


@dataclass(frozen=True)
class WarningDef:
    """One warning the rule set defines: its code, name, which detector finds it and with which parameters."""

    code: str
    name: str
    detector: str
    params: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class WarningStatus:
    code: str
    name: str
    closed: bool


@dataclass(frozen=True)
class ReportDue:
    level: str
    day: int
    to: str


def _day_of(year: int, month: int, day: int, *, months: int = 0) -> date:
    """Day `day` of the month `months` after `year-month`, clamped to that month's last day (relativedelta)."""
    return date(year, month, 1) + relativedelta(months=months, day=day)


@dataclass(frozen=True)
class Reporting:
    cutoff_day: int | None  # None: the last day of the month
    due_month_offset: int
    due: tuple[ReportDue, ...]

    def period(self, year: int, month: int) -> tuple[date, date]:
        """First and last day of the statistical period of report month `year-month`."""
        if self.cutoff_day is None:
            return date(year, month, 1), _day_of(year, month, 31)
        return (_day_of(year, month, self.cutoff_day, months=-1) + timedelta(days=1),
                _day_of(year, month, self.cutoff_day))

    def due_day(self, level: str) -> int:
        for due in self.due:
            if due.level == level:
                return due.day
        raise NotFound(f"规则集中没有层级“{level}”的月报报送日")

    def due_date(self, year: int, month: int, level: str) -> date:
        """When the report of `year-month` is due from a bureau at `level` (day clamped to month end)."""
        return _day_of(year, month, self.due_day(level), months=self.due_month_offset)


@dataclass(frozen=True)
class Limits:
    max_amount_fen: int
    scan_max_mb: int
    evidence_types: tuple[str, ...]

    @property
    def scan_max_bytes(self) -> int:
        return self.scan_max_mb * 1024 * 1024


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    read_only: bool


@dataclass(frozen=True)
class Backups:
    recent: int
    daily: int
    weekly: int
    monthly: int


@dataclass(frozen=True)
class FunctionalCode:
    code: str
    name: str
    former_name: str | None
    renamed_year: int | None

    def name_in(self, year: int) -> str:
        """The name the classification carried in budget year `year`."""
        if self.former_name and self.renamed_year and year < self.renamed_year:
            return self.former_name
        return self.name


@dataclass(frozen=True)
class NoticeIntro:
    """The opening sentence of notices of one kind (`code`, a notices.kinds code), with {…} blanks (LABEL_FIELDS)."""

    code: str
    text: str


@dataclass(frozen=True)
class Labels:
    """Names that change with the regime and appear in messages and documents (issue 17: out of code)."""

    leading_group: str  # the county body that approves the project plan (the county's leading group, named by the rule set)
    hotline_name: str  # what the national supervision line is called on a notice
    fund_family: str = "财政扶贫资金"  # what the money is called as a whole on forms and notices (财政衔接推进乡村振兴补助资金 …)
    notice_intros: tuple[NoticeIntro, ...] = ()  # per notice kind: the opening sentence ({basis} {basis_title} …)

    def notice_intro(self, kind: str, *, basis: str, basis_title: str) -> str | None:
        """The opening sentence of a notice of `kind`, filled in; None when the rule set gives none for that kind."""
        text = next((i.text for i in self.notice_intros if i.code == kind), None)
        return None if text is None else text.format(basis=basis, basis_title=basis_title, fund_family=self.fund_family)


LABEL_FIELDS = ("basis", "basis_title", "fund_family")  # the {…} a notice intro may use


@dataclass(frozen=True)
class ReportWording:
    """`[reports]`: how the monthly package is worded under this regime (issue 17). `name` the package's name (the
    cover's title), `titles` one title per table id (表1 …). Empty (files written before it): the report
    definitions' own wording (resources/reports). Used only by months computed under calc 2 or later
    (reports/package_data.CALC): a month signed earlier re-creates with the words it was signed with."""

    name: str = ""
    titles: tuple[Entry, ...] = ()  # code = table id (表1 …), name = its title

    def title(self, table_id: str) -> str | None:
        return next((t.name for t in self.titles if t.code == table_id), None)


REPORT_TABLE_ID = r"表[1-9][0-9]?"  # the table ids a [reports.titles] key may name


@dataclass(frozen=True)
class Fundraising:
    regional_zx_min_share: Fraction
    zh_integration_share_2016: Fraction
    yd_per_person_central_fen: int
    yd_per_person_regional_fen: int
    dd_annual_fen: int
    dd_first_year: int
    dd_years: int
    yb_annual_fen: int
    yb_first_year: int
    yb_counties: int
    south_xinjiang_min_share: Fraction
    deep_poor_counties_min_share: Fraction


@dataclass(frozen=True)
class Allowance:
    """How often one person may receive one kind of subsidy (a project category): `times` per year or ever."""

    category: str
    times: int
    per: Literal["year", "ever"]


@dataclass(frozen=True)
class Claims:
    """The numbers of the false-claim cross-checks (warnings W10–W14)."""

    subsidy_payment_kinds: tuple[str, ...]
    default: Allowance  # category "" : every category not listed
    allowances: tuple[Allowance, ...]
    max_ids_per_account: int
    count_by: Literal["project", "list"] = "project"

    def allowance(self, category: str) -> Allowance:
        return next((a for a in self.allowances if a.category == category), self.default)


@dataclass(frozen=True)
class NoticeOrder:
    """事前公示: which notice must have been on the board for how many days before a project's money is paid."""

    min_days: int
    required_kind: str
    required_levels: tuple[str, ...]
    basis: str
    plan_fields: tuple[str, ...] = ()  # more fields a 项目计划安排 notice must carry (审批文号)
    completion_fields: tuple[str, ...] = ()  # … and a 资金使用情况 notice (验收结果, 绩效目标完成情况)

    def extra_fields(self, kind: str) -> tuple[str, ...]:
        return {"project_plan": self.plan_fields, "fund_use": self.completion_fields}.get(kind, ())
