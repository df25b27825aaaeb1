"""表4 质保金 as of the period end (calc 1): a project finished after a signed month held no 质保金 in that month —
counting today's status (as months signed before calc 1 did) changed the signed month's 表4 once the project was
finished later, and verify blamed an honest file."""

from __future__ import annotations

import datetime as dt

from app.models.plan import decisions as plan
from app.models.reports import sources
from app.models.store.book import Book
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


def test_a_project_finished_after_the_period_holds_no_retention_in_it(book: Book) -> None:
    login_as(book, "clerk")
    pid = fx.approved_project(book, [(fx.register(book, amount=300_000_00), 300_000_00)], infrastructure="是",
                              contract_amount=300_000_00, retention_bp="3%")
    today = book.today()
    plan.advance_status(book, project_id=pid, status="completed")  # recorded today
    before = today - dt.timedelta(days=10)
    assert sources.retention_by_item(book, before) != {}  # the count months signed before calc 1 used
    assert sources.retention_by_item(book, before, finished_as_of=True) == {}
    assert sum(sources.retention_by_item(book, today, finished_as_of=True).values()) == 9_000_00
