"""What `verify` re-checks for the plan and the payments: read-only, one Finding per broken row."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from app.models.store.audit import Finding
from app.models.values.money import format as fmt


def funding_within_indicators(conn: sqlite3.Connection) -> Iterator[Finding]:
    """The plan never assigns more of an indicator than its net amount (after 调减/收回/缴回)."""
    for r in conn.execute(
            "SELECT i.id, i.doc_no, sum(f.amount) AS planned, "
            "(SELECT coalesce(sum(e.sign * e.amount), 0) FROM ledger_entries e WHERE e.indicator_id = i.id "
            " AND e.side = 'income') AS net FROM project_funding f JOIN indicators i ON i.id = f.indicator_id "
            "GROUP BY i.id HAVING planned > net ORDER BY i.id"):
        yield Finding("项目计划", f"指标 {r['doc_no']}",
                      f"安排给项目 {fmt(r['planned'])} 元，超过指标净额 {fmt(r['net'])} 元（调减后须调整项目计划）")


def paid_match_ledger(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Each paid request has its own 专账 expenditure: same indicator, amount, date and voucher."""
    for r in conn.execute(
            "SELECT y.id, y.request_no, y.amount, y.indicator_id, y.pay_date, y.voucher_no, e.id AS entry, "
            "e.amount AS e_amount, e.indicator_id AS e_ind, e.entry_date, e.voucher_no AS e_voucher, e.payment_id, "
            "e.entry_type FROM payments y LEFT JOIN ledger_entries e ON e.id = y.ledger_entry_id "
            "WHERE y.status = 'paid' ORDER BY y.id"):
        if r["entry"] is None:
            yield Finding("支付审批", f"支付申请 {r['request_no']}", "已支付，但专账中没有对应的支出记录")
        elif (r["entry_type"], r["e_amount"], r["e_ind"], r["entry_date"], r["e_voucher"], r["payment_id"]) != \
                ("expenditure", r["amount"], r["indicator_id"], r["pay_date"], r["voucher_no"], r["id"]):
            yield Finding("支付审批", f"支付申请 {r['request_no']}",
                          f"与专账支出记录 #{r['entry']} 的指标、金额、日期或凭证号不一致")


def approvals_by_others(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Approved and paid requests were reviewed by someone other than their drafter, after a passing run."""
    for r in conn.execute(
            "SELECT y.id, y.request_no, y.drafted_by, y.reviewed_by, y.override_note, "
            "(SELECT group_concat(c.outcome) FROM payment_checks c WHERE c.payment_id = y.id AND c.stage = 'review' "
            " AND c.run = (SELECT max(x.run) FROM payment_checks x WHERE x.payment_id = y.id)) AS outcomes "
            "FROM payments y WHERE y.status IN ('approved', 'paid') ORDER BY y.id"):
        where = f"支付申请 {r['request_no']}"
        if r["reviewed_by"] is None or r["reviewed_by"] == r["drafted_by"]:
            yield Finding("支付审批", where, "没有由起草人以外的审核人审核")
        elif r["outcomes"] is None:
            yield Finding("支付审批", where, "审核时的规则检查结果缺失")
        elif "fail" in r["outcomes"].split(","):
            yield Finding("支付审批", where, "审核时规则检查有不通过项，却被审核通过")
        elif "warn" in r["outcomes"].split(",") and not r["override_note"]:
            yield Finding("支付审批", where, "有“原则上”超限提示，但没有审核人的确认意见")


def real_name_totals(conn: sqlite3.Connection) -> Iterator[Finding]:
    """A real-name list adds up to its payment, and its head matches its lines."""
    for r in conn.execute(
            "SELECT l.payment_id, y.request_no, y.amount, l.total, l.persons, "
            "(SELECT count(*) FROM real_name_lines n WHERE n.payment_id = l.payment_id) AS n, "
            "(SELECT coalesce(sum(n.amount), 0) FROM real_name_lines n WHERE n.payment_id = l.payment_id) AS s "
            "FROM real_name_lists l JOIN payments y ON y.id = l.payment_id ORDER BY l.payment_id"):
        if (r["n"], r["s"]) != (r["persons"], r["total"]):
            yield Finding("实名制名册", f"支付申请 {r['request_no']}", "名册明细与名册汇总的人数或金额不一致")
        elif r["total"] != r["amount"]:
            yield Finding("实名制名册", f"支付申请 {r['request_no']}",
                          f"名册合计 {fmt(r['total'])} 元与支付金额 {fmt(r['amount'])} 元不一致")


CHECKS = [
    ("项目计划：安排不超过指标净额", funding_within_indicators),
    ("支付审批：已支付的申请与专账支出一一对应", paid_match_ledger),
    ("支付审批：审核人不是起草人、审核时规则检查通过", approvals_by_others),
    ("支付审批：实名制名册合计等于支付金额", real_name_totals),
]
