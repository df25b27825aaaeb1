"""Static checks run with the tests, so CI refuses lint errors and type errors anywhere in app/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "app", "tests", "benchmarks", "docs/screenshots.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """pyproject.toml [tool.mypy] checks all of app/ (models, export, ui, cli, demo) with disallow_untyped_defs."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["app"] and config["disallow_untyped_defs"] is True  # not narrowed to pass
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
