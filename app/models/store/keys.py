"""Signing keys: one key pair per signing user, the private half sealed under that user's password.

Ed25519 from `cryptography` (PyCA, OpenSSL underneath): see docs/可靠性.md for why not SM2. The private key
is kept encrypted with AES-256-GCM under a key derived from the user's password by scrypt; the additional
data binds the ciphertext to its user and fingerprint, so a sealed key cannot be moved to another user.
Whoever copies the .db can read the public keys but cannot sign. Every signature records its algorithm.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.models.values.errors import AppError

ALGORITHM = "Ed25519"
ALGORITHMS = (ALGORITHM,)  # what this version can check; a signature names its own
KDF_N, KDF_R, KDF_P = 2**14, 8, 1
_RAW = serialization.Encoding.Raw


@dataclass(frozen=True)
class KeyInfo:
    id: int
    user_id: int
    algorithm: str
    public_key: str  # hex
    fingerprint: str  # SHA-256 of the raw public key, hex
    created_at: str
    reason: str
    retired_at: str | None
    retire_reason: str


def fingerprint(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def show(fp: str) -> str:
    """How a fingerprint is printed for people: its first 32 hex digits, in groups of four."""
    head = fp[:32].upper()
    return " ".join(head[i:i + 4] for i in range(0, len(head), 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def _aad(user_id: int, fp: str) -> bytes:
    return f"fundledger-signing-key|{user_id}|{fp}".encode()


def _seal(private_raw: bytes, password: str, user_id: int, fp: str) -> str:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    box = AESGCM(_derive(password, salt, KDF_N, KDF_R, KDF_P)).encrypt(nonce, private_raw, _aad(user_id, fp))
    return json.dumps({"kdf": "scrypt", "n": KDF_N, "r": KDF_R, "p": KDF_P, "salt": salt.hex(), "cipher": "AES-256-GCM",
                       "nonce": nonce.hex(), "box": box.hex()}, sort_keys=True)


def _open(sealed: str, password: str, user_id: int, fp: str) -> bytes | None:
    """The private key's raw bytes, or None when the password (or the sealed text) is not the right one."""
    try:
        doc = json.loads(sealed)
        key = _derive(password, bytes.fromhex(doc["salt"]), int(doc["n"]), int(doc["r"]), int(doc["p"]))
        return AESGCM(key).decrypt(bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["box"]), _aad(user_id, fp))
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


def _row(row: sqlite3.Row | tuple) -> KeyInfo:
    return KeyInfo(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]), str(row[6]),
                   row[7], str(row[8]))


_COLS = "id, user_id, algorithm, public_key, fingerprint, created_at, reason, retired_at, retire_reason"


def active_key(conn: sqlite3.Connection, user_id: int) -> KeyInfo | None:
    row = conn.execute(f"SELECT {_COLS} FROM signing_keys WHERE user_id = ? AND retired_at IS NULL", (user_id,)).fetchone()
    return _row(row) if row else None


def all_keys(conn: sqlite3.Connection) -> list[KeyInfo]:
    return [_row(r) for r in conn.execute(f"SELECT {_COLS} FROM signing_keys ORDER BY id")]


def by_fingerprint(conn: sqlite3.Connection, fp: str) -> KeyInfo | None:
    row = conn.execute(f"SELECT {_COLS} FROM signing_keys WHERE fingerprint = ?", (fp,)).fetchone()
    return _row(row) if row else None


