"""Issue 17: the monthly tables are worded by the month's year's rule set — the package name and table titles of its
`[reports]`, the fund kind and item names of its `[[kinds]]`, and the column of its ratio rule (xj-2021's
产业发展比重 on 表1) — for months computed under calc 2; a month signed under calc 1 re-creates with the words and
columns it was signed with.

The naive versions: the titles stay 财政扶贫资金… in a 2026 衔接资金 month (the words were in the report files); the
new wording is applied to every month, so a month signed by the older build no longer re-creates byte for byte and
verify fails an honest file; the 产业发展比重 column is shown under xj-2019 too (it has no such rule).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from app.export import pdf as report_pdf
from app.export import signed, workbook
from app.models.integrity import anchors
from app.models.reports import definitions, monthly, package_data, snapshot
from app.models.store import rule_sets, users
from app.models.store.book import Book, open_book
from tests import pdftext
from tests.reliability import crash_child as cc

TITLE_2019 = "财政扶贫资金筹集及到位情况表"
TITLE_2021 = "财政衔接推进乡村振兴补助资金筹集及到位情况表"
SHARE = "衔接资金用于产业发展的比重"  # xj-2021's [[ratio_rules]] industry_share name


@pytest.fixture
def county(tmp_path: Path) -> Iterator[Book]:
    """One 2026 ZX central indicator (900 000 000.00), half of it planned to an industry project, one payment."""
    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    try:
        yield book
    finally:
        book.close(backup=False)


def _regime_2021(book: Book) -> None:
    users.login(book, "chief", cc.PASSWORD)
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")


def _sheet(package: package_data.PackageData, name: str = "表1") -> list[list[object]]:
    wb = openpyxl.load_workbook(io.BytesIO(workbook.workbook_bytes(package)))
    return [list(r) for r in wb[name].iter_rows(values_only=True)]


def _texts(rows: list[list[object]]) -> list[str]:
    return [str(v) for r in rows for v in r if v is not None]


def test_a_2021_regime_month_is_titled_named_and_has_the_industry_column(county: Book) -> None:
    _regime_2021(county)
    package = monthly.assemble(county, month="2026-04")  # the plan was approved on 2026-04-01
    assert package.calc == package_data.CALC >= 2  # calc 2 wording (calc 3 stores balances besides)
    rows = _sheet(package)
    cells = _texts(rows)
    assert rows[0][0] == f"表1　{TITLE_2021}"
    assert "财政衔接推进乡村振兴补助资金" in " ".join(cells) and "财政专项扶贫资金" not in " ".join(cells)
    assert any("巩固拓展脱贫攻坚成果和乡村振兴任务" in c for c in cells)  # ZX01 as xj-2021 names it
    assert SHARE in cells
    col = next(i for r in rows for i, v in enumerate(r) if v == SHARE)
    total = next(r for r in rows if r[0] == "合计")
    assert total[col] == pytest.approx(0.5)  # half the central ZX money planned to the industry project
    cover = _texts(_sheet(package, "封面"))
    assert "财政衔接推进乡村振兴补助资金监督管理各类情况月报表" in cover and TITLE_2021 in cover
    out = Path(county.path).with_name("m.pdf")
    report_pdf.render_pdf(package, out)
    text = "".join(pdftext.text(out).split())  # a header wraps inside its cell
    assert TITLE_2021 in text and TITLE_2019 not in text
    page = "".join(pdftext.text(out, first=2, last=2).split())  # 表1: its header wraps in its cell, between others
    found = iter(page[page.index("到位率"):])
    assert all(ch in found for ch in SHARE), page


def test_the_same_month_under_xj_2019_keeps_the_2019_words_and_no_industry_column(county: Book) -> None:
    package = monthly.assemble(county, month="2026-03")
    rows = _sheet(package)
    cells = _texts(rows)
    assert rows[0][0] == f"表1　{TITLE_2019}"
    assert any("扶贫发展资金" in c for c in cells) and SHARE not in cells and "产业发展比重" not in cells
    assert "industry_planned" not in package.rows["fund_receipts"][0]
    out = Path(county.path).with_name("m19.pdf")
    report_pdf.render_pdf(package, out)
    text = "".join(pdftext.text(out).split())
    assert TITLE_2019 in text and TITLE_2021 not in text and "衔接资金用" not in text


def test_a_month_signed_under_calc_1_re_creates_with_its_old_words(county: Book, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed by the older build (calc 1) in a 2021-regime year: stored without wording, 2019 titles, the file's
    names, no industry column. With today's build verify re-sums it under calc 1 (no drift) and re-creates its
    files byte for byte; a month assembled now is worded by xj-2021."""
    _regime_2021(county)
    monkeypatch.setattr(package_data, "CALC", 1)
    cc.pay_once_and_sign(county, ["2026-03", "2026-04", "2026-05"], tmp_path / "sent")
    monkeypatch.undo()
    row, old = monthly.signed_package(county, month="2026-05")
    assert old.calc == 1 and old.wording == {} and '"wording"' not in row["data"]
    assert _sheet(old)[0][0] == f"表1　{TITLE_2019}"
    assert [str(f) for f in anchors.check_drift(county)] == []
    assert [str(f) for f in signed.check_signed(county)] == []
    for month in ("2026-03", "2026-04", "2026-05"):
        _folder, checks = signed.recreate_compare(county, month=month, version=1, out_dir=tmp_path / "again" / month)
        assert checks and all(c.same for c in checks), [(c.name, c.recorded[:8], c.recreated) for c in checks]
    new = monthly.assemble(county, month="2026-06")
    assert new.calc >= 2 and _sheet(new)[0][0] == f"表1　{TITLE_2021}"
    again = snapshot.loads(snapshot.dumps(new))  # the words travel with the signed data
    assert again.wording == new.wording and _sheet(again) == _sheet(new)


