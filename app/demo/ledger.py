"""The demo county's 专账: a year (2026, Jan–Nov) of fund documents across every kind, payments,
one reduction, refunds/returns, section figures, and the treasury's data for January–October.

`write_treasury_export` writes what the treasury would export for the finished demo (through
November: `fundledger demo-treasury 示例县.db 国库支付数据.xlsx`), to try the import on.

Deterministic: fixed dates, a seeded generator, and the demo clock moved forward as events happen.
About a quarter of each indicator is left unpaid so later demo steps (payments) have room.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.models.ledger import account as ledger
from app.models.ledger import catalogue, indicators, reconcile, treasury
from app.models.store.book import Book

D = dt.date


@dataclass
class Doc:
    doc_no: str
    kind: str
    item: str
    source: str
    yuan: int
    title: str
    section: str
    func: str
    received: dt.date
    upper: dt.date | None = None
    pref_doc: dt.date | None = None
    events: dict[str, dt.date] = field(default_factory=dict)
    year: int = 2026
    spend: float = 0.7  # share paid by the end of the demo
    poverty_use: bool = True


FP, NY, JJ, SB = "扶贫资金管理股", "农业股", "经济建设股", "社会保障股"
DOCS = [
    # a 2025 indicator carried into 2026: its unspent balance is the 2026 opening balance
    Doc("新财农〔2025〕88号", "ZX", "ZX01", "central", 3_200_000, "2025年第二批中央财政专项扶贫资金", FP, "2130505",
        D(2025, 11, 20), D(2025, 11, 10), D(2025, 11, 17), {"prefecture_received": D(2025, 11, 12)}, year=2025,
        spend=0.55),
    Doc("新财农〔2026〕3号", "ZX", "ZX01", "central", 18_650_000, "提前下达2026年中央财政专项扶贫资金", FP, "2130505",
        D(2026, 1, 16), D(2026, 1, 8), D(2026, 1, 14), {"prefecture_received": D(2026, 1, 9)}, spend=0.78),
    Doc("新财农〔2026〕11号", "ZX", "ZX02", "central", 4_300_000, "2026年中央以工代赈资金", FP, "2130504",
        D(2026, 2, 27), D(2026, 2, 6), D(2026, 2, 26), {"prefecture_received": D(2026, 2, 10)}, spend=0.66),
    Doc("新财农〔2026〕15号", "ZX", "ZX03", "region", 2_150_000, "2026年自治区少数民族发展资金", FP, "2130505",
        D(2026, 3, 11), D(2026, 3, 2), D(2026, 3, 9), {"prefecture_received": D(2026, 3, 4)}),
    Doc("新财农〔2026〕22号", "ZX", "ZX01", "region", 9_800_000, "2026年自治区财政专项扶贫资金（配套）", FP, "2130505",
        D(2026, 4, 14), D(2026, 4, 3), D(2026, 4, 10), {"prefecture_received": D(2026, 4, 7)}, spend=0.72),
    Doc("新财农〔2026〕31号", "ZH", "ZH01", "central", 6_420_000, "2026年中央财政农业生产发展资金（统筹整合）", NY, "2130505",
        D(2026, 5, 11), D(2026, 4, 28), D(2026, 5, 8),
        {"central_doc_received": D(2026, 3, 20), "prefecture_received": D(2026, 4, 30)}),
    Doc("新财农〔2026〕36号", "ZH", "ZH04", "central", 3_880_000, "2026年中央财政水利发展资金（统筹整合）", NY, "2130504",
        D(2026, 5, 25), D(2026, 5, 15), D(2026, 5, 21), {"prefecture_received": D(2026, 5, 18)}),
    Doc("新财建〔2026〕40号", "ZH", "ZH05", "central", 2_760_000, "2026年农村危房改造补助资金", JJ, "2130504",
        D(2026, 6, 8), D(2026, 5, 29), D(2026, 6, 4), {"prefecture_received": D(2026, 6, 1)}, spend=0.5),
    Doc("新发改投资〔2026〕52号", "YD", "YD01", "central", 5_000_000, "2026年易地扶贫搬迁中央预算内投资", JJ, "2130599",
        D(2026, 4, 20), D(2026, 4, 9), D(2026, 4, 16), {"prefecture_received": D(2026, 4, 13)}),
    Doc("新财债〔2026〕9号", "YD", "YD02", "region", 7_500_000, "2026年易地扶贫搬迁地方政府债券资金", JJ, "2130599",
        D(2026, 6, 22), D(2026, 6, 10), D(2026, 6, 19), {"bond_issued": D(2026, 6, 8), "prefecture_received": D(2026, 6, 12)},
        spend=0.8),
    Doc("新财债〔2026〕14号", "ZQ", "ZQ2601", "region", 12_000_000, "2026年脱贫攻坚债券（农村公路）", JJ, "2130504",
        D(2026, 7, 8), D(2026, 7, 1), D(2026, 7, 6), {"plan_approved": D(2026, 6, 26), "prefecture_received": D(2026, 7, 2)},
        spend=0.75),
    Doc("新财社〔2026〕61号", "QT", "QT03", "central", 1_860_000, "2026年中央医疗救助补助资金（用于脱贫攻坚）", SB, "2101301",
        D(2026, 3, 27), D(2026, 3, 16), D(2026, 3, 24), {"prefecture_received": D(2026, 3, 18)}),
    Doc("新财金〔2026〕18号", "QT", "QT05", "central", 940_000, "2026年农业保险保费补贴（原渠道管理）", NY, "2130803",
        D(2026, 5, 6), D(2026, 4, 24), D(2026, 4, 30), poverty_use=False, spend=0.6),
    Doc("新财社〔2026〕73号", "DD", "DD01", "region", 3_300_000, "2026年贫困人口脱贫兜底专项基金", SB, "2082001",
        D(2026, 7, 22), D(2026, 7, 13), D(2026, 7, 20), {"prefecture_received": D(2026, 7, 15)}, spend=0.6),
    Doc("新财社〔2026〕79号", "YB", "YB01", "region", 2_240_000, "2026年贫困人口补充医疗保险资金", SB, "2101399",
        D(2026, 8, 10), D(2026, 7, 31), D(2026, 8, 6), {"prefecture_received": D(2026, 8, 3)}, spend=0.9),
    Doc("示地财农〔2026〕27号", "ZX", "ZX01", "prefecture", 1_500_000, "2026年地区本级配套扶贫资金", FP, "2130505",
        D(2026, 8, 24), None, D(2026, 8, 20), spend=0.5),
    Doc("示县财预〔2026〕5号", "ZX", "ZX01", "county", 2_000_000, "2026年县本级财政安排扶贫资金", FP, "2130505",
        D(2026, 3, 2), None, None, spend=0.8),
    # received on the eve of National Day: 2026-09-29 + 5 working days = 2026-10-12, issued on the 13th (late)
    Doc("新财农〔2026〕95号", "ZX", "ZX01", "central", 4_600_000, "2026年第三批中央财政专项扶贫资金", FP, "2130505",
        D(2026, 10, 14), D(2026, 9, 25), D(2026, 10, 13), {"prefecture_received": D(2026, 9, 29)}, spend=0.2),
]

PAYEES = [
    ("示例县富民种养殖农民专业合作社", "6228480088012345671", "中国农业银行示例县支行"),
    ("新疆天山路桥建设工程有限公司", "3002014509200012345", "中国工商银行示例县支行"),
    ("示例县绿洲果业发展有限公司", "6517010001201000045", "新疆农村信用社示例县联社"),
    ("新疆安居建筑安装有限责任公司", "6500143000005201234", "中国建设银行示例县支行"),
    ("示例县阳光畜牧养殖专业合作社", "6228480088034567892", "中国农业银行示例县支行"),
    ("新疆润泽水利水电工程有限公司", "3002014509200098765", "中国工商银行示例县支行"),
    ("示例县人民医院", "6517010001201000678", "新疆农村信用社示例县联社"),
    ("中国人民财产保险股份有限公司示例县支公司", "6500143000005209876", "中国建设银行示例县支行"),
    ("新疆天山人力资源服务有限公司", "6231390088012000451", "新疆农村信用社示例县联社"),
]
# which payees each item (or kind) pays, as indexes into PAYEES
PAYS = {"ZX": (0, 2, 4, 1), "ZX02": (1, 5), "ZH": (0, 2, 4, 5), "ZH05": (3,), "YD": (3, 1), "ZQ": (1,),
        "QT03": (6,), "QT05": (7,), "DD": (6, 8), "YB": (7,)}
PURPOSES = {"ZX": "产业发展项目进度款", "ZX02": "以工代赈工程进度款", "ZH": "农田水利设施建设进度款",
            "ZH05": "农村危房改造补助", "YD": "安置区配套基础设施建设款", "ZQ": "农村公路建设工程款",
            "QT03": "医疗救助资金拨付", "QT05": "农业保险保费补贴", "DD": "兜底保障资金拨付", "YB": "补充医疗保险资金拨付"}
ECON = {"ZX": "30905", "ZH": "31005", "YD": "31005", "ZQ": "31005", "QT": "30305", "DD": "30305", "YB": "30307"}


def _purpose(item: str) -> str:
    return PURPOSES[item] if item in PURPOSES else PURPOSES[item[:2]]


def _when(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, 0)


def _payments(rng: random.Random, doc: Doc, end: dt.date) -> list[tuple[dt.date, str, int, int]]:
    """(date, 文号, fen, payee index) for the share of an indicator paid by `end`, on working days."""
    total = int(doc.yuan * 100 * doc.spend)
    deadline = D(doc.received.year, 10, 31)  # the year's money is to be paid by 31 October
    span = ((deadline if doc.received < deadline - dt.timedelta(days=45) else end) - doc.received).days
    days = sorted(rng.sample(range(14, max(span, 16)), min(rng.randint(3, 8), max(span - 14, 1))))
    shares = [rng.randint(6, 14) for _ in days]
    out, paid = [], 0
    for n, (offset, share) in enumerate(zip(days, shares, strict=True)):
        fen = total - paid if n == len(days) - 1 else total * share // sum(shares) // 100 * 100
        paid += fen
        day = doc.received + dt.timedelta(days=offset)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        choices = PAYS[doc.item] if doc.item in PAYS else PAYS[doc.kind]
        out.append((max(day, doc.received), doc.doc_no, fen, choices[rng.randrange(len(choices))]))
    return out


def ledger_step(book: Book, clock: Any) -> None:
    """Add the demo county's 2026 专账 (run as the clerk jingban, clock moving through the year)."""
    from app.demo.common import as_user

    as_user(book, "jingban")
    rng = random.Random(20260101)
    end = D(2026, 11, 20)
    catalogue.add_item(book, kind="ZQ", code="ZQ2601", name="2026年脱贫攻坚债券（农村公路项目）")
    ids: dict[str, int] = {}
    events: list[tuple[dt.date, int, str, Callable[[], Any]]] = []

    def registration(doc: Doc) -> Callable[[], Any]:
        def run() -> None:
            ids[doc.doc_no] = indicators.register(
                book, doc_no=doc.doc_no, year=doc.year, kind=doc.kind, item=doc.item, source_level=doc.source,
                amount=doc.yuan * 100, received_date=doc.received, upper_doc_date=doc.upper,
                prefecture_doc_date=doc.pref_doc, func_code=doc.func, section=doc.section, title=doc.title,
                poverty_use=doc.poverty_use, extra_events=doc.events)
        return run

    def payment(day: dt.date, doc_no: str, fen: int, payee: int) -> Callable[[], Any]:
        def run() -> None:
            voucher = f"ZF{day:%Y%m%d}{next(serial):04d}"
            ledger.post_expenditure(book, indicator_id=ids[doc_no], amount=fen, entry_date=day, voucher_no=voucher,
                                    payment_id=None, summary=f"{PAYEES[payee][0]} {_purpose(doc_no_item[doc_no])}")
        return run

    doc_no_item = {d.doc_no: d.item for d in DOCS}
    serial = itertools.count(1)
    for doc in DOCS:
        events.append((doc.received, 0, doc.doc_no, registration(doc)))
        if doc.year < end.year:  # last year's spending; this year's goes through 支付审批 (demo_payments)
            for day, doc_no, fen, payee in _payments(rng, doc, D(doc.year, 12, 28)):
                events.append((day, 1, f"{doc_no}#{len(events):04d}", payment(day, doc_no, fen, payee)))
    events.append((D(2026, 7, 16), 2, "reduce", lambda: indicators.reduce(
        book, indicator_id=ids["新财建〔2026〕40号"], kind="reduce", doc_no="新财建〔2026〕58号",
        reduction_date=D(2026, 7, 16), amount=360_000_00, reason="自治区调整农村危房改造任务，调减我县 12 户改造任务对应资金")))
    events.append((D(2026, 11, 16), 2, "return", lambda: ledger.post_manual(
        book, indicator_id=ids["新财社〔2026〕73号"], entry_type="return", amount=150_000_00, entry_date=D(2026, 11, 16),
        voucher_no="JH2026001", summary="兜底基金年度结余按通知缴回自治区")))
    for day, order, _key, run in sorted(events, key=lambda e: e[:3]):
        clock.set(_when(day, 10 + 6 * min(order, 1)))
        run()
    clock.set(_when(end, 17))


