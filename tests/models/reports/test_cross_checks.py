"""表间勾稽关系 1–7: each passes on the consistent package and fails on one crafted inconsistency."""

from __future__ import annotations

import dataclasses
import datetime as dt

from app.models.reports.cross_checks import CheckResult, RowRef, cross_checks
from app.models.reports.package_data import PackageData, WarningRecord
from tests.models.reports import sample


def failing(package: PackageData) -> dict[int, CheckResult]:
    return {r.no: r for r in cross_checks(package) if not r.ok}


def test_consistent_package_passes_all_seven(package: PackageData) -> None:
    results = cross_checks(package)
    assert [r.no for r in results] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert all(r.ok for r in results), [r.detail for r in results if not r.ok]
    assert results[0].detail == "均为 105,600,000.00 元" and results[0].name.startswith("表1 累计到位小计合计")


def test_1_receipts_differ_from_ledger_income(package: PackageData) -> None:
    t1 = sample.fund_rows()[0]
    t1[4]["cum_county"] += 100  # ZH02 县本级: not an upper level, so check 6 is untouched
    bad = failing(sample.with_rows(package, "fund_receipts", t1))
    assert list(bad) == [1]
    assert "相差 1.00 元" in bad[1].detail
    assert RowRef("表1", 5, "农村综合改革转移支付") in bad[1].rows_involved
    assert RowRef("表3", 5, "农村综合改革转移支付") in bad[1].rows_involved


def test_2_closing_balance_off_by_one_fen(package: PackageData) -> None:
    t3 = sample.fund_rows()[1]
    t3[2]["closing"] -= 1
    bad = failing(sample.with_rows(package, "ledger_balances", t3))
    assert list(bad) == [2]
    assert bad[2].rows_involved == (RowRef("表3", 3, "少数民族发展资金"),)
    assert "期末结余 219,999.49 元" in bad[2].detail and str(bad[2].rows_involved[0]) == "表3 第 3 行（少数民族发展资金）"


def test_3_month_spending_differs_from_payments(package: PackageData) -> None:
    t5 = sample.project_rows()
    t5[3]["paid_month"] += 50_00
    bad = failing(sample.with_rows(package, "project_payments", t5))
    assert list(bad) == [3] and "相差 -50.00 元" in bad[3].detail
    assert bad[3].rows_involved == (RowRef("表3", None), RowRef("表5", None))


def test_4_progress_table_disagrees_with_ledger(package: PackageData) -> None:
    t4 = sample.fund_rows()[2]
    t4[1]["spent_cum"] -= 1_00
    bad = failing(sample.with_rows(package, "spending_progress", t4))
    assert list(bad) == [4] and "ZX02：累计支出 6,099,999.00 元 ≠ 6,100,000.00 元" in bad[4].detail
    assert {r.table for r in bad[4].rows_involved} == {"表3", "表4"}
    t4 = sample.fund_rows()[2]
    t4[0]["available"] += 1
    assert "可支出资金" in failing(sample.with_rows(package, "spending_progress", t4))[4].detail
    t4 = sample.fund_rows()[2][:-1]  # DD00 missing from 表4
    bad = failing(sample.with_rows(package, "spending_progress", t4))
    assert "资金项目 DD00 只在表3中" in bad[4].detail


def test_5_new_warnings_not_counted(package: PackageData) -> None:
    extra = WarningRecord(200, "W6", dt.date(2026, 10, 30))
    bad = failing(dataclasses.replace(package, warnings=[*package.warnings, extra]))
    assert list(bad) == [5] and "表7 本月新增合计 6 条，统计期内首次发现的预警 7 条" in bad[5].detail
    assert RowRef("表7", 6, "W6") in bad[5].rows_involved
    before = WarningRecord(201, "W6", dt.date(2026, 9, 30))  # last month: not "new"
    assert not failing(dataclasses.replace(package, warnings=[*package.warnings, before]))


def test_6_indicators_differ_from_upper_level_receipts(package: PackageData) -> None:
    t2 = sample.indicator_rows()[:-1]
    bad = failing(sample.with_rows(package, "indicators", t2))
    assert list(bad) == [6] and "相差 -1,500,000.00 元" in bad[6].detail
    # a prefecture bureau compares with 中央+自治区 only: our county data then counts 地州 800,000 too many
    prefecture = failing(dataclasses.replace(package, bureau_level="prefecture"))
    assert list(prefecture) == [6] and "中央+自治区" in prefecture[6].name and "相差 800,000.00 元" in prefecture[6].detail