def test_a_calc_2_month_signed_under_xj_2021_verifies(county: Book, tmp_path: Path) -> None:
    _regime_2021(county)
    cc.pay_once_and_sign(county, ["2026-03", "2026-04", "2026-05"], tmp_path / "sent")
    row, package = monthly.signed_package(county, month="2026-05")
    assert package.calc >= 2 and package.wording["columns"] == {"industry_share": SHARE}
    assert [str(f) for f in anchors.check_drift(county)] == []
    assert [str(f) for f in signed.check_signed(county)] == []
    _folder, checks = signed.recreate_compare(county, month="2026-05", version=1, out_dir=tmp_path / "again")
    assert checks and all(c.same for c in checks)


def test_the_industry_column_is_computed_in_integer_parts_per_item(county: Book) -> None:
    _regime_2021(county)
    package = monthly.assemble(county, month="2026-04")
    (row,) = [r for r in package.rows["fund_receipts"] if r["item_code"] == "ZX01"]
    assert isinstance(row["industry_planned"], int) and isinstance(row["industry_received"], int)
    assert row["industry_planned"] * 2 == row["industry_received"] == 900_000_000_00
    defs = definitions.worded(definitions.load(), package.wording)
    assert defs.table("表1").columns[-1].header == (SHARE,)
    assert "industry_share" not in [c.key for c in definitions.load().table("表1").columns]  # not shown by default


def test_lists_for_a_year_use_that_years_names(county: Book) -> None:
    from app.models.ledger import catalogue

    before = {r["item"]: r for r in monthly.annual_plan_rows(county, year=2026)}
    assert before["ZX01"]["item_name"] == "扶贫发展资金" and before["ZX01"]["kind_name"] == "财政专项扶贫资金"
    _regime_2021(county)
    after = {r["item"]: r for r in monthly.annual_plan_rows(county, year=2026)}
    assert after["ZX01"]["item_name"] == "巩固拓展脱贫攻坚成果和乡村振兴任务"
    assert after["ZX01"]["kind_name"] == "财政衔接推进乡村振兴补助资金"
    assert {r["code"]: r["name"] for r in catalogue.kinds(county, year=2020)}["ZX"] == "财政专项扶贫资金"
    assert {r["code"]: r["name"] for r in catalogue.items(county, year=2026)}["ZX02"] == "以工代赈任务"


def test_a_prefecture_reads_a_2021_county_workbook_with_the_extra_column(county: Book) -> None:
    """The industry-share column stands last in 表1: a prefecture (which reads the definitions' columns by position)
    reads the 2021 county's 表1 as before and leaves the extra column out of its consolidation."""
    from app.models.prefecture import tables

    _regime_2021(county)
    package = monthly.assemble(county, month="2026-04")
    read = tables.read_workbook(workbook.workbook_bytes(package), tables.defs_for_sender("county"), name="县.xlsx")
    total = read["表1"]["total"]
    assert total["cum_central"] == total["cum_total"] == 900_000_000_00 and "industry_share" not in total
    assert [r["label"] for r in read["表1"]["rows"]][0] == "一、财政衔接推进乡村振兴补助资金"
