"""What a button may do is asked of the model (requests.actions_for, decisions.actions_for), without Qt,
and agrees with the operations: an action it leaves out is one the operation refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.models.payments import requests as payments
from app.models.payments.query import get
from app.models.plan import decisions, projects
from app.models.store.book import Book
from app.models.values.errors import AppError
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx

ROLES = ("clerk", "clerk2", "reviewer", "chief", "auditor")


def _operations(book: Book, pid: int) -> dict[str, Callable[[], Any]]:
    p = get(book, pid)
    fields = {k: p[k] for k in ("project_id", "indicator_id", "payee_id", "amount", "kind", "usage", "func_code",
                                "econ_code", "method", "draft_date")}
    return {
        "edit": lambda: payments.update(book, payment_id=pid, **fields),
        "submit": lambda: payments.submit(book, payment_id=pid),
        "review": lambda: payments.review(book, payment_id=pid),
        "return": lambda: payments.return_payment(book, payment_id=pid, reason="退回试验"),
        "void": lambda: payments.void(book, payment_id=pid, reason="作废试验"),
        "paid": lambda: payments.mark_paid(book, payment_id=pid, voucher_no="PZ-T1", pay_date="2026-05-20"),
    }


def _refused_when_not_offered(book: Book, pid: int) -> None:
    """For every role: each action actions_for leaves out is refused by its operation, and nothing is written."""
    for login in ROLES:
        login_as(book, login)
        offered = payments.actions_for(book, get(book, pid))
        for action, run in _operations(book, pid).items():
            if action in offered:
                continue
            before = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
            with pytest.raises(AppError):
                run()
            assert book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before, (login, action)


def test_draft_submitted_approved_each_offers_what_the_workflow_allows(book: Book) -> None:
    ind, project, payee = fx.setup_funds(book)
    pid = fx.request(book, project, ind, payee, 10_000_00)
    assert payments.actions_for(book, get(book, pid)) == {"draft", "edit", "submit", "void"}
    login_as(book, "clerk2")  # a clerk, but not the drafter: may draft its own, not touch this one
    assert payments.actions_for(book, get(book, pid)) == {"draft", "void"}
    _refused_when_not_offered(book, pid)
    login_as(book, "clerk")
    payments.submit(book, payment_id=pid)
    login_as(book, "reviewer")
    assert payments.actions_for(book, get(book, pid)) == {"review", "return", "void"}
    _refused_when_not_offered(book, pid)
    login_as(book, "reviewer")
    payments.review(book, payment_id=pid)
    assert payments.actions_for(book, get(book, pid)) == {"void", "paid"}
    _refused_when_not_offered(book, pid)


def test_the_drafter_made_reviewer_is_not_offered_review(book: Book) -> None:
    """Four eyes survives a change of role: the clerk who drafted and submitted, now a reviewer, may not review."""
    from app.models.store import users

    ind, project, payee = fx.setup_funds(book)
    pid = fx.request(book, project, ind, payee, 10_000_00)
    payments.submit(book, payment_id=pid)
    clerk = book.conn.execute("SELECT id FROM users WHERE login = 'clerk'").fetchone()[0]
    login_as(book, "chief")
    users.update_user(book, user_id=clerk, role="reviewer")
    login_as(book, "clerk")  # now a reviewer
    assert book.may("review_payment")
    assert "review" not in payments.actions_for(book, get(book, pid))
    _refused_when_not_offered(book, pid)


def test_nothing_selected_and_read_only(book: Book) -> None:
    login_as(book, "clerk")
    assert payments.actions_for(book, None) == {"draft"}
    login_as(book, "auditor")
    assert payments.actions_for(book, None) == frozenset()
    login_as(book, "clerk")
    book.read_only = True
    try:
        assert payments.actions_for(book, None) == frozenset()
    finally:
        book.read_only = False


def test_plan_actions_follow_the_pool_and_the_decision(book: Book) -> None:
    login_as(book, "clerk")
    pooled = projects.create_project(book, fields=fx.project_fields(code="XM-A1"), funding=[])
    row = projects.get(book, pooled)
    assert decisions.actions_for(book, row) == {"new", "import", "edit", "delete", "approve"}
    ind, approved, _payee = fx.setup_funds(book)
    assert decisions.actions_for(book, projects.get(book, approved)) == {"new", "import", "adjust", "advance", "settle"}
    login_as(book, "chief")  # the 事前公示 exception is the chief's (issue #18)
    assert decisions.actions_for(book, projects.get(book, approved)) == {"exception"}
    login_as(book, "clerk")
    login_as(book, "auditor")
    assert decisions.actions_for(book, row) == frozenset()
    login_as(book, "clerk")
    with pytest.raises(AppError):  # not offered for a decided project: refused by the operation too
        projects.delete_project(book, project_id=approved)
