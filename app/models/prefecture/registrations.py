"""A lower bureau's signing-key fingerprint, registered under the signature of this bureau's chief (schema 29).

The register decides whose packages are received: a package is accepted only under the key registered for its
county. Written as a plain update of `counties.fingerprint`, anyone holding the file could register their own key
for a county for the moment (plain sqlite3, sealed onto the chain as the program seals), receive a package forged
under it, and put the real key back; verify could only tell of it in a Note. Now each registration is a statement
the chief signs with the chief's key — which opens only with the chief's password — naming this bureau, the
county's code and name, the fingerprint, when, who, and the audit-chain head just before the statement is written
(so it fits that one place in the chain and cannot be replayed for another registration).

`check` is what receiving and verify ask of a statement; `held_at` is the key a county had registered at a point
of the chain, by the statements alone."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app import __version__
from app.models.store import audit, endorsements, keys, signature
from app.models.store.audit import Finding, Note
from app.models.store.signature import FORMAT, PROGRAM, REGISTRATION

TABLE = "county_key_registrations"


def payload(conn: sqlite3.Connection, *, signer: keys.Signer, login: str, name: str, county_code: str,
            county_name: str, fingerprint: str, registered_at: str, head: tuple[int, str]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kind": REGISTRATION,
        "program": {"name": PROGRAM, "version": __version__},
        "bureau": signature.bureau_of(conn),
        "county": {"region_code": county_code, "name": county_name},
        "county_fingerprint": fingerprint,
        "registered_at": registered_at,
        "signer": {"login": login, "name": name},
        "algorithm": signer.key.algorithm,
        "public_key": signer.key.public_key,
        "fingerprint": signer.key.fingerprint,
        "audit_head": {"seq": head[0], "hash": head[1]},
    }


def sign(body: dict[str, Any], signer: keys.Signer) -> str:
    doc = dict(body, signature=signer.sign(signature.signed_bytes(body)).hex())
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record(conn: sqlite3.Connection, *, signer: keys.Signer, user_id: int, login: str, name: str, county_id: int,
           fingerprint: str, at: str) -> None:
    """Inside the caller's write, after `counties` holds the fingerprint: the chief's signed statement of it."""
    code, county_name = conn.execute("SELECT code, name FROM counties WHERE id = ?", (county_id,)).fetchone()
    head = audit.head(conn)
    body = payload(conn, signer=signer, login=login, name=name, county_code=str(code), county_name=str(county_name),
                   fingerprint=fingerprint, registered_at=at, head=head)
    conn.execute(f"INSERT INTO {TABLE} (county_id, fingerprint, registered_by, registered_at, audit_seq, audit_hash, "
                 "statement) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (county_id, fingerprint, user_id, at, head[0], head[1], sign(body, signer)))


def has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone() is not None


def _login_of(conn: sqlite3.Connection, user_id: int) -> str:
    row = conn.execute("SELECT login FROM users WHERE id = ?", (user_id,)).fetchone()
    return str(row[0]) if row else ""


def check(conn: sqlite3.Connection, row: sqlite3.Row | dict[str, Any]) -> str:
    """What is wrong with one statement row ("" when nothing): a valid signature by the key it names, over this
    bureau, this row's county, fingerprint, time and chain position, made with the active key of a user who was an
    active chief at that position (the users table as the audit records rebuild it there)."""
    try:
        doc = signature.parse_statement(str(row["statement"]), REGISTRATION, "密钥登记")
        if isinstance(doc, str):
            return doc
        d = doc.doc
        county = conn.execute("SELECT code FROM counties WHERE id = ?", (row["county_id"],)).fetchone()
        problems = []
        if str(d["bureau"].get("region_code", "")) != signature.bureau_of(conn)["region_code"]:
            problems.append(f"签名中的单位是 {d['bureau'].get('name')}（{d['bureau'].get('region_code')}）")
        if county is None or str(d["county"].get("region_code", "")) != str(county[0]):
            problems.append(f"签名登记的是区划代码 {d['county'].get('region_code')} 的单位")
        if str(d["county_fingerprint"]) != str(row["fingerprint"]):
            problems.append("签名登记的指纹与记录不同")
        if str(d["registered_at"]) != str(row["registered_at"]):
            problems.append("登记时间与记录不同")
        if doc.head != (int(row["audit_seq"]), str(row["audit_hash"])) or \
                signature.chain_hash_at(conn, doc.head[0]) != doc.head[1]:
            problems.append(f"签名时的审计链头 #{doc.head[0]} 与记录或文件中的审计链不一致")
        if problems:
            return "密钥登记签名与记录不一致：" + "；".join(problems)
        # the statement names the head just before its own write: the next record is the county's row leaving this
        # fingerprint, the one after it this statement's row. One signed in a copy of the file (a practice copy, a
        # backup that went its own way) names a head of the shared history, where this file wrote something else.
        after = {int(r[0]): (str(r[1]), str(r[2]), str(r[3]), r[4]) for r in conn.execute(
            "SELECT seq, tbl, row_key, action, json_extract(after, '$.fingerprint') FROM audit_log WHERE seq IN (?, ?)",
            (doc.head[0] + 1, doc.head[0] + 2))}
        own = after.get(doc.head[0] + 1)
        mine = after.get(doc.head[0] + 2)
        if own is None or own[:2] != ("counties", str(row["county_id"])) or own[2] not in ("I", "U") or \
                str(own[3] or "") != str(row["fingerprint"]) or \
                mine is None or mine[:3] != (TABLE, str(row["id"]), "I"):
            return (f"签名所写的链头 #{doc.head[0]} 之后紧接着的不是该单位这次指纹登记和这份声明本身：签名不是在这次登记中写的"
                    "（从文件的副本或别处复制来的）")
        key = keys.by_fingerprint(conn, doc.fingerprint)
        login = _login_of(conn, int(row["registered_by"]))
        if key is None or key.public_key != d["public_key"]:
            return f"签名所用的密钥（指纹 {keys.show(doc.fingerprint)}）不是本文件中任何用户的密钥"
        if _login_of(conn, key.user_id).lower() != login.lower() or \
                str(d["signer"].get("login", "")).lower() != login.lower():
            return f"签名所用的密钥不是登记人 {login or '（无）'} 的"
        then = {str(u["login"]).lower(): u for u in keys.users_at(conn, doc.head[0])}
        user = then.get(login.lower())
        if user is None or user["role"] != "chief" or not user["active"] or user["key"] != doc.fingerprint:
            return f"登记时 {login} 不是持有该密钥的在职局长（按审计记录还原当时的用户表）"
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"登记签名无法读取（{exc}）"
    return ""


@dataclass(frozen=True)
class Held:
    id: int
    fingerprint: str  # first 32 hex digits
    seq: int
    signer: str  # the chief key's fingerprint


def statements(conn: sqlite3.Connection) -> dict[int, list[Held]]:
    """Every valid statement by county, in chain order (verify names the invalid ones: `findings`)."""
    out: dict[int, list[Held]] = {}
    if not has_table(conn):
        return out
    for row in conn.execute(f"SELECT * FROM {TABLE} ORDER BY audit_seq, id").fetchall():
        if not check(conn, row):
            doc = json.loads(str(row["statement"]))
            out.setdefault(int(row["county_id"]), []).append(
                Held(int(row["id"]), str(row["fingerprint"])[:32].lower(), int(row["audit_seq"]), str(doc["fingerprint"])))
    return out


def held_at(held: dict[int, list[Held]], county_id: int, before_seq: int) -> Held | None:
    """The county's key as the last statement before chain position `before_seq` registered it."""
    last = None
    for h in held.get(county_id, []):
        if h.seq < before_seq:
            last = h
    return last


