"""The lower bureaus a prefecture (or region) file receives from: name, 行政区划代码, contact, and the chief's
signing-key fingerprint as printed on the bureau's first signed cover, confirmed by this bureau."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from app.models.prefecture import registrations
from app.models.store import keys, permissions, users
from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError

_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class County:
    id: int
    code: str
    name: str
    contact: str
    fingerprint: str  # lower-case hex, 32 (as printed) or 64 digits; "" until registered
    confirmed_at: str | None
    active: bool

    @property
    def printed(self) -> str:
        head = self.fingerprint[:32].upper()
        return " ".join(head[i:i + 4] for i in range(0, len(head), 4))


def normalize_fingerprint(text: str) -> str:
    """'3F2A 9C01 …' as printed on a cover (32 hex digits in groups) or the whole 64 → lower-case hex."""
    fp = re.sub(r"[\s:-]", "", text or "").lower()
    if fp and (not _HEX.fullmatch(fp) or len(fp) not in (32, 64)):
        raise ValidationError("应为封面上印的 32 位十六进制数字（每 4 位一组），或完整的 64 位", field="签名密钥指纹")
    return fp


def _check(code: str, name: str, contact: str) -> tuple[str, str, str]:
    code, name, contact = (code or "").strip(), (name or "").strip(), (contact or "").strip()
    if not re.fullmatch(r"[1-9]\d{5}", code):
        raise ValidationError("应为 6 位数字（例如 653101）", field="行政区划代码")
    if not name or len(name) > 60 or not name.isprintable():
        raise ValidationError("不能为空、不能超过 60 个字符或含控制字符", field="单位名称")
    if len(contact) > 200 or not contact.replace("\n", " ").isprintable():
        raise ValidationError("不能超过 200 个字符或含控制字符", field="联系人")
    return code, name, contact


def _row(r: object) -> County:
    return County(int(r["id"]), str(r["code"]), str(r["name"]), str(r["contact"]), str(r["fingerprint"]),  # type: ignore[index]
                  r["confirmed_at"], bool(r["active"]))  # type: ignore[index]


def list_counties(book: Book, *, active_only: bool = False) -> list[County]:
    where = "WHERE active = 1" if active_only else ""
    return [_row(r) for r in book.conn.execute(f"SELECT * FROM counties {where} ORDER BY sort, code")]


def get(book: Book, county_id: int) -> County:
    r = book.conn.execute("SELECT * FROM counties WHERE id = ?", (county_id,)).fetchone()
    if r is None:
        raise NotFound(f"下级单位 #{county_id} 不存在", field="下级单位")
    return _row(r)


def by_code(book: Book, code: str) -> County | None:
    r = book.conn.execute("SELECT * FROM counties WHERE code = ?", (code,)).fetchone()
    return _row(r) if r else None


def _require_level(book: Book) -> None:
    level = book.conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()[0]
    if level == "county":
        raise ValidationError("本文件是县级单位，没有下级单位；请在地州级（或自治区级）文件中登记", field="单位级次")


def _check_code(book: Book, code: str) -> None:
    """A lower bureau's code lies inside this bureau's: a prefecture's (AABB00) counties are AABBxx, a region's
    (AA0000) prefectures AAxxxx; a code ending in 000 (伊犁州 654000, whose 塔城 6542xx and 阿勒泰 6543xx lie
    inside it) keeps three digits. A bureau whose own code ends in neither (a county's) checks nothing."""
    own = str(book.conn.execute("SELECT region_code FROM bureau WHERE id = 1").fetchone()[0] or "")
    prefix = own[:2] if own.endswith("0000") else own[:3] if own.endswith("000") else own[:4] if own.endswith("00") \
        else ""
    if re.fullmatch(r"[1-9]\d{5}", own) and prefix and not code.startswith(prefix):
        raise ValidationError(f"{code} 不在本单位（区划代码 {own}）的辖区内：下级单位的代码应以 {prefix} 开头",
                              field="行政区划代码")


def _signer(book: Book, password: str | None) -> keys.Signer:
    """A fingerprint is registered under the chief's signature: the chief's own password opens the key, before
    anything is written."""
    permissions.require("register_county_key", book.user.role if book.user else None)
    return users.unlock_signing_key(book, password, action="登记签名密钥指纹")


def add_county(book: Book, *, code: str, name: str, contact: str = "", fingerprint: str = "",
               password: str | None = None) -> int:
    """Register a lower bureau. A fingerprint given here is registered under the chief's signature (the chief's
    password); without one, the clerk may register the bureau and the chief its key later."""
    _require_level(book)
    code, name, contact = _check(code, name, contact)
    fp = normalize_fingerprint(fingerprint)
    if by_code(book, code) is not None:
        raise ValidationError(f"行政区划代码 {code} 已登记", field="行政区划代码")
    if book.conn.execute("SELECT 1 FROM bureau WHERE region_code = ?", (code,)).fetchone():
        raise ValidationError(f"{code} 是本单位自己的代码", field="行政区划代码")
    _check_code(book, code)
    signer = _signer(book, password) if fp else None
    sort = int(book.conn.execute("SELECT coalesce(max(sort), 0) + 1 FROM counties").fetchone()[0])
    with book.write("register_county_key" if fp else "edit_counties") as conn:
        at = book.stamp()
        cur = conn.execute(
            "INSERT INTO counties (code, name, contact, fingerprint, confirmed_by, confirmed_at, sort, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (code, name, contact, fp, book.user_id if fp else None, at if fp else None, sort, at))
        county_id = int(cur.lastrowid or 0)
        if signer is not None:
            _sign(book, conn, signer, county_id, fp, at)
        return county_id


def _sign(book: Book, conn: sqlite3.Connection, signer: keys.Signer, county_id: int, fp: str, at: str) -> None:
    assert book.user is not None
    registrations.record(conn, signer=signer, user_id=book.user.id, login=book.user.login, name=book.user.name,
                         county_id=county_id, fingerprint=fp, at=at)


def update_county(book: Book, county_id: int, *, name: str, contact: str, active: bool = True) -> None:
    old = get(book, county_id)
    _code, name, contact = _check(old.code, name, contact)
    with book.write("edit_counties") as conn:
        conn.execute("UPDATE counties SET name = ?, contact = ?, active = ? WHERE id = ?",
                     (name, contact, int(active), county_id))


def confirm_fingerprint(book: Book, county_id: int, *, fingerprint: str, password: str | None = None) -> None:
    """Set (or replace, e.g. after the county chief's key changed, or sign again one an older version registered)
    the fingerprint read from the signed cover: the chief signs the registration with the chief's key."""
    get(book, county_id)
    fp = normalize_fingerprint(fingerprint)
    if not fp:
        raise ValidationError("不能为空", field="签名密钥指纹")
    signer = _signer(book, password)
    with book.write("register_county_key") as conn:
        at = book.stamp()
        conn.execute("UPDATE counties SET fingerprint = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ?",
                     (fp, book.user_id, at, county_id))
        _sign(book, conn, signer, county_id, fp, at)


def signed_state(book: Book, county: County) -> str:
    """What the 县区 list shows of the county's registration: signed, or why not (then receiving refuses)."""
    if not county.fingerprint:
        return ""
    problem = registration_problem(book, county)
    return "已签名" if not problem else "未签名：请局长重新签名登记"


def registration_problem(book: Book, county: County) -> str:
    """Why the county's current fingerprint is not one the chief signed ("" when it is): receiving refuses then."""
    return registrations.current(book.conn, county.id, county.fingerprint) if county.fingerprint else ""
