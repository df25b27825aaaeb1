"""绩效目标: the standard tree, the .xlsx import (all or nothing), monthly values and deviation, decisions,
the self-evaluation, and the 表8 rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from app.models.performance import goals as performance
from app.models.performance import goals_import as perf_import
from app.models.performance import query as perf_query
from app.models.store.book import Book
from app.models.values.errors import PermissionDenied, RowErrors, ValidationError
from tests.conftest import FixedClock, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.warnings.warning_fixtures import REGULAR_GOALS, START, at, project

D = dt.date


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def funded(book: Book, clock: FixedClock) -> tuple[Book, int]:
    """An approved project (decision 2026-03-20) funded with 100,000.00; today is 2026-04-10."""
    at(clock, D(2026, 4, 10))
    login_as(book, "clerk")
    ind = register(book)
    return book, project(book, ind, 100_000_00, code="XM2026001")


def test_goals_follow_the_standard_tree(funded: tuple[Book, int]) -> None:
    book, pid = funded
    gid = performance.add_goal(book, project_id=pid, fields={"level1": "产出", "level2": "质量", "name": "验收合格率",
                                                             "comparator": "＝", "target": "100%", "unit": ""})
    g = performance.get_goal(book, gid)
    assert (g["level1"], g["level2"], g["comparator"], g["target"], g["unit"]) == ("output", "quality", "=", "100", "%")
    assert g["target_text"] == "= 100%" and g["level2_name"] == "质量指标"
    for fields, field in (({"level1": "结果指标"}, "一级指标"), ({"level2": "经济效益指标"}, "二级指标"),
                          ({"comparator": "约等于"}, "比较符"), ({"name": " "}, "三级指标"),
                          ({"name": "验收合格率", "level2": "质量指标"}, "三级指标")):
        with pytest.raises(ValidationError) as err:
            performance.add_goal(book, project_id=pid, fields={"level1": "产出指标", "level2": "数量指标",
                                                               "name": "大棚", "comparator": "≥", "target": "1",
                                                               "unit": "座"} | fields)
        assert err.value.field == field
    login_as(book, "auditor")
    with pytest.raises(PermissionDenied):
        performance.add_goal(book, project_id=pid, fields=REGULAR_GOALS[0])


def test_import_writes_every_row_or_none(funded: tuple[Book, int], tmp_path: Path) -> None:
    book, pid = funded
    template = perf_import.write_template(tmp_path / "模板.xlsx")
    assert perf_import.import_goals(book, template) == len(perf_import.EXAMPLE)
    assert len(performance.goals(book, pid)) == len(perf_import.EXAMPLE)
    assert performance.irregular(book) == {}

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["项目编号", "一级指标", "二级指标", "三级指标", "比较符", "目标值", "单位"])
    ws.append(["XM2026001", "产出指标", "数量指标", "培训人次", "≥", "明显提高", ""])  # irregular, accepted
    ws.append(["XM2026999", "产出指标", "数量指标", "培训人次", "≥", "100", "人次"])
    ws.append(["XM2026001", "产出指标", "规模指标", "培训天数", "≥", "10", "天"])
    ws.append(["XM2026001", "满意度指标", "服务对象满意度指标", "培训满意度", "大于", "90", "%"])
    ws.append(["XM2026001", "产出指标", "数量指标", "培训人次", "≥", "100", "人次"])
    path = tmp_path / "坏.xlsx"
    wb.save(path)
    before = book.conn.execute("SELECT count(*) FROM perf_goals").fetchone()[0]
    with pytest.raises(RowErrors) as err:
        perf_import.import_goals(book, path, replace=True)
    assert [(r, f) for r, f, _ in err.value.errors] == [(3, "项目编号"), (4, "二级指标"), (5, "比较符"), (6, "三级指标")]
    assert book.conn.execute("SELECT count(*) FROM perf_goals").fetchone()[0] == before
    with pytest.raises(RowErrors, match="已有绩效目标"):
        perf_import.import_goals(book, template)

    ws.delete_rows(3, 4)
    wb.save(path)
    assert perf_import.import_goals(book, path, replace=True) == 1
    assert [g["name"] for g in performance.goals(book, pid)] == ["培训人次"]
    issues = performance.irregular(book)[pid]
    assert "缺少一级指标：效益指标、满意度指标" in issues and any("不是数值" in i for i in issues)


def test_monthly_values_flag_deviation_using_the_forecast_when_given(funded: tuple[Book, int]) -> None:
    book, pid = funded
    gid = performance.add_goal(book, project_id=pid, fields=REGULAR_GOALS[0])  # ≥ 50 座
    performance.record_actual(book, goal_id=gid, month="2026-03", actual="12", forecast="50")
    goal = performance.with_monitoring(book, performance.goals(book, pid))[0]
    assert not goal["deviates"] and goal["judgement"] == "符合目标"
    performance.record_actual(book, goal_id=gid, month="2026-04", actual="20", forecast="45", note="雨季延误")
    goal = performance.with_monitoring(book, performance.goals(book, pid))[0]
    assert goal["deviates"] and goal["actual_month"] == "2026-04" and goal["actual_note"] == "雨季延误"
    march = performance.with_monitoring(book, performance.goals(book, pid), month="2026-03")[0]
    assert not march["deviates"]
    with pytest.raises(ValidationError, match="也应填数值"):
        performance.record_actual(book, goal_id=gid, month="2026-04", actual="较好")
    with pytest.raises(ValidationError, match="尚未开始"):
        performance.record_actual(book, goal_id=gid, month="2026-05", actual="30")
    performance.record_actual(book, goal_id=gid, month="2026-04", actual="50")  # corrected in the same month
    assert [a["actual"] for a in performance.actuals(book, gid)] == ["12", "50"]


def test_decisions_and_self_evaluation(funded: tuple[Book, int], clock: FixedClock) -> None:
    book, pid = funded
    with pytest.raises(PermissionDenied):
        performance.record_decision(book, project_id=pid, kind="pause", measures="暂缓拨付", amount=10_000_00)
    login_as(book, "reviewer")
    with pytest.raises(ValidationError, match="须填写涉及金额"):
        performance.record_decision(book, project_id=pid, kind="recover", measures="收回结余资金")
    performance.record_decision(book, project_id=pid, kind="pause", measures="进度严重滞后，暂缓拨付二期资金",
                                amount=30_000_00, doc_no="示财〔2026〕9号")
    assert [d["kind_name"] for d in performance.decisions(book, pid)] == ["暂缓拨付"]
    login_as(book, "clerk")
    at(clock, D(2027, 1, 15))
    with pytest.raises(ValidationError, match="0～100"):
        performance.self_evaluate(book, project_id=pid, year=2026, score="101", report="项目全部完成，效益明显。")
    with pytest.raises(ValidationError, match="一位小数"):
        performance.self_evaluate(book, project_id=pid, year=2026, score="92.55", report="项目全部完成，效益明显。")
    performance.self_evaluate(book, project_id=pid, year=2026, score="92.5", report="项目全部完成，效益明显，群众满意。")
    performance.self_evaluate(book, project_id=pid, year=2026, score="93", report="复核后调整：项目全部完成，效益明显。")
    assert [(e["year"], e["score"]) for e in performance.evaluations(book, pid)] == [(2026, "93")]


def test_table8_rows_as_of_the_month(funded: tuple[Book, int], clock: FixedClock) -> None:
    book, pid = funded
    late = [performance.add_goal(book, project_id=pid, fields=g) for g in REGULAR_GOALS]
    performance.record_actual(book, goal_id=late[0], month="2026-04", actual="10", forecast="40")
    login_as(book, "reviewer")
    performance.record_decision(book, project_id=pid, kind="correct", measures="调整施工计划，增加施工队伍")
    [row] = perf_query.table8_rows(book, month="2026-04")
    assert row == {"project_no": "XM2026001", "project_name": row["project_name"], "goals_set": True,
                   "goals_with_funds": False, "indicator_count": 3, "monitored_month": 1, "deviations": 1,
                   "corrective": "纠偏：调整施工计划，增加施工队伍", "self_eval": ""}
    march = perf_query.table8_rows(book, month="2026-03")
    assert march[0]["goals_set"] is False and march[0]["indicator_count"] == 0


def test_goals_set_on_the_funding_day_count_as_issued_with_the_money(book: Book, clock: FixedClock) -> None:
    at(clock, D(2026, 4, 10))
    login_as(book, "clerk")
    pid = project(book, register(book), 10_000_00, approve_on=D(2026, 3, 20))
    for g in REGULAR_GOALS:
        performance.add_goal(book, project_id=pid, fields=g, set_on=D(2026, 3, 20))
    [row] = perf_query.PerfProjectQuery(book).fetch(0, 10)
    assert row["with_funds"] and row["goals_state"] == "规范" and row["goal_count"] == 3
    assert perf_query.PerfProjectQuery(book, irregular_only=True).count() == 0
