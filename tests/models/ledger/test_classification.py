"""功能科目 / 经济分类 from the 2019 classification list: checked on new indicators and payments."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.ledger import classification
from app.models.store.book import Book
from app.models.values.errors import AppError, ValidationError
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register


def test_shipped_list_covers_the_programs_codes() -> None:
    c = classification.load()
    assert c.functional["21305"] == "扶贫" and c.functional["2130505"] == "生产发展"
    for code in ("501", "502", "503", "505", "509", "30905", "31005"):
        assert code in c.economic
    # every 款/项 sits under a 类/款 of the list (the loader refuses an orphan)
    for codes in (c.functional, c.economic):
        assert all(len(k) == 3 or k[:-2] in codes for k in codes)


def test_check_refuses_codes_not_in_the_list() -> None:
    assert classification.check_functional("2130505 生产发展") == "2130505"
    assert classification.check_economic("") == ""
    with pytest.raises(ValidationError, match="不在《2019年政府收支分类科目》") as err:
        classification.check_functional("2139999")  # well-formed, not a real 项
    assert err.value.field == "功能科目"
    with pytest.raises(ValidationError, match="应为 3、5 位数字"):
        classification.check_economic("3090５")  # a full-width digit
    with pytest.raises(ValidationError, match="不能为空"):
        classification.check_economic(" ", required=True)


def test_indicator_records_both_codes_and_refuses_unknown_ones(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, func_code="2130504", econ_code="50302")
    assert tuple(book.conn.execute("SELECT func_code, econ_code FROM indicators WHERE id = ?", (ind,)).fetchone()) == \
        ("2130504", "50302")
    old = register(book, func_code="", econ_code="")  # optional on an indicator
    assert book.conn.execute("SELECT econ_code FROM indicators WHERE id = ?", (old,)).fetchone()[0] == ""
    before = book.conn.execute("SELECT count(*) FROM indicators").fetchone()[0]
    with pytest.raises(ValidationError) as err:
        register(book, econ_code="50304")
    assert err.value.field == "经济分类"
    with pytest.raises(ValidationError):
        register(book, func_code="2139999")
    assert book.conn.execute("SELECT count(*) FROM indicators").fetchone()[0] == before


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text('[meta]\nformat = 1\nedition = "2019"\nsource = "x"\n' + body, encoding="utf-8")
    return path


def test_a_broken_list_is_refused_naming_the_problem(tmp_path: Path) -> None:
    good = '[[economic]]\ncode = "509"\nname = "对个人和家庭的补助"\n'
    with pytest.raises(AppError, match="上级科目 213 不在它之前"):
        classification.load_from(_write(tmp_path, '[[functional]]\ncode = "21305"\nname = "扶贫"\n' + good))
    with pytest.raises(AppError, match="重复"):
        classification.load_from(_write(tmp_path, '[[functional]]\ncode = "213"\nname = "a"\n'
                                                  '[[functional]]\ncode = "213"\nname = "b"\n' + good))
    with pytest.raises(AppError, match="code 应为"):
        classification.load_from(_write(tmp_path, '[[functional]]\ncode = 213\nname = "a"\n' + good))
