"""Issue 17: publishing duties are data ([[duties]] in the rule file), evaluated by the rule set of the year they arose.

The naive versions these tests defeat: obligations that keep their own list of duties whatever the file says (the
xj-2021 项目入库公示 and a bureau's dropped 村级 duty would change nothing); a loader that accepts a duty about an
object the program cannot find (the duty silently never arises); a shipped xj-2019 whose duties drift from what the
program did before they were data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.rules import diff as rules_diff
from app.models.rules import load as rules
from app.models.rules import schema as rs
from app.models.store import rule_sets
from app.models.store.book import Book
from app.models.warnings import engine as warnings
from tests.conftest import FixedClock, login_as
from tests.models.notices import notice_fixtures as nf

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "rules"
TODAY = dt.date(2026, 11, 20)


def _text(rid: str = "xj-2021") -> str:
    return (SHIPPED / f"{rid}.toml").read_text(encoding="utf-8")


def _without_duties(text: str) -> str:
    """The file as written before duties were data: every [[duties]] block (and its comment lines) removed."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("[[duties]]"):
            skipping = True
            continue
        if skipping and (line.startswith("[") or line.startswith("# ─")):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


# -- the shipped files -------------------------------------------------------------------------------------------
def _policy(d: rs.Duty) -> tuple[object, ...]:
    return (d.code, d.kind, d.object, d.when, d.level, d.min_days, d.no_village, d.renew_on_adjustment,
            d.project_statuses)


def test_xj_2019_lists_exactly_the_duties_the_program_had() -> None:
    """The 2019 file states the duties obligations.py hard-coded; a file without [[duties]] gets the same."""
    shipped = rules.load_named("xj-2019").duties
    assert [_policy(d) for d in shipped] == [_policy(d) for d in rs.DEFAULT_DUTIES]
    old = rules.loads(_without_duties(_text("xj-2019")), name="old.toml")
    assert old.duties == rs.DEFAULT_DUTIES
    assert all(d.basis for d in shipped) and all("§三(二)5" in d.basis for d in shipped)


def test_diff_lists_the_new_duty_and_its_kind() -> None:
    found = {d.path: d for d in rules_diff.diff(rules.load_named("xj-2019"), rules.load_named("xj-2021"))}
    assert found["duties[pool_entry_village]"].a == "" and "项目入库公示" in found["duties[pool_entry_village]"].b
    assert found["notices.kinds[pool_entry]"].b == "pool_entry 项目入库公示"
    assert found["duties[pool_entry_village]"].section == "公示义务"
    doc = (ROOT / "docs" / "规则集.md").read_text(encoding="utf-8")
    assert "`duties[pool_entry_village]`" in doc


# -- bad input: each refused with the file, the key path and the reason -----------------------------------------
_FIRST = 'code = "allocation"\nkind = "allocation"\nobject = "indicator"\nwhen = "allocated"\nlevel = "county"\n'


