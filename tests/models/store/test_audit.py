"""The audit chain and verify: changes made with another tool are found and named."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.export import evidence
from app.models.integrity.verify import Report
from app.models.store import users
from app.models.store.book import Book, open_book
from tests.conftest import PASSWORD


def _verify(path: Path) -> Report:
    b = open_book(path, read_only=True)
    try:
        return evidence.verify(b)
    finally:
        b.close()


def test_every_change_is_audited_with_actor(book: Book) -> None:
    users.add_user(book, login="newbie", name="新人", role="clerk", password=PASSWORD)
    row = book.conn.execute("SELECT * FROM audit_log WHERE tbl = 'users' ORDER BY seq DESC LIMIT 1").fetchone()
    assert row["action"] == "I" and row["actor"].startswith("chief#") and row["op"] == "add_user"
    assert '"login":"newbie"' in row["after"] and row["hash"] and len(row["hash"]) == 64
    users.update_user(book, user_id=int(row["row_key"]), name="新人乙")
    upd = book.conn.execute("SELECT * FROM audit_log WHERE tbl = 'users' ORDER BY seq DESC LIMIT 1").fetchone()
    assert upd["action"] == "U" and "新人" in upd["before"] and "新人乙" in upd["after"]


def test_log_refuses_update_and_delete(book: Book) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="只能追加"):
        book.conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="只能追加"):
        book.conn.execute("DELETE FROM audit_log WHERE seq = 1")


def test_clean_file_verifies(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    report = _verify(path)
    assert report.ok, report.text()


def test_update_after_dropping_triggers_is_named(book: Book) -> None:
    target = book.conn.execute("SELECT id FROM users WHERE login = 'clerk'").fetchone()[0]
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    for name in [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='users'")]:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE users SET role = 'chief' WHERE id = ?", (target,))
    raw.commit()
    raw.close()
    report = _verify(path)
    assert not report.ok
    text = report.text()
    assert f"表 users 主键 {target}" in text and "被修改过" in text
    assert "触发器" in text


def test_update_with_triggers_in_place_is_unsealed(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE bureau SET name = '别的县' WHERE id = 1")
    raw.commit()
    raw.close()
    report = _verify(path)
    assert not report.ok
    assert "未经本程序封存" in str(report.findings[0])


def test_deleted_audit_record_is_found(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("DELETE FROM audit_log WHERE seq = 3")
    raw.commit()
    raw.close()
    text = _verify(path).text()
    assert "审计记录 #3" in text and "缺失" in text


def test_deleted_row_is_found(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER fl_audit_fund_items_d")
    raw.execute("DELETE FROM fund_items WHERE code = 'ZX02'")
    raw.commit()
    raw.close()
    text = _verify(path).text()
    assert "fund_items 主键 ZX02" in text and "删除" in text


def test_row_inserted_outside_is_found(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER fl_audit_fund_items_i")
    raw.execute("INSERT INTO fund_items (code, kind, name, sort) SELECT 'ZX99', kind, '外来', 99 FROM fund_items LIMIT 1")
    raw.commit()
    raw.close()
    text = _verify(path).text()
    assert "fund_items 主键 ZX99" in text and "没有审计记录" in text


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    """`fundledger demo x.db && fundledger verify x.db` exit 0; after another tool edits, non-zero."""
    path = tmp_path / "x.db"
    run = [sys.executable, "-m", "app"]
    assert subprocess.run([*run, "demo", str(path)], capture_output=True, text=True).returncode == 0
    ok = subprocess.run([*run, "verify", str(path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "全部通过" in ok.stdout
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER fl_audit_users_u")
    raw.execute("UPDATE users SET name = '冒名' WHERE login = 'jingban'")
    raw.commit()
    raw.close()
    bad = subprocess.run([*run, "verify", str(path)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "未通过" in bad.stdout and "首个问题" in bad.stdout
