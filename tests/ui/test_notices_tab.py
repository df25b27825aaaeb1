"""The 公告公示 tab as a clerk uses it: find the project still lacking a village notice, generate the
notice, record it as posted with a photo, and see the duty disappear."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QImage

from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.notices import dialogs as notice_dialogs
from app.ui.notices.dialogs import FeedbackDialog, HandlingDialog, NoticeDialog
from app.ui.notices.tab import NoticesTab
from tests.conftest import FixedClock, login_as
from tests.models.notices import notice_fixtures as nf


@pytest.fixture
def answers():
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: True
    yield dialogs.Ask.shown
    dialogs.Ask.answer = None


@pytest.fixture
def county(book: Book, clock: FixedClock) -> nf.County:
    c = nf.build(book, clock)
    login_as(book, "clerk")
    return c


def board_photo(path: Path) -> Path:
    image = QImage(80, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("#8bc34a"))
    assert image.save(str(path), "PNG")
    return path


def village_plan_rows(tab: NoticesTab) -> list[dict]:
    return [r for r in tab.obligation_model.rows if r["kind"] == "project_plan" and r["level"] == "village"]


def test_clerk_finds_generates_records_with_photo_and_the_duty_disappears(
        qtbot, qtmodeltester, book: Book, county: nf.County, answers, monkeypatch, tmp_path: Path) -> None:
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.obligation_model)
    qtmodeltester.check(tab.notice_model)
    assert "缺失 9" in tab.counts.text()  # 7 of the projects, and the county's 项目库 and 年度计划 (issue #18)
    tab.kind.setCurrentIndex(tab.kind.findData("project_plan"))
    tab.level.setCurrentIndex(tab.level.findData("village"))
    rows = tab.obligation_model.rows
    assert [r["object_label"] for r in rows] == ["XM2026-001 托万克村养殖圈舍建设"] and rows[0]["status"] == ob.MISSING
    red = tab.obligation_model.data(tab.obligation_model.index(0, 0), Qt.ItemDataRole.BackgroundRole)
    assert red.color().name() == "#ffcdd2"

    opened: list[Path] = []
    monkeypatch.setattr(tab, "choose_folder", lambda: tmp_path / "公告")
    monkeypatch.setattr(tab, "open_url", opened.append)
    tab.obligations.selectRow(0)
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(ops.idle, timeout=20000)
    assert opened == [tmp_path / "公告"]
    assert sorted(p.suffix for p in tab.last_generated) == [".pdf", ".xlsx"]
    assert all(p.exists() and p.stat().st_size > 1000 for p in tab.last_generated)

    photo = board_photo(tmp_path / "村委会公示栏.png")
    monkeypatch.setattr(notice_dialogs, "choose_evidence_files", lambda parent, book: [photo])

    def fill_in(dialog):  # the clerk fills in the real dialog and presses OK
        assert dialog.title.text().startswith("关于托万克村养殖圈舍建设") and dialog.content.rowCount() == 10  # with 审批文号 (issue #18)
        dialog.start.setDate(QDate(2026, 11, 6))
        dialog.open_ended.setChecked(False)
        dialog.end.setDate(QDate(2026, 11, 17))
        dialog.add_files()
        return True

    monkeypatch.setattr(NoticeDialog, "answer", staticmethod(fill_in))
    qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert answers[-1] == ("info", "公告已登记。")
    assert village_plan_rows(tab) == []  # gone from the list of what is still missing
    tab.status.setCurrentIndex(tab.status.findData(""))
    done = village_plan_rows(tab)
    assert [(r["status"], r["days"]) for r in done] == [(ob.SHOWN, 12)]
    assert "缺失 8" in tab.counts.text()
    assert tab.notice_model.total == 1
    tab.records.selectRow(0)
    assert [r["name"] for r in tab.evidence_model.rows] == ["村委会公示栏.png"]

    def feedback(d: FeedbackDialog) -> bool:
        d.day.setDate(QDate(2026, 11, 8))
        d.person.setText("村民甲")
        d.channel.setEditText("来访")
        d.content.setPlainText("询问务工报名")
        return True

    monkeypatch.setattr(FeedbackDialog, "answer", staticmethod(feedback))
    qtbot.mouseClick(tab.feedback_button, Qt.MouseButton.LeftButton)
    assert [r["status"] for r in tab.feedback_model.rows] == ["未处理"]
    tab.feedback.selectRow(0)
    def handling(d: HandlingDialog) -> bool:
        d.day.setDate(QDate(2026, 11, 10))
        d.handling.setPlainText("已告知报名方式")
        d.resolved.setChecked(True)
        return True

    monkeypatch.setattr(HandlingDialog, "answer", staticmethod(handling))
    qtbot.mouseClick(tab.handle_button, Qt.MouseButton.LeftButton)
    assert [r["status"] for r in tab.feedback_model.rows] == ["已处理"]
    qtmodeltester.check(tab.notice_model)


def test_bad_evidence_is_refused_in_the_window_and_nothing_is_written(
        qtbot, book: Book, county: nf.County, answers, monkeypatch, tmp_path: Path) -> None:
    notices.record_notice(book, kind="project_plan", level="township", object_type="project",
                          object_id=county.township_project, title="关于阿克苏乡劳务技能培训项目计划安排的公示",
                          place="board", start_date="2026-04-10", end_date="2026-04-12", publisher="阿克苏乡人民政府")
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    short = [r for r in tab.obligation_model.rows if r["status"] == ob.TOO_SHORT]
    assert len(short) == 1 and "3 天" in short[0]["detail"]
    orange = tab.obligation_model.data(tab.obligation_model.index(tab.obligation_model.rows.index(short[0]), 0),
                                       Qt.ItemDataRole.BackgroundRole)
    assert orange.color().name() == "#ffe0b2"
    fake = tmp_path / "照片.png"
    fake.write_text("not a picture", encoding="utf-8")
    monkeypatch.setattr(tab, "choose_files", lambda: [fake])
    tab.records.selectRow(0)
    tab.add_evidence()
    assert answers[-1][0] == "error" and "公示证据" in answers[-1][1]
    assert book.conn.execute("SELECT count(*) FROM notice_evidence").fetchone()[0] == 0


def test_auditor_sees_the_tab_but_cannot_write(qtbot, book: Book, county: nf.County) -> None:
    login_as(book, "auditor")
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    assert tab.obligation_model.total == 9  # with the county's 项目库 and 年度计划 (issue #18)
    assert not tab.record_button.isEnabled() and tab.generate_button.isEnabled()
    tab.as_of.setDate(QDate(2026, 4, 7))
    # before the plan's approval only the county's 项目库 is due (issue #18)
    assert tab.obligation_model.total == 1 and dt.date(2026, 4, 7).isoformat() in tab.counts.text()


@pytest.mark.parametrize(("login", "may_write"), [("clerk", True), ("chief", False), ("reviewer", False)])
def test_notice_buttons_follow_the_permission_table(qtbot, book: Book, county: nf.County, login: str,
                                                     may_write: bool) -> None:
    """Only the roles permissions.toml allows get the recording buttons; generating a notice is open to all."""
    login_as(book, login)
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    for button in (tab.record_button, tab.edit_button, tab.evidence_button, tab.feedback_button, tab.handle_button):
        assert button.isEnabled() is may_write, button.text()
    assert tab.generate_button.isEnabled()
