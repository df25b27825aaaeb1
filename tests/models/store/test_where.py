"""store.where.Where: the row sources' one WHERE builder."""

from __future__ import annotations

import sqlite3

import pytest

from app.models.store.where import Where


def test_empty_filters_add_nothing_and_values_are_parameters() -> None:
    w = Where().equals("y.status", "").equals("y.project_id", None).contains("  ", "p.name")
    assert (w.clause, w.sql, w.args) == ("", "1 = 1", [])
    w = Where().equals("p.year", 2026).contains(" 路桥'; DROP TABLE x; -- ", "p.name", "coalesce(e.name, '')")
    assert w.clause == " WHERE p.year = ? AND (instr(p.name, ?) OR instr(coalesce(e.name, ''), ?))"
    assert w.args == [2026, "路桥'; DROP TABLE x; --", "路桥'; DROP TABLE x; --"]


def test_a_column_name_that_is_not_one_is_refused() -> None:
    for bad in ("name; DROP TABLE payees", "p.name OR 1=1", "", "instr(p.name, 'x')"):
        with pytest.raises(ValueError):
            Where().equals(bad, 1)
    with pytest.raises(ValueError):
        Where().add("a = ? AND b = ?", 1)  # placeholders and values must match


def test_it_runs_against_sqlite() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, year INTEGER)")
    conn.executemany("INSERT INTO t (name, year) VALUES (?, ?)", [("示例路桥公司", 2026), ("合作社", 2026), ("路桥", 2025)])
    w = Where().equals("year", 2026).contains("路桥", "name")
    assert conn.execute(f"SELECT name FROM t{w.clause}", w.args).fetchall() == [("示例路桥公司",)]
    w = Where().contains("%", "name")  # no LIKE wildcards: a percent sign is a percent sign
    assert conn.execute(f"SELECT count(*) FROM t WHERE {w.sql}", w.args).fetchone()[0] == 0
