"""签名.json: what the chief's key signs at sign-off, written into the package folder beside manifest.json.

The signed payload names the bureau (name and 区划代码), the month and version, the SHA-256 of manifest.json,
the audit-chain head at signing, checkpoints of the chain before it (so a later check can name the first range
that differs), and the users table (login, role, active, key fingerprint). The package that went upward is
then an anchor from outside: whoever rewrites the file's history afterwards cannot make it agree.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from app import __version__
from app.models.store import audit, keys
from app.models.values.errors import AppError

FILE_NAME = "签名.json"
FORMAT = 1
PROGRAM = "FundLedger"
_DOMAIN = b"FundLedger package signature v1\n"
_REOPEN_DOMAIN = b"FundLedger reopen signature v1\n"  # a sign-off's signature can never pass for a reopening's
REOPEN = "reopen"  # `kind` of a reopening statement (inside what is signed)
_REGISTRATION_DOMAIN = b"FundLedger key registration v1\n"  # nor for a lower bureau's key registration
REGISTRATION = "key-registration"  # `kind` of a lower bureau's key registration (prefecture/registrations.py)
_ENDORSEMENT_DOMAIN = b"FundLedger key endorsement v1\n"
ENDORSEMENT = "key-endorsement"  # `kind` of a chief's endorsement of another chief's new key (store/endorsements.py)
REOPENS_SIGNED = "reopens_signed"  # in a sign-off's payload: from this sign-off on, this file's reopenings are signed
# in a sign-off's (or forwarded report's) payload: from here on, a chief key made later is vouched for only by an
# endorsement (store/endorsements.py), never by appearing in a users list
KEYS_ENDORSED = "chief_keys_endorsed"
MAX_CHECKPOINTS = 1024
CHECKPOINT_CHARS = 16  # 64 bits of each checkpoint's hash: enough to say where; the head is kept whole


def checkpoint_step(seq: int) -> int:
    step = 16
    while seq // step > MAX_CHECKPOINTS:
        step *= 2
    return step


def checkpoints(conn: sqlite3.Connection, seq: int) -> dict[str, Any]:
    """The chain's hash at every `step`-th record up to `seq` (shortened): at most 1024, ~20 KB in the package."""
    step = checkpoint_step(seq)
    cur = conn.cursor()
    cur.row_factory = None
    hashes = []
    for at in range(step, seq + 1, step):
        row = cur.execute("SELECT hash FROM audit_log WHERE seq = ?", (at,)).fetchone()
        digest = str(row[0] or "") if row else (audit.hash_at(conn, at) or "")  # inside a bulk import's run
        hashes.append(digest[:CHECKPOINT_CHARS])
    return {"step": step, "hashes": hashes}


def chain_hash_at(conn: sqlite3.Connection, seq: int) -> str | None:
    return audit.hash_at(conn, seq)


def first_difference(conn: sqlite3.Connection, head: tuple[int, str], marks: dict[str, Any]) -> tuple[int, int] | None:
    """None when the file's chain at `head[0]` is the one signed; else the first range of records (from, to)
    in which the file's chain stops being the signed one."""
    seq, want = head
    if chain_hash_at(conn, seq) == want:
        return None
    step = int(marks.get("step") or 0)
    start = 1
    for i, recorded in enumerate(marks.get("hashes") or []):
        at = (i + 1) * step
        now = chain_hash_at(conn, at)
        if now is None or now[:CHECKPOINT_CHARS] != recorded:
            return (start, at)
        start = at + 1
    return (start, seq)


def bureau_of(conn: sqlite3.Connection) -> dict[str, str]:
    row = conn.execute("SELECT name, region_code FROM bureau WHERE id = 1").fetchone()
    return {"name": str(row[0]), "region_code": str(row[1])} if row else {"name": "", "region_code": ""}


def payload(conn: sqlite3.Connection, *, signer: keys.Signer, login: str, name: str, month: str, version: int,
            signed_at: str, manifest_name: str, manifest_sha256: str, head: tuple[int, str]) -> dict[str, Any]:
    users = keys.users_now(conn)
    return {
        "format": FORMAT,
        "program": {"name": PROGRAM, "version": __version__},
        "bureau": bureau_of(conn),
        "month": month,
        "version": version,
        "signed_at": signed_at,
        "signer": {"login": login, "name": name},
        "algorithm": signer.key.algorithm,
        "public_key": signer.key.public_key,
        "fingerprint": signer.key.fingerprint,
        "manifest": {"name": manifest_name, "sha256": manifest_sha256},
        "audit_head": {"seq": head[0], "hash": head[1]},
        "checkpoints": checkpoints(conn, head[0]),
        "users": users,
        "users_sha256": keys.users_digest(users),
        REOPENS_SIGNED: True,
        KEYS_ENDORSED: True,
    }


def reopen_payload(conn: sqlite3.Connection, *, signer: keys.Signer, login: str, name: str, month: str, version: int,
                   signoff_signature: str, reason: str, reopened_at: str, head: tuple[int, str]) -> dict[str, Any]:
    """What the chief's key signs to reopen a signed month: which bureau, month and signed version (bound to that
    version's own 签名.json by its hash), why, when, and the audit-chain head just before the reopening is written —
    so the statement fits that one place in the chain and cannot be replayed for another reopening."""
    return {
        "format": FORMAT,
        "kind": REOPEN,
        "program": {"name": PROGRAM, "version": __version__},
        "bureau": bureau_of(conn),
        "month": month,
        "version": version,
        "signoff_sha256": hashlib.sha256(signoff_signature.encode("utf-8")).hexdigest(),
        "reason": reason,
        "reopened_at": reopened_at,
        "signer": {"login": login, "name": name},
        "algorithm": signer.key.algorithm,
        "public_key": signer.key.public_key,
        "fingerprint": signer.key.fingerprint,
        "audit_head": {"seq": head[0], "hash": head[1]},
    }


