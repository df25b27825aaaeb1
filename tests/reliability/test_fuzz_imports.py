"""Fuzzed import columns: treasury exports (.xlsx and .csv), the project plan, real-name lists and performance
goals, built in memory with one hostile cell among valid rows. Each file is imported whole or refused whole
with the row and column named (RowErrors) — never another exception, never part of a file.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.ledger import treasury
from app.models.ledger import treasury_file as tf
from app.models.payments import real_name
from app.models.performance import goals_import as perf_import
from app.models.plan import plan_import
from app.models.store.book import Book
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx
from tests.reliability.fuzz_support import AMOUNTS, DATES, FUZZ, HOSTILE, attempt

_seq = itertools.count(1)
CELL = st.one_of(HOSTILE, AMOUNTS, DATES, st.none(), st.integers(), st.floats(allow_nan=True))


def _xlsx(rows: list[list[Any]], title: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.title = title
    for r in rows:
        ws.append([_cell(v) for v in r])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(v: Any) -> Any:
    """openpyxl itself refuses control characters in cells (IllegalCharacterError): what a real export could
    hold, a string with them removed — the CSV variants keep them."""
    if isinstance(v, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", v)
    return v


def _csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("utf-8-sig", errors="surrogatepass")


# -- treasury -------------------------------------------------------------------------------------------
TREASURY_HEADERS = [tf.FIELDS[k][0] for k in tf.FIELDS]


@FUZZ
@given(column=st.sampled_from(list(tf.FIELDS)), value=CELL, as_csv=st.booleans())
def test_treasury_import_columns(book: Book, tmp_path_factory: Any, column: str, value: Any, as_csv: bool) -> None:
    login_as(book, "clerk")
    doc = "新财农〔2026〕800号"
    if not book.conn.execute("SELECT 1 FROM indicators WHERE doc_no = ?", (doc,)).fetchone():
        register(book, doc_no=doc, amount=900_000_000_00)
    n = next(_seq)
    valid = {"voucher_no": f"GK{n}-A", "pay_date": "2026-04-02", "doc_no": doc, "func_code": "2130505",
             "econ_code": "31005", "payee_name": "某合作社", "payee_account": "6228480088012345671",
             "payee_bank": "农行示例县支行", "amount": "100.00", "purpose": "项目款", "pay_method": "财政直接支付"}
    second = valid | {"voucher_no": f"GK{n}-B", column: value}
    rows = [TREASURY_HEADERS, [valid[k] for k in tf.FIELDS], [second[k] for k in tf.FIELDS]]
    path = tmp_path_factory.mktemp("t") / ("国库.csv" if as_csv else "国库.xlsx")
    path.write_bytes(_csv(rows) if as_csv else _xlsx(rows))
    before = book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0]
    got = attempt(book, "国库数据导入", lambda: treasury.import_file(book, path),
                  {tf.label(column), "文件", "支付凭证号", tf.label("voucher_no")})
    after = book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0]
    if got is not None:  # whole file or (when a row was a duplicate/footer) the rows it kept, never a torn write
        assert after - before == got.added and got.added in (0, 1, 2)
        again = treasury.import_file(book, path)
        assert again.added == 0 and book.conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0] == after


# -- the project plan ------------------------------------------------------------------------------------
PLAN_HEADERS = [c.title for c in plan_import.PROJECT_COLUMNS]
FUNDING_HEADERS = [c.title for c in plan_import.FUNDING_COLUMNS]


def _plan_row(code: str) -> dict[str, Any]:
    return {"code": code, "year": 2026, "name": "巴格其村道路硬化", "category": "industry", "construction_type": "新建",
            "township": "城关镇", "village": "巴格其村", "content": "硬化村道 3.2 公里", "start_date": "2026-04-01",
            "end_date": "2026-09-30", "implementer": "城关镇人民政府", "responsible": "张三", "asset_type": "公益性",
            "infrastructure": "是", "contract_amount": 800000, "retention_bp": 3}


@FUZZ
@given(column=st.sampled_from([c.key for c in plan_import.PROJECT_COLUMNS] + ["f.doc_no", "f.year", "f.amount"]),
       value=CELL)
def test_plan_import_columns(book: Book, column: str, value: Any) -> None:
    login_as(book, "clerk")
    doc = "新财农〔2026〕801号"
    if not book.conn.execute("SELECT 1 FROM indicators WHERE doc_no = ?", (doc,)).fetchone():
        register(book, doc_no=doc, amount=900_000_000_00)
    n = next(_seq)
    good, bad = _plan_row(f"JHF{n}-A"), _plan_row(f"JHF{n}-B")
    fund_good = {"code": good["code"], "doc_no": doc, "year": 2026, "amount": "1000.00"}
    fund_bad = {"code": bad["code"], "doc_no": doc, "year": 2026, "amount": "1000.00"}
    if column.startswith("f."):
        fund_bad[column[2:]] = value
    else:
        bad[column] = value
        if column == "code":
            fund_bad["code"] = value
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = plan_import.PROJECT_SHEET
    ws.append(PLAN_HEADERS)
    for r in (good, bad):
        ws.append([_cell(r.get(c.key)) for c in plan_import.PROJECT_COLUMNS])
    fs = wb.create_sheet(plan_import.FUNDING_SHEET)
    fs.append(FUNDING_HEADERS)
    for r in (fund_good, fund_bad):
        fs.append([_cell(r.get(c.key)) for c in plan_import.FUNDING_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    labels = {c.label for c in (*plan_import.PROJECT_COLUMNS, *plan_import.FUNDING_COLUMNS)}
    labels |= {c.title for c in (*plan_import.PROJECT_COLUMNS, *plan_import.FUNDING_COLUMNS)}
    from app.models.plan import fields as pf

    labels |= set(pf.LABELS.values()) | {"资金来源", "项目编号", "文件"}
    before = book.conn.execute("SELECT count(*) FROM projects").fetchone()[0]
    got = attempt(book, "项目计划导入", lambda: plan_import.import_plan(book, file_name="计划.xlsx", data=out.getvalue()),
                  labels)
    after = book.conn.execute("SELECT count(*) FROM projects").fetchone()[0]
    assert after - before == (len(got) if got is not None else 0)
    if got is not None:
        assert len(got) == 2  # both projects, with their funding
        assert attempt(book, "项目计划导入", lambda: plan_import.import_plan(book, file_name="计划.xlsx",
                                                                         data=out.getvalue()), labels) is None
        assert book.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == after


# -- real-name lists --------------------------------------------------------------------------------------
ROSTER_HEADERS = ["姓名", "身份证号", "村", "金额（元）", "账号"]


@FUZZ
@given(column=st.sampled_from(range(5)), value=CELL)
def test_real_name_list_columns(book: Book, column: int, value: Any) -> None:
    row = book.conn.execute("SELECT id FROM payments WHERE kind = 'household_subsidy' AND status = 'draft'").fetchone()
    if row is None:
        ind, pid, _ = fx.setup_funds(book)
        payment_id = fx.request(book, pid, ind, None, 3_000_00, kind="household_subsidy", usage="household_subsidy")
    else:
        payment_id = row[0]
    login_as(book, "clerk")
    rows = [list(r) for r in fx.households(3)]
    rows[1][column] = value
    data = _xlsx([ROSTER_HEADERS, *rows])
    got = attempt(book, "实名制名册导入", lambda: real_name.import_list(book, payment_id=payment_id, file_name="名册.xlsx",
                                                                       data=data),
                  {"姓名", "身份证号", "公民身份号码", "村", "金额", "金额（元）", "账号", "金额合计", "文件"})
    if got is not None:
        lines = real_name.lines(book, payment_id)
        assert len(lines) == got["persons"] == 3 and sum(ln["amount"] for ln in lines) == got["total"] == 3_000_00


# -- performance goals -------------------------------------------------------------------------------------


@FUZZ
@given(column=st.sampled_from(range(len(perf_import.COLUMNS))), value=CELL)
def test_performance_import_columns(book: Book, tmp_path_factory: Any, column: int, value: Any) -> None:
    login_as(book, "clerk")
    code = "XM2026001"
    if not book.conn.execute("SELECT 1 FROM projects WHERE code = ?", (code,)).fetchone():
        ind = register(book, amount=900_000_000_00)
        fx.approved_project(book, [(ind, 100_000_00)], code=code)
    rows = [list(r) for r in perf_import.EXAMPLE[:3]]
    n = next(_seq)
    for r in rows:
        r[3] = f"{r[3]}{n}"  # a new name each time: the import adds, it does not repeat
    rows[1][column] = value
    path: Path = tmp_path_factory.mktemp("p") / "绩效.xlsx"
    path.write_bytes(_xlsx([perf_import.COLUMNS, *rows]))
    before = book.conn.execute("SELECT count(*) FROM perf_goals").fetchone()[0]
    got = attempt(book, "绩效目标导入", lambda: perf_import.import_goals(book, path, replace=True),
                  set(perf_import.COLUMNS) | {"文件"})
    after = book.conn.execute("SELECT count(*) FROM perf_goals WHERE removed_on IS NULL").fetchone()[0]
    if got is not None:
        assert got == 3 and after == 3, (got, before, after)


def test_treasury_row_dated_before_its_indicator_names_the_date(book: Book, tmp_path: Path) -> None:
    """Found by fuzzing (pay date 00010101): the refusal blamed the 指标文号, which is registered; it is the date."""
    login_as(book, "clerk")
    doc = "新财农〔2026〕802号"
    register(book, doc_no=doc, amount=1_000_00)
    row = ["GK-OLD", "00010101", doc, "2130505", "31005", "某合作社", "6228480088012345671", "农行", "1.00", "项目款", "直接"]
    path = tmp_path / "国库.csv"
    path.write_bytes(_csv([TREASURY_HEADERS, row]))
    from app.models.values.errors import RowErrors

    with pytest.raises(RowErrors) as info:
        treasury.import_file(book, path)
    assert [(r, f) for r, f, _ in info.value.errors] == [(2, "支付日期")] and "早于" in str(info.value)