@pytest.mark.parametrize(("edit", "key", "reason"), [
    (lambda t: t.replace(_FIRST, _FIRST.replace('object = "indicator"', 'object = "contract"'), 1),
     "duties[1].object", "indicator / project / payment"),
    (lambda t: t.replace(_FIRST, _FIRST.replace('when = "allocated"', 'when = "approved"'), 1),
     "duties[1].when", "指标的公示义务应在 allocated"),
    (lambda t: t.replace(_FIRST, _FIRST.replace('kind = "allocation"', 'kind = "budget"'), 1),
     "duties[1].kind", "未定义的公示类别"),
    (lambda t: t.replace(_FIRST, _FIRST.replace('level = "county"', 'level = "prefecture"'), 1),
     "duties[1].level", "未定义的公示层级"),
    (lambda t: t.replace(_FIRST, _FIRST + 'no_village = "skip"\n', 1), "duties[1].no_village", "指标没有所在村"),
    (lambda t: t.replace(_FIRST, _FIRST + 'min_days = "十"\n', 1), "duties[1].min_days", "整数"),
    (lambda t: t.replace(_FIRST, _FIRST + "min_days = 0\n", 1), "duties[1].min_days", "1 到 366"),
    (lambda t: t.replace(_FIRST, _FIRST + "renew_on_adjustment = true\n", 1), "duties[1].renew_on_adjustment",
     "approved"),
    (lambda t: t.replace(_FIRST, _FIRST + 'colour = "red"\n', 1), "duties[1].colour", "拼写错误"),
    (lambda t: t.replace('code = "plan_village"', 'code = "plan_township"', 1), "duties[3].code", "重复"),
    (lambda t: t.replace('project_statuses = ["completed", "accepted"]', 'project_statuses = ["closed"]', 1),
     "duties[4].project_statuses[1]", "未定义的项目状态"),
    (lambda t: t.replace('project_statuses = ["completed", "accepted"]', "project_statuses = []", 1),
     "duties[4].project_statuses", "至少列出一个"),
    # two duties that would publish the same kind about the same object at the same level
    (lambda t: t.replace('no_village = "skip"                           # 项目不在某个村的，只在乡级公示',
                         'no_village = "township"', 1), "duties[3].level", "与 plan_township 重复"),
    (lambda t: t.replace('no_village = "township"                       # [design] 项目不在某个村的，在乡级公示',
                         'no_village = "town"', 1), "duties[6].no_village", '"skip"'),
])
def test_a_bad_duty_is_refused_with_its_key_path(edit: object, key: str, reason: str) -> None:
    text = edit(_text())  # type: ignore[operator]
    assert text != _text(), "the edit did not apply"
    problems = rules.check_text(text, name="本县.toml")
    assert [(p.file, p.key) for p in problems] == [("本县.toml", key)], [str(p) for p in problems]
    assert reason in problems[0].reason, problems[0].reason


