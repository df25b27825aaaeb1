"""Review of a received package: the reviewer's or chief's opinion (审核意见) and returning it (退回, with a reason
the county reads in the receipt). Both audited; a returned package stays, beside its correction."""

from __future__ import annotations

from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError


def _exists(book: Book, package_id: int) -> tuple[str, str, int, int]:
    row = book.conn.execute("SELECT c.name, p.month, p.version, p.returned FROM received_packages p "
                            "JOIN counties c ON c.id = p.county_id WHERE p.id = ?", (package_id,)).fetchone()
    if row is None:
        raise NotFound(f"接收记录 #{package_id} 不存在", field="报送包")
    return str(row[0]), str(row[1]), int(row[2]), int(row[3])


def _text(text: str, field: str, least: int) -> str:
    text = (text or "").strip()
    if len(text) < least:
        raise ValidationError(f"请写明{field}（至少 {least} 个字）", field=field)
    if len(text) > 2000 or not text.replace("\n", " ").isprintable():
        raise ValidationError("不能超过 2000 个字或含控制字符", field=field)
    return text


def set_opinion(book: Book, package_id: int, *, opinion: str) -> None:
    """审核意见 on one package (replaces an earlier one; the audit log keeps every version)."""
    _exists(book, package_id)
    text = _text(opinion, "审核意见", 2)
    with book.write("review_package") as conn:
        conn.execute("UPDATE received_packages SET opinion = ?, opinion_by = ?, opinion_at = ? WHERE id = ?",
                     (text, book.user_id, book.stamp(), package_id))


def return_package(book: Book, package_id: int, *, reason: str) -> None:
    """退回: the county must correct and send a new version; the returned one stays as received."""
    county, month, version, returned = _exists(book, package_id)
    if returned:
        raise ValidationError(f"{county} {month} 第 {version} 版已经退回", field="报送包")
    text = _text(reason, "退回理由", 5)
    later = book.conn.execute("SELECT max(version) FROM received_packages WHERE county_id = (SELECT county_id FROM "
                              "received_packages WHERE id = ?) AND month = ?", (package_id, month)).fetchone()[0]
    if later is not None and int(later) > version:
        raise ValidationError(f"{county} {month} 已有更新的第 {later} 版，不能再退回第 {version} 版", field="报送包")
    with book.write("return_package") as conn:
        conn.execute("UPDATE received_packages SET returned = 1, return_reason = ?, returned_by = ?, returned_at = ? "
                     "WHERE id = ?", (text, book.user_id, book.stamp(), package_id))
