"""The columns a prefecture reviewer asks for (issue 18 item 3), each against an independent computation."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models.ledger import account as ledger
from app.models.reports import cross_checks as xc
from app.models.reports import monthly, review
from app.models.reports import sources as report_data
from app.models.reports.package_data import SignOff
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from app.models.warnings import engine as warnings
from app.models.warnings import problems
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

D = dt.date


def _spend(book: Book, indicator_id: int, day: dt.date, yuan: int, n: int) -> None:
    ledger.post_expenditure(book, indicator_id=indicator_id, amount=yuan * 100, entry_date=day,
                            voucher_no=f"T{day:%Y%m%d}{n:03d}", payment_id=None, summary="测试支出")


@pytest.fixture
def years(book: Book) -> dict[str, int]:
    """ZX01 money from three years: 2024 (half idle two years on), 2025 (part idle a year on) and 2026."""
    login_as(book, "clerk")
    ids = {
        "2024": register(book, year=2024, received_date=D(2024, 6, 10), upper_doc_date=D(2024, 6, 1),
                         prefecture_doc_date=D(2024, 6, 5), amount=1_000_000_00, doc_no="新财农〔2024〕7号"),
        "2025": register(book, year=2025, received_date=D(2025, 9, 1), upper_doc_date=D(2025, 8, 20),
                         prefecture_doc_date=D(2025, 8, 28), amount=500_000_00, doc_no="新财农〔2025〕30号"),
        "2026": register(book, received_date=D(2026, 2, 1), upper_doc_date=D(2026, 1, 20),
                         prefecture_doc_date=D(2026, 1, 28), amount=800_000_00, doc_no="测财〔2026〕5号"),
        "zx02": register(book, item="ZX02", received_date=D(2026, 3, 1), upper_doc_date=D(2026, 2, 20),
                         prefecture_doc_date=D(2026, 2, 26), amount=90_000_00, doc_no="测财〔2026〕9号"),
    }
    _spend(book, ids["2024"], D(2024, 8, 1), 200_000, 1)
    _spend(book, ids["2025"], D(2025, 10, 8), 100_000, 2)
    _spend(book, ids["2024"], D(2026, 3, 2), 300_000, 3)
    _spend(book, ids["2025"], D(2026, 5, 6), 150_000, 4)
    _spend(book, ids["2026"], D(2026, 4, 9), 600_000, 5)
    _spend(book, ids["2026"], D(2026, 11, 3), 50_000, 6)  # after October: not in October's figures
    _spend(book, ids["zx02"], D(2026, 6, 1), 10_000, 7)
    return ids


INDEPENDENT_SPLIT = """
WITH per AS (
  SELECT i.item, i.id,
    total(CASE WHEN e.entry_date < '2026-01-01' AND e.side = 'income' THEN e.sign * e.amount END)
      - total(CASE WHEN e.entry_date < '2026-01-01' AND e.side = 'expenditure' THEN e.sign * e.amount END) AS opening,
    total(CASE WHEN e.entry_date >= '2026-01-01' AND e.side = 'income' THEN e.sign * e.amount END) AS income,
    total(CASE WHEN e.entry_date >= '2026-01-01' AND e.side = 'expenditure' THEN e.sign * e.amount END) AS spent
  FROM indicators i JOIN ledger_entries e ON e.indicator_id = i.id
  WHERE e.entry_date <= '2026-10-31' GROUP BY i.id)
SELECT item, CAST(sum(opening) AS INTEGER), CAST(sum(min(spent, max(opening, 0))) AS INTEGER), CAST(sum(income) AS INTEGER),
       CAST(sum(spent - min(spent, max(opening, 0))) AS INTEGER)
