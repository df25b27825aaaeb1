"""Fuzzed form input: hostile text in every field is accepted correctly or refused naming the field —
never a crash, never a partial write."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.ledger import catalogue
from app.models.store import holidays, setup, users
from app.models.store.book import Book
from app.models.values.errors import AppError, ValidationError
from tests.conftest import PASSWORD

HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from([
        "", " ", "\x00", "a\x00b", "\t\r\n", "😀😀", "１２３４", "=1+1", "+SUM(A1)", "-2", "@cmd", "'; DROP TABLE users; --",
        "Robert'); DELETE FROM audit_log;--", "x" * 10_000, "中" * 5000, "\u202e反转", "\ufeffBOM",
    ]),
)
from tests.reliability.fuzz_support import FIGURES, FUZZ  # noqa: E402 - shared example counts and figures


def snapshot(book: Book) -> tuple[int, int, int]:
    c = book.conn
    return (c.execute("SELECT count(*) FROM audit_log").fetchone()[0], c.execute("SELECT count(*) FROM users").fetchone()[0],
            c.execute("SELECT count(*) FROM fund_items").fetchone()[0])


def attempt(book: Book, fn, fields: set[str]) -> bool:
    """Run one operation; a refusal must be a ValidationError naming one of the form's fields and write nothing."""
    FIGURES["基础设置表单"] = FIGURES.get("基础设置表单", 0) + 1
    before = snapshot(book)
    try:
        fn()
    except ValidationError as exc:
        assert exc.field in fields, (exc.field, str(exc))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.message)
        assert snapshot(book) == before
        assert not book.conn.in_transaction
        return False
    return True


@FUZZ
@given(login=HOSTILE, name=HOSTILE, section=HOSTILE)
def test_add_user_fields(book: Book, login: str, name: str, section: str) -> None:
    ok = attempt(book, lambda: users.add_user(book, login=login, name=name, role="clerk", password=PASSWORD,
                                              section=section), {"登录名", "姓名", "业务股室"})
    if ok:
        row = book.conn.execute("SELECT login, name FROM users WHERE login = ?", (login.strip(),)).fetchone()
        assert row["name"] == name.strip()


@FUZZ
@given(password=HOSTILE)
def test_password_field(book: Book, password: str) -> None:
    login = f"fuzz{snapshot(book)[1]}"
    if attempt(book, lambda: users.add_user(book, login=login, name="模糊", role="clerk", password=password), {"密码"}):
        assert users.login(book, login, password).login == login
        users.login(book, "chief", PASSWORD)


@FUZZ
@given(code=HOSTILE, name=HOSTILE)
def test_fund_item_fields(book: Book, code: str, name: str) -> None:
    ok = attempt(book, lambda: catalogue.add_item(book, kind="ZH", code=code, name=name), {"项目代码", "项目名称"})
    if ok:
        assert catalogue.item(book, code.strip().upper())["name"] == name.strip()


@FUZZ
@given(name=HOSTILE, code=HOSTILE, phone=HOSTILE)
def test_bureau_fields(book: Book, name: str, code: str, phone: str) -> None:
    attempt(book, lambda: setup.update_bureau(book, name=name, region_code=code, level="county", phone=phone),
            {"单位名称", "行政区划代码", "监督电话"})


@FUZZ
@given(notice=HOSTILE, day=HOSTILE, label=HOSTILE)
def test_calendar_fields(book: Book, notice: str, day: str, label: str) -> None:
    attempt(book, lambda: holidays.set_year(book, year=2030, notice=notice, holidays=[(day, label)], workdays_=[]),
            {"通知名称", "放假日期"})


def test_sql_looking_text_is_stored_as_text(book: Book) -> None:
    users.add_user(book, login="sqlname", name="x'); DROP TABLE users;--", role="clerk", password=PASSWORD)
    assert book.conn.execute("SELECT name FROM users WHERE login = 'sqlname'").fetchone()[0] == "x'); DROP TABLE users;--"
    assert book.conn.execute("SELECT count(*) FROM users").fetchone()[0] >= 5


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "x\x07y"])
def test_control_characters_refused_with_field(book: Book, bad: str) -> None:
    with pytest.raises(AppError, match="姓名"):
        users.add_user(book, login="ctrl", name=bad, role="clerk", password=PASSWORD)
