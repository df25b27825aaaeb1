"""Notice documents: every required field printed, identifiers masked, no account — and a scan of every
document the demo county can produce for any full ID or account number held in its database."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from app.export import notice_docs
from app.models.notices import content as notice_content
from app.models.notices import records as notices
from app.models.store import setup
from app.models.store.book import Book, open_book
from app.models.values import ids
from tests import pdftext
from tests.conftest import FixedClock, login_as, writable_copy
from tests.models.notices import notice_fixtures as nf

TODAY = dt.date(2026, 11, 20)


def pdf_text(path: Path) -> str:
    """Text in drawing order (Qt's PDF module): the lines of a wrapped table cell stay together, so a split
    ID would still be found."""
    return pdftext.text(path)


def cells(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    login_as(book, "chief")
    setup.update_bureau(book, name="测试县财政局", region_code="659902", level="county", phone="0998-1234567")
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def test_project_notice_carries_every_required_field(book: Book, county: nf.County, tmp_path: Path) -> None:
    doc = notice_content.for_draft(book, kind="project_plan", level="village", object_type="project",
                                   object_id=county.village_project, on=TODAY)
    pdf, xlsx = notice_docs.write(doc, tmp_path)
    text = re.sub(r"\s+", "", pdf_text(pdf))
    book_cells = "".join(cells(xlsx))
    for field in book.rules.notices.project_notice_fields:
        if field not in ("公告单位", "公告日期", "监督举报电话"):
            assert field in text and field in book_cells, field
    for needed in ("托万克村养殖圈舍建设", "新财农〔2026〕", "12317", "0998-1234567", "阿克苏乡托万克村村民委员会",
                   "2026年11月20日", "2026-11-20至2026-11-29", "合作社吸纳脱贫户务工"):
        assert needed in text, needed
    assert "监督举报电话" in book_cells and "公告日期：2026-11-20" in book_cells


def test_real_name_list_is_masked_and_has_no_account(book: Book, county: nf.County, tmp_path: Path) -> None:
    made = notice_docs.write(notice_content.for_draft(
        book, kind="real_name", level="village", object_type="payment", object_id=county.real_name_payment, on=TODAY),
        tmp_path / "partial")
    text = re.sub(r"\s+", "", pdf_text(made[0]))
    flat = "".join(cells(made[1]))
    for name, number, _village, _fen, account in nf.households():
        masked = number[:6] + "*" * 8 + number[-4:]
        assert name in text and masked in text and masked in flat
        for secret in (number, account, account[-8:]):
            assert secret not in text and secret not in flat
    assert "5,000.00" in text and "3人" in text
    login_as(book, "chief")
    setup.update_bureau(book, name="测试县财政局", region_code="659902", level="county", phone="", id_mask="hidden")
    hidden = notice_docs.write(notice_content.for_draft(
        book, kind="real_name", level="village", object_type="payment", object_id=county.real_name_payment, on=TODAY),
        tmp_path / "hidden")
    text = pdf_text(hidden[0])
    assert "身份证号" not in re.sub(r"（身份证号已按规定隐去部分号码）", "", text)
    assert all(number[:6] not in text for _n, number, *_rest in nf.households())
    assert "买买提·托乎提" in text


def test_allocation_and_fund_use_notices(book: Book, county: nf.County, tmp_path: Path) -> None:
    alloc = notice_docs.write(notice_content.for_draft(
        book, kind="allocation", level="county", object_type="indicator", object_id=county.indicator, on=TODAY), tmp_path)
    text = re.sub(r"\s+", "", pdf_text(alloc[0]))
    assert "XM2026-001" in text and "XM2026-002" in text and "800,000.00" in text and "长期公开" in text
    use = notice_docs.write(notice_content.for_draft(
        book, kind="fund_use", level="township", object_type="project", object_id=county.village_project, on=TODAY),
        tmp_path)
    text = re.sub(r"\s+", "", pdf_text(use[0]))
    assert "新疆天山建设工程有限公司" in text and "305,000.00" in text and nf.PAYEE_ACCOUNT not in text
    wb = openpyxl.load_workbook(use[1])
    amounts = [c.value for row in wb.active.iter_rows() for c in row if c.number_format == "#,##0.00"]
    assert 305000 in amounts  # a real number on the website sheet, summable


def test_user_text_is_never_a_formula_and_files_are_reproducible(book: Book, county: nf.County, tmp_path: Path) -> None:
    notice_id = notices.record_notice(
        book, kind="project_plan", level="township", object_type="project", object_id=county.township_project,
        title="=HYPERLINK(\"http://x\")关于劳务技能培训的公示", place="board", start_date="2026-04-10",
        end_date="2026-04-25", publisher="@阿克苏乡人民政府", phones="+12317")
    first = notice_docs.for_notice(book, notice_id, tmp_path / "a")
    second = notice_docs.for_notice(book, notice_id, tmp_path / "b")
    wb = openpyxl.load_workbook(first[1])
    formula_like = [c for row in wb.active.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=@+"]
    assert formula_like and all(c.data_type == "s" for c in formula_like)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


@pytest.fixture(scope="module")
def demo_book(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The module's copy of the session's demo county (tests/conftest.py), read-only."""
    b = open_book(writable_copy(demo_file, tmp_path_factory.mktemp("demo") / "示例县.db"), read_only=True)
    yield b
    b.close(backup=False)


def test_no_public_document_of_the_demo_county_holds_a_full_id_or_account(demo_book: Book, tmp_path: Path) -> None:
    conn = demo_book.conn
    secrets = {r[0] for r in conn.execute("SELECT id_number FROM real_name_lines UNION SELECT id_code FROM payees")}
    assert secrets and all(len(s) == 18 for s in secrets)
    accounts = {r[0] for r in conn.execute(
        "SELECT account FROM real_name_lines UNION SELECT account_no FROM payees "
        "UNION SELECT payee_account FROM treasury_payments WHERE payee_account <> ''")}
    assert accounts
    made = notice_docs.generate_all(demo_book, tmp_path, as_of=TODAY)
    recorded = conn.execute("SELECT count(*) FROM notices").fetchone()[0]
    assert len([p for p in made if p.suffix == ".pdf"]) > recorded > 50
    assert len({p.name for p in made}) == len(made)  # nothing overwritten
    real_name_docs = 0
    for path in made:
        text = pdf_text(path) if path.suffix == ".pdf" else "\n".join(cells(path))
        flat = re.sub(r"\s+", "", text)
        real_name_docs += "实名制发放名册" in flat
        leaked = [s for s in secrets | accounts if s in flat]
        assert not leaked, f"{path.name} shows {leaked[:1]}"
    assert real_name_docs >= 10
    sample = next(r[0] for r in conn.execute("SELECT id_number FROM real_name_lines ORDER BY id LIMIT 1"))
    assert any(ids.mask_id(sample) in re.sub(r"\s+", "", pdf_text(p)) for p in made if p.suffix == ".pdf")
