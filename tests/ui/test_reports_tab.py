"""月报 tab: the chief previews October, sees the cross-checks pass, signs, and the month is closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.reports import monthly
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.reports.tab import ReportsTab
from app.ui.shell.folders import Folders
from tests.conftest import PASSWORD, login_as
from tests.models.reports.test_monthly import october  # noqa: F401 - fixture


@pytest.fixture
def answers(tmp_path: Path):
    out = tmp_path / "sent"
    out.mkdir()

    def answer(kind: str, text: str):
        return {"folder": str(out), "text": "同意报送", "confirm": True, "secret": PASSWORD}.get(kind)

    dialogs.Ask.shown = []
    dialogs.Ask.answer = answer
    Folders.enabled, Folders.opened = False, []
    yield out
    dialogs.Ask.answer = None
    Folders.enabled = True


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
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    assert tab.checks.count() == 10  # REPORTS.md's seven and issue 18's three
    assert all(tab.checks.item(i).text().startswith("✓") for i in range(10))
    assert tab.table_choice.count() == 10 and tab.grid.rowCount() > 0
    assert tab.note.text().endswith("可以签发。")
    tab.sign()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    assert monthly.status(october, month="2026-10") == "已签发"
    assert any(p.name.endswith("_v1") for p in answers.iterdir())
    row = next(r for r in tab.months_model.rows if r["month"] == "2026-10")
    assert row["status"] == "已签发" and row["version"] == 1
    # #20: previewing the month once signed must not say 可以签发
    _select(tab, "2026-10")
    tab.run_preview()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    assert "可以签发" not in tab.note.text() and "已签发（第 1 版" in tab.note.text(), tab.note.text()
    package = next(p for p in answers.iterdir() if p.name.endswith("_v1"))
    assert Folders.opened == [package]  # the written package is shown in the file manager
    # 重新生成已签发报送包 (off the GUI thread): same hashes as at sign-off, and its folder is opened
    _select(tab, "2026-10")
    tab.export()
    assert tab.busy() and not tab.preview_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    assert dialogs.Ask.shown[-1][0] == "info" and "完全一致" in dialogs.Ask.shown[-1][1]
    again = Folders.opened[-1]
    assert again.parent.name.startswith("重新生成_") and again.name == package.name
    assert (package / "签名.json").is_file() and not (again / "签名.json").exists()  # made by the key: not re-created
    for f in package.iterdir():
        if f.name != "签名.json":
            assert (again / f.name).read_bytes() == f.read_bytes(), f.name


def test_sign_off_without_a_preview_runs_it_first(qtbot, october: Book, answers: Path) -> None:  # noqa: F811
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _select(tab, "2026-10")
    tab.sign()  # previews in the background, then asks for the comment and signs
    qtbot.waitUntil(lambda: monthly.status(october, month="2026-10") == "已签发" and not tab.busy(), timeout=60000)
    assert [k for k, _ in dialogs.Ask.shown] == ["text", "folder", "secret", "info"]  # comment, where, key, done


def test_clerk_cannot_sign(qtbot, october: Book, answers: Path) -> None:  # noqa: F811
    login_as(october, "clerk")
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    assert not tab.sign_button.isEnabled() and not tab.reopen_button.isEnabled()


def test_a_month_opened_from_elsewhere_is_selected(qtbot, october: Book) -> None:  # noqa: F811
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    tab.pages.setCurrentIndex(1)
    assert tab.select("month", "2026-09") and tab.selected_month() == "2026-09" and tab.pages.currentIndex() == 0
    assert not tab.select("month", "1999-01") and not tab.select("payment", 3)


def test_cancelled_sign_off_writes_nothing(qtbot, october: Book, answers: Path, monkeypatch) -> None:  # noqa: F811
    from app.ui.kit.ops import Op

    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _select(tab, "2026-10")
    tab.run_preview()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    start = Op.run_in_background

    def press_cancel_first(op: Op) -> Op:
        op.progress.cancelled.set()  # the user presses 取消 before the first step
        return start(op)

    monkeypatch.setattr(Op, "run_in_background", press_cancel_first)
    audit_rows = october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    tab.sign()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    assert dialogs.Ask.shown[-1] == ("info", "已取消，未写入任何数据。")
    assert monthly.status(october, month="2026-10") != "已签发" and list(answers.iterdir()) == []
    assert october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_rows
    assert tab.sign_button.isEnabled() and Folders.opened == []


def test_signing_november_with_october_open_asks_to_sign_them_together(qtbot, october: Book, answers: Path,  # noqa: F811
                                                                       clock) -> None:
    clock.now = clock.now.replace(month=12, day=3)
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _select(tab, "2026-11")
    tab.run_preview()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60000)
    dialogs.Ask.answer = lambda kind, text: {"confirm": False}.get(kind)
    tab.sign()
    assert dialogs.Ask.shown[-1][0] == "confirm" and "2026-10 尚未签发" in dialogs.Ask.shown[-1][1]
    assert monthly.status(october, month="2026-11") != "已签发"  # declined: nothing signed
    dialogs.Ask.answer = lambda kind, text: {"folder": str(answers), "text": "同意报送", "confirm": True,
                                             "secret": PASSWORD}.get(kind)
    tab.sign()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=120000)
    assert [monthly.status(october, month=m) for m in ("2026-10", "2026-11")] == ["已签发", "已签发"]
    assert sorted(p.name[-10:] for p in answers.iterdir()) == ["2026-10_v1", "2026-11_v1"]


def test_a_wrong_password_signs_nothing(qtbot, october: Book, answers: Path) -> None:  # noqa: F811
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _select(tab, "2026-10")
    dialogs.Ask.answer = lambda kind, text: {"folder": str(answers), "text": "同意报送", "confirm": True,
                                             "secret": "not-the-password"}.get(kind)
    tab.sign()
    qtbot.waitUntil(lambda: not tab.busy() and dialogs.Ask.shown[-1][0] == "error", timeout=60000)
    assert "密码不正确" in dialogs.Ask.shown[-1][1]
    assert monthly.status(october, month="2026-10") != "已签发" and list(answers.iterdir()) == []


def test_reopening_asks_for_the_chief_s_password_and_a_wrong_one_reopens_nothing(qtbot, october: Book,  # noqa: F811
                                                                                   answers: Path) -> None:
    from app.export import signoff

    signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=answers)
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    asked: list[tuple[str, str]] = []

    def answer_with(secret: str):  # noqa: ANN202
        def answer(kind: str, text: str):  # noqa: ANN202
            asked.append((kind, text))
            return {"text": "更正十月县本级资金的收到日期", "secret": secret}.get(kind)
        return answer

    count = october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    _select(tab, "2026-10")
    dialogs.Ask.answer = answer_with("not-the-password")
    tab.reopen()
    assert [k for k, _ in asked][:2] == ["text", "secret"] and "局长本人的密码" in asked[1][1]
    assert dialogs.Ask.shown[-1][0] == "error" and "密码不正确" in dialogs.Ask.shown[-1][1]
    assert monthly.status(october, month="2026-10") == "已签发"
    assert october.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == count
    _select(tab, "2026-10")
    dialogs.Ask.answer = answer_with(PASSWORD)
    tab.reopen()
    assert monthly.status(october, month="2026-10") != "已签发"
    stored = october.conn.execute("SELECT status, reopen_reason, reopen_signature FROM signoffs WHERE month = '2026-10'"
                                  ).fetchone()
    assert stored[:2] == ("superseded", "更正十月县本级资金的收到日期") and '"kind":"reopen"' in stored[2]


def test_signed_month_without_its_package_is_offered_in_the_window(qtbot, october: Book, answers: Path,  # noqa: F811
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 14: the sign-off was killed after its commit; the window offers to write the package."""
    import json

    from app.export import manifest, signoff

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(signoff.manifest, "write_package", killed)
    with pytest.raises(KeyboardInterrupt):
        signoff.sign_off(october, password=PASSWORD, month="2026-10", out_dir=answers)
    monkeypatch.undo()
    assert list(answers.iterdir()) == []
    tab = ReportsTab(october)
    qtbot.addWidget(tab)
    _select(tab, "2026-10")
    tab.sign()
    kinds = [k for k, _ in dialogs.Ask.shown]
    assert kinds == ["folder", "confirm", "info"], dialogs.Ask.shown
    assert "不存在" in dialogs.Ask.shown[1][1] or "没有它的报送包" in dialogs.Ask.shown[1][1]
    folder = Folders.opened[-1]
    recorded = json.loads(october.conn.execute("SELECT files FROM signoffs WHERE month = '2026-10'").fetchone()[0])
    assert {p.name: manifest.sha256(p.read_bytes()) for p in folder.iterdir()} == recorded


def test_the_years_reach_back_to_the_first_money_and_name_their_rule_set(qtbot, book: Book) -> None:
    """A county whose file holds 2020 money picks 2020 in 年度 (not only the last six years or those since the first
    closed month), and the page says which rule set the year uses and why — as the package's cover does."""
    import datetime as dt

    from app.models.store import rule_sets
    from tests.models.ledger.ledger_fixtures import register

    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")
    login_as(book, "clerk")
    register(book, doc_no="新财农〔2019〕3号", year=2019, received_date=dt.date(2019, 3, 10),
             upper_doc_date=dt.date(2019, 3, 1), prefecture_doc_date=dt.date(2019, 3, 6))
    tab = ReportsTab(book)
    qtbot.addWidget(tab)
    years = [tab.year.itemData(i) for i in range(tab.year.count())]
    assert years[0] == book.today().year and years[-1] == 2019 and len(years) == book.today().year - 2019 + 1
    assert "xj-2021" in tab.rule_set.text() and "19号" in tab.rule_set.text()
    tab.year.setCurrentIndex(years.index(2019))
    assert "2019 年适用规则集：xj-2019" in tab.rule_set.text()
