"""Reading payment requests: one with everything the form prints, lists for the tab, the history."""

from __future__ import annotations

from typing import Any

from app.models.store.book import Book
from app.models.store.where import Where
from app.models.values.errors import NotFound

STATUS_NAMES = {"draft": "草稿", "submitted": "已提交", "approved": "已审核", "paid": "已支付",
                "returned": "退回", "voided": "作废"}
ACTION_NAMES = {"draft": "起草", "edit": "修改", "submit": "提交", "review": "审核通过", "return": "退回",
                "void": "作废", "paid": "登记已支付", "real_name": "导入实名制名册"}
SELECT = """
SELECT y.*, p.code AS project_code, p.name AS project_name, p.township, p.village, p.year AS project_year,
  i.doc_no AS indicator_doc, i.year AS indicator_year, i.kind AS fund_kind, i.item AS fund_item,
  it.name AS fund_item_name, k.name AS fund_kind_name,
  e.name AS payee_name, e.payee_type, e.id_code AS payee_id_code, e.account_name, e.account_no, e.bank,
  ud.name AS drafter_name, us.name AS submitter_name, ur.name AS reviewer_name, up.name AS payer_name,
  (SELECT persons FROM real_name_lists r WHERE r.payment_id = y.id) AS real_name_persons
FROM payments y
JOIN projects p ON p.id = y.project_id
JOIN indicators i ON i.id = y.indicator_id
JOIN fund_items it ON it.code = i.item
JOIN fund_kinds k ON k.code = i.kind
LEFT JOIN payees e ON e.id = y.payee_id
LEFT JOIN users ud ON ud.id = y.drafted_by
LEFT JOIN users us ON us.id = y.submitted_by
LEFT JOIN users ur ON ur.id = y.reviewed_by
LEFT JOIN users up ON up.id = y.paid_by
"""
_FROM = SELECT[SELECT.index("FROM payments y"):]  # the rows the table lists, without the columns
SORT_KEYS = {"request_no": "y.id", "draft_date": "y.draft_date", "project_name": "p.name", "project_code": "p.code",
             "payee_display": "e.name", "amount": "y.amount", "kind_name": "y.kind", "status_name": "y.status",
             "indicator_doc": "i.doc_no", "pay_date": "y.pay_date", "voucher_no": "y.voucher_no",
             "usage_name": "y.usage", "drafter_name": "ud.name"}


def _name(entries: tuple[Any, ...], code: str) -> str:
    return next((str(e.name) for e in entries if e.code == code), code)


def decorate(book: Book, row: Any) -> dict[str, Any]:
    d = dict(row)
    r = book.rules_for(int(d["indicator_year"]))
    d["status_name"] = STATUS_NAMES.get(d["status"], d["status"])
    d["kind_name"] = _name(r.payment.kinds, d["kind"])
    d["usage_name"] = _name(r.usage_categories, d["usage"])
    d["method_name"] = _name(r.payment.methods, d["method"])
    d["payee_type_name"] = _name(r.payment.payee_types, d["payee_type"]) if d["payee_type"] else ""
    persons = d["real_name_persons"]
    d["payee_display"] = d["payee_name"] or (f"实名制名册（{persons} 人）" if persons else "实名制名册（未导入）")
    d["real_name_required"] = any(k.code == d["kind"] and k.real_name_list for k in r.payment.kinds)
    d["func_name"] = next((f.name_in(int(d["indicator_year"])) for f in r.functional_codes if f.code == d["func_code"]), "")
    return d


def get(book: Book, payment_id: int) -> dict[str, Any]:
    row = book.conn.execute(SELECT + " WHERE y.id = ?", (payment_id,)).fetchone()
    if row is None:
        raise NotFound(f"支付申请 #{payment_id} 不存在", field="支付申请")
    return decorate(book, row)


def events(book: Book, payment_id: int) -> list[dict[str, Any]]:
    rows = book.conn.execute(
        "SELECT e.*, u.name AS user_name FROM payment_events e LEFT JOIN users u ON u.id = e.user_id "
        "WHERE e.payment_id = ? ORDER BY e.id", (payment_id,)).fetchall()
    return [dict(r) | {"action_name": ACTION_NAMES.get(r["action"], r["action"]),
                       "to_name": STATUS_NAMES.get(r["to_status"], r["to_status"])} for r in rows]


