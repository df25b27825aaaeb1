"""更正指标 (#20 item 10): with a reason, audited, dates kept in order, money fields refused, closed months
refused with a clear message — and by the triggers for anyone going round the program."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from app.models.ledger import corrections, deadlines, indicators
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import ClosedPeriodError, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register


def _audit_count(book: Book) -> int:
    return int(book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def test_correct_doc_no_and_fill_in_the_prefecture_stage_later(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕59号", prefecture_doc_date=None)
    changed = corrections.correct(book, indicator_id=ind, reason="文号录错，按原件更正",
                                  fields={"doc_no": "新财农〔2026〕95号", "prefecture_doc_date": "2026-03-06",
                                          "title": "测试指标"},  # unchanged: not listed
                                  events={"prefecture_received": "2026-03-03"})
    assert changed == {"文号": ["新财农〔2026〕59号", "新财农〔2026〕95号"], "地州文件日期": [None, "2026-03-06"],
                       "地州财政局收到自治区资金文件": [None, "2026-03-03"]}
    got = indicators.get(book, ind)
    assert (got["doc_no"], got["prefecture_doc_date"]) == ("新财农〔2026〕95号", "2026-03-06")
    assert deadlines.event_dates(book, got)["prefecture_received"] == dt.date(2026, 3, 3)
    [entry] = corrections.history(book, ind)
    assert entry["reason"] == "文号录错，按原件更正" and entry["changes"]["文号"][1] == "新财农〔2026〕95号"
    ops = {r[0] for r in book.conn.execute("SELECT op FROM audit_log WHERE tbl IN ('indicators', "
                                           "'indicator_corrections', 'indicator_events') ORDER BY seq DESC LIMIT 3")}
    assert ops == {"correct_indicator"}


@pytest.mark.parametrize("kwargs, field", [
    ({"reason": "", "fields": {"title": "新"}}, "更正理由"),
    ({"reason": "改", "fields": {"title": "新"}}, "更正理由"),
    ({"reason": "金额录错了", "fields": {"amount": 5}}, "指标金额"),
    ({"reason": "收到日期录错", "fields": {"received_date": "2026-03-11"}}, "收到日期"),
    ({"reason": "没有改动的更正", "fields": {"title": "测试指标"}}, "更正内容"),
    ({"reason": "日期颠倒的更正", "fields": {"prefecture_doc_date": "2026-02-01"}}, "地州文件日期"),
    ({"reason": "未来日期的更正", "fields": {"upper_doc_date": "2099-01-01"}}, "上级文件日期"),
    ({"reason": "未知的时限事件", "events": {"no_such": "2026-03-01"}}, "时限事件"),
])
def test_bad_corrections_are_refused_and_write_nothing(book: Book, kwargs: dict, field: str) -> None:
    login_as(book, "clerk")
    ind = register(book)
    before, head = indicators.get(book, ind), _audit_count(book)
    with pytest.raises(ValidationError) as err:
        corrections.correct(book, indicator_id=ind, **kwargs)
    assert err.value.field == field, err.value.message
    assert indicators.get(book, ind) == before and _audit_count(book) == head


def test_a_doc_no_already_used_that_year_is_refused(book: Book) -> None:
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2026〕1号")
    ind = register(book, doc_no="新财农〔2026〕2号")
    with pytest.raises(ValidationError) as err:
        corrections.correct(book, indicator_id=ind, reason="文号录错", fields={"doc_no": "新财农〔2026〕1号"})
    assert err.value.field == "文号"


def test_closed_month_is_refused_with_a_clear_message_and_by_the_trigger(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, received_date=dt.date(2026, 3, 10))
    login_as(book, "chief")
    periods.close_month(book, month="2026-03")
    login_as(book, "clerk")
    with pytest.raises(ClosedPeriodError) as err:
        corrections.correct(book, indicator_id=ind, reason="文号录错，按原件更正", fields={"doc_no": "新财农〔2026〕7号"})
    assert "已签发结账" in err.value.message and "重新打开" in err.value.message and err.value.field == "收到日期"
    # the insider with sqlite3 and no password: the triggers refuse the same three writes
    raw = sqlite3.connect(book.path)
    for sql in ("UPDATE indicators SET doc_no = 'x' WHERE id = ?",
                "INSERT INTO indicator_events (indicator_id, event, day) VALUES (?, 'prefecture_received', '2026-03-03')",
                "INSERT INTO indicator_corrections (indicator_id, reason, changes, at) VALUES (?, '偷偷改了', '{}', 'x')"):
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute(sql, (ind,))
            raw.commit()
    raw.close()


def test_only_the_clerk_may_correct(book: Book) -> None:
    from app.models.values.errors import PermissionDenied

    login_as(book, "clerk")
    ind = register(book)
    login_as(book, "auditor")
    with pytest.raises(PermissionDenied):
        corrections.correct(book, indicator_id=ind, reason="审计想改标题", fields={"title": "改"})
