"""专账 › 年末支出豁免… (issue #18 item 4) in the window: the region's approval to pay part of an indicator after
31 October is recorded through the dialog, listed, and lowers what warning W5 counts as unpaid; a refused one
(no document, an amount of 0, negative or "6万", a date in the future) keeps the dialog open on the named field
and writes nothing; the auditor's button is disabled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.ledger import exemptions
from app.models.store.book import Book
from app.models.warnings import engine
from app.ui.kit import dialogs
from app.ui.ledger.exemption import ExemptionDialog
from app.ui.ledger.tab import LedgerTab
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register

D = dt.date


@pytest.fixture(autouse=True)
def answers() -> Iterator[list[tuple[str, Any]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None
    ExemptionDialog.answer = None


def _w5_unpaid(book: Book) -> int:
    """What W5 reports as unpaid for the ZX kind after the 31 October year-end day (the book's today: 2026-11-20)."""
    found = [f for f in engine.detect(book, codes=["W5"]) if f.key == "W5:unpaid:ZX:2026"]
    assert len(found) == 1 and "仍有" in found[0].detail
    return found[0].amount


def _written(book: Book) -> tuple[int, int]:
    return (book.conn.execute("SELECT count(*) FROM year_end_exemptions").fetchone()[0],
            book.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])


def test_record_an_exemption_from_the_ledger_tab_lowers_w5(qtbot, book: Book, tmp_path: Path) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00, doc_no="新财农〔2026〕77号")
    before = _w5_unpaid(book)
    assert before == 500_000_00
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    button = tab.buttons["record_year_end_exemption"]
    assert button.text() == "年末支出豁免…" and button.isEnabled()
    assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
    tab.indicators.select_id(ind)
    seen: list[ExemptionDialog] = []

    def fill(dialog: ExemptionDialog) -> bool:
        seen.append(dialog)
        assert dialog.indicator.currentData() == ind  # the indicator selected in the tab
        assert dialog.year.value() == 2026
        dialog.doc_no.setText("新财农〔2026〕200号")
        dialog.doc_date.set_value(D(2026, 10, 20))
        dialog.amount.setText("100,000.00")
        dialog.reason.setPlainText("跨年工程，尾款经自治区审定次年支付")
        return True

    ExemptionDialog.answer = staticmethod(fill)
    head = _written(book)[1]
    tab.year_end_exemptions()
    audited = book.conn.execute("SELECT op, tbl FROM audit_log WHERE seq > ?", (head,)).fetchall()
    assert [(r["op"], r["tbl"]) for r in audited] == [("record_year_end_exemption", "year_end_exemptions")]
    assert seen and seen[0].refused == []
    stored = exemptions.year_end_exemptions(book, 2026)
    assert [(e["indicator_id"], e["amount"], e["doc_no"], e["doc_date"], e["reason"]) for e in stored] == [
        (ind, 100_000_00, "新财农〔2026〕200号", "2026-10-20", "跨年工程，尾款经自治区审定次年支付")]
    assert before - _w5_unpaid(book) == 100_000_00  # as the model test expects

    # the list in the dialog shows it; and the dialog as a user sees it
    dialog = ExemptionDialog(book, tab, year=2026, indicator_id=ind)
    qtbot.addWidget(dialog)
    rows = dialog.table.lazy_model().rows
    assert [(r["indicator_doc"], r["amount"]) for r in rows] == [("新财农〔2026〕77号", 100_000_00)]
    assert "1 项" in dialog.list_title.text() and "100,000.00" in dialog.list_title.text()
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(tmp_path / "exemption_dialog.png"))

    # a second one for the same indicator and year is refused by the model, shown, and not written
    def again(dialog: ExemptionDialog) -> bool:
        return not dialog.refused and fill(dialog)  # 登记, then 取消 once refused

    ExemptionDialog.answer = staticmethod(again)
    head = _written(book)
    tab.year_end_exemptions()
    assert "已登记" in seen[-1].refused[0].message and _written(book) == head


@pytest.mark.parametrize(("field", "change", "named", "said"), [
    ("doc_no", lambda d: d.doc_no.setText("   "), "自治区审定文号", "没有文件"),
    ("amount", lambda d: d.amount.setText("0"), "例外金额", ""),
    ("amount", lambda d: d.amount.setText("-100"), "例外金额", ""),
    ("amount", lambda d: d.amount.setText("6万"), "例外金额", "6万"),
    ("amount", lambda d: d.amount.setText("600,000.00"), "例外金额", "超过指标净额"),
    ("doc_date", lambda d: d.doc_date.set_value(D(2026, 11, 21)), "审定日期", ""),
])
def test_a_refused_exemption_keeps_the_dialog_open_on_the_field_and_writes_nothing(
        qtbot, book: Book, answers: list, monkeypatch, field: str, change: Any, named: str, said: str) -> None:
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)
    head = _written(book)
    outcome: dict[str, Any] = {}

    def user(dialog: ExemptionDialog) -> int:
        """The real 登记 button path (accept), not the test hook."""
        dialog.doc_no.setText("新财农〔2026〕200号")
        dialog.doc_date.set_value(D(2026, 10, 20))
        dialog.amount.setText("100,000.00")
        change(dialog)
        typed = (dialog.doc_no.text(), dialog.amount.text())
        dialog.accept()
        outcome["result"] = dialog.result()
        outcome["refused"] = list(dialog.refused)
        outcome["focused"] = dialog.focused is getattr(dialog, field)
        outcome["kept"] = typed == (dialog.doc_no.text(), dialog.amount.text())
        return 0  # the user then closes it

    monkeypatch.setattr(ExemptionDialog, "exec", user)
    dialog = ExemptionDialog(book, None, year=2026, indicator_id=ind)
    qtbot.addWidget(dialog)
    assert dialog.submit(book, dialog.record) is None
    assert outcome["result"] == 0 and outcome["kept"] and outcome["focused"]
    (error,) = outcome["refused"]
    assert error.field == named and said in error.message
    assert any(kind == "error" and named in text for kind, text in answers)
    assert _written(book) == head and exemptions.year_end_exemptions(book, 2026) == []


def test_the_same_input_corrected_is_recorded(qtbot, book: Book, monkeypatch) -> None:
    """The refusal test above can fail: the very form, corrected, is accepted and closes."""
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)

    def user(dialog: ExemptionDialog) -> int:
        dialog.doc_no.setText("新财农〔2026〕200号")
        dialog.doc_date.set_value(D(2026, 10, 20))
        dialog.amount.setText("6万")
        dialog.accept()
        assert dialog.result() == 0 and dialog.refused
        dialog.amount.setText("60,000")
        dialog.accept()
        return int(dialog.result())

    monkeypatch.setattr(ExemptionDialog, "exec", user)
    dialog = ExemptionDialog(book, None, year=2026, indicator_id=ind)
    qtbot.addWidget(dialog)
    got = dialog.submit(book, dialog.record)
    assert got["amount"] == 60_000_00 and got["indicator_id"] == ind
    assert [e["amount"] for e in exemptions.year_end_exemptions(book, 2026)] == [60_000_00]


@pytest.mark.parametrize(("login", "enabled"), [("auditor", False), ("clerk", True)])
def test_the_button_follows_the_permission_table(qtbot, book: Book, login: str, enabled: bool) -> None:
    login_as(book, "clerk")
    register(book)
    login_as(book, login)
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.buttons["record_year_end_exemption"].isEnabled() is enabled
    assert book.may("record_year_end_exemption") is enabled
