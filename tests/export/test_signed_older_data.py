"""A signed month whose recorded data this program cannot turn into a package again (attack review round 8's U4:
county files whose months were signed before 表3/表5 had 功能科目 failed the full verify, read-only and upgraded —
a false alarm on an honest file). It is told, not failed, when the files kept at sign-off still have the hashes
recorded then and the chief's signature is over that manifest; a kept file changed stays a failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.export import signed
from app.models.integrity.verify import Note
from app.models.store.book import open_book
from app.models.values.errors import AppError
from tests.conftest import writable_copy

MISSING = "表3（数据源 ledger_balances）第 1 行 字段 func_codes：缺少该字段"


def _older(monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot(*_args: object, **_kwargs: object) -> None:
        raise AppError(MISSING)
    monkeypatch.setattr(signed, "check_package", cannot)


def _found(path: Path) -> list[object]:
    ro = open_book(path, read_only=True)
    try:
        return list(signed.check_signed(ro))
    finally:
        ro.close()


def test_months_recorded_by_an_older_version_are_told_not_failed(demo_file: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = writable_copy(demo_file, tmp_path / "示例县.db")
    _older(monkeypatch)
    found = _found(path)
    assert found and all(isinstance(f, Note) and MISSING in f.detail for f in found), found
    raw = sqlite3.connect(path)
    try:
        months = raw.execute("SELECT count(*) FROM signoffs").fetchone()[0]
    finally:
        raw.close()
    assert len(found) == months  # every month is still looked at


def test_a_kept_file_changed_is_still_a_failure(demo_file: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = writable_copy(demo_file, tmp_path / "示例县.db")
    raw = sqlite3.connect(path)
    try:
        aid, month = raw.execute(
            "SELECT f.attachment_id, s.month FROM signoff_files f JOIN signoffs s ON s.id = f.signoff_id "
            "WHERE f.name LIKE '%.xlsx' ORDER BY s.month LIMIT 1").fetchone()
        data = bytes(raw.execute("SELECT data FROM attachments WHERE id = ?", (aid,)).fetchone()[0])
        raw.execute("UPDATE attachments SET data = ? WHERE id = ?", (b"\x00" + data, aid))
        raw.commit()
    finally:
        raw.close()
    _older(monkeypatch)
    found = _found(path)
    assert not isinstance(found[0], Note) and month in found[0].where and "哈希也不符" in found[0].detail, found
