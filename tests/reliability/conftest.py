"""The reliability suite's figures (crash trials, fuzzed inputs) are printed at the end of the run, and written
to $FUNDLEDGER_RELIABILITY_FIGURES as JSON when that is set (docs/可靠性.md quotes them)."""

from __future__ import annotations

import json
import os

import pytest

from tests.reliability.fuzz_support import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "可靠性测试数字")
    for name, count in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {count}")
    terminalreporter.write_line(f"合计: {sum(FIGURES.values())}")
    out = os.environ.get("FUNDLEDGER_RELIABILITY_FIGURES")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(FIGURES, fh, ensure_ascii=False, indent=1, sort_keys=True)
