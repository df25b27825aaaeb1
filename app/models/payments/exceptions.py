"""The recorded exceptions the rules allow (issue #18), each with its document, who recorded it and when —
audited like every write, refused without a document:

- 未满公示期先行支付: the chief lets a project's money be paid before its plan notice has been on the board the
  rule set's minimum days (事前公示, `[notice_order]`); the payment check then shows a warning citing it, which the
  reviewer must confirm, instead of refusing;
- 10 月 31 日例外: in `app/models/ledger/exemptions.py` (the 31 October rule lives with the ledger);
- 工程结算价: once a project's settlement is recorded, its 质保金 is checked on the settled price instead of the
  contract amount.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.ledger import common as lc
from app.models.plan import projects
from app.models.store.book import Book
from app.models.values.errors import ValidationError


def _doc(doc_no: object, field: str = "文号") -> str:
    text = lc.text(doc_no, field, max_len=80)
    if not text:
        raise ValidationError("须填写批准文件的文号，没有文件不能登记例外", field=field)
    return text


# -- 未满公示期先行支付 ----------------------------------------------------------------------------------


def grant_notice_exception(book: Book, *, project_id: int, doc_no: str, reason: str) -> dict[str, Any]:
    """The chief's recorded decision that this project may be paid before its notice has been up long enough."""
    p = projects.get(book, project_id)
    if p["decision_id"] is None:
        raise ValidationError(f"项目 {p['code']} 尚未经领导小组审定，不能登记例外", field="项目")
    doc = _doc(doc_no)
    why = lc.text(reason, "理由", max_len=500)
    if len(why) < 4:
        raise ValidationError("须写明先行支付的理由（至少 4 个字）", field="理由")
    if book.conn.execute("SELECT 1 FROM notice_exceptions WHERE project_id = ?", (project_id,)).fetchone():
        raise ValidationError(f"项目 {p['code']} 已登记过例外", field="项目")
    with book.write("grant_notice_exception") as conn:
        conn.execute("INSERT INTO notice_exceptions (project_id, doc_no, reason, granted_on, granted_by, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (project_id, doc, why, book.today().isoformat(), book.user_id, book.stamp()))
    return notice_exception(book, project_id) or {}


def notice_exception(book: Book, project_id: int) -> dict[str, Any] | None:
    row = book.conn.execute(
        "SELECT e.*, coalesce(u.name, '') AS granted_by_name FROM notice_exceptions e "
        "LEFT JOIN users u ON u.id = e.granted_by WHERE e.project_id = ?", (project_id,)).fetchone()
    return dict(row) if row else None


# -- 工程结算价 ------------------------------------------------------------------------------------------


def record_settlement(book: Book, *, project_id: int, amount: int, settled_on: dt.date | str,
                      doc_no: str) -> dict[str, Any]:
    """The settled price (工程结算价) of a project, from its settlement document: 质保金 is checked on it from now on."""
    p = projects.get(book, project_id)
    money = lc.amount(amount, "工程结算价")
    day = lc.as_date(settled_on, "结算日期")
    lc.not_future(book, day, "结算日期")
    doc = _doc(doc_no, "结算文号")
    if book.conn.execute("SELECT 1 FROM project_settlements WHERE project_id = ?", (project_id,)).fetchone():
        raise ValidationError(f"项目 {p['code']} 的工程结算价已登记", field="项目")
    with book.write("record_settlement") as conn:
        conn.execute("INSERT INTO project_settlements (project_id, amount, settled_on, doc_no, created_by, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (project_id, money, day.isoformat(), doc, book.user_id, book.stamp()))
    return settlement(book, project_id) or {}


def settlement(book: Book, project_id: int) -> dict[str, Any] | None:
    row = book.conn.execute("SELECT * FROM project_settlements WHERE project_id = ?", (project_id,)).fetchone()
    return dict(row) if row else None