def signed_bytes(body: dict[str, Any]) -> bytes:
    """Exactly what the key signs: a fixed prefix (a reopening's differs from a sign-off's; `kind` is itself
    signed) and the payload as canonical JSON."""
    fields = {k: v for k, v in body.items() if k != "signature"}
    kind = body.get("kind")
    domain = {REOPEN: _REOPEN_DOMAIN, REGISTRATION: _REGISTRATION_DOMAIN, ENDORSEMENT: _ENDORSEMENT_DOMAIN}.get(
        str(kind), _DOMAIN)
    return domain + json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(body: dict[str, Any], signer: keys.Signer) -> bytes:
    """The file 签名.json: the payload and its signature, readable JSON, one trailing newline."""
    doc = dict(body, signature=signer.sign(signed_bytes(body)).hex())
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def sign_reopen(body: dict[str, Any], signer: keys.Signer) -> str:
    """A reopening statement as kept in the file (signoffs.reopen_signature): the payload and its signature."""
    doc = dict(body, signature=signer.sign(signed_bytes(body)).hex())
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def parse_reopen(text: str, *, where: str) -> Parsed:
    """Read a reopening statement; one this version cannot read is an OtherFormat, anything unreadable an AppError."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise AppError(f"{where}的重新打开签名无法读取（{exc}）") from exc
    if not isinstance(doc, dict) or doc.get("kind") != REOPEN:
        raise AppError(f"{where}的重新打开签名不是重新打开的签名")
    if doc.get("format") != FORMAT or doc.get("algorithm") not in keys.ALGORITHMS:
        program = doc.get("program") or {}
        raise OtherFormat(f"{where}的重新打开签名由其他版本的程序（{program.get('name', '?')} "
                          f"{program.get('version', '?')}）写成，本程序不能核对——这不表示被篡改")
    needed = ("bureau", "month", "version", "signoff_sha256", "reason", "reopened_at", "signer", "public_key",
              "fingerprint", "audit_head", "signature")
    missing = [k for k in needed if k not in doc]
    if missing:
        raise AppError(f"{where}的重新打开签名缺少 {'、'.join(missing)}")
    return Parsed(doc)


@dataclass(frozen=True)
class Parsed:
    doc: dict[str, Any]

    @property
    def head(self) -> tuple[int, str]:
        return int(self.doc["audit_head"]["seq"]), str(self.doc["audit_head"]["hash"])

    @property
    def fingerprint(self) -> str:
        return str(self.doc["fingerprint"])

    @property
    def program(self) -> str:
        p = self.doc.get("program") or {}
        return f"{p.get('name', '?')} {p.get('version', '?')}"

    def valid(self) -> bool:
        """The signature matches the payload under the public key it names, and that key has that fingerprint."""
        try:
            public = bytes.fromhex(str(self.doc["public_key"]))
            sig = bytes.fromhex(str(self.doc["signature"]))
        except (KeyError, ValueError):
            return False
        if keys.fingerprint(public) != self.fingerprint:
            return False
        return keys.verify_signature(str(self.doc["algorithm"]), public.hex(), signed_bytes(self.doc), sig)


def parse_statement(text: str, kind: str, what: str) -> Parsed | str:
    """A signed statement kept in the file (a key registration, an endorsement): parsed and its signature checked
    against the key it names, or what is wrong with it (`what` names the statement in the message)."""
    doc = Parsed(json.loads(text))
    d = doc.doc
    if d.get("kind") != kind or d.get("format") != FORMAT or d.get("algorithm") not in keys.ALGORITHMS:
        return f"不是本程序写的{what}签名"
    if not doc.valid():
        return f"签名与其内容不符：{what}记录被改动过，或不是用其所记公钥签的"
    return doc


class OtherFormat(AppError):
    """A signature document this version cannot read: written by another program version, not tampered with."""


def parse(data: bytes | str, *, where: str) -> Parsed:
    """Read 签名.json; a newer format or algorithm is an OtherFormat, anything unreadable an AppError."""
    try:
        doc = json.loads(data)
        fmt = int(doc["format"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AppError(f"{where}的 {FILE_NAME} 无法读取（{exc}）") from exc
    if not isinstance(doc, dict):
        raise AppError(f"{where}的 {FILE_NAME} 不是签名文件")
    program = doc.get("program") or {}
    if fmt != FORMAT or doc.get("algorithm") not in keys.ALGORITHMS:
        raise OtherFormat(
            f"{where}由其他版本的程序（{program.get('name', '?')} {program.get('version', '?')}）签发，签名格式 {fmt}、"
            f"算法 {doc.get('algorithm')} 本程序（{PROGRAM} {__version__}）不能核对——这不表示被篡改，"
            "请用该版本或更新的程序核对")
    needed = ("bureau", "month", "version", "signer", "public_key", "fingerprint", "manifest", "audit_head",
              "checkpoints", "users", "users_sha256", "signature")
    missing = [k for k in needed if k not in doc]
    if missing:
        raise AppError(f"{where}的 {FILE_NAME} 缺少 {'、'.join(missing)}，不是完整的签名文件")
    return Parsed(doc)
