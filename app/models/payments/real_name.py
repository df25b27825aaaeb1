"""实名制发放名册: who gets how much of a payment to persons or households (DOMAIN §4.4 item 7).

Imported from .xlsx (姓名, 身份证号, 村, 金额, 账号). Every ID must be valid, nobody may appear twice and
the total must equal the payment; one bad row refuses the whole list, naming the row. The list is
replaced whole (one transaction) while the request is still a 草稿 or 退回.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from app.models.payments.query import get
from app.models.payments.requests import is_own, require_status
from app.models.plan import fields as pf
from app.models.plan import payees
from app.models.store.book import Book
from app.models.values import ids
from app.models.values.errors import PermissionDenied, RowErrors, ValidationError
from app.models.values.money import format as fmt
from app.models.xlsx import sheets as xlsx_io

WHAT = "实名制发放名册导入"
COLUMNS = (
    xlsx_io.Col("name", "姓名*", ("户主姓名", "收款人姓名", "户主"), 12),
    xlsx_io.Col("id_number", "身份证号*", ("身份证号码", "公民身份号码", "身份证"), 22, "text"),
    xlsx_io.Col("village", "村*", ("所在村", "村名", "村（社区）", "行政村"), 14),
    xlsx_io.Col("amount", "金额（元）*", ("金额", "发放金额", "补助金额"), 14),
    xlsx_io.Col("account", "账号*", ("银行账号", "一卡通账号", "卡号", "惠农一卡通账号"), 24, "text"),
)
NOTES = (
    "实名制发放名册（到户补助、劳务报酬等直接发放到个人的款项）",
    "1. 每人一行；身份证号、账号两列请保持“文本”格式，否则 Excel 会把 18 位号码的末几位变成 0。",
    "2. 身份证号须为有效的 18 位公民身份号码（含校验码）；同一人不能出现两次。",
    "3. 金额单位为元，最多两位小数；全部金额之和必须等于支付申请的金额。",
    "4. 有任何一行不符合要求，整个名册都不会导入，程序会列出每一处错误所在的行。",
)


def write_template(path: Path | str) -> Path:
    return xlsx_io.write_template(path, [("名册", COLUMNS)], notes=NOTES)


def parse(book: Book, data: bytes, file_name: str) -> list[dict[str, Any]]:
    """Every row checked; RowErrors with all problems, or the clean lines."""
    workbook = xlsx_io.load(data, file_name)
    errors: list[tuple[int, str, str]] = []  # numbers and formulas in the wrong columns, named sheet!cell
    try:
        raw = xlsx_io.rows(workbook, COLUMNS, what=WHAT, strict=("amount",), problems=errors)
    finally:
        workbook.close()
    if not raw:
        raise RowErrors([(2, "名册", "没有任何数据行")], what=WHAT)
    refused = {(r, f) for r, f, _ in errors}
    lines: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, cells in raw:
        line: dict[str, Any] = {"row_no": number}
        for key, fn in (("name", lambda v, f: pf.text(v, f, max_len=50, required=True)),
                        ("id_number", lambda v, f: ids.check_id_number(xlsx_io.cell_code(v, f), field=f,
                                                                        today=book.today())),
                        ("village", lambda v, f: pf.text(v, f, max_len=40, required=True)),
                        ("amount", lambda v, f: xlsx_io.cell_fen(v, f)),
                        ("account", lambda v, f: payees.clean_account(xlsx_io.cell_code(v, f), f))):
            label = next(c.label for c in COLUMNS if c.key == key)
            if (number, label) in refused:
                continue
            try:
                line[key] = fn(cells.get(key), label)
            except ValidationError as exc:
                errors.append((number, label, exc.message))
        if "id_number" in line:
            first = seen.setdefault(line["id_number"], number)
            if first != number:
                errors.append((number, "身份证号", f"与第 {first} 行是同一人（{ids.mask_id(line['id_number'])}），同一人不能出现两次"))
        lines.append(line)
    if errors:
        raise RowErrors(sorted(errors), what=WHAT)
    return lines


def import_list(book: Book, *, payment_id: int, file_name: str, data: bytes) -> dict[str, Any]:
    """Check and keep the list with its payment, replacing any earlier one; all or nothing."""
    payment = get(book, payment_id)
    require_status(payment, "real_name")
    if not payment["real_name_required"]:
        raise ValidationError(f"“{payment['kind_name']}”不需要实名制发放名册", field="支付类型")
    if book.user and not is_own(book, payment):
        raise PermissionDenied(f"只有起草人 {payment['drafter_name']} 可以为这份申请导入名册")
    lines = parse(book, data, file_name)
    total = sum(int(line["amount"]) for line in lines)
    if total != payment["amount"]:
        last = max(int(line["row_no"]) for line in lines)
        raise RowErrors([(last + 1, "金额合计", f"名册合计 {fmt(total)} 元，与支付金额 {fmt(payment['amount'])} 元不符")],
                        what=WHAT)
    name = Path((file_name or "名册.xlsx").replace("\\", "/")).name[:120]
    with book.write("import_real_name_list") as conn:
        conn.execute("DELETE FROM real_name_lines WHERE payment_id = ?", (payment_id,))
        conn.execute("DELETE FROM real_name_lists WHERE payment_id = ?", (payment_id,))
        conn.execute(
            "INSERT INTO real_name_lists (payment_id, file_name, file_sha256, persons, total, imported_by, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (payment_id, name, hashlib.sha256(data).hexdigest(), len(lines), total,
             book.user.id if book.user else None, book.stamp()))
        conn.executemany(
            "INSERT INTO real_name_lines (payment_id, row_no, name, id_number, village, amount, account) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(payment_id, ln["row_no"], ln["name"], ln["id_number"], ln["village"], ln["amount"], ln["account"])
             for ln in lines])
        conn.execute("INSERT INTO payment_events (payment_id, action, from_status, to_status, note, user_id, at) "
                     "VALUES (?, 'real_name', ?, ?, ?, ?, ?)",
                     (payment_id, payment["status"], payment["status"], f"{name}：{len(lines)} 人，{fmt(total)} 元",
                      book.user.id if book.user else None, book.stamp()))
    return summary(book, payment_id) or {}


def import_file(book: Book, *, payment_id: int, path: Path | str) -> dict[str, Any]:
    name, data = xlsx_io.read_file(path)
    return import_list(book, payment_id=payment_id, file_name=name, data=data)


def summary(book: Book, payment_id: int) -> dict[str, Any] | None:
    row = book.conn.execute("SELECT * FROM real_name_lists WHERE payment_id = ?", (payment_id,)).fetchone()
    return dict(row) if row else None


def lines(book: Book, payment_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT * FROM real_name_lines WHERE payment_id = ? ORDER BY row_no", (payment_id,))]
