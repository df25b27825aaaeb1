"""`fundledger receive PREF.db PATH… --user …` and friends: one line per package, refusals named, exit code 1 when
any package was refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.main import run
from tests.models.prefecture.conftest import PASSWORD, package


def test_receive_and_status_from_the_command_line(work: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    db = str(work / "示例地区.db")
    code = run(["receive", db, str(package(work, "甲县")), str(package(work, "戊县")), "--user", "jingban"])
    out = capsys.readouterr().out
    assert code == 1
    assert "甲县 2026-09 第 1 版" in out and "未作改动" in out
    assert "✗ 已拒收" not in out and "✗ 已拒绝" in out and "戊县" in out and "SHA-256" in out
    assert run(["reporting-status", db, "--month", "2026-09"]) == 0
    out = capsys.readouterr().out
    assert "乙县（659912）  2026-09 逾期报送" in out and "戊县" in out
    assert run(["export-forwarded", db, "--month", "2026-09", "--out", str(tmp_path)]) == 0
    assert "完全一致" in capsys.readouterr().out
    assert run(["verify", db]) == 0
