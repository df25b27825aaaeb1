"""The insider who holds the prefecture's file (attack review round 6, 2026-12-07): the receiving record is the
program's account of what a county sent, and the consolidation and the report forwarded upward read it — not the
kept bytes. Written with plain sqlite3 and sealed onto the chain as the program seals, three forgeries passed both
verifies: a county's figures changed in the read-out tables (their hash recomputed), a failed and returned package
made to look passed, and a "received" package no county chief signed. Verify now re-checks every received package
from its kept bytes (signature and whose key made it, the workbook read again, the cross-checks run again), and
names any change to a receiving record other than the review's."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from app.export import evidence
from app.models.integrity import incremental
from app.models.prefecture import consolidate, invariants
from app.models.prefecture.receive import digest_of_hashes
from app.models.reports import monthly
from app.models.store import audit, keys, signature, users
from app.models.store.book import open_book
from tests.models.prefecture.conftest import PASSWORD


@pytest.fixture
def pref_file(work: Path) -> Path:
    """The demo prefecture's file with an anchor recorded by the program (the clerk, as the window does)."""
    path = work / "示例地区.db"
    book = open_book(path)
    try:
        users.login(book, "jingban", PASSWORD)
        assert incremental.record(book, mode="full", head=audit.head(book.conn)) is not None
    finally:
        book.close(backup=False)
    return path


def forge(path: Path, op: str, *statements: tuple[str, tuple[object, ...]]) -> None:
    """`statements` with every trigger on (they write the honest audit records), sealed onto the chain head."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        actor = raw.execute("SELECT actor FROM audit_log WHERE actor IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()[0]
        head = audit.head(raw)[0]
        raw.execute("BEGIN")
        raw.execute("UPDATE audit_context SET at = '2026-11-20 10:00:00.000', actor = ?, op = ? WHERE id = 1", (actor, op))
        for sql, args in statements:
            raw.execute(sql, args)
        raw.execute("UPDATE audit_context SET at = NULL, actor = NULL, op = NULL WHERE id = 1")
        audit.seal(raw, head)
        raw.execute("COMMIT")
    finally:
        raw.close()


def findings(path: Path) -> tuple[list[str], list[str]]:
    ro = open_book(path, read_only=True)
    try:
        full = [str(f) for f in evidence.verify(ro).findings]
        report = incremental.run(ro)
        assert report is not None
        return full, [str(f) for f in report.findings]
    finally:
        ro.close()


def named(path: Path, *words: str) -> None:
    full, since = findings(path)
    for found in (full, since):
        assert any(all(w in f for w in words) for f in found), (words, found)


def _package(path: Path, county: str, version: int = 1) -> sqlite3.Row:
    raw = sqlite3.connect(path)
    raw.row_factory = sqlite3.Row
    try:
        return raw.execute("SELECT p.* FROM received_packages p JOIN counties c ON c.id = p.county_id "
                           "WHERE c.name = ? AND p.month = '2026-09' AND p.version = ?", (county, version)).fetchone()
    finally:
        raw.close()


def test_the_honest_prefecture_file_passes_and_verifies_against_the_report_it_sent_upward(pref_file: Path,
                                                                                          work: Path) -> None:
    """No false alarm: the demo has a package that failed and was returned, one corrected, reviews and a report
    forwarded upward. `verify --against` the package it sent up looked only among the county's sign-offs."""
    full, since = findings(pref_file)
    assert full == [] and since == [], (full, since)
    sent = next((work / "上报").iterdir())
    ro = open_book(pref_file, read_only=True)
    try:
        report = evidence.verify(ro, against=[sent])
    finally:
        ro.close()
    assert report.ok, [str(f) for f in report.findings]


