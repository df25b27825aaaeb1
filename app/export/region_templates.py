"""The region's own report templates: check, register, list and unregister; and the files the exporter reads.

A registered template is stored in the database (attachments), so the file alone re-creates every
package that used it; a sign-off records which template versions it used.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from app.export import template
from app.export.template import TemplateSpec
from app.models.reports import definitions
from app.models.store.book import Book
from app.models.values.errors import NotFound, ReadOnlyError, ValidationError


def store_file(conn: sqlite3.Connection, book: Book, name: str, data: bytes) -> int:
    mime = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf",
            "json": "application/json"}.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    cur = conn.execute("INSERT INTO attachments (name, mime, size, sha256, data, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (name, mime, len(data), hashlib.sha256(data).hexdigest(), data, book.stamp()))
    return int(cur.lastrowid or 0)


def templates(book: Book, ids: dict[str, int] | None = None) -> dict[str, TemplateSpec]:
    """The registered templates (the active ones, or those a sign-off used), as files the exporter reads."""
    if ids is None:
        rows = book.conn.execute("SELECT id, table_id, sheet, attachment_id FROM report_templates WHERE active = 1").fetchall()
    else:
        marks = ",".join("?" * len(ids)) or "NULL"
        rows = book.conn.execute(f"SELECT id, table_id, sheet, attachment_id FROM report_templates WHERE id IN ({marks})",
                                 list(ids.values())).fetchall()
    out = {}
    folder = Path(tempfile.gettempdir()) / "fundledger-templates"
    folder.mkdir(exist_ok=True)
    for r in rows:
        att = book.conn.execute("SELECT name, sha256, data FROM attachments WHERE id = ?", (r["attachment_id"],)).fetchone()
        path = folder / att["sha256"][:16] / Path(att["name"]).name  # the manifest names the file as registered
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(att["data"])
        out[r["table_id"]] = TemplateSpec(table=r["table_id"], path=path, sheet=r["sheet"] or None)
    return out


def template_ids(book: Book) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in book.conn.execute("SELECT table_id, id FROM report_templates WHERE active = 1")}


def check_template(*, table_id: str, name: str, data: bytes, sheet: str = "", mapping: bytes | None = None,
                   mapping_name: str = "") -> tuple[bytes, list[template.Use]]:
    """Validate a template (marked through the mapping file first, if one is given) without storing it.

    Returns the bytes that would be kept — the marked copy when a mapping is used — and its placeholders.
    """
    defs = definitions.load()
    known = [t.id for t in defs.tables] + [defs.cover_sheet]
    if table_id not in known:
        raise ValidationError(f"应为 {'、'.join(known)} 之一", field="报表")
    if not name.lower().endswith(".xlsx"):
        raise ValidationError(f"{Path(name).name} 不是 .xlsx 文件；只能登记 .xlsx 格式的模板", field="模板文件")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(data)
        spec = TemplateSpec(table=table_id, path=path, sheet=sheet or None)
        if mapping is not None:
            marked = Path(tmp) / "marked" / path.name
            marked.parent.mkdir()
            template.mark_template(spec, mapping, mapping_name or "对应文件", marked)
            spec = TemplateSpec(table=table_id, path=marked, sheet=sheet or None)
        uses = template.placeholders(spec, defs)
        return spec.path.read_bytes(), uses


def register_template(book: Book, *, table_id: str, name: str, data: bytes, sheet: str = "",
                      mapping: bytes | None = None, mapping_name: str = "") -> int:
    """The region's own .xlsx for one table; checked (every placeholder known) before it is kept.

    With a mapping file the placeholders are written into a copy of the template and the copy is kept,
    so the stored file alone re-creates the package.
    """
    from app.models.store import permissions

    if book.read_only:
        raise ReadOnlyError("文件以只读方式打开，不能登记模板。")
    permissions.require("register_template", book.user.role if book.user else None)
    kept, _uses = check_template(table_id=table_id, name=name, data=data, sheet=sheet, mapping=mapping,
                                 mapping_name=mapping_name)
    with book.write("register_template") as conn:
        conn.execute("UPDATE report_templates SET active = 0 WHERE table_id = ? AND active = 1", (table_id,))
        att = store_file(conn, book, Path(name).name, kept)
        cur = conn.execute("INSERT INTO report_templates (table_id, sheet, attachment_id, active, registered_by, "
                           "registered_at) VALUES (?, ?, ?, 1, ?, ?)",
                           (table_id, sheet, att, book.user.id if book.user else None, book.stamp()))
        return int(cur.lastrowid or 0)


def unregister_template(book: Book, *, table_id: str) -> None:
    """That table goes back to the built-in layout; the template stays stored for the packages that used it."""
    if not book.conn.execute("SELECT 1 FROM report_templates WHERE table_id = ? AND active = 1", (table_id,)).fetchone():
        raise NotFound(f"{table_id} 没有登记模板", field="报表")
    with book.write("register_template") as conn:
        conn.execute("UPDATE report_templates SET active = 0 WHERE table_id = ? AND active = 1", (table_id,))


def template_list(book: Book) -> list[dict[str, Any]]:
    """One row per table (封面, 表1 … 表9): its registered template, or none (the built-in layout)."""
    defs = definitions.load()
    found = {r["table_id"]: r for r in book.conn.execute(
        "SELECT t.table_id, t.sheet, t.registered_at, a.name AS file, a.sha256, a.size, u.name AS registered_by "
        "FROM report_templates t JOIN attachments a ON a.id = t.attachment_id "
        "LEFT JOIN users u ON u.id = t.registered_by WHERE t.active = 1")}
    out = []
    for table_id, title in [(defs.cover_sheet, defs.cover.title), *((t.id, t.title) for t in defs.tables)]:
        r = found.get(table_id)
        out.append({"table": table_id, "title": title, "registered": r is not None,
                    "file": r["file"] if r else "（内置格式）", "sheet": (r["sheet"] or "（唯一的工作表）") if r else "",
                    "sha256": r["sha256"] if r else "", "size": r["size"] if r else None,
                    "registered_by": (r["registered_by"] or "") if r else "", "registered_at": r["registered_at"] if r else ""})
    return out


def template_placeholders(book: Book, *, table_id: str) -> list[template.Use]:
    """The placeholders the registered template of one table uses (empty for the built-in layout)."""
    spec = templates(book).get(table_id)
    return template.placeholders(spec) if spec else []
