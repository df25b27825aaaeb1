"""A day's recompute writes its warnings and events table by table, so seal folds them into runs (issue #22, item 3:
the file that stays small). Written interleaved — a warning, its event, the next warning — no stretch of inserts into
one table stands together and every one of the 100,000s of records keeps its JSON in audit_log.

The county is the runs tests' (the tiny large county, its warnings recomputed at every month end of its history:
make_county's default). Each test is the attack on the compact form: the insider with the file, Python's sqlite3
and no password, editing a folded warning or event with the audit triggers out of the way (and put back word for
word)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.models.store import audit
from tests.models.store.test_audit_runs import copy, county, findings, run_row, tamper  # noqa: F401 - fixtures


def _per_recompute(path: Path, table: str) -> list[tuple[int, int]]:
    """(insert records of `table`, how many of them runs hold) for each recompute (the records up to its warning_runs
    record, which every recompute writes last)."""
    raw = sqlite3.connect(path)
    try:
        ends = [int(s) for (s,) in raw.execute("SELECT seq FROM audit_log WHERE tbl = 'warning_runs' ORDER BY seq")]
        plain = [int(s) for (s,) in raw.execute("SELECT seq FROM audit_log WHERE tbl = ? AND action = 'I'", (table,))]
        folded = [s for a, b in raw.execute("SELECT first_seq, last_seq FROM audit_runs WHERE tbl = ?", (table,))
                  for s in range(int(a), int(b) + 1)]
    finally:
        raw.close()
    out = []
    for start, end in zip([0, *ends], ends, strict=False):
        n_plain = sum(1 for s in plain if start < s < end)
        n_folded = sum(1 for s in folded if start < s < end)
        out.append((n_plain + n_folded, n_folded))
    return out


@pytest.mark.parametrize("table", ["warnings", "warning_events"])
def test_recomputed_warnings_and_events_are_folded_and_verify(county: Path, table: str) -> None:  # noqa: F811
    counts = _per_recompute(county, table)
    big = [(n, folded) for n, folded in counts if n >= audit.MIN_RUN]
    assert len(big) >= 2, counts  # the history has recomputes that write enough of them to fold
    assert all(folded == n for n, folded in big), big  # every such recompute's inserts of the table are runs
    assert findings(county) == []


def test_a_folded_warning_edited_by_the_insider_is_found(copy: Path) -> None:  # noqa: F811
    _first, key, seq = run_row(copy, "warnings")
    raw = sqlite3.connect(copy)
    try:
        later = raw.execute("SELECT count(*) FROM audit_log WHERE tbl = 'warnings' AND row_key = ?", (str(key),)).fetchone()[0]
    finally:
        raw.close()
    tamper(copy, f"UPDATE warnings SET amount = amount + 1, detail = detail || '（已核实）' WHERE id = {key}",
           quiet=("warnings",))
    found = findings(copy)
    if later:  # changed by the program since (a later record holds the row): that record no longer matches the row
        assert any(f"表 warnings 主键 {key}" in f for f in found), found
    else:
        assert any(f"#{seq}（warnings / {key}" in f and "被修改或替换" in f for f in found), found


def test_a_folded_event_deleted_by_the_insider_is_found(copy: Path) -> None:  # noqa: F811
    _first, key, seq = run_row(copy, "warning_events")
    tamper(copy, f"DELETE FROM warning_events WHERE id = {key}", quiet=("warning_events",))
    found = findings(copy)
    assert any(f"#{seq}（warning_events / {key}" in f and "已不在表中" in f for f in found), found
