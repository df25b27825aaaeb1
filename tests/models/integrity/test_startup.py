"""A bad shipped resource stops the program at start, naming the file and key, before any window or command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.models.integrity import startup
from app.models.values.errors import AppError

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_resources_are_all_valid() -> None:
    startup.check_all()


@pytest.fixture
def broken_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    monkeypatch.setattr("app.resources.resources_dir", lambda: tmp_path / "resources")
    from app.models.reports import definitions
    from app.models.rules import load
    from app.models.store import permissions

    for fn in (load.load_named, permissions.table, permissions.labels):
        fn.cache_clear()
    definitions._cached.cache_clear()
    yield tmp_path / "resources"
    for fn in (load.load_named, permissions.table, permissions.labels):
        fn.cache_clear()
    definitions._cached.cache_clear()


def test_a_bad_rule_file_is_refused_with_its_key_path(broken_copy: Path) -> None:
    path = broken_copy / "rules" / "xj-2019.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[meta]", "[meta]\nunknown_key = 1", 1), encoding="utf-8")
    with pytest.raises(AppError, match=r"规则集.*xj-2019\.toml.*meta\.unknown_key"):
        startup.check_all()


def test_a_bad_permission_table_is_refused(broken_copy: Path) -> None:
    path = broken_copy / "permissions.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[ops2]\n', encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace('[ops]', '[ops]\nsign_off = ["boss"]', 1), encoding="utf-8")
    with pytest.raises(AppError, match="权限表"):
        startup.check_all()


def test_the_program_does_not_start_on_a_broken_rule_set(tmp_path: Path) -> None:
    """Through the real entry point: exit code 2 and a Chinese line, no traceback."""
    shutil.copytree(ROOT / "app", tmp_path / "app")
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    path = tmp_path / "resources" / "rules" / "xj-2019.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[[[broken", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "app", "--help"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "规则集" in result.stderr and "Traceback" not in result.stderr
