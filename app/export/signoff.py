"""Signing the monthly package: the chief's sign-off renders the files, records their hashes and closes the month.

A sign-off stores the canonical data the package was rendered from and the SHA-256 of every file, so
`export` and `verify` can re-create the signed package from the same database and compare bytes.
The data (assemble, cross-checks, status) lives in app/models/reports/monthly.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app.export import manifest, signed
from app.export import region_templates as report_templates
from app.models.reports import cross_checks as xc
from app.models.reports import snapshot
from app.models.reports.monthly import (
    ProgressFn,
    _names,
    assemble,
    next_version,
    open_earlier_months,
    preview,
    signed_package,
)
from app.models.reports.package_data import PackageData, SignOff
from app.models.store import audit, backup, periods, signature, users
from app.models.store.book import Book
from app.models.values.errors import ValidationError


def write_preview(book: Book, *, month: str, out_dir: Path | str, progress: ProgressFn | None = None
                  ) -> manifest.PackageResult:
    """预览稿: the unsigned package as it stands now, with the registered templates; may be overwritten."""
    found = preview(book, month=month, progress=progress)
    if progress:
        progress(1, 2, "生成预览稿（工作簿、PDF）…")
    return manifest.write_package(found.package, out_dir, templates=report_templates.templates(book), overwrite=True,
                                  rendering_block=signed.rendering_now(book, int(month[:4])))


def _refuse_failed(checks: list, when: str) -> None:  # type: ignore[type-arg]
    failed = [c for c in checks if not c.ok]
    if failed:
        lines = "\n".join(f"第 {c.no} 条 {c.name}：{c.detail}" for c in failed)
        raise ValidationError(f"表间勾稽关系未通过{when}，不能签发：\n{lines}", field="表间勾稽")


def sign_off(book: Book, *, month: str, out_dir: Path | str, password: str | None = None, comment: str = "",
             reviewer_id: int | None = None, preparer_id: int | None = None,
             progress: ProgressFn | None = None) -> manifest.PackageResult:
    """Chief only: cross-checks must pass; records the sign-off, signs it, closes the month, writes the package.

    `password` is the chief's own: it opens the signing key. Every earlier month of the year in use must be
    signed already (see `sign_months` to sign several together). `progress` is called only before the
    transaction commits, so a cancel (an exception from it) leaves nothing.
    """
    step = progress or (lambda done, total, text: None)
    from app.models.store import permissions

    permissions.require("sign_off", book.user.role if book.user else None)
    assert book.user is not None
    periods.parse_month(month)
    _start, end = periods.bounds(book, month)
    if book.today() <= end:
        raise ValidationError(f"{month} 的统计期到 {end.isoformat()} 才结束，结束后才能签发", field="月份")
    if book.conn.execute("SELECT 1 FROM signoffs WHERE month = ? AND status = 'signed'", (month,)).fetchone():
        folder = missing_package(book, month=month, out_dir=out_dir)
        if folder is not None:
            raise PackageNotWritten(month, folder)
        raise ValidationError(f"{month} 已签发，报送包已在 {Path(out_dir)} 中；如需更正，请先重新打开该月", field="月份")
    if book.conn.execute("SELECT 1 FROM periods WHERE month = ? AND closed = 1", (month,)).fetchone():
        raise ValidationError(f"{month} 已结账，却没有现行的签发：本程序只在局长签名重新打开时把签发标为已更正，同时打开该月。"
                              "签发记录被绕过本程序改动过，请先做完整核验（fundledger verify）", field="月份")
    earlier = open_earlier_months(book, month)
    if earlier:
        raise ValidationError(f"{'、'.join(earlier)} 尚未签发：月份按顺序签发，请先签发较早的月份，或与 {month} 一并签发",
                              field="月份")
    reviewer, preparer = _names(book, reviewer_id, preparer_id)
    step(0, 5, "汇总并核对表间勾稽关系…")
    signed_at = book.now().replace(microsecond=0)
    sign = SignOff(chief=book.user.name, reviewer=reviewer, preparer=preparer, signed_at=signed_at,
                   comment=comment.strip())

    def assemble_now(conn_head: tuple[int, str], when: str) -> PackageData:
        found = assemble(book, month=month, version=next_version(book, month), audit_head=conn_head, signoff=sign)
        _refuse_failed(xc.cross_checks(found), when)  # on the data signed
        return found

    signer = users.unlock_signing_key(book, password)  # who signs before what: a wrong password or no key costs no assembling
    head = audit.head(book.conn)  # after _unlock, which may have made this chief's first key
    package = assemble_now(head, "")  # assembled once; again below only if something was written meanwhile
    step(1, 5, "签发前备份数据库…")
    if not backup.covered(book, by=backup.SIGNED):  # the month before, signed just now in `sign_months`
        backup.make(book, reason=backup.SIGN_OFF_REASON)
    with book.write("sign_off") as conn:
        step(2, 5, "生成报送包（工作簿、PDF、清单）…")
        if audit.head(conn) != head:  # written meanwhile (the first signing key, another window): again
            head = audit.head(conn)
            package = assemble_now(head, "（按签发时的数据重新核对）")
        package = dataclasses.replace(package, signing_key=signer.key.fingerprint)
        used = report_templates.template_ids(book)
        block = signed.rendering_now(book, int(month[:4]))
        specs = report_templates.templates(book, used)
        files = manifest.package_files(package, templates=specs, rendering_block=block)  # rendered once
        names = manifest.file_names(package)
        body = signature.payload(conn, signer=signer, login=book.user.login, name=book.user.name, month=month,
                                 version=package.version, signed_at=signed_at.isoformat(sep=" "),
                                 manifest_name=names["manifest"], manifest_sha256=manifest.sha256(files[names["manifest"]]),
                                 head=head)
        sig = signature.sign(body, signer)
        text = snapshot.dumps(package)
        step(3, 5, "记录签发并结账…")
        stored = {**files, signature.FILE_NAME: sig}
        cur = conn.execute(
            "INSERT INTO signoffs (month, version, status, signed_by, signed_at, comment, audit_seq, audit_hash, data, "
            "data_sha256, files, templates, signature) VALUES (?, ?, 'signed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (month, package.version, book.user.id, signed_at.isoformat(sep=" "), comment.strip(), head[0], head[1],
             text, snapshot.digest(text), json.dumps({n: manifest.sha256(d) for n, d in sorted(stored.items())},
                                                     ensure_ascii=False, sort_keys=True),
             json.dumps(used, sort_keys=True), sig.decode("utf-8")))
        signoff_id = int(cur.lastrowid or 0)
        for name, data in sorted(stored.items()):
            conn.execute("INSERT INTO signoff_files (signoff_id, name, attachment_id) VALUES (?, ?, ?)",
                         (signoff_id, name, report_templates.store_file(conn, book, name, data)))
        periods.close_month(book, month=month)
        step(4, 5, "写出报送包…")  # the last chance to cancel: nothing is committed yet
    # The backup before signing plus this sign-off (its data and files are stored in the file and written
    # out below) cover the file as it now stands: no second full copy when the file is closed next.
    backup.cover(book, backup.SIGNED)
    return manifest.write_package(package, out_dir, templates=specs, rendering_block=block,
                                  extra={signature.FILE_NAME: sig}, files=files)


def sign_months(book: Book, *, months: list[str], out_dir: Path | str, password: str | None = None,
                comment: str = "", progress: ProgressFn | None = None) -> list[manifest.PackageResult]:
    """The chief signs several months together, earliest first; the earlier open months must all be among them.

    Each month is its own sign-off (its own package and signature); if one is refused, the ones before it stay
    signed and the message says which."""
    chosen = sorted(set(months))
    if not chosen:
        raise ValidationError("请至少选择一个月份", field="月份")
    for m in chosen:
        periods.parse_month(m)
    missing = [m for m in open_earlier_months(book, chosen[-1]) if m not in chosen]
    if missing:
        raise ValidationError(f"{'、'.join(missing)} 尚未签发，也不在本次签发的月份中：月份按顺序签发", field="月份")
    done: list[manifest.PackageResult] = []
    for m in chosen:
        try:
            done.append(sign_off(book, month=m, out_dir=out_dir, password=password, comment=comment, progress=progress))
        except ValidationError as exc:
            if not done:
                raise
            raise ValidationError(f"已签发 {'、'.join(chosen[:len(done)])}；{m} 未签发：{exc}", field="月份") from exc
    return done


class PackageNotWritten(ValidationError):
    """The month was signed (committed) but its package folder was never written: the sign-off was killed
    between its commit and the files. `write_missing` writes them, byte for byte as signed."""

    def __init__(self, month: str, folder: Path) -> None:
        self.month, self.folder = month, folder
        super().__init__(
            f"{month} 已签发并结账，但报送包文件夹 {folder} 不存在（签发时程序可能在写出文件前被中断）。"
            "报送包可以按签发时保存的文件原样写出，与签发时记录的 SHA-256 逐字节一致：在窗口中确认写出，"
            f"或运行 fundledger write-package 数据库文件 --month {month} --out {folder.parent}", field="月份")


def missing_package(book: Book, *, month: str, out_dir: Path | str) -> Path | None:
    """The current signed version's folder under `out_dir` when it does not exist (else None)."""
    row, package = signed_package(book, month=month)
    folder = Path(out_dir) / manifest.file_names(package)["folder"]
    return None if folder.exists() else folder


def write_missing(book: Book, *, month: str, out_dir: Path | str, version: int | None = None) -> Path:
    """Write the signed package of `month` as it was signed (the files kept at sign-off, hashes checked)."""
    from app.export import signed

    row, _package = signed_package(book, month=month, version=version)
    return signed.save_signed(book, month=month, version=int(row["version"]), out_dir=out_dir)


def export(book: Book, *, month: str, out_dir: Path | str, version: int | None = None) -> manifest.PackageResult:
    """Re-create a signed package from the database; the caller compares it with the signed hashes."""
    row, package = signed_package(book, month=month, version=version)
    extra = {signature.FILE_NAME: row["signature"].encode("utf-8")} if row.get("signature") else None
    return manifest.write_package(package, out_dir, templates=report_templates.templates(book, json.loads(row["templates"])),
                                  rendering_block=signed.recorded_rendering(book, row, package), extra=extra)