def treasury_step(book: Book, clock: Any) -> None:
    """After the year's payments: a payee refunds part of one, then the treasury's data is imported and reconciled."""
    from app.demo.common import as_user

    as_user(book, "jingban")
    row = book.conn.execute(
        "SELECT y.id, y.indicator_id, y.pay_date FROM payments y WHERE y.status = 'paid' AND y.amount > 3200000 "
        "AND y.pay_date BETWEEN '2026-08-01' AND '2026-08-31' AND y.payee_id IS NOT NULL ORDER BY y.pay_date, y.id "
        "LIMIT 1").fetchone()
    if row is not None:
        ledger.post_manual(book, indicator_id=int(row["indicator_id"]), entry_type="refund", amount=3_200_00,
                           entry_date=D(2026, 9, 8), voucher_no="TH2026001", payment_id=int(row["id"]),
                           summary="收款单位退回多付的项目款")
    _treasury_and_reconciliation(book, clock)


def _treasury_and_reconciliation(book: Book, clock: Any) -> None:
    """Import the treasury's data through October, record two sections' figures, explain one difference."""
    import tempfile

    clock.set(_when(D(2026, 11, 5)))
    with tempfile.TemporaryDirectory() as tmp:
        part = Path(tmp) / "国库支付数据_1-10月.xlsx"
        write_treasury_export(book, part, through=D(2026, 10, 31))
        treasury.import_file(book, part)
    master = {r["section"]: r for r in reconcile.section_table(book, month="2026-10")}
    clock.set(_when(D(2026, 11, 6)))
    fp = master["扶贫资金管理股"]
    reconcile.record_section_figures(book, month="2026-10", section="扶贫资金管理股", income=fp["master_income"],
                                     expenditure=fp["master_expenditure"], note="与总台账一致")
    from app.demo.common import as_user

    as_user(book, "jingban2")
    ny = master.get("农业股", {"master_income": 0, "master_expenditure": 0})
    reconcile.record_section_figures(book, month="2026-10", section="农业股", income=ny["master_income"],
                                     expenditure=ny["master_expenditure"] + 45_000_00, note="含10月底合作社补助一笔")
    as_user(book, "jingban")
    for diff in reconcile.differences(book, month="2026-09"):
        if diff["kind"] == "ledger_only":
            reconcile.explain(book, month="2026-09", key=diff["key"],
                              note="该笔因收款人账户信息有误被国库退票，已通知收款人更正账户后重新支付")