def create_key(conn: sqlite3.Connection, *, user_id: int, password: str, now: str, reason: str) -> KeyInfo:
    """A new key pair for the user (inside the caller's write); the one it replaces is retired with `reason`."""
    conn.execute("UPDATE signing_keys SET retired_at = ?, retire_reason = ? WHERE user_id = ? AND retired_at IS NULL",
                 (now, reason, user_id))
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    private_raw = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    fp = fingerprint(public_raw)
    conn.execute(
        "INSERT INTO signing_keys (user_id, algorithm, public_key, fingerprint, private_enc, created_at, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, ALGORITHM, public_raw.hex(), fp, _seal(private_raw, password, user_id, fp), now, reason))
    found = active_key(conn, user_id)
    assert found is not None
    return found


def reencrypt(conn: sqlite3.Connection, *, user_id: int, old: str, new: str, now: str) -> None:
    """The user's own new password: the same key, sealed again. A key that does not open with the old password
    (it was sealed outside the program) is replaced by a new pair, which verify will report as a key change."""
    key = active_key(conn, user_id)
    if key is None:
        return
    sealed = conn.execute("SELECT private_enc FROM signing_keys WHERE id = ?", (key.id,)).fetchone()[0]
    raw = _open(sealed, old, user_id, key.fingerprint)
    if raw is None:
        create_key(conn, user_id=user_id, password=new, now=now, reason="修改密码时原签名密钥无法用原密码解开，已生成新密钥")
        return
    conn.execute("UPDATE signing_keys SET private_enc = ? WHERE id = ?", (_seal(raw, new, user_id, key.fingerprint), key.id))


@dataclass(frozen=True)
class Signer:
    """An unlocked key: lives only for one sign-off, never stored."""

    key: KeyInfo
    _private: Ed25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)


def unlock(conn: sqlite3.Connection, *, user_id: int, password: str) -> Signer:
    key = active_key(conn, user_id)
    if key is None:
        raise AppError("该用户没有签名密钥", field="签名密钥")
    sealed = conn.execute("SELECT private_enc FROM signing_keys WHERE id = ?", (key.id,)).fetchone()[0]
    raw = _open(sealed, password, user_id, key.fingerprint)
    if raw is None:
        raise AppError("密码不正确，无法解开签名密钥；未签发，未写入任何数据", field="局长密码")
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw).hex() != key.public_key:
        raise AppError("签名密钥的私钥与登记的公钥不匹配（密钥记录被改动过）；未签发", field="签名密钥")
    return Signer(key, private)


def verify_signature(algorithm: str, public_hex: str, data: bytes, signature: bytes) -> bool:
    if algorithm != ALGORITHM:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- the users table as a signature covers it ------------------------------------------------------------
def users_now(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """login, role, active and active key fingerprint of every user, as the tables stand now."""
    rows = conn.execute(
        "SELECT u.login, u.role, u.active, coalesce((SELECT k.fingerprint FROM signing_keys k WHERE k.user_id = u.id "
        "AND k.retired_at IS NULL), '') FROM users u").fetchall()
    return sorted(({"login": str(r[0]), "role": str(r[1]), "active": int(r[2]), "key": str(r[3])} for r in rows),
                  key=lambda u: str(u["login"]).lower())


def users_at(conn: sqlite3.Connection, seq: int) -> list[dict[str, object]]:
    """The same list as it stood at audit record `seq`, rebuilt from the audit log (its last state of each row)."""
    def last_states(table: str) -> list[dict[str, object]]:
        rows = conn.execute(
            "SELECT a.action, a.after FROM audit_log a JOIN (SELECT row_key, max(seq) AS m FROM audit_log "
            "WHERE tbl = ? AND seq <= ? GROUP BY row_key) l ON a.seq = l.m", (table, seq)).fetchall()
        return [json.loads(r[1]) for r in rows if r[0] != "D" and r[1]]

    active_keys = {int(k["user_id"]): str(k["fingerprint"]) for k in last_states("signing_keys")  # type: ignore[call-overload]
                   if k.get("retired_at") is None}
    out = [{"login": str(u["login"]), "role": str(u["role"]), "active": int(u["active"]),  # type: ignore[call-overload]
            "key": active_keys.get(int(u["id"]), "")} for u in last_states("users")]  # type: ignore[call-overload]
    return sorted(out, key=lambda u: str(u["login"]).lower())


def users_digest(users: list[dict[str, object]]) -> str:
    text = json.dumps(users, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
