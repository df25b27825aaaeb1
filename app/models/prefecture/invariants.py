"""What verify re-checks for the level above the county: stored package bytes are the bytes whose hash names them,
each received package's digest and read tables are the ones recorded (the `tables` text is not in the audit log,
its hash is), and — from the kept bytes alone — everything receiving it found: the signature and whose key made
it, the tables read from the workbook, the cross-checks' results.

The last is what stops the insider who holds the prefecture's file: the receiving record is written by the
program, but anyone with sqlite3 can write the same record (and its audit record, sealed onto the chain) with
other figures, a passed result for a package that failed, or a "received" package that no county chief signed.
None of that can be made to agree with the bytes the county signed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from app.models.prefecture import checks, receive, registrations, tables
from app.models.prefecture.receive import MANIFEST, digest_of_hashes
from app.models.reports import definitions
from app.models.store import audit, keys, periods, rule_years, signature
from app.models.store.audit import Finding, Note
from app.models.values.errors import AppError


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


def _registry(conn: sqlite3.Connection, county_id: int, now: str) -> list[str]:
    """The key fingerprints this file has registered for a county, in the order it held them (the audit records of
    the county's row: an insert's value, each update's old and new value), ending with the one it holds now. Each
    as its first 32 hex digits: the program accepts the cover's 32 or all 64, and both name the same key."""
    held: list[str] = []

    def add(value: object) -> None:
        fp = str(value or "")[:32].lower()
        if fp and (not held or held[-1] != fp):
            held.append(fp)
    for before, after in conn.execute(
            "SELECT json_extract(before, '$.fingerprint'), json_extract(after, '$.fingerprint') FROM audit_log "
            "WHERE tbl = 'counties' AND row_key = ? ORDER BY seq", (str(county_id),)):
        add(before)
        add(after)
    add(now)
    return held


def _received_at_seq(conn: sqlite3.Connection, package_id: int) -> int:
    """The package's place in this file's chain: its receiving record's insert record (`audit_seq` is the county's
    chain head, from its signature). None found (the record taken out): after everything."""
    row = conn.execute("SELECT min(seq) FROM audit_log WHERE tbl = 'received_packages' AND row_key = ? AND action = 'I'",
                       (str(package_id),)).fetchone()
    return int(row[0]) if row and row[0] is not None else 1 << 62


def _key_problem(conn: sqlite3.Connection, p: sqlite3.Row | dict[str, Any], fingerprint: str,
                 held: dict[int, list[registrations.Held]] | None = None) -> str | Note:
    """Whether the package's key is the one registered for its county when it was received.

    From the file's first signed registration on (schema 29), the register is the chief's signed statements: the
    package's key must be the one the county's last statement before the package registered — a key registered
    around the program has no statement, and an old statement copied or replayed is not the last one. A package
    received after the first statement with none for its county was not received by this program.

    Before it (a file registered by an older version), the register is the audit records of the county's row,
    which were written without a password: a problem when the key was never registered; a Note when it is neither
    the county's first registered key nor the one registered now — a key registered for the moment leaves exactly
    that, and so does an honest deputy acting as chief. The Note asks whoever verifies to compare the cover."""
    short = fingerprint[:32].lower()
    if fingerprint != str(p["fingerprint"]):
        return "签名所用密钥的指纹与接收记录不同：接收记录被改动过"
    held = registrations.statements(conn) if held is None else held
    seq = _received_at_seq(conn, int(p["id"]))
    then = registrations.held_at(held, int(p["county_id"]), seq)
    if then is not None:
        if then.fingerprint != short:
            return (f"签名所用密钥（{keys.show(short)}）不是接收时局长为该单位签名登记的密钥（{keys.show(then.fingerprint)}）："
                    "不可能被本程序接收")
        return ""
    first = registrations.first_seq(held)
    if first is not None and first < seq:
        return ("接收时本文件已由局长签名登记下级单位的密钥，该单位却没有签名登记：这样的报送包本程序会拒收，"
                "接收记录是绕过程序写的")
    registry = _registry(conn, int(p["county_id"]), str(p["registered"] or ""))
    if short not in registry:
        return "签名所用密钥的指纹不是本单位为该单位登记过的指纹：不可能被本程序接收"
    if registry[0] == short or registry[-1] == short:
        return ""  # the county's first registered key, or the one registered now
    return Note("接收的报送包", "", f"签名所用密钥（{keys.show(short)}）既不是该单位第一次登记的密钥，也不是现在登记的密钥："
                                  "可能是更换过的局长密钥或代行局长职责的人签发的，也可能是有人临时登记自己的密钥接收了伪造的包"
                                  "（早期版本登记指纹不需要密码）。请与该单位核对这些月份签发封面上印的密钥指纹")


def _period(conn: sqlite3.Connection, man: dict[str, Any], month: str) -> tuple[str, str]:
    given = man.get("period") or {}
    if given.get("start") and given.get("end"):
        return str(given["start"]), str(given["end"])
    year, mon = periods.parse_month(month)
    start, end = rule_years.load_for(conn, year).reporting.period(year, mon)
    return str(given.get("start", start.isoformat())), str(given.get("end", end.isoformat()))


def recheck(conn: sqlite3.Connection, p: sqlite3.Row, files: dict[str, bytes], own_level: str,
            held: dict[int, list[registrations.Held]] | None = None) -> str | Note | None:
    """What receiving package `p` found, found again from its kept bytes: the problem, a Note when it cannot be
    re-read by this program, or None. (Refusals need not be repeated: a refused package is never stored.)"""
    try:
        man = json.loads(files[MANIFEST])
        listed = {str(f["name"]): str(f["sha256"]) for f in man["files"]}
        doc = signature.parse(files[signature.FILE_NAME], where="报送包")
    except (KeyError, ValueError, TypeError, AppError) as exc:
        return f"保存的清单或签名文件无法读取（{exc}）：不是接收时核对过的报送包"
    if any(name not in files or hashlib.sha256(files[name]).hexdigest() != digest for name, digest in listed.items()):
        return "保存的文件与清单记录的哈希不符：不是接收时核对过的报送包"
    d = doc.doc
    if not doc.valid() or d["manifest"].get("sha256") != hashlib.sha256(files[MANIFEST]).hexdigest():
        return "保存的签名文件不是对这份清单的有效签名：这个报送包没有下级局长的签名，不可能被本程序接收"
    if (str(d.get("month")), int(d.get("version") or 0)) != (str(p["month"]), int(p["version"])) or \
            str((d.get("bureau") or {}).get("region_code", "")) != str(p["code"]):
        return "签名文件所签的单位、月份或版本与接收记录不同：接收记录被改动过"
    extra = sorted(set(files) - set(listed) - {MANIFEST, signature.FILE_NAME})
    if extra:
        return f"保存的文件中有清单之外的文件（{'、'.join(extra)}）：这样的报送包不可能被本程序接收"
    key_note = _key_problem(conn, p, doc.fingerprint, held)
    if isinstance(key_note, str) and key_note:
        return key_note
    # the sender's level and the report definitions from the signed manifest, never from the row: a row that says
    # another level would pick other definitions and skip the re-read
    level = str(man.get("bureau_level", ""))
    if level != str(p["level"]) or level != tables.lower_level(own_level):
        return f"接收记录中的发送方级次（{p['level']}）与签名的清单（{level}）或本单位的下级级次不同：接收记录被改动过"
    report = man.get("report") or {}
    if str(p["report_version"]) != f"{report.get('id')} {report.get('version')}":
        return "接收记录中的报表定义版本与签名的清单不同：接收记录被改动过"
    defs = tables.defs_for_sender(level)
    if report.get("id") != defs.id or report.get("version") != definitions.load().version:
        return Note("接收的报送包", "", f"按报表定义 {report.get('id')} {report.get('version')} 接收，本程序的定义不同，"
                                      "未重新读出报表")
    workbook = [n for n in listed if n.endswith(".xlsx")]
    if len(workbook) != 1:
        return f"清单中应恰有一个工作簿，实际有 {len(workbook)} 个：这样的报送包不可能被本程序接收"
    try:
        read = tables.read_workbook(files[workbook[0]], defs, name="报送包")
    except AppError as exc:
        # receiving reads the workbook the same way and refuses one it cannot read: a stored package whose workbook
        # cannot be read again was not received by this program (a Note here let any figures stand beside a genuine
        # package from an older layout; only a file received by a development build of 2026-12-06 has one honestly)
        return f"保存的工作簿不能按本程序的表格重新读出（{exc}）：这样的包本程序接收时就会拒绝，读出的报表无从核对"
    if receive.tables_text(read) != str(p["tables"]):
        return "从保存的工作簿重新读出的报表与接收记录中的不同：接收记录中的数字被改动过（汇总和上报读的是接收记录）"
    results = checks.run(read, defs, level=level, period=_period(conn, man, str(p["month"])))
    results.append(receive.chain_continuity(conn, int(p["county_id"]), doc, before_id=int(p["id"])))
    # check 8's wording counts the packages compared, which receiving now chooses otherwise (only those that passed
    # it): its verdict is compared, the others' wording too
    def kept(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(r.get("no"), r.get("ok")) if r.get("no") == 8 else tuple(sorted(r.items())) for r in rows]
    again = [r.as_dict() for r in results]
    if kept(json.loads(str(p["checks"]))) != kept(again) or bool(p["checks_ok"]) != all(r.ok for r in results):
        failed = [f"第 {r.no} 条" for r in results if not r.ok]
        return ("表间勾稽关系的核对结果与按保存的文件重新核对的不同（重新核对："
                f"{'未通过 ' + '、'.join(failed) if failed else '全部通过'}）：接收记录中的核对结果被改动过")
    return key_note or None


def packages_recheck(conn: sqlite3.Connection, ids: list[int] | None = None) -> Iterator[Finding]:
    """Each received package (or those in `ids`) re-checked from its kept bytes (`recheck`)."""
    sql = ("SELECT p.id, p.county_id, c.name, c.code, c.fingerprint AS registered, p.month, p.version, p.level, "
           "p.report_version, p.fingerprint, p.checks_ok, p.checks, p.tables "
           "FROM received_packages p JOIN counties c ON c.id = p.county_id")
    mine = conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()
    own_level = str(mine[0]) if mine else ""
    rows = conn.execute(sql + " ORDER BY p.id").fetchall()
    wanted = None if ids is None else set(ids)
    told: dict[tuple[str, str], list[str]] = {}
    held = registrations.statements(conn)
    for p in rows:
        if wanted is not None and int(p["id"]) not in wanted:
            continue
        where = f"{p['name']} {p['month']} 第 {p['version']} 版（接收记录 #{p['id']}）"
        files = {str(r[0]): bytes(r[1]) for r in conn.execute(
            "SELECT f.name, b.data FROM received_files f JOIN package_blobs b ON b.sha256 = f.sha256 "
            "WHERE f.package_id = ?", (p["id"],))}
        try:
            found = recheck(conn, p, files, own_level, held)
        except (AppError, KeyError, ValueError, TypeError) as exc:  # whatever the row says, verify goes on
            found = f"无法按保存的文件重新核对（{exc}）：接收记录或文件被改动过"
        if isinstance(found, Note) and found.detail.startswith("签名所用密钥"):
            told.setdefault((str(p["name"]), found.detail), []).append(f"{p['month']} 第 {p['version']} 版")
        elif isinstance(found, Note):
            yield Note(found.check, where, found.detail)
        elif found:
            yield Finding("接收的报送包", where, found)
    for (county, detail), which in told.items():  # one Note a county and key, naming its packages
        yield Note("接收的报送包", f"{county}（{'、'.join(which)}）", detail)


# What the program changes in a receiving record after storing it: the review opinion, and returning it (once).
REVIEW_COLUMNS = frozenset({"opinion", "opinion_by", "opinion_at", "returned", "return_reason", "returned_by",
                            "returned_at"})
KEPT_AS_RECEIVED = ("received_files", "package_blobs", "forwarded_reports",  # written once, never changed
                    registrations.TABLE)


def written_once_since(conn: sqlite3.Connection, since: int = 0) -> Iterator[Finding]:
    """The receiving record is the program's account of what arrived: after it is stored only the review columns
    change, and a package once returned stays returned. The files received and the reports forwarded upward are
    never changed or deleted. Any other update or delete record is named — it is consistent with the row it
    leaves (the row check passes), and a returned package made to look accepted enters the consolidation."""
    have = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "received_packages" not in have:
        return
    for seq, key, action, before, after in conn.execute(
            "SELECT seq, row_key, action, before, after FROM audit_log WHERE seq > ? AND tbl = 'received_packages' "
            "AND action IN ('U', 'D') ORDER BY seq", (since,)):
        where = f"审计记录 #{seq}（接收记录 #{key}）"
        if action == "D":
            yield Finding("接收的报送包", where, "删除了接收记录：本程序从不删除收到的报送包")
            continue
        old, new = json.loads(before or "{}"), json.loads(after or "{}")
        changed = sorted(c for c in old if c in new and old[c] != new[c]) if old else []
        foreign = [c for c in changed if c not in REVIEW_COLUMNS]
        if foreign:
            yield Finding("接收的报送包", where, f"改动了接收时写定的列（{'、'.join(foreign)}）：本程序接收后只写审核意见和退回")
        elif "returned" in changed and not new.get("returned"):
            yield Finding("接收的报送包", where, "把已退回的报送包改回未退回：本程序没有撤销退回的操作")
    for seq, tbl, key, action in audit.changes_of(conn, [t for t in KEPT_AS_RECEIVED if t in have], since):
        what = "修改" if action == "U" else "删除"
        yield Finding("接收的报送包", f"审计记录 #{seq}（表 {tbl} 主键 {key}）",
                      f"{what}了收到的文件或上报记录：本程序只新增、从不修改或删除它们")


def written_once(conn: sqlite3.Connection) -> Iterator[Finding]:
    yield from written_once_since(conn)


def received_since(conn: sqlite3.Connection, since: int) -> Iterator[Finding]:
    """The packages whose receiving record or files were written after audit position `since`, re-checked."""
    have = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "received_packages" not in have:
        return
    ids = {int(r[0]) for r in conn.execute(
        "SELECT CAST(row_key AS INTEGER) FROM audit_log WHERE seq > ? AND tbl = 'received_packages' UNION "
        "SELECT CAST(json_extract(coalesce(after, before), '$.package_id') AS INTEGER) FROM audit_log "
        "WHERE seq > ? AND tbl = 'received_files'", (since, since))}
    ids |= {int(r[0]) for r in conn.execute(
        "SELECT id FROM received_packages WHERE id > coalesce((SELECT max(CAST(row_key AS INTEGER)) FROM audit_log "
        "WHERE seq <= ? AND tbl = 'received_packages'), 0)", (since,))}
    # a county's registered key changed since: its packages are judged against the register as it is now
    ids |= {int(r[0]) for r in conn.execute(
        "SELECT id FROM received_packages WHERE CAST(county_id AS TEXT) IN "
        "(SELECT row_key FROM audit_log WHERE seq > ? AND tbl = 'counties')", (since,))}
    # the read-out tables are kept beside their hash and not in the log: changed with the triggers set aside they
    # leave no record since the anchor, so their hash is checked for every package (cheap: no workbook is read)
    yield from packages_match_records(conn)
    yield from registrations.findings(conn)  # few rows: all of them, every time
    if ids:
        yield from packages_recheck(conn, sorted(ids))


CHECKS = [
    ("接收的报送包：保存的字节与哈希一致", blobs_match_hashes),
    ("接收的报送包：文件清单与读出的报表与接收时一致", packages_match_records),
    ("接收的报送包：按保存的文件重新核对签名、报表与勾稽结果", packages_recheck),
    ("接收的报送包：接收后只写审核意见与退回，收到的文件与上报记录不变", written_once),
    ("下级单位的密钥登记：每次登记都有局长的有效签名", registrations.findings),
]
