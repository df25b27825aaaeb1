"""Issue 17: rule sets chosen by fiscal year inside one file, the second set (xj-2021), check and diff.

Each defence is tested by the attack that defeats its naive version: a check that reads "the" rule set instead
of its year's; the insider who changes a signed year's set with sqlite3; a bad rule file that reports only its
first problem.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from app.models.payments import checks
from app.models.rules import diff as rules_diff
from app.models.rules import load as rules
from app.models.store import periods, rule_sets, rule_years
from app.models.store.book import Book
from app.models.values.errors import AppError, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "resources" / "rules"


# -- the shipped sets -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rid", ["xj-2019", "xj-2021"])
def test_shipped_sets_load_and_validate(rid: str) -> None:
    text = (SHIPPED / f"{rid}.toml").read_text(encoding="utf-8")
    assert rules.check_text(text, name=f"{rid}.toml") == []
    rs = rules.load_named(rid)
    assert rs.id == rid and len(rs.file_hash) == 64 and rs.file_hash == rules.text_hash(text)
    assert rid in rules.shipped_ids()


def test_every_number_in_xj_2021_carries_its_source_or_design_mark() -> None:
    """A value line with a number or ratio either names a source ([19号] [22号] [ext …] 沿用 §…) or is [design] /
    [unverified]; the header lists what could not be verified."""
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")
    assert "未能核实的内容" in text.split("[meta]")[0]
    body = text.split("[meta]")[1].split("# ───────────────────────── 十五")[0]
    marks = ("[19号]", "[22号]", "[ext", "沿用", "[design]", "[unverified", "§", "[nmg2022]", "[2023一号]")
    unmarked = []
    section_marked = False
    for line in body.splitlines():
        if line.startswith("# ─"):
            section_marked = any(m in line for m in marks)
        if line.startswith("#") and any(m in line for m in marks):
            section_marked = True
        code = line.split("#")[0]
        key, _, value = code.partition("=")
        numeric = re.fullmatch(r'\s*"?[0-9][0-9_.]*"?\s*', value) is not None
        if numeric and key.strip() not in ("format", "version") and not any(m in line for m in marks) \
                and not section_marked:
            unmarked.append(line)
    assert unmarked == []


def test_diff_lists_the_documented_differences() -> None:
    found = {d.path: d for d in rules_diff.diff(rules.load_named("xj-2019"), rules.load_named("xj-2021"))}
    assert found["meta.basis"].b == "财农〔2021〕19号"
    assert found["kinds[ZX].name"].b == "财政衔接推进乡村振兴补助资金"
    assert "rural_environment" in found["kinds[ZH].usage"].b.split("去掉")[1]  # no longer on the negative list
    assert found["usage_exceptions[zh_exited_county]"].b == ""  # the 2019 exception by decision is gone
    assert found["ratios.rules[management_fee].ratio.base"].b == "中央财政衔接推进乡村振兴补助资金"
    assert found["ratios.rules[industry_share]"].b == "industry_share 衔接资金用于产业发展的比重"
    assert found["events[plan_approved].name"].a.startswith("自治区扶贫开发领导小组")
    assert "联农带农机制" in found["notices.project_notice_fields"].b
    # every difference docs/规则集.md explains is one `rules diff` reports
    doc = (ROOT / "docs" / "规则集.md").read_text(encoding="utf-8")
    for path in ("kinds[ZH].usage", "usage_exceptions[zh_exited_county]", "ratios.rules[management_fee].ratio.base",
                 "ratios.rules[industry_share]", "labels.leading_group",
                 "kinds[ZX].usage", "events[plan_approved].name", "notices.project_notice_fields",
                 "duties[pool_entry_village]", "notices.kinds[pool_entry]", "labels.fund_family",
                 "labels.notice_intros[project_plan].text", "project_statuses[reserved]",
                 "duties[pool_reserve_village]", "notices.kinds[pool_reserve]"):
        assert path in found and f"`{path}`" in doc


def test_cli_rules_diff_and_check(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", "rules", *args], cwd=ROOT, capture_output=True,
                              text=True, encoding="utf-8", env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})

    out = run("diff", "xj-2019", "xj-2021")
    assert out.returncode == 0, out.stderr
    assert "kinds[ZH].usage" in out.stdout and "usage_exceptions[zh_exited_county]" in out.stdout
    good = run("check", str(SHIPPED / "xj-2021.toml"))
    assert good.returncode == 0 and "✓" in good.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(_broken(), encoding="utf-8")
    out = run("check", str(bad))
    assert out.returncode == 1
    for key in ("meta.colour", "notices.min_board_days", "ratio_rules[1].value", "warnings[3].code"):
        assert key in out.stdout, out.stdout


def _broken() -> str:
    """xj-2021 with four independent mistakes: an unknown key, a wrong type, a ratio over 100 %, a duplicate code."""
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")
    text = text.replace('format = 1\n', 'format = 1\ncolour = "red"\n', 1)
    text = text.replace("min_board_days = 10", 'min_board_days = "十"', 1)
    text = text.replace('value = "0.50"', 'value = "1.20"', 1)
    return text.replace('code = "W3"', 'code = "W2"', 1)


def test_a_bad_file_is_refused_with_every_problem_by_key_path() -> None:
    """The naive loader stops at the first problem: the clerk fixes one and meets the next. All four are named."""
    with pytest.raises(rules.RuleSetErrors) as info:
        rules.loads(_broken(), name="bad.toml")
    keys = {p.key: p.reason for p in info.value.problems}
    assert set(keys) == {"meta.colour", "notices.min_board_days", "ratio_rules[1].value", "warnings[3].code"}
    assert "拼写错误" in keys["meta.colour"] and "正整数" in keys["notices.min_board_days"]
    assert "0 到 1 之间" in keys["ratio_rules[1].value"] and "重复" in keys["warnings[3].code"]
    assert "bad.toml 有 4 处问题" in str(info.value)


# -- the table of years ------------------------------------------------------------------------------------------
def _assign_2021(book: Book) -> None:
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="财农〔2021〕19号：2021 年起按衔接资金管理")


def test_a_new_file_has_one_row_and_years_follow_their_assignment(book: Book) -> None:
    [first] = rule_sets.assignments(book)
    assert (first.from_year, first.rule_set, first.origin) == (2000, "xj-2019", "shipped")
    assert first.file_hash == rules.load_named("xj-2019").file_hash
    _assign_2021(book)
    assert book.rules_for(2020).id == "xj-2019" and book.rules_for(2021).id == "xj-2021"
    assert book.rules_for(2026).id == "xj-2021" and book.rules.id == "xj-2021"  # the current fiscal year (2026)
    assert book.rules_on(dt.date(2020, 12, 31)).id == "xj-2019"
    years = {y["year"]: y for y in rule_sets.years(book)}
    assert years[2021]["reason"].startswith("财农〔2021〕19号") and years[2026]["rule_set"] == "xj-2021"
    op = book.conn.execute("SELECT op FROM audit_log WHERE tbl = 'rule_sets' ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert "2021 年起按衔接资金管理" in op


def test_assign_needs_the_chief_a_reason_and_a_real_set(book: Book) -> None:
    login_as(book, "clerk")
    with pytest.raises(AppError, match="无权"):
        rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="按新办法管理")
    login_as(book, "chief")
    with pytest.raises(ValidationError, match="理由"):
        rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="  ")
    with pytest.raises(ValidationError, match="找不到文件"):
        rule_sets.assign(book, from_year=2021, rule_set="xj-1999", reason="按新办法管理")
    with pytest.raises(ValidationError, match="年度"):
        rule_sets.assign(book, from_year=1999, rule_set="xj-2021", reason="按新办法管理")
    _assign_2021(book)
    with pytest.raises(ValidationError, match="无需更改"):  # the same year assigned the same set twice
        rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="再来一次")
    assert len(rule_sets.assignments(book)) == 2


def test_a_bureau_set_from_a_folder_is_stored_in_the_file(book: Book, tmp_path: Path) -> None:
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")
    own = tmp_path / "本县" / "xj-2021-county.toml"
    own.parent.mkdir()
    own.write_text(text.replace('id = "xj-2021"', 'id = "xj-2021-county"').replace(
        'value = "0.30"                                # [unverified] 见文件头第 4 项',
        'value = "0.15"                                # 本县：2021 年按 15%'), encoding="utf-8")
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, reason="本县 2021 年劳务报酬按 15%", path=own)
    own.unlink()  # the file carries it: another PC without the folder reads the same rules
    book.forget_rule_years()
    assert book.rules_for(2021).id == "xj-2021-county"
    assert book.rules_for(2021).ratios.labour_share.value == Fraction(15, 100)
    assert book.rules_for(2020).ratios.labour_share.value == Fraction(30, 100)
    with pytest.raises(ValidationError, match="同名但内容不同"):  # a changed copy must not pose as the shipped set
        fake = tmp_path / "xj-2021.toml"
        fake.write_text(text.replace('value = "0.50"', 'value = "0.60"', 1), encoding="utf-8")
        rule_sets.assign(book, from_year=2022, reason="冒充附带规则集", path=fake)
    bad = tmp_path / "bad.toml"
    bad.write_text(_broken(), encoding="utf-8")
    with pytest.raises(ValidationError, match="4 处问题"):
        rule_sets.assign(book, from_year=2022, reason="载入本县坏文件", path=bad)
    with pytest.raises(sqlite3.IntegrityError, match="只能追加"):
        book.conn.execute("UPDATE rule_set_files SET text = 'x'")


def test_a_year_with_a_signed_month_keeps_its_set(book: Book) -> None:
    login_as(book, "chief")
    periods.close_month(book, month="2021-01")
    with pytest.raises(ValidationError, match="2021 年已有签发"):
        rule_sets.assign(book, from_year=2021, rule_set="xj-2021", reason="按衔接资金管理")
    with pytest.raises(ValidationError, match="2021 年已有签发"):  # from 2020 on would change 2021 too
        rule_sets.assign(book, from_year=2020, rule_set="xj-2021", reason="按衔接资金管理")
    rule_sets.assign(book, from_year=2022, rule_set="xj-2021", reason="2022 年起按衔接资金管理")  # 2022 is open
    assert book.rules_for(2021).id == "xj-2019" and book.rules_for(2022).id == "xj-2021"
    with pytest.raises(ValidationError, match="2021 年已有签发"):  # the first row covers 2021 as well
        rule_sets.assign(book, from_year=2000, rule_set="xj-2021", reason="全部改为衔接")
    rule_sets.unassign(book, from_year=2022, reason="2022 年仍按 2019 规则")  # 2022 falls back: nothing signed there
    assert book.rules_for(2022).id == "xj-2019"


def test_the_insider_with_sqlite3_is_stopped_by_the_triggers(book: Book) -> None:
    """The naive guard is the Python check only: a direct UPDATE of a signed year's row would pass."""
    _assign_2021(book)
    periods.close_month(book, month="2020-06")
    periods.close_month(book, month="2021-03")
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    h = rules.load_named("xj-2019")
    for sql in ("UPDATE rule_sets SET rule_set = 'xj-2019', version = '2019.1', file_hash = ? WHERE from_year = ?",
                "DELETE FROM rule_sets WHERE from_year = ? AND ? IS NOT NULL",
                "UPDATE rule_sets SET from_year = 2022 WHERE from_year = 2021 AND ? IS NOT NULL AND ? IS NOT NULL"):
        args: tuple[Any, ...] = (h.file_hash, 2021) if sql.startswith("UPDATE rule_sets SET rule_set") else (2021, 1)
        if "from_year = 2022" in sql:
            args = (1, 1)
        with pytest.raises(sqlite3.IntegrityError, match="不能更改其规则集"):
            raw.execute(sql, args)
    with pytest.raises(sqlite3.IntegrityError, match="不能更改其规则集"):
        raw.execute("INSERT INTO rule_sets (from_year, rule_set, version, file_hash, reason, set_at) "
                    "VALUES (2021, 'x', '1', ?, '改动', '2026-01-01')", ("0" * 64,))
    with pytest.raises(sqlite3.IntegrityError, match="不能更改其规则集"):  # the first row covers 2020
        raw.execute("UPDATE rule_sets SET rule_set = 'xj-2021' WHERE from_year = 2000")
    raw.execute("INSERT INTO rule_sets (from_year, rule_set, version, file_hash, reason, set_at) "
                "VALUES (2023, 'xj-2021', '1', ?, '改动', '2026-01-01')", ("0" * 64,))  # an open year: allowed
    raw.close()


