"""收款人: enterprises and 个体工商户 (统一社会信用代码), households and persons (公民身份号码).

DOMAIN §2: an ID number that fails its check cannot be saved; a USCC that fails its check character
is kept with a warning until a reviewer confirms it (some genuine old codes fail). The same ID or the
same bank account twice is a duplicate and refused, naming the payee already registered.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from app.models.plan import fields as pf
from app.models.store.book import Book
from app.models.store.where import Where
from app.models.values import ids
from app.models.values.errors import NotFound, ValidationError

SORT_KEYS = {"name": "p.name", "payee_type_name": "p.payee_type", "id_code": "p.id_code", "bank": "p.bank",
             "account_no": "p.account_no", "village": "p.village", "created_at": "p.id"}


def clean_account(value: object, field: str = "账号") -> str:
    """Bank account numbers as printed on a card: spaces and hyphens dropped, 6–40 digits."""
    s = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", "" if value is None else str(value)))
    if not s:
        raise ValidationError("不能为空", field=field)
    if not s.isdigit() or not s.isascii():
        raise ValidationError(f"“{s}”应只含数字", field=field)
    if not 6 <= len(s) <= 40:
        raise ValidationError(f"应为 6～40 位数字（实际 {len(s)} 位）", field=field)
    return s


def check_code(book: Book, payee_type: str, code: str) -> tuple[str, bool, str]:
    """(normalized code, check passed, warning text) — raises when the rule set says block."""
    ptype = book.rules.payee_type(payee_type)
    id_type = book.rules.id_type(ptype.id_type)
    if ptype.id_type == "id_number":
        return ids.check_id_number(code, field=id_type.name, today=book.today()), True, ""
    value, ok = ids.check_uscc(code, field=id_type.name)
    if ok:
        return value, True, ""
    expected = ids.uscc_check_char(value[:17])
    message = f"{id_type.name} {value} 的校验码应为 {expected}，与第 18 位不符"
    if id_type.on_check_failure == "block":
        raise ValidationError(message, field=id_type.name)
    return value, False, message + "；部分早期代码确实如此，保存后须由审核人确认"


def _clean(book: Book, *, payee_type: str, name: str, id_code: str, account_name: str, account_no: str, bank: str,
           township: str, village: str, note: str) -> dict[str, Any]:
    codes = {t.code for t in book.rules.payment.payee_types}
    if payee_type not in codes:
        names = "、".join(t.name for t in book.rules.payment.payee_types)
        raise ValidationError(f"应为 {names} 之一", field="收款人类型")
    code, ok, warning = check_code(book, payee_type, id_code)
    return {
        "payee_type": payee_type, "name": pf.text(name, "收款人名称", max_len=100, required=True),
        "id_code": code, "id_check_ok": int(ok), "warning": warning,
        "account_name": pf.text(account_name or name, "账户名称", max_len=100, required=True),
        "account_no": clean_account(account_no), "bank": pf.text(bank, "开户银行", max_len=100, required=True),
        "township": pf.text(township, "乡镇", max_len=40), "village": pf.text(village, "村", max_len=40),
        "note": pf.text(note, "备注", max_len=200),
    }


def _duplicates(book: Book, v: dict[str, Any], payee_id: int | None) -> None:
    row = book.conn.execute("SELECT id, name FROM payees WHERE id_code = ? AND id IS NOT ?",
                            (v["id_code"], payee_id)).fetchone()
    if row:
        raise ValidationError(f"该证件号码已登记为收款人“{row['name']}”（#{row['id']}），请直接选用", field="证件号码")
    row = book.conn.execute("SELECT id, name FROM payees WHERE account_no = ? AND id IS NOT ?",
                            (v["account_no"], payee_id)).fetchone()
    if row:
        raise ValidationError(f"该账号已登记在收款人“{row['name']}”（#{row['id']}）名下，同一账号不能登记两次",
                              field="账号")


def create_payee(book: Book, *, payee_type: str, name: str, id_code: str, account_no: str, bank: str,
                 account_name: str = "", township: str = "", village: str = "", note: str = "") -> dict[str, Any]:
    """Register a payee; the result carries `warning` when the USCC check character fails."""
    v = _clean(book, payee_type=payee_type, name=name, id_code=id_code, account_name=account_name,
               account_no=account_no, bank=bank, township=township, village=village, note=note)
    _duplicates(book, v, None)
    with book.write("edit_payee") as conn:
        cur = conn.execute(
            "INSERT INTO payees (payee_type, name, id_code, id_check_ok, account_name, account_no, bank, township, "
            "village, note, active, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (v["payee_type"], v["name"], v["id_code"], v["id_check_ok"], v["account_name"], v["account_no"], v["bank"],
             v["township"], v["village"], v["note"], book.user_id, book.stamp()))
        payee_id = int(cur.lastrowid or 0)
    return get(book, payee_id) | {"warning": v["warning"]}


def update_payee(book: Book, *, payee_id: int, payee_type: str, name: str, id_code: str, account_no: str, bank: str,
                 account_name: str = "", township: str = "", village: str = "", note: str = "") -> dict[str, Any]:
    """Correct a payee; a changed code is checked again and needs a new confirmation if it fails."""
    current = get(book, payee_id)
    v = _clean(book, payee_type=payee_type, name=name, id_code=id_code, account_name=account_name,
               account_no=account_no, bank=bank, township=township, village=village, note=note)
    _duplicates(book, v, payee_id)
    keep = v["id_code"] == current["id_code"] and not v["id_check_ok"]
    with book.write("edit_payee") as conn:
        conn.execute(
            "UPDATE payees SET payee_type = ?, name = ?, id_code = ?, id_check_ok = ?, account_name = ?, account_no = ?, "
            "bank = ?, township = ?, village = ?, note = ?, id_confirmed_by = ?, id_confirmed_at = ? WHERE id = ?",
            (v["payee_type"], v["name"], v["id_code"], v["id_check_ok"], v["account_name"], v["account_no"], v["bank"],
             v["township"], v["village"], v["note"], current["id_confirmed_by"] if keep else None,
             current["id_confirmed_at"] if keep else None, payee_id))
    return get(book, payee_id) | {"warning": v["warning"]}


def confirm_id(book: Book, *, payee_id: int) -> None:
    """The reviewer confirms a USCC whose check character fails (recorded with who and when)."""
    current = get(book, payee_id)
    if current["id_check_ok"]:
        raise ValidationError("该证件号码校验通过，无需确认", field="证件号码")
    with book.write("confirm_payee") as conn:
        conn.execute("UPDATE payees SET id_confirmed_by = ?, id_confirmed_at = ? WHERE id = ?",
                     (book.user_id, book.stamp(), payee_id))


def set_active(book: Book, *, payee_id: int, active: bool) -> None:
    get(book, payee_id)
    with book.write("edit_payee") as conn:
        conn.execute("UPDATE payees SET active = ? WHERE id = ?", (int(active), payee_id))


def _decorate(book: Book, row: Any) -> dict[str, Any]:
    d = dict(row)
    ptype = next((t for t in book.rules.payment.payee_types if t.code == d["payee_type"]), None)
    d["payee_type_name"] = ptype.name if ptype else d["payee_type"]
    d["person"] = bool(ptype and ptype.person)
    d["id_state"] = "校验通过" if d["id_check_ok"] else ("已由审核人确认" if d["id_confirmed_by"] else "校验码不符，待审核人确认")
    return d


def get(book: Book, payee_id: int) -> dict[str, Any]:
    row = book.conn.execute("SELECT * FROM payees WHERE id = ?", (payee_id,)).fetchone()
    if row is None:
        raise NotFound(f"收款人 #{payee_id} 不存在", field="收款人")
    return _decorate(book, row)


def choices(book: Book, *, active_only: bool = True) -> list[dict[str, Any]]:
    where = " WHERE active = 1" if active_only else ""
    return [_decorate(book, r) for r in book.conn.execute(f"SELECT * FROM payees{where} ORDER BY name, id")]


class PayeeQuery:
    """Row source for the 收款人 list, filtered by text; sort keys whitelisted."""

    def __init__(self, book: Book, *, text: str = "") -> None:
        self.book = book
        w = Where().contains(text, "p.name", "p.id_code", "p.account_no", "p.bank")
        self.where, self.args = w.clause, w.args

    def count(self) -> int:
        return int(self.book.conn.execute("SELECT count(*) FROM payees p" + self.where, self.args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        return SORT_KEYS.get(sort_key or "", "p.name") + (" DESC" if descending else "") + ", p.id"

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        rows = self.book.conn.execute(f"SELECT p.* FROM payees p{self.where} ORDER BY {self._order(sort_key, descending)}"
                                      " LIMIT ? OFFSET ?", [*self.args, limit, offset])
        return [_decorate(self.book, r) for r in rows]  # row by row, not fetchall (payments.query.fetch says why)

    def has(self, payee_id: int) -> bool:
        """Whether the payee is listed under this filter (one row looked up by its key)."""
        where = (self.where + " AND" if self.where else " WHERE") + " p.id = ?"
        return self.book.conn.execute(f"SELECT 1 FROM payees p{where}", [*self.args, payee_id]).fetchone() is not None

    def position(self, payee_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The payee's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter hides
        it. Every listed row is numbered: run it off the GUI thread."""
        row = self.book.conn.execute(
            f"SELECT n FROM (SELECT p.id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS n FROM payees p{self.where}) WHERE rid = ?", [*self.args, payee_id]).fetchone()
        return None if row is None else int(row[0])


