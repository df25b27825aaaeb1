"""实名制发放名册: valid IDs, nobody twice, total equals the payment — refused whole, naming the row."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from app.models.payments import real_name
from app.models.payments import requests as payments
from app.models.payments.requests import TransitionError
from app.models.store.book import Book
from app.models.values.errors import PermissionDenied, RowErrors, ValidationError
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


@pytest.fixture
def household_payment(book: Book) -> int:
    ind, pid, _ = fx.setup_funds(book)
    return fx.request(book, pid, ind, None, 3_000_00, kind="household_subsidy", usage="household_subsidy")


def lines_count(book: Book) -> int:
    return int(book.conn.execute("SELECT count(*) FROM real_name_lines").fetchone()[0])


def test_template_has_the_columns(tmp_path: Path) -> None:
    path = real_name.write_template(tmp_path / "名册模板.xlsx")
    ws = openpyxl.load_workbook(path)["名册"]
    assert [c.value for c in ws[1]] == ["姓名*", "身份证号*", "村*", "金额（元）*", "账号*"]


def test_valid_list_is_kept_with_the_payment(book: Book, household_payment: int) -> None:
    got = fx.attach_roster(book, household_payment, fx.households(3))
    assert (got["persons"], got["total"]) == (3, 3_000_00)
    lines = real_name.lines(book, household_payment)
    assert [ln["row_no"] for ln in lines] == [2, 3, 4] and lines[0]["id_number"] == fx.valid_id(101)


def test_one_bad_id_refuses_the_whole_list_naming_the_row(book: Book, household_payment: int) -> None:
    rows = fx.households(3)
    bad = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")
    rows[1] = (rows[1][0], bad, *rows[1][2:])
    with pytest.raises(RowErrors) as err:
        fx.attach_roster(book, household_payment, rows)
    assert err.value.errors[0][:2] == (3, "身份证号") and "校验码" in err.value.errors[0][2]
    assert "第 3 行" in str(err.value) and lines_count(book) == 0


def test_nobody_twice(book: Book, household_payment: int) -> None:
    rows = fx.households(3)
    rows[2] = (rows[2][0], rows[0][1], *rows[2][2:])
    with pytest.raises(RowErrors) as err:
        fx.attach_roster(book, household_payment, rows)
    assert err.value.errors == [(4, "身份证号", err.value.errors[0][2])] and "第 2 行" in err.value.errors[0][2]


def test_total_must_equal_the_payment(book: Book, household_payment: int) -> None:
    with pytest.raises(RowErrors, match="合计 2,999.99"):
        fx.attach_roster(book, household_payment, [*fx.households(2), ("户主3", fx.valid_id(103), "巴格其村", "999.99",
                                                                       "62170000000003")])
    assert lines_count(book) == 0


def test_bad_cells_each_named(book: Book, household_payment: int) -> None:
    rows = [("", fx.valid_id(1), "巴格其村", "1000", "6217000000000001"),
            ("户主2", 659901198001010021, "巴格其村", "1000", "6217000000000002"),  # a number cell: digits lost
            ("户主3", fx.valid_id(3), "", "1000.001", "62-17"),
            ("户主4", fx.valid_id(4), "巴格其村", 1000.5, "6217000000000004")]
    with pytest.raises(RowErrors) as err:
        fx.attach_roster(book, household_payment, rows)
    assert {(r, f) for r, f, _ in err.value.errors} == {(2, "姓名"), (3, "身份证号"), (4, "村"), (4, "金额（元）"), (4, "账号")}


def test_not_an_xlsx_and_missing_column(book: Book, household_payment: int) -> None:
    with pytest.raises(ValidationError) as err:
        real_name.import_list(book, payment_id=household_payment, file_name="名册.xlsx", data=b"not a workbook")
    assert err.value.field == "文件"
    with pytest.raises(RowErrors, match="账号"):
        real_name.import_list(book, payment_id=household_payment, file_name="名册.xlsx",
                              data=fx.roster([r[:4] for r in fx.households(3)], header=("姓名", "身份证号", "村", "金额")))


def test_reimport_replaces_and_only_while_editable(book: Book, household_payment: int) -> None:
    fx.attach_roster(book, household_payment, fx.households(3))
    fx.attach_roster(book, household_payment, fx.households(2, "1500"))
    assert lines_count(book) == 2
    login_as(book, "clerk2")
    with pytest.raises(PermissionDenied):
        fx.attach_roster(book, household_payment, fx.households(2, "1500"))
    login_as(book, "clerk")
    payments.submit(book, payment_id=household_payment)
    with pytest.raises(TransitionError):
        fx.attach_roster(book, household_payment, fx.households(3))


def test_list_only_for_kinds_that_need_one(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, payee, 3_000_00)
    with pytest.raises(ValidationError) as err:
        fx.attach_roster(book, pay, fx.households(3))
    assert err.value.field == "支付类型"


def test_household_payment_flows_with_its_list(book: Book, household_payment: int) -> None:
    result = payments.submit(book, payment_id=household_payment)
    assert result["payment"]["status"] == "returned" and "实名制" in result["payment"]["return_reason"]
    fx.attach_roster(book, household_payment, fx.households(3))
    fx.approve(book, household_payment)