def _export_rows(book: Book, through: dt.date | None) -> list[dict[str, Any]]:
    """The treasury's view of the ledger's payments, with the real world's few discrepancies."""
    sql = ("SELECT e.id, e.voucher_no, e.entry_date, e.amount, e.summary, e.payment_id, i.doc_no, i.kind, i.func_code "
           "FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id "
           "WHERE e.entry_type = 'expenditure' ORDER BY e.entry_date, e.voucher_no")
    rows = []
    for r in book.conn.execute(sql):
        name = r["summary"].split(" ")[0]
        payee = next((p for p in PAYEES if p[0] == name), (name, "", ""))
        rows.append({"voucher_no": r["voucher_no"], "pay_date": r["entry_date"], "doc_no": r["doc_no"],
                     "func_code": r["func_code"], "econ_code": ECON.get(r["kind"], ""), "payee_name": payee[0],
                     "payee_account": payee[1], "payee_bank": payee[2], "amount": r["amount"],
                     "purpose": r["summary"][len(payee[0]):].strip(), "pay_method": "财政直接支付",
                     "own": r["payment_id"] is None})
    # the discrepancies touch only this step's own entries, so later demo steps cannot move them
    september = [r for r in rows if r["pay_date"].startswith("2026-09") and r["own"]]
    if september:
        rows.remove(september[0])  # 退票: the treasury returned it, the ledger still shows it paid
    august = [r for r in rows if r["pay_date"].startswith("2026-08") and r["own"]]
    if august:
        august[-1]["amount"] += 900_00  # a transposed figure in the ledger: 专账 vs 国库 amounts differ
    if book.conn.execute("SELECT 1 FROM indicators WHERE doc_no = ?", ("新财农〔2026〕31号",)).fetchone():
        rows.append({"voucher_no": "ZF202699001", "pay_date": "2026-10-28", "doc_no": "新财农〔2026〕31号",
                     "func_code": "2130505", "econ_code": "31005", "payee_name": PAYEES[4][0],
                     "payee_account": PAYEES[4][1], "payee_bank": PAYEES[4][2], "amount": 45_000_00,
                     "purpose": "合作社产业发展补助（专账漏记）", "pay_method": "财政直接支付"})
    rows.sort(key=lambda r: (r["pay_date"], r["voucher_no"]))
    return [r for r in rows if through is None or r["pay_date"] <= through.isoformat()]


def write_treasury_export(book: Book, path: Path | str, *, through: dt.date | None = None) -> Path:
    """Write what the treasury payment system would export for this county (.xlsx), title row included."""
    import openpyxl

    from app.models.ledger.treasury_file import FIELDS
    from app.models.values.money import to_yuan

    path = Path(path)
    rows = _export_rows(book, through)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "支付明细"
    ws.append(["示例县财政国库集中支付明细（扶贫资金）"])
    ws.append([FIELDS[f][0] for f in FIELDS])
    for r in rows:
        ws.append([to_yuan(r[f]) if f == "amount" else r[f] for f in FIELDS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text (an account number, a name starting with "=")
    ws.append(["合计", None, None, None, None, None, None, None, to_yuan(sum(r["amount"] for r in rows))])
    fixed = dt.datetime(2026, 11, 20, 9, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)
    return path
