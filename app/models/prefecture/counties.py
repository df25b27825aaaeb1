"""The lower bureaus a prefecture (or region) file receives from: name, 行政区划代码, contact, and the chief's
signing-key fingerprint as printed on the bureau's first signed cover, confirmed by this bureau."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def add_county(book: Book, *, code: str, name: str, contact: str = "", fingerprint: str = "") -> int:
    """Register a lower bureau; a fingerprint given here counts as confirmed by the user entering it."""
    _require_level(book)
    code, name, contact = _check(code, name, contact)
    fp = normalize_fingerprint(fingerprint)
    if by_code(book, code) is not None:
        raise ValidationError(f"行政区划代码 {code} 已登记", field="行政区划代码")
    if book.conn.execute("SELECT 1 FROM bureau WHERE region_code = ?", (code,)).fetchone():
        raise ValidationError(f"{code} 是本单位自己的代码", field="行政区划代码")
    sort = int(book.conn.execute("SELECT coalesce(max(sort), 0) + 1 FROM counties").fetchone()[0])
    with book.write("edit_counties") as conn:
        cur = conn.execute(
            "INSERT INTO counties (code, name, contact, fingerprint, confirmed_by, confirmed_at, sort, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (code, name, contact, fp, book.user_id if fp else None, book.stamp() if fp else None, sort, book.stamp()))
        return int(cur.lastrowid or 0)


def update_county(book: Book, county_id: int, *, name: str, contact: str, active: bool = True) -> None:
    old = get(book, county_id)
    _code, name, contact = _check(old.code, name, contact)
    with book.write("edit_counties") as conn:
        conn.execute("UPDATE counties SET name = ?, contact = ?, active = ? WHERE id = ?",
                     (name, contact, int(active), county_id))


def confirm_fingerprint(book: Book, county_id: int, *, fingerprint: str) -> None:
    """Set (or replace, e.g. after the county chief's key changed) the fingerprint, read from the signed cover."""
    get(book, county_id)
    fp = normalize_fingerprint(fingerprint)
    if not fp:
        raise ValidationError("不能为空", field="签名密钥指纹")
    with book.write("edit_counties") as conn:
        conn.execute("UPDATE counties SET fingerprint = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ?",
                     (fp, book.user_id, book.stamp(), county_id))