def counts(book: Book) -> dict[str, int]:
    """How many requests are in each status (for the tab's filter labels)."""
    return {str(r[0]): int(r[1]) for r in book.conn.execute("SELECT status, count(*) FROM payments GROUP BY status")}


def fee_kinds(book: Book) -> list[str]:
    """The payment kinds that are project management fees (资金项目管理费, the rules' `management_fee`)."""
    return [k.code for k in book.rules.payment.kinds if k.management_fee]


def any_of_kinds(book: Book, kinds: list[str]) -> bool:
    """Whether any request is of one of `kinds` (one look-up in the index payments_kind)."""
    if not kinds:
        return False
    marks = ",".join("?" * len(kinds))
    return book.conn.execute(f"SELECT 1 FROM payments WHERE kind IN ({marks}) LIMIT 1", kinds).fetchone() is not None


class PaymentQuery:
    """Row source for the 支付审批 table: filter by status, project and text; sort keys whitelisted."""

    def __init__(self, book: Book, *, status: str = "", text: str = "", project_id: int | None = None) -> None:
        self.book = book
        w = Where().equals("y.status", status).equals("y.project_id", project_id or None).contains(
            text, "y.request_no", "p.name", "p.code", "coalesce(e.name, '')", "i.doc_no", "coalesce(y.voucher_no, '')")
        self.where, self.args = w.clause, w.args

    def count(self) -> int:
        return int(self.book.conn.execute(
            "SELECT count(*) FROM payments y JOIN projects p ON p.id = y.project_id JOIN indicators i "
            "ON i.id = y.indicator_id LEFT JOIN payees e ON e.id = y.payee_id" + self.where, self.args).fetchone()[0])

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> str:
        """The table's order: the sort column, then the newest request first (every row has one place)."""
        if sort_key in SORT_KEYS:
            return SORT_KEYS[sort_key] + (" DESC" if descending else "") + ", y.id DESC"
        return "y.id DESC"

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        rows = self.book.conn.execute(f"{SELECT}{self.where} ORDER BY {self._order(sort_key, descending)} "
                                      "LIMIT ? OFFSET ?", [*self.args, limit, offset])
        # row by row, not fetchall(): a request opened far down the list has every row above it read in a worker
        # (40,400 at 1x); fetchall() held that many sqlite3.Row objects (and their tuples), which Python's collector
        # tracks, at once, and the collection that the GUI thread runs every second (shell.collector) traversed them
        # all when it fell during the read: a 0.05 s pause at 1x that grew with the row's position. One at a time
        # they are freed as they are decorated (the decorated dicts hold only numbers and text: untracked).
        return [decorate(self.book, r) for r in rows]

    def has(self, payment_id: int) -> bool:
        """Whether the request is listed under this filter (one row looked up by its key)."""
        where = (self.where + " AND" if self.where else " WHERE") + " y.id = ?"
        return self.book.conn.execute(f"SELECT 1 {_FROM}{where}", [*self.args, payment_id]).fetchone() is not None

    def position(self, payment_id: int, sort_key: str | None, descending: bool) -> int | None:
        """The request's row number (from 0) in this filter and order, as `fetch` pages them; None when the filter
        hides it. Every listed row is numbered (a window over the filter's rows): run it off the GUI thread."""
        row = self.book.conn.execute(
            f"SELECT n FROM (SELECT y.id AS rid, row_number() OVER (ORDER BY {self._order(sort_key, descending)}) - 1"
            f" AS n {_FROM}{self.where}) WHERE rid = ?", [*self.args, payment_id]).fetchone()
        return None if row is None else int(row[0])

    def first_of_kinds(self, kinds: list[str], sort_key: str | None, descending: bool) -> int | None:
        """The id of the first request of one of `kinds` in this filter and order, as `fetch` pages them; None when
        there is none. It may read every listed row (an order no index gives): run it off the GUI thread."""
        if not kinds:
            return None
        marks = ",".join("?" * len(kinds))
        where = (self.where + " AND" if self.where else " WHERE") + f" y.kind IN ({marks})"
        row = self.book.conn.execute(f"SELECT y.id {_FROM}{where} ORDER BY {self._order(sort_key, descending)} LIMIT 1",
                                     [*self.args, *kinds]).fetchone()
        return None if row is None else int(row[0])
