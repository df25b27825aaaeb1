"""支付审批单: one payment request on one A4 page — bureau, project, payee, amount in figures and 大写,
the indicator 文号, every check and its outcome, drafter, reviewer and dates — as PDF or to a printer.

An internal form (it stays in the bureau's files): the full account number is printed. Drawn by Qt's
QTextDocument, so the PDF, the print preview and the paper are the same layout, in the bundled font
only (app/export/fonts.py), whatever fonts the PC has.
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QGuiApplication, QPagedPaintDevice, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from app.export import fonts
from app.models.payments import checks, real_name
from app.models.payments import query as payment_query
from app.models.plan import decisions as plan
from app.models.plan import projects
from app.models.store import setup
from app.models.store.book import Book
from app.models.values import money

OUTCOME_MARK = {"pass": "通过", "fail": "不通过", "warn": "提示"}
CSS = """
body { font-size: 9pt; }
h1 { font-size: 17pt; text-align: center; margin: 0; }
h2 { font-size: 12pt; text-align: center; margin: 2px 0 4px 0; font-weight: normal; }
table { border-collapse: collapse; }
td, th { border: 1px solid #000; padding: 1px 4px; vertical-align: middle; }
table.checks td, table.checks th { font-size: 8.5pt; padding: 1px 3px; }
th { background: #eeeeee; font-weight: bold; }
td.k { background: #f5f5f5; }
.big { font-size: 12pt; font-weight: bold; }
.fail { color: #b71c1c; font-weight: bold; }
.warn { color: #e65100; font-weight: bold; }
.small { font-size: 8.5pt; color: #333; }
"""

_app: QGuiApplication | None = None


def ensure_gui() -> None:
    """Fonts and QPdfWriter need a QGuiApplication; the CLI may not have one yet."""
    global _app
    if QGuiApplication.instance() is None:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        _app = QApplication(fonts.qt_argv(["fundledger-form"]))
    fonts.register()


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _row(*cells: tuple[str, object, int]) -> str:
    out = []
    for label, value, span in cells:
        out.append(f'<td class="k">{_e(label)}</td><td colspan="{span}">{value}</td>')
    return "<tr>" + "".join(out) + "</tr>"


def _checks(book: Book, p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The latest stored run; a request never submitted shows the checks as they stand now."""
    stored = checks.stored(book, p["id"])
    if stored:
        first = stored[0]
        stage = "提交时" if first["stage"] == "submit" else "审核时"
        return f"规则检查（第 {first['run']} 次，{stage}，{first['evaluated_at'][:16]}，{first['user_name'] or ''}）", stored
    draft = checks.Draft.of(p)
    now = [{"rule_name": o.name, "outcome": o.outcome, "actual": o.actual, "limit_value": o.limit, "message": o.message}
           for o in checks.evaluate(book, draft)]
    return "规则检查（尚未提交，以下为打印时的预检结果）", now


def _compared(o: dict[str, Any]) -> str:
    if o["actual"] and o["limit_value"]:
        return f"{_e(o['actual'])} ／ {_e(o['limit_value'])}"
    return _e(o["actual"] or o["limit_value"])


def form_html(book: Book, payment_id: int) -> str:
    p = payment_query.get(book, payment_id)
    rules = book.rules_for(int(p["indicator_year"]))  # the rules its checks ran under: the indicator's year
    project = projects.get(book, p["project_id"])
    bureau = setup.bureau_info(book)
    decision = f"{_e(project['decision_no'])}（{_e(project['decision_date'])}，第 {project['version']} 版）" \
        if project["decision_id"] else '<span class="fail">未经领导小组审定</span>'
    if project["version"] and project["version"] > 1:
        first = plan.versions(book, project["id"])[0]
        decision += f"；原审定 {_e(first['doc_no'])}"
    if p["payee_id"]:
        payee = f"{_e(p['payee_name'])}（{_e(p['payee_type_name'])}，{_e(p['payee_id_code'])}）"
        account = f"{_e(p['account_name'])}　{_e(p['account_no'])}　{_e(p['bank'])}"
    else:
        head = real_name.summary(book, payment_id)
        payee = f"按实名制发放名册直接支付到个人（{head['persons']} 人，合计 {money.format(head['total'])} 元）" \
            if head else '<span class="fail">按实名制发放名册发放（名册未导入）</span>'
        account = "各收款人账号见所附实名制发放名册"
    title, outcomes = _checks(book, p)
    rows, idle = [], []
    for i, o in enumerate(outcomes, start=1):
        if o["outcome"] == "pass" and str(o["message"]).startswith("不适用"):
            idle.append(f"{i}. {_e(o['rule_name'])}（{_e(str(o['message'])[4:])}）")
            continue
        cls = {"fail": "fail", "warn": "warn"}.get(o["outcome"], "")
        rows.append(f"<tr><td align='center'>{i}</td><td>{_e(o['rule_name'])}</td>"
                    f"<td class='{cls}' align='center'>{OUTCOME_MARK[o['outcome']]}</td><td>{_compared(o)}</td>"
                    f"<td>{_e(o['message'])}</td></tr>")
    if idle:  # every check is printed; those that do not apply to this request share one row
        rows.append(f"<tr><td align='center'>—</td><td>不适用的检查</td><td align='center'>通过</td>"
                    f"<td colspan='2'>{'；'.join(idle)}</td></tr>")
    sign = []
    for label, name, when in (("经办人", p["drafter_name"], p["drafted_at"]), ("提交", p["submitter_name"], p["submitted_at"]),
                              ("审核人", p["reviewer_name"], p["reviewed_at"]), ("登记支付", p["payer_name"], p["paid_at"])):
        sign.append(f"<td class='k' width='12%'>{label}</td><td width='16%'>{_e(name or '')}</td>"
                    f"<td width='22%'>{_e((when or '')[:16])}</td>")
    notes = ""
    if p["soft_reason"] or p["override_note"]:
        notes = _row(("经办人超限理由", _e(p["soft_reason"]), 1), ("审核人确认意见", _e(p["override_note"]), 1))
    if p.get("review_opinion"):
        notes += _row(("审核意见", _e(p["review_opinion"]), 3))
    if p["status"] in ("returned", "voided"):
        why = p["return_reason"] if p["status"] == "returned" else p["void_reason"]
        notes += _row((f"{p['status_name']}原因", f'<span class="fail">{_e(why)}</span>', 3))
    return f"""<html><head><style>{CSS}</style></head><body>
<h1>{_e(bureau.get('name', ''))}</h1>
<h2>{_e(rules.labels.fund_family)}支付审批单</h2>
<table width="100%" cellspacing="0" style="border:none"><tr>
<td style="border:none">申请编号：{_e(p['request_no'])}</td><td style="border:none" align="center">申请日期：{_e(p['draft_date'])}</td>
<td style="border:none" align="right">状态：{_e(p['status_name'])}</td></tr></table>
<table width="100%" cellspacing="0">
<tr><td width="17%" style="border:none;padding:0"></td><td width="33%" style="border:none;padding:0"></td>
<td width="17%" style="border:none;padding:0"></td><td width="33%" style="border:none;padding:0"></td></tr>
{_row(("项目", f"{_e(project['code'])}　{_e(project['name'])}", 3))}
{_row(("实施地点", _e(project['place']), 1), ("项目类别", _e(project['category_name']), 1))}
{_row(("领导小组决定", decision, 3))}
{_row(("指标文号", f"{_e(p['indicator_doc'])}（{p['indicator_year']} 年，{_e(p['fund_kind_name'])}·{_e(p['fund_item_name'])}）", 3))}
{_row(("收款人", payee, 3))}
{_row(("账户", account, 3))}
{_row(("金额（小写）", f"<span class='big'>¥{money.format(p['amount'])}</span>", 3))}
{_row(("金额（大写）", f"<span class='big'>{money.daxie(p['amount'])}</span>", 3))}
{_row(("支付类型", _e(p['kind_name']), 1), ("支出用途", _e(p['usage_name']), 1))}
{_row(("功能科目", f"{_e(p['func_code'])} {_e(p['func_name'])}", 1), ("经济科目", _e(p['econ_code']), 1))}
{_row(("支付方式", _e(p['method_name']), 1), ("用途说明", _e(p['purpose']), 1))}
{_row(("支付凭证号", _e(p['voucher_no'] or '（未支付）'), 1), ("支付日期", _e(p['pay_date'] or ''), 1))}
{notes}
</table>
<p><b>{_e(title)}</b></p>
<table class="checks" width="100%" cellspacing="0">
<tr><th width="4%">序号</th><th width="21%">检查项目</th><th width="7%">结果</th><th width="28%">核对（实际 ／ 限额）</th><th width="40%">说明</th></tr>
{''.join(rows)}
</table>
<p></p>
<table width="100%" cellspacing="0"><tr>{''.join(sign[:2])}</tr><tr>{''.join(sign[2:])}</tr>
<tr><td class="k">单位负责人</td><td colspan="2"><br/><br/></td><td class="k">签章</td><td colspan="2"><br/><br/></td></tr></table>
<p class="small">依据：{_e(rules.meta.basis)}《{_e(rules.meta.basis_title)}》；规则集 {_e(rules.label)}（{p['indicator_year']} 年度）。
本单由 FundLedger 按数据库记录生成，打印日期 {book.today().isoformat()}。</p>
</body></html>"""


def document(book: Book, payment_id: int) -> QTextDocument:
    ensure_gui()
    doc = QTextDocument()
    doc.setDefaultFont(fonts.print_font(10))
    doc.setDocumentMargin(0)
    doc.setHtml(form_html(book, payment_id))
    return doc


def print_to(book: Book, payment_id: int, device: QPagedPaintDevice) -> None:
    """Lay the form out on A4 portrait with 15 mm margins and print it (PDF writer or printer)."""
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 10, 15, 10), QPageLayout.Unit.Millimeter))
    document(book, payment_id).print_(device)


def write_pdf(book: Book, payment_id: int, path: Path | str) -> Path:
    ensure_gui()
    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setResolution(300)
    writer.setTitle(f"支付审批单 {payment_query.get(book, payment_id)['request_no']}")
    writer.setCreator("FundLedger")
    print_to(book, payment_id, writer)
    del writer  # the file is complete once the writer is gone
    return target
