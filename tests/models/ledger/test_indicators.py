"""指标 register: what is recorded, every refusal of bad input (nothing written), reductions, deadlines."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import pytest

from app.models.ledger import catalogue, deadlines, indicators
from app.models.store import attachments, periods
from app.models.store.book import Book
from app.models.values.errors import ClosedPeriodError, PermissionDenied, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

PDF = b"%PDF-1.4\n% scan of the document\n"


def _counts(book: Book) -> tuple[int, ...]:
    return tuple(book.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("indicators", "ledger_entries", "attachments", "indicator_events", "audit_log"))


def test_register_records_everything_and_posts_income(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕7号", amount=123_456_78, scan=("扫描件.pdf", PDF),
                   extra_events={"prefecture_received": "2026-03-03"})
    got = indicators.get(book, ind)
    assert got["doc_no"] == "新财农〔2026〕7号" and got["kind_name"] == "财政专项扶贫资金"
    assert got["item_name"] == "扶贫发展资金" and got["source_level_name"] == "中央"
    assert (got["upper_doc_date"], got["prefecture_doc_date"], got["received_date"]) == ("2026-03-01", "2026-03-06", "2026-03-10")
    assert got["func_code"] == "2130505" and got["section"] == "扶贫资金管理股"
    scan = attachments.get(book, got["scan_id"])
    assert scan["sha256"] == hashlib.sha256(PDF).hexdigest() and scan["mime"] == "application/pdf"
    income = book.conn.execute("SELECT entry_type, amount, entry_date FROM ledger_entries WHERE indicator_id = ?",
                               (ind,)).fetchall()
    assert [tuple(r) for r in income] == [("income", 123_456_78, "2026-03-10")]
    assert indicators.events(book, ind)["prefecture_received"] == dt.date(2026, 3, 3)
    ops = {r[0] for r in book.conn.execute("SELECT DISTINCT op FROM audit_log WHERE tbl IN ('indicators', 'ledger_entries')")}
    assert ops == {"register_indicator"}


def test_county_own_money_registers_without_upper_documents(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, source_level="county", upper_doc_date=None, prefecture_doc_date=None)
    assert indicators.get(book, ind)["source_level_name"] == "县（市、区）本级"


BAD: list[tuple[str, dict[str, object], str]] = [
    ("unknown kind", {"kind": "XX"}, "资金大类"),
    ("unknown item", {"item": "ZX99"}, "资金项目"),
    ("item of another kind", {"item": "ZH01"}, "资金项目"),
    ("unknown source level", {"source_level": "township"}, "资金级次"),
    ("zero amount", {"amount": 0}, "金额"),
    ("negative amount", {"amount": -100}, "金额"),
    ("float amount", {"amount": 100.5}, "金额"),
    ("future received date", {"received_date": dt.date(2026, 11, 21)}, "收到日期"),
    ("future upper document", {"upper_doc_date": dt.date(2026, 12, 1), "received_date": dt.date(2026, 11, 2),
                               "prefecture_doc_date": None}, "上级文件日期"),
    ("received before the prefecture issued it", {"prefecture_doc_date": dt.date(2026, 3, 12)}, "收到日期"),
    ("prefecture issued before the region", {"upper_doc_date": dt.date(2026, 3, 8)}, "地州文件日期"),
    ("prefecture received before the region issued", {"extra_events": {"prefecture_received": "2026-02-27"}},
     "地州财政局收到自治区资金文件"),
    ("malformed date", {"received_date": "2026-02-30"}, "收到日期"),
    ("year far from the received date", {"year": 2024}, "年度"),
    ("empty 文号", {"doc_no": "  "}, "文号"),
    ("bad functional code", {"func_code": "21305-04"}, "功能科目"),
    ("unknown event", {"extra_events": {"moon_landing": "2026-03-01"}}, "时限事件"),
    ("scan of a forbidden type", {"scan": ("文件.docx", b"PK\x03\x04")}, "扫描件"),
    ("scan that is not what its name says", {"scan": ("扫描件.pdf", b"\x89PNG\r\n\x1a\n....")}, "扫描件"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
        book: Book, case: str, overrides: dict[str, object], field: str) -> None:
    login_as(book, "clerk")
    before = _counts(book)
    with pytest.raises(ValidationError) as err:
        register(book, **overrides)
    assert err.value.field == field, case
    assert _counts(book) == before


def test_inactive_item_is_refused(book: Book) -> None:
    login_as(book, "clerk")
    catalogue.update_item(book, code="ZX06", active=False)
    with pytest.raises(ValidationError, match="已停用") as err:
        register(book, item="ZX06")
    assert err.value.field == "资金项目"


def test_same_doc_no_twice_in_a_year_is_refused_but_allowed_next_year(book: Book) -> None:
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕1号")
    before = _counts(book)
    with pytest.raises(ValidationError, match="已登记过") as err:
        register(book, doc_no=" 新财农〔2026〕1号 ", amount=5_00)
    assert err.value.field == "文号"
    assert _counts(book) == before
    register(book, doc_no="新财农〔2026〕1号", year=2025, received_date=dt.date(2025, 12, 20),
             upper_doc_date=None, prefecture_doc_date=None)


def test_scan_over_the_rule_set_limit_is_refused(book: Book) -> None:
    login_as(book, "clerk")
    limit = book.rules.limits.scan_max_bytes
    before = _counts(book)
    with pytest.raises(ValidationError, match=f"超过上限 {book.rules.limits.scan_max_mb} MB") as err:
        register(book, scan=("大扫描件.pdf", PDF + b"0" * (limit - len(PDF) + 1)))
    assert err.value.field == "扫描件"
    assert _counts(book) == before
    register(book, scan=("正好.pdf", PDF + b"0" * (limit - len(PDF))))  # exactly at the limit is fine


def test_received_in_a_closed_month_is_refused(book: Book) -> None:
    periods.close_month(book, month="2026-03")
    login_as(book, "clerk")
    before = _counts(book)
    with pytest.raises(ClosedPeriodError) as err:
        register(book)
    assert err.value.field == "收到日期"
    assert _counts(book) == before


def test_auditor_cannot_register(book: Book) -> None:
    login_as(book, "auditor")
    with pytest.raises(PermissionDenied):
        register(book)


# -- reductions ------------------------------------------------------------------------------


def test_reduction_is_its_own_record_and_the_original_is_unchanged(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=800_000_00)
    original = book.conn.execute("SELECT * FROM indicators WHERE id = ?", (ind,)).fetchone()
    rid = indicators.reduce(book, indicator_id=ind, kind="recall", doc_no="新财农〔2026〕90号",
                            reduction_date="2026-06-01", amount=120_000_00, reason="项目取消，收回")
    assert tuple(book.conn.execute("SELECT * FROM indicators WHERE id = ?", (ind,)).fetchone()) == tuple(original)
    got = indicators.get(book, ind)
    assert (got["amount"], got["reduced"], got["net_amount"], got["available"]) == (
        800_000_00, 120_000_00, 680_000_00, 680_000_00)
    [red] = indicators.reductions(book, ind)
    assert red["id"] == rid and red["kind_name"] == "收回" and red["indicator_id"] == ind
    entry = book.conn.execute("SELECT entry_type, sign, amount, reduction_id FROM ledger_entries "
                              "WHERE reduction_id = ?", (rid,)).fetchone()
    assert tuple(entry) == ("reduction", -1, 120_000_00, rid)


@pytest.mark.parametrize(("overrides", "field", "error"), [
    ({"amount": 800_000_01}, "金额", ValidationError),
    ({"reduction_date": "2026-03-09"}, "调减日期", ValidationError),
    ({"reduction_date": "2026-11-21"}, "调减日期", ValidationError),
    ({"kind": "cut"}, "类型", ValidationError),
    ({"doc_no": ""}, "调减文号", ValidationError),
    ({"amount": 0}, "金额", ValidationError),
])
def test_bad_reductions_are_refused(book: Book, overrides: dict[str, object], field: str,
                                    error: type[Exception]) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=800_000_00)
    args: dict[str, object] = {"kind": "reduce", "doc_no": "新财农〔2026〕91号", "reduction_date": "2026-06-01",
                               "amount": 1_00} | overrides
    before = _counts(book)
    with pytest.raises(error) as err:
        indicators.reduce(book, indicator_id=ind, **args)  # type: ignore[arg-type]
    assert getattr(err.value, "field", None) == field
    assert _counts(book) == before


def test_reduction_in_a_closed_month_is_refused(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    login_as(book, "chief")
    periods.close_month(book, month="2026-06")
    with pytest.raises(ClosedPeriodError):
        indicators.reduce(book, indicator_id=ind, kind="reduce", doc_no="X〔2026〕1号", reduction_date="2026-06-15",
                          amount=1_00)


# -- deadlines -------------------------------------------------------------------------------


def _stage(book: Book, ind: int, code: str) -> dict[str, object]:
    return next(s for s in deadlines.stages(book, indicators.get(book, ind)) if s["code"] == code)


def test_national_day_2026_at_a_prefecture_bureau(book: Book) -> None:
    """Received 2026-09-29: 5 working days skip National Day and count the 10-10 make-up Saturday."""
    book.conn.execute("UPDATE bureau SET level = 'prefecture'")  # test set-up, not an operation
    login_as(book, "clerk")
    on_time = register(book, received_date="2026-09-29", upper_doc_date="2026-09-20", prefecture_doc_date="2026-10-12")
    late = register(book, received_date="2026-09-29", upper_doc_date="2026-09-20", prefecture_doc_date="2026-10-13")
    pending = register(book, received_date="2026-09-29", upper_doc_date="2026-09-20", prefecture_doc_date=None)
    s = _stage(book, on_time, "zx_prefecture")
    assert s["own"] and s["due"] == dt.date(2026, 10, 12) and s["late"] is False and s["status"] == "按时"
    s = _stage(book, late, "zx_prefecture")
    assert s["due"] == dt.date(2026, 10, 12) and s["late"] is True and s["status"] == "超时 1 个工作日"
    s = _stage(book, pending, "zx_prefecture")  # today is 2026-11-20: not issued and overdue
    assert s["late"] is True and s["status"].startswith("超时未完成")
    assert deadlines.summary(book, indicators.get(book, late))["late"] is True


def test_county_bureau_checks_the_prefecture_stage_from_the_dates_it_records(
        book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(deadlines.COMPLETION, "county_planned", raising=False)  # judged here without a plan
    login_as(book, "clerk")
    ind = register(book, received_date="2026-10-14", upper_doc_date="2026-09-25", prefecture_doc_date="2026-10-13",
                   extra_events={"prefecture_received": "2026-09-29"})
    s = _stage(book, ind, "zx_prefecture")
    assert not s["own"] and s["due"] == dt.date(2026, 10, 12) and s["used"] == 6 and s["late"] is True
    own = _stage(book, ind, "county_plan")  # received + 30 calendar days; without a plan module: not judged
    assert own["own"] and own["due"] == dt.date(2026, 11, 13) and own["late"] is None
    assert own["status"] == "待项目计划核对"
    summary = deadlines.summary(book, indicators.get(book, ind))
    assert summary["due"] == "2026-11-13" and summary["stage_who"] == "地州" and summary["late"]
    assert summary["used_text"] == "6 个工作日（限 5 个工作日）"


def test_region_stage_counts_calendar_days(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, kind="ZH", item="ZH01", received_date="2026-05-11", upper_doc_date="2026-04-28",
                   prefecture_doc_date="2026-05-08", extra_events={"central_doc_received": "2026-03-20"})
    s = _stage(book, ind, "zh_region")
    assert s["due"] == dt.date(2026, 4, 19) and s["used"] == 39 and s["status"] == "超时 9 天"


def test_due_date_in_a_year_without_calendar_is_estimated(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, year=2018, received_date="2018-12-27", upper_doc_date="2018-12-20", prefecture_doc_date=None,
                   extra_events={"prefecture_received": "2018-12-21"})
    s = _stage(book, ind, "zx_prefecture")
    assert s["estimated"] is True and s["status"].endswith("（估算）")
    fresh = register(book, extra_events={"prefecture_received": "2026-03-02"})
    assert _stage(book, fresh, "zx_prefecture")["estimated"] is False


def test_county_plan_completion_comes_from_the_projects_module(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(book, "clerk")
    done = register(book, received_date="2026-03-10")
    open_ = register(book, received_date="2026-03-10")
    planned: dict[int, dt.date | None] = {done: dt.date(2026, 4, 20), open_: None}

    def provider(_book: Book, ind: Mapping[str, Any]) -> dt.date | None:
        return planned[int(ind["id"])]

    monkeypatch.setitem(deadlines.COMPLETION, "county_planned", provider)
    s = _stage(book, done, "county_plan")
    assert s["due"] == dt.date(2026, 4, 9) and s["used"] == 41 and s["late"] is True and s["status"] == "超时 11 天"
    s = _stage(book, open_, "county_plan")
    assert s["late"] is True and s["status"].startswith("超时未完成")


def test_event_recorded_later_cannot_be_changed(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    indicators.record_event(book, indicator_id=ind, event="prefecture_received", day="2026-03-03")
    with pytest.raises(ValidationError, match="不能修改"):
        indicators.record_event(book, indicator_id=ind, event="prefecture_received", day="2026-03-04")
    with pytest.raises(ValidationError) as err:
        indicators.record_event(book, indicator_id=ind, event="central_doc_received", day="2026-03-05")
    assert err.value.field == "上级文件日期"  # the region issued (03-01) before it received the central document
