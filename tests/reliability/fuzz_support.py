"""Shared by the fuzz tests: hostile text, amounts and dates, and the one rule every operation must keep —
accepted, or refused with an AppError in Chinese naming the field, with nothing written."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.models.store.book import Book
from app.models.values.errors import AppError, RowErrors

REFUSALS: dict[str, list[str]] = {}  # for debugging a test that refuses everything
FIGURES: dict[str, int] = {}  # test name → inputs tried; printed at the end of the session (conftest)

NASTY = [
    "", " ", "　", "\x00", "a\x00b", "\t\r\n", "x\x07y", "\x1b[31m红", "😀😀", "👨‍👩‍👧", "１２３４", "１２３４.５６",
    "=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\")", "'; DROP TABLE users; --",
    "Robert'); DELETE FROM audit_log;--", "1 OR 1=1", "x" * 10_000, "中" * 5000, "\u202e反转", "\ufeffBOM",
    "\u200b", "NULL", "None", "nan", "1e9", "   前后空格   ", "多\n行", "<script>alert(1)</script>", "%s%s%n",
    "../../etc/passwd", "C:\\Windows\\system32",
]
HOSTILE = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12))
AMOUNTS = st.one_of(
    st.sampled_from(["0", "0.00", "1", "0.01", "0.001", "-1", "-0.01", "1,234.56", "1,2,3", "１２３４.５", "１，２３４．５",
                     " 12 ", "12元", "￥12", "1e5", "NaN", "Infinity", "999999999999.99", "1000000000000", "1" * 40,
                     "12.", ".5", "+5", "0x10", "Ⅻ", "٣", "1_000"]),
    st.integers(min_value=-10**15, max_value=10**15), st.decimals(allow_nan=False, allow_infinity=False, places=3),
    HOSTILE,
)
DATES = st.one_of(
    st.sampled_from(["2026-05-06", "2026-02-30", "2026/5/6", "２０２６-０５-０６", "2026-5-6", "20260506", "", " ",
                     "2099-01-01", "1900-01-01", "2026-13-01", "0000-00-00", "2026-05-06T10:00"]),
    st.dates().map(str), HOSTILE,
)
FUZZ = settings(max_examples=int(os.environ.get("FUNDLEDGER_FUZZ_EXAMPLES", "30")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def state(conn: sqlite3.Connection) -> tuple[int, ...]:
    """Row counts of every business table and the audit log: any write changes at least one."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' AND name != 'audit_context' ORDER BY name")]
    return tuple(conn.execute(f"SELECT count(*) FROM \"{t}\"").fetchone()[0] for t in tables) + (
        conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0],)


def attempt(book: Book, name: str, fn: Callable[[], Any], fields: Iterable[str]) -> Any:
    """Run one operation. A refusal must be an AppError in Chinese naming one of `fields` (or, for an import,
    rows with their column), leave every table and the audit log as they were, and no transaction open.
    Returns the operation's result, or None when refused."""
    FIGURES[name] = FIGURES.get(name, 0) + 1
    fields = set(fields)
    before = state(book.conn)
    try:
        return fn()
    except AppError as exc:
        message = str(exc)
        REFUSALS.setdefault(name, []).append(message[:120])
        assert has_chinese(message), message
        if isinstance(exc, RowErrors):
            assert exc.errors and all(f for _row, f, _why in exc.errors), message
            named = {f for _row, f, _why in exc.errors}
        else:
            named = {exc.field} if exc.field else {f for f in fields if f in message}
        assert named & fields or any(f in message for f in fields), (fields, message[:300])
        assert state(book.conn) == before, f"refused but written: {message[:200]}"
        assert not book.conn.in_transaction
        return None
