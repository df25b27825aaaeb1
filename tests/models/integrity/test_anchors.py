"""`verify --against`: each bad package or file gets a Chinese message naming the object, and nothing is written.

One small signed file (January, a paid payment) is made once; every test works on a copy of it and of its
package folder as sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.export import evidence, signoff
from app.models.integrity import anchors
from app.models.store import keys, signature, users
from app.models.store.book import open_book
from tests.conftest import FixedClock
from tests.reliability import crash_child as cc


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("anchors")
    path = cc.prepare(folder / "bureau.db")
    book = open_book(path)
    try:
        results = cc.pay_once_and_sign(book, ["2026-03", "2026-04", "2026-05"], folder / "sent")
    finally:
        book.close(backup=False)
    return path, results[-1].folder


@pytest.fixture
def copy(signed: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    path, package = signed
    shutil.copy2(path, tmp_path / "bureau.db")
    shutil.copytree(package, tmp_path / "sent" / package.name)
    return tmp_path / "bureau.db", tmp_path / "sent" / package.name


def against(path: Path, package: Path) -> list[str]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    ro = open_book(path, read_only=True)
    try:
        found = [str(f) for f in anchors.check_against(ro.conn, package)]
    finally:
        ro.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # nothing written
    return found


def test_an_honest_package_passes_as_folder_and_as_zip(copy: tuple[Path, Path], tmp_path: Path) -> None:
    path, package = copy
    assert against(path, package) == []
    archive = tmp_path / "sent.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(package.iterdir()):
            zf.write(f, f"{package.name}/{f.name}")
    assert against(path, archive) == []
    # Windows' 压缩文件夹 writes GBK names without the UTF-8 flag (Info-ZIP writes UTF-8 the same way)
    for encoding in ("gbk", "utf-8"):
        class Legacy(zipfile.ZipInfo):
            def _encodeFilenameFlags(self, encoding: str = encoding) -> tuple[bytes, int]:  # noqa: N802 (zipfile's)
                return self.filename.encode(encoding), self.flag_bits  # the name's bytes, no UTF-8 flag

        legacy = tmp_path / f"sent-{encoding}.zip"
        with zipfile.ZipFile(legacy, "w") as zf:
            for f in sorted(package.iterdir()):
                zf.writestr(Legacy(f"{package.name}/{f.name}"), f.read_bytes())
        with zipfile.ZipFile(legacy) as zf:
            assert not zf.infolist()[0].flag_bits & 0x800
        assert against(path, legacy) == [], encoding


@pytest.mark.parametrize("how", ["added", "removed", "changed"])
def test_a_package_folder_with_a_file_added_removed_or_changed(copy: tuple[Path, Path], how: str) -> None:
    path, package = copy
    pdf = next(package.glob("*.pdf"))
    if how == "added":
        (package / "说明.txt").write_text("后加的", encoding="utf-8")
        want = "说明.txt：manifest.json 中没有这个文件，是后来加入的"
    elif how == "removed":
        pdf.unlink()
        want = f"{pdf.name}：文件缺失"
    else:
        pdf.write_bytes(pdf.read_bytes() + b"\n")
        want = f"{pdf.name}：内容与 manifest.json 记录的 SHA-256 不符"
    found = against(path, package)
    assert found and want in found[0] and package.name in found[0], found


def test_a_manifest_whose_signature_does_not_match(copy: tuple[Path, Path]) -> None:
    path, package = copy
    man = package / "manifest.json"
    doc = json.loads(man.read_text(encoding="utf-8"))
    doc["signoff"]["comment"] = "改过的意见"
    man.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    found = against(path, package)
    assert found == [f"[签名] 报送包 {package.name}：manifest.json：清单与签名不符：清单在签名之后被改动过"], found


def test_a_signature_document_edited(copy: tuple[Path, Path]) -> None:
    path, package = copy
    sig = package / signature.FILE_NAME
    doc = json.loads(sig.read_text(encoding="utf-8"))
    doc["audit_head"]["seq"] -= 1
    sig.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    found = against(path, package)
    assert found and "签名与其内容不符" in found[0] and signature.FILE_NAME in found[0], found


def test_a_signature_by_a_key_the_file_does_not_know(copy: tuple[Path, Path]) -> None:
    """The package re-signed with an outsider's key (its fingerprint written into the manifest to match)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path, package = copy
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    man_path = package / "manifest.json"
    man = json.loads(man_path.read_text(encoding="utf-8"))
    man["signing_key"]["fingerprint"] = keys.fingerprint(public)
    man_bytes = (json.dumps(man, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode()
    man_path.write_bytes(man_bytes)
    doc = json.loads((package / signature.FILE_NAME).read_text(encoding="utf-8"))
    doc.update(public_key=public.hex(), fingerprint=keys.fingerprint(public))
    doc["manifest"]["sha256"] = hashlib.sha256(man_bytes).hexdigest()
    doc["signature"] = private.sign(signature.signed_bytes(doc)).hex()
    (package / signature.FILE_NAME).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    found = against(path, package)
    assert any(f.startswith(f"[签名密钥] 报送包 {package.name}：报送包由密钥") and "本文件中没有这个密钥" in f
               for f in found), found


def test_a_rehashed_chain_names_the_first_range(copy: tuple[Path, Path]) -> None:
    from tests.reliability.test_insider import recompute_chain

    path, package = copy
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER audit_log_no_update")
    target = raw.execute("SELECT min(seq) FROM audit_log WHERE tbl = 'payments'").fetchone()[0]
    raw.execute("UPDATE audit_log SET at = '2026-05-06 08:00:00.000' WHERE seq = ?", (target,))
    recompute_chain(raw)
    raw.commit()
    raw.close()
    found = against(path, package)
    chain = [f for f in found if f.startswith("[审计链]")]
    assert chain, found
    step = signature.checkpoint_step(10**3)
    lo = (target - 1) // step * step + 1
    assert chain[0].startswith(f"[审计链] 审计记录 #{lo}–#{lo + step - 1}："), (target, chain)


def test_a_user_row_inserted_without_the_program(copy: tuple[Path, Path]) -> None:
    """Inserted with an audit record placed before the package's head and the chain recomputed: the users
    the package signed name it. Inserted plainly, verify's row check names it."""
    from tests.reliability.test_insider import recompute_chain

    path, package = copy
    plain = path.with_name("plain.db")
    shutil.copy2(path, plain)
    raw = sqlite3.connect(plain)
    raw.execute("INSERT INTO users (login, name, role, pw_hash, created_at) VALUES ('ghost', '某', 'chief', 'x', '2026-06-04')")
    raw.commit()
    raw.close()
    ro = open_book(plain, read_only=True)
    try:
        found = [str(f) for f in evidence.verify(ro).findings]
        assert any("users / " in f and "未经本程序封存" in f for f in found), found
    finally:
        ro.close()

    raw = sqlite3.connect(path)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    cur = raw.execute("INSERT INTO users (login, name, role, pw_hash, created_at) VALUES "
                      "('ghost', '某', 'chief', 'x', '2026-05-01')")
    uid = cur.lastrowid
    after = raw.execute("SELECT json_object('id', id, 'login', login, 'name', name, 'role', role, 'section', section, "
                        "'pw_hash', pw_hash, 'active', active, 'created_at', created_at) FROM users WHERE id = ?",
                        (uid,)).fetchone()[0]
    # slip its audit record in early: shift every later record up by one
    seq = raw.execute("SELECT min(seq) FROM audit_log WHERE tbl = 'payments'").fetchone()[0]
    raw.execute("UPDATE audit_log SET seq = -seq - 1 WHERE seq >= ?", (seq,))
    raw.execute("UPDATE audit_log SET seq = -seq WHERE seq < 0")
    raw.execute("INSERT INTO audit_log (seq, at, actor, op, tbl, row_key, action, before, after) VALUES "
                "(?, '2026-05-01 09:00:00.000', 'chief#1', 'add_user', 'users', ?, 'I', NULL, ?)", (seq, str(uid), after))
    recompute_chain(raw)
    raw.commit()
    raw.close()
    found = against(path, package)
    assert any(f.startswith(f"[用户] 报送包 {package.name}：用户 ghost（局长）在签发时并不存在") for f in found), found


def test_an_anchor_from_another_county(copy: tuple[Path, Path], tmp_path: Path) -> None:
    path, package = copy
    other = tmp_path / "other.db"
    shutil.copy2(path, other)
    raw = sqlite3.connect(other)
    raw.execute("DROP TRIGGER fl_audit_bureau_u")
    raw.execute("UPDATE bureau SET name = '另一个县财政局', region_code = '659902'")
    raw.commit()
    raw.close()
    found = against(other, package)
    assert found == [f"[报送包] 报送包 {package.name}：属于 崩溃测试县财政局（区划代码 659901），"
                     "不是本文件的单位 另一个县财政局（659902）：不能作为本文件的锚点"], found


def test_a_package_signed_by_another_program_version(copy: tuple[Path, Path]) -> None:
    path, package = copy
    sig = package / signature.FILE_NAME
    doc = json.loads(sig.read_text(encoding="utf-8"))
    doc["format"] = 2
    doc["program"]["version"] = "9.0.0"
    sig.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    found = against(path, package)
    assert len(found) == 1 and "由其他版本的程序（FundLedger 9.0.0）签发" in found[0] and "不表示被篡改" in found[0], found


def test_cli_verify_against_exit_codes(copy: tuple[Path, Path], tmp_path: Path) -> None:
    path, package = copy
    run = [sys.executable, "-m", "app", "verify", str(path), "--against", str(package), str(tmp_path / "nowhere")]
    out = subprocess.run(run, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[3])
    assert out.returncode == 1
    assert f"与报送包 {package.name} 核对" in out.stdout and "nowhere" in out.stdout and "不存在" in out.stdout


def test_password_change_keeps_the_key_and_a_reset_makes_a_new_one_that_verify_reports(copy: tuple[Path, Path],
                                                                                        tmp_path: Path) -> None:
    path, _package = copy
    book = open_book(path)
    try:
        book.clock = FixedClock(dt.datetime(2026, 6, 10, 9, 0))
        users.login(book, "chief", cc.PASSWORD)
        first = keys.active_key(book.conn, 1)
        assert first is not None
        users.change_own_password(book, old=cc.PASSWORD, new="new-pass-22")
        assert keys.active_key(book.conn, 1) == first  # same key, sealed again
        assert keys.unlock(book.conn, user_id=1, password="new-pass-22").key == first
        users.add_user(book, login="chief2", name="局长乙", role="chief", password="chief2-pass")
        second_chief = book.conn.execute("SELECT id FROM users WHERE login = 'chief2'").fetchone()[0]
        users.login(book, "chief2", "chief2-pass")
        users.reset_password(book, user_id=1, password="reset-pass-3")
        after = keys.active_key(book.conn, 1)
        assert after is not None and after.fingerprint != first.fingerprint and "重置" in after.reason
        assert second_chief
        users.login(book, "chief", "reset-pass-3")
        book.clock = FixedClock(dt.datetime(2026, 7, 2, 9, 0))
        signoff.sign_off(book, month="2026-06", out_dir=tmp_path / "out", password="reset-pass-3")
    finally:
        book.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        report = evidence.verify(ro)
    finally:
        ro.close()
    notes = [str(n) for n in report.notes]
    assert any("签名密钥改变" in n and "重置" in n and "2026-06" in n for n in notes), notes
    assert not [f for f in report.findings if f.check in ("签名", "签名密钥", "签发锚点", "用户")], report.findings


def test_a_signature_removed_from_the_file_is_named(copy: tuple[Path, Path]) -> None:
    path, _package = copy
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER fl_audit_signoffs_u")
    raw.execute("UPDATE signoffs SET signature = ''")
    raw.commit()
    raw.close()
    ro = open_book(path, read_only=True)
    try:
        found = [str(f) for f in evidence.verify(ro).findings if f.check == "签名"]
    finally:
        ro.close()
    assert found and found[0].startswith("[签名] 2026-03 第 1 版签发记录：没有签名"), found


def test_against_takes_a_folder_of_packages_or_an_unexpanded_wildcard(copy: tuple[Path, Path], tmp_path: Path) -> None:
    _path, package = copy
    (package.parent / "说明.txt").write_text("不是报送包", encoding="utf-8")
    with zipfile.ZipFile(package.parent / "另一份.zip", "w") as zf:
        zf.writestr("manifest.json", "{}")
    want = [package.parent / "另一份.zip", package]
    assert anchors.expand(package.parent) == sorted(want)
    assert anchors.expand(Path(f"{package.parent}/*.zip")) == [package.parent / "另一份.zip"]  # cmd.exe passes it as is
    assert anchors.expand(package) == [package]
    assert anchors.expand(tmp_path / "nowhere") == [tmp_path / "nowhere"]  # named as missing by check_against


def test_a_new_signer_is_told(copy: tuple[Path, Path], tmp_path: Path) -> None:
    path, _package = copy
    book = open_book(path)
    try:
        book.clock = FixedClock(dt.datetime(2026, 7, 2, 9, 0))
        users.login(book, "chief", cc.PASSWORD)
        users.add_user(book, login="chief2", name="局长乙", role="chief", password="chief2-pass")
        users.login(book, "chief2", "chief2-pass")
        signoff.sign_off(book, month="2026-06", out_dir=tmp_path / "out", password="chief2-pass")
    finally:
        book.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        report = evidence.verify(ro)
    finally:
        ro.close()
    notes = [str(n) for n in report.notes]
    assert any("2026-06" in n and "签发人第一次是 chief2" in n and "此前的月份由 chief 签发" in n for n in notes), notes
