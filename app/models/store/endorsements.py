"""A chief's new signing key, endorsed by the chief who made it with that chief's own key (schema 29).

Keys are made by the program where it knows a password: a chief added by a chief, a chief's password reset by
another chief. The file's records of who is chief, and which key is theirs, are written without any password, so
whoever holds the file can write in a chief and a key of their own making. Verify vouches for a chief key only
from the file's first key on (`vouched_before`): by the users list of a report signed with a key already vouched
for, and by an endorsement — the acting chief, typing their own password, signs "this new key is <login>'s". The
statement names the chain head just before the write that makes the key, so it fits that one place in the chain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from app import __version__
from app.models.store import keys, signature
from app.models.store.audit import Finding
from app.models.store.signature import ENDORSEMENT, FORMAT, PROGRAM, Parsed
from app.models.values.errors import AppError

TABLE = "key_endorsements"


def has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone() is not None


def record(conn: sqlite3.Connection, *, signer: keys.Signer, by_id: int, by_login: str, by_name: str, user_id: int,
           head: tuple[int, str], at: str) -> None:
    """Inside the write that made `user_id`'s new key (`head`: the sealed head before that write began)."""
    key = keys.active_key(conn, user_id)
    login, name = conn.execute("SELECT login, name FROM users WHERE id = ?", (user_id,)).fetchone()
    assert key is not None
    body: dict[str, Any] = {
        "format": FORMAT, "kind": ENDORSEMENT, "program": {"name": PROGRAM, "version": __version__},
        "bureau": signature.bureau_of(conn),
        "endorsed": {"login": str(login), "name": str(name), "fingerprint": key.fingerprint},
        "endorsed_at": at, "signer": {"login": by_login, "name": by_name},
        "algorithm": signer.key.algorithm, "public_key": signer.key.public_key, "fingerprint": signer.key.fingerprint,
        "audit_head": {"seq": head[0], "hash": head[1]},
    }
    text = json.dumps(dict(body, signature=signer.sign(signature.signed_bytes(body)).hex()), ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    conn.execute(f"INSERT INTO {TABLE} (user_id, key_fingerprint, endorsed_by, endorsed_at, audit_seq, audit_hash, "
                 "statement) VALUES (?, ?, ?, ?, ?, ?, ?)", (user_id, key.fingerprint, by_id, at, head[0], head[1], text))


def _login_of(conn: sqlite3.Connection, user_id: int) -> str:
    row = conn.execute("SELECT login FROM users WHERE id = ?", (user_id,)).fetchone()
    return str(row[0]) if row else ""


def check(conn: sqlite3.Connection, row: sqlite3.Row) -> str:
    """What is wrong with one endorsement ("" when nothing)."""
    try:
        doc = signature.parse_statement(str(row["statement"]), ENDORSEMENT, "密钥确认")
        if isinstance(doc, str):
            return doc
        d = doc.doc
        endorsed = d["endorsed"]
        if str(endorsed["fingerprint"]) != str(row["key_fingerprint"]) or \
                str(endorsed["login"]).lower() != _login_of(conn, int(row["user_id"])).lower() or \
                str(d["endorsed_at"]) != str(row["endorsed_at"]) or \
                str(d["bureau"].get("region_code", "")) != signature.bureau_of(conn)["region_code"] or \
                doc.head != (int(row["audit_seq"]), str(row["audit_hash"])) or \
                signature.chain_hash_at(conn, doc.head[0]) != doc.head[1]:
            return "确认签名与记录或文件中的审计链不一致"
        # the write it names: after the head, the key's own insert record, then this row's, with nothing else between
        made = conn.execute("SELECT seq, tbl, row_key, action, json_extract(after, '$.fingerprint') FROM audit_log "
                            "WHERE seq > ? ORDER BY seq LIMIT 8", (doc.head[0],)).fetchall()
        mine = next((i for i, r in enumerate(made) if r[1] == TABLE and r[2] == str(row["id"]) and r[3] == "I"), None)
        owner = str(row["user_id"])

        def endorsed_users(r: sqlite3.Row | tuple[Any, ...]) -> bool:  # the user's own row, or one of their keys
            if r[1] == "users":
                return str(r[2]) == owner
            if r[1] == "signing_keys":
                k = conn.execute("SELECT user_id FROM signing_keys WHERE id = ?", (r[2],)).fetchone()
                return k is not None and str(k[0]) == owner
            return False
        if mine is None or not made or int(made[0][0]) != doc.head[0] + 1 or \
                any(not endorsed_users(r) for r in made[:mine]) or not any(
                r[1] == "signing_keys" and r[3] == "I" and r[4] == row["key_fingerprint"] for r in made[:mine]):
            return f"签名所写的链头 #{doc.head[0]} 之后紧接着的不是这把密钥的生成和这份确认本身：不是在生成密钥时写的"
        key = keys.by_fingerprint(conn, doc.fingerprint)
        login = _login_of(conn, int(row["endorsed_by"]))
        if key is None or key.public_key != d["public_key"] or _login_of(conn, key.user_id).lower() != login.lower() \
                or str(d["signer"].get("login", "")).lower() != login.lower():
            return f"签名所用的密钥不是确认人 {login or '（无）'} 的"
        then = {str(u["login"]).lower(): u for u in keys.users_at(conn, doc.head[0])}
        user = then.get(login.lower())
        if user is None or user["role"] != "chief" or not user["active"] or user["key"] != doc.fingerprint:
            return f"确认时 {login} 不是持有该密钥的在职局长（按审计记录还原当时的用户表）"
    except (ValueError, KeyError, TypeError, AttributeError, AppError) as exc:
        return f"确认签名无法读取（{exc}）"
    return ""


def _events(conn: sqlite3.Connection) -> list[tuple[int, str, set[str], str]]:
    """(chain position, signing key, keys it vouches for, kind) of every valid endorsement ("E", at its head: bound to
    its own write by `check`), registration statement
    ("R", vouches for nothing: only a marker) and package signature (sign-offs, forwarded reports: "P", the active
    chiefs in the users list it signed; "PE" when it carries the KEYS_ENDORSED promise), in chain order."""
    have = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out: list[tuple[int, str, set[str], str]] = []
    if TABLE in have:
        for row in conn.execute(f"SELECT * FROM {TABLE} ORDER BY id").fetchall():
            if not check(conn, row):
                d = json.loads(str(row["statement"]))
                out.append((int(row["audit_seq"]), str(d["fingerprint"]), {str(row["key_fingerprint"])}, "E"))
    level = conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()
    above = level is not None and str(level[0]) != "county"  # a county registers no one's key and forwards nothing
    if "county_key_registrations" in have and above:
        for seq, text in conn.execute("SELECT audit_seq, statement FROM county_key_registrations"):
            try:
                doc = Parsed(json.loads(str(text)))
                if doc.doc.get("kind") == signature.REGISTRATION and doc.valid() and doc.head[0] == int(seq):
                    out.append((int(seq), doc.fingerprint, set(), "R"))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
    # a package signature stands where its row entered the chain (its insert record, which no one can place earlier
    # without rewriting the chain), not at the head its row or its text names: a row written today with sqlite3,
    # signed with a key of the insider's own and naming an old head, would otherwise count as an older version's
    tables = ["signoffs"]
    if "forwarded_reports" in have and above:
        tables.append("forwarded_reports")
    for table in tables:
        entered = {int(r[0]): int(r[1]) for r in conn.execute(
            "SELECT CAST(row_key AS INTEGER), min(seq) FROM audit_log WHERE tbl = ? AND action = 'I' GROUP BY row_key",
            (table,))}
        where = " WHERE signature != ''" if table == "signoffs" else ""
        for row_id, seq, text in conn.execute(f"SELECT id, audit_seq, signature FROM {table}{where}").fetchall():
            at = entered.get(int(row_id))
            try:
                doc = signature.parse(str(text), where="")
                if at is None or not doc.valid() or doc.head[0] != int(seq) or not int(seq) < at:
                    continue
                out.append((at, doc.fingerprint, {str(u["key"]) for u in doc.doc.get("users", [])
                                                  if u.get("role") == "chief" and u.get("active") and u.get("key")},
                            "PE" if doc.doc.get(signature.KEYS_ENDORSED) is True else "P"))
            except (ValueError, KeyError, TypeError, AttributeError, AppError):
                continue
    return sorted(out, key=lambda e: e[0])


def root_key(conn: sqlite3.Connection) -> str:
    """The first signing key the file's chain records: made by the program for the chief who set the file up (or,
    in a file from before signing keys, at its first sign-off). Nothing can be put before it without rewriting the
    whole chain, which every signed checkpoint since would show."""
    row = conn.execute("SELECT seq, json_extract(after, '$.fingerprint') FROM audit_log WHERE tbl = 'signing_keys' "
                       "AND action = 'I' ORDER BY seq LIMIT 1").fetchone()
    if not row or not row[1]:
        return ""
    # a file whose months were signed before it had any key (schema < 9): its first key came later, by whatever
    # wrote it first — the program at a first signing, or someone with sqlite3. It is no root; package signatures
    # vouch for keys there, as before
    # by the chain (a signoffs row written now with a low audit_seq cannot put its insert record early)
    signed = conn.execute("SELECT min(seq) FROM audit_log WHERE tbl = 'signoffs' AND action = 'I'").fetchone()
    if signed and signed[0] is not None and int(signed[0]) < int(row[0]):
        return ""
    return str(row[1])


def vouched_before(conn: sqlite3.Connection) -> Callable[[int], set[str]]:
    """The chief keys vouched for before a chain position (see `vouched_how`)."""
    how = vouched_how(conn)
    return lambda before_seq: set(how(before_seq))


def vouched_how(conn: sqlite3.Connection) -> Callable[[int], dict[str, str]]:
    """The chief keys vouched for before a chain position, each with how: "root", "endorsed", "listed" (named in
    the users list of a report signed with a key already vouched for) or "self" (the older versions' rule: it
    signed a report itself).

    From the file's first signed statement of this version on — a registration, an endorsement, or a package
    signature promising KEYS_ENDORSED, whichever comes first (the marker; signed, so it cannot be moved later) —
    the file's first key and what endorsements by keys already vouched for vouch for; a users list then vouches
    only for keys made before the marker. Whoever holds the file can write in a chief with a key of their own and
    wait for the chief's next report, whose users list names every active chief: that vouches for nothing made
    after the marker. Before the marker (a file from older versions), the rule those versions had: each package
    signature's key and the chiefs in its users list. (A chief written in before the marker of a new file is
    vouched for by the first users list: verify tells of every chief key vouched for only by a list.)"""
    root, events = root_key(conn), _events(conn)
    marker = next((seq for seq, _k, _v, kind in events if kind in ("E", "R", "PE")), None)
    made = {str(fp): int(seq) for seq, fp in conn.execute(
        "SELECT min(seq), json_extract(after, '$.fingerprint') FROM audit_log WHERE tbl = 'signing_keys' "
        "AND action = 'I' GROUP BY json_extract(after, '$.fingerprint')")}

    def at(before_seq: int) -> dict[str, str]:
        out = {root: "root"} if root else {}

        def add(keys_: set[str], why: str) -> None:
            for k in keys_:
                out.setdefault(k, why)
        for seq, signer, vouches, kind in events:
            if seq >= before_seq:
                break
            # before the marker, the older versions' rule; at it too, when it is a package signature (the first sign-off
            # of this version in a file upgraded from an older one stands as it did before: a chief whose key was reset
            # in the older version, with no trusted chief left to endorse it, would otherwise never be trusted)
            if marker is None or seq < marker or (seq == marker and kind == "PE"):
                if kind in ("P", "PE"):
                    add({signer}, "self")
                    add(vouches, "listed")
            elif signer in out:
                if kind == "E":
                    add(vouches, "endorsed")
                elif kind in ("P", "PE"):
                    add({k for k in vouches if made.get(k, 1 << 62) <= marker}, "listed")
        return out
    return at


def anchored_chief_keys(conn: sqlite3.Connection, before_seq: int) -> set[str]:
    """Fingerprints of the chief keys vouched for before chain position `before_seq` (`vouched_how`): the file's
    first key, endorsements, and the users lists of package signatures made with keys already vouched for (a
    signature by a key no one vouched for vouches for nothing — a key the file's keyless records alone introduce, a
    clerk made chief with a key of the insider's making). A reopening must be signed with one of them."""
    return vouched_before(conn)(before_seq)


def listed_only(conn: sqlite3.Connection) -> Iterator[tuple[str, str, str]]:
    """(login, name, key) of each chief key used under this version's rules — it signed a reopening, a key
    registration, an endorsement, or a package at or after the marker — that is vouched for only by a users list or
    by having signed itself: never endorsed, not the file's first key. Honest for a deputy added or a password reset
    in an older version; also exactly what a chief written in with sqlite3 before a new file's first statement looks
    like (used, then perhaps deactivated: deactivation withdraws nothing, so it is not asked)."""
    how_at = vouched_how(conn)
    how = how_at(1 << 62)
    events = _events(conn)
    marker = next((seq for seq, _k, _v, kind in events if kind in ("E", "R", "PE")), None)
    used = {signer for seq, signer, _v, kind in events if kind in ("P", "PE") and marker is not None and seq >= marker}
    used |= {signer for _seq, signer, _v, kind in events if kind in ("E", "R")}
    has_reopens = any(r[1] == "reopen_signature" for r in conn.execute("PRAGMA table_info(signoffs)"))
    for (text,) in conn.execute("SELECT reopen_signature FROM signoffs WHERE reopen_signature != ''") if has_reopens \
            else []:
        try:
            used.add(str(json.loads(str(text))["fingerprint"]))
        except (ValueError, KeyError, TypeError):
            continue
    for login, name, fp in conn.execute(
            "SELECT u.login, u.name, k.fingerprint FROM signing_keys k JOIN users u ON u.id = k.user_id ORDER BY k.id"):
        if str(fp) in used and how.get(str(fp)) in ("listed", "self"):
            yield str(login), str(name), str(fp)


def findings(conn: sqlite3.Connection) -> Iterator[Finding]:
    if not has_table(conn):
        return
    for row in conn.execute(f"SELECT * FROM {TABLE} ORDER BY id").fetchall():
        problem = check(conn, row)
        if problem:
            yield Finding("签名密钥", f"密钥确认 #{row['id']}（{row['endorsed_at']}）", problem)
