"""A year without the State Council's notice: the shipped calendar ends with 2026, and on 2026-12-06 deadlines
already run into January 2027. The program must say so (not silently count 元旦 as a working day) and take the
year's list from a file. The 2027 file below is made up for the test: the program ships no guessed year."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.models.store import holidays
from app.models.store.book import Book
from app.models.values import workdays
from app.models.values.errors import AppError
from tests.conftest import PASSWORD, login_as

TODAY = dt.date(2026, 12, 6)
TEST_2027 = """
[[years]]
year = 2027
notice = "测试用：某年节假日安排（非官方）"
holidays = [
    { date = 2027-01-01, name = "元旦" },
    { date = 2027-01-04, name = "测试假日" },
]
workdays = [
    { date = 2027-01-09, name = "调休上班" },
]
"""


def test_a_missing_next_year_is_told_and_its_days_are_estimates(book: Book) -> None:
    assert 2027 not in {int(str(y["year"])) for y in holidays.years(book)}  # the shipped seed stops at 2026
    assert holidays.missing_years(book, dt.date(2026, 10, 31)) == []  # before November: not yet expected
    assert holidays.missing_years(book, TODAY) == [2027]
    text = holidays.calendar_notice(book, TODAY)
    assert "2027 年的节假日安排尚未录入" in text and "估算" in text and "从文件导入" in text
    due, estimated = workdays.add_working_days(dt.date(2026, 12, 28), 5, holidays.calendar(book))
    assert estimated and due == dt.date(2027, 1, 4)  # 元旦 counted as a working day: hence the flag


def test_the_years_file_is_imported_and_the_notice_goes(book: Book, tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(TEST_2027, encoding="utf-8")
    login_as(book, "clerk")
    changed = holidays.import_file(book, path)
    assert changed == {2027: ["2027-01-01 增加为放假日", "2027-01-04 增加为放假日", "2027-01-09 增加为调休上班日"]}
    assert holidays.calendar_notice(book, TODAY) == ""
    due, estimated = workdays.add_working_days(dt.date(2026, 12, 28), 5, holidays.calendar(book))
    assert not estimated and due == dt.date(2027, 1, 6)
    op = book.conn.execute("SELECT DISTINCT op FROM audit_log WHERE tbl = 'calendar_days' AND row_key LIKE '2027%'"
                           ).fetchall()
    assert [r[0] for r in op] == ["edit_calendar"]
    assert holidays.import_file(book, path) == {2027: []}  # again: nothing to change


def test_a_wrong_file_is_refused_by_name_and_nothing_is_written(book: Book, tmp_path: Path) -> None:
    login_as(book, "clerk")
    before = book.conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0]
    bad = tmp_path / "坏文件.toml"
    bad.write_text(TEST_2027.replace("2027-01-09", "2027-01-08"), encoding="utf-8")  # a Friday as 调休上班
    with pytest.raises(AppError, match="坏文件.toml.*2027-01-08"):
        holidays.import_file(book, bad)
    two = tmp_path / "两年.toml"  # the second year wrong: the first is not kept either
    two.write_text(TEST_2027 + TEST_2027.replace("2027", "2028").replace("2028-01-09", "2028-01-10"),
                   encoding="utf-8")
    with pytest.raises(AppError):
        holidays.import_file(book, two)
    assert book.conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0] == before


def test_cli_lists_the_years_and_names_the_missing_one(book: Book, tmp_path: Path) -> None:
    path = book.path
    book.conn.execute("SELECT 1")  # the fixture's clock is 2026-11-20: 2027 is due
    book.close(backup=False)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), "FUNDLEDGER_PASSWORD": PASSWORD,
           "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, "-m", "app", "calendar", str(path)], capture_output=True, env=env,
                         timeout=120)
    out = run.stdout.decode("utf-8")
    assert run.returncode == 0, run.stderr.decode("utf-8")
    assert "2026  放假" in out and "2027 年的节假日安排尚未录入" in out
    year = tmp_path / "2027.toml"
    year.write_text(TEST_2027, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "app", "calendar", str(path), "--import", str(year), "--user",
                          "clerk"], capture_output=True, env=env, timeout=120)
    out = run.stdout.decode("utf-8")
    assert run.returncode == 0, run.stderr.decode("utf-8")
    assert "2027 年：已导入，改动 3 天" in out and "尚未录入" not in out
