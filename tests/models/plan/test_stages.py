"""Issue 17 (item 3): 项目库 stages are data — each [[project_statuses]] entry has a phase, and a project follows the
stages of its own year's rule set (2020: xj-2019, 入库 → 审定; 2021 on: xj-2021, 入库 → 储备 → 纳入年度实施计划).

The naive versions these tests defeat: statuses used by position (the second is "approved", so 储备 would be taken
for the approval); the file's current set deciding a 2020 project's stages; approval allowed from the first stage
whatever the year; a 储备 notice duty dated by the project's entry, or by a column that can be rewritten.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.rules import load as rules
from app.models.store import rule_sets, rule_years
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from tests.conftest import FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "rules"
POSITIONAL = ["pool", "approved", "implementing", "finished", "finished"]


def _text() -> str:
    return (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")


# -- the rule files ----------------------------------------------------------------------------------------------
def test_the_shipped_sets_have_their_stages() -> None:
    old = rules.load_named("xj-2019").project_statuses
    assert [s.name for s in old] == ["入库", "审定", "实施中", "已完工", "已验收"]
    assert [s.phase for s in old] == POSITIONAL  # written without `phase`: phases by position, as before
    new = rules.load_named("xj-2021")
    assert [(s.code, s.phase) for s in new.project_statuses] == [
        ("pooled", "pool"), ("reserved", "pool"), ("approved", "approved"), ("in_progress", "implementing"),
        ("completed", "finished"), ("accepted", "finished")]
    assert new.project_statuses[1].name.startswith("储备")
    assert (new.initial_stage.code, new.approval_stage.code, new.approved_stage.code) == ("pooled", "reserved",
                                                                                          "approved")
    assert new.finished_codes == ("completed", "accepted")
    duty = next(d for d in new.duties if d.when == "stage")
    assert (duty.code, duty.kind, duty.project_statuses, duty.min_days) == ("pool_reserve_village", "pool_reserve",
                                                                            ("reserved",), 10)
    assert "[unverified]" in duty.basis and "pool_reserve_village" in _text().split("[meta]")[0]  # header list


def test_every_archived_text_keeps_its_five_stages_by_position() -> None:
    """The texts years were assigned (and months signed) under load as before: phases by position, no stage duty."""
    for path in sorted((SHIPPED / "archive").glob("*.toml")):
        loaded = rules.loads(path.read_bytes().decode("utf-8"), name=path.name)
        if "reserved" in {s.code for s in loaded.project_statuses}:
            continue  # the current xj-2021 text, archived as the test of the archive requires
        assert [s.phase for s in loaded.project_statuses] == POSITIONAL, path.name
        assert not any(d.when == "stage" for d in loaded.duties), path.name


@pytest.mark.parametrize(("edit", "key", "reason"), [
    (lambda t: t.replace('phase = "implementing"', 'phase = "building"', 1), "project_statuses[4].phase",
     "应为 pool / approved / implementing / finished 之一"),
    (lambda t: t.replace('phase = "implementing"', 'phase = "pool"', 1), "project_statuses[4].phase", "不能倒退"),
    (lambda t: t.replace('phase = "approved"', 'phase = "implementing"', 1), "project_statuses",
     '缺少 phase = "approved"'),
    (lambda t: t.replace('phase = "implementing"', 'phase = "approved"', 1), "project_statuses[4].phase",
     '只能有一个 "approved"'),
    (lambda t: t.replace('phase = "pool"', 'phase = "approved"', 1), "project_statuses[1].phase", '应为 "pool"'),
    (lambda t: t.replace('name = "已验收"\nphase = "finished"', 'name = "已验收"', 1), "project_statuses[1].phase",
     "要么都写"),
    (lambda t: t.replace('project_statuses = ["reserved"]', 'project_statuses = ["stored"]', 1),
     "duties[8].project_statuses[1]", "未定义的项目状态"),
    (lambda t: t.replace('project_statuses = ["reserved"]               # 进入“储备”阶段之日产生\n', "", 1),
     "duties[8].project_statuses", "缺失"),
])
def test_a_bad_stage_list_is_refused_with_its_key_path(edit: object, key: str, reason: str) -> None:
    text = edit(_text())  # type: ignore[operator]
    assert text != _text(), "the edit did not apply"
    problems = rules.check_text(text, name="本县.toml")
    assert [(p.file, p.key) for p in problems] == [("本县.toml", key)], [str(p) for p in problems]
    assert reason in problems[0].reason, problems[0].reason


# -- projects of two regimes -------------------------------------------------------------------------------------
def _indicator(book: Book, year: int) -> int:
    return register(book, doc_no=f"新财农〔{year}〕8号", year=year, kind="ZH", item="ZH01",
                    received_date=dt.date(year, 3, 10), upper_doc_date=dt.date(year, 3, 1),
                    prefecture_doc_date=dt.date(year, 3, 6))


def _project(book: Book, code: str, year: int, indicator: int) -> int:
    return projects.create_project(book, fields=fx.project_fields(
        code=code, year=year, start_date=f"{year}-05-01", end_date=f"{year}-10-31"), funding=[(indicator, 100_000_00)])


def _entered_2021(book: Book, clock: FixedClock, code: str) -> int:
    """As the clerk: a 2021 indicator and a 2021 project on it, entered 2021-04-02."""
    login_as(book, "clerk")
    ind = _indicator(book, 2021)
    clock.now = dt.datetime(2021, 4, 2, 10, 0, 0)
    return _project(book, code, 2021, ind)


@pytest.fixture
def regimes(book: Book, clock: FixedClock) -> dict[str, int]:
    """A 2020 project (xj-2019) and a 2021 one (xj-2021, assigned from 2021), both entered 2021-04-02."""
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    login_as(book, "clerk")
    old, new = _indicator(book, 2020), _indicator(book, 2021)
    clock.now = dt.datetime(2021, 4, 2, 10, 0, 0)
    p2020 = _project(book, "XM2020-001", 2020, old)
    p2021 = _project(book, "XM2021-001", 2021, new)
    return {"p2020": p2020, "p2021": p2021}


def _approve(book: Book, pid: int, n: int) -> None:
    plan.approve_plan(book, project_ids=[pid], decision_no=f"示扶组发〔2021〕{n}号", decision_date="2021-04-20")


def test_a_2020_project_is_approved_straight_from_the_pool(book: Book, regimes: dict[str, int],
                                                           clock: FixedClock) -> None:
    p = projects.get(book, regimes["p2020"])
    assert (p["status"], p["status_name"], p["phase"]) == ("pooled", "入库", "pool")
    actions = plan.actions_for(book, p)
    assert "approve" in actions and "advance" not in actions  # xj-2019 has one pool stage: approval, not 推进
    with pytest.raises(ValidationError, match="尚未经领导小组审定") as info:
        plan.advance_status(book, project_id=p["id"], status="approved")
    assert info.value.field == "项目状态"
    clock.now = dt.datetime(2021, 4, 20, 16, 0, 0)
    _approve(book, p["id"], 1)
    assert projects.get(book, p["id"])["status_name"] == "审定"


def test_a_2021_project_is_approved_only_from_reserve(book: Book, regimes: dict[str, int],
                                                     clock: FixedClock) -> None:
    pid = regimes["p2021"]
    p = projects.get(book, pid)
    assert (p["status"], p["status_name"]) == ("pooled", "入库（申报）")
    assert {"advance", "edit"} <= plan.actions_for(book, p) and "approve" not in plan.actions_for(book, p)
    assert projects.next_stage(book, p).code == "reserved"
    clock.now = dt.datetime(2021, 4, 20, 16, 0, 0)
    with pytest.raises(ValidationError) as info:
        _approve(book, pid, 2)
    assert info.value.field == "项目状态"
    assert "项目状态为“入库（申报）”" in str(info.value) and "“储备（论证通过，纳入项目库）”才能审定" in str(info.value)
    assert projects.get(book, pid)["decision_id"] is None  # refused whole: nothing written
    with pytest.raises(ValidationError, match="尚未经领导小组审定"):
        plan.advance_status(book, project_id=pid, status="approved")  # approval is 审定's, not 推进's
    clock.now = dt.datetime(2021, 4, 9, 11, 0, 0)
    plan.advance_status(book, project_id=pid, status="reserved")
    audited = book.conn.execute("SELECT op, json_extract(after, '$.status') FROM audit_log WHERE tbl = 'projects' "
                                "AND row_key = ? AND action = 'U' ORDER BY seq DESC LIMIT 1", (str(pid),)).fetchone()
    assert tuple(audited) == ("advance_project", "reserved")
    p = projects.get(book, pid)
    assert "approve" in plan.actions_for(book, p) and "advance" not in plan.actions_for(book, p)
    assert "edit" in plan.actions_for(book, p)  # still in the 项目库: edited freely
    with pytest.raises(ValidationError, match="只能向后推进"):
        plan.advance_status(book, project_id=pid, status="pooled")
    clock.now = dt.datetime(2021, 4, 20, 16, 0, 0)
    _approve(book, pid, 3)
    p = projects.get(book, pid)
    assert (p["status"], p["status_name"], p["phase"]) == ("approved", "纳入年度实施计划", "approved")
    assert "advance" in plan.actions_for(book, p) and projects.next_stage(book, p).code == "in_progress"


def test_the_filter_lists_every_years_stages_once(book: Book, regimes: dict[str, int]) -> None:
    assert [c for c, _n in projects.status_choices(book)] == [
        "pooled", "reserved", "approved", "in_progress", "completed", "accepted"]


def _reserve_duties(book: Book, day: dt.date) -> dict[str, ob.Obligation]:
    return {o.key: o for o in ob.obligations(book, as_of=day) if o.kind == "pool_reserve"}


def test_the_reserve_duty_arises_the_day_the_2021_project_entered_reserve(book: Book, regimes: dict[str, int],
                                                                         clock: FixedClock) -> None:
    pid = regimes["p2021"]
    clock.now = dt.datetime(2021, 4, 9, 11, 0, 0)
    plan.advance_status(book, project_id=pid, status="reserved")
    clock.now = dt.datetime(2021, 4, 20, 16, 0, 0)
    _approve(book, regimes["p2020"], 4)
    # the project's row is written again later (approval): the day stays the day it entered 储备
    _approve(book, pid, 5)
    key = f"pool_reserve:village:project:{pid}"
    assert _reserve_duties(book, dt.date(2021, 4, 8)) == {}
    found = _reserve_duties(book, dt.date(2021, 4, 30))
    assert set(found) == {key}  # none for the 2020 project: xj-2019 has no 储备 stage and no such duty
    duty = found[key]
    assert (duty.since, duty.status, duty.kind_name) == (dt.date(2021, 4, 9), ob.MISSING, "项目库入库公示（储备）")
    assert f"W7:{key}" in {f"W7:{o.key}" for o in ob.open_obligations(book, as_of=dt.date(2021, 4, 30))}
    draft = notices.draft(book, kind="pool_reserve", level="village", object_type="project", object_id=pid,
                          on=dt.date(2021, 4, 10))
    assert draft["title"] == "关于示例村产业发展项目纳入项目库储备的公示"
    notices.record_notice(book, kind="pool_reserve", level="village", object_type="project", object_id=pid,
                          title=draft["title"], place="board", start_date="2021-04-10", end_date="2021-04-19",
                          content={k: v or "不适用" for k, v in draft["content"].items()},
                          publisher="城关镇巴格其村村民委员会")
    assert _reserve_duties(book, dt.date(2021, 4, 30))[key].status == ob.SHOWN  # 10 days: met


def test_a_file_whose_years_share_stages_behaves_as_before(book: Book, clock: FixedClock) -> None:
    """Without xj-2021 assigned, a 2021 project is approved from 入库 and no stage duty arises."""
    pid = _entered_2021(book, clock, "XM2021-009")
    assert "approve" in plan.actions_for(book, projects.get(book, pid))
    plan.advance_to_approval(book, project_ids=[pid])  # nothing to pass
    assert projects.get(book, pid)["status"] == "pooled"
    clock.now = dt.datetime(2021, 4, 20, 16, 0, 0)
    _approve(book, pid, 6)
    assert rule_years.finished_codes(book) == ("completed", "accepted")
    assert _reserve_duties(book, dt.date(2021, 12, 31)) == {}


def test_a_set_without_a_stage_projects_of_its_years_are_at_is_refused(book: Book, regimes: dict[str, int],
                                                                      clock: FixedClock) -> None:
    """Stages may differ between years, but a 2021 project at 储备 cannot be left without a stage: putting 2021 back
    under xj-2019 (no 储备) is refused, and so is dropping the 2021 assignment; before the 推进 both are allowed."""
    clock.now = dt.datetime(2021, 4, 9, 11, 0, 0)
    plan.advance_status(book, project_id=regimes["p2021"], status="reserved")
    login_as(book, "chief")
    with pytest.raises(ValidationError, match="reserved") as info:
        rule_sets.assign(book, from_year=2021, rule_set="xj-2019", reason="改回脱贫攻坚时期规则")
    assert info.value.field == "规则集" and "1 个项目" in str(info.value)
    with pytest.raises(ValidationError, match="reserved"):
        rule_sets.unassign(book, from_year=2021, reason="改回脱贫攻坚时期规则")
    assert book.rules_for(2021).id == "xj-2021"
    rule_sets.assign(book, from_year=2022, rule_set="xj-2019", reason="2022 年起另行规定")  # no 2022 project


def test_years_assigned_the_previous_xj_2021_keep_its_five_stages(book: Book, clock: FixedClock, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose 2021 on was assigned xj-2021 2021.2 (before 储备) keeps those rules after the upgrade: its 2021
    projects are approved from 入库 and no 储备 duty arises, so a month signed under it re-creates as signed."""
    import shutil

    from app import resources

    previous = (SHIPPED / "archive" / "xj-2021-a0828e9d3e934bb4.toml").read_bytes()
    older = tmp_path / "resources"  # the program as shipped before: xj-2021.toml was 2021.2
    shutil.copytree(resources.resources_dir(), older)
    (older / "rules" / "xj-2021.toml").write_bytes(previous)
    monkeypatch.setattr(resources, "resources_dir", lambda: older)
    rules.load_named.cache_clear()
    try:
        login_as(book, "chief")
        rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    finally:
        monkeypatch.undo()
        rules.load_named.cache_clear()
    book.forget_rule_years()
    assert rules.load_named("xj-2021").meta.version == "2021.3"
    assert book.rules_for(2021).meta.version == "2021.2"
    assert [s.phase for s in book.rules_for(2021).project_statuses] == POSITIONAL
    pid = _entered_2021(book, clock, "XM2021-010")
    assert projects.awaiting_approval(book, projects.get(book, pid))
    clock.now = dt.datetime(2021, 4, 20, 16, 0, 0)
    _approve(book, pid, 7)
    assert _reserve_duties(book, dt.date(2021, 12, 31)) == {}


def test_a_reserved_project_cannot_move_to_a_year_without_reserve(book: Book, regimes: dict[str, int],
                                                                 clock: FixedClock) -> None:
    pid = regimes["p2021"]
    projects.update_project(book, project_id=pid, fields={"year": 2022})  # 入库 is a stage of both sets
    plan.advance_status(book, project_id=pid, status="reserved")
    with pytest.raises(ValidationError, match="没有项目当前的状态") as info:
        projects.update_project(book, project_id=pid, fields={"year": 2020, "start_date": "2020-05-01",
                                                              "end_date": "2020-10-31"})
    assert info.value.field == "年度" and projects.get(book, pid)["year"] == 2022
