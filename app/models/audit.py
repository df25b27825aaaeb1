"""The hash-chained audit log: sealing new records, walking the chain, and matching rows to it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from .db import row_json_sql, tracked

GENESIS = "0" * 64
_FIELDS = "seq, at, actor, op, tbl, row_key, action, before, after"


def record_hash(prev: str, row: sqlite3.Row | tuple) -> str:
    """SHA-256 over the previous hash and every field of the record, unambiguously joined."""
    payload = json.dumps([prev, *[row[i] for i in range(9)]], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def last_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest sealed record: what a sign-off or a package quotes."""
    row = conn.execute("SELECT seq, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def seal(conn: sqlite3.Connection, after_seq: int) -> int:
    """Chain every record written by this transaction (seq > after_seq); returns how many."""
    prev = head(conn)[1]
    rows = conn.execute(f"SELECT {_FIELDS} FROM audit_log WHERE seq > ? AND hash IS NULL ORDER BY seq", (after_seq,)).fetchall()
    updates = []
    for row in rows:
        h = record_hash(prev, row)
        updates.append((prev, h, row[0]))
        prev = h
    conn.executemany("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", updates)
    return len(updates)


@dataclass(frozen=True)
class Finding:
    """One thing verify found wrong; `where` names the first broken record, row or file."""

    check: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}：{self.detail}"


def check_chain(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Walk the chain in order; the first unsealed, re-linked or altered record is named."""
    prev = GENESIS
    expected_seq = None
    for row in conn.execute(f"SELECT {_FIELDS}, prev_hash, hash FROM audit_log ORDER BY seq"):
        seq = row[0]
        where = f"审计记录 #{seq}（{row['tbl']} / {row['row_key']}）"
        if expected_seq is not None and seq != expected_seq:
            yield Finding("审计链", f"审计记录 #{expected_seq}", f"记录缺失（下一条为 #{seq}），审计日志被删除过")
            return
        expected_seq = seq + 1
        if row["hash"] is None:
            yield Finding("审计链", where, "未经本程序封存：该变更不是由本程序写入的（可能用其他工具修改了数据库）")
            return
        if row["prev_hash"] != prev:
            yield Finding("审计链", where, "与上一条记录的哈希不衔接，审计日志被删除或改动过")
            return
        if record_hash(prev, row) != row["hash"]:
            yield Finding("审计链", where, "内容与其哈希不符，该审计记录被改动过")
            return
        prev = row["hash"]


def _same(current: str, audited: str) -> bool:
    """Equal, or equal on every column the audit knows (a column added later has no history yet)."""
    if current == audited:
        return True
    now, then = json.loads(current), json.loads(audited)
    return all(k in now and now[k] == v for k, v in then.items())


def check_rows(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every business row must equal its last audited state; rows without one were added outside."""
    for t in tracked(conn):
        name, key = t["name"], t["key_column"]
        skip = {c for c in t["skip_columns"].split(",") if c}
        last: dict[str, tuple[int, str, str | None]] = {}
        for seq, row_key, action, after in conn.execute(
            "SELECT a.seq, a.row_key, a.action, a.after FROM audit_log a JOIN "
            "(SELECT row_key, max(seq) AS m FROM audit_log WHERE tbl = ? GROUP BY row_key) l ON a.seq = l.m",
            (name,),
        ):
            last[row_key] = (seq, action, after)
        current = conn.execute(
            f'SELECT CAST("{key}" AS TEXT), {row_json_sql(conn, name, skip, name)} FROM "{name}"'
        )
        seen = set()
        for row_key, row_json in current:
            seen.add(row_key)
            audited = last.get(row_key)
            if audited is None or audited[1] == "D":
                yield Finding("数据核对", f"表 {name} 主键 {row_key}", "该行没有审计记录，是在本程序之外写入的")
                return
            if not _same(row_json, audited[2] or "{}"):
                yield Finding(
                    "数据核对", f"表 {name} 主键 {row_key}",
                    f"当前内容与审计记录 #{audited[0]} 不一致，数据在本程序之外被修改过",
                )
                return
        for row_key, (seq, action, _after) in sorted(last.items(), key=lambda kv: kv[1][0]):
            if action != "D" and row_key not in seen:
                yield Finding("数据核对", f"表 {name} 主键 {row_key}", f"审计记录 #{seq} 中存在的行已不在表中，被删除过")
                return