def test_a_countys_figures_changed_in_the_receiving_record_are_named(pref_file: Path) -> None:
    p = _package(pref_file, "甲县")
    read = json.loads(p["tables"])
    text = json.dumps(read, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert text == p["tables"]
    first = next(iter(read.values()))["rows"][0]
    first["values"] = {k: v + 40_000_000 if isinstance(v, int) and not isinstance(v, bool) else v
                       for k, v in first["values"].items()}
    forged = json.dumps(read, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert forged != text
    forge(pref_file, "review_package", ("UPDATE received_packages SET tables = ?, tables_sha256 = ? WHERE id = ?",
                                        (forged, hashlib.sha256(forged.encode()).hexdigest(), p["id"])))
    named(pref_file, "[接收的报送包]", f"接收记录 #{p['id']}", "重新读出的报表与接收记录中的不同")
    named(pref_file, "[接收的报送包]", "改动了接收时写定的列（tables_sha256）")


def test_a_failed_returned_package_made_to_look_passed_is_named(pref_file: Path) -> None:
    p = _package(pref_file, "丁县")
    assert not p["checks_ok"] and p["returned"]
    ro = open_book(pref_file, read_only=True)
    try:
        before = [c["county"] for c in consolidate.choose(ro, "2026-09")[0]]
    finally:
        ro.close()
    assert "丁县" not in before
    passed = [dict(c, ok=True) for c in json.loads(p["checks"])]
    forge(pref_file, "review_package", (
        "UPDATE received_packages SET checks_ok = 1, checks = ?, returned = 0, return_reason = '', "
        "returned_by = NULL, returned_at = NULL WHERE id = ?", (json.dumps(passed, ensure_ascii=False), p["id"])))
    named(pref_file, "[接收的报送包]", f"接收记录 #{p['id']}", "核对结果与按保存的文件重新核对的不同")


def test_a_returned_package_only_unreturned_is_named(pref_file: Path) -> None:
    """The review columns may change, but a return is never undone by the program."""
    p = _package(pref_file, "丁县")
    forge(pref_file, "review_package", ("UPDATE received_packages SET returned = 0 WHERE id = ?", (p["id"],)))
    named(pref_file, "[接收的报送包]", "把已退回的报送包改回未退回")


def test_a_package_no_chief_signed_for_that_county_is_named(pref_file: Path) -> None:
    """乙县's signed bytes stored as "甲县 2026-09 v9": every file is a real signed one, the signature is valid, but
    it was made for another county (and an invented version) — receiving it would have been refused."""
    yi, jia = _package(pref_file, "乙县"), _package(pref_file, "甲县")
    raw = sqlite3.connect(pref_file)
    try:
        files = [(str(n), str(h)) for n, h in raw.execute("SELECT name, sha256 FROM received_files WHERE package_id = ?",
                                                          (yi["id"],))]
        new_id = raw.execute("SELECT max(id) + 1 FROM received_packages").fetchone()[0]
        columns = [r[1] for r in raw.execute("PRAGMA table_info(received_packages)") if r[1] != "id"]
    finally:
        raw.close()
    # one file more, so that the package's digest is not 乙县's (digests are unique)
    note = "甲县补报说明".encode()
    files.append(("说明.txt", hashlib.sha256(note).hexdigest()))
    values = {c: yi[c] for c in columns} | {"county_id": jia["county_id"], "version": 9,
                                            "digest": digest_of_hashes(dict(files))}
    statements: list[tuple[str, tuple[object, ...]]] = [
        ("INSERT INTO package_blobs (sha256, size, data) VALUES (?, ?, ?)", (files[-1][1], len(note), note)),
        (f"INSERT INTO received_packages (id, {', '.join(columns)}) VALUES (?, {', '.join('?' * len(columns))})",
         (new_id, *values.values()))]
    statements += [("INSERT INTO received_files (package_id, name, sha256) VALUES (?, ?, ?)", (new_id, n, h))
                   for n, h in files]
    forge(pref_file, "receive_package", *statements)
    named(pref_file, "[接收的报送包]", f"接收记录 #{new_id}", "签名文件所签的单位、月份或版本与接收记录不同")


# -- attack review round 7 -------------------------------------------------------------------------------------
def _recheck_row(path: Path, county: str, **changed: object) -> str | object:
    raw = sqlite3.connect(path)
    raw.row_factory = sqlite3.Row
    try:
        p = raw.execute(
            "SELECT p.id, p.county_id, c.name, c.code, c.fingerprint AS registered, p.month, p.version, p.level, "
            "p.report_version, p.fingerprint, p.checks_ok, p.checks, p.tables FROM received_packages p "
            "JOIN counties c ON c.id = p.county_id WHERE c.name = ? AND p.version = 1", (county,)).fetchone()
        files = {str(n): bytes(d) for n, d in raw.execute(
            "SELECT f.name, b.data FROM received_files f JOIN package_blobs b ON b.sha256 = f.sha256 "
            "WHERE f.package_id = ?", (p["id"],))}
        return invariants.recheck(raw, dict(p) | changed, files, "prefecture")  # type: ignore[arg-type]
    finally:
        raw.close()


def test_a_row_that_names_another_level_does_not_skip_the_re_read(pref_file: Path) -> None:
    """The report definitions were chosen by the row's `level`: another level has other definitions, so the
    re-read was skipped with a Note (and a level no program knows stopped verify with an error). Both levels and the
    definitions' version now come from the signed manifest; a row that disagrees is named."""
    assert _recheck_row(pref_file, "甲县") is None
    for level in ("prefecture", "x"):
        found = _recheck_row(pref_file, "甲县", level=level)
        assert isinstance(found, str) and "发送方级次" in found, found
    found = _recheck_row(pref_file, "甲县", report_version="xj-2019-monthly 1.0")
    assert isinstance(found, str) and "报表定义版本" in found, found


def test_tables_changed_with_the_trigger_set_aside_are_named_by_the_incremental_verify(pref_file: Path) -> None:
    """No audit record: the incremental verify re-checked only the packages written since the anchor, and the read-out
    tables' hash was a full-verify check. The hash is now checked for every package, each time."""
    p = _package(pref_file, "甲县")
    raw = sqlite3.connect(pref_file, isolation_level=None)
    try:
        sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'fl_audit_received_packages_u'").fetchone()[0]
        raw.execute("BEGIN")
        raw.execute("DROP TRIGGER fl_audit_received_packages_u")
        raw.execute("UPDATE received_packages SET tables = replace(tables, ?, ?) WHERE id = ?",
                    ('"cum_central":', '"cum_central":1', p["id"]))
        assert raw.execute("SELECT tables FROM received_packages WHERE id = ?", (p["id"],)).fetchone()[0] != p["tables"]
        raw.execute(sql)
        raw.execute("COMMIT")
    finally:
        raw.close()
    named(pref_file, "[接收的报送包]", f"接收记录 #{p['id']}", "与接收时记录的哈希不符")


def _new_county(path: Path, before_entry: Callable[[object], None] | None = None) -> tuple[object, object]:
    """A county file of its own (甲县's code, one indicator registered in September), the chief logged in."""
    from app.demo.common import DemoClock, as_user
    from app.models.ledger import indicators
    from app.models.store import setup

    clock = DemoClock(dt.datetime(2026, 9, 1, 9))
    cb = setup.create(path, bureau_name="甲县财政局", region_code="659911", level="county", chief_login="juzhang",
                      chief_name="甲县局长", chief_password=PASSWORD, clock=clock)
    users.add_user(cb, login="jingban", name="经办", role="clerk", password=PASSWORD, section="扶贫资金管理股")
    if before_entry is not None:
        before_entry(cb)
    as_user(cb, "jingban")
    clock.set(dt.datetime(2026, 9, 8, 10))
    indicators.register(cb, doc_no="新财农〔2026〕11号", year=2026, kind="ZX", item="ZX01", source_level="central",
                        amount=9_400_000_00, received_date=dt.date(2026, 9, 8), upper_doc_date=dt.date(2026, 9, 1),
                        prefecture_doc_date=dt.date(2026, 9, 4), func_code="2130505", section="扶贫资金管理股",
                        title="2026年第三批中央财政专项扶贫资金")
    as_user(cb, "juzhang")
    return cb, clock


@pytest.mark.parametrize("detour", [False, True], ids=["back", "by-a-third-key"])
def test_a_package_received_under_a_key_registered_for_the_moment_is_named(pref_file: Path, tmp_path: Path,
                                                                          detour: bool,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The insider makes a county file of their own (甲县's code, the figures they want, their own chief key), signs
    "2026-09 v2", registers that key for 甲县 in the prefecture's file, receives the package and registers 甲县's
    real key again. Rounds 7-9 (2026-12-07): every key the register ever held was accepted, then only told of in a
    Note, because the register was written without a password. Since schema 29 a registration is the chief's
    signed statement: the insider, who has sqlite3 and no password, can write the register's row but no statement,
    so the program refuses the package; received anyway (the program's receiving run with its check taken out,
    which writes exactly what sqlite3 could), both verifies name the package and every unsigned change."""
    from app.demo import prefecture as dp
    from app.demo.common import as_user
    from app.models.prefecture import counties, receive

    cb, clock = _new_county(tmp_path / "假甲县.db")
    clock.set(dt.datetime(2026, 11, 20, 10))
    (tmp_path / "包").mkdir()
    folder = dp.sign(cb, tmp_path / "包")
    fake = dp.fingerprint(cb).replace(" ", "").lower()
    # "version 2" (甲县 v1 is already here): the insider's own key signs whatever it is given
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    man["version"] = 2
    text = (json.dumps(man, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode()
    (folder / "manifest.json").write_bytes(text)
    body = json.loads((folder / signature.FILE_NAME).read_text(encoding="utf-8"))
    body["manifest"]["sha256"], body["version"] = hashlib.sha256(text).hexdigest(), 2
    assert cb.user is not None
    signer = keys.unlock(cb.conn, user_id=cb.user.id, password=PASSWORD)
    (folder / signature.FILE_NAME).write_bytes(signature.sign({k: v for k, v in body.items() if k != "signature"},
                                                              signer))
    folder = folder.rename(folder.with_name("甲县财政局_2026-09_v2"))
    cb.close(backup=False)

    raw = sqlite3.connect(pref_file)
    jia_id, real = raw.execute("SELECT id, fingerprint FROM counties WHERE name = '甲县'").fetchone()
    raw.close()
    set_key = "UPDATE counties SET fingerprint = ?, confirmed_at = '2026-11-20 10:00:00' WHERE id = ?"
    forge(pref_file, "register_county_key", (set_key, (fake, jia_id)))  # no password: no statement
    book = open_book(pref_file)
    try:
        as_user(book, "jingban")
        with pytest.raises(receive.Refused, match="没有有效的局长签名登记"):
            receive.receive(book, folder)
        with monkeypatch.context() as m:  # the insider's own receiving, which skips the statement
            m.setattr(counties, "registration_problem", lambda *_a: "")
            receive.receive(book, folder)
    finally:
        book.close(backup=False)
    if detour:  # round 9: by way of a third key (A, X, Y, A)
        forge(pref_file, "register_county_key", (set_key, ("cd" * 16, jia_id)))
    forge(pref_file, "register_county_key", (set_key, (real, jia_id)))
    full, since = findings(pref_file)
    for found in (full, since):
        assert any("甲县 2026-09 第 2 版" in f and "不是接收时局长为该单位签名登记的密钥" in f for f in found), found
        unsigned = [f for f in found if "没有局长的签名" in f]
        assert len(unsigned) == (3 if detour else 2), found


def test_the_chiefs_signed_key_changes_raise_nothing(pref_file: Path) -> None:
    """Rounds 8 and 9 (the register unsigned then): keys changed and changed back (A, X, Y, A), and 乙县's late
    package under its earlier key (A, B, A, B), were told in Notes or false alarms. Each change now is the chief's
    signed statement, made with the chief's password: none of it is in question, and nothing is said."""
    from app.models.prefecture import counties

    book = open_book(pref_file)
    try:
        users.login(book, "juzhang", PASSWORD)
        jia = next(c for c in counties.list_counties(book) if c.name == "甲县")
        for fp in ("ab" * 16, "cd" * 16, jia.fingerprint):
            counties.confirm_fingerprint(book, jia.id, fingerprint=fp, password=PASSWORD)
        yi = next(c for c in counties.list_counties(book) if c.name == "乙县")
        for fp in ("ab" * 16, yi.fingerprint, "ef" * 16):
            counties.confirm_fingerprint(book, yi.id, fingerprint=fp, password=PASSWORD)
    finally:
        book.close(backup=False)
    full, since = findings(pref_file)
    assert full == [] and since == [], (full, since)
    ro = open_book(pref_file, read_only=True)
    try:
        notes = [str(n) for n in evidence.verify(ro).notes if "[接收的报送包]" in str(n) or "密钥登记" in str(n)]
    finally:
        ro.close()
    assert notes == [], notes


def test_an_old_statement_copied_back_is_named(pref_file: Path) -> None:
    """The chief registered 乙县's new key B (signed). The insider wants A back without a password: the row is
    easy, and the chief's statement for A is in the file — copied into a new row it is a valid signature still.
    It names the chain head of its first registration, so it is not the one for this change, and it is a copy;
    the program will not receive under A either."""
    from app.models.prefecture import counties

    book = open_book(pref_file)
    try:
        users.login(book, "juzhang", PASSWORD)
        yi = next(c for c in counties.list_counties(book) if c.name == "乙县")
        counties.confirm_fingerprint(book, yi.id, fingerprint="ab" * 16, password=PASSWORD)
    finally:
        book.close(backup=False)
    assert findings(pref_file) == ([], [])
    forge(pref_file, "register_county_key",
          ("UPDATE counties SET fingerprint = ? WHERE id = ?", (yi.fingerprint, yi.id)),
          ("INSERT INTO county_key_registrations (county_id, fingerprint, registered_by, registered_at, audit_seq, "
           "audit_hash, statement) SELECT county_id, fingerprint, registered_by, registered_at, audit_seq, audit_hash, "
           "statement FROM county_key_registrations WHERE county_id = ? ORDER BY id LIMIT 1", (yi.id,)))
    named(pref_file, "[下级单位的密钥登记]", "是同一份签名")
    named(pref_file, "[下级单位的密钥登记]", "没有局长的签名")
    book = open_book(pref_file, read_only=True)
    try:
        assert counties.registration_problem(book, counties.get(book, yi.id)) != ""
    finally:
        book.close(backup=False)


def test_a_statement_changed_is_named(pref_file: Path) -> None:
    """A statement's fingerprint edited (row and text, sealed) breaks its signature, and the add-only table
    records a change the program never makes."""
    raw = sqlite3.connect(pref_file)
    raw.row_factory = sqlite3.Row
    first = raw.execute("SELECT * FROM county_key_registrations ORDER BY id LIMIT 1").fetchone()
    raw.close()
    doc = json.loads(first["statement"])
    doc["county_fingerprint"] = "ab" * 16
    forge(pref_file, "register_county_key",
          ("UPDATE county_key_registrations SET fingerprint = ?, statement = ? WHERE id = ?",
           ("ab" * 16, json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")), first["id"])))
    named(pref_file, "[下级单位的密钥登记]", "签名与其内容不符")
    named(pref_file, "[接收的报送包]", "修改了")


def _insider_chief(book: object, login: str) -> tuple[int, keys.Signer]:
    """A chief user and key of the insider's making: what sqlite3 and the source write, no password asked."""
    with book.write("add_user", system=True) as conn:  # type: ignore[attr-defined]
        uid = users.insert_user(conn, login=login, name="副局长", role="chief", password="insider-password", section="",
                                now="2026-11-20 09:00:00")
    return uid, keys.unlock(book.conn, user_id=uid, password="insider-password")  # type: ignore[attr-defined]


def _register_with(book: object, uid: int, signer: keys.Signer, county: str, fp: str) -> None:
    """The insider's chief (`uid`, logged in as by whoever holds the file) registers `fp` for `county`: the row and
    a statement signed with the insider's key, as the program writes them."""
    from app.demo.common import as_user
    from app.models.prefecture import counties, registrations

    login = str(book.conn.execute("SELECT login FROM users WHERE id = ?", (uid,)).fetchone()[0])  # type: ignore[attr-defined]
    as_user(book, login)  # type: ignore[arg-type]
    c = next(x for x in counties.list_counties(book) if x.name == county)  # type: ignore[arg-type]
    with book.write("register_county_key", system=True) as conn:  # type: ignore[attr-defined]
        conn.execute("UPDATE counties SET fingerprint = ? WHERE id = ?", (fp, c.id))
        registrations.record(conn, signer=signer, user_id=uid, login=login, name="副局长", county_id=c.id,
                             fingerprint=fp, at="2026-11-20 10:00:00")


def test_a_chief_of_the_insiders_making_is_told_even_with_a_report_of_its_own(pref_file: Path, tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack review round 10 (F1 D): the insider writes a deputy chief with a key of their own making, signs a
    registration with it and — so that the key "signed a report sent upward" — a forwarded report that never left.
    The first rule trusted any valid signature in the file to vouch for its own key: no Note at all. A key is
    vouched for now only from the file's first key on, by the users list of a report signed with a key already
    vouched for; the insider's own report vouches for nothing."""
    from app.export import prefecture as forwarding

    book = open_book(pref_file)
    try:
        uid, signer = _insider_chief(book, "fuju")
        _register_with(book, uid, signer, "甲县", "ab" * 16)
        monkeypatch.setattr(forwarding.users, "unlock_signing_key", lambda *_a, **_k: signer)
        forwarding.forward(book, month="2026-09", out_dir=tmp_path, password="-")  # signed by fuju, never sent
    finally:
        book.close(backup=False)
    full, since = findings(pref_file)
    assert full == [] and since == [], (full, since)  # the file alone cannot tell: a Note, not a Finding
    ro = open_book(pref_file, read_only=True)
    try:
        notes = [str(n) for n in evidence.verify(ro).notes if "[下级单位的密钥登记]" in str(n)]
    finally:
        ro.close()
    assert any(keys.show(signer.key.fingerprint) in n and "不是文件建立时的局长密钥" in n for n in notes), notes


def test_a_retired_chief_key_made_active_again_is_named(pref_file: Path) -> None:
    """Attack review round 10 (F1 B): a "password reset" of the real chief written with sqlite3 gives the insider a
    chief key; after using it they retire it and make the real chief's key active again, so the chief's password
    still opens it and he notices nothing. The program never brings a retired key back."""
    raw = sqlite3.connect(pref_file)
    real = raw.execute("SELECT id FROM signing_keys WHERE user_id = 1 AND retired_at IS NULL").fetchone()[0]
    raw.close()
    book = open_book(pref_file)
    try:
        with book.write("reset_password", system=True) as conn:
            fake = keys.create_key(conn, user_id=1, password="insider-password", now="2026-11-20 09:00:00", reason="重置")
        with book.write("reset_password", system=True) as conn:
            conn.execute("UPDATE signing_keys SET retired_at = '2026-11-20 10:10:00' WHERE id = ?", (fake.id,))
            conn.execute("UPDATE signing_keys SET retired_at = NULL, retire_reason = '' WHERE id = ?", (real,))
    finally:
        book.close(backup=False)
    named(pref_file, "[签名密钥]", "已停用的签名密钥被重新启用")


def test_a_statement_signed_in_a_copy_of_the_file_is_named(pref_file: Path, tmp_path: Path) -> None:
    """Attack review round 10 (C1): the chief signs a registration in a copy of the file (a practice copy, a backup
    that went its own way); the insider carries the statement into the real file, which has moved on. It names a
    chain head of the shared history and is a copy of nothing in this file — but what follows that head here is
    not this registration."""
    import shutil

    from app.models.prefecture import counties

    copy = tmp_path / "副本.db"
    shutil.copy(pref_file, copy)
    book = open_book(pref_file)  # the real file moves on
    try:
        users.login(book, "jingban", PASSWORD)
        counties.add_county(book, code="659916", name="己县")
    finally:
        book.close(backup=False)
    book = open_book(copy)
    try:
        users.login(book, "juzhang", PASSWORD)
        jia = next(c for c in counties.list_counties(book) if c.name == "甲县")
        counties.confirm_fingerprint(book, jia.id, fingerprint="ab" * 16, password=PASSWORD)
        row = book.conn.execute("SELECT * FROM county_key_registrations ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        book.close(backup=False)
    forge(pref_file, "register_county_key",
          ("UPDATE counties SET fingerprint = ? WHERE id = ?", ("ab" * 16, jia.id)),
          ("INSERT INTO county_key_registrations (county_id, fingerprint, registered_by, registered_at, audit_seq, "
           "audit_hash, statement) VALUES (?, ?, ?, ?, ?, ?, ?)",
           (row["county_id"], row["fingerprint"], row["registered_by"], row["registered_at"], row["audit_seq"],
            row["audit_hash"], row["statement"])))
    named(pref_file, "[下级单位的密钥登记]", "签名不是在这次登记中写的")
    named(pref_file, "[下级单位的密钥登记]", "没有局长的签名")


def test_a_fingerprint_cleared_or_the_table_dropped_is_named(pref_file: Path, tmp_path: Path) -> None:
    """Attack review round 10 (D1 clear-fp, L2): a registered fingerprint cleared without a signature (the program
    never clears one); and the statements' table dropped with its audit-list row, which made every check that
    skips an absent table (one an older file does not have yet) fall back to the rules for older files."""
    import shutil

    raw = sqlite3.connect(pref_file)
    jia_id = raw.execute("SELECT id FROM counties WHERE name = '甲县'").fetchone()[0]
    raw.close()
    dropped = tmp_path / "dropped.db"
    shutil.copy(pref_file, dropped)
    forge(pref_file, "register_county_key", ("UPDATE counties SET fingerprint = '' WHERE id = ?", (jia_id,)))
    named(pref_file, "[下级单位的密钥登记]", "清除了登记的签名密钥指纹")
    raw = sqlite3.connect(dropped, isolation_level=None)
    try:
        raw.execute("DROP TABLE county_key_registrations")
        raw.execute("DELETE FROM tracked_tables WHERE name = 'county_key_registrations'")
    finally:
        raw.close()
    named(dropped, "[架构步骤]", "表 county_key_registrations", "表被删除过")


def test_a_package_that_failed_check_8_is_no_reference_for_the_next(pref_file: Path) -> None:
    """Attack review round 8: a forged package stored as failing 第 8 条 stayed a reference, so every later genuine
    package of that county failed it too and dropped out of the consolidation. Only packages that passed it count."""
    from app.models.prefecture import receive

    p = _package(pref_file, "甲县")
    raw = sqlite3.connect(pref_file, isolation_level=None)
    raw.row_factory = sqlite3.Row
    try:
        sig = bytes(raw.execute("SELECT b.data FROM received_files f JOIN package_blobs b ON b.sha256 = f.sha256 "
                                "WHERE f.package_id = ? AND f.name = ?", (p["id"], signature.FILE_NAME)).fetchone()[0])
        genuine = signature.parse(sig, where="测试")
        doc = json.loads(sig)
        marks = doc["checkpoints"]["hashes"]
        assert marks, "the demo's packages carry checkpoints"
        doc["checkpoints"]["hashes"] = ["0" * 64] + marks[1:]
        forged = json.dumps(doc).encode()
        digest = hashlib.sha256(forged).hexdigest()
        columns = [r[1] for r in raw.execute("PRAGMA table_info(received_packages)") if r[1] != "id"]
        values = {c: p[c] for c in columns} | {"version": 9, "digest": "f" * 64, "checks_ok": 0,
                                               "checks": json.dumps([{"no": 8, "name": "审计链", "ok": False,
                                                                      "detail": "不同"}])}
        raw.execute("BEGIN")
        raw.execute("INSERT INTO package_blobs (sha256, size, data) VALUES (?, ?, ?)", (digest, len(forged), forged))
        cur = raw.execute(f"INSERT INTO received_packages ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                          tuple(values.values()))
        raw.execute("INSERT INTO received_files (package_id, name, sha256) VALUES (?, ?, ?)",
                    (cur.lastrowid, signature.FILE_NAME, digest))
        result = receive.chain_continuity(raw, int(p["county_id"]), genuine)
        raw.execute("ROLLBACK")
    finally:
        raw.close()
    assert result.ok, result


def _register_as(path: Path, login: str, password: str, county: str, fp: str) -> None:
    from app.models.prefecture import counties

    book = open_book(path)
    try:
        users.login(book, login, password)
        c = next(x for x in counties.list_counties(book) if x.name == county)
        counties.confirm_fingerprint(book, c.id, fingerprint=fp, password=password)
    finally:
        book.close(backup=False)


def _key_notes(path: Path) -> list[str]:
    ro = open_book(path, read_only=True)
    try:
        return [str(n) for n in evidence.verify(ro).notes if "[下级单位的密钥登记]" in str(n)]
    finally:
        ro.close()


def test_a_new_chief_key_endorsed_by_the_chief_who_made_it_is_vouched_for(pref_file: Path) -> None:
    """An honest deputy chief added by the chief, and a chief's password reset by another chief, make new chief
    keys. Endorsed with the acting chief's own password, they are vouched for at once: the deputy's registrations
    raise nothing. Not endorsed, they are what a key written in with sqlite3 is — the Note (round 10's h2)."""
    book = open_book(pref_file)
    try:
        users.login(book, "juzhang", PASSWORD)
        users.add_user(book, login="fuju", name="副局长", role="chief", password="deputy-pass-1", endorse_password=PASSWORD)
        users.add_user(book, login="fuju2", name="副局长二", role="chief", password="deputy-pass-2")
    finally:
        book.close(backup=False)
    _register_as(pref_file, "fuju", "deputy-pass-1", "甲县", "ab" * 16)
    assert _key_notes(pref_file) == []
    assert findings(pref_file) == ([], [])
    _register_as(pref_file, "fuju2", "deputy-pass-2", "乙县", "cd" * 16)
    assert len(_key_notes(pref_file)) == 1 and "副局长二" not in _key_notes(pref_file)[0]
    # the chief's own password reset by the endorsed deputy, endorsed: the chief's new key registers silently
    book = open_book(pref_file)
    try:
        users.login(book, "fuju", "deputy-pass-1")
        chief = book.conn.execute("SELECT id FROM users WHERE login = 'juzhang'").fetchone()[0]
        users.reset_password(book, user_id=int(chief), password="chief-new-pass-9", endorse_password="deputy-pass-1")
        with pytest.raises(Exception, match="密码不正确"):  # a wrong endorsing password writes nothing
            users.reset_password(book, user_id=int(chief), password="chief-new-pass-8", endorse_password="wrong-one-1")
    finally:
        book.close(backup=False)
    _register_as(pref_file, "juzhang", "chief-new-pass-9", "丙县", "ef" * 16)
    notes = _key_notes(pref_file)
    assert len(notes) == 1 and "丙县" not in notes[0], notes  # only fuju2's, unendorsed
    assert findings(pref_file) == ([], [])


def test_an_endorsement_carried_to_another_key_is_named(pref_file: Path) -> None:
    """An endorsement is bound to the write that made the key: one edited to name another key breaks its
    signature; the insider's own chief "endorsed" by copying the real one's statement is named too."""
    book = open_book(pref_file)
    try:
        users.login(book, "juzhang", PASSWORD)
        users.add_user(book, login="fuju", name="副局长", role="chief", password="deputy-pass-1", endorse_password=PASSWORD)
    finally:
        book.close(backup=False)
    book = open_book(pref_file)
    try:
        uid, signer = _insider_chief(book, "fake")
    finally:
        book.close(backup=False)
    forge(pref_file, "add_user",
          ("INSERT INTO key_endorsements (user_id, key_fingerprint, endorsed_by, endorsed_at, audit_seq, audit_hash, "
           "statement) SELECT ?, ?, endorsed_by, endorsed_at, audit_seq, audit_hash, statement FROM key_endorsements "
           "ORDER BY id LIMIT 1", (uid, signer.key.fingerprint)))
    named(pref_file, "[签名密钥]", "确认签名与记录或文件中的审计链不一致")


def test_a_chief_planted_before_the_chiefs_own_report_is_not_vouched_for_by_it(pref_file: Path, tmp_path: Path) -> None:
    """Attack review round 11 (K1): the insider plants a deputy chief with a key of their own and waits for the
    chief's next report, whose signed users list names every active chief — the chief's trusted key then vouched
    for the planted one, and its registrations raised nothing. From the file's first signed statement on a users
    list vouches only for keys made before it; a later chief key needs the endorsement of the chief who made it."""
    from app.export import prefecture as forwarding

    book = open_book(pref_file)
    try:
        uid, signer = _insider_chief(book, "fuju")
        users.login(book, "juzhang", PASSWORD)
        forwarding.forward(book, month="2026-09", out_dir=tmp_path, password=PASSWORD)  # names fuju's key
        _register_with(book, uid, signer, "甲县", "ab" * 16)
    finally:
        book.close(backup=False)
    notes = _key_notes(pref_file)
    assert any(keys.show(signer.key.fingerprint) in n and "不是文件建立时的局长密钥" in n for n in notes), notes


def test_a_report_row_naming_an_old_head_does_not_vouch_for_a_planted_chief(pref_file: Path) -> None:
    """Attack review round 12 (A1, A2): a forwarded report row written today, re-signed with the planted chief's
    key and naming a chain head from before the file's first signed statement, counted as an older version's
    report: the older rule vouched for its signer. A signature now stands where its row entered the chain."""
    raw = sqlite3.connect(pref_file)
    raw.row_factory = sqlite3.Row
    marker = int(raw.execute("SELECT min(audit_seq) FROM county_key_registrations").fetchone()[0])
    row = dict(raw.execute("SELECT * FROM forwarded_reports ORDER BY id LIMIT 1").fetchone())
    raw.close()
    book = open_book(pref_file)
    try:
        uid, signer = _insider_chief(book, "fuju")
        early = marker - 3
        body = {k: v for k, v in json.loads(row["signature"]).items()
                if k not in ("signature", signature.KEYS_ENDORSED, signature.REOPENS_SIGNED)}
        body.update(algorithm=signer.key.algorithm, public_key=signer.key.public_key, fingerprint=signer.key.fingerprint,
                    signer={"login": "fuju", "name": "副局长"},
                    audit_head={"seq": early, "hash": audit.hash_at(book.conn, early)})
        text = signature.sign(body, signer).decode("utf-8")
        with book.write("forward_report", system=True) as conn:
            conn.execute("INSERT INTO forwarded_reports (month, version, signed_by, signed_at, audit_seq, audit_hash, "
                         "data, data_sha256, files, signature) VALUES ('2026-08', 1, ?, '2026-09-30 16:00:00', ?, ?, ?, "
                         "?, ?, ?)", (uid, early, audit.hash_at(conn, early), row["data"], row["data_sha256"],
                                      row["files"], text))
        _register_with(book, uid, signer, "甲县", "ab" * 16)
    finally:
        book.close(backup=False)
    notes = _key_notes(pref_file)
    assert any(keys.show(signer.key.fingerprint) in n and "不是文件建立时的局长密钥" in n for n in notes), notes


def test_a_chief_written_in_before_a_new_files_first_sign_off_is_told(tmp_path: Path) -> None:
    """Attack review round 13 (B1): in a county file made by this version, a chief written in with sqlite3 before
    the file's first sign-off is named in that sign-off's users list — the first signature of this version, which
    keeps the older rule — and so is trusted. The file alone cannot tell it from a deputy the chief added; verify
    now tells of every active chief whose key is trusted only through a users list, never endorsed."""
    from app.demo import prefecture as dp

    def plant(book: object) -> None:
        with book.write("add_user", system=True) as conn:  # type: ignore[attr-defined]  # what sqlite3 can write
            users.insert_user(conn, login="fuju", name="副局长", role="chief", password="Insider-pw-77", section="",
                              now="2026-09-02 09:00:00")
    cb, clock = _new_county(tmp_path / "新县.db", before_entry=plant)
    try:
        clock.set(dt.datetime(2026, 10, 12, 16))
        (tmp_path / "包").mkdir()
        dp.sign(cb, tmp_path / "包")  # the chief's first sign-off names fuju among the active chiefs
        assert not [str(n) for n in evidence.verify(cb).notes if "[签名密钥]" in str(n)]  # unused: nothing to tell
        users.login(cb, "fuju", "Insider-pw-77")  # the insider, as the planted chief, reopens the signed month
        monthly.reopen(cb, month="2026-09", reason="地区退回，更正后重新报送", password="Insider-pw-77")
        with cb.write("update_user", system=True) as conn:  # and is deactivated, as if he had left
            conn.execute("UPDATE users SET active = 0 WHERE login = 'fuju'")
        notes = [str(n) for n in evidence.verify(cb).notes if "[签名密钥]" in str(n)]
    finally:
        cb.close(backup=False)
    assert any("副局长（fuju）" in n and "没有经已确认的局长签名确认" in n for n in notes), notes
    assert not any("juzhang" in n for n in notes), notes  # the file's first key needs no word
