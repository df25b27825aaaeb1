"""专账 › 更正指标… (#20 item 10) in the window: the dialog opens with what is recorded, a refusal keeps it open
with the error, a correction with a reason is saved and shown in the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from app.models.ledger import corrections, indicators
from app.models.store import periods
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.ledger.correction import CorrectionDialog
from app.ui.ledger.tab import LedgerTab
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register


@pytest.fixture(autouse=True)
def answers() -> Iterator[list[tuple[str, Any]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


def test_correct_an_indicator_in_the_window(qtbot, book: Book, answers: list, monkeypatch) -> None:
    login_as(book, "clerk")
    ind = register(book, doc_no="新财农〔2026〕59号", prefecture_doc_date=None)
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
    assert tab.buttons["correct_indicator"].isEnabled()
    tab.indicators.select_id(ind)
    opened: list[CorrectionDialog] = []

    def run(dialog: CorrectionDialog) -> int:
        opened.append(dialog)
        assert dialog.doc_no.text() == "新财农〔2026〕59号" and dialog.prefecture.value() is None
        dialog.doc_no.setText("新财农〔2026〕95号")
        dialog.prefecture.set_value(dt.date(2026, 3, 6))
        dialog.accept()  # no reason: refused, the dialog stays open with what was typed
        assert dialog.error is not None and dialog.error.field == "更正理由" and dialog.result() == 0
        assert dialog.doc_no.text() == "新财农〔2026〕95号"
        dialog.reason.setPlainText("文号录错，按原件更正")
        dialog.accept()
        return int(dialog.result())

    monkeypatch.setattr(CorrectionDialog, "exec", run)
    tab.correct_indicator()
    assert tab.query.wait()  # 指标登记 is read again off the GUI thread; the corrected indicator stays selected
    assert tab.indicators.current_row()["id"] == ind
    assert opened and any(kind == "error" and "理由" in text for kind, text in answers)
    got = indicators.get(book, ind)
    assert (got["doc_no"], got["prefecture_doc_date"]) == ("新财农〔2026〕95号", "2026-03-06")
    assert corrections.history(book, ind)[0]["reason"] == "文号录错，按原件更正"
    assert any(r["doc_no"] == "新财农〔2026〕95号" for r in tab.indicators.lazy_model().rows)


def test_closed_month_correction_shows_the_clear_message(qtbot, book: Book, answers: list, monkeypatch) -> None:
    login_as(book, "clerk")
    ind = register(book)
    login_as(book, "chief")
    periods.close_month(book, month="2026-03")
    login_as(book, "clerk")
    dialog = CorrectionDialog(book, indicators.get(book, ind))
    qtbot.addWidget(dialog)
    dialog.title.setText("改过的标题")
    dialog.reason.setPlainText("标题录错，按原件更正")
    dialog.accept()
    assert dialog.error is not None and "已签发结账" in dialog.error.message and "重新打开" in dialog.error.message
    assert indicators.get(book, ind)["title"] == "测试指标"