# -- every check reads its year's set ---------------------------------------------------------------------------
class _Spy:
    """A rule set that records that it was read."""

    def __init__(self, real: Any, log: list[str]) -> None:
        self._real, self._log = real, log

    def __getattr__(self, name: str) -> Any:
        self._log.append(self._real.id)
        return getattr(self._real, name)


@pytest.fixture
def two_years(book: Book) -> dict[str, int]:
    """A 2020 ZH indicator and a 2021 one, on one project; 2020 under xj-2019, 2021 on under xj-2021."""
    _assign_2021(book)
    login_as(book, "clerk")
    old = register(book, doc_no="新财农〔2020〕8号", year=2020, kind="ZH", item="ZH01",
                   received_date=dt.date(2020, 3, 10), upper_doc_date=dt.date(2020, 3, 1),
                   prefecture_doc_date=dt.date(2020, 3, 6))
    new = register(book, doc_no="新财农〔2021〕8号", year=2021, kind="ZH", item="ZH01",
                   received_date=dt.date(2021, 3, 10), upper_doc_date=dt.date(2021, 3, 1),
                   prefecture_doc_date=dt.date(2021, 3, 6))
    pid = fx.approved_project(book, [(old, 300_000_00), (new, 300_000_00)], year=2021, category="infrastructure",
                              infrastructure=True, contract_amount=600_000_00, work_relief=True)
    payee = fx.enterprise(book)
    login_as(book, "clerk")
    return {"old": old, "new": new, "project": pid, "payee": payee}


