"""The demo county's false-claim cases and notice order (issue #18), so each new check has something to show:

- every approved project's plan notice goes up on the day of the decision (事前公示), so its money can be paid
  once it has been on the board the rule set's minimum days (`post_plan_notices`, called by the plan step);
- October: a person paid the same subsidy by a second project (W11), four households paid into one card (W12),
  a cooperative whose bank account is held by a private person (W15), and a payment made before its project's
  notice had been up ten days — allowed only by the chief's recorded exception (`SCENARIOS`, run with the
  payments of their day);
- after the payments: the staff list (财政供养人员) with one paid person on it (W13), and the 脱贫户/监测对象
  roster, with one paid person missing and one recorded as deceased before a payment (W14); the county's notices of
  the 2026 项目库 and 年度项目计划 on its website, with their documents (`claims_step`).

No randomness: the choices are fixed or taken from the data in a stable order, so the shared generator of the
payment step is not disturbed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from app.models.notices import county
from app.models.notices import records as notices
from app.models.payments import exceptions
from app.models.plan import payees, rosters
from app.models.store.book import Book
from app.models.values import ids

D = dt.date
BOARD_DAYS = 15  # how long the demo's plan notices stay up (more than the minimum)
EXCEPTION_DOC = "示政办函〔2026〕47号"
STAFF = [("马建军", "县农业农村局", "在编"), ("艾尔肯·吐尔逊", "县财政局", "在编"), ("刘芳", "县乡村振兴局", "在编"),
         ("阿不都热依木·买买提", "英巴格乡人民政府", "在编"), ("陈晓东", "县水利局", "聘用")]


def post_plan_notices(book: Book, project_ids: list[int], day: dt.date) -> None:
    """The plan notice of each project, on the village board (the township's when it names no village) from `day`."""
    for pid in project_ids:
        village = book.conn.execute("SELECT village FROM projects WHERE id = ?", (pid,)).fetchone()[0]
        level = "village" if village else "township"
        draft = notices.draft(book, kind="project_plan", level=level, object_type="project", object_id=pid, on=day)
        content = {k: v or "不适用" for k, v in draft["content"].items()}
        notices.record_notice(book, kind="project_plan", level=level, object_type="project", object_id=pid,
                              title=draft["title"], place="board", location=draft["location"], content=content,
                              start_date=day, end_date=day + dt.timedelta(days=BOARD_DAYS - 1),
                              publisher=draft["publisher"])


def _person(serial: int, born: str = "19860315") -> str:
    body = f"659903{born}{serial:03d}"
    return body + ids.id_check_char(body)


def _first(c: Any, codes: tuple[str, ...], make: Callable[[str], int | None]) -> int | None:
    """The first of `codes` on which `make` files a request (a project with room left)."""
    for code in codes:
        if code in c.proj:
            got = make(code)
            if got is not None:
                return got
    return None


def double_paid(c: Any) -> None:
    """W11: a household paid 林果业 到户补助 by XM2026-013 in May is paid again by another 产业 project in October."""
    from app.demo.payments_flow import request

    row = c.book.conn.execute(
        "SELECT l.name, l.id_number, l.village, l.account FROM real_name_lines l JOIN payments y ON y.id = l.payment_id "
        "JOIN projects p ON p.id = y.project_id WHERE p.code = 'XM2026-013' AND y.status = 'paid' "
        "AND y.kind = 'household_subsidy' ORDER BY y.pay_date, l.row_no LIMIT 1").fetchone()
    if row is None:
        return
    people = [(row["name"], row["id_number"], row["village"], "2400", row["account"]),
              ("努尔曼古丽·艾山", _person(901), row["village"], "2400", "6217998800000090101")]
    _first(c, ("XM2026-038", "XM2026-018", "XM2026-035"),
           lambda code: request(c, code, "household_subsidy", 4800_00, D(2026, 10, 12), people=people))


def shared_card(c: Any) -> None:
    """W12: four households of one list paid into the same 一卡通 account."""
    from app.demo.payments_flow import request

    card = "6217998800000091111"
    people = [(name, _person(910 + n), "托格拉克村", "1500", card)
              for n, name in enumerate(("买合木提·吐尔地", "阿依先木·买买提", "吐尔洪·艾买提", "热娜古丽·吾买尔"))]
    _first(c, ("XM2026-035", "XM2026-018", "XM2026-038"),
           lambda code: request(c, code, "household_subsidy", 6000_00, D(2026, 10, 14), people=people))


def holder_elsewhere(c: Any) -> None:
    """W15: a cooperative registered with a bank account held by a private person, then paid."""
    from app.demo.payments_flow import request

    body = "93653200MA7RX1230"
    payee = int(payees.create_payee(
        c.book, payee_type="enterprise", name="示例县绿源农牧民专业合作社", id_code=body + ids.uscc_check_char(body),
        account_no="6228480088099912345", account_name="马某某", bank="中国农业银行示例县支行")["id"])
    _first(c, ("XM2026-005", "XM2026-010", "XM2026-014"),
           lambda code: request(c, code, "progress", 38_000_00, D(2026, 10, 16), payee=payee))


def before_notice(c: Any) -> None:
    """A project approved on 23 October paid on the 27th, its notice up only since the 23rd: refused, until the chief
    records an exception (document, reason); then paid with the exception shown in its checks."""
    from app.demo.payments_flow import request

    code = "XM2026-030"
    if code not in c.proj:
        return
    c.as_("juzhang")
    c.clock.at(dt.datetime(2026, 10, 26, 17, 30))  # the county's 函 came the day before the request it allows
    exceptions.grant_notice_exception(
        c.book, project_id=c.proj[code], doc_no=EXCEPTION_DOC,
        reason="旅游旺季前须完成游客服务点主体工程，经县政府同意在公示期内先行支付首笔进度款，公示期满后补充说明")
    request(c, code, "progress", 60_000_00, D(2026, 10, 27))


SCENARIOS: list[tuple[dt.date, Callable[[Any], None]]] = [
    (D(2026, 10, 12), double_paid), (D(2026, 10, 14), shared_card), (D(2026, 10, 16), holder_elsewhere),
    (D(2026, 10, 27), before_notice),
]


def _xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "名册"
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def claims_step(book: Book, clock: Any) -> None:
    """Import the two rosters the cross-checks compare with (after the payments: the roster is today's)."""
    from app.demo.common import as_user

    as_user(book, "jingban")
    paid = book.conn.execute(
        "SELECT l.name, l.id_number, l.village, min(y.pay_date) AS first, max(y.pay_date) AS last "
        "FROM real_name_lines l JOIN payments y ON y.id = l.payment_id WHERE y.status = 'paid' "
        "AND y.kind = 'household_subsidy' GROUP BY l.id_number ORDER BY l.id_number").fetchall()
    if len(paid) < 3:
        return
    # one household missing from the roster (a paid name nobody can find), one recorded as deceased before a payment
    missing = paid[len(paid) // 3]["id_number"]
    died = next(r for r in paid[len(paid) // 2:] if r["first"] < r["last"])
    died_on = dt.date.fromisoformat(died["last"]) - dt.timedelta(days=1)
    rows = []
    for n, r in enumerate(paid):
        if r["id_number"] == missing:
            continue
        gone = r["id_number"] == died["id_number"]
        rows.append([r["name"], r["id_number"], r["village"], "监测对象" if n % 7 == 0 else "脱贫户",
                     "死亡" if gone else "正常", died_on.isoformat() if gone else None])
    rosters.import_roster(book, kind_code="poor", file_name="2026年脱贫户和监测对象名册.xlsx",
                          data=_xlsx(["姓名", "身份证号", "村", "类别", "状态", "状态日期"], rows))
    insider = paid[len(paid) // 5]  # a village official whose household also took a subsidy
    staff = [[name, _person(950 + n, "19780620"), unit, kind] for n, (name, unit, kind) in enumerate(STAFF)]
    staff.append([insider["name"], insider["id_number"], f"{insider['village']}村委会", "村干部（财政补贴）"])
    rosters.import_roster(book, kind_code="staff", file_name="财政供养人员名册.xlsx",
                          data=_xlsx(["姓名", "身份证号", "工作单位", "身份"], staff))
    # the county's own notices of the year: the 2026 project pool and annual plan on the bureau's website
    first = book.conn.execute("SELECT min(d.decision_date), (SELECT doc_no FROM plan_decisions ORDER BY decision_date "
                              "LIMIT 1) FROM plan_decisions d").fetchone()
    if first[0]:
        start = dt.date.fromisoformat(first[0]) + dt.timedelta(days=3)
        plan_doc = county.draft(book, kind="annual_plan", year=2026)["doc_no"]
        county.record(book, kind="project_pool", year=2026, doc_no=f"{first[1]}（项目库经领导小组研究）", place="website",
                      start_date=start)
        county.record(book, kind="annual_plan", year=2026, doc_no=plan_doc, place="website", start_date=start)
