"""Bad packages, each refused with a Chinese message naming the file and the reason, and nothing stored. Each
attack is the one that beats the naive check: a package re-signed by a key of its own (valid, but not the
registered one), a workbook edited and properly re-signed with a formula in it, a zip entry climbing out, a bomb."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook

from app.models.prefecture import receive
from app.models.prefecture.source import Refused
from app.models.store import keys, setup, signature, users
from app.models.store.book import Book, open_book
from tests.conftest import FixedClock
from tests.models.prefecture.conftest import PASSWORD, counts, package


def _copy(work: Path, county: str, tmp: Path, version: int = 1) -> Path:
    dest = tmp / "in" / package(work, county, version).name
    shutil.copytree(package(work, county, version), dest)
    return dest


def _county_signer(work: Path, county: str) -> keys.Signer:
    book = open_book(work / "县" / f"{county}.db", read_only=True)
    try:
        uid = book.conn.execute("SELECT id FROM users WHERE login = 'juzhang'").fetchone()[0]
        return keys.unlock(book.conn, user_id=int(uid), password=PASSWORD)
    finally:
        book.close(backup=False)


def _resign(folder: Path, signer: keys.Signer, *, manifest: Callable[[dict[str, Any]], None] | None = None,
            body: Callable[[dict[str, Any]], None] | None = None) -> None:
    """What a county (or whoever holds a key) does to make an edited folder consistent again: new hashes in the
    manifest, the manifest's hash in 签名.json, signed."""
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for f in man["files"]:
        data = (folder / f["name"]).read_bytes()
        f["sha256"], f["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    if manifest:
        manifest(man)
    text = (json.dumps(man, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode()
    (folder / "manifest.json").write_bytes(text)
    doc = json.loads((folder / signature.FILE_NAME).read_text(encoding="utf-8"))
    doc.pop("signature")
    doc["manifest"]["sha256"] = hashlib.sha256(text).hexdigest()
    if body:
        body(doc)
    (folder / signature.FILE_NAME).write_bytes(signature.sign(doc, signer))


def _edit_cell(folder: Path, sheet: str, coordinate: str, value: object) -> None:
    path = next(folder.glob("*.xlsx"))
    wb = load_workbook(path)
    wb[sheet][coordinate] = value
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())


def _refused(book: Book, path: Path, *needles: str) -> str:
    before = counts(book)
    with pytest.raises(Refused) as exc:
        receive.receive(book, path)
    message = str(exc.value)
    for n in needles:
        assert n in message, message
    assert counts(book) == before, "a refusal stored something"
    return message


def test_changed_missing_and_extra_files(pref: Book, work: Path, tmp_path: Path) -> None:
    folder = _copy(work, "甲县", tmp_path)
    pdf = next(folder.glob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"%")
    _refused(pref, folder, pdf.name, "SHA-256")
    shutil.rmtree(folder)
    folder = _copy(work, "甲县", tmp_path)
    next(folder.glob("*.pdf")).unlink()
    _refused(pref, folder, ".pdf", "文件缺失")
    shutil.rmtree(folder)
    folder = _copy(work, "甲县", tmp_path)
    (folder / "说明.txt").write_text("补充说明", encoding="utf-8")
    _refused(pref, folder, "说明.txt", "签发之后加入")


def test_signature_edited_or_manifest_edited_after_signing(pref: Book, work: Path, tmp_path: Path) -> None:
    folder = _copy(work, "甲县", tmp_path)
    doc = json.loads((folder / signature.FILE_NAME).read_text(encoding="utf-8"))
    doc["month"] = "2026-08"  # the signature no longer covers the text
    (folder / signature.FILE_NAME).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _refused(pref, folder, signature.FILE_NAME, "签名与其内容不符")
    shutil.rmtree(folder)
    folder = _copy(work, "甲县", tmp_path)
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    man["signoff"]["comment"] = "同意"
    (folder / "manifest.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
    _refused(pref, folder, "manifest.json", "清单与签名不符")
    shutil.rmtree(folder)
    folder = _copy(work, "甲县", tmp_path)
    (folder / signature.FILE_NAME).unlink()
    _refused(pref, folder, signature.FILE_NAME, "没有局长签名")


def test_a_valid_signature_by_a_key_not_registered_is_refused(pref: Book, work: Path, tmp_path: Path) -> None:
    """Naive: check that the signature is valid under the key it names. The forger names his own key."""
    folder = _copy(work, "甲县", tmp_path)
    _edit_cell(folder, "表3", "B8", 999)
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    fp = keys.fingerprint(raw)
    forged = keys.Signer(keys.KeyInfo(0, 0, keys.ALGORITHM, raw.hex(), fp, "", "", None, ""), private)

    def own_key(doc: dict[str, Any]) -> None:
        doc["public_key"], doc["fingerprint"] = raw.hex(), fp

    _resign(folder, forged, manifest=lambda m: m["signing_key"].update(fingerprint=fp), body=own_key)
    _refused(pref, folder, signature.FILE_NAME, "不是本单位为 甲县 登记的")


def test_unregistered_county_and_unended_month(work: Path, tmp_path: Path) -> None:
    other = setup.create(tmp_path / "另一地区.db", bureau_name="另一地区财政局", region_code="659800", level="prefecture",
                         chief_login="juzhang", chief_name="局长", chief_password=PASSWORD,
                         clock=FixedClock(dt.datetime(2026, 11, 2, 9)))
    try:
        users.add_user(other, login="jingban", name="经办", role="clerk", password=PASSWORD, section="预算科")
        users.login(other, "jingban", PASSWORD)
        _refused(other, package(work, "甲县"), "659911", "不是本单位登记的下级单位")
    finally:
        other.close(backup=False)
    book = open_book(work / "示例地区.db")
    try:
        users.login(book, "jingban", PASSWORD)
        book.clock = FixedClock(dt.datetime(2026, 9, 30, 18))  # type: ignore[method-assign]
        folder = _copy(work, "甲县", tmp_path)
        _refused(book, folder, "2026-09", "尚未结束")
    finally:
        book.close(backup=False)


def test_newer_program_or_other_report_definitions(pref: Book, work: Path, tmp_path: Path) -> None:
    signer = _county_signer(work, "甲县")
    folder = _copy(work, "甲县", tmp_path)
    _resign(folder, signer, body=lambda d: d["program"].update(version="9.0.0"))
    _refused(pref, folder, "较新版本", "9.0.0")
    shutil.rmtree(folder)
    folder = _copy(work, "甲县", tmp_path)
    _resign(folder, signer, manifest=lambda m: m["report"].update(version="2021.1"))
    _refused(pref, folder, "报表定义", "2021.1")


def test_same_county_month_version_with_other_bytes(pref: Book, work: Path, tmp_path: Path) -> None:
    """Properly signed by the county's own key, and still a second 'version 1': refused."""
    folder = _copy(work, "甲县", tmp_path)
    _edit_cell(folder, "表9", "A1", "表9　扶贫资金使用存在问题及整改情况表（改）")
    _resign(folder, _county_signer(work, "甲县"))
    _refused(pref, folder, "甲县", "同一县、同一月、同一版本")


def test_a_formula_in_the_workbook_is_refused(pref: Book, work: Path, tmp_path: Path) -> None:
    """A formula's cached value is whatever the last program saved: the county's own re-signed workbook with a
    formula where an amount stood is refused, not read through its cache."""
    folder = _copy(work, "乙县", tmp_path)
    wb = load_workbook(next(folder.glob("*.xlsx")))
    ws = wb["表3"]
    target = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, int | float) and c.value > 1000)
    _edit_cell(folder, "表3", target.coordinate, f"={target.value}+0")
    _resign(folder, _county_signer(work, "乙县"), manifest=lambda m: m.update(version=2),
            body=lambda d: d.update(version=2))
    _refused(pref, folder, target.coordinate, "公式")


def _zip(path: Path, entries: list[tuple[str, bytes]], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def test_zip_packages(pref: Book, work: Path, tmp_path: Path) -> None:
    folder = package(work, "甲县")
    good = [(f"{folder.name}/{p.name}", p.read_bytes()) for p in sorted(folder.iterdir())]
    assert not receive.receive(pref, _zip(tmp_path / "甲县.zip", good)).new  # the same package, zipped
    _refused(pref, _zip(tmp_path / "逃逸.zip", [*good, ("../../逃逸.txt", b"x")]), "逃逸.zip", "..")
    _refused(pref, _zip(tmp_path / "绝对.zip", [*good, ("/tmp/x.txt", b"x")]), "绝对.zip", "绝对路径")
    _refused(pref, _zip(tmp_path / "链接.zip", good, symlink=f"{folder.name}/链接"), "链接.zip", "符号链接")
    bomb = [*good[:-1], (good[-1][0], b"\0" * (60 * 1024 * 1024))]
    _refused(pref, _zip(tmp_path / "炸弹.zip", bomb), "炸弹.zip", "压缩炸弹")


def test_folder_with_a_symlink(pref: Book, work: Path, tmp_path: Path) -> None:
    folder = _copy(work, "甲县", tmp_path)
    os.symlink("/etc/passwd", folder / "passwd")
    _refused(pref, folder, "passwd", "符号链接")


def test_a_total_typed_in_by_hand_fails_check_0(pref: Book, work: Path, tmp_path: Path) -> None:
    """The county edits a 合计 in Excel and signs again: the package is its own, so it is received, but the check
    that every 合计 equals its rows fails, and consolidation leaves it out (it re-adds rows, never copies 合计)."""
    from app.models.prefecture import consolidate

    folder = _copy(work, "甲县", tmp_path)
    wb = load_workbook(next(folder.glob("*.xlsx")))
    ws = wb["表3"]
    total = next(row for row in ws.iter_rows() if row[0].value == "合计")
    _edit_cell(folder, "表3", total[7].coordinate, float(total[7].value) + 10_000)  # 期末结余 合计（第 8 列）
    _resign(folder, _county_signer(work, "甲县"), manifest=lambda m: m.update(version=2),
            body=lambda d: d.update(version=2))
    got = receive.receive(pref, folder)
    assert got.new and not got.checks_ok
    assert got.failed[0].startswith("第 0 条") and "表3 合计行 期末结余" in got.failed[0]
    chosen, left = consolidate.choose(pref, "2026-09")
    assert "甲县" not in {p["county"] for p in chosen} and any(n == "甲县" and "勾稽" in why for n, why in left)


def test_a_history_rewritten_between_two_packages_is_seen(pref: Book, work: Path, tmp_path: Path) -> None:
    """Each package anchors the ones before it: a county that rewrote its audit chain (here: the checkpoint the
    rewritten chain would carry, signed with the county's own key) fails check 8 against the package received
    earlier, though every file and the signature are in order."""
    folder = _copy(work, "丙县", tmp_path, version=2)

    def rewritten(doc: dict[str, Any]) -> None:
        doc["version"] = 3
        doc["checkpoints"]["hashes"][0] = "0" * 16

    _resign(folder, _county_signer(work, "丙县"), manifest=lambda m: m.update(version=3), body=rewritten)
    got = receive.receive(pref, folder)
    assert got.new and not got.checks_ok
    assert any(f.startswith("第 8 条") and "#16" in f and "改写" in f for f in got.failed), got.failed
