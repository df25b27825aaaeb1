"""Users, roles and passwords (scrypt with its parameters stored beside the hash)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

from app.models.store import keys
from app.models.store.book import Book, User
from app.models.store.permissions import ROLE_NAMES
from app.models.values.errors import AppError, NotFound, ValidationError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=256 * 1024 * 1024, dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"至少 {MIN_PASSWORD} 位", field="密码")
    if password.strip() != password or not password.isprintable():
        raise ValidationError("不能以空格开头或结尾，不能含控制字符", field="密码")


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
    check_password(password)
    if conn.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
        raise ValidationError(f"“{login}”已被使用", field="登录名")
    cur = conn.execute(
        "INSERT INTO users (login, name, role, section, pw_hash, active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
        (login, name, role, section.strip(), hash_password(password), now),
    )
    if role == "chief":  # the chief signs the monthly packages: a key pair sealed under this password
        keys.create_key(conn, user_id=int(cur.lastrowid or 0), password=password, now=now, reason="创建局长账号时生成")
    return int(cur.lastrowid or 0)


def add_user(book: Book, *, login: str, name: str, role: str, password: str, section: str = "") -> User:
    with book.write("add_user") as conn:
        uid = insert_user(conn, login=login, name=name, role=role, password=password, section=section, now=book.stamp())
    return get(book, uid)


def get(book: Book, user_id: int) -> User:
    row = book.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return _row_user(row)


def list_users(book: Book) -> list[dict[str, object]]:
    rows = book.conn.execute("SELECT id, login, name, role, section, active, created_at FROM users ORDER BY id").fetchall()
    return [dict(r) | {"role_name": ROLE_NAMES.get(r["role"], r["role"])} for r in rows]


def login(book: Book, login_name: str, password: str) -> User:
    """Check the password; a disabled user cannot log in. Sets book.user."""
    row = book.conn.execute("SELECT * FROM users WHERE login = ?", ((login_name or "").strip(),)).fetchone()
    if row is None or not password_matches(password, row["pw_hash"]):
        raise AppError("登录名或密码错误")
    if not row["active"]:
        raise AppError("该用户已停用，不能登录，请联系局长")
    user = _row_user(row)
    book.user = user
    return user


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


def reset_password(book: Book, *, user_id: int, password: str) -> None:
    check_password(password)
    with book.write("reset_password") as conn:
        get(book, user_id)
        conn.execute("UPDATE users SET pw_hash = ? WHERE id = ?", (hash_password(password), user_id))
        target = get(book, user_id)
        if target.role == "chief" or keys.active_key(conn, user_id):  # the old key cannot be opened without the old password
            who = book.user.name if book.user else "系统"
            keys.create_key(conn, user_id=user_id, password=password, now=book.stamp(),
                            reason=f"{who} 重置了 {target.name} 的密码，原签名密钥无法恢复，已生成新密钥")


def change_own_password(book: Book, *, old: str, new: str) -> None:
    if book.user is None:
        raise AppError("请先登录")
    row = book.conn.execute("SELECT pw_hash FROM users WHERE id = ?", (book.user.id,)).fetchone()
    if not password_matches(old, row[0]):
        raise ValidationError("与当前密码不符", field="原密码")
    check_password(new)
    with book.write("change_own_password") as conn:
        conn.execute("UPDATE users SET pw_hash = ? WHERE id = ?", (hash_password(new), book.user.id))
        keys.reencrypt(conn, user_id=book.user.id, old=old, new=new, now=book.stamp())
