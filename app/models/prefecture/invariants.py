"""What verify re-checks for the level above the county: stored package bytes are the bytes whose hash names them,
each received package's digest and read tables are the ones recorded (the `tables` text is not in the audit log,
its hash is)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator

from app.models.prefecture.receive import digest_of_hashes
from app.models.store.audit import Finding


def blobs_match_hashes(conn: sqlite3.Connection) -> Iterator[Finding]:
    for row in conn.execute("SELECT sha256, size, data FROM package_blobs ORDER BY sha256"):
        data = bytes(row[2])
        if hashlib.sha256(data).hexdigest() != row[0] or len(data) != row[1]:
            yield Finding("接收的报送包", f"文件内容 {row[0][:16]}…", "保存的字节与其 SHA-256 不符：接收后被改动过")


def packages_match_records(conn: sqlite3.Connection) -> Iterator[Finding]:
    for p in conn.execute("SELECT p.id, c.name, p.month, p.version, p.digest, p.tables, p.tables_sha256 "
                          "FROM received_packages p JOIN counties c ON c.id = p.county_id ORDER BY p.id").fetchall():
        where = f"{p[1]} {p[2]} 第 {p[3]} 版（接收记录 #{p[0]}）"
        files = {str(r[0]): str(r[1]) for r in conn.execute(
            "SELECT f.name, f.sha256 FROM received_files f WHERE f.package_id = ?", (p[0],))}
        missing = conn.execute("SELECT count(*) FROM received_files f LEFT JOIN package_blobs b ON b.sha256 = f.sha256 "
                               "WHERE f.package_id = ? AND b.sha256 IS NULL", (p[0],)).fetchone()[0]
        if missing:
            yield Finding("接收的报送包", where, f"有 {missing} 个文件的内容已不在文件中")
        if digest_of_hashes(files) != p[4]:
            yield Finding("接收的报送包", where, "文件清单与接收时记录的包哈希不符：接收后被改动过")
        if hashlib.sha256(str(p[5]).encode("utf-8")).hexdigest() != p[6]:
            yield Finding("接收的报送包", where, "从工作簿读出的报表与接收时记录的哈希不符：被改动过")


CHECKS = [
    ("接收的报送包：保存的字节与哈希一致", blobs_match_hashes),
    ("接收的报送包：文件清单与读出的报表与接收时一致", packages_match_records),
]
