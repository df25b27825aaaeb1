"""Users, roles and passwords (scrypt with its parameters stored beside the hash)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
import sqlite3

from app import resources
from app.models.store import audit, endorsements, keys
from app.models.store.book import Book, User
from app.models.store.permissions import ROLE_NAMES
from app.models.values.errors import AppError, NotFound, ValidationError

# OWASP's scrypt parameters (2024): N=2^17, r=8, p=1 — about 128 MB and ~1 s per hash on the bureau's PC.
# Stored beside each hash, so a file made with other parameters still opens; a login rehashes it to these.
# Tests lower SCRYPT_N through a fixture (tests/conftest.py) only.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
MIN_PASSWORD = 8
MAX_FAILED_LOGINS = 5  # wrong passwords in a row before the account is locked
LOCK_MINUTES = 15


def _maxmem(n: int, r: int, p: int) -> int:
    return 128 * r * n * (p + 1) + 64 * 1024 * 1024  # OpenSSL's need with room to spare


def hash_password(password: str, *, n: int | None = None, r: int | None = None, p: int | None = None) -> str:
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def password_tag(pw_hash: str) -> str:
    """What the audit log records instead of the hash: SHA-256 of the whole stored text (salt included),
    so verify can prove the row without the log ever holding anything a guesser could test against."""
    return hashlib.sha256(pw_hash.encode("utf-8")).hexdigest()


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_maxmem(int(n), int(r), int(p)), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def outdated(stored: str) -> bool:
    """A hash made with weaker parameters than today's (rehashed at the next successful login)."""
    try:
        scheme, n, r, p, _salt, _digest = stored.split("$")
        return scheme != "scrypt" or (int(n), int(r), int(p)) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    except ValueError:
        return True


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """resources/common_passwords.txt: one per line, compared in lower case; # starts a comment."""
    text = (resources.resources_dir() / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password(password: str, *, login: str = "") -> None:
    """The minimum rules: ≥ 8 characters, printable, not the login name, not a common password."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"至少 {MIN_PASSWORD} 位", field="密码")
    if password.strip() != password or not password.isprintable():
        raise ValidationError("不能以空格开头或结尾，不能含控制字符", field="密码")
    lowered = password.lower()
    name = (login or "").strip().lower()
    if name and (lowered == name or lowered == name[::-1] or (len(name) >= 4 and name in lowered
                                                                 and len(lowered) - len(name) < 4)):
        raise ValidationError("不能与登录名相同或只在登录名前后加几个字符", field="密码")
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        raise ValidationError("过于常见，容易被猜中（如 12345678、password、88888888），请换一个", field="密码")


def _clean(text: str, field: str, *, max_len: int = 40) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError("不能为空", field=field)
    if len(value) > max_len:
        raise ValidationError(f"不能超过 {max_len} 个字符", field=field)
    if not value.isprintable():
        raise ValidationError("不能含控制字符", field=field)
    return value


def _login_name(text: str) -> str:
    value = _clean(text, "登录名", max_len=32)
    if not all(c.isalnum() or c in "._-" for c in value) or not value.isascii():
        raise ValidationError("只能由英文字母、数字和 . _ - 组成", field="登录名")
    return value


def _row_user(row: sqlite3.Row) -> User:
    return User(id=row["id"], login=row["login"], name=row["name"], role=row["role"], section=row["section"])


def insert_user(conn: sqlite3.Connection, *, login: str, name: str, role: str, password: str,
                section: str = "", now: str) -> int:
    """Shared by first-run set-up and add_user: validation, then one INSERT."""
    login = _login_name(login)
    name = _clean(name, "姓名")
    if role not in ROLE_NAMES:
        raise ValidationError(f"应为 {'、'.join(ROLE_NAMES.values())} 之一", field="角色")
    check_password(password, login=login)
    if conn.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
        raise ValidationError(f"“{login}”已被使用", field="登录名")
    pw_hash = hash_password(password)
    cur = conn.execute(
        "INSERT INTO users (login, name, role, section, pw_hash, pw_tag, active, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        (login, name, role, section.strip(), pw_hash, password_tag(pw_hash), now),
    )
    if role == "chief":  # the chief signs the monthly packages: a key pair sealed under this password
        keys.create_key(conn, user_id=int(cur.lastrowid or 0), password=password, now=now, reason="创建局长账号时生成")
    return int(cur.lastrowid or 0)


def _set_password(conn: sqlite3.Connection, user_id: int, password: str) -> None:
    pw_hash = hash_password(password)
    conn.execute("UPDATE users SET pw_hash = ?, pw_tag = ?, failed_logins = 0, locked_until = '' WHERE id = ?",
                 (pw_hash, password_tag(pw_hash), user_id))


def _endorser(book: Book, password: str | None) -> keys.Signer | None:
    """The acting chief's key, to endorse a new chief key (store/endorsements.py); None when no password is given
    (the new key is then vouched for only once a report signed with a vouched key lists it)."""
    if not password:
        return None
    return unlock_signing_key(book, password, action="签名确认新局长的签名密钥")


def require_endorsement(role: str, endorse_password: str | None, *, action: str) -> None:
    """The window's rule: a new chief key (a chief added, a chief's password reset) is endorsed by the acting chief,
    who types their own password; without it the key is one verify cannot tell from a key written in with sqlite3.
    (The model still accepts an unendorsed key — verify then says so — for callers that model such a file.)"""
    if role == "chief" and not endorse_password:
        raise ValidationError(f"{action}须输入你本人的密码，用你的签名密钥确认他的新签名密钥；未{action}", field="你的密码")


def _endorse(book: Book, conn: sqlite3.Connection, signer: keys.Signer | None, user_id: int,
             head: tuple[int, str]) -> None:
    if signer is not None and book.user is not None:
        endorsements.record(conn, signer=signer, by_id=book.user.id, by_login=book.user.login, by_name=book.user.name,
                            user_id=user_id, head=head, at=book.stamp())


def add_user(book: Book, *, login: str, name: str, role: str, password: str, section: str = "",
             endorse_password: str | None = None) -> User:
    """`endorse_password`: the acting chief's own password, to sign the new chief's key (a chief only)."""
    signer = _endorser(book, endorse_password) if role == "chief" else None
    with book.write("add_user") as conn:
        head = audit.head(conn)
        uid = insert_user(conn, login=login, name=name, role=role, password=password, section=section, now=book.stamp())
        _endorse(book, conn, signer, uid, head)
    return get(book, uid)


def get(book: Book, user_id: int) -> User:
    row = book.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return _row_user(row)


def list_users(book: Book) -> list[dict[str, object]]:
    rows = book.conn.execute("SELECT id, login, name, role, section, active, created_at, failed_logins, "
                             "last_failed_at, locked_until FROM users ORDER BY id").fetchall()
    now = book.stamp()
    return [dict(r) | {"role_name": ROLE_NAMES.get(r["role"], r["role"]),
                       "locked": bool(r["locked_until"]) and r["locked_until"] > now} for r in rows]




def _lock_text(until: str) -> str:
    return (f"该账号因连续 {MAX_FAILED_LOGINS} 次密码错误已被锁定，{until[:16]} 后自动解锁；"
            "急需使用请局长在“设置 → 用户”中解锁")


def login(book: Book, login_name: str, password: str) -> User:
    """Check the password; a disabled or locked user cannot log in. Sets book.user.

    Wrong passwords are counted in the file (audited, shown to the chief): after MAX_FAILED_LOGINS in a row
    the account is locked for LOCK_MINUTES, during which even the right password is refused. A successful
    login clears the count and rehashes a password stored with weaker scrypt parameters. On a file opened
    read-only nothing can be recorded: the lock already in the file still applies."""
    row = book.conn.execute("SELECT * FROM users WHERE login = ?", ((login_name or "").strip(),)).fetchone()
    if row is None:
        dummy = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"
        password_matches(password, dummy)  # the same work as for a real name: no hint which names exist
        raise AppError("登录名或密码错误")
    now = book.stamp()
    keys = row.keys()
    locked_until = row["locked_until"] if "locked_until" in keys else ""
    if locked_until and locked_until > now:
        raise AppError(_lock_text(locked_until))
    if not password_matches(password, row["pw_hash"]):
        left = MAX_FAILED_LOGINS - (int(row["failed_logins"]) + 1) if "failed_logins" in keys else None
        if not book.read_only and left is not None:
            until = ""
            if left <= 0:
                until = (book.now() + dt.timedelta(minutes=LOCK_MINUTES)).isoformat(sep=" ", timespec="seconds")
            with book.write("lock_user" if until else "login_failed", system=True) as conn:
                conn.execute("UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ?, locked_until = ? "
                             "WHERE id = ?", (now, until, row["id"]))
            if until:
                raise AppError(_lock_text(until))
            raise AppError(f"登录名或密码错误（再错 {left} 次，该账号将被锁定 {LOCK_MINUTES} 分钟）")
        raise AppError("登录名或密码错误")
    if not row["active"]:
        raise AppError("该用户已停用，不能登录，请联系局长")
    if not book.read_only and "failed_logins" in keys and (row["failed_logins"] or locked_until or
                                                            outdated(row["pw_hash"])):
        with book.write("login", system=True) as conn:
            if outdated(row["pw_hash"]):
                pw_hash = hash_password(password)
                conn.execute("UPDATE users SET pw_hash = ?, pw_tag = ? WHERE id = ?",
                             (pw_hash, password_tag(pw_hash), row["id"]))
            conn.execute("UPDATE users SET failed_logins = 0, locked_until = '' WHERE id = ?", (row["id"],))
    user = _row_user(row)
    book.user = user
    return user


def unlock(book: Book, *, user_id: int) -> None:
    """The chief ends a lockout before its time (audited)."""
    with book.write("unlock_user") as conn:
        get(book, user_id)
        conn.execute("UPDATE users SET failed_logins = 0, locked_until = '' WHERE id = ?", (user_id,))


def update_user(book: Book, *, user_id: int, name: str | None = None, role: str | None = None,
                section: str | None = None, active: bool | None = None) -> User:
    with book.write("update_user") as conn:
        current = get(book, user_id)
        if active is False and book.user and book.user.id == user_id:
            raise ValidationError("不能停用当前登录的自己", field="状态")
        new_role = current.role if role is None else role
        if new_role not in ROLE_NAMES:
            raise ValidationError(f"应为 {'、'.join(ROLE_NAMES.values())} 之一", field="角色")
        if current.role == "chief" and (new_role != "chief" or active is False):
            others = conn.execute(
                "SELECT count(*) FROM users WHERE role = 'chief' AND active = 1 AND id != ?", (user_id,)
            ).fetchone()[0]
            if not others:
                raise ValidationError("至少要保留一名启用的局长", field="角色")
        conn.execute(
            "UPDATE users SET name = ?, role = ?, section = ?, active = ? WHERE id = ?",
            (
                current.name if name is None else _clean(name, "姓名"),
                new_role,
                current.section if section is None else section.strip(),
                _is_active(conn, user_id) if active is None else int(active),
                user_id,
            ),
        )
    return get(book, user_id)


def _is_active(conn: sqlite3.Connection, user_id: int) -> int:
    return int(conn.execute("SELECT active FROM users WHERE id = ?", (user_id,)).fetchone()[0])


def reset_password(book: Book, *, user_id: int, password: str, endorse_password: str | None = None) -> None:
    """`endorse_password`: the acting chief's own password, to sign the new key a chief's reset makes."""
    row = book.conn.execute("SELECT login, role FROM users WHERE id = ?", (user_id,)).fetchone()
    check_password(password, login=row["login"] if row else "")
    signer = _endorser(book, endorse_password) if row is not None and row["role"] == "chief" else None
    with book.write("reset_password") as conn:
        head = audit.head(conn)
        get(book, user_id)
        _set_password(conn, user_id, password)
        target = get(book, user_id)
        if target.role == "chief" or keys.active_key(conn, user_id):  # the old key cannot be opened without the old password
            who = book.user.name if book.user else "系统"
            keys.create_key(conn, user_id=user_id, password=password, now=book.stamp(),
                            reason=f"{who} 重置了 {target.name} 的密码，原签名密钥无法恢复，已生成新密钥")
            if target.role == "chief":
                _endorse(book, conn, signer, user_id, head)


def change_own_password(book: Book, *, old: str, new: str) -> None:
    if book.user is None:
        raise AppError("请先登录")
    row = book.conn.execute("SELECT pw_hash FROM users WHERE id = ?", (book.user.id,)).fetchone()
    if not password_matches(old, row[0]):
        raise ValidationError("与当前密码不符", field="原密码")
    if new == old:
        raise ValidationError("不能与原密码相同", field="新密码")
    check_password(new, login=book.user.login)
    with book.write("change_own_password") as conn:
        _set_password(conn, book.user.id, new)
        keys.reencrypt(conn, user_id=book.user.id, old=old, new=new, now=book.stamp())


def unlock_signing_key(book: Book, password: str | None, *, action: str = "签发") -> keys.Signer:
    """The logged-in chief's password opens their signing key (made now when the file has no key at all yet: a file
    from before signing keys). `action` names what is refused (签发, 重新打开) when it does not open."""
    assert book.user is not None
    if not password:
        raise ValidationError(f"{action}需要局长本人的密码来解开签名密钥；未{action}", field="局长密码")
    row = book.conn.execute("SELECT pw_hash FROM users WHERE id = ?", (book.user.id,)).fetchone()
    if row is None or not password_matches(password, row[0]):
        raise ValidationError(f"密码不正确，无法解开签名密钥；未{action}，未写入任何数据", field="局长密码")
    if keys.active_key(book.conn, book.user.id) is None:
        if book.conn.execute("SELECT 1 FROM signing_keys LIMIT 1").fetchone():
            # Keys are made where the program knows the password and who asks: a chief's account created in the
            # program, or a password reset by a chief. A chief row with none was made some other way.
            raise ValidationError(
                f"{book.user.name} 没有签名密钥，不能{action}。由本程序创建的局长账号都有签名密钥；如果该账号是由其他"
                "角色改为局长的，请由另一位局长为其重置密码（同时生成签名密钥）", field="签名密钥")
        with book.write("create_signing_key") as conn:  # a file from before signing keys: its first one
            keys.create_key(conn, user_id=book.user.id, password=password, now=book.stamp(),
                            reason=f"首次{action}时生成（此前没有签名密钥）")
    return keys.unlock(book.conn, user_id=book.user.id, password=password)
