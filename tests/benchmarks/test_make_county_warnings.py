"""make_county.py --warnings-history (issue #22): the generated county's warnings are computed on the history's own
dates, as in a county that has used the program all along, so a month's 表7 holds that month's warnings and not all
of history's. Same rows otherwise as a county generated without them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from benchmarks import make_county

DATA = ("indicators", "projects", "project_funding", "payments", "ledger_entries", "real_name_lists",
        "real_name_lines", "notices", "treasury_payments", "perf_goals", "periods", "payees")


@pytest.fixture(scope="module")
def counties(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("counties")
    monthly, off = folder / "monthly.db", folder / "off.db"
    make_county.build(monthly, scale=0.005)  # the default: monthly
    make_county.build(off, scale=0.005, warnings="off")
    return monthly, off


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_warnings_are_first_detected_across_the_history(counties: tuple[Path, Path]) -> None:
    monthly, _off = counties
    runs = _rows(monthly, "SELECT as_of FROM warning_runs ORDER BY id")
    # one run on the last day of every month, January 2022 through October 2026, in order
    assert len(runs) == 4 * 12 + 10 and runs[0] == ("2022-01-31",) and runs[-1] == ("2026-10-31",)
    found = dict(_rows(monthly, "SELECT substr(first_detected, 1, 7), count(*) FROM warnings GROUP BY 1"))
    total = sum(found.values())
    assert total > 100
    years = {month[:4] for month in found}
    assert years == {"2022", "2023", "2024", "2025", "2026"}, found
    assert len(found) >= 12, found  # first found in many months, not in one
    assert max(found.values()) < total // 2, found  # no month holds most of history's warnings
    assert found.get("2026-10", 0) < total // 5, found  # the last month before the clock holds its own share
    # each month closed before the next month's run: no 月报逾期 piles up for months the county closed in time
    assert _rows(monthly, "SELECT key FROM warnings WHERE code = 'W9' AND object_id <= '2026-08'") == []


def test_the_rows_are_those_of_a_county_without_the_warnings(counties: tuple[Path, Path]) -> None:
    monthly, off = counties
    for table in DATA:
        sql = f"SELECT * FROM {table} ORDER BY rowid"
        assert _rows(monthly, sql) == _rows(off, sql), table
    assert _rows(off, "SELECT count(*) FROM warnings") == [(0,)]
    assert _rows(off, "SELECT count(*) FROM warning_runs") == [(0,)]


def test_an_unknown_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_county.build(tmp_path / "x.db", scale=0.005, warnings="daily")
