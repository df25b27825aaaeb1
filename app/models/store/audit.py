"""The hash-chained audit log: sealing new records, walking the chain, and matching rows to it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.models.store.db import row_json_sql, tracked

GENESIS = "0" * 64
_FIELDS = "seq, at, actor, op, tbl, row_key, action, before, after"


def _make_encode() -> Callable[[list[object]], str]:
    """json.dumps(…, ensure_ascii=False, separators=(",", ":")) without building an encoder per call:
    the chain walk encodes every one of a large county's ~2 million records (same text, same hashes)."""
    options = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    basestring = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:
        return options.encode
    encode = make(None, options.default, basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encode(value, 0))


_ENCODE = _make_encode()


def record_hash(prev: str, row: sqlite3.Row | tuple) -> str:
    """SHA-256 over the previous hash and every field of the record, unambiguously joined."""
    payload = _ENCODE([prev, *[row[i] for i in range(9)]])
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
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: 1.7 million records are walked in well under the time of Row objects
    encode, sha256 = _ENCODE, hashlib.sha256
    for row in cur.execute(f"SELECT {_FIELDS}, prev_hash, hash FROM audit_log ORDER BY seq"):
        seq = row[0]
        if expected_seq is not None and seq != expected_seq:
            yield Finding("审计链", f"审计记录 #{expected_seq}", f"记录缺失（下一条为 #{seq}），审计日志被删除过")
            return
        expected_seq = seq + 1
        problem = ""
        if row[10] is None:
            problem = "未经本程序封存：该变更不是由本程序写入的（可能用其他工具修改了数据库）"
        elif row[9] != prev:
            problem = "与上一条记录的哈希不衔接，审计日志被删除或改动过"
        elif sha256(encode([prev, *row[:9]]).encode("utf-8")).hexdigest() != row[10]:  # = record_hash
            problem = "内容与其哈希不符，该审计记录被改动过"
        if problem:
            yield Finding("审计链", f"审计记录 #{seq}（{row[4]} / {row[5]}）", problem)
            return
        prev = row[10]


def _same(current: str, audited: str) -> bool:
    """Equal, or equal on every column the audit knows (a column added later has no history yet)."""
    if current == audited:
        return True
    now, then = json.loads(current), json.loads(audited)
    return all(k in now and now[k] == v for k, v in then.items())


def check_rows(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every business row must equal its last audited state; rows without one were added outside.

    SQLite pairs each row with its last audit record (an index seek on audit_log_row) and hands back
    only the rows whose JSON differs, so a million-row table is checked without holding its history.
    """
    for t in tracked(conn):
        name, key = t["name"], t["key_column"]
        skip = {c for c in t["skip_columns"].split(",") if c}
        suspects = conn.execute(
            f'SELECT r.k, r.j, a.seq, a.action, a.after FROM (SELECT CAST(x."{key}" AS TEXT) AS k, '
            f"{row_json_sql(conn, name, skip, 'x')} AS j, (SELECT seq FROM audit_log WHERE tbl = ? AND row_key = "
            f'CAST(x."{key}" AS TEXT) ORDER BY seq DESC LIMIT 1) AS s FROM "{name}" x) r '
            "LEFT JOIN audit_log a ON a.seq = r.s WHERE a.seq IS NULL OR a.action = 'D' OR a.after IS NOT r.j",
            (name,),
        )
        for row_key, row_json, seq, action, after in suspects:
            if seq is None or action == "D":
                yield Finding("数据核对", f"表 {name} 主键 {row_key}", "该行没有审计记录，是在本程序之外写入的")
                return
            if not _same(row_json, after or "{}"):
                yield Finding(
                    "数据核对", f"表 {name} 主键 {row_key}",
                    f"当前内容与审计记录 #{seq} 不一致，数据在本程序之外被修改过",
                )
                return
        gone = conn.execute(
            "SELECT l.row_key, l.m FROM (SELECT row_key, max(seq) AS m FROM audit_log WHERE tbl = ? GROUP BY row_key) l "
            "JOIN audit_log a ON a.seq = l.m WHERE a.action <> 'D' AND NOT EXISTS "
            f'(SELECT 1 FROM "{name}" x WHERE x."{key}" = l.row_key AND CAST(x."{key}" AS TEXT) = l.row_key) '
            "ORDER BY l.m LIMIT 1",
            (name,),
        ).fetchone()
        if gone is not None:
            yield Finding("数据核对", f"表 {name} 主键 {gone[0]}", f"审计记录 #{gone[1]} 中存在的行已不在表中，被删除过")
            return
