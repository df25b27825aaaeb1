"""全局搜索 (app/models/search/index.py, schema 0008): finds by any few characters, follows every write, is
derived data that verify compares with its sources, and never indexes identity card or account numbers."""

from __future__ import annotations

import sqlite3

import pytest

from app.models.integrity import verify as verify_mod
from app.models.plan import payees, projects
from app.models.search import index as search
from app.models.store.book import Book
from app.models.values.errors import ValidationError
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


def _payee(book: Book, name: str) -> int:
    login_as(book, "clerk")
    return fx.enterprise(book, name=name)


def _kinds(hits: list[search.Hit]) -> set[tuple[str, int]]:
    return {(h.kind, h.object_id) for h in hits}


def test_three_characters_inside_a_name_and_two_character_words(book: Book) -> None:
    pid = _payee(book, "新疆天山路桥建设工程有限公司")
    assert ("payee", pid) in _kinds(search.find(book, "建设工程"))  # trigram: inside the name
    assert ("payee", pid) in _kinds(search.find(book, "路桥"))  # two characters: no trigram, still found
    assert ("payee", pid) in _kinds(search.find(book, "天山 有限公司"))  # every word, any order
    assert search.find(book, "天山 不存在的字") == []
    assert search.find(book, "   ") == []


def test_what_a_user_types_is_searched_for_not_obeyed(book: Book) -> None:
    """FTS5 query syntax in the box (quotes, OR, NEAR, *, column filters) is text to find, never an error."""
    _payee(book, "示例建设工程有限公司")
    for text in ('"', 'a"b', "建设 OR 1", "NEAR(建设", "title:建设", "建设*", "%", "_", "'; DROP TABLE payees; --"):
        search.find(book, text)  # no exception
    assert book.conn.execute("SELECT count(*) FROM payees").fetchone()[0] >= 1
    with pytest.raises(ValidationError, match="搜索内容过长"):
        search.find(book, "字" * 101)


def test_the_index_follows_every_write(book: Book) -> None:
    pid = _payee(book, "阿克苏红枣合作社")
    payees.update_payee(book, payee_id=pid, **{**_fields(book, pid), "name": "阿克苏核桃合作社", "account_name": ""})
    assert search.find(book, "红枣合作") == []
    assert ("payee", pid) in _kinds(search.find(book, "核桃合作"))
    project = projects.create_project(book, fields=fx.project_fields(name="托万克村棚圈建设项目"), funding=[])
    assert ("project", project) in _kinds(search.find(book, "棚圈"))
    projects.delete_project(book, project_id=project)
    assert ("project", project) not in _kinds(search.find(book, "棚圈"))


def _fields(book: Book, pid: int) -> dict[str, object]:
    row = book.conn.execute("SELECT * FROM payees WHERE id = ?", (pid,)).fetchone()
    return {k: row[k] for k in ("payee_type", "id_code", "account_no", "bank", "account_name", "township",
                                "village", "note")}


def test_identity_and_account_numbers_are_not_indexed(book: Book) -> None:
    login_as(book, "clerk")
    pid = int(payees.create_payee(book, payee_type="poor_household", name="买买提·艾力", id_code=fx.valid_id(41),
                                  account_no="6217000012345678", bank="农村信用社")["id"])
    assert search.find(book, fx.valid_id(41)[:12]) == [] and search.find(book, "6217000012345678") == []
    text = " ".join(str(v) for v in book.conn.execute("SELECT title, body FROM search_index").fetchone())
    assert fx.valid_id(41) not in text
    assert ("payee", pid) in _kinds(search.find(book, "买买提"))


def _verify_findings(book: Book) -> list[str]:
    return [str(f) for f in search.check(book.conn)] + [str(f) for f in verify_mod.triggers(book.conn)]


def test_verify_reports_an_index_edited_behind_the_programs_back_and_rebuild_mends_it(book: Book) -> None:
    """The insider with sqlite3 hides a payee from the search: verify says so; rebuild restores it."""
    pid = _payee(book, "被隐藏的建设公司")
    assert _verify_findings(book) == []
    raw = sqlite3.connect(book.path)
    raw.execute("DELETE FROM search_index WHERE rowid = ?", (pid * 8 + 1,))
    raw.commit()
    found = _verify_findings(book)
    assert found and "收款人 #" in found[0] and "搜索索引" in found[0]
    raw.execute("INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (?, 'payee', ?, '别的名字', '')",
                (pid * 8 + 1, pid))
    raw.commit()
    assert _verify_findings(book)  # present, but with other text: still reported
    raw.execute("DROP TRIGGER search_payees_i")
    raw.commit()
    raw.close()
    assert any("search_payees_i" in f for f in _verify_findings(book))
    assert search.rebuild(book) == book.conn.execute("SELECT count(*) FROM search_index").fetchone()[0] > 0
    assert list(search.check(book.conn)) == []  # the index is whole again (the dropped trigger is still reported)
    assert ("payee", pid) in _kinds(search.find(book, "被隐藏的建设"))



def test_rebuild_from_the_command_line_needs_a_login_and_writes_nothing_without_one(
        book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 11, as an independent attacker found it: `search --rebuild` wrote the file with no login."""
    import hashlib

    from app.cli import main as cli
    from tests.conftest import PASSWORD

    _payee(book, "新疆天山路桥建设工程有限公司")
    _payee(book, "昌吉市惠农农机专业合作社")
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM search_index WHERE rowid = (SELECT min(rowid) FROM search_index)")  # a damaged index
    raw.commit()
    count = raw.execute("SELECT count(*) FROM search_index").fetchone()[0]
    raw.close()

    def rows() -> int:
        with sqlite3.connect(path) as c:
            return int(c.execute("SELECT count(*) FROM search_index").fetchone()[0])

    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert cli.run(["search", str(path), "--rebuild"]) != 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # no login asked for: not a byte written
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", "not-the-password")
    assert cli.run(["search", str(path), "--rebuild", "--user", "clerk"]) != 0
    assert rows() == count  # a wrong password counts towards the lockout, and rebuilds nothing
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    assert cli.run(["search", str(path), "--rebuild", "--user", "clerk"]) == 0
    assert rows() == count + 1
