"""`benchmarks/run.py --growth` in its small mode (issue #22 item 4): two tiny counties, 5 and 15 years, generated
into a folder of the test's own and measured side by side. A smoke test only — it asserts that the run finishes
and prints the figures with their growth, never how fast anything is (tests/ holds no timed assertion)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks import make_county

ROOT = Path(__file__).resolve().parents[2]


def test_fifteen_years_hold_the_same_months_as_five(tmp_path: Path) -> None:
    """--years 15 adds history only: 2026 (and its signed months) holds what the 5-year county's does."""
    small, large = tmp_path / "5.db", tmp_path / "15.db"
    make_county.build(small, scale=0.005)
    make_county.build(large, scale=0.005, years=15)
    import sqlite3

    def year_counts(path: Path) -> tuple[int, ...]:
        conn = sqlite3.connect(path)
        try:
            return tuple(int(conn.execute(sql).fetchone()[0]) for sql in (
                "SELECT count(*) FROM indicators WHERE year = 2026",
                "SELECT count(*) FROM ledger_entries WHERE entry_date >= '2026-01-01'",
                "SELECT count(*) FROM payments WHERE pay_date >= '2026-01-01'",
                "SELECT min(year) FROM indicators"))
        finally:
            conn.close()
    s, b = year_counts(small), year_counts(large)
    assert (s[3], b[3]) == (2022, 2012)
    assert b[0] == s[0] and abs(b[1] - s[1]) <= s[1] // 10 and abs(b[2] - s[2]) <= s[2] // 5, (s, b)
    assert large.stat().st_size > 2 * small.stat().st_size


def test_growth_small_mode_runs_and_prints_every_figure_with_its_growth(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--growth", "--quick", "--cache",
                          str(tmp_path), "--only", "verify,package,tables"],
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert "| 项目 | 5 年 | 15 年 | 增长 |" in text
    for label in ("文件大小 MB", "verify 完整核验", "verify 增量核验", "一个月的报送包预览稿 2026-10",
                  "表1 ", "表5 ", "表9 "):
        assert label in text, label
    assert sorted(p.name for p in tmp_path.glob("county-*.db")) == ["county-15y-s0.005.db", "county-5y-s0.005.db"]
