"""kit.ops.Op: what an operation wrote reaches the tabs that show it, and only those."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.models.store import users
from app.models.store.book import Book
from app.models.store.changes import Changes
from app.models.warnings import engine as warn
from app.ui.kit import dialogs, ops
from app.ui.shell.main_window import MainWindow
from tests.conftest import PASSWORD


@pytest.fixture
def answers() -> Iterator[list[tuple[str, str]]]:
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: None
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


@pytest.fixture
def window(qtbot, demo_book: Book, answers) -> Iterator[MainWindow]:
    from app.ui.dashboard.tab import DashboardTab

    DashboardTab.AUTO_RECOMPUTE = False
    w = MainWindow(demo_book)
    qtbot.addWidget(w)
    w.show()
    yield w
    DashboardTab.AUTO_RECOMPUTE = True


def _page(window: MainWindow, title: str) -> Any:
    index = [window.tabs.tabText(i) for i in range(window.tabs.count())].index(title)
    return window.tabs.widget(index)


def test_changes_reach_the_current_tab_now_and_others_when_shown(qtbot, window: MainWindow, demo_book: Book,
                                                                 monkeypatch) -> None:
    dashboard, plan, settings = _page(window, "监控预警"), _page(window, "项目计划"), _page(window, "基础设置")
    window.tabs.setCurrentWidget(plan)
    seen: list[tuple[str, Changes]] = []
    monkeypatch.setattr(type(dashboard), "on_changes", lambda self, c: seen.append(("监控预警", c)))
    monkeypatch.setattr(type(plan), "on_changes", lambda self, c: seen.append(("项目计划", c)))
    heard: list[tuple[Changes, Any]] = []
    ops.hub.changed.connect(lambda c, origin: heard.append((c, origin)))
    # an operation from the settings tab writes a warning section: the dashboard shows it, the plan tab does not care
    # (the plan tab is current: it hears now; the dashboard is not: it hears when shown)
    assert ops.run_op(settings, demo_book, lambda: warn.set_default_section(demo_book, code="W9", section="国库股"))
    assert heard and heard[-1][0].touches("warning_sections") and heard[-1][1] is settings
    assert [t for t, _ in seen] == ["项目计划"]
    window.tabs.setCurrentWidget(dashboard)
    assert [t for t, _ in seen] == ["项目计划", "监控预警"] and seen[-1][1].touches("warning_sections")
    window.tabs.setCurrentWidget(plan)
    assert len(seen) == 2  # delivered once, not again


def test_the_tab_that_ran_it_is_not_told_again(qtbot, window: MainWindow, demo_book: Book, monkeypatch) -> None:
    dashboard = _page(window, "监控预警")
    window.tabs.setCurrentWidget(dashboard)
    told: list[Changes] = []
    monkeypatch.setattr(type(dashboard), "on_changes", lambda self, c: told.append(c))
    ops.run_op(dashboard.overview, demo_book, lambda: warn.set_default_section(demo_book, code="W9", section="预算股"))
    assert told == []  # its own page ran it and refreshed itself


def test_real_tabs_reload_only_for_their_tables(qtbot, window: MainWindow, demo_book: Book, monkeypatch) -> None:
    plan = _page(window, "项目计划")
    window.tabs.setCurrentWidget(plan)
    reloads: list[int] = []
    original = type(plan).apply_filter  # a change elsewhere: the first page again, off the GUI thread
    monkeypatch.setattr(type(plan), "apply_filter", lambda self, *a, **k: (reloads.append(1), original(self, *a, **k)))
    users.add_user(demo_book, login="tmp1", name="临时", role="clerk", password=PASSWORD, section="")  # not via an Op
    ops.run_op(window, demo_book, lambda: warn.set_default_section(demo_book, code="W9", section="国库股"))
    assert reloads == []  # warning_sections is not the plan tab's business
    pid = demo_book.conn.execute("SELECT id FROM projects ORDER BY id LIMIT 1").fetchone()[0]
    ops.run_op(window, demo_book, lambda: _touch_project(demo_book, pid))
    assert reloads == [1]


def _touch_project(book: Book, pid: int) -> None:
    with book.write("edit_project", system=True) as conn:
        conn.execute("UPDATE projects SET note = note || '' WHERE id = ?", (pid,))


def test_an_error_is_shown_in_chinese_and_nothing_is_announced(qtbot, window: MainWindow, demo_book: Book,
                                                               answers) -> None:
    heard: list[Changes] = []
    ops.hub.changed.connect(lambda c, origin: heard.append(c))
    assert ops.run_op(window, demo_book, lambda: warn.set_default_section(demo_book, code="W99", section="x")) is None
    assert answers and answers[-1][0] == "error" and "W99" in answers[-1][1]
    assert heard == []