FROM per GROUP BY item
"""


def test_table4_splits_carried_from_current_against_an_independent_sql_sum(book: Book, years: dict[str, int]) -> None:
    rows = {r["item_code"]: r for r in report_data.spending_progress(book, report_data.Period(book, "2026-10"))}
    for item, opening, carry_spent, income, current_spent in book.conn.execute(INDEPENDENT_SPLIT):
        r = rows[item]
        assert (r["carry_available"], r["carry_spent"], r["current_available"], r["current_spent"]) == \
            (opening, carry_spent, income, current_spent), item
        assert r["carry_available"] + r["current_available"] == r["available"]
        assert r["carry_spent"] + r["current_spent"] == r["spent_cum"]
    # and by hand: carried 800,000 + 400,000; spent from it 300,000 + 150,000; this year's 800,000, 600,000 spent
    z = rows["ZX01"]
    assert (z["carry_available"], z["carry_spent"]) == (1_200_000_00, 450_000_00)
    assert (z["current_available"], z["current_spent"]) == (800_000_00, 600_000_00)
    assert (rows["ZX02"]["carry_available"], rows["ZX02"]["current_spent"]) == (0, 10_000_00)


def test_table4_idle_money_one_and_two_years(book: Book, years: dict[str, int]) -> None:
    """On 31 Oct 2026: the 2024 document (received 2024-06-10) holds 500,000 two years on; the 2025 one (received
    2025-09-01) 250,000 one year on; the 2026 one is not idle however much is left."""
    row = next(r for r in report_data.spending_progress(book, report_data.Period(book, "2026-10"))
               if r["item_code"] == "ZX01")
    assert (row["idle_1y"], row["idle_2y"]) == (750_000_00, 500_000_00)
    # In August 2026 the 2025 document is not a year old yet (received 2025-09-01), the 2024 one two years old.
    row = next(r for r in report_data.spending_progress(book, report_data.Period(book, "2026-08"))
               if r["item_code"] == "ZX01")
    assert (row["idle_1y"], row["idle_2y"]) == (500_000_00, 500_000_00)


def test_table4_split_is_in_the_package_and_cross_checked(book: Book, years: dict[str, int]) -> None:
    preview = monthly.preview(book, month="2026-10")
    assert preview.ok, [c.detail for c in preview.checks if not c.ok]
    rows = [dict(r) for r in preview.package.rows["spending_progress"]]
    rows[0]["current_spent"] += 1  # the split no longer adds up to 累计支出
    broken = xc.cross_checks(dataclass_replace(preview.package, {"spending_progress": rows}))
    assert not xc.all_passed(broken)
    assert any("结转" in c.detail for c in broken if not c.ok)


def dataclass_replace(package, rows):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(package, rows={**package.rows, **rows})


def test_table2_names_the_late_prefecture_stage_when_own_stage_is_in_time(book: Book) -> None:
    """The prefecture took 12 working days over its 5 (received the regional document 02-10, issued 02-26);
    the county received it 02-27 and its own 30 days run to 03-29: on 28 February only the prefecture was late."""
    login_as(book, "clerk")
    register(book, received_date=D(2026, 2, 27), upper_doc_date=D(2026, 2, 6), prefecture_doc_date=D(2026, 2, 26),
             extra_events={"prefecture_received": D(2026, 2, 10)}, doc_no="测财〔2026〕11号")
    row = next(r for r in report_data.indicator_rows(book, report_data.Period(book, "2026-02")))
    assert row["overdue"] is False
    assert row["late_stages"] == "地州"
    assert "地州：逾期" in row["stages"] and "县：未完成，2026-03-29 到期" in row["stages"]
    # In April the county's own stage is late too (never allocated to a project)
    row = next(r for r in report_data.indicator_rows(book, report_data.Period(book, "2026-04")))
    assert row["overdue"] is True and row["late_stages"] == "地州、县"


def test_table2_stage_finished_after_the_period_counts_as_unfinished() -> None:
    stage = {"day_type": "calendar", "done": D(2026, 11, 5), "due": D(2026, 11, 13), "used": 22, "days": 30,
             "estimated": False, "own": True}
    text, late = review.stage_verdict(stage, D(2026, 10, 31), cal=None)  # type: ignore[arg-type]
    assert (text, late) == ("未完成，2026-11-13 到期", False)
    text, late = review.stage_verdict(stage | {"due": D(2026, 10, 20)}, D(2026, 10, 31), cal=None)  # type: ignore[arg-type]
    assert (text, late) == ("逾期未完成（已超 11 天）", True)


def _backfilled(book: Book) -> None:
    """Documents entered late in the year; the warnings are computed once, on 20 November."""
    login_as(book, "clerk")
    register(book, received_date=D(2026, 3, 10), doc_no="测财〔2026〕21号")  # never allocated: W1 from April
    register(book, received_date=D(2026, 9, 1), upper_doc_date=D(2026, 8, 20), prefecture_doc_date=D(2026, 8, 28),
             doc_no="测财〔2026〕61号")  # W1 from October
    warnings.recompute(book, as_of=D(2026, 11, 20))


def _expected(book: Book, month_start: str, month_end: str) -> dict[str, tuple[int, int, int]]:
    out: dict[str, list[int]] = {}
    for code, since, found in book.conn.execute("SELECT code, since, first_detected FROM warnings"):
        if not "2026-01-01" <= since <= month_end:
            continue
        t = out.setdefault(code, [0, 0, 0])
        t[0] += month_start <= since
        t[1] += 1
        t[2] += found > month_end
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def test_table7_counts_backfilled_problems_by_when_they_arose(book: Book) -> None:
    _backfilled(book)
    assert book.conn.execute("SELECT count(*) FROM warnings WHERE code = 'W1'").fetchone()[0] >= 2
    for month, (start, end) in {"2026-04": ("2026-04-01", "2026-04-30"), "2026-10": ("2026-10-01", "2026-10-31")}.items():
        rows = {r["code"]: r for r in report_data.warning_summary(book, report_data.Period(book, month))}
        want = _expected(book, start, end)
        assert want.get("W1", (0, 0, 0))[0] >= 1  # the month had a problem arise in it
        for code, r in rows.items():
            assert (r["arose_month"], r["arose_cum"], r["found_later"]) == want.get(code, (0, 0, 0)), (month, code)
            assert r["new_month"] == 0 and r["cum_count"] == 0  # found on 20 November: not in October by finding


def test_table7_signed_month_counts_only_what_was_known_when_signed(book: Book, clock) -> None:
    _backfilled(book)
    signed_at = clock.now.replace(microsecond=0)
    before = {r["code"]: r["arose_cum"] for r in monthly.assemble(
        book, month="2026-10", signoff=SignOff(signed_at=signed_at)).rows["warning_summary"]}
    clock.now = clock.now + dt.timedelta(days=3)
    login_as(book, "clerk")  # a document found later, late in September: a new W1 arisen before the signing
    register(book, received_date=D(2026, 6, 1), upper_doc_date=D(2026, 5, 20), prefecture_doc_date=D(2026, 5, 28),
             doc_no="测财〔2026〕44号")
    warnings.recompute(book, as_of=D(2026, 11, 23))
    again = {r["code"]: r["arose_cum"] for r in monthly.assemble(
        book, month="2026-10", signoff=SignOff(signed_at=signed_at)).rows["warning_summary"]}
    now = {r["code"]: r["arose_cum"] for r in monthly.assemble(book, month="2026-10").rows["warning_summary"]}
    assert again == before  # the signed month sums again the same
    assert now["W1"] == before["W1"] + 1  # a preview today knows it


def test_table9_flags_rectification_past_its_deadline(book: Book) -> None:
    login_as(book, "clerk")
    late = problems.add(book, description="审计发现预付款超比例", found_on=D(2026, 3, 16), deadline=D(2026, 4, 30))
    problems.add(book, description="公示栏缺监督电话", found_on=D(2026, 9, 18), deadline=D(2026, 11, 30))
    done = problems.add(book, description="台账未按月登记", found_on=D(2026, 3, 1), deadline=D(2026, 3, 31))
    closed = next(s.code for s in warnings.statuses(book) if s.closed)
    problems.update(book, problem_id=done, status=closed, progress="已按月补登台账并建立复核制度")
    rows = report_data.problem_rows(book, report_data.Period(book, "2026-10"))
    flags = {r["description"]: r["flag"] for r in rows}
    assert flags["审计发现预付款超比例"] == f"逾期 {(D(2026, 10, 31) - D(2026, 4, 30)).days} 天未整改"
    assert flags["公示栏缺监督电话"] == ""
    assert flags["台账未按月登记"] == "逾期 214 天未整改"  # closed on 20 November: still open on 31 October
    november = {r["description"]: r["flag"] for r in report_data.problem_rows(book, report_data.Period(book, "2026-11"))}
    assert november["台账未按月登记"] == "" and november["审计发现预付款超比例"].startswith("逾期 214")
    assert late


def test_table8_flag_rules() -> None:
    base = {"goals_set": True, "indicator_count": 6, "monitored_month": 6, "deviations": 0, "corrective": ""}
    assert review.monitoring_flag(base, False) == ""
    assert review.monitoring_flag(base | {"monitored_month": 0}, False) == "本月未监控"
    assert review.monitoring_flag(base | {"monitored_month": 4}, False) == "2 个指标本月未监控"
    assert review.monitoring_flag(base | {"monitored_month": 0}, True) == ""  # self-evaluated: monitoring is over
    assert review.monitoring_flag(base | {"goals_set": False, "indicator_count": 0, "monitored_month": 0}, False) \
        == "未编制绩效目标"
    assert review.monitoring_flag(base | {"deviations": 1}, False) == "偏离目标未纠偏"
    assert review.monitoring_flag(base | {"deviations": 1, "corrective": "调整"}, False) == ""


def test_annual_plan_not_below_what_is_issued(book: Book, years: dict[str, int]) -> None:
    login_as(book, "clerk")
    issued = book.conn.execute(
        "SELECT sum(e.amount) FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
        "WHERE i.year = 2026 AND i.item = 'ZX01' AND e.entry_type = 'income'").fetchone()[0]
    with pytest.raises(ValidationError, match="已下达 800,000.00 元.*不能少于已下达数") as err:
        monthly.set_annual_plan(book, year=2026, item="ZX01", amount=issued - 1)
    assert err.value.field == "年度计划数"
    assert book.conn.execute("SELECT count(*) FROM annual_plans").fetchone()[0] == 0
    monthly.set_annual_plan(book, year=2026, item="ZX01", amount=issued)
    monthly.set_annual_plan(book, year=2027, item="ZX01", amount=0)  # nothing issued for 2027 yet
    rows = {r["item_code"]: r for r in report_data.fund_receipts(book, report_data.Period(book, "2026-10"))}
    assert rows["ZX01"]["plan"] == issued
    listed = {r["item"]: r for r in monthly.annual_plan_rows(book, year=2026)}
    assert listed["ZX01"]["plan"] == issued and listed["ZX01"]["issued"] == issued and listed["ZX02"]["plan"] is None


def test_drift_check_ignores_columns_added_after_signing_but_not_changed_figures() -> None:
    """A month signed before these columns existed sums again with them: not a change. A figure that was signed
    and differs now still is."""
    from app.models.integrity.anchors import _first_change
    from app.models.reports import definitions

    by_source = {t.source: t for t in definitions.load().tables}
    signed = {"rows": {"problems": [{"seq": 1, "description": "甲", "amount": 100}]}, "warnings": []}
    live = {"rows": {"problems": [{"seq": 1, "description": "甲", "amount": 100, "flag": "逾期 3 天未整改"}]},
            "warnings": []}
    assert _first_change(signed, live, by_source) == ""
    live["rows"]["problems"][0]["amount"] = 101
    assert "涉及金额" in _first_change(signed, live, by_source)


def test_table3_and_table5_show_the_classification_codes(book: Book) -> None:
    """表3 功能科目 per fund item from its indicators; 表5 功能科目/经济分类 per project from its paid payments —
    against an independent SQL reading of the same rows."""
    from app.models.payments import requests as payments
    from tests.models.payments.payment_fixtures import approve, request, setup_funds

    ind, pid, payee = setup_funds(book, func_code="2130504", econ_code="50302")
    register(book, item="ZX01", func_code="2130505", doc_no="测财〔2026〕77号")
    paid = []
    for n, (func, econ) in enumerate((("2130504", "31005"), ("2130504", "30905"), ("2130599", "50302"))):
        pay = request(book, pid, ind, payee, 10_000_00, func_code=func, econ_code=econ, draft_date=D(2026, 5, 6 + n))
        approve(book, pay)
        if n < 2:  # the third is approved, never paid: its codes are not the project's yet
            login_as(book, "reviewer")
            payments.mark_paid(book, payment_id=pay, voucher_no=f"GK2026050{n}", pay_date=D(2026, 5, 8 + n))
            login_as(book, "clerk")
            paid.append(pay)
    p = report_data.Period(book, "2026-10")
    t3 = {r["item_code"]: r["func_codes"] for r in report_data.ledger_balances(book, p)}
    assert t3["ZX01"] == "2130504 农村基础设施建设、2130505 生产发展"  # the names the rule set gives for 2026
    t5 = {r["project_no"]: (r["func_codes"], r["econ_codes"]) for r in report_data.project_payments(book, p)}
    code = book.conn.execute("SELECT code FROM projects WHERE id = ?", (pid,)).fetchone()[0]
    funcs = sorted({r[0] for r in book.conn.execute(
        "SELECT func_code FROM payments WHERE project_id = ? AND status = 'paid'", (pid,))})
    econs = sorted({r[0] for r in book.conn.execute(
        "SELECT econ_code FROM payments WHERE project_id = ? AND status = 'paid'", (pid,))})
    assert t5[code] == ("、".join(funcs), "、".join(econs)) == ("2130504", "30905、31005")


def test_flags_stand_out_in_the_workbook_and_only_text_columns_may(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from app.export.workbook import render_workbook
    from app.models.reports.toml_reader import ReportDefinitionError
    from tests.models.reports import sample

    rows = sample.problem_rows()
    rows[3]["flag"] = "逾期 21 天未整改"  # deadline 2026-10-10, still open on 31 October in this variant
    render_workbook(sample.with_rows(sample.make_package(), "problems", rows), tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["表9"]
    head = next(r for r in range(1, 10) if ws.cell(r, 1).value == "序号")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(head, c).value == "提示")
    cells = [ws.cell(head + 1 + i, col) for i in range(len(rows))]
    assert cells[3].value == "逾期 21 天未整改" and cells[3].font.b and cells[3].font.color.rgb.endswith("C00000")
    assert not cells[0].font.b  # an empty flag is plain
    table = tmp_path / "defs"
    import shutil

    from app import resources
    from app.models.reports import definitions

    shutil.copytree(resources.resources_dir() / "reports", table)
    text = (table / "table9.toml").read_text(encoding="utf-8")
    (table / "table9.toml").write_text(text.replace('key = "amount"\n', 'key = "amount"\nemphasis = true\n', 1),
                                       encoding="utf-8")
    with pytest.raises(ReportDefinitionError, match="只有 text 列可以设置"):
        definitions.load_from(table)
