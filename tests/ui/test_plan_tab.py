"""The 项目计划 tab's 推进 and 审定 under the project's own year's stages (issue #17): the buttons ask the model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.models.plan import projects
from app.models.store import rule_sets
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.plan.tab import PlanTab
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx


@pytest.fixture
def yes() -> Iterator[list[tuple[str, str]]]:
    asked: list[tuple[str, str]] = []

    def answer(kind: str, text: str) -> bool:
        asked.append((kind, text))
        return True
    dialogs.Ask.answer = answer
    yield asked
    dialogs.Ask.answer = None


def test_advance_moves_a_2026_project_into_reserve_before_approval(qtbot, book: Book,  # type: ignore[no-untyped-def]
                                                                   yes: list[tuple[str, str]]) -> None:
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    login_as(book, "clerk")
    ind = register(book, amount=500_000_00)
    pid = projects.create_project(book, fields=fx.project_fields(code="XM-UI-9"), funding=[(ind, 100_000_00)])
    tab = PlanTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()  # the first page is read off the GUI thread
    assert "储备（论证通过，纳入项目库）" in [tab.status.itemText(i) for i in range(tab.status.count())]
    tab.view.selectRow(0)
    assert tab.current()["id"] == pid
    assert tab.buttons["advance"].isEnabled() and not tab.buttons["approve"].isEnabled()
    tab.advance()
    assert tab.query.wait()  # the list is read again off the GUI thread
    assert any("“入库（申报）”改为“储备（论证通过，纳入项目库）”" in t for k, t in yes if k == "confirm")
    assert projects.get(book, pid)["status"] == "reserved"
    assert tab.buttons["approve"].isEnabled() and not tab.buttons["advance"].isEnabled()
