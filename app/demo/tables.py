"""Demo: what the monthly tables' reviewer columns (issue 18 item 3) need a case of, added to the county's data.

- `old_money_step` (right after the 2026 专账): two documents of earlier years, entered late (back-filled) with
  last years' spending, whose money is still unspent — 表4 上年结转 and 结转1年以上 / 2年以上, a 功能科目 and a
  经济分类 on each, and W1/W6 warnings that arose long before they were found (表7 按问题发生时间).
- `annual_plans_step` (before the months are signed): the 2026 年度计划数 of every item with money (表1 到位率),
  each at least what the levels above have issued.

The other cases the new columns show are already in the county: a document whose prefecture stage was late while the
county was in time (新财农〔2026〕11号, 表2 各环节), projects without monitoring this month (表8 提示), a problem past its
rectification deadline (表9 提示), and 2025 money carried into 2026 (新财农〔2025〕88号, 表4).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.ledger import account as ledger
from app.models.ledger import indicators
from app.models.reports import monthly
from app.models.store.book import Book

D = dt.date
FP = "扶贫资金管理股"
OLD_DOCS = [
    # doc, kind, item, level, yuan, year, received, upper, prefecture doc, prefecture received, func, econ, title,
    # and last years' spending (day, yuan, payee)
    ("新财农〔2024〕57号", "ZX", "ZX03", "region", 600_000, 2024, D(2024, 6, 12), D(2024, 5, 30), D(2024, 6, 7),
     D(2024, 6, 3), "2130505", "50399", "2024年自治区少数民族发展资金（民族手工艺）",
     [(D(2024, 9, 10), 250_000, "示例县富民种养殖农民专业合作社")]),
    ("新财农〔2025〕19号", "ZX", "ZX02", "central", 900_000, 2025, D(2025, 3, 18), D(2025, 3, 3), D(2025, 3, 14),
     D(2025, 3, 7), "2130504", "50302", "2025年中央以工代赈资金（第一批）",
     [(D(2025, 7, 15), 400_000, "新疆润泽水利水电工程有限公司")]),
]  # fmt: skip


def old_money_step(book: Book, clock: Any) -> None:
    """Back-filled documents of 2024 and 2025 with part of their money spent in their own year (run as jingban)."""
    from app.demo.common import as_user

    as_user(book, "jingban")
    for n, (doc, kind, item, level, yuan, year, received, upper, pref_doc, pref_received, func, econ, title,
            spending) in enumerate(OLD_DOCS):
        ind = indicators.register(
            book, doc_no=doc, year=year, kind=kind, item=item, source_level=level, amount=yuan * 100,
            received_date=received, upper_doc_date=upper, prefecture_doc_date=pref_doc,
            extra_events={"prefecture_received": pref_received}, func_code=func, econ_code=econ, section=FP,
            title=title, note="以前年度指标，2026 年补录入账")
        for m, (day, amount, payee) in enumerate(spending):
            ledger.post_expenditure(book, indicator_id=ind, amount=amount * 100, entry_date=day,
                                    voucher_no=f"ZF{day:%Y%m%d}{90 + 10 * n + m:04d}", payment_id=None,
                                    summary=f"{payee} 项目进度款")


def annual_plans_step(book: Book, clock: Any) -> None:
    """2026 年度计划数: what is issued for the year plus what the plan still expects (rounded up to 10,000 元);
    以工代赈资金 has all its plan issued (到位率 100%)."""
    from app.demo.common import as_user

    as_user(book, "jingban")
    plans = {}
    for r in monthly.annual_plan_rows(book, year=2026):
        if r["issued"] <= 0:
            continue
        exact = r["item"] == "ZX02"
        plans[str(r["item"])] = r["issued"] if exact else -(-r["issued"] * 115 // 100 // 1_000_000) * 1_000_000
    monthly.set_annual_plans(book, year=2026, plans=plans)
