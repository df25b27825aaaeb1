"""Issue 17: names and wording that change with the regime ([labels]: leading group, hotline, fund family, notice
openings) come from the rule set of the year a document concerns — never from code.

The naive versions: a notice of 2026 money that still opens with 2019's “扶贫项目‘两个一律’” (the code kept the
sentence); a payment form titled 财政扶贫资金 for 衔接资金; a notice opening with a blank the program cannot fill
({county}) that only fails when a clerk prints it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.export import approval_form
from app.models.notices import content
from app.models.rules import load as rules
from app.models.store import rule_sets
from app.models.store.book import Book
from tests.conftest import FixedClock, login_as
from tests.models.notices import notice_fixtures as nf

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "rules"


def _text(rid: str = "xj-2021") -> str:
    return (SHIPPED / f"{rid}.toml").read_text(encoding="utf-8")


_INTRO = 'pool_entry = "根据项目库建设管理的要求，现将拟纳入项目库的项目公示如下："'


@pytest.mark.parametrize(("edit", "key", "reason"), [
    (lambda t: t.replace(_INTRO, _INTRO.replace("pool_entry", "budget"), 1), "labels.notice_intros.budget",
     "不是公示类别"),
    (lambda t: t.replace(_INTRO, _INTRO.replace("项目库建设", "{county}项目库建设"), 1),
     "labels.notice_intros.pool_entry", "{county} 不可识别"),
    (lambda t: t.replace(_INTRO, _INTRO.replace("项目库建设", "{项目库建设"), 1), "labels.notice_intros.pool_entry",
     "花括号"),
    (lambda t: t.replace(_INTRO, 'pool_entry = 3', 1), "labels.notice_intros.pool_entry", "非空文字"),
    (lambda t: t.replace('fund_family = "财政衔接推进乡村振兴补助资金"', "fund_family = true", 1), "labels.fund_family",
     "非空文字"),
])
def test_a_bad_label_is_refused_with_its_key_path(edit: object, key: str, reason: str) -> None:
    text = edit(_text())  # type: ignore[operator]
    assert text != _text(), "the edit did not apply"
    problems = rules.check_text(text, name="本县.toml")
    assert [(p.file, p.key) for p in problems] == [("本县.toml", key)], [str(p) for p in problems]
    assert reason in problems[0].reason, problems[0].reason


def test_a_file_written_before_fund_family_and_intros_still_loads() -> None:
    text = _text()
    start = text.index('fund_family = "')
    end = text.index("# ───", start)
    old = rules.loads(text[:start] + text[end:], name="old.toml")
    assert old.labels.fund_family == old.kinds[0].name == "财政衔接推进乡村振兴补助资金"
    assert old.labels.notice_intros == ()


def test_shipped_intros_cover_every_kind_and_fill_every_blank() -> None:
    for rid in ("xj-2019", "xj-2021"):
        r = rules.load_named(rid)
        for kind in r.notices.kinds:
            intro = r.labels.notice_intro(kind.code, basis=r.meta.basis, basis_title=r.meta.basis_title)
            assert intro is not None and "{" not in intro and "}" not in intro, (rid, kind.code)


@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def _intro(book: Book, c: nf.County, kind: str = "project_plan") -> str:
    return content.for_draft(book, kind=kind, level="village", object_type="project", object_id=c.village_project,
                             on=dt.date(2026, 11, 20)).intro


def test_a_notice_opens_with_its_years_wording(book: Book, county: nf.County) -> None:
    """2026 under xj-2019: “扶贫项目‘两个一律’”; once 2021 on runs under xj-2021, the same notice names the
    衔接资金 and its basis, and no 扶贫 is left in its opening."""
    before = _intro(book, county)
    assert "两个一律" in before and "新财脱贫组〔2019〕2号" in before
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    login_as(book, "clerk")
    after = _intro(book, county)
    assert after == "根据财农〔2021〕19号关于财政衔接推进乡村振兴补助资金项目公告公示的要求，现将项目计划安排情况公示如下："
    for kind in ("project_plan", "fund_use", "pool_entry"):
        assert "扶贫" not in _intro(book, county, kind)


def test_the_payment_form_is_titled_by_the_indicators_year(book: Book, county: nf.County) -> None:
    assert "财政扶贫资金支付审批单" in approval_form.form_html(book, county.enterprise_payment)
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    html = approval_form.form_html(book, county.enterprise_payment)
    assert "财政衔接推进乡村振兴补助资金支付审批单" in html and "财政扶贫资金支付审批单" not in html


def test_no_code_names_the_2019_leading_group_or_hotline() -> None:
    """Those names are the rule set's ([labels]); code that writes them would show them for 2021+ years too."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "app").rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if "扶贫开发领导小组" in line or "全国扶贫监督举报电话" in line]
    assert found == []


_TITLE = '"表1" = "财政衔接推进乡村振兴补助资金筹集及到位情况表"'


@pytest.mark.parametrize(("edit", "key", "reason"), [
    (lambda t: t.replace(_TITLE, _TITLE.replace('"表1"', '"表A"'), 1), "reports.titles.表A", "不是月报表的编号"),
    (lambda t: t.replace(_TITLE, '"表1" = 3', 1), "reports.titles.表1", "非空文字"),
    (lambda t: t.replace(_TITLE, '"表1" = ""', 1), "reports.titles.表1", "非空文字"),
    (lambda t: t.replace('[reports]\nname = ', '[reports]\nnmae = ', 1), "reports.nmae", "不是可识别的键"),
    (lambda t: t.replace('[reports]\nname = "财政衔接推进乡村振兴补助资金监督管理各类情况月报表"', '[reports]\nname = ["月报"]', 1),
     "reports.name", "非空文字"),
])
def test_a_bad_report_wording_is_refused_with_its_key_path(edit: object, key: str, reason: str) -> None:
    text = edit(_text())  # type: ignore[operator]
    assert text != _text(), "the edit did not apply"
    problems = rules.check_text(text, name="本县.toml")
    assert [(p.file, p.key) for p in problems] == [("本县.toml", key)], [str(p) for p in problems]
    assert reason in problems[0].reason, problems[0].reason


def test_report_wording_is_optional_and_differs_between_the_regimes() -> None:
    from app.models.rules import diff

    text = _text()
    start = text.index("\n[reports]\n")
    old = rules.loads(text[:start], name="old.toml")  # a file written before [reports]: the definitions' words
    assert old.reports.name == "" and old.reports.titles == () and old.reports.title("表1") is None
    a, b = rules.load_named("xj-2019"), rules.load_named("xj-2021")
    assert a.reports.title("表1") == "财政扶贫资金筹集及到位情况表"
    assert b.reports.title("表1") == "财政衔接推进乡村振兴补助资金筹集及到位情况表"
    found = {d.path: d for d in diff.diff(a, b)}
    assert found["reports.titles[表1].name"].b == "财政衔接推进乡村振兴补助资金筹集及到位情况表"
    assert found["reports.name"].section == "月报表名称"
    assert "ratio_rules[industry_share]" in " ".join(found) or any("industry_share" in p for p in found)
