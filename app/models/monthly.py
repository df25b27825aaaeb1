"""The monthly package: assemble, cross-check, sign off (which closes the month), reopen, re-create.

A sign-off stores the canonical data the package was rendered from and the SHA-256 of every file, so
`export` and `verify` can re-create the signed package from the same database and compare bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..export import cross_checks as xc
from ..export import definitions, manifest, template
from ..export.package_data import PackageData, SignOff, WarningRecord
from ..export.template import TemplateSpec
from . import audit, backup, db, periods, report_data, snapshot, users
from .audit import Finding
from .book import Book
from .errors import AppError, NotFound, ReadOnlyError, ValidationError

ProgressFn = Callable[[int, int, str], None]  # (done, total, text); may raise to cancel


@dataclass(frozen=True)
class Preview:
    package: PackageData
    checks: list[xc.CheckResult]

    @property
    def ok(self) -> bool:
        return xc.all_passed(self.checks)


def _bureau(book: Book) -> sqlite3.Row:
    return book.conn.execute("SELECT name, level FROM bureau WHERE id = 1").fetchone()


def _names(book: Book, reviewer_id: int | None, preparer_id: int | None) -> tuple[str, str]:
    def name_of(user_id: int | None, roles: tuple[str, ...], field: str) -> str:
        if user_id is None:
            row = book.conn.execute(
                f"SELECT name FROM users WHERE active = 1 AND role IN ({','.join('?' * len(roles))}) ORDER BY id LIMIT 1",
                roles).fetchone()
            return str(row[0]) if row else ""
        user = users.get(book, user_id)
        if user.role not in roles:
            raise ValidationError(f"{user.name} 的角色是{user.role_name}，不能作为{field}", field=field)
        return user.name

    return name_of(reviewer_id, ("reviewer",), "审核人"), name_of(preparer_id, ("clerk",), "填表人")


@contextmanager
def worker_book(book: Book) -> Iterator[Book]:
    """The same file and user on a connection of its own, for work run off the GUI thread.

    Two threads sharing one connection share its transaction: a write the window makes meanwhile (the
    dashboard storing warnings) would land inside a sign-off, or break it. With two connections SQLite
    makes one wait. Holds no file lock (the window's Book does); a read-only book is used as it is.
    """
    if book.read_only:
        yield book
        return
    own = Book(book.path, db.connect(book.path), read_only=False)
    own.user, own.clock = book.user, book.clock
    try:
        yield own
    finally:
        own.close(backup=False)


def next_version(book: Book, month: str) -> int:
    row = book.conn.execute("SELECT coalesce(max(version), 0) FROM signoffs WHERE month = ?", (month,)).fetchone()
    return int(row[0]) + 1


def assemble(book: Book, *, month: str, version: int | None = None, signoff: SignOff | None = None,
             audit_head: tuple[int, str] | None = None, progress: ProgressFn | None = None) -> PackageData:
    """Every table's rows for the month, read from the data as it stands now."""
    periods.parse_month(month)
    p = report_data.Period(book, month)
    bureau = _bureau(book)
    sources = report_data.all_sources()
    rows = {}
    for n, (name, source) in enumerate(sources.items()):
        if progress:
            progress(n, len(sources) + 1, f"汇总 {month} 的数据（{n + 1}/{len(sources)}）…")
        rows[name] = source(book, p)
    from . import warnings_query

    warnings = [WarningRecord(int(w["id"]), str(w["code"]), _as_date(w["detected_on"]))
                for w in warnings_query.counted(book, month=month)]
    return PackageData(
        bureau=bureau["name"], month=month, period_start=p.start, period_end=p.end,
        version=version or next_version(book, month), rows=rows, bureau_level=bureau["level"],
        signoff=signoff or SignOff(), warnings=warnings, audit_head=audit_head,
        fixed_time=None if signoff and signoff.signed_at else dt.datetime.combine(p.end, dt.time(0, 0)),
    )


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def preview(book: Book, *, month: str, progress: ProgressFn | None = None) -> Preview:
    """What the chief looks at before signing: the package and the seven cross-checks."""
    package = assemble(book, month=month, progress=progress)
    if progress:
        progress(len(report_data.all_sources()), len(report_data.all_sources()) + 1, "核对表间勾稽关系…")
    return Preview(package, xc.cross_checks(package))


def write_preview(book: Book, *, month: str, out_dir: Path | str, progress: ProgressFn | None = None
                  ) -> manifest.PackageResult:
    """预览稿: the unsigned package as it stands now, with the registered templates; may be overwritten."""
    found = preview(book, month=month, progress=progress)
    if progress:
        progress(1, 2, "生成预览稿（工作簿、PDF）…")
    return manifest.write_package(found.package, out_dir, templates=templates(book), overwrite=True)


def status(book: Book, *, month: str, today: dt.date | None = None) -> str:
    """未编制 (period not over) / 待签发 / 已签发 / 逾期 — against the rule set's due date."""
    year, mon = periods.parse_month(month)
    today = today or book.today()
    signed = book.conn.execute("SELECT 1 FROM signoffs WHERE month = ? AND status = 'signed'", (month,)).fetchone()
    if signed:
        return "已签发"
    _start, end = periods.bounds(book, month)
    if today <= end:
        return "未编制"
    due = book.rules.reporting.due_date(year, mon, str(_bureau(book)["level"]))
    return "逾期" if today > due else "待签发"


def months(book: Book, *, year: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    today = today or book.today()
    out = []
    for mon in range(1, 13):
        month = f"{year:04d}-{mon:02d}"
        start, end = periods.bounds(book, month)
        if start > today:
            break
        row = book.conn.execute(
            "SELECT version, signed_at, (SELECT name FROM users WHERE id = signed_by) FROM signoffs "
            "WHERE month = ? AND status = 'signed'", (month,)).fetchone()
        out.append({"month": month, "start": start.isoformat(), "end": end.isoformat(),
                    "due": book.rules.reporting.due_date(year, mon, str(_bureau(book)["level"])).isoformat(),
                    "status": status(book, month=month, today=today), "version": row[0] if row else None,
                    "signed_at": row[1] if row else "", "signed_by": row[2] if row else ""})
    return out


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
    from . import permissions

    if book.read_only:
        raise ReadOnlyError("文件以只读方式打开，不能登记模板。")
    permissions.require("register_template", book.user.role if book.user else None)
    kept, _uses = check_template(table_id=table_id, name=name, data=data, sheet=sheet, mapping=mapping,
                                 mapping_name=mapping_name)
    with book.write("register_template") as conn:
        conn.execute("UPDATE report_templates SET active = 0 WHERE table_id = ? AND active = 1", (table_id,))
        att = _store_file(conn, book, Path(name).name, kept)
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


def set_annual_plan(book: Book, *, year: int, item: str, amount: int) -> None:
    """年度计划数 of one fund item (表1)."""
    if not 2000 <= int(year) <= 2100:
        raise ValidationError("应在 2000～2100 之间", field="年度")
    if amount < 0:
        raise ValidationError("不能为负数", field="年度计划数")
    if not book.conn.execute("SELECT 1 FROM fund_items WHERE code = ?", (item,)).fetchone():
        raise ValidationError(f"资金项目 {item} 不存在", field="资金项目")
    with book.write("set_annual_plan") as conn:
        conn.execute("INSERT INTO annual_plans (year, item, amount) VALUES (?, ?, ?) "
                     "ON CONFLICT (year, item) DO UPDATE SET amount = excluded.amount", (year, item, amount))


def _store_file(conn: sqlite3.Connection, book: Book, name: str, data: bytes) -> int:
    mime = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf",
            "json": "application/json"}.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    cur = conn.execute("INSERT INTO attachments (name, mime, size, sha256, data, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (name, mime, len(data), hashlib.sha256(data).hexdigest(), data, book.stamp()))
    return int(cur.lastrowid or 0)


def sign_off(book: Book, *, month: str, out_dir: Path | str, comment: str = "", reviewer_id: int | None = None,
             preparer_id: int | None = None, progress: ProgressFn | None = None) -> manifest.PackageResult:
    """Chief only: cross-checks must pass; records the sign-off, closes the month, writes the package.

    `progress` is called only before the transaction commits, so a cancel (an exception from it) leaves nothing.
    """
    step = progress or (lambda done, total, text: None)
    from . import permissions

    permissions.require("sign_off", book.user.role if book.user else None)
    assert book.user is not None
    periods.parse_month(month)
    _start, end = periods.bounds(book, month)
    if book.today() <= end:
        raise ValidationError(f"{month} 的统计期到 {end.isoformat()} 才结束，结束后才能签发", field="月份")
    if book.conn.execute("SELECT 1 FROM signoffs WHERE month = ? AND status = 'signed'", (month,)).fetchone():
        raise ValidationError(f"{month} 已签发；如需更正，请先重新打开该月", field="月份")
    reviewer, preparer = _names(book, reviewer_id, preparer_id)
    step(0, 5, "核对表间勾稽关系…")
    found = preview(book, month=month)
    failed = [c for c in found.checks if not c.ok]
    if failed:
        lines = "\n".join(f"第 {c.no} 条 {c.name}：{c.detail}" for c in failed)
        raise ValidationError(f"表间勾稽关系未通过，不能签发：\n{lines}", field="表间勾稽")
    step(1, 5, "签发前备份数据库…")
    backup.make(book, reason="签发前")
    signed_at = book.now().replace(microsecond=0)
    with book.write("sign_off") as conn:
        step(2, 5, "生成报送包（工作簿、PDF、清单）…")
        head = audit.head(conn)
        package = assemble(book, month=month, version=next_version(book, month), audit_head=head,
                           signoff=SignOff(chief=book.user.name, reviewer=reviewer, preparer=preparer,
                                           signed_at=signed_at, comment=comment.strip()))
        used = template_ids(book)
        files = manifest.package_files(package, templates=templates(book, used))
        text = snapshot.dumps(package)
        step(3, 5, "记录签发并结账…")
        cur = conn.execute(
            "INSERT INTO signoffs (month, version, status, signed_by, signed_at, comment, audit_seq, audit_hash, data, "
            "data_sha256, files, templates) VALUES (?, ?, 'signed', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (month, package.version, book.user.id, signed_at.isoformat(sep=" "), comment.strip(), head[0], head[1],
             text, snapshot.digest(text), json.dumps({n: manifest.sha256(d) for n, d in sorted(files.items())},
                                                     ensure_ascii=False, sort_keys=True),
             json.dumps(used, sort_keys=True)))
        signoff_id = int(cur.lastrowid or 0)
        for name, data in sorted(files.items()):
            conn.execute("INSERT INTO signoff_files (signoff_id, name, attachment_id) VALUES (?, ?, ?)",
                         (signoff_id, name, _store_file(conn, book, name, data)))
        periods.close_month(book, month=month)
        step(4, 5, "写出报送包…")  # the last chance to cancel: nothing is committed yet
    return manifest.write_package(package, out_dir, templates=templates(book, used))


def reopen(book: Book, *, month: str, reason: str) -> None:
    """Chief only, with a reason: the month opens again and the signed version is kept as superseded."""
    periods.parse_month(month)
    if len((reason or "").strip()) < 5:
        raise ValidationError("请写明重新打开的理由（至少 5 个字）", field="理由")
    with book.write("reopen_month") as conn:
        row = conn.execute("SELECT id FROM signoffs WHERE month = ? AND status = 'signed'", (month,)).fetchone()
        if row is None:
            raise ValidationError(f"{month} 没有已签发的报送包", field="月份")
        periods.reopen_month(book, month=month, reason=reason)
        conn.execute("UPDATE signoffs SET status = 'superseded', reopened_at = ?, reopened_by = ?, reopen_reason = ? "
                     "WHERE id = ?", (book.stamp(), book.user.id if book.user else None, reason.strip(), row[0]))


def signoffs(book: Book, *, month: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT s.id, s.month, s.version, s.status, s.signed_at, u.name AS signed_by, s.comment, s.audit_seq, "
           "s.audit_hash, s.files, s.reopened_at, s.reopen_reason FROM signoffs s JOIN users u ON u.id = s.signed_by")
    args: tuple[Any, ...] = ()
    if month:
        sql += " WHERE s.month = ?"
        args = (month,)
    return [dict(r) | {"files": json.loads(r["files"])} for r in book.conn.execute(sql + " ORDER BY s.month, s.version", args)]


def signed_package(book: Book, *, month: str, version: int | None = None) -> tuple[dict[str, Any], PackageData]:
    sql = "SELECT * FROM signoffs WHERE month = ?"
    args: tuple[Any, ...] = (month,)
    if version is None:
        sql += " ORDER BY version DESC LIMIT 1"
    else:
        sql += " AND version = ?"
        args = (month, version)
    row = book.conn.execute(sql, args).fetchone()
    if row is None:
        raise NotFound(f"{month} 没有签发记录" + (f"（第 {version} 版）" if version else ""), field="月份")
    if snapshot.digest(row["data"]) != row["data_sha256"]:
        raise AppError(f"{month} 第 {row['version']} 版的签发数据与其哈希不符，被改动过")
    return dict(row), snapshot.loads(row["data"])


def export(book: Book, *, month: str, out_dir: Path | str, version: int | None = None) -> manifest.PackageResult:
    """Re-create a signed package from the database; the caller compares it with the signed hashes."""
    row, package = signed_package(book, month=month, version=version)
    return manifest.write_package(package, out_dir, templates=templates(book, json.loads(row["templates"])))


def recreate_mismatches(book: Book, signoff: dict[str, Any]) -> list[str]:
    """File names whose re-created bytes differ from the hashes recorded at sign-off."""
    row, package = signed_package(book, month=signoff["month"], version=signoff["version"])
    recorded: dict[str, str] = json.loads(row["files"])
    files = manifest.package_files(package, templates=templates(book, json.loads(row["templates"])))
    return [name for name, digest in sorted(recorded.items())
            if name not in files or manifest.sha256(files[name]) != digest]


def check_signed(book: Book) -> Iterator[Finding]:
    """verify: every signed package's data is untouched and re-creates the files it recorded."""
    for s in book.conn.execute("SELECT id, month, version FROM signoffs ORDER BY month, version").fetchall():
        where = f"{s['month']} 第 {s['version']} 版报送包"
        try:
            bad = recreate_mismatches(book, {"month": s["month"], "version": s["version"]})
        except AppError as exc:
            yield Finding("报送包", where, str(exc))
            return
        if bad:
            yield Finding("报送包", where, f"重新生成的 {'、'.join(bad)} 与签发时记录的哈希不一致")
            return


# -- the auditor: what was sent, and whether the database still re-creates it ---------------------------


@dataclass(frozen=True)
class FileCheck:
    """One file of a signed package: the SHA-256 recorded at sign-off and the one re-created now."""

    name: str
    recorded: str  # "" when the file was not part of the signed package
    recreated: str | None  # None when re-creation did not produce this file

    @property
    def same(self) -> bool:
        return bool(self.recorded) and self.recorded == self.recreated


def recreate_compare(book: Book, *, month: str, version: int, out_dir: Path | str,
                     progress: ProgressFn | None = None) -> tuple[Path, list[FileCheck]]:
    """Re-create one signed version into `out_dir` and compare each file's SHA-256 with the recorded one."""
    step = progress or (lambda done, total, text: None)
    step(0, 3, f"读取 {month} 第 {version} 版的签发数据…")
    row, package = signed_package(book, month=month, version=version)
    recorded: dict[str, str] = json.loads(row["files"])
    specs = templates(book, json.loads(row["templates"]))
    step(1, 3, "重新生成工作簿、PDF 和清单…")
    result = manifest.write_package(package, out_dir, templates=specs, overwrite=True)
    step(2, 3, "比对 SHA-256…")
    names = sorted(set(recorded) | set(result.hashes))
    return result.folder, [FileCheck(n, recorded.get(n, ""), result.hashes.get(n)) for n in names]


def signed_files(book: Book, *, month: str, version: int) -> dict[str, bytes]:
    """The files exactly as they were sent, kept in the database at sign-off."""
    row, _package = signed_package(book, month=month, version=version)
    return {r["name"]: bytes(r["data"]) for r in book.conn.execute(
        "SELECT f.name, a.data FROM signoff_files f JOIN attachments a ON a.id = f.attachment_id "
        "WHERE f.signoff_id = ? ORDER BY f.name", (row["id"],))}


def save_signed(book: Book, *, month: str, version: int, out_dir: Path | str) -> Path:
    """Write the signed files of one version to `<out_dir>/<bureau>_<YYYY-MM>_v<N>/`, after checking their hashes.

    Reads only: works on a file opened read-only.
    """
    row, package = signed_package(book, month=month, version=version)
    recorded: dict[str, str] = json.loads(row["files"])
    files = signed_files(book, month=month, version=version)
    bad = [n for n, digest in sorted(recorded.items()) if n not in files or manifest.sha256(files[n]) != digest]
    if bad:
        raise AppError(f"{month} 第 {version} 版保存的 {'、'.join(bad)} 与签发时记录的哈希不符，被改动过；未导出")
    folder = Path(out_dir) / manifest.file_names(package)["folder"]
    if folder.exists():
        raise AppError(f"文件夹已存在：{folder}。请换一个导出位置。")
    staging = folder.with_name(f".{folder.name}.tmp")
    try:
        staging.mkdir(parents=True)
        for name, data in files.items():
            (staging / name).write_bytes(data)
        staging.rename(folder)
    except OSError as exc:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise AppError(f"无法写入 {folder}（{exc}）") from exc
    return folder