def _draft(t: dict[str, int], indicator: str, **kw: Any) -> checks.Draft:
    args: dict[str, Any] = {"project_id": t["project"], "indicator_id": t[indicator], "payee_id": t["payee"],
                            "amount": 10_000_00, "kind": "progress", "usage": "rural_environment", "method": "direct"}
    args.update(kw)
    return checks.Draft(**args)


def test_a_payment_refused_under_2019_is_allowed_under_2021(book: Book, two_years: dict[str, int]) -> None:
    """农村人居环境整治 from 整合资金: on the 2019 negative list (unless the leading group decides an exception),
    not on the 衔接资金 list. Same project, same day, same payee: only the money's year differs."""
    old = checks.check_usage(checks.context(book, _draft(two_years, "old")))
    new = checks.check_usage(checks.context(book, _draft(two_years, "new")))
    assert old.outcome == "fail" and "负面清单" in old.message and "涉农整合扶贫资金" in old.message
    assert new.outcome == "pass" and "统筹整合使用的财政涉农资金" in new.message


def test_management_fee_base_names_the_years_fund(book: Book, two_years: dict[str, int]) -> None:
    """The 1 % cap is taken of 中央财政专项扶贫资金 in 2019 and of 中央衔接资金 in 2021: each year's own base."""
    assert checks.scope_of(book.rules_for(2020), book.rules_for(2020).ratios.management_fee.base) == ({"central"}, {"ZX"})
    assert checks.scope_of(book.rules_for(2021), book.rules_for(2021).ratios.management_fee.base) == ({"central"}, {"ZX"})
    assert book.rules_for(2020).ratios.management_fee.base != book.rules_for(2021).ratios.management_fee.base


