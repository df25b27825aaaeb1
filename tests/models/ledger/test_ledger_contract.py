"""The contract the payment flow builds on: indicators.get/available, ledger.post_expenditure."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models.ledger import account as ledger
from app.models.ledger import indicators
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register


def test_register_get_available_and_post_expenditure(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)
    got = indicators.get(book, ind)
    assert (got["amount"], got["net_amount"], got["paid"], got["available"]) == (500_000_00, 500_000_00, 0, 500_000_00)
    login_as(book, "reviewer")  # the payment flow runs as the reviewer
    with book.write("post_ledger_entry"):  # nested inside a caller's transaction
        entry_id = ledger.post_expenditure(book, indicator_id=ind, amount=200_000_00, entry_date=dt.date(2026, 4, 1),
                                           voucher_no="ZF2026-0001", payment_id=7, summary="支付工程款")
    assert ledger.entry(book, entry_id)["payment_id"] == 7
    assert indicators.available(book, ind) == 300_000_00
    assert indicators.get(book, ind)["paid"] == 200_000_00
    with pytest.raises(ValidationError) as err:
        ledger.post_expenditure(book, indicator_id=ind, amount=300_000_01, entry_date=dt.date(2026, 4, 2),
                                voucher_no="ZF2026-0002", payment_id=None, summary="超额")
    assert err.value.field == "金额"
    assert indicators.available(book, ind) == 300_000_00
