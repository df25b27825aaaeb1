"""Treasury import: dry run, all-or-nothing, idempotent re-import, mapping, bad rows by row number,
and the reconciliation differences it produces."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.demo import ledger as demo_ledger
from app.models.ledger import account as ledger
from app.models.ledger import reconcile, treasury
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import PermissionDenied, RowErrors, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

HEADERS = ["支付凭证号", "支付日期", "指标文号", "功能科目", "经济科目", "收款人全称", "收款人账号", "收款人开户行", "金额",
           "用途", "支付方式"]
DOC = "新财农〔2026〕500号"


def row(voucher: str, amount: Any = "10000.00", day: Any = "2026-04-02", doc: str = DOC, payee: str = "某合作社") -> list[Any]:
    return [voucher, day, doc, "2130505", "31005", payee, "6228480088012345671", "农行示例县支行", amount, "项目款", "财政直接支付"]


def write_xlsx(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS, title: str | None = "国库支付明细") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig", headers: list[str] = HEADERS) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def _state(book: Book) -> tuple[int, ...]:
    return tuple(book.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("treasury_imports", "treasury_payments", "ledger_settings", "audit_log"))


@pytest.fixture
def paid(book: Book) -> Iterator[tuple[Book, int]]:
    """An indicator with two ledger payments: ZF1 10,000.00 and ZF2 20,000.00."""
    login_as(book, "clerk")
    ind = register(book, doc_no=DOC, amount=500_000_00)
    for voucher, amount in (("ZF1", 10_000_00), ("ZF2", 20_000_00)):
        ledger.post_expenditure(book, indicator_id=ind, amount=amount, entry_date=dt.date(2026, 4, 2),
                                voucher_no=voucher, payment_id=None, summary="支付")
    yield book, ind


def test_dry_run_plans_each_row_and_writes_nothing(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, ind = paid
    path = write_xlsx(tmp_path / "t.xlsx", [row("ZF1"), row("ZF2", 20_100), row("ZF3", 5000.5), ["合计", None, None]])
    before, changes = _state(book), book.conn.total_changes
    plan = treasury.plan(book, path)
    assert [(r.row, r.voucher_no, r.status, r.amount) for r in plan.rows] == [
        (3, "ZF1", "new", 10_000_00), (4, "ZF2", "amount_diff", 20_100_00), (5, "ZF3", "unmatched", 5_000_50)]
    assert plan.rows[1].ledger_amount == 20_000_00 and plan.rows[0].indicator_id == ind
    assert plan.to_add == 3 and "将新增 3 行" in plan.summary()
    assert _state(book) == before and book.conn.total_changes == changes


def test_import_is_one_transaction_and_reimport_adds_nothing(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    path = write_xlsx(tmp_path / "t.xlsx", [row("ZF1"), row("ZF2", "20,100.00"), row("ZF3", "5000.50")])
    result = treasury.import_file(book, path)
    assert result.added == 3 and result.import_id is not None
    ops = {r[0] for r in book.conn.execute("SELECT DISTINCT op FROM audit_log WHERE tbl LIKE 'treasury%'")}
    assert ops == {"import_treasury"}
    state = _state(book)
    again = treasury.import_file(book, path)
    assert again.added == 0 and again.import_id is None and "导入过" in again.text()
    assert _state(book) == state
    copy = write_xlsx(tmp_path / "copy.xlsx", [row("ZF1"), row("ZF2", "20,100.00"), row("ZF3", "5000.50")], title="另一份")
    plan = treasury.plan(book, copy)  # another file (other hash), same vouchers: all duplicates
    assert {r.status for r in plan.rows} == {"duplicate"} and plan.to_add == 0
    assert treasury.import_file(book, copy).added == 0 and _state(book) == state


def test_differences_are_reconciliation_items_and_can_be_explained(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    treasury.import_file(book, write_xlsx(tmp_path / "t.xlsx", [row("ZF2", "20,100.00"), row("ZF3", "5000.50")]))
    diffs = {d["key"]: d for d in reconcile.differences(book, month="2026-04")}
    assert set(diffs) == {"treasury:ZF2", "treasury:ZF3", "ledger:ZF1"}
    assert diffs["treasury:ZF2"]["kind"] == "amount_diff" and diffs["treasury:ZF2"]["difference"] == 100_00
    assert diffs["treasury:ZF3"]["kind"] == "unmatched" and diffs["ledger:ZF1"]["kind"] == "ledger_only"
    assert len(reconcile.open_differences(book)) == 3
    login_as(book, "reviewer")
    reconcile.explain(book, month="2026-04", key="treasury:ZF3", note="国库已支付，专账次月补记")
    assert len(reconcile.open_differences(book)) == 2
    with pytest.raises(ValidationError) as err:
        reconcile.explain(book, month="2026-04", key="treasury:ZF999", note="没有这一项差异")
    assert err.value.field == "差异"
    with pytest.raises(ValidationError):
        reconcile.explain(book, month="2026-04", key="treasury:ZF2", note="短")
    login_as(book, "clerk")  # posting the missing entry clears the difference by itself
    ledger.post_expenditure(book, indicator_id=_ind, amount=5_000_50, entry_date=dt.date(2026, 4, 3),
                            voucher_no="ZF3", payment_id=None, summary="补记")
    assert "treasury:ZF3" not in {d["key"] for d in reconcile.differences(book)}
    table = {r["section"]: r for r in reconcile.section_table(book, month="2026-04")}
    assert table["扶贫资金管理股"]["treasury"] == 25_100_50 and table["扶贫资金管理股"]["master_expenditure"] == 35_000_50


def test_section_figures_are_compared_with_the_master_ledger(paid: tuple[Book, int]) -> None:
    book, _ind = paid
    reconcile.record_section_figures(book, month="2026-04", section="扶贫资金管理股", income=0,
                                     expenditure=29_000_00)  # the indicator came in March
    [diff] = [d for d in reconcile.differences(book, month="2026-04") if d["kind"].startswith("section")]
    assert diff["key"] == "section:扶贫资金管理股:expenditure" and diff["difference"] == -1_000_00
    reconcile.record_section_figures(book, month="2026-04", section="扶贫资金管理股", income=0,
                                     expenditure=30_000_00)  # corrected: replaces the month's figures
    assert not [d for d in reconcile.differences(book, month="2026-04") if d["kind"].startswith("section")]
    with pytest.raises(ValidationError) as err:
        reconcile.record_section_figures(book, month="2026-04", section="农业股", income=-1, expenditure=0)
    assert err.value.field == "分管台账收入"
    with pytest.raises(ValidationError) as err:
        reconcile.record_section_figures(book, month="2026-12", section="农业股", income=0, expenditure=0)
    assert err.value.field == "月份"


def test_bad_rows_are_named_by_row_number_and_nothing_is_written(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    rows = [
        row("ZF1"),                                   # 3: fine
        row("ZF5", "12.345"),                         # 4: three decimals
        row("ZF6", day="2026-13-01"),                 # 5: no such date
        row("", "100"),                               # 6: no voucher
        row("ZF7", day="2026-12-01"),                 # 7: in the future (today is 2026-11-20)
        row("ZF1", "10000.00"),                       # 8: same voucher as row 3
        row("ZF8", doc="新财农〔2026〕999号"),         # 9: 文号 of no registered indicator
        row("ZF9", "-50"),                            # 10: negative
        row("ZF10", "0"),                             # 11: zero
        row("ZF11", payee=""),                        # 12: no payee
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    before = _state(book)
    with pytest.raises(RowErrors) as err:
        treasury.import_file(book, path)
    found = {(r, f) for r, f, _reason in err.value.errors}
    assert found == {(4, "金额"), (5, "支付日期"), (6, "支付凭证号"), (7, "支付日期"), (8, "支付凭证号"), (9, "指标文号"),
                     (10, "金额"), (11, "金额"), (12, "收款人全称")}
    assert "第 8 行 支付凭证号：“ZF1”与第 3 行重复" in str(err.value)
    assert "未写入任何数据" in str(err.value)
    assert _state(book) == before


def test_voucher_imported_before_with_other_content_is_refused(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    treasury.import_file(book, write_xlsx(tmp_path / "a.xlsx", [row("ZF1")]))
    with pytest.raises(RowErrors, match="日期/金额/文号不同") as err:
        treasury.plan(book, write_xlsx(tmp_path / "b.xlsx", [row("ZF1", "10001.00")]))
    assert err.value.errors[0][:2] == (3, "支付凭证号")


def test_rows_in_a_closed_month_are_refused(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    login_as(book, "chief")
    periods.close_month(book, month="2026-04")
    login_as(book, "clerk")
    with pytest.raises(RowErrors, match="已签发结账"):
        treasury.import_file(book, write_xlsx(tmp_path / "a.xlsx", [row("ZF1")]))


@pytest.mark.parametrize(("name", "content", "message"), [
    ("支付.xls", b"\xd0\xcf\x11\xe0old excel", "不是 .xlsx 或 .csv"),
    ("支付.txt", b"voucher,amount", "不是 .xlsx 或 .csv"),
    ("支付.xlsx", b"this is not a zip", "不是有效的 .xlsx"),
    ("支付.csv", "甲,乙\n1,2\n".encode(), "找不到表头"),
])
def test_files_that_are_not_treasury_exports_are_refused(paid: tuple[Book, int], tmp_path: Path, name: str,
                                                        content: bytes, message: str) -> None:
    book, _ind = paid
    path = tmp_path / name
    path.write_bytes(content)
    before = _state(book)
    with pytest.raises(ValidationError, match=message) as err:
        treasury.import_file(book, path)
    assert err.value.field == "文件"
    assert _state(book) == before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk(paid: tuple[Book, int], tmp_path: Path, encoding: str) -> None:
    book, _ind = paid
    path = write_csv(tmp_path / "t.csv", [row("ZF1"), row("ZF2", "20,000.00")], encoding=encoding)
    result = treasury.import_file(book, path)
    assert result.added == 2 and result.plan.count("new") == 2
    payee = book.conn.execute("SELECT payee_name, payee_account FROM treasury_payments ORDER BY id").fetchone()
    assert tuple(payee) == ("某合作社", "6228480088012345671")


def test_column_mapping_is_remembered(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    odd = ["凭证流水", "付款日", "来源文号", "科目", "经济", "对方户名", "对方账号", "对方银行", "发生额", "备注", "方式"]
    mapping = {"voucher_no": "凭证流水", "pay_date": "付款日", "doc_no": "来源文号", "payee_name": "对方户名",
               "amount": "发生额", "payee_account": "对方账号"}
    first = write_xlsx(tmp_path / "a.xlsx", [row("ZF1")], headers=odd)
    with pytest.raises(ValidationError) as err:
        treasury.plan(book, first)
    assert err.value.field == "列对应" and "支付凭证号" in str(err.value)
    treasury.import_file(book, first, mapping=mapping)
    assert treasury.remembered_mapping(book)["amount"] == "发生额"
    assert book.conn.execute("SELECT count(*) FROM audit_log WHERE tbl = 'ledger_settings'").fetchone()[0] == 1
    second = write_xlsx(tmp_path / "b.xlsx", [row("ZF2", "20000")], headers=odd)
    assert treasury.import_file(book, second).added == 1  # no mapping given this time
    headers, found = treasury.headers(book, second)
    assert found["voucher_no"] == "凭证流水" and "发生额" in headers
    with pytest.raises(ValidationError) as err:
        treasury.plan(book, second, mapping={"amount": "不存在的列"})
    assert err.value.field == "金额"


def test_a_failure_inside_the_import_leaves_nothing(paid: tuple[Book, int], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    book, _ind = paid
    before = _state(book)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full after the rows were written")

    monkeypatch.setattr(treasury, "save_mapping", broken)
    with pytest.raises(RuntimeError):
        treasury.import_file(book, write_xlsx(tmp_path / "a.xlsx", [row("ZF1"), row("ZF2", "20000")]))
    assert _state(book) == before


def test_auditor_may_dry_run_but_not_import(paid: tuple[Book, int], tmp_path: Path) -> None:
    book, _ind = paid
    path = write_xlsx(tmp_path / "a.xlsx", [row("ZF1")])
    login_as(book, "auditor")
    assert treasury.plan(book, path).to_add == 1
    with pytest.raises(PermissionDenied):
        treasury.import_file(book, path)


def test_demo_export_reimports_cleanly(paid: tuple[Book, int], tmp_path: Path) -> None:
    """The generator writes a title row, text cells and a 合计 footer that the importer understands."""
    book, _ind = paid
    path = demo_ledger.write_treasury_export(book, tmp_path / "demo.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws is not None and ws["A2"].value == "支付凭证号" and ws.cell(ws.max_row, 1).value == "合计"
    assert ws["A3"].value == "ZF1" and ws["A3"].data_type in ("s", "inlineStr")
    plan = treasury.plan(book, path)
    assert [(r.voucher_no, r.status) for r in plan.rows] == [("ZF1", "new"), ("ZF2", "new")]


def test_a_million_bad_rows_are_refused_after_the_first_errors_without_reading_the_rest() -> None:
    """Issue 15 item 8 as an independent attacker found it: a 5 MB workbook of a million tiny rows, each one an
    error, took 45 s and 480 MB while every error was collected. Now reading stops at the cap."""
    from app.models.ledger import treasury_file as tf

    read = 0

    def rows() -> Iterator[tuple[int, tuple[object, ...]]]:
        nonlocal read
        for n in range(2, 1_048_577):
            read += 1
            yield n, (None,) * 10 + ("x",)

    headers = ["凭证号", "支付日期", "金额", "收款人名称", "收款人账号", "指标文号", "预算科目", "用途", "付款账号", "项目名称", "备注"]
    sheet = tf.Sheet("t.xlsx", 1, headers, rows(), set(), "支付明细")
    mapping = tf.resolve_mapping(sheet.headers)
    parsed, errors = tf.parse_rows(sheet, mapping, today=dt.date(2026, 12, 1))
    assert parsed == [] and len(errors) == tf.MAX_ERRORS + 1
    assert "错误过多" in errors[0][2] and read < 2 * tf.MAX_ERRORS
