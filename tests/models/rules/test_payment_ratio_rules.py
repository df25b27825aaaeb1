"""Issue 17: a rule set's own per-payment ratio ([[ratio_rules]] scope = "payment"): name, numerator selector,
denominator selector, bound, hard/soft, message — checked on each payment of the year it governs, with no code.

The naive version only knows the five fixed payment ratios: a county's 到户补助 cap would load and never be checked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.models.payments import checks
from app.models.rules import diff as rules_diff
from app.models.rules import load as rules
from app.models.store import rule_sets
from app.models.store.book import Book
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "rules"
RULE = '''[[ratio_rules]]
code = "household_share"
name = "到户补助占项目资金比例"
value = "0.40"
base = "项目资金总额"
bound = "max"
soft = false
scope = "payment"
numerator = "project_paid[payment_kind=household_subsidy]"
denominator = "project.total"
message = "到户补助累计占项目资金"

'''


def _text(rule: str = RULE) -> str:
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8").replace('id = "xj-2021"', 'id = "xj-2021-hh"', 1)
    return text.replace("# ───────────────────────── 七、支出进度", rule + "# ───────────────────────── 七、支出进度", 1)


def test_the_rule_loads_as_a_payment_rule() -> None:
    r = rules.loads(_text(), name="hh.toml")
    assert [x.code for x in r.ratios.per_payment] == ["household_share"]
    assert "household_share" not in {x.code for x in r.ratios.yearly}
    assert "ratios.rules[household_share]" in {d.path for d in rules_diff.diff(rules.load_named("xj-2021"), r)}


@pytest.mark.parametrize(("old", "new", "key", "reason"), [
    ('scope = "payment"', 'scope = "month"', "scope", "year / payment"),
    ("project_paid[payment_kind=household_subsidy]", "project_paid[payment_kind=bonus]", "numerator", "不是本规则集中的代码"),
    ("project_paid[payment_kind=household_subsidy]", "project_paid[payee=x]", "numerator", "不可识别"),
    ("project_paid[payment_kind=household_subsidy]", "project.total", "numerator", "应为 project_paid"),
    ('denominator = "project.total"', 'denominator = "project.budget"', "denominator", "project.contract"),
    ('value = "0.40"', 'value = "1.40"', "value", "0 到 1 之间"),
])
def test_a_bad_payment_ratio_is_refused_with_its_key_path(old: str, new: str, key: str, reason: str) -> None:
    problems = rules.check_text(_text(RULE.replace(old, new, 1)), name="hh.toml")
    assert [p.key for p in problems] == [f"ratio_rules[7].{key}"], [str(p) for p in problems]
    assert reason in problems[0].reason, problems[0].reason


def test_a_fixed_ratio_cannot_be_moved_to_payment_scope() -> None:
    text = _text("").replace('code = "retention"\nname = "质保金比例"', 'code = "retention"\nscope = "payment"\nname = "质保金比例"', 1)
    problems = rules.check_text(text, name="hh.toml")
    assert [p.key for p in problems] == ["ratio_rules[5].scope"] and "支付检查计算" in problems[0].reason


@pytest.fixture
def project(book: Book, tmp_path: Path) -> dict[str, int]:
    own = tmp_path / "hh.toml"
    own.write_text(_text(), encoding="utf-8")
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2026, reason="本县：到户补助不超过项目资金 40%", path=own)
    login_as(book, "clerk")
    new = register(book, amount=1_000_000_00)
    old = register(book, doc_no="新财农〔2020〕77号", year=2020, amount=1_000_000_00, received_date=dt.date(2020, 3, 10),
                   upper_doc_date=dt.date(2020, 3, 1), prefecture_doc_date=dt.date(2020, 3, 6))
    pid = fx.approved_project(book, [(new, 300_000_00), (old, 300_000_00)])
    return {"project": pid, "new": new, "old": old, "payee": fx.enterprise(book)}


def _outcome(book: Book, t: dict[str, int], amount: int, kind: str = "household_subsidy",
             indicator: str = "new") -> checks.Outcome | None:
    draft = checks.Draft(project_id=t["project"], indicator_id=t[indicator], payee_id=None, amount=amount, kind=kind,
                         usage="household_subsidy", method="direct")
    return next((o for o in checks.evaluate(book, draft) if o.rule == "ratio:household_share"), None)


def test_the_cap_is_checked_on_the_payments_it_counts(book: Book, project: dict[str, int]) -> None:
    over = _outcome(book, project, 250_000_00)  # 250,000 of 600,000 = 41.67 %
    assert over is not None and over.outcome == "fail" and over.name == "到户补助占项目资金比例"
    assert "应不超过项目资金总额的 40%" in over.message and "41.67%" in over.actual
    ok = _outcome(book, project, 240_000_00)  # exactly 40 %
    assert ok is not None and ok.outcome == "pass"
    other = _outcome(book, project, 250_000_00, kind="progress")
    assert other is not None and other.outcome == "pass" and "不计入" in other.message


def test_the_rule_belongs_to_its_year(book: Book, project: dict[str, int]) -> None:
    """The same payment drawn on 2020 money (xj-2019, which has no such rule) is not checked against it."""
    assert _outcome(book, project, 250_000_00, indicator="old") is None
    assert _outcome(book, project, 250_000_00, indicator="new") is not None
