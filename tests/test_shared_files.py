"""The session's shared demo county (tests/conftest.py) is built once and cannot be changed in place unnoticed:
read-only on disk, and its digest checked on every copy and at the end of the session."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests import conftest


def test_a_shared_file_is_read_only_its_copies_are_writable_and_a_change_in_place_is_caught(tmp_path: Path) -> None:
    shared = tmp_path / "shared.db"
    conn = sqlite3.connect(shared)
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    conftest.share_read_only(shared)
    try:
        assert stat.S_IMODE(shared.stat().st_mode) == 0o444
        copy = conftest.writable_copy(shared, tmp_path / "copy.db")
        assert copy.read_bytes() == shared.read_bytes()
        assert stat.S_IMODE(copy.stat().st_mode) & 0o200  # not the shared file's 0o444 (shutil.copy would carry it)
        conn = sqlite3.connect(copy)
        conn.execute("INSERT INTO t VALUES (2)")  # the copy takes writes
        conn.commit()
        conn.close()
        conftest.check_unchanged(shared)
        os.chmod(shared, 0o644)  # a test that opens the shared file for writing (root ignores 0o444 anyway)
        conn = sqlite3.connect(shared)
        conn.execute("INSERT INTO t VALUES (3)")
        conn.commit()
        conn.close()
        with pytest.raises(AssertionError, match="changed in place"):
            conftest.writable_copy(shared, tmp_path / "again.db")
        with pytest.raises(AssertionError, match="changed in place"):
            conftest.check_unchanged(shared)
        assert not (tmp_path / "again.db").exists()
    finally:
        del conftest._SHARED[shared]


def test_the_session_demo_is_registered_read_only_and_refuses_a_write(demo_file: Path) -> None:
    assert demo_file in conftest._SHARED  # the registry the fixture filled is the one writable_copy checks
    assert stat.S_IMODE(demo_file.stat().st_mode) == 0o444
    conftest.check_unchanged(demo_file)
    if getattr(os, "geteuid", lambda: 1)() != 0:  # root writes through 0o444; the digest check above still holds
        conn = sqlite3.connect(demo_file)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("CREATE TABLE not_here (a INTEGER)")
        conn.close()