@pytest.mark.parametrize("check", checks.CHECKS, ids=lambda c: c.__name__)
def test_every_payment_check_reads_the_set_of_the_indicators_year(book: Book, two_years: dict[str, int],
                                                                  check: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The naive check reads `book.rules` (this year's set, xj-2021) for 2020 money. Here `book.rules` raises,
    and every set a check reads is recorded: only 2020's (xj-2019) may appear."""
    asked: list[int] = []
    real_for = Book.rules_for

    def rules_for(self: Book, year: int) -> Any:
        asked.append(year)
        return real_for(self, year)

    read: list[str] = []
    kinds = {"check_prepayment": "prepayment", "check_infra_prepayment": "prepayment", "check_retention": "retention",
             "check_management_fee": "management_fee", "check_labour": "progress", "check_real_name": "household_subsidy"}
    draft = _draft(two_years, "old", kind=kinds.get(check.__name__, "progress"), usage="industry")
    c = checks.context(book, draft)
    c.rules = _Spy(c.rules, read)  # type: ignore[assignment]
    monkeypatch.setattr(Book, "rules", property(lambda self: pytest.fail("读取了当前年度的规则集")))
    monkeypatch.setattr(Book, "rules_for", rules_for)
    outcome = check(c)
    assert outcome.outcome in ("pass", "fail", "warn")
    # 2020, or the file-wide parts (rule_years.shared: cut-off day, warning statuses — the same in every set of a
    # file); the plan check asks the project's own year (2021 here) for its stages, which are no longer file-wide
    own = {2021} if check.__name__ == "check_plan" else set()
    assert set(asked) <= {2020, rule_years.FIRST_YEAR} | own and set(read) <= {"xj-2019"}
    # these need no rule set here: the plan, the balances, a valid payee's ID (read only when it fails), the list
    if check.__name__ not in ("check_plan", "check_indicator", "check_project_line", "check_real_name",
                              "check_payee_id"):
        assert read or asked, f"{check.__name__} 没有读取规则集"


def test_the_context_itself_takes_the_indicators_year(book: Book, two_years: dict[str, int]) -> None:
    assert checks.context(book, _draft(two_years, "old")).rules.id == "xj-2019"
    assert checks.context(book, _draft(two_years, "new")).rules.id == "xj-2021"


def test_warnings_of_2020_run_under_2019_rules(book: Book, two_years: dict[str, int],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every detector for a day in 2020, with `book.rules` (2026: xj-2021) forbidden."""
    from app.models.warnings import engine

    monkeypatch.setattr(Book, "rules", property(lambda self: pytest.fail("读取了当前年度的规则集")))
    found = engine.detect(book, dt.date(2020, 12, 31))
    assert all(f.code.startswith("W") for f in found)


def test_notice_duties_use_the_year_they_arose(book: Book) -> None:
    from app.models.notices import obligations

    login_as(book, "chief")
    rule_sets.assign(book, from_year=2021, path=_longer_board(book.path.parent), reason="本县 2021 年起公示 15 天")
    f = obligations._status_of(book, dt.date(2021, 6, 30), 2020)
    g = obligations._status_of(book, dt.date(2021, 6, 30), 2021)
    notice = {"start_date": "2021-06-18", "end_date": None, "place": "board"}
    assert f(notice) == (obligations.SHOWN, 13)  # 2020's duty: 10 days suffice
    assert g(notice) == (obligations.POSTING, 13)  # 2021's duty: 15 days required


def _longer_board(folder: Path) -> Path:
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")
    path = folder / "xj-2021-board15.toml"
    path.write_text(text.replace('id = "xj-2021"', 'id = "xj-2021-board15"').replace(
        "min_board_days = 10", "min_board_days = 15", 1), encoding="utf-8")
    return path


def test_a_months_period_and_due_date_come_from_its_year(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.reports import monthly

    _assign_2021(book)
    monkeypatch.setattr(Book, "rules", property(lambda self: pytest.fail("读取了当前年度的规则集")))
    assert periods.bounds(book, "2020-02") == (dt.date(2020, 2, 1), dt.date(2020, 2, 29))
    assert monthly.status(book, month="2020-05", today=dt.date(2026, 11, 20)) == "逾期"


# -- a signed month states its rule set; verify catches the insider who drops the triggers ---------------------
def test_signed_month_states_its_set_and_verify_catches_a_changed_one(tmp_path: Path) -> None:
    import json

    from app.models.integrity import anchors
    from app.models.reports import snapshot
    from app.models.store.book import open_book
    from tests.reliability import crash_child as cc

    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    try:
        [result] = cc.pay_once_and_sign(book, ["2026-03"], tmp_path / "sent")
        data = book.conn.execute("SELECT data FROM signoffs WHERE month = '2026-03'").fetchone()[0]
        stated = snapshot.loads(data).rule_set
        assert stated == f"{rules.load_named('xj-2019').label} {rules.load_named('xj-2019').file_hash}"
        manifest = json.loads(next(result.folder.glob("*manifest*.json")).read_text(encoding="utf-8"))
        assert manifest["rule_set"] == {"id": "xj-2019", "version": rules.load_named("xj-2019").meta.version,
                                        "sha256": rules.load_named("xj-2019").file_hash}
        assert list(anchors.check_drift(book)) == []
        with pytest.raises(ValidationError, match="2026 年已有签发"):  # the honest way is refused
            rule_sets.assign(book, from_year=2026, rule_set="xj-2021", reason="2026 年改按衔接资金")
    finally:
        book.close(backup=False)
    raw = sqlite3.connect(path)  # the insider: drops the guard, changes the signed year's set
    for name in ("rule_sets_locked_i", "rule_sets_locked_u", "rule_sets_locked_d"):
        raw.execute(f"DROP TRIGGER {name}")
    h = rules.load_named("xj-2021").file_hash
    raw.execute("INSERT INTO rule_sets (from_year, rule_set, version, file_hash, reason, set_at) "
                "VALUES (2026, 'xj-2021', '2021.1', ?, '改动', '2026-06-04')", (h,))
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        found = [str(f) for f in anchors.check_drift(ro)]
        old, new = rules.load_named("xj-2019").label, rules.load_named("xj-2021").label
        assert any("规则集与签发时不同" in f and old in f and new in f for f in found), found
        from app.models.store import db

        present = {r[0] for r in ro.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        missing = db.expected_triggers(ro.conn) - present  # verify lists the dropped guard too
        assert {"rule_sets_locked_i", "rule_sets_locked_u", "rule_sets_locked_d"} <= missing
    finally:
        ro.close()


def test_the_two_regime_demo_county(tmp_path: Path) -> None:
    """The second demo county: 2020 money refused, 2021 money paid, for the same use of the same kind of fund."""
    from app.demo.regimes import build_regimes
    from app.models.payments import query
    from app.models.store.book import open_book

    made = build_regimes(tmp_path / "two.db")
    with open_book(tmp_path / "two.db", read_only=True) as book:
        refused, paid = query.get(book, made["refused"]), query.get(book, made["allowed"])
        assert refused["status"] == "returned" and paid["status"] == "paid"
        [usage] = [o for o in checks.stored(book, made["refused"]) if o["rule"] == "usage"]
        assert usage["outcome"] == "fail" and "负面清单" in usage["message"]
        assert book.rules_for(2020).id == "xj-2019" and book.rules_for(2021).id == "xj-2021"
        assert rule_sets.assignments(book)[1].reason.startswith("财农〔2021〕19号")


def test_labels_come_from_the_years_set(book: Book, two_years: dict[str, int]) -> None:
    """"扶贫开发领导小组" was written in code; now each year's set names its own body."""
    login_as(book, "clerk")
    pid = fx.project_fields(year=2021)
    from app.models.plan import projects as plan_projects

    unapproved = plan_projects.create_project(book, fields=pid, funding=[(two_years["new"], 1_000_00)])
    c21 = checks.context(book, _draft(two_years, "new", project_id=unapproved))
    c20 = checks.context(book, _draft(two_years, "old", project_id=unapproved))
    assert "未经县乡村振兴领导小组审定" in checks.check_plan(c21).message
    assert "未经县扶贫开发领导小组审定" in checks.check_plan(c20).message


def test_every_usage_that_differs_between_the_sets_passes_under_one_and_fails_under_the_other(book: Book) -> None:
    """For each fund kind and each usage the two sets judge differently, the same payment drawn on 2020 money
    and on 2021 money gets the two answers — the diff, exercised through the payment check itself."""
    r19, r21 = rules.load_named("xj-2019"), rules.load_named("xj-2021")
    _assign_2021(book)
    login_as(book, "clerk")
    cases = 0
    for kind, item in (("ZX", "ZX01"), ("ZH", "ZH02"), ("YD", "YD01"), ("QT", "QT01")):
        differing = [u.code for u in r19.usage_categories
                     if r19.usage_allowed(kind, u.code) != r21.usage_allowed(kind, u.code)]
        if not differing:
            continue
        lines = []
        for year in (2020, 2021):
            lines.append(register(book, doc_no=f"新财{kind}〔{year}〕1号", year=year, kind=kind, item=item,
                                  received_date=dt.date(year, 3, 10), upper_doc_date=dt.date(year, 3, 1),
                                  prefecture_doc_date=dt.date(year, 3, 6)))
        pid = fx.approved_project(book, [(i, 100_000_00) for i in lines], year=2021)
        payee = fx.enterprise(book)
        login_as(book, "clerk")
        for usage in differing:
            got = [checks.check_usage(checks.context(book, checks.Draft(pid, i, payee, 1_000_00, "progress", usage,
                                                                        "direct"))).outcome for i in lines]
            want = ["pass" if r.usage_allowed(kind, usage) else "fail" for r in (r19, r21)]
            assert got == want and got[0] != got[1], (kind, usage, got)
            cases += 1
    assert cases >= 10  # ZX's six dropped prohibitions, ZH's two exceptions, YD's 后续帮扶, QT …


def test_project_notice_fields_follow_the_year_of_posting(book: Book, two_years: dict[str, int]) -> None:
    """带贫减贫机制 (2019) became 联农带农机制 (xj-2021): a notice drafted in 2021 carries the new field, filled from
    the same project data, and one drafted in 2020 the old one — and recording either is accepted."""
    from app.models.notices import objects as objs
    from app.models.notices import records

    extra = objs.project_extra_fields(book, "project_plan", two_years["project"])  # 审批文号 (issue #18)
    f20 = objs.project_fields(book, two_years["project"], 2020)
    f21 = objs.project_fields(book, two_years["project"], 2021)
    assert "带贫减贫机制" in f20 and "联农带农机制" not in f20
    assert "联农带农机制" in f21 and "带贫减贫机制" not in f21 and f21["联农带农机制"] == f20["带贫减贫机制"]
    assert records._content(book, "project_plan", {k: v or "有" for k, v in (f21 | extra).items()}, 2021)
    with pytest.raises(ValidationError, match="联农带农机制"):
        records._content(book, "project_plan", {k: v or "有" for k, v in (f20 | extra).items()}, 2021)


def test_an_older_file_is_upgraded_keeps_its_warnings_and_gets_one_row(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Schema 12 on a file from before it: one rule_sets row from the bound set (audited, sealed); warnings,
    problems and their children kept with the same ids (the CHECK that fixed codes to W1–W9 is gone)."""
    from app.export import evidence
    from app.models.store import db, users
    from app.models.store.book import open_book
    from tests.conftest import PASSWORD, file_made_before

    def old_warnings(c: sqlite3.Connection) -> None:  # before 10, as test_hostile_world: the upgrade fills pw_tag too
        c.execute("INSERT INTO warnings (id, key, code, object_type, object_id, since, first_detected, status) "
                  "VALUES (7, 'W6:1', 'W6', 'indicator', '1', '2026-02-01', '2026-03-01', 'new')")
        c.execute("INSERT INTO warning_events (warning_id, day, event, status, amount, at) "
                  "VALUES (7, '2026-03-01', 'detected', 'new', 5, '2026-03-01 09:00:00')")
        c.execute("INSERT INTO warning_sections (code, section) VALUES ('W6', '国库股')")
        c.execute("INSERT INTO problems (id, found_on, category, origin, description, warning_id, created_at) "
                  "VALUES (3, '2026-03-02', 'W6', 'warning', '资金闲置', 7, '2026-03-02 09:00:00')")
        c.execute("INSERT INTO problem_updates (problem_id, day, status, at) VALUES (3, '2026-03-03', '整改中', "
                  "'2026-03-03 09:00:00')")
        with pytest.raises(sqlite3.IntegrityError):
            c.execute("INSERT INTO warning_sections (code, section) VALUES ('W10', '国库股')")

    path = file_made_before(10, tmp_path, monkeypatch, old_warnings)
    with open_book(path) as up:
        assert db.user_version(up.conn) == db.latest_version()
        [row] = rule_sets.assignments(up)
        assert (row.from_year, row.rule_set, row.file_hash) == (2000, "xj-2019", rules.load_named("xj-2019").file_hash)
        assert up.conn.execute("SELECT code FROM warnings WHERE id = 7").fetchone()[0] == "W6"
        assert up.conn.execute("SELECT warning_id FROM problems WHERE id = 3").fetchone()[0] == 7
        assert up.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        users.login(up, "chief", PASSWORD)
        assert evidence.verify(up).ok, evidence.verify(up).text()
        with up.write("set_warning_sections") as c:  # a code outside W1–W9 (another feature's, a set's own)
            c.execute("INSERT INTO warning_sections (code, section) VALUES ('W10', '国库股')")
            with pytest.raises(sqlite3.IntegrityError):
                c.execute("INSERT INTO warning_sections (code, section) VALUES ('W 1; --', '国库股')")
        assert evidence.verify(up).ok, evidence.verify(up).text()


def test_warning_definitions_name_their_detector() -> None:
    """Warning codes and detectors are the rule set's: a new code reuses a detector; one that names a detector the
    program does not have is refused by key path; the program's detectors are exactly the names rules know."""
    from app.models.rules.sections import DETECTORS
    from app.models.warnings import registry

    assert set(registry.BY_NAME) == set(DETECTORS)
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")
    extra = text.replace('[[warning_statuses]]', '[[warnings]]\ncode = "W20"\nname = "结转资金闲置"\n'
                         'detector = "idle_money"\n\n[[warning_statuses]]', 1)
    assert rules.loads(extra, name="x.toml").warning("W20").detector == "idle_money"
    bad = extra.replace('detector = "idle_money"', 'detector = "crystal_ball"')
    with pytest.raises(rules.RuleSetError) as info:
        rules.loads(bad, name="x.toml")
    assert info.value.key == "warnings[17].detector" and "crystal_ball" in info.value.reason
    with pytest.raises(rules.RuleSetError) as info:
        rules.loads(extra.replace('detector = "idle_money"\n', ''), name="x.toml")
    assert info.value.key == "warnings[17].detector" and "须写明" in info.value.reason


def test_a_new_warning_code_is_detected_and_stored(book: Book, tmp_path: Path) -> None:
    """A bureau set adds W20 (idle money under another name): detection finds it, and it is stored (the W1–W9
    CHECK of schema 5 would have refused the row)."""
    from app.models.warnings import engine

    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8").replace('id = "xj-2021"', 'id = "xj-2021-w10"')
    text = text.replace('[[warning_statuses]]', '[[warnings]]\ncode = "W20"\nname = "结转资金闲置（本县）"\n'
                        'detector = "idle_money"\n\n[[warning_statuses]]', 1)
    own = tmp_path / "w10.toml"
    own.write_text(text, encoding="utf-8")
    login_as(book, "chief")
    rule_sets.assign(book, from_year=2026, reason="本县增加结转资金闲置预警", path=own)
    login_as(book, "clerk")
    register(book, received_date=dt.date(2026, 3, 10))
    found = engine.detect(book, dt.date(2026, 11, 20))
    w20 = [f for f in found if f.code == "W20"]
    assert w20 and all(f.key.startswith("W20:") for f in w20)
    assert {f.key[4:] for f in w20} == {f.key[3:] for f in found if f.code == "W6"}
    login_as(book, "chief")
    engine.recompute(book, as_of=dt.date(2026, 11, 20))
    assert book.conn.execute("SELECT count(*) FROM warnings WHERE code = 'W20'").fetchone()[0] == len(w20)



def test_ratio_rules_are_a_list_and_the_old_tables_still_load() -> None:
    """xj-2019 keeps the five `[ratios.<code>]` tables (translated into the list); xj-2021 writes `[[ratio_rules]]`
    and adds one the payment checks do not compute (the industry share), with year-level selectors."""
    r19, r21 = rules.load_named("xj-2019"), rules.load_named("xj-2021")
    assert [r.code for r in r19.ratios.rules] == list(rules.rs.PAYMENT_RATIOS)
    assert r19.ratios.prepayment == r21.ratios.prepayment and r19.ratios.rules[0].numerator == "payment.prepaid"
    [industry] = r21.ratios.yearly
    assert (industry.code, industry.ratio.bound, str(industry.ratio.value)) == ("industry_share", "min", "11/20")
    text = (SHIPPED / "xj-2021.toml").read_text(encoding="utf-8")
    for old, new, key, reason in (
        ('category=industry]', 'category=fishing]', "ratio_rules[6].numerator", "不是本规则集中的代码"),
        ('received[kind=ZX, source=central]', 'budget[kind=ZX]', "ratio_rules[6].denominator", "应为 received"),
        ('value = "0.55"', 'value = "1.55"', "ratio_rules[6].value", "0 到 1 之间"),
        ('code = "retention"\nname = "质保金比例"', 'code = "retention_x"\nname = "质保金比例"',
         "ratio_rules[5].numerator", "缺失"),
    ):
        with pytest.raises(rules.RuleSetError) as info:
            rules.loads(text.replace(old, new, 1), name="x.toml")
        assert (info.value.key, reason in info.value.reason) == (key, True), info.value
    both = text.replace("[[ratio_rules]]", "[ratios.prepayment]\nname = \"x\"\n\n[[ratio_rules]]", 1)
    with pytest.raises(rules.RuleSetError, match="不能同时出现"):
        rules.loads(both, name="x.toml")


def test_the_industry_share_is_checked_for_the_year_under_its_set(book: Book) -> None:
    """2021 (xj-2021): 衔接资金 planned to industry below 55 % gives W10; the same plan in 2020 (xj-2019, no such
    rule) gives nothing; raising the industry part to the limit clears it."""
    from app.models.plan import decisions
    from app.models.plan import projects as plan_projects
    from app.models.warnings import engine

    def approved(ind: int, fen: int, year: int, category: str) -> None:
        pid = plan_projects.create_project(book, fields=fx.project_fields(year=year, category=category),
                                           funding=[(ind, fen)])
        decisions.advance_to_approval(book, project_ids=[pid])
        decisions.approve_plan(book, project_ids=[pid], decision_no=f"示扶组发〔{year}〕{pid}号",
                               decision_date=dt.date(year, 4, 1))

    _assign_2021(book)
    login_as(book, "clerk")
    for year in (2020, 2021):
        ind = register(book, doc_no=f"新财农〔{year}〕77号", year=year, kind="ZX", item="ZX01", amount=1_000_000_00,
                       received_date=dt.date(year, 3, 10), upper_doc_date=dt.date(year, 3, 1),
                       prefecture_doc_date=dt.date(year, 3, 6))
        approved(ind, 549_999_99, year, "industry")
        approved(ind, 400_000_00, year, "infrastructure")
    w21 = [f for f in engine.detect(book, dt.date(2021, 12, 31)) if f.code == "W10"]
    assert [f.key for f in w21] == ["W10:industry_share:2021"] and "549,999.99 / 1,000,000.00" in w21[0].detail
    assert not [f for f in engine.detect(book, dt.date(2020, 12, 31)) if f.code == "W10"]
    ind21 = book.conn.execute("SELECT id FROM indicators WHERE year = 2021 AND kind = 'ZX'").fetchone()[0]
    approved(ind21, 1, 2021, "industry")  # exactly 55 %: met
    assert not [f for f in engine.detect(book, dt.date(2021, 12, 31)) if f.code == "W10"]


def test_every_year_with_money_is_listed_with_its_set(book: Book, two_years: dict[str, int]) -> None:
    """A file with 2020 money and no closed month yet: 2020 is a year the chief sees (with xj-2019 and why) and picks a
    month report from — not only the years from the first closed month or the current year."""
    from app.models.store import periods

    years = {y["year"]: y for y in rule_sets.years(book)}
    assert years[2020]["rule_set"] == "xj-2019" and years[2021]["rule_set"] == "xj-2021"
    assert years[2020]["reason"]
    assert periods.years_in_use(book)[-1] == 2020 and periods.years_in_use(book)[0] == book.today().year


def test_a_warning_and_table7_read_in_the_words_of_their_year(book: Book, two_years: dict[str, int]) -> None:
    """A 2020 refusal is 违规支付和使用财政扶贫资金 (xj-2019), not the name of the set that replaced it; 表7 of a 2020
    month lists the 2020 set's types under their 2020 names."""
    from app.models.warnings import base as warn_base
    from app.models.warnings import query as warnings_query

    row = warn_base.decorate(book, {"code": "W3", "since": "2020-06-01", "first_detected": "2026-11-02",
                                    "status": "new", "cleared_on": None})
    assert row["code_name"] == "违规支付和使用财政扶贫资金"
    row = warn_base.decorate(book, {"code": "W3", "since": "2021-06-01", "status": "new", "cleared_on": None})
    assert row["code_name"] == "违规支付和使用衔接资金"
    names = {r["code"]: r["name"] for r in warnings_query.warning_summary(book, month="2020-06")}
    assert names["W3"] == "违规支付和使用财政扶贫资金"
    names = {r["code"]: r["name"] for r in warnings_query.warning_summary(book, month="2021-06")}
    assert names["W3"] == "违规支付和使用衔接资金"


@pytest.mark.parametrize("kept_in_file", [True, False])
def test_an_upgrade_that_changes_a_shipped_rule_file_keeps_a_signed_year_honest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_in_file: bool) -> None:
    """A month signed under xj-2019 as shipped; the next program version ships a changed xj-2019.toml. The honest file
    must still verify (the naive reading — the program's own copy of the set — names a different file hash than the
    signed month and `verify` fails an untouched file), and the signed year keeps the rules it was signed under: from
    the text the file keeps, or, for a file from before texts were kept, from the program's archive of earlier
    shipped versions."""
    import shutil
    import sqlite3

    from app import resources
    from app.models.integrity import anchors
    from app.models.store.book import open_book
    from tests.reliability import crash_child as cc

    path = cc.prepare(tmp_path / "bureau.db")
    signed_hash = rules.load_named("xj-2019").file_hash
    book = open_book(path)
    try:
        cc.pay_once_and_sign(book, ["2026-03"], tmp_path / "sent")
    finally:
        book.close(backup=False)
    if not kept_in_file:  # a file made before the texts were kept: only the program's archive has the old text
        raw = sqlite3.connect(path)
        raw.execute("DROP TRIGGER rule_set_files_no_delete")
        raw.execute("DELETE FROM rule_set_files WHERE file_hash = ?", (signed_hash,))
        raw.commit()
        raw.close()
    upgraded = tmp_path / "resources"  # the next version: xj-2019.toml changed (here: one more comment line)
    shutil.copytree(resources.resources_dir(), upgraded)
    (upgraded / "rules" / "xj-2019.toml").write_text(
        (upgraded / "rules" / "xj-2019.toml").read_text(encoding="utf-8") + "\n# 下一版本的修订说明\n", encoding="utf-8")
    monkeypatch.setattr(resources, "resources_dir", lambda: upgraded)
    rules.load_named.cache_clear()
    try:
        assert rules.load_named("xj-2019").file_hash != signed_hash
        ro = open_book(path, read_only=True)
        try:
            assert ro.rules_for(2026).file_hash == signed_hash
            assert [str(f) for f in anchors.check_drift(ro)] == []
            shown = {y["year"]: y for y in rule_sets.years(ro)}[2026]  # the chief is told a new version exists
            assert shown["newer"] == rules.load_named("xj-2019").meta.version and shown["locked"]
        finally:
            ro.close()
    finally:
        monkeypatch.undo()
        rules.load_named.cache_clear()


def test_every_archived_shipped_version_still_loads_under_its_name_and_hash() -> None:
    """resources/rules/archive/ holds earlier shipped texts by hash: each must load with today's loader (a year
    assigned under it reads it) and be named <id>-<first 16 of its SHA-256>."""
    from app.models.store import rule_years
    from app.resources import resources_dir

    found = sorted((resources_dir() / "rules" / "archive").glob("*.toml"))
    assert found
    for path in found:
        text = path.read_bytes().decode("utf-8")
        digest = rules.text_hash(text)
        loaded = rules.loads(text, name=path.name)
        assert path.name == f"{loaded.id}-{digest[:16]}.toml"
        assert rule_years.archived_text(digest) == text


def test_the_shipped_rule_texts_are_archived_too() -> None:
    """Each shipped rule file's current text is in archive/ as well: whoever changes a shipped file next finds its
    archive test red until the new text is archived, so no released text is ever lost to the files assigned it."""
    from app.models.store import rule_years

    for rule_set in rules.shipped_ids():
        text = rule_years.shipped_text(rule_set)
        assert rule_years.archived_text(rules.text_hash(text)) == text, (
            f"resources/rules/archive/{rule_set}-{rules.text_hash(text)[:16]}.toml 缺失：改动附带规则文件后须把新文本存档")
