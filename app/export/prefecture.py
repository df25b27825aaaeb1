"""The prefecture's (or region's) own package for the level above: the consolidated nine tables, the review
opinions and the list of county packages (hashes, chain heads), signed by its chief — the same folder, manifest and
签名.json as a county package, so the level above receives it with the same `receive`.

The data it was rendered from is kept (forwarded_reports), so `verify` re-creates it byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.export import manifest, pdf, workbook
from app.models.prefecture import consolidate as consolidation
from app.models.prefecture import receipts, tables
from app.models.reports import snapshot
from app.models.reports.package_data import PackageData, SignOff
from app.models.store import audit, keys, periods, permissions, signature, users
from app.models.store.audit import Finding
from app.models.store.book import Book
from app.models.values.errors import AppError, FileError, ValidationError

LOWER_FILE = "下级报送包清单.json"


def lower_list(c: consolidation.Consolidation, book: Book) -> list[dict[str, Any]]:
    """Every package of the month received from below, whether consolidated or not, with opinion and hashes."""
    from app.models.prefecture import receive

    included = {int(p["id"]) for p in c.included}
    out = []
    for p in receive.packages(book, month=c.month):
        files = {str(r[0]): str(r[1]) for r in book.conn.execute(
            "SELECT name, sha256 FROM received_files WHERE package_id = ? ORDER BY name", (p["id"],))}
        out.append({
            "bureau": p["county"], "region_code": p["code"], "version": p["version"], "digest": p["digest"],
            "files": files, "signed_at": p["signed_at"], "received_at": p["received_at"],
            "fingerprint": p["fingerprint"], "chain_head": {"seq": p["audit_seq"], "hash": p["audit_hash"]},
            "result": receipts.result_of(p), "consolidated": int(p["id"]) in included,
            "opinion": p["opinion"], "return_reason": p["return_reason"],
        })
    return out


def _files(package: PackageData, c_defs: Any, lower: list[dict[str, Any]], left_out: list[list[str]]
           ) -> dict[str, bytes]:
    names = manifest.file_names(package, c_defs)
    doc = {"month": package.month, "version": package.version, "packages": lower, "left_out": left_out}
    files = {
        names["workbook"]: workbook.workbook_bytes(package, defs=c_defs),
        names["pdf"]: pdf.pdf_bytes(package, defs=c_defs),
        LOWER_FILE: (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8"),
    }
    files[names["manifest"]] = manifest.manifest_bytes(package, files, defs=c_defs)
    return files


def forward(book: Book, *, month: str, out_dir: Path | str, password: str, comment: str = "") -> Path:
    """The chief signs this bureau's package of `month` (a new version each time: 更正版 after a correction
    below) and writes its folder; returns the folder. Refused when no county's package can be consolidated."""
    permissions.require("forward_report", book.user.role if book.user else None)
    assert book.user is not None
    level = str(book.conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()[0])
    c = consolidation.consolidate(book, month)
    if not c.included:
        raise ValidationError(f"{month} 没有可以汇总的下级报送包（都未报送、已退回或勾稽未通过），不能签发", field="月份")
    signer = users.unlock_signing_key(book, password)
    start, end = periods.bounds(book, month)
    if book.today() <= end:
        raise ValidationError(f"{month} 的统计期到 {end.isoformat()} 才结束，结束后才能签发", field="月份")
    bureau = signature.bureau_of(book.conn)
    signed_at = book.now().replace(microsecond=0)
    lower = lower_list(c, book)
    left = [[name, why] for name, why in c.left_out]
    with book.write("forward_report") as conn:
        version = int(conn.execute("SELECT coalesce(max(version), 0) + 1 FROM forwarded_reports WHERE month = ?",
                                   (month,)).fetchone()[0])
        head = audit.head(conn)
        package = PackageData(bureau=bureau["name"], month=month, period_start=start, period_end=end, version=version,
                              rows=c.rows, bureau_level=level,  # type: ignore[arg-type]
                              signoff=SignOff(chief=book.user.name, signed_at=signed_at, comment=comment.strip()),
                              audit_head=head, signing_key=signer.key.fingerprint)
        files = _files(package, c.defs, lower, left)
        names = manifest.file_names(package, c.defs)
        body = signature.payload(conn, signer=signer, login=book.user.login, name=book.user.name, month=month,
                                 version=version, signed_at=signed_at.isoformat(sep=" "),
                                 manifest_name=names["manifest"], manifest_sha256=manifest.sha256(files[names["manifest"]]),
                                 head=head)
        files[signature.FILE_NAME] = signature.sign(body, signer)
        data = json.dumps({"package": snapshot.dumps(package), "lower": lower, "left_out": left, "lower_level": c.level},
                          ensure_ascii=False, sort_keys=True)
        conn.execute(
            "INSERT INTO forwarded_reports (month, version, signed_by, signed_at, audit_seq, audit_hash, data, "
            "data_sha256, files, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (month, version, book.user.id, signed_at.isoformat(sep=" "), head[0], head[1], data,
             hashlib.sha256(data.encode("utf-8")).hexdigest(),
             json.dumps({n: manifest.sha256(d) for n, d in sorted(files.items())}, ensure_ascii=False, sort_keys=True),
             files[signature.FILE_NAME].decode("utf-8")))
    return write_folder(Path(out_dir) / names["folder"], files)


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    """The folder whole or not at all (a temp folder renamed at the end)."""
    if folder.exists():
        raise AppError(f"报送包文件夹已存在：{folder}。每个版本只生成一次；如需重新生成，请换一个输出目录。")
    staging = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name, data in files.items():
            with open(staging / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        staging.rename(folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise FileError(f"无法写入报送包（{exc}），未留下不完整的文件夹。") from exc
    return folder


def recreate(book: Book, *, month: str, version: int | None = None) -> tuple[dict[str, bytes], dict[str, str]]:
    """(files re-created from the stored data, hashes recorded at signing) of a forwarded package."""
    sql = "SELECT * FROM forwarded_reports WHERE month = ?" + (" AND version = ?" if version else "") + \
        " ORDER BY version DESC LIMIT 1"
    row = book.conn.execute(sql, (month, version) if version else (month,)).fetchone()
    if row is None:
        raise ValidationError(f"{month} 没有已签发的汇总报送包", field="月份")
    data = json.loads(row["data"])
    package = snapshot.loads(data["package"])
    c_defs = tables.consolidated_defs(str(data["lower_level"]))
    files = _files(package, c_defs, data["lower"], data["left_out"])
    files[signature.FILE_NAME] = str(row["signature"]).encode("utf-8")
    return files, json.loads(row["files"])


def export(book: Book, *, month: str, out_dir: Path | str, version: int | None = None) -> Path:
    files, recorded = recreate(book, month=month, version=version)
    if {n: manifest.sha256(d) for n, d in files.items()} != recorded:
        raise AppError(f"{month} 的汇总报送包不能按记录的数据重新生成同样的文件：文件被改动过，请运行“完整核验”")
    package = snapshot.loads(json.loads(book.conn.execute(
        "SELECT data FROM forwarded_reports WHERE month = ? AND version = ?",
        (month, int(json.loads(files["manifest.json"])["version"]))).fetchone()[0])["package"])
    return write_folder(Path(out_dir) / manifest.file_names(package)["folder"], files)


def check_forwarded(book: Book) -> Iterator[Finding]:
    """verify: every forwarded package re-creates byte for byte and its signature holds."""
    for row in book.conn.execute("SELECT month, version, data, data_sha256, files, signature FROM forwarded_reports "
                                 "ORDER BY month, version").fetchall():
        where = f"{row['month']} 第 {row['version']} 版汇总报送包"
        if hashlib.sha256(str(row["data"]).encode("utf-8")).hexdigest() != row["data_sha256"]:
            yield Finding("汇总报送包", where, "记录的数据与其哈希不符：签发后被改动过")
            continue
        try:
            files, recorded = recreate(book, month=row["month"], version=int(row["version"]))
        except (AppError, ValueError, KeyError) as exc:
            yield Finding("汇总报送包", where, f"无法重新生成（{exc}）")
            continue
        for name in sorted(set(files) | set(recorded)):
            if name not in files or name not in recorded or manifest.sha256(files[name]) != recorded[name]:
                yield Finding("汇总报送包", f"{where}：{name}", "按记录的数据重新生成的文件与签发时的哈希不同")
                break
        try:
            doc = signature.parse(files[signature.FILE_NAME], where=where)
        except AppError as exc:
            yield Finding("汇总报送包", where, str(exc))
            continue
        if not doc.valid() or doc.doc["manifest"].get("sha256") != manifest.sha256(files.get("manifest.json", b"")):
            yield Finding("汇总报送包", where, "签名与清单或其内容不符")
        elif keys.by_fingerprint(book.conn, doc.fingerprint) is None:
            yield Finding("汇总报送包", where, f"签名密钥 {keys.show(doc.fingerprint)} 不是本文件登记的密钥")
