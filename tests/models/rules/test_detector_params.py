"""Issue 17: a warning definition carries its detector's parameters ([[warnings]] params), so one detector serves two
warnings with different numbers — W6 资金闲置 after 90 days ([spending] idle_days) and a county's W20 长期闲置 after
180 — in the full run and in the incremental one.

The naive version reads [spending] idle_days inside the detector: W20 would fire exactly when W6 does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.models.rules import diff as rules_diff
from app.models.rules import load as rules
from app.models.store import rule_sets
from app.models.store.book import Book
from app.models.warnings import engine
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "rules"
_W20 = '[[warnings]]\ncode = "W20"\nname = "长期闲置（本县）"\ndetector = "idle_money"\nparams = { idle_days = 180 }\n\n'


def _text(params: str = "params = { idle_days = 180 }", detector: str = "idle_money") -> str:
    w20 = _W20.replace("params = { idle_days = 180 }", params).replace("idle_money", detector)
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8").replace('id = "xj-2021"', 'id = "xj-2021-w20"', 1)
    return text.replace("[[warning_statuses]]", w20 + "[[warning_statuses]]", 1)


def test_the_definition_loads_with_its_parameters() -> None:
    r = rules.loads(_text(), name="w20.toml")
    assert r.warning("W20").params == (("idle_days", 180),) and r.warning("W6").params == ()
    found = [d.text() for d in rules_diff.diff(rules.load_named("xj-2021"), r)]
    assert "warnings[W20]：B 新增 W20 长期闲置（本县）" in found


@pytest.mark.parametrize(("params", "detector", "reason"), [
    ("params = { idle_dayz = 180 }", "idle_money", "检测器 idle_money 没有参数 'idle_dayz'（可用：idle_days）"),
    ("params = { idle_days = 180 }", "reports_overdue", "它不取参数"),
    ("params = { idle_days = 0 }", "idle_money", "1 到 3650"),
    ('params = { idle_days = "180" }', "idle_money", "整数"),
    ("params = { bond_spend_months = 13 }", "spending_behind", "1 到 12"),
    ("params = 180", "idle_money", "应为表"),
])
def test_a_bad_parameter_is_refused_with_its_key_path(params: str, detector: str, reason: str) -> None:
    problems = rules.check_text(_text(params, detector), name="w20.toml")
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].key.startswith("warnings[17].params") and reason in problems[0].reason, str(problems[0])


@pytest.fixture
def county(book: Book, tmp_path: Path) -> int:
    own = tmp_path / "w20.toml"
    own.write_text(_text(), encoding="utf-8")
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2026, reason="本县增加长期闲置预警", path=own)
    login_as(book, "clerk")
    return register(book, received_date=dt.date(2026, 1, 5), upper_doc_date=dt.date(2026, 1, 2),
                    prefecture_doc_date=dt.date(2026, 1, 4))


@pytest.mark.parametrize(("day", "codes"), [
    (dt.date(2026, 3, 1), set()),  # 55 days: neither
    (dt.date(2026, 5, 1), {"W6"}),  # 116 days: over 90, not over 180
    (dt.date(2026, 8, 1), {"W6", "W20"}),  # 208 days: both
])
def test_one_detector_two_warnings_two_numbers(book: Book, county: int, day: dt.date, codes: set[str]) -> None:
    key = f":{county}"
    full = {f.code for f in engine.detect(book, day) if f.key.endswith(key) and f.code in ("W6", "W20")}
    assert full == codes
    fast = {f.code for f in engine.detect_incremental(book, day).findings
            if f.key.endswith(key) and f.code in ("W6", "W20")}
    assert fast == codes
    if "W20" in codes:
        w20 = next(f for f in engine.detect(book, day) if f.code == "W20" and f.key.endswith(key))
        assert "超过 180 天" in w20.detail and w20.since == dt.date(2026, 1, 5) + dt.timedelta(days=181)
