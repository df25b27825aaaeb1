"""The prefecture's window on the demo prefecture: its tabs, receiving from a folder (the altered package refused
with its reason), the matrix, review with opinion and return, the drill-down, and the chief's signed package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.prefecture import receive, status
from app.models.store import users
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.prefecture.tab import ConsolidateTab, CountiesTab, ReceiveTab, ReviewTab, StatusTab
from app.ui.shell.main_window import MainWindow, tab_factories
from tests.models.prefecture.conftest import PASSWORD, demo_dir, pref, work  # noqa: F401 - fixtures


@pytest.fixture
def answers() -> Iterator[dict[str, Any]]:
    given: dict[str, Any] = {}
    dialogs.Ask.shown.clear()
    dialogs.Ask.answer = lambda kind, text: given.get(kind)
    yield given
    dialogs.Ask.answer = None


def test_window_tabs_for_a_prefecture_file(pref: Book, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    window = MainWindow(pref)
    qtbot.addWidget(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == \
        ["县区", "接收报送", "报送情况", "审核", "汇总上报", "审计", "基础设置"]
    assert len(tab_factories()) == 9  # a county file keeps its own tabs
    counties = window.tabs.widget(0)
    assert isinstance(counties, CountiesTab) and counties.table.rowCount() == 5


def test_receive_a_folder_of_packages(pref: Book, work: Path, answers: dict[str, Any], qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811, E501
    tab = ReceiveTab(pref)
    qtbot.addWidget(tab)
    answers["folder"] = str(work / "报送包")
    tab.pick_parent()
    lines = [tab.results.item(i).text() for i in range(tab.results.count())]
    assert len(lines) == 6
    refused = [t for t in lines if t.startswith("✗")]
    assert len(refused) == 1 and "戊县" in refused[0] and ".xlsx" in refused[0] and "SHA-256" in refused[0]
    assert sum("未作改动" in t for t in lines) == 5


def test_status_review_and_drill_down(pref: Book, tmp_path: Path, answers: dict[str, Any], qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811, E501
    st = StatusTab(pref)
    qtbot.addWidget(st)
    months = [st.table.horizontalHeaderItem(i).text() for i in range(st.table.columnCount())]
    col = months.index("2026-09")
    texts = [st.table.item(r, col).text() for r in range(st.table.rowCount())]
    assert texts[1].startswith(status.LATE) and texts[4] == status.NOT_SENT
    users.login(pref, "shenhe", PASSWORD)
    rv = ReviewTab(pref)
    qtbot.addWidget(rv)
    row = next(i for i, p in enumerate(rv.rows) if p["county"] == "乙县")
    rv.packages.setCurrentRow(row)
    rv.opinion.setPlainText("逾期报送，数据相符，同意汇总")
    rv.save_opinion()
    assert receive.package(pref, int(rv.rows[row]["id"]))["opinion"] == "逾期报送，数据相符，同意汇总"
    answers["text"] = "请补充说明逾期原因后重新报送"
    rv.packages.setCurrentRow(next(i for i, p in enumerate(rv.rows) if p["county"] == "乙县"))
    rv.return_package()
    assert receive.package(pref, int(rv.rows[row]["id"]))["returned"] == 1
    answers["folder"] = str(tmp_path)
    rv.write_receipt()
    assert list(tmp_path.glob("回执_乙县_2026-09_v1.json"))
    ct = ConsolidateTab(pref)
    qtbot.addWidget(ct)
    assert ct.month.currentText() == "2026-09"
    ct.table_id.setCurrentText("表3")
    assert "乙县" in ct.included.text() and "已退回" in ct.included.text()
    data = next(i for i, ln in enumerate(ct.lines) if ln.source is not None)
    ct.drill(data)
    kind, text = dialogs.Ask.shown[-1]
    assert kind == "info" and "来自第 1 版报送包" in text and ct.lines[data].source.county in text  # type: ignore[union-attr]


def test_the_chief_signs_the_prefecture_package(pref: Book, tmp_path: Path, answers: dict[str, Any], qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811, E501
    users.login(pref, "juzhang", PASSWORD)
    ct = ConsolidateTab(pref)
    qtbot.addWidget(ct)
    assert ct.sign.isEnabled()
    answers["secret"] = PASSWORD
    answers["folder"] = str(tmp_path)
    ct.forward()
    made = list(tmp_path.glob("示例地区财政局_2026-09_v2"))
    assert made and (made[0] / "签名.json").exists() and (made[0] / "下级报送包清单.json").exists()


def test_the_county_imports_a_receipt_in_the_window(pref: Book, work: Path, tmp_path: Path,  # noqa: F811
                                                    answers: dict[str, Any], qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.models.prefecture import receipts
    from app.models.store.book import open_book
    from app.ui.prefecture.receipts import ReceiptsDialog

    pid = next(int(p["id"]) for p in receive.packages(pref) if p["county"] == "丁县")
    path = receipts.write_receipt(pref, pid, tmp_path)
    county = open_book(work / "县" / "丁县.db")
    try:
        users.login(county, "jingban", PASSWORD)
        dialog = ReceiptsDialog(county)
        qtbot.addWidget(dialog)
        answers["open"] = str(path)
        dialog.import_one()
        assert dialog.list.count() == 1
        text = dialog.list.item(0).text()
        # 丁县's package was edited and re-signed outside its program: what the prefecture holds is not what 丁县's
        # file signed, and the receipt says so
        assert "退回" in text and "期末结余" in text and "不一致！" in text
    finally:
        county.close(backup=False)


def test_the_chief_signs_a_county_key_in_the_counties_tab(pref: Book, answers: dict[str, Any], qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811, E501
    """县区: the clerk sees the key button disabled (and the new-county form's fingerprint field); the chief types
    the fingerprint and the chief's password, and the list shows the registration as signed. A wrong password
    writes nothing."""
    from app.models.prefecture import counties

    users.login(pref, "jingban", PASSWORD)
    tab = CountiesTab(pref)
    qtbot.addWidget(tab)
    assert tab.add.isEnabled() and not tab.key.isEnabled()
    header = [tab.table.horizontalHeaderItem(i).text() for i in range(tab.table.columnCount())]
    signed_col = header.index("局长签名登记")
    assert {tab.table.item(r, signed_col).text() for r in range(tab.table.rowCount())} == {"已签名"}
    users.login(pref, "juzhang", PASSWORD)
    tab = CountiesTab(pref)
    qtbot.addWidget(tab)
    assert tab.key.isEnabled()
    row = next(i for i, c in enumerate(tab.rows) if c.name == "乙县")
    tab.table.selectRow(row)
    answers["text"], answers["secret"] = "ab" * 16, "not-the-password"
    tab.set_key()
    assert counties.get(pref, tab.rows[row].id).fingerprint != "ab" * 16  # refused: nothing written
    answers["secret"] = PASSWORD
    tab.set_key()
    now = counties.get(pref, tab.rows[row].id)
    assert now.fingerprint == "ab" * 16 and counties.signed_state(pref, now) == "已签名"
    assert tab.table.item(row, signed_col).text() == "已签名"


def test_resetting_a_chiefs_password_in_the_window_asks_for_the_acting_chiefs_own(pref: Book, answers: dict[str, Any], qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811, E501
    """基础设置 › 用户: resetting a chief's password makes a new chief key; the window asks the acting chief's own
    password and signs the new key with it (an endorsement). Without it nothing is reset."""
    from app.ui.settings.tab import UsersPage

    users.login(pref, "juzhang", PASSWORD)
    users.add_user(pref, login="fuju", name="副局长", role="chief", password="Deputy-pw-12", endorse_password=PASSWORD)
    page = UsersPage(pref)
    qtbot.addWidget(page)
    count = lambda: pref.conn.execute("SELECT count(*) FROM key_endorsements").fetchone()[0]  # noqa: E731
    before = count()
    assert page.table.select_id("fuju", key="login")
    answers["password"], answers["secret"] = ("", "Deputy-new-34", "Deputy-new-34"), None
    page.reset()
    qtbot.waitUntil(lambda: any(k == "error" for k, _t in dialogs.Ask.shown), timeout=5000)
    assert count() == before  # refused: nothing reset, nothing endorsed
    answers["secret"] = PASSWORD
    qtbot.waitUntil(lambda: page.table.select_id("fuju", key="login"), timeout=5000)  # the list was read again
    page.reset()
    qtbot.waitUntil(lambda: count() == before + 1, timeout=5000)
    users.login(pref, "fuju", "Deputy-new-34")  # the new password works, and its key is endorsed