# -- the same data, judged by the year's set ----------------------------------------------------------------------
@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def _assign(book: Book, *, path: Path | None = None, rule_set: str = "xj-2021") -> None:
    login_as(book, "chief")
    if path is None:
        rule_sets.assign(book, from_year=2021, rule_set=rule_set, reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    else:
        rule_sets.assign(book, from_year=2021, path=path, reason="本县规则集")
    login_as(book, "clerk")


def _pool(book: Book) -> dict[str, ob.Obligation]:
    return {o.key: o for o in ob.obligations(book, as_of=TODAY) if o.kind == "pool_entry"}


def test_pool_entry_is_a_duty_under_2021_and_none_under_2019(book: Book, county: nf.County) -> None:
    """Projects entered on 2026-03-12: no 入库公示 duty while 2026 runs under xj-2019; under xj-2021 one per project,
    at the village (the township when the project names none), and W7 reports both as missing."""
    assert _pool(book) == {}
    w7 = {f.key for f in warnings.detect(book, TODAY) if f.code == "W7"}
    assert w7 and not any(k.startswith("W7:pool_entry:") for k in w7)
    _assign(book)
    pool = _pool(book)
    assert set(pool) == {f"pool_entry:village:project:{county.village_project}",
                         f"pool_entry:township:project:{county.township_project}"}
    assert {o.status for o in pool.values()} == {ob.MISSING}
    assert all(o.since == dt.date(2026, 3, 12) and o.kind_name == "项目入库公示" for o in pool.values())
    w7 = {f.key for f in warnings.detect(book, TODAY) if f.code == "W7"}
    assert {f"W7:{k}" for k in pool} <= w7
    fast = {o.key for o in ob.open_obligations(book, as_of=TODAY)}
    assert set(pool) <= fast


def test_a_pool_entry_notice_meets_the_duty_for_its_days(book: Book, county: nf.County) -> None:
    """Recorded like any project notice (the kind's object comes from the duty); 10 days on the board meet it, 9
    taken down do not."""
    _assign(book)
    key = f"pool_entry:village:project:{county.village_project}"
    args = {"kind": "pool_entry", "level": "village", "object_type": "project", "object_id": county.village_project,
            "title": "关于托万克村养殖圈舍建设项目入库的公示", "place": "board", "start_date": "2026-03-13",
            "publisher": "阿克苏乡托万克村村民委员会"}
    short = notices.record_notice(book, **args, end_date="2026-03-21")  # type: ignore[arg-type]
    assert _pool(book)[key].status == ob.TOO_SHORT and _pool(book)[key].days == 9
    assert "少于 10 天" in _pool(book)[key].detail
    notices.record_notice(book, **(args | {"start_date": "2026-03-22"}), end_date="2026-03-31")  # type: ignore[arg-type]
    assert _pool(book)[key].status == ob.SHOWN and _pool(book)[key].notice_id != short
    assert "项目名称" in notices.draft(book, kind="pool_entry", level="village", object_type="project",
                                      object_id=county.village_project)["content"]


def _bureau_set(folder: Path, name: str, edit: object) -> Path:
    text = edit(_text().replace('id = "xj-2021"', f'id = "{name}"', 1))  # type: ignore[operator]
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    assert rules.check_text(text) == []
    return path


def test_a_bureau_set_without_the_village_plan_duty_drops_it_for_its_years(book: Book, county: nf.County,
                                                                            tmp_path: Path) -> None:
    """The 村级 项目计划 duty of the village project is open under xj-2021; a bureau's set that does not list it
    has no such duty, and the 乡级 one stays."""
    _assign(book)
    village = f"project_plan:village:project:{county.village_project}"
    township = f"project_plan:township:project:{county.village_project}"
    before = {o.key for o in ob.obligations(book, as_of=TODAY)}
    assert {village, township} <= before

    def drop(text: str) -> str:
        start = text.index('[[duties]]\ncode = "plan_village"')
        end = text.index("[[duties]]", start + 10)
        return text[:start] + text[end:]

    _assign(book, path=_bureau_set(tmp_path, "xj-2021-novillage", drop))
    after = {o.key for o in ob.obligations(book, as_of=TODAY)}
    assert township in after and village not in after
    assert after == before - {village}


def test_a_duty_with_its_own_minimum_days(book: Book, county: nf.County, tmp_path: Path) -> None:
    """A 村级 项目计划 notice up 12 days: met under the shipped sets (10 days), 公示中/不足 where the bureau's set asks
    15 days of that duty only — the 乡级 one, with no min_days of its own, still needs 10."""
    key = f"project_plan:village:project:{county.village_project}"
    township = f"project_plan:township:project:{county.village_project}"
    for level in ("village", "township"):
        notices.record_notice(book, kind="project_plan", level=level, object_type="project",
                              object_id=county.village_project, title="关于托万克村养殖圈舍建设项目计划安排的公示",
                              place="board", start_date="2026-04-10", end_date="2026-04-21", publisher="托万克村")
    found = {o.key: o for o in ob.obligations(book, as_of=TODAY)}
    assert (found[key].status, found[township].status) == (ob.SHOWN, ob.SHOWN)

    def longer(text: str) -> str:
        anchor = 'code = "plan_village"\n'
        return text.replace(anchor, anchor + "min_days = 15\n", 1)

    _assign(book, path=_bureau_set(tmp_path, "xj-2021-village15", longer))
    found = {o.key: o for o in ob.obligations(book, as_of=TODAY)}
    assert found[key].status == ob.TOO_SHORT and "少于 15 天" in found[key].detail
    assert found[township].status == ob.SHOWN
    assert key in {o.key for o in ob.open_obligations(book, as_of=TODAY)}


def test_duties_are_read_from_the_years_set_not_the_current_one(book: Book, county: nf.County,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The naive evaluation reads `book.rules` (the current year's set) for every duty."""
    _assign(book)
    monkeypatch.setattr(Book, "rules", property(lambda self: pytest.fail("读取了当前年度的规则集")))
    seen: list[int] = []
    real = Book.rules_for

    def rules_for(self: Book, year: int) -> rs.RuleSet:
        seen.append(year)
        return real(self, year)

    monkeypatch.setattr(Book, "rules_for", rules_for)
    found = ob._duties(book, TODAY)
    assert found and 2026 in seen


def test_duty_dataclass_fields_are_in_the_diff() -> None:
    """Every policy field of a duty is compared by `rules diff` (a changed min_days is a listed difference)."""
    a = rules.load_named("xj-2021")
    b = dataclasses.replace(a, duties=tuple(dataclasses.replace(d, min_days=15) if d.code == "plan_village" else d
                                            for d in a.duties))
    assert [(d.path, d.a, d.b) for d in rules_diff.diff(a, b)] == [("duties[plan_village].min_days", "未设定", "15")]
