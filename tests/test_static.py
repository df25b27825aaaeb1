"""Static checks run with the tests, so CI refuses lint errors and type errors in the models and export layers."""

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
    """pyproject.toml [tool.mypy] names the checked packages (app/models, app/export) and the strictness."""
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
