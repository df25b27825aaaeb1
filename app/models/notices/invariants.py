"""Invariants of 公告公示 that `verify` re-checks: what the operations guarantee, found again in the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from app.models.store.audit import Finding

_OBJECT_TABLES = {"indicator": "indicators", "project": "projects", "payment": "payments"}


def objects_exist(conn: sqlite3.Connection) -> Iterator[Finding]:
    """A notice refers to its object by type and id (no foreign key can): that object must exist."""
    for object_type, table in _OBJECT_TABLES.items():
        for row in conn.execute(
                f"SELECT n.id, n.object_id FROM notices n WHERE n.object_type = ? "
                f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = n.object_id) ORDER BY n.id", (object_type,)):
            yield Finding("公告公示", f"公告 #{row[0]}", f"公示对象 {object_type} #{row[1]} 不存在")


def evidence_is_image_or_pdf(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Evidence files are photos or scans (the operations refuse anything else)."""
    for row in conn.execute(
            "SELECT e.notice_id, a.id, a.name, a.mime FROM notice_evidence e JOIN attachments a ON a.id = e.attachment_id "
            "WHERE a.mime NOT IN ('image/png', 'image/jpeg', 'application/pdf') ORDER BY e.id"):
        yield Finding("公告公示", f"公告 #{row[0]} 的证据 {row[2]}", f"文件类型 {row[3]} 不是图片或 PDF")


CHECKS = [
    ("公告公示：公示对象存在", objects_exist),
    ("公告公示：证据为图片或 PDF", evidence_is_image_or_pdf),
]
