"""Repetition: the same submit, review, payment, import or sign-off done twice never duplicates anything —
the second is refused with a clear Chinese message, or adds nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.export import signoff
from app.models.ledger import treasury
from app.models.payments import real_name
from app.models.payments import requests as payments
from app.models.performance import goals_import as perf_import
from app.models.plan import plan_import
from app.models.reports import monthly
from app.models.store import users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError
from tests.reliability import crash_child as cc
from tests.reliability.fuzz_support import state


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cc.prepare(tmp_path_factory.mktemp("repeat") / "base.db")


@pytest.fixture
def book(base: Path, tmp_path: Path) -> Iterator[Book]:
    shutil.copy2(base, tmp_path / "bureau.db")
    b = open_book(tmp_path / "bureau.db")
    users.login(b, "clerk", cc.PASSWORD)
    yield b
    b.close(backup=False)


def refused_without_writing(book: Book, fn, match: str) -> None:  # noqa: ANN001
    before = state(book.conn)
    with pytest.raises(AppError, match=match) as info:
        fn()
    assert any("\u4e00" <= c <= "\u9fff" for c in str(info.value))
    assert state(book.conn) == before and not book.conn.in_transaction


def test_payment_steps_twice(book: Book) -> None:
    ind, pid, payee, _ = cc._ids(book)
    payment_id = payments.draft(book, project_id=pid, indicator_id=ind, payee_id=payee, amount=1_000_00, kind="progress",
                                usage="industry", func_code="2130505", econ_code="31005", method="direct",
                                draft_date=dt.date(2026, 5, 6))
    payments.submit(book, payment_id=payment_id)
    refused_without_writing(book, lambda: payments.submit(book, payment_id=payment_id), "不能提交")
    users.login(book, "reviewer", cc.PASSWORD)
    payments.review(book, payment_id=payment_id)
    refused_without_writing(book, lambda: payments.review(book, payment_id=payment_id), "不能审核")
    users.login(book, "clerk", cc.PASSWORD)
    payments.mark_paid(book, payment_id=payment_id, voucher_no="ZF-REP-1", pay_date=dt.date(2026, 5, 8))
    refused_without_writing(book, lambda: payments.mark_paid(book, payment_id=payment_id, voucher_no="ZF-REP-1",
                                                             pay_date=dt.date(2026, 5, 8)), "不能登记已支付")
    assert book.conn.execute("SELECT count(*) FROM ledger_entries WHERE payment_id = ?", (payment_id,)).fetchone()[0] == 1
    # the same voucher on another payment is refused too: one treasury voucher pays one request
    other = payments.draft(book, project_id=pid, indicator_id=ind, payee_id=payee, amount=1_00, kind="progress",
                           usage="industry", func_code="2130505", econ_code="31005", method="direct",
                           draft_date=dt.date(2026, 5, 6))
    payments.submit(book, payment_id=other)
    users.login(book, "reviewer", cc.PASSWORD)
    payments.review(book, payment_id=other)
    users.login(book, "clerk", cc.PASSWORD)
    refused_without_writing(book, lambda: payments.mark_paid(book, payment_id=other, voucher_no="ZF-REP-1",
                                                             pay_date=dt.date(2026, 5, 8)), "已登记在另一笔支付上")


def test_treasury_file_twice(book: Book, tmp_path: Path) -> None:
    path = tmp_path / "国库.csv"
    path.write_bytes(cc.treasury_csv("rep"))
    assert treasury.import_file(book, path).added == cc.TREASURY_ROWS
    before = state(book.conn)
    again = treasury.import_file(book, path)
    assert again.added == 0 and "导入过" in again.text()
    renamed = tmp_path / "国库（副本）.csv"
    renamed.write_bytes(path.read_bytes() + b"\r\n")  # another file, the same vouchers
    assert treasury.import_file(book, renamed).added == 0
    assert state(book.conn) == before


def test_plan_file_twice(book: Book) -> None:
    data = cc.plan_xlsx("rep")
    assert len(plan_import.import_plan(book, file_name="计划.xlsx", data=data)) == cc.PLAN_PROJECTS
    refused_without_writing(book, lambda: plan_import.import_plan(book, file_name="计划.xlsx", data=data), "项目编号")


def test_real_name_list_twice_replaces(book: Book) -> None:
    *_, payment_id = cc._ids(book)
    data, count = cc.roster(0)
    real_name.import_list(book, payment_id=payment_id, file_name="名册.xlsx", data=data)
    lines = real_name.lines(book, payment_id)
    real_name.import_list(book, payment_id=payment_id, file_name="名册.xlsx", data=data)
    again = real_name.lines(book, payment_id)
    assert len(again) == count and [(x["id_number"], x["amount"]) for x in again] == \
        [(x["id_number"], x["amount"]) for x in lines]
    assert book.conn.execute("SELECT count(*) FROM real_name_lists").fetchone()[0] == 1


def test_sign_off_twice(book: Book, tmp_path: Path) -> None:
    users.login(book, "chief", cc.PASSWORD)
    first = signoff.sign_off(book, password=cc.PASSWORD, month="2026-01", out_dir=tmp_path / "out")
    refused_without_writing(book, lambda: signoff.sign_off(book, password=cc.PASSWORD, month="2026-01", out_dir=tmp_path / "out"), "已签发")
    assert [p.name for p in (tmp_path / "out").iterdir()] == [first.folder.name]
    assert len(monthly.signoffs(book, month="2026-01")) == 1
    with pytest.raises(AppError, match="已存在"):  # re-exporting into the same place never overwrites what was sent
        signoff.export(book, month="2026-01", out_dir=tmp_path / "out")


def test_performance_goals_twice(book: Book, tmp_path: Path) -> None:
    _ind, pid, *_ = cc._ids(book)
    code = book.conn.execute("SELECT code FROM projects WHERE id = ?", (pid,)).fetchone()[0]
    path = perf_import.write_template(tmp_path / "绩效.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        row[0].value = code
    wb.save(path)
    added = perf_import.import_goals(book, path)
    refused_without_writing(book, lambda: perf_import.import_goals(book, path), "已有")
    assert perf_import.import_goals(book, path, replace=True) == added
    assert book.conn.execute("SELECT count(*) FROM perf_goals WHERE removed_on IS NULL").fetchone()[0] == added
