"""批量生成公告 (#20 item 12): select several duties in 公告公示, one click writes each one's PDF and workbook;
per duty what was not made and why; a file name taken twice in one batch is not written over."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel

from app.export import notice_docs
from app.models.store.book import Book
from app.ui.kit import dialogs, ops
from app.ui.notices.tab import NoticesTab
from tests.models.notices import notice_fixtures as nf
from tests.ui.test_notices_tab import answers, county  # noqa: F401 - fixtures


def test_generate_several_selected_duties_at_once(qtbot, book: Book, county: nf.County, answers,  # noqa: F811
                                                  monkeypatch, tmp_path: Path) -> None:
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    rows = tab.obligation_model.rows
    assert len(rows) >= 3
    view = tab.obligations
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    view.clearSelection()
    # three village/township duties (the county's own are in tests/export/test_county_notice_docs.py)
    picks = [r for r, row in enumerate(rows) if row["object_type"] != "year"][:3]
    for r in picks:
        view.selectionModel().select(view.model().index(r, 0), flags)
    assert len(view.selected_rows()) == 3
    opened: list[Path] = []
    monkeypatch.setattr(tab, "choose_folder", lambda: tmp_path / "公告")
    monkeypatch.setattr(tab, "open_url", opened.append)
    tab.generate_for_obligation()
    qtbot.waitUntil(ops.idle, timeout=60000)
    report = next(text for kind, text in dialogs.Ask.shown if kind == "info")
    made = len(tab.last_generated) // 2
    assert made >= 1 and f"已生成 {made} 份" in report and opened == [tmp_path / "公告"]
    assert all(p.exists() and p.stat().st_size > 1000 for p in tab.last_generated)
    assert made == 3 and "未生成" not in report


def test_the_same_file_name_twice_in_a_batch_is_refused_not_overwritten(book: Book, county: nf.County,  # noqa: F811
                                                                        tmp_path: Path) -> None:
    from app.models.notices import obligations as ob

    duty = next(d for d in ob.obligations(book, as_of=book.today()) if d.notice_id is None and d.object_type != "year")
    paths, refused = notice_docs.for_selection(book, tmp_path, obligations=[duty, duty], on=book.today())
    assert len(paths) == 2 and len(refused) == 1 and "相同" in refused[0][1]


def test_the_county_duty_selected_in_the_window_is_generated(qtbot, book: Book, county: nf.County,  # noqa: F811
                                                             answers, monkeypatch,  # noqa: F811
                                                             tmp_path: Path) -> None:
    """项目库/年度计划 (object type "year") chosen in the list: 生成公告 writes its PDF and workbook like any other."""
    tab = NoticesTab(book)
    qtbot.addWidget(tab)
    rows = tab.obligation_model.rows
    pick = next(r for r, row in enumerate(rows) if row["object_type"] == "year")
    view = tab.obligations
    view.clearSelection()
    view.selectionModel().select(view.model().index(pick, 0), QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)
    view.setCurrentIndex(view.model().index(pick, 0))
    monkeypatch.setattr(tab, "choose_folder", lambda: tmp_path / "公告")
    monkeypatch.setattr(tab, "open_url", lambda _url: None)
    tab.generate_for_obligation()
    qtbot.waitUntil(ops.idle, timeout=60000)
    made = sorted(p.name for p in (tmp_path / "公告").iterdir())
    assert len(made) == 2 and all("县级" in name and "待登记" in name for name in made), made
