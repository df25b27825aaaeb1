"""Helpers for the 专账 tests: register indicators with sensible defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.ledger import indicators
from app.models.store.book import Book

_counter = {"n": 0}


def register(book: Book, **overrides: Any) -> int:
    """A ZX01 central indicator received 2026-03-10 unless told otherwise; 文号 unique per call."""
    _counter["n"] += 1
    args: dict[str, Any] = {
        "doc_no": f"新财农〔2026〕{_counter['n']}号", "year": 2026, "kind": "ZX", "item": "ZX01",
        "source_level": "central", "amount": 1_000_000_00, "received_date": dt.date(2026, 3, 10),
        "upper_doc_date": dt.date(2026, 3, 1), "prefecture_doc_date": dt.date(2026, 3, 6),
        "func_code": "2130505", "section": "扶贫资金管理股", "title": "测试指标",
    }
    args.update(overrides)
    return indicators.register(book, **args)
