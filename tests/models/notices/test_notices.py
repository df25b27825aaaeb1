"""公告公示: obligations derived from the data, notice records, evidence, feedback, and bad input."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage

from app.export import notice_docs
from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import ClosedPeriodError, PermissionDenied, ValidationError
from tests import pdftext
from tests.conftest import FixedClock, login_as
from tests.models.notices import notice_fixtures as nf

TODAY = dt.date(2026, 11, 20)


def photo() -> bytes:
    """A small real PNG, as a phone camera would give (made with QImage)."""
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#4caf50"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def duty(book: Book, key: str, as_of: dt.date = TODAY) -> ob.Obligation:
    return next(o for o in ob.obligations(book, as_of=as_of) if o.key == key)


def record(book: Book, c: nf.County, **over: object) -> int:
    args: dict[str, object] = {"kind": "project_plan", "level": "village", "object_type": "project",
                               "object_id": c.village_project, "title": "关于托万克村养殖圈舍建设项目计划安排的公示",
                               "place": "board", "start_date": "2026-04-10", "end_date": "2026-04-22",
                               "publisher": "阿克苏乡托万克村村民委员会"}
    args.update(over)
    return notices.record_notice(book, **args)  # type: ignore[arg-type]


def counts(book: Book) -> tuple[int, int, int]:
    one = book.conn.execute
    return (one("SELECT count(*) FROM notices").fetchone()[0], one("SELECT count(*) FROM notice_evidence").fetchone()[0],
            one("SELECT count(*) FROM attachments").fetchone()[0])


def test_every_duty_is_derived_from_the_data(book: Book, county: nf.County) -> None:
    found = {o.key: o for o in ob.obligations(book, as_of=TODAY)}
    c = county
    assert set(found) == {
        f"allocation:county:indicator:{c.indicator}",
        f"project_plan:township:project:{c.village_project}", f"project_plan:village:project:{c.village_project}",
        f"project_plan:township:project:{c.township_project}",  # township-wide: no village duty
        f"fund_use:township:project:{c.village_project}", f"fund_use:village:project:{c.village_project}",
        f"real_name:village:payment:{c.real_name_payment}",  # the enterprise payment needs no real-name notice
        "project_pool:county:year:2026", "annual_plan:county:year:2026",  # the county's own (issue #18)
    }
    assert all(o.status == ob.MISSING and o.is_open for o in found.values())
    plan_duty = found[f"project_plan:village:project:{c.village_project}"]
    assert plan_duty.since == c.decision_date and plan_duty.amount == 600_000_00 and plan_duty.village == "托万克村"
    assert found[f"real_name:village:payment:{c.real_name_payment}"].since == dt.date(2026, 7, 3)
    assert found[f"allocation:county:indicator:{c.indicator}"].amount == 800_000_00
    # nothing is due before it arises: before the plan was approved only the county's 项目库 (entered 2026-03-12)
    assert [o.key for o in ob.obligations(book, as_of=dt.date(2026, 4, 7))] == ["project_pool:county:year:2026"]
    assert ob.obligations(book, as_of=dt.date(2026, 3, 11)) == []


def test_done_when_clerk_generates_records_with_photo_and_duty_disappears(book: Book, county: nf.County,
                                                                          tmp_path: Path) -> None:
    key = f"project_plan:village:project:{county.village_project}"
    lacking = [o for o in ob.obligations(book, as_of=TODAY)
               if o.kind == "project_plan" and o.level == "village" and o.is_open]
    assert [o.key for o in lacking] == [key]
    made = notice_docs.for_obligation(book, lacking[0], tmp_path, on=TODAY)
    pdf = next(p for p in made if p.suffix == ".pdf")
    # #20: the file is named by what the clerk knows (the project code), not "_project5"
    code = projects.get(book, county.village_project)["code"]
    assert pdf.stem.endswith(f"_待登记_{code}") and "project" not in pdf.stem, pdf.stem
    text = pdftext.text(pdf)
    assert "托万克村养殖圈舍建设" in text and "12317" in text
    draft = notices.draft(book, kind="project_plan", level="village", object_type="project",
                          object_id=county.village_project)
    notice_id = notices.record_notice(
        book, kind="project_plan", level="village", object_type="project", object_id=county.village_project,
        title=draft["title"], place="board", start_date="2026-11-06", end_date="2026-11-17",
        publisher=draft["publisher"], content=draft["content"], location=draft["location"],
        evidence=[("公示栏照片.png", photo())])
    got = duty(book, key)
    assert (got.status, got.notice_id, got.days, got.is_open) == (ob.SHOWN, notice_id, 12, False)
    assert key not in {o.key for o in ob.obligations(book, as_of=TODAY) if o.is_open}
    assert [e["name"] for e in notices.evidence(book, notice_id)] == ["公示栏照片.png"]
    stored = notices.get(book, notice_id)
    assert stored["content_fields"]["绩效目标"] and "12317" in stored["phones"]


def test_status_follows_the_dates_and_the_minimum_days(book: Book, county: nf.County) -> None:
    key = f"project_plan:village:project:{county.village_project}"
    minimum = book.rules.notices.min_board_days
    short = record(book, county, start_date="2026-04-10", end_date="2026-04-18")  # 9 days
    got = duty(book, key)
    assert (got.status, got.days, got.notice_id) == (ob.TOO_SHORT, minimum - 1, short)
    assert "少于 10 天" in got.detail
    notices.update_notice(book, notice_id=short, fields={"end_date": "2026-04-19"})  # exactly 10 days: enough
    assert (duty(book, key).status, duty(book, key).days) == (ob.SHOWN, minimum)
    # a board notice still up counts as 公示中 until it has been up long enough
    posting = record(book, county, level="township", start_date="2026-11-15", end_date=None)
    town = duty(book, f"project_plan:township:project:{county.village_project}")
    assert (town.status, town.days, town.notice_id, town.is_open) == (ob.POSTING, 6, posting, False)
    assert duty(book, town.key, as_of=dt.date(2026, 11, 24)).status == ob.SHOWN
    # the county website never expires: shown from its first day
    site = notices.record_notice(book, kind="allocation", level="county", object_type="indicator",
                                 object_id=county.indicator, title="关于测试指标分配结果的公告", place="website",
                                 start_date="2026-11-20", publisher="测试县财政局")
    alloc = duty(book, f"allocation:county:indicator:{county.indicator}")
    assert (alloc.status, alloc.notice_id, alloc.days) == (ob.SHOWN, site, 1)


def test_an_adjusted_plan_must_be_noticed_again(book: Book, county: nf.County, clock: FixedClock) -> None:
    key = f"project_plan:village:project:{county.village_project}"
    record(book, county)
    assert duty(book, key).status == ob.SHOWN
    fields = {"content": "新建标准化养殖圈舍 24 座"}
    plan.adjust_project(book, project_id=county.village_project, fields=fields, funding=[(county.indicator, 650_000_00)],
                        decision_no="阿县扶组〔2026〕9号", decision_date="2026-11-10", reason="增加建设规模")
    again = duty(book, key)
    assert again.status == ob.MISSING and again.since == dt.date(2026, 11, 10) and "调整" in again.detail
    assert notices.draft(book, kind="project_plan", level="village", object_type="project",
                         object_id=county.village_project)["content"]["建设任务"] == "新建标准化养殖圈舍 24 座"


def test_feedback_and_handling_feed_table6(book: Book, county: nf.County) -> None:
    notice_id = record(book, county)
    fid = notices.add_feedback(book, notice_id=notice_id, received_date="2026-04-12", person="村民甲", channel="来访",
                               content="询问务工报名方式")
    assert notices.feedback(book, notice_id)[0]["status"] == "未处理"
    notices.handle_feedback(book, feedback_id=fid, handled_date="2026-04-15", handling="已说明报名方式")
    item = notices.feedback(book, notice_id)[0]
    assert (item["status"], item["handling"]) == ("已处理", "已说明报名方式")
    rows = {(r["level"], r["kind"]): r for r in ob.summary(book, as_of=TODAY)}
    village_plan = rows[("村级", "项目计划安排")]
    assert (village_plan["required"], village_plan["published"]) == (1, 1)
    assert (village_plan["complaints"], village_plan["handled"]) == (1, 1)
    real = rows[("村级", "实名制发放")]
    assert (real["realname_payments"], real["realname_published"]) == (1, 0)
    with pytest.raises(ValidationError) as err:
        notices.add_feedback(book, notice_id=notice_id, received_date="2026-04-01", person="村民乙", content="早于公告")
    assert err.value.field == "反映日期"


# -- bad input: each refused with the field named, nothing written -------------------------------------


def test_end_before_start_is_refused(book: Book, county: nf.County) -> None:
    before = counts(book)
    with pytest.raises(ValidationError) as err:
        record(book, county, start_date="2026-05-10", end_date="2026-05-01")
    assert err.value.field == "结束日期" and "早于开始日期" in err.value.message
    with pytest.raises(ValidationError) as err:
        record(book, county, place="website", end_date="2026-05-01", level="county", kind="allocation",
               object_type="indicator", object_id=county.indicator)
    assert err.value.field == "结束日期" and "长期" in err.value.message
    assert counts(book) == before


@pytest.mark.parametrize(("name", "data", "why"), [
    ("公示栏.gif", b"GIF89a....", "类型不允许"),
    ("公示栏.png", b"this is not an image", "扩展名与内容不符"),
    ("说明.docx", b"PK\x03\x04", "类型不允许"),
])
def test_evidence_that_is_not_an_image_or_pdf_is_refused(book: Book, county: nf.County, name: str, data: bytes,
                                                         why: str) -> None:
    notice_id = record(book, county)
    before = counts(book)
    with pytest.raises(ValidationError) as err:
        notices.attach_evidence(book, notice_id=notice_id, name=name, data=data)
    assert err.value.field == notices.EVIDENCE_FIELD and why in err.value.message
    with pytest.raises(ValidationError):
        record(book, county, evidence=[(name, data)])
    assert counts(book) == before


def test_evidence_over_the_size_limit_is_refused(book: Book, county: nf.County) -> None:
    notice_id = record(book, county)
    limit = book.rules.limits.scan_max_bytes
    before = counts(book)
    with pytest.raises(ValidationError) as err:
        notices.attach_evidence(book, notice_id=notice_id, name="扫描件.pdf", data=b"%PDF" + b"0" * (limit - 3))
    assert err.value.field == notices.EVIDENCE_FIELD and f"{book.rules.limits.scan_max_mb} MB" in err.value.message
    assert counts(book) == before
    notices.attach_evidence(book, notice_id=notice_id, name="扫描件.pdf", data=b"%PDF" + b"0" * (limit - 4))  # at the limit


@pytest.mark.parametrize(("object_type", "object_id", "kind"), [
    ("project", 999, "project_plan"), ("indicator", 999, "allocation"), ("payment", 999, "real_name"),
    ("indicator", 1, "project_plan"),  # the wrong kind of object for a project notice
])
def test_a_notice_about_an_object_that_does_not_exist_is_refused(book: Book, county: nf.County, object_type: str,
                                                                 object_id: int, kind: str) -> None:
    before = counts(book)
    with pytest.raises(ValidationError) as err:
        record(book, county, object_type=object_type, object_id=object_id, kind=kind)
    assert err.value.field == "公示对象"
    with pytest.raises(ValidationError):
        notices.draft(book, kind=kind, level="village", object_type=object_type, object_id=object_id)
    assert counts(book) == before


def test_real_name_notice_needs_a_real_name_list(book: Book, county: nf.County) -> None:
    with pytest.raises(ValidationError) as err:
        record(book, county, kind="real_name", object_type="payment", object_id=county.enterprise_payment)
    assert err.value.field == "公示对象" and "实名制发放名册" in err.value.message


def test_a_project_notice_missing_a_required_field_is_refused(book: Book, county: nf.County) -> None:
    draft = notices.draft(book, kind="project_plan", level="village", object_type="project",
                          object_id=county.village_project)
    content = dict(draft["content"]) | {"带贫减贫机制": "  "}
    with pytest.raises(ValidationError) as err:
        record(book, county, content=content)
    assert err.value.field == "带贫减贫机制"
    assert counts(book)[0] == 0


def test_editing_a_notice_dated_in_a_closed_month_is_refused(book: Book, county: nf.County) -> None:
    notice_id = record(book, county, start_date="2026-04-10", end_date="2026-04-22")
    login_as(book, "chief")
    periods.close_month(book, month="2026-04")
    login_as(book, "clerk")
    before = notices.get(book, notice_id)
    with pytest.raises(ClosedPeriodError) as err:
        notices.update_notice(book, notice_id=notice_id, fields={"end_date": "2026-04-25"})
    assert err.value.field == "开始日期"
    with pytest.raises(ClosedPeriodError):
        notices.attach_evidence(book, notice_id=notice_id, name="照片.png", data=photo())
    with pytest.raises(ClosedPeriodError):
        record(book, county, start_date="2026-04-11", end_date="2026-04-30", level="township")
    with pytest.raises(ClosedPeriodError):  # moving a notice into a closed month is refused too
        open_one = record(book, county, start_date="2026-05-10", end_date="2026-05-25", level="township")
        notices.update_notice(book, notice_id=open_one, fields={"start_date": "2026-04-30"})
    with pytest.raises(sqlite3.DatabaseError):  # the database itself refuses, whatever tool is used
        book.conn.execute("UPDATE notices SET end_date = '2026-04-30' WHERE id = ?", (notice_id,))
    assert notices.get(book, notice_id) == before


def test_only_clerks_record_notices(book: Book, county: nf.County) -> None:
    for login in ("auditor", "reviewer", "chief"):  # the chief signs, but does not enter data
        login_as(book, login)
        with pytest.raises(PermissionDenied):
            record(book, county)
    assert counts(book)[0] == 0
    login_as(book, "clerk")
    assert record(book, county) > 0


def test_verify_finds_a_notice_whose_object_is_gone(book: Book, county: nf.County) -> None:
    from app.models.notices import invariants as notice_checks

    notice_id = record(book, county)
    assert list(notice_checks.objects_exist(book.conn)) == []
    book.conn.execute("PRAGMA foreign_keys = OFF")
    book.conn.execute("UPDATE notices SET object_id = 999 WHERE id = ?", (notice_id,))  # another tool's edit
    found = list(notice_checks.objects_exist(book.conn))
    assert len(found) == 1 and f"公告 #{notice_id}" in found[0].where


# -- 县级公告：项目库、年度项目计划、完成情况 (issue #18) -------------------------------------------------------


def test_county_plan_notices_are_due_and_counted_with_their_document(book: Book, county: nf.County) -> None:
    from app.models.notices import county as county_notices
    from app.models.notices import obligations as ob

    day = dt.date(2026, 11, 20)
    due = {o.key: o for o in ob.obligations(book, as_of=day) if o.level == "county" and o.object_type == "year"}
    assert set(due) == {"project_pool:county:year:2026", "annual_plan:county:year:2026"}  # completion: next January
    assert all(o.status == ob.MISSING for o in due.values())
    assert {o.key for o in ob.open_obligations(book, as_of=day)} >= set(due)
    draft = county_notices.draft(book, kind="annual_plan", year=2026)
    assert draft["doc_no"] == "阿县扶组〔2026〕3号" and all("审定文号 阿县扶组〔2026〕3号" in v
                                                          for v in draft["content"].values())
    login_as(book, "clerk")
    with pytest.raises(ValidationError) as err:
        county_notices.record(book, kind="annual_plan", year=2026, doc_no=" ", place="website", start_date="2026-04-10")
    assert err.value.field == "批准文号"
    assert book.conn.execute("SELECT count(*) FROM county_notices").fetchone()[0] == 0
    county_notices.record(book, kind="annual_plan", year=2026, doc_no=draft["doc_no"], place="website",
                          start_date="2026-04-10")
    shown = {o.key: o for o in ob.obligations(book, as_of=day)}["annual_plan:county:year:2026"]
    assert shown.status == ob.SHOWN
    assert "annual_plan:county:year:2026" not in {o.key for o in ob.open_obligations(book, as_of=day)}
    later = {o.key for o in ob.obligations(book, as_of=dt.date(2027, 2, 1))}
    assert "plan_completion:county:year:2026" in later
    completion = county_notices.draft(book, kind="plan_completion", year=2026, on=dt.date(2027, 1, 31))
    text = " ".join(completion["content"].values())
    assert "验收结果" in text and "绩效目标完成情况" in text


def test_plan_and_completion_notices_carry_the_document_and_acceptance(book: Book, county: nf.County) -> None:
    plan_draft = notices.draft(book, kind="project_plan", level="village", object_type="project",
                               object_id=county.village_project)
    assert "阿县扶组〔2026〕3号" in plan_draft["content"]["审批文号"]
    use = notices.draft(book, kind="fund_use", level="village", object_type="project", object_id=county.village_project)
    assert use["content"]["验收结果"].endswith("尚未验收") and use["content"]["绩效目标完成情况"]
    content = dict(plan_draft["content"]) | {"审批文号": ""}
    with pytest.raises(ValidationError) as err:
        record(book, county, content=content)
    assert err.value.field == "审批文号"


def test_funding_text_does_not_repeat_the_level_the_item_name_already_says(book: Book, clock: FixedClock) -> None:
    """资金来源及规模 put the level before every item: 中央 + 中央预算内投资 printed 中央中央预算内投资 (demo walk)."""
    from app.models.notices.objects import funding_text
    from tests.models.ledger.ledger_fixtures import register

    login_as(book, "clerk")
    yd = register(book, kind="YD", item="YD01", source_level="central", amount=500_000_00, doc_no="发改投资〔2026〕9号")
    zx = register(book, amount=400_000_00, doc_no="新财农〔2026〕77号")
    pid = projects.create_project(book, fields=nf.project_fields("XM2026-090", "搬迁安置区配套", "托万克村"),
                                  funding=[(yd, 300_000_00), (zx, 100_000_00)])
    text = funding_text(book, pid)
    assert "中央中央" not in text
    assert "中央预算内投资（发改投资〔2026〕9号）300,000.00 元" in text
    zx_name = book.conn.execute("SELECT name FROM fund_items WHERE code = 'ZX01'").fetchone()[0]
    assert not zx_name.startswith("中央")  # the level still stands before an item that does not say it
    assert f"中央{zx_name}（新财农〔2026〕77号）100,000.00 元" in text
