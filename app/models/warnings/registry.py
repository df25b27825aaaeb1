"""Every warning detector, by the code the rule set gives it: the one list the engine runs (DOMAIN §5.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from app.models.warnings import claims_detectors as claims
from app.models.warnings import ledger_detectors as ledger
from app.models.warnings import project_detectors as projects
from app.models.warnings import ratio_detector as ratios
from app.models.warnings.base import Context, Detector, Finding

DETECTORS: dict[str, Detector] = {
    "W1": ledger.late_stages,
    "W2": projects.irregular_goals,
    "W3": projects.irregular_payments,
    "W4": projects.management_fees,
    "W5": ledger.spending_behind,
    "W6": ledger.idle_money,
    "W7": projects.missing_notices,
    "W8": ledger.reconciliation,
    "W9": ledger.reports_overdue,
    # false claims, across payments, lists, projects and years (issue #18)
    "W11": claims.repeated_subsidies,
    "W12": claims.shared_accounts,
    "W13": claims.staff_payees,
    "W14": claims.off_roster,
    "W15": claims.holder_mismatch,
    "W16": claims.paid_before_notice,  # 先支付后公示 (事前公示, rules [notice_order])
}


# detector name → its run when only the clock moved since the last stored run (no table it reads written since):
# fn(ctx, objects the last run noted in ctx.clock, the last run's day, the object ids of its stored findings) →
# (the objects it read again, their findings); the stored findings of every other object are kept
# (engine.detect_incremental, issue #22).
CLOCK: dict[str, Callable[[Context, set[str], dt.date, set[str]], tuple[set[str], Iterable[Finding]]]] = {
    "late_stages": ledger.late_stages_moved,
    "missing_notices": projects.missing_notices_moved,
    "irregular_goals": projects.irregular_goals_moved,
    "management_fees": projects.management_fees_moved,
    "paid_before_notice": claims.paid_before_notice_moved,
    "reconciliation": ledger.reconciliation_moved,
    "irregular_payments": projects.irregular_payments_moved,
}
CLOCK_USES_STORED = frozenset({"missing_notices", "irregular_goals"})
"""The clock runs that look at the stored findings' objects (their fourth argument); the others get an empty set,
so that a new day does not list the 20,000 live W8 or 3,000 W1 warnings of a large county for nothing."""


def _after_code(key: str) -> str:
    return key.split(":", 1)[1]


def _code_and(code: str, group: str) -> str:
    return f"{code}:{group}"


# detector name → (the object a key is about, i.e. its findings' object_id; the start of that object's keys under
# the code the rule set gives — a key is the prefix or the prefix and ':…'): what an incremental run keeps is
# named by object, and saving reads back only the rows of the objects read again (claims_incremental.Kept).
CLOCK_KEYS: dict[str, tuple[Callable[[str], str], Callable[[str, str], str]]] = {
    "late_stages": (lambda key: key.split(":")[1], _code_and),  # W1:<indicator>:<stage>
    "missing_notices": (_after_code, _code_and),  # W7:<the duty's key>
    "irregular_goals": (lambda key: key.rsplit(":", 1)[1], lambda code, g: f"{code}:project:{g}"),  # W2:project:<id>
    "management_fees": (_after_code, _code_and),  # W4:<budget year>
    "paid_before_notice": (lambda key: key.rsplit(":", 1)[1], lambda code, g: f"{code}:project:{g}"),  # W16:project:<id>
    "reconciliation": (lambda key: "|".join(key.split(":", 2)[1:]), lambda code, g: f"{code}:{g.replace('|', ':', 1)}"),
    "irregular_payments": (_after_code, _code_and),  # W3:payment:<id>, W3:treasury:<voucher>
}


BY_NAME: dict[str, Detector] = {fn.__name__: fn for fn in (*DETECTORS.values(), ratios.ratio_rules)}
"""detector name (a rule set's [[warnings]] detector = "…") → function; the names app/models/rules/sections.py
DETECTORS lists (tests/models/rules checks the two agree)."""
