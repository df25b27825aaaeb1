"""The rule set's typed shape and its look-ups; `rules.py` fills it from a validated TOML file.

Everything here is immutable: a loaded rule set is shared by the whole app (policy is data).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol, TypeVar

from app.models.rules.sections import (  # noqa: F401 (re-exported for rules.py and callers)
    DEFAULT_DUTIES,
    DUTY_OBJECT_NAMES,
    DUTY_OBJECTS,
    LABEL_FIELDS,
    PAYMENT_FILTERS,
    PAYMENT_RATIOS,
    PAYMENT_SOURCES,
    PHASE_NAMES,
    PHASES,
    REPORT_TABLE_ID,
    YEAR_FILTERS,
    YEAR_SOURCES,
    Allowance,
    Backups,
    Claims,
    Comparator,
    Duty,
    Entry,
    FunctionalCode,
    Fundraising,
    Labels,
    Limits,
    NoticeIntro,
    NoticeOrder,
    Notices,
    PerfClass,
    Performance,
    Place,
    Ratio,
    RatioRule,
    Ratios,
    ReportDue,
    Reporting,
    ReportWording,
    Role,
    Spending,
    Stage,
    WarningDef,
    WarningStatus,
)
from app.models.rules.toml_node import FileKeyError
from app.models.values.errors import NotFound

UsageMode = Literal["deny", "allow"]
DayType = Literal["calendar", "working"]
Bound = Literal["max", "min"]
CheckFailure = Literal["warn", "block"]
MaskMode = Literal["partial", "hidden"]

ALL_KINDS = "*"


class RuleSetError(FileKeyError):
    """A rule file that cannot be used: the message names the file, the key path and the reason."""

    what = "规则文件"


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


_C = TypeVar("_C", bound=_Coded)


def _find(entries: Iterable[_C], code: str, what: str) -> _C:
    for entry in entries:
        if entry.code == code:
            return entry
    raise NotFound(f"规则集中没有{what}“{code}”")


@dataclass(frozen=True)
class Meta:
    format: int
    id: str
    name: str
    basis: str
    basis_title: str
    issuer: str
    version: str
    effective: date


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    kind: str
    bond: bool


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    items: tuple[Item, ...]
    items_editable: bool
    bond: bool
    poverty_use_optional: bool
    usage_mode: UsageMode
    usage: tuple[str, ...]


@dataclass(frozen=True)
class UsageException:
    code: str
    name: str
    kind: str
    condition: str
    requires_decision: bool
    unlocks: tuple[str, ...]


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    bureau: bool


@dataclass(frozen=True)
class Deadline:
    code: str
    kind: str  # a kind code or ALL_KINDS
    items: tuple[str, ...]  # empty: every item of the kind
    poverty_use_only: bool
    stage: str
    who: str
    office: str
    level: str
    from_event: str
    to_event: str
    days: int
    day_type: DayType
    basis: str

    def applies_to(self, kind_code: str, item_code: str | None = None, *, poverty_use: bool = True) -> bool:
        """Whether an indicator of this kind/item is subject to this stage's limit."""
        if self.kind not in (ALL_KINDS, kind_code):
            return False
        if self.items and item_code not in self.items:
            return False
        return poverty_use or not self.poverty_use_only


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    name: str
    direct: bool
    allowed: bool


@dataclass(frozen=True)
class PaymentKind:
    code: str
    name: str
    real_name_list: bool
    prepayment: bool
    retention: bool
    management_fee: bool
    labour: bool


@dataclass(frozen=True)
class IdType:
    code: str
    name: str
    on_check_failure: CheckFailure


@dataclass(frozen=True)
class PayeeType:
    code: str
    name: str
    id_type: str
    person: bool


@dataclass(frozen=True)
class Payment:
    direct_payment_only: bool
    methods: tuple[PaymentMethod, ...]
    kinds: tuple[PaymentKind, ...]
    id_types: tuple[IdType, ...]
    payee_types: tuple[PayeeType, ...]


