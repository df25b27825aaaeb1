"""County-level notices (项目库, 年度项目计划, 年度计划完成情况; issue #18) as notice documents: a recorded one prints
what was recorded — title, 批准文号, period, the projects with the data's amounts, the year's hotline — with
anything personal masked; a duty without a record prints a draft from the data; the batch includes them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from app.export import notice_docs
from app.models.notices import content as notice_content
from app.models.notices import county as county_notices
from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.store import setup
from app.models.store.book import Book
from app.models.values.money import format as fmt
from tests.conftest import FixedClock, login_as
from tests.export.test_notice_docs import cells, pdf_text
from tests.models.notices import notice_fixtures as nf

TODAY = dt.date(2026, 11, 20)
ID = "65290119800101123X"  # what a clerk may type into a notice's text: never printed whole
MOBILE = "13899887766"


@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    login_as(book, "chief")
    setup.update_bureau(book, name="测试县财政局", region_code="659902", level="county", phone="0998-1234567")
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def year_total(book: Book, year: int, approved: bool) -> int:
    return int(book.conn.execute(
        "SELECT coalesce(sum(f.amount), 0) FROM projects p JOIN project_funding f ON f.project_id = p.id "
        "WHERE p.year = ?" + (" AND p.decision_id IS NOT NULL" if approved else ""), (year,)).fetchone()[0])


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_recorded_annual_plan_prints_title_document_period_amounts_and_masks(book: Book, county: nf.County,
                                                                             tmp_path: Path) -> None:
    draft = county_notices.draft(book, kind="annual_plan", year=2026)
    content = dict(draft["content"])
    first = sorted(content)[0]
    content[first] += f"；联系人 张三 身份证 {ID}，电话 {MOBILE}"  # the clerk's own words on the notice
    nid = county_notices.record(book, kind="annual_plan", year=2026, doc_no="阿县扶组〔2026〕3号", place="board",
                                start_date="2026-04-10", end_date="2026-04-19", content=content,
                                location="县政府公示栏")
    doc = notice_content.for_county(book, nid)
    pdf, xlsx = notice_docs.for_county_notice(book, nid, tmp_path)
    text, sheet = flat(pdf_text(pdf)), "".join(cells(xlsx))
    total = fmt(year_total(book, 2026, approved=True))
    rules = book.rules_on(dt.date(2026, 4, 10))
    for needed in (draft["title"], "年度项目计划", "阿县扶组〔2026〕3号", "公示期：2026-04-10至2026-04-19",
                   f"{len(content)}个项目", f"资金合计{total}元", rules.labels.hotline_name,
                   rules.notices.supervision_phone, "0998-1234567", "2026年4月10日", "测试县财政局", "县政府公示栏",
                   f"经{rules.labels.leading_group}审定"):  # the 2026 set's body, not a name written in code
        assert flat(needed) in text, needed
        assert flat(needed) in flat(sheet), needed
    for code, line in content.items():
        assert code in text
        amount = re.search(r"[\d,]+\.\d\d 元", line)
        assert amount and flat(amount.group(0)) in text
    for whole in (ID, MOBILE):  # masked in both files, and nowhere in the document's text
        assert whole not in text and whole not in sheet
        assert whole not in json.dumps([doc.fields, doc.table.rows if doc.table else ()], ensure_ascii=False)
    assert "6529" in text and "7766" in text  # masked, not dropped: the reader still sees which ID is meant
    assert doc.file_stem.endswith(f"_第{nid}号") and doc.date == dt.date(2026, 4, 10)


def test_completion_notice_has_acceptance_and_goals_and_is_drafted_when_not_recorded(book: Book, county: nf.County,
                                                                                     tmp_path: Path) -> None:
    day = dt.date(2027, 1, 31)
    doc = notice_content.for_county_draft(book, kind="plan_completion", year=2026, on=day)
    rows = " ".join(cell for r in doc.table.rows for cell in r) if doc.table else ""
    assert "验收结果" in rows and "绩效目标完成情况" in rows
    assert doc.table is not None and doc.table.total is not None
    assert doc.table.total[2] == f"资金合计 {fmt(year_total(book, 2026, approved=True))} 元"
    assert "待填写" in dict(doc.fields)["批准文号"] or dict(doc.fields)["批准文号"]
    assert doc.date == day and "_待登记_2026" in doc.file_stem
    assert "计划完成情况（含项目验收结果和绩效目标完成情况）" in doc.intro


def test_a_county_duty_in_a_batch_gets_its_document(book: Book, county: nf.County, tmp_path: Path) -> None:
    """项目库/年度计划 duties are generated with the others of the batch: the draft when none is recorded."""
    duties = [d for d in ob.obligations(book, as_of=book.today()) if d.notice_id is None]
    year = next(d for d in duties if d.object_type == "year")
    other = next(d for d in duties if d.object_type != "year")
    paths, refused = notice_docs.for_selection(book, tmp_path, obligations=[year, other], on=book.today())
    assert refused == [] and len(paths) == 4
    county_pdf = next(p for p in paths if p.suffix == ".pdf" and county_notices.KINDS[year.kind] in p.name)
    assert flat(county_notices.KINDS[year.kind]) in flat(pdf_text(county_pdf))


def test_a_recorded_county_duty_prints_its_own_record_not_the_village_notice_with_that_id(
        book: Book, county: nf.County, tmp_path: Path) -> None:
    """The attack on the naive batch: a county duty's notice id is a county_notices id; read from `notices` it
    is some village's notice (or none). The county record is the one printed."""
    village = notices.record_notice(book, kind="project_plan", level="village", object_type="project",
                                    object_id=county.village_project, title="关于托万克村养殖圈舍建设项目计划安排的公示",
                                    place="board", start_date="2026-04-10", end_date="2026-04-22",
                                    publisher="阿克苏乡托万克村村民委员会")
    nid = county_notices.record(book, kind="project_pool", year=2026, doc_no="阿县扶组〔2026〕1号", place="website",
                                start_date="2026-03-20", title="测试县2026年扶贫项目库公告")
    duty = next(d for d in ob.obligations(book, as_of=book.today()) if d.key == "project_pool:county:year:2026")
    assert duty.notice_id == nid == village  # the same number in both tables: the trap
    paths, refused = notice_docs.for_selection(book, tmp_path, obligations=[duty], on=book.today())
    assert refused == []
    text = flat(pdf_text(next(p for p in paths if p.suffix == ".pdf")))
    assert "测试县2026年扶贫项目库公告" in text and "阿县扶组〔2026〕1号" in text and "本公告长期公开" in text
    assert "托万克村养殖圈舍建设项目计划安排" not in text
