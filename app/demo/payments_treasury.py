"""The treasury's side of the demo's paid requests: their payment data through October, imported as the
bureau would, and the sections' October figures kept telling the 专账 demo's own story."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from app.models.ledger import reconcile, treasury
from app.models.store.book import Book

THROUGH = dt.date(2026, 10, 31)


def _rows(book: Book) -> list[dict[str, Any]]:
    out = []
    for r in book.conn.execute(
            "SELECT y.voucher_no, y.pay_date, y.amount, y.func_code, y.econ_code, y.purpose, i.doc_no, "
            "e.name AS payee, e.account_no, e.bank, (SELECT persons FROM real_name_lists l WHERE l.payment_id = y.id) "
            "AS persons FROM payments y JOIN indicators i ON i.id = y.indicator_id LEFT JOIN payees e ON e.id = y.payee_id "
            "WHERE y.status = 'paid' AND y.pay_date <= ? ORDER BY y.pay_date, y.voucher_no", (THROUGH.isoformat(),)):
        out.append({"voucher_no": r["voucher_no"], "pay_date": r["pay_date"], "doc_no": r["doc_no"],
                    "func_code": r["func_code"], "econ_code": r["econ_code"],
                    "payee_name": r["payee"] or f"实名制批量发放（{r['persons']}人）", "payee_account": r["account_no"] or "",
                    "payee_bank": r["bank"] or "", "amount": r["amount"], "purpose": r["purpose"],
                    "pay_method": "财政直接支付"})
    return out


def _write(rows: list[dict[str, Any]], path: Path) -> Path:
    import openpyxl

    from app.models.ledger.treasury_file import FIELDS
    from app.models.values.money import to_yuan

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "支付明细"
    ws.append(["示例县财政国库集中支付明细（扶贫项目支付）"])
    ws.append([FIELDS[f][0] for f in FIELDS])
    for r in rows:
        ws.append([to_yuan(r[f]) if f == "amount" else r[f] for f in FIELDS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    fixed = dt.datetime(2026, 11, 20, 9, 30, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)
    return path


def import_paid_through_october(book: Book, clock: Any, db_path: Path) -> None:
    """Import the treasury rows of the paid requests; then add October's paid requests to each section's
    recorded October figures, so every difference the 专账 demo explains stays exactly as it was."""
    from app.demo.common import as_user

    rows = _rows(book)
    if not rows:
        return
    as_user(book, "jingban")
    with tempfile.TemporaryDirectory() as tmp:
        treasury.import_file(book, _write(rows, Path(tmp) / "国库支付数据_项目支付_1-10月.xlsx"))
    october = {}
    for section, amount in book.conn.execute(
            "SELECT i.section, sum(y.amount) FROM payments y JOIN indicators i ON i.id = y.indicator_id "
            "WHERE y.status = 'paid' AND y.pay_date BETWEEN '2026-10-01' AND '2026-10-31' GROUP BY i.section"):
        october[section] = int(amount)
    for fig in book.conn.execute(
            "SELECT f.*, u.login FROM section_ledger_figures f LEFT JOIN users u ON u.id = f.entered_by "
            "WHERE f.month = '2026-10'").fetchall():
        extra = october.get(fig["section"], 0)
        if extra:
            as_user(book, fig["login"] or "jingban")
            reconcile.record_section_figures(book, month="2026-10", section=fig["section"], income=fig["income"],
                                             expenditure=fig["expenditure"] + extra, note=fig["note"])
    as_user(book, "jingban")
