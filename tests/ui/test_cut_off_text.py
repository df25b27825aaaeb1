"""#20 item 6: text cut off by a column's width is readable as a tooltip, and only then."""

from __future__ import annotations

from app.ui.kit.table_models import Column, LazyTableModel, ListSource
from app.ui.kit.widgets import DataTable

LONG = "新财农〔2026〕95号 第二批"  # under 20 characters: the model gives no tooltip of its own


def test_cut_off_cell_shows_its_whole_text_and_a_fitting_one_does_not(qtbot) -> None:
    model = LazyTableModel([Column("title", "标题"), Column("at", "签发时间"), Column("note", "备注")],
                           ListSource([{"title": LONG, "at": "2026-11-24 17:03:11", "note": ""}]))
    view = DataTable(model)
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    title, at = model.index(0, 0), model.index(0, 1)
    assert view.cut_off_text(at) == ""  # fitted to its content
    view.setColumnWidth(1, 40)
    assert view.cut_off_text(at) == "2026-11-24 17:03:11"
    view.setColumnWidth(0, 2000)
    assert view.cut_off_text(title) == ""
    view.setColumnWidth(0, 40)
    assert view.cut_off_text(title) == LONG
