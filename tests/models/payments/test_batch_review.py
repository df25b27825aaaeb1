"""审核意见 kept with the request (#20 item 13) and batch 审核/退回 (item 12): each request through the single
operation, its own transaction; refusals reported per request with the operation's reason."""

from __future__ import annotations

import pytest

from app.export import approval_form
from app.models.payments import query as payment_query
from app.models.payments import requests as payments
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


def _submitted(book: Book, pid: int, ind: int, payee: int, amount: int, **kw: object) -> int:
    login_as(book, "clerk")
    pay = fx.request(book, pid, ind, payee, amount, **kw)
    payments.submit(book, payment_id=pay, reason="设备须整批订购" if kw.get("kind") == "prepayment" else "")
    return pay


def test_review_opinion_is_kept_shown_in_the_events_and_printed_on_the_form(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=300_000_00)
    pay = _submitted(book, pid, ind, payee, 10_000_00)
    login_as(book, "reviewer")
    payments.review(book, payment_id=pay, opinion="资料齐全，<b>同意</b>支付")
    got = payment_query.get(book, pay)
    assert got["status"] == "approved" and got["review_opinion"] == "资料齐全，<b>同意</b>支付"
    assert payment_query.events(book, pay)[-1]["note"] == "资料齐全，<b>同意</b>支付"
    html = approval_form.form_html(book, pay)
    assert "审核意见" in html and "资料齐全，&lt;b&gt;同意&lt;/b&gt;支付" in html and "<b>同意</b>" not in html


def test_review_opinion_is_checked_before_anything_is_written(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=300_000_00)
    pay = _submitted(book, pid, ind, payee, 10_000_00)
    login_as(book, "reviewer")
    with pytest.raises(ValidationError) as err:
        payments.review(book, payment_id=pay, opinion="意" * 501)
    assert err.value.field == "审核意见"
    assert payment_query.get(book, pay)["status"] == "submitted"


def test_the_opinion_column_is_audited_like_the_rest(book: Book) -> None:
    """The column is part of the audited row (triggers are rebuilt after migration 0016), so an insider who
    later rewrites the stored opinion with sqlite3 is contradicted by the audit chain."""
    ind, pid, payee = fx.setup_funds(book, amount=300_000_00)
    pay = _submitted(book, pid, ind, payee, 10_000_00)
    login_as(book, "reviewer")
    payments.review(book, payment_id=pay, opinion="同意")
    after = book.conn.execute("SELECT after FROM audit_log WHERE tbl = 'payments' AND row_key = ? "
                              "ORDER BY seq DESC LIMIT 1", (str(pay),)).fetchone()[0]
    assert '"review_opinion"' in after and "同意" in after


def test_batch_review_does_each_and_reports_each_refusal(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    good = [_submitted(book, pid, ind, payee, 10_000_00) for _ in range(2)]
    warned = _submitted(book, pid, ind, payee, 250_000_01, kind="prepayment")  # 原则上 prepayment limit
    login_as(book, "clerk")
    draft = fx.request(book, pid, ind, payee, 1_000_00)  # never submitted: wrong status
    login_as(book, "reviewer")
    outcomes = payments.review_each(book, [good[0], warned, draft, good[1], good[0]], opinion="同意")
    by_id = {o.payment_id: o for o in outcomes}
    assert len(outcomes) == 4  # a request listed twice is done once
    assert by_id[good[0]].done and by_id[good[1]].done
    assert not by_id[warned].done and "审核意见" in by_id[warned].message and "原则上" in by_id[warned].message
    assert not by_id[draft].done and "草稿" in by_id[draft].message
    for pay in good:
        got = payment_query.get(book, pay)
        assert (got["status"], got["review_opinion"]) == ("approved", "同意")
    assert payment_query.get(book, warned)["status"] == "submitted"  # untouched: confirmed on its own later
    assert payment_query.get(book, draft)["status"] == "draft"


def test_batch_review_by_the_drafter_refuses_each_by_four_eyes(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=300_000_00)
    pays = [_submitted(book, pid, ind, payee, 10_000_00) for _ in range(2)]
    login_as(book, "clerk")
    outcomes = payments.review_each(book, pays)
    assert [o.done for o in outcomes] == [False, False]
    assert all(payment_query.get(book, p)["status"] == "submitted" for p in pays)


def test_batch_return_needs_one_reason_checked_first(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=300_000_00)
    pays = [_submitted(book, pid, ind, payee, 10_000_00) for _ in range(3)]
    login_as(book, "reviewer")
    payments.review(book, payment_id=pays[2])
    with pytest.raises(ValidationError) as err:
        payments.return_each(book, pays, reason="  ")
    assert err.value.field == "退回理由"
    assert all(payment_query.get(book, p)["status"] == "submitted" for p in pays[:2])
    outcomes = payments.return_each(book, pays, reason="缺验收单")
    assert [o.done for o in outcomes] == [True, True, False]
    assert "已审核" in outcomes[2].message
    assert [payment_query.get(book, p)["return_reason"] for p in pays[:2]] == ["缺验收单", "缺验收单"]