def first_seq(held: dict[int, list[Held]]) -> int | None:
    seqs = [h.seq for hs in held.values() for h in hs]
    return min(seqs) if seqs else None


def current(conn: sqlite3.Connection, county_id: int, fingerprint: str) -> str:
    """For receiving: "" when the county's current fingerprint has a valid signed statement as its last, else why
    not (a register written by an older version, or around the program)."""
    if not has_table(conn):
        return "本文件的登记没有局长签名"
    row = conn.execute(f"SELECT * FROM {TABLE} WHERE county_id = ? ORDER BY audit_seq DESC, id DESC LIMIT 1",
                       (county_id,)).fetchone()
    if row is None:
        return "早期版本登记、没有局长签名，或不是用本程序登记的"
    problem = check(conn, row)
    if problem:
        return problem
    if str(row["fingerprint"])[:32].lower() != fingerprint[:32].lower():
        return "该单位现在的指纹与局长最后一次签名登记的不同（不是用本程序登记的）"
    return ""


def findings(conn: sqlite3.Connection) -> Iterator[Finding | Note]:
    """verify: every statement holds; every fingerprint the register took after the file's first statement has one;
    a statement signed with a chief key not vouched for (store/endorsements.vouched_before) is told (a Note)."""
    if not has_table(conn):
        return
    rows = conn.execute(f"SELECT r.*, c.name AS county FROM {TABLE} r LEFT JOIN counties c ON c.id = r.county_id "
                        "ORDER BY r.audit_seq, r.id").fetchall()
    vouched = endorsements.vouched_before(conn)
    unvouched: dict[str, list[str]] = {}
    for row in rows:
        where = f"{row['county'] or '?'} 的密钥登记 #{row['id']}（{row['registered_at']}）"
        problem = check(conn, row)
        if problem:
            yield Finding("下级单位的密钥登记", where, problem)
            continue
        signer = str(json.loads(str(row["statement"]))["fingerprint"])
        if signer not in vouched(int(row["audit_seq"]) + 1):
            unvouched.setdefault(signer, []).append(where)
    for signer, places in unvouched.items():
        yield Note("下级单位的密钥登记", "、".join(places),
                   f"签名登记所用的局长密钥（{keys.show(signer)}）未经确认：不是文件建立时的局长密钥，也没有已确认的局长在"
                   "生成它时签名确认（早期版本新增局长、重置密码时没有这一步），只有本文件自己的记录说它属于局长。请与本单位"
                   "局长本人核对这个指纹（签发封面上也印着）；以后请由已确认的局长为其重置密码并确认，或由已确认的局长签名登记")
    held = statements(conn)
    seen: dict[str, int] = {}
    for row in rows:  # a statement copied into a second row: the same chain position, twice
        if str(row["statement"]) in seen:
            yield Finding("下级单位的密钥登记", f"{row['county'] or '?'} 的密钥登记 #{row['id']}",
                          f"与登记 #{seen[str(row['statement'])]} 是同一份签名：本程序每次登记都重新签名，这一条是复制的")
        seen.setdefault(str(row["statement"]), int(row["id"]))
    first = first_seq(held)
    if first is None:
        return
    changes: dict[int, list[tuple[int, str]]] = {}
    last: dict[int, str] = {}
    for seq, key, after in conn.execute(
            "SELECT seq, row_key, json_extract(after, '$.fingerprint') FROM audit_log WHERE tbl = 'counties' "
            "AND action IN ('I', 'U') ORDER BY seq"):
        # by the values each record leaves (an update's `before` is not trusted to say what it changed)
        fp = str(after or "")[:32].lower()
        if fp != last.get(int(key), ""):
            changes.setdefault(int(key), []).append((int(seq), fp))
        last[int(key)] = fp
    for county_id, made in changes.items():
        for i, (seq, fp) in enumerate(made):
            if seq <= first:
                continue
            if not fp:  # the program never clears a registered fingerprint (a re-registration replaces it)
                yield Finding("下级单位的密钥登记", f"审计记录 #{seq}（下级单位 #{county_id}）",
                              "清除了登记的签名密钥指纹：本程序从不这样做（该单位的报送包因此一律拒收）")
                continue
            # the statement is written in the same write, after the row, naming the head before the write: the
            # latest one for this fingerprint before the change, with no other change of the county's key between
            mine = [h for h in held.get(county_id, []) if h.fingerprint == fp and h.seq < seq]
            if mine and all(not (mine[-1].seq < s < seq) for s, _ in made[:i]):
                continue
            yield Finding("下级单位的密钥登记", f"审计记录 #{seq}（下级单位 #{county_id}）",
                          "登记或更换签名密钥指纹没有局长的签名：本程序登记指纹时都由局长签名，这条登记是绕过程序写的")
