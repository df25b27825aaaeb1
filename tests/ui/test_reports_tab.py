"""月报 tab: the chief previews October, sees the cross-checks pass, signs, and the month is closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models import monthly
from app.models.book import Book
from app.ui import dialogs
from app.ui.reports_tab import ReportsTab
from tests.conftest import login_as
from tests.models.test_monthly import october  # noqa: F401 - fixture


@pytest.fixture
def answers(tmp_path: Path):
    out = tmp_path / "sent"
    out.mkdir()

    def answer(kind: str, text: str):
        return {"folder": str(out), "text": "同意报送", "confirm": True}.get(kind)

    dialogs.Ask.shown = []
    dialogs.Ask.answer = answer
    yield out
    dialogs.Ask.answer = None


def _select(tab: ReportsTab, month: str) -> None:
    for row in range(tab.months_model.rowCount()):
        if tab.months_model.rows[row]["month"] == month:
            tab.months.selectRow(row)
            return
    raise AssertionError(month)


def test_chief_previews_and_signs_october(qtbot, qtmodeltester, october: Book, answers: Path) -> None:  # noqa: F811
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.months_model)
    _select(tab, "2026-10")
    tab.run_preview()
    assert tab.checks.count() == 7
    assert all(tab.checks.item(i).text().startswith("✓") for i in range(7))
    assert tab.table_choice.count() == 10 and tab.grid.rowCount() > 0
    tab.sign()
    assert monthly.status(october, month="2026-10") == "已签发"
    assert any(p.name.endswith("_v1") for p in answers.iterdir())
    row = next(r for r in tab.months_model.rows if r["month"] == "2026-10")
    assert row["status"] == "已签发" and row["version"] == 1


def test_clerk_cannot_sign(qtbot, october: Book, answers: Path) -> None:  # noqa: F811
    login_as(october, "clerk")
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    assert not tab.sign_button.isEnabled() and not tab.reopen_button.isEnabled()