def test_7_problem_points_to_a_warning_table7_does_not_count(package: PackageData) -> None:
    t9 = sample.problem_rows()
    t9[1]["warning_id"] = 999
    bad = failing(sample.with_rows(package, "problems", t9))
    assert list(bad) == [7] and bad[7].rows_involved == (RowRef("表9", 2, "2"),)
    assert "引用的预警 999 不在本期预警记录中" in bad[7].detail
    t7 = sample.warning_rows()
    t7[7]["cum_count"] = t7[7]["rectified"] = t7[7]["rectifying"] = t7[7]["new_month"] = t7[7]["amount"] = 0  # W8
    late = [w for w in package.warnings if w.code != "W8"]
    bad = failing(dataclasses.replace(sample.with_rows(package, "warning_summary", t7), warnings=late))
    assert list(bad) == [7] and "不在本期预警记录中" in bad[7].detail
    bad = failing(sample.with_rows(package, "warning_summary", t7))
    assert 7 in bad and "未计入表7 累计预警" in bad[7].detail


def test_a_check_that_cannot_run_fails_with_the_reason(package: PackageData) -> None:
    t3 = sample.fund_rows()[1]
    t3[0]["closing"] = 1.5
    results = {r.no: r for r in cross_checks(sample.with_rows(package, "ledger_balances", t3))}
    assert not results[2].ok and results[2].detail.startswith("数据有误，无法核对：表3")
    assert results[5].ok and results[6].ok
    missing = dataclasses.replace(package, rows={k: v for k, v in package.rows.items() if k != "problems"})
    assert "缺少数据源 problems" in {r.no: r for r in cross_checks(missing)}[7].detail


# -- 8–10: the columns issue 18 added -------------------------------------------------------------------------
def test_8_carried_money_disagrees_with_opening_balance(package: PackageData) -> None:
    t4 = sample.fund_rows()[2]
    t4[0]["carry_available"] += 1  # 上年结转 no longer the 表3 年初结余
    bad = failing(sample.with_rows(package, "spending_progress", t4))
    assert list(bad) == [8] and "ZX01：上年结转" in bad[8].detail
    assert RowRef("表4", 1, "扶贫发展资金") in bad[8].rows_involved


def test_8_split_of_spending_disagrees_with_ledger(package: PackageData) -> None:
    t4 = sample.fund_rows()[2]
    t4[1]["current_spent"] -= 1_00
    bad = failing(sample.with_rows(package, "spending_progress", t4))
    assert list(bad) == [8] and "ZX02：结转已支出+当年已支出" in bad[8].detail


def test_8_idle_money_above_what_is_left(package: PackageData) -> None:
    t4 = sample.fund_rows()[2]
    t4[2]["idle_1y"] = 10**12  # more than the item's closing balance
    assert list(failing(sample.with_rows(package, "spending_progress", t4))) == [8]
    t4 = sample.fund_rows()[2]
    t4[0]["idle_2y"] = t4[0]["idle_1y"] + 1  # 2年以上 more than 1年以上 (which includes it)
    assert list(failing(sample.with_rows(package, "spending_progress", t4))) == [8]


def test_9_arisen_this_month_more_than_this_year(package: PackageData) -> None:
    rows = sample.warning_rows()
    rows[0]["arose_month"] = rows[0]["arose_cum"] + 1
    bad = failing(sample.with_rows(package, "warning_summary", rows))
    assert list(bad) == [9] and "W1" in bad[9].detail


def test_10_overdue_flag_without_a_past_deadline(package: PackageData) -> None:
    rows = sample.problem_rows()
    rows[0]["flag"] = "逾期 3 天未整改"  # its deadline is 2026-11-30, after the period
    bad = failing(sample.with_rows(package, "problems", rows))
    assert list(bad) == [10]
    rows[0]["deadline"] = dt.date(2026, 10, 28)
    assert not failing(sample.with_rows(package, "problems", rows))
