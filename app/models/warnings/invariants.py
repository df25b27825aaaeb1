"""监控预警 invariants re-checked by `fundledger verify`: a warning's current state agrees with its dated
history (表7 of a signed month is re-created from that history), and a problem has its rectification record."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from app.models.store.audit import Finding

_LIMIT = 20


def state_matches_history(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every warning has a 'detected' event on its first day; its latest event carries its current status,
    and it is cleared exactly when that latest event is a clearing."""
    found = 0
    for r in conn.execute(
            """SELECT w.id, w.key, w.status, w.cleared_on, w.first_detected,
                 (SELECT min(e.day) FROM warning_events e WHERE e.warning_id = w.id AND e.event = 'detected') AS detected,
                 (SELECT e.status FROM warning_events e WHERE e.warning_id = w.id ORDER BY e.day DESC, e.id DESC LIMIT 1)
                   AS last_status,
                 (SELECT e.event FROM warning_events e WHERE e.warning_id = w.id ORDER BY e.day DESC, e.id DESC LIMIT 1)
                   AS last_event
               FROM warnings w ORDER BY w.id"""):
        problem = ""
        if r["detected"] != r["first_detected"]:
            problem = f"首次发现日期 {r['first_detected']} 与发现记录 {r['detected'] or '（无）'} 不一致"
        elif r["last_status"] != r["status"]:
            problem = f"当前状态 {r['status']} 与最后一条处理记录的状态 {r['last_status']} 不一致"
        elif (r["cleared_on"] is not None) != (r["last_event"] == "cleared"):
            problem = "是否已消除与处理记录不一致"
        if problem:
            yield Finding("监控预警", f"预警 #{r['id']}（{r['key']}）", problem)
            found += 1
            if found >= _LIMIT:
                return


def problems_have_history(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every problem has at least one rectification record, none dated before the problem was found."""
    for r in conn.execute(
            "SELECT p.id, p.found_on, count(u.id) AS n, min(u.day) AS first FROM problems p "
            "LEFT JOIN problem_updates u ON u.problem_id = p.id GROUP BY p.id "
            "HAVING n = 0 OR first < p.found_on ORDER BY p.id LIMIT ?", (_LIMIT,)):
        yield Finding("问题台账", f"问题 #{r['id']}", "没有整改记录" if not r["n"] else
                      f"整改记录日期 {r['first']} 早于发现日期 {r['found_on']}")


CHECKS = [
    ("监控预警：当前状态与处理记录一致", state_matches_history),
    ("问题台账：每个问题都有整改记录", problems_have_history),
]
