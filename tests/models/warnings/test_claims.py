"""False-claim cross-checks W11–W15 (issue #18 item 1): each fires on a crafted case and not on its near miss;
the evidence never shows a full ID number or account; rosters import all or nothing; a roster changed behind the
program's back with sqlite3 is caught by verify."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.export import evidence
from app.models.payments import requests as payments
from app.models.plan import decisions as plan
from app.models.plan import payees, projects, rosters
from app.models.store.book import Book, open_book
from app.models.values.errors import PermissionDenied, RowErrors
from app.models.warnings import engine
from tests.conftest import login_as, post_plan_notice
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx

D = dt.date
_seq = itertools.count(1)


def person(n: int) -> str:
    return fx.valid_id(500 + n)


def funded(book: Book, year: int = 2026, category: str = "industry") -> tuple[int, int]:
    """(indicator, approved project of `category`) for budget year `year`, its plan notice up from 1 April."""
    login_as(book, "clerk")
    ind = register(book, year=year, received_date=D(year, 3, 10), upper_doc_date=D(year, 3, 1),
                   prefecture_doc_date=D(year, 3, 6))
    n = next(_seq)
    pid = projects.create_project(book, fields=fx.project_fields(
        code=f"CL{year}-{n:03d}", year=year, category=category, start_date=f"{year}-04-01", end_date=f"{year}-10-31",
        subsidy_standard="每户 1000 元"), funding=[(ind, 1_000_000_00)])
    plan.approve_plan(book, project_ids=[pid], decision_no=f"示扶组发〔{year}〕{n}号", decision_date=D(year, 4, 1))
    post_plan_notice(book, pid, D(year, 4, 1))
    return ind, pid


def subsidy(book: Book, ind: int, pid: int, people: list[tuple[str, str, str]], day: D, *, paid: bool = True) -> int:
    """A paid 到户补助 of 1000 元 to each (name, id, account)."""
    login_as(book, "clerk")
    rows = [(name, number, "巴格其村", "1000", account) for name, number, account in people]
    y = fx.request(book, pid, ind, None, 1000_00 * len(rows), kind="household_subsidy", usage="household_subsidy",
                   draft_date=day)
    fx.attach_roster(book, y, rows)
    fx.approve(book, y)
    if paid:
        payments.mark_paid(book, payment_id=y, voucher_no=f"V{next(_seq):06d}", pay_date=day)
    return y


def found(book: Book, code: str) -> list[Any]:
    return [f for f in engine.detect(book, codes=[code]) if f.code == code]


def acct(n: int) -> str:
    return f"62170000{n:010d}"


def workbook(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


STAFF_HEADER = ["姓名", "身份证号", "工作单位", "身份"]
POOR_HEADER = ["姓名", "身份证号", "村", "类别", "状态", "状态日期"]


def import_staff(book: Book, rows: list[list[Any]]) -> dict[str, Any]:
    login_as(book, "clerk")
    return rosters.import_roster(book, kind_code="staff", file_name="财政供养人员.xlsx",
                                 data=workbook(STAFF_HEADER, rows))


def import_poor(book: Book, rows: list[list[Any]]) -> dict[str, Any]:
    login_as(book, "clerk")
    return rosters.import_roster(book, kind_code="poor", file_name="脱贫户.xlsx", data=workbook(POOR_HEADER, rows))


def no_full_ids(text: str) -> None:
    assert not re.search(r"\d{17}[\dX]", text), text
    assert not re.search(r"\d{12,}", text), text


# -- W11 同一人重复享受补助 -----------------------------------------------------------------------------


def test_w10_same_person_same_subsidy_two_lists_same_year_fires(book: Book) -> None:
    ind, a = funded(book)
    _ind2, b = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2))], D(2026, 5, 6))
    second = subsidy(book, _ind2, b, [("艾力", person(1), acct(1))], D(2026, 6, 8))
    (f,) = found(book, "W11")
    assert f.object_id == str(second) and f.amount == 1000_00 and f.since == D(2026, 6, 8)
    assert "2 个项目" in f.detail and "允许 1 个项目" in f.detail and "2026 年" in f.detail
    no_full_ids(f.detail + f.object_label)
    assert not re.search(r"\d{17}[\dX]", f.key)


def test_w10_near_misses_other_year_other_subsidy_other_person(book: Book) -> None:
    ind25, p25 = funded(book, 2025)
    ind26, p26 = funded(book, 2026)
    ind_edu, p_edu = funded(book, 2026, "employment")
    subsidy(book, ind25, p25, [("艾力", person(1), acct(1))], D(2025, 5, 6))
    subsidy(book, ind26, p26, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2))], D(2026, 5, 6))
    subsidy(book, ind_edu, p_edu, [("古丽", person(2), acct(2))], D(2026, 6, 8))
    assert found(book, "W11") == []  # once a year per category is the allowance


def test_w10_once_ever_category_fires_across_years(book: Book) -> None:
    ind25, p25 = funded(book, 2025, "three_guarantees")
    ind26, p26 = funded(book, 2026, "three_guarantees")
    subsidy(book, ind25, p25, [("艾力", person(1), acct(1))], D(2025, 5, 6))
    subsidy(book, ind26, p26, [("艾力", person(1), acct(1))], D(2026, 5, 6))
    (f,) = found(book, "W11")
    assert "累计" in f.detail and f.key.endswith(":ever")


def test_w10_unpaid_request_does_not_count(book: Book) -> None:
    ind, a = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1))], D(2026, 5, 6))
    subsidy(book, ind, a, [("艾力", person(1), acct(1))], D(2026, 6, 8), paid=False)
    assert found(book, "W11") == []


# -- W12 多人共用一个银行账户 -------------------------------------------------------------------------


def test_w11_more_than_n_people_into_one_account(book: Book) -> None:
    ind, a = funded(book)
    limit = book.rules.claims.max_ids_per_account
    shared = acct(99)
    subsidy(book, ind, a, [(f"户{i}", person(i), shared) for i in range(limit)], D(2026, 5, 6))
    assert found(book, "W12") == []  # exactly N: the near miss
    subsidy(book, ind, a, [("多出", person(50), shared)], D(2026, 6, 8))
    (f,) = found(book, "W12")
    assert f"{limit + 1} 个不同身份证号" in f.detail and f.since == D(2026, 6, 8)
    no_full_ids(f.detail + f.object_label)
    assert not re.search(r"\d{17}[\dX]", f.key)


# -- W13 财政供养人员 ----------------------------------------------------------------------------------


def test_w12_payee_on_the_staff_list(book: Book) -> None:
    ind, a = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2))], D(2026, 5, 6))
    import_staff(book, [["王干部", person(9), "县农业农村局", "在编"]])
    assert found(book, "W13") == []  # the near miss: someone else is on the staff list
    import_staff(book, [["王干部", person(9), "县农业农村局", "在编"], ["古丽", person(2), "示例乡政府", "聘用"]])
    (f,) = found(book, "W13")
    assert "示例乡政府" in f.detail and f.amount == 1000_00
    no_full_ids(f.detail + f.object_label)
    assert not re.search(r"\d{17}[\dX]", f.key)


def test_w12_personal_payee_on_the_staff_list(book: Book) -> None:
    ind, a = funded(book)
    login_as(book, "clerk")
    pe = int(payees.create_payee(book, payee_type="other_person", name="李某", id_code=person(7),
                                 account_no=acct(7), bank="农村信用社")["id"])
    y = fx.request(book, a, ind, pe, 500_00, kind="progress", usage="industry", draft_date=D(2026, 5, 6))
    fx.approve(book, y)
    payments.mark_paid(book, payment_id=y, voucher_no="V-P1", pay_date=D(2026, 5, 7))
    import_staff(book, [["李某", person(7), "县财政局", "在编"]])
    (f,) = found(book, "W13")
    assert f.object_id == str(y)


# -- W14 不在脱贫户/监测对象名册 -------------------------------------------------------------------------


def test_w13_needs_the_roster_then_fires_for_missing_and_deceased(book: Book) -> None:
    ind, a = funded(book)
    y = subsidy(book, ind, a, [("艾力", person(1), acct(1)), ("古丽", person(2), acct(2)), ("买买提", person(3), acct(3))],
                D(2026, 5, 6))
    assert found(book, "W14") == []  # no roster imported: nothing to compare with
    import_poor(book, [["艾力", person(1), "巴格其村", "脱贫户", "正常", None],
                       ["古丽", person(2), "巴格其村", "监测对象", "死亡", "2026-05-01"],
                       ["买买提", person(3), "巴格其村", "脱贫户", "迁出", "2026-06-01"]])
    (f,) = found(book, "W14")
    assert f.object_id == str(y) and f.amount == 1000_00  # 古丽 died before the pay date; 买买提 moved out after it
    assert "2026-05-01 已死亡" in f.detail
    no_full_ids(f.detail + f.object_label)
    import_poor(book, [["艾力", person(1), "巴格其村", "脱贫户", "正常", None],
                       ["古丽", person(2), "巴格其村", "监测对象", "正常", None]])
    (f,) = found(book, "W14")
    assert "不在名册" in f.detail and f.amount == 1000_00  # 买买提 is no longer on it at all


def test_w13_near_miss_everyone_on_the_roster(book: Book) -> None:
    ind, a = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1))], D(2026, 5, 6))
    import_poor(book, [["艾力", person(1), "巴格其村", "脱贫户", "迁出", "2026-05-07"]])  # moved out the day after
    assert found(book, "W14") == []


# -- W15 户名不一致 ---------------------------------------------------------------------------------


def test_w14_account_holder_differs(book: Book) -> None:
    ind, a = funded(book)
    login_as(book, "clerk")
    same = fx.enterprise(book, name="示例县富民合作社", account_name="示例县 富民合作社")
    other = fx.enterprise(book, name="示例县兴农合作社", account_name="张三")
    for n, pe in enumerate((same, other)):
        y = fx.request(book, a, ind, pe, 100_00, draft_date=D(2026, 5, 6))
        fx.approve(book, y)
        payments.mark_paid(book, payment_id=y, voucher_no=f"V-H{n}", pay_date=D(2026, 5, 7))
    (f,) = found(book, "W15")
    assert f.object_type == "payee" and f.object_id == str(other) and "张三" in f.detail
    no_full_ids(f.detail)


def test_new_codes_are_stored_and_listed(book: Book, clock: Any) -> None:
    ind, a = funded(book)
    _i2, b = funded(book)
    subsidy(book, ind, a, [("艾力", person(1), acct(1))], D(2026, 5, 6))
    subsidy(book, _i2, b, [("艾力", person(1), acct(1))], D(2026, 6, 8))
    login_as(book, "clerk")
    engine.recompute(book)
    row = book.conn.execute("SELECT code, since, detail FROM warnings WHERE code = 'W11'").fetchone()
    assert row["since"] == "2026-06-08"
    no_full_ids(row["detail"])


# -- rosters: all or nothing ------------------------------------------------------------------------


def roster_count(book: Book) -> int:
    return int(book.conn.execute("SELECT count(*) FROM roster_people").fetchone()[0])


def test_roster_import_is_all_or_nothing(book: Book) -> None:
    import_staff(book, [["王干部", person(9), "县农业农村局", "在编"]])
    good = ["李四", person(10), "县财政局", "在编"]
    bad_check = person(11)[:-1] + ("0" if person(11)[-1] != "0" else "1")
    cases = {
        "校验": [good, ["张三", bad_check, "县财政局", "在编"]],
        "同一人": [good, ["李四", person(10), "县财政局", "在编"]],
        "数字": [good, ["张三", int(person(12)[:15]), "县财政局", "在编"]],
    }
    for word, rows in cases.items():
        with pytest.raises(RowErrors) as exc:
            import_staff(book, rows)
        assert "第 3 行" in str(exc.value) and word in str(exc.value), (word, str(exc.value))
        assert roster_count(book) == 1  # the earlier roster still whole, nothing of the new one
    with pytest.raises(RowErrors) as exc:  # a wrong template: no ID column
        rosters.import_roster(book, kind_code="staff", file_name="x.xlsx",
                              data=workbook(["姓名", "单位"], [["张三", "县财政局"]]))
    assert "身份证号" in str(exc.value) and "缺少此列" in str(exc.value)
    with pytest.raises(RowErrors) as exc:
        import_poor(book, [["艾力", person(1), "巴格其村", "贫困户", "死亡", None]])
    assert "类别" in str(exc.value) and "状态日期" in str(exc.value)
    assert roster_count(book) == 1


def test_numeric_id_cell_named_by_row_and_column(book: Book) -> None:
    with pytest.raises(RowErrors) as exc:
        import_staff(book, [["张三", 652928198001010011, "县财政局", "在编"]])
    text = str(exc.value)
    assert "第 2 行 身份证号" in text and "Sheet!B2" in text and "文本" in text
    assert roster_count(book) == 0


def test_roster_import_needs_the_clerk(book: Book) -> None:
    login_as(book, "auditor")
    with pytest.raises(PermissionDenied):
        rosters.import_roster(book, kind_code="staff", file_name="x.xlsx",
                              data=workbook(STAFF_HEADER, [["王干部", person(9), "县农业农村局", "在编"]]))


def test_insider_removing_a_name_from_the_staff_roster_is_caught(book: Book, tmp_path: Path) -> None:
    """The insider with sqlite3 deletes a colleague from the staff list, so W13 stops firing: verify names it,
    whether or not the audit triggers were dropped first."""
    ind, a = funded(book)
    subsidy(book, ind, a, [("古丽", person(2), acct(2))], D(2026, 5, 6))
    import_staff(book, [["古丽", person(2), "示例乡政府", "聘用"]])
    assert len(found(book, "W13")) == 1
    path = Path(book.path)
    book.close(backup=False)
    for drop in (False, True):
        copy = tmp_path / f"copy{int(drop)}.db"
        copy.write_bytes(path.read_bytes())
        raw = sqlite3.connect(copy)
        if drop:
            for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'roster_people'"):
                raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute("DELETE FROM roster_people WHERE kind = 'staff'")
        raw.commit()
        raw.close()
        ro = open_book(copy, read_only=True)
        try:
            problems = [str(f) for f in evidence.verify(ro).findings]
        finally:
            ro.close()
        assert any("roster_people" in p for p in problems), problems


def test_cli_imports_a_roster_all_or_nothing(book: Book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import main as cli
    from tests.conftest import PASSWORD

    path = Path(book.path)
    book.close(backup=False)
    good, bad = tmp_path / "staff.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(workbook(STAFF_HEADER, [["王干部", person(9), "县农业农村局", "在编"]]))
    bad.write_bytes(workbook(STAFF_HEADER, [["张三", person(10)[:-1] + ("0" if person(10)[-1] != "0" else "1"), "", ""]]))
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    assert cli.run(["import-roster", str(path), str(good), "--kind", "staff", "--user", "clerk"]) == 0
    assert cli.run(["import-roster", str(path), str(bad), "--kind", "staff", "--user", "clerk"]) != 0
    with open_book(path, read_only=True) as ro:
        assert [r["name"] for r in rosters.people(ro, "staff")] == ["王干部"]