@dataclass(frozen=True)
class RuleSet:
    """One policy's complete rule set; `source` is the file it came from (for messages)."""

    source: str
    meta: Meta
    kinds: tuple[Kind, ...]
    usage_categories: tuple[Entry, ...]
    usage_exceptions: tuple[UsageException, ...]
    source_levels: tuple[Entry, ...]
    levels: tuple[Level, ...]
    events: tuple[Entry, ...]
    deadlines: tuple[Deadline, ...]
    payment: Payment
    ratios: Ratios
    spending: Spending
    notices: Notices
    project_categories: tuple[Entry, ...]
    construction_types: tuple[Entry, ...]
    asset_types: tuple[Entry, ...]
    project_statuses: tuple[Stage, ...]
    performance: Performance
    warnings: tuple[WarningDef, ...]
    warning_statuses: tuple[WarningStatus, ...]
    reporting: Reporting
    limits: Limits
    roles: tuple[Role, ...]
    backups: Backups
    functional_codes: tuple[FunctionalCode, ...]
    fundraising: Fundraising
    labels: Labels
    claims: Claims
    notice_order: NoticeOrder
    duties: tuple[Duty, ...] = ()  # publishing duties ([[duties]]; DEFAULT_DUTIES for older files)
    reports: ReportWording = ReportWording()  # the monthly package's name and table titles ([reports]; optional)
    file_hash: str = ""  # SHA-256 of the file's bytes (UTF-8 text): what a year's assignment and a signed month record
    _items: dict[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_items", {i.code: i for k in self.kinds for i in k.items})

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def label(self) -> str:
        """“xj-2019 2019.1”: the id and version a month's report and manifest state."""
        return f"{self.meta.id} {self.meta.version}"

    @property
    def backup_keep(self) -> dict[str, int]:
        """How many backups of each age class to keep (recent/daily/weekly/monthly)."""
        b = self.backups
        return {"recent": b.recent, "daily": b.daily, "weekly": b.weekly, "monthly": b.monthly}

    @property
    def report_cutoff_day(self) -> int | None:
        """The statistical cut-off day of a report month; None means the month's last day."""
        return self.reporting.cutoff_day

    # ── project stages ([[project_statuses]], each with its phase) ──
    def stage(self, code: str) -> Stage | None:
        return next((s for s in self.project_statuses if s.code == code), None)

    def stage_index(self, code: str) -> int:
        """Position of stage `code` in this set's order (-1: not one of its stages)."""
        return next((i for i, s in enumerate(self.project_statuses) if s.code == code), -1)

    def stages_in(self, *phases: str) -> tuple[Stage, ...]:
        return tuple(s for s in self.project_statuses if s.phase in phases)

    @property
    def initial_stage(self) -> Stage:
        """The stage a new project enters (the first; always in the pool phase)."""
        return self.project_statuses[0]

    @property
    def approval_stage(self) -> Stage:
        """The stage a project must have reached to be approved: the last pool stage (earlier pool stages are
        passed by 推进 — e.g. 入库 → 储备 under xj-2021)."""
        return self.stages_in("pool")[-1]

    @property
    def approved_stage(self) -> Stage:
        """The stage the leading group's approval puts a project in (exactly one per set)."""
        return self.stages_in("approved")[0]

    @property
    def finished_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.stages_in("finished"))

    def next_stage(self, code: str) -> Stage | None:
        """The stage after `code` (None at the last, or for a code that is not one of this set's stages)."""
        i = self.stage_index(code)
        return self.project_statuses[i + 1] if 0 <= i < len(self.project_statuses) - 1 else None

    # ── fund catalogue and usage ──
    def kind(self, code: str) -> Kind:
        return _find(self.kinds, code, "资金大类")

    def item(self, code: str) -> Item:
        try:
            return self._items[code]
        except KeyError:
            raise NotFound(f"规则集中没有资金项目“{code}”") from None

    def is_bond(self, kind_code: str, item_code: str | None = None) -> bool:
        """Bond money: spent within the bond limit and only on the declared bond project."""
        if self.kind(kind_code).bond:
            return True
        return item_code is not None and item_code in self._items and self._items[item_code].bond

    def usage_category(self, code: str) -> Entry:
        return _find(self.usage_categories, code, "支出用途")

    def usage_allowed(self, kind_code: str, usage_code: str, *, zh_exception: bool = False) -> bool:
        """Whether `kind_code` money may pay `usage_code`; `zh_exception` applies the kind's recorded
        exceptions (the 脱贫摘帽县 leading-group decision for ZH)."""
        kind = self.kind(kind_code)
        self.usage_category(usage_code)
        if zh_exception and any(usage_code in e.unlocks for e in self.usage_exceptions if e.kind == kind_code):
            return True
        listed = usage_code in kind.usage
        return listed if kind.usage_mode == "allow" else not listed

    def allowed_usages(self, kind_code: str, *, zh_exception: bool = False) -> tuple[Entry, ...]:
        """The usage categories a payment from `kind_code` may pick, in file order."""
        return tuple(
            u for u in self.usage_categories if self.usage_allowed(kind_code, u.code, zh_exception=zh_exception)
        )

    # ── deadlines ──
    def deadline(self, code: str) -> Deadline:
        return _find(self.deadlines, code, "下达时限")

    def deadlines_for(
        self, kind_code: str, item_code: str | None = None, *, level: str | None = None, poverty_use: bool = True
    ) -> tuple[Deadline, ...]:
        return tuple(
            d
            for d in self.deadlines
            if d.applies_to(kind_code, item_code, poverty_use=poverty_use) and (level is None or d.level == level)
        )

    def level(self, code: str) -> Level:
        return _find(self.levels, code, "层级")

    def source_level(self, code: str) -> Entry:
        return _find(self.source_levels, code, "资金级次")

    # ── payments ──
    def payment_kind(self, code: str) -> PaymentKind:
        return _find(self.payment.kinds, code, "支付类型")

    def payment_method(self, code: str) -> PaymentMethod:
        return _find(self.payment.methods, code, "支付方式")

    def method_allowed(self, code: str) -> bool:
        method = self.payment_method(code)
        return method.allowed and (method.direct or not self.payment.direct_payment_only)

    def payee_type(self, code: str) -> PayeeType:
        return _find(self.payment.payee_types, code, "收款人类型")

    def id_type(self, code: str) -> IdType:
        return _find(self.payment.id_types, code, "证件类型")

    # ── the rest ──
    def role(self, code: str) -> Role:
        return _find(self.roles, code, "角色")

    def warning(self, code: str) -> WarningDef:
        return _find(self.warnings, code, "预警类型")

    def functional_code(self, code: str) -> FunctionalCode:
        return _find(self.functional_codes, code, "支出功能分类科目")
