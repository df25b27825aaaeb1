"""The demo county's 监控预警 and 绩效目标: goals for most projects (some irregular), two months of monitoring,
decisions on deviation, a few problems, and warnings of every type W1–W9 — each from data built on purpose
here or left by the earlier steps — some of them already being handled.

Deterministic: fixed dates and choices by position, no randomness. The clock is set to the story's time of each
event (common.DemoClock.at); the monthly sign-offs are dated on their own days in the next month (history_step).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.demo.goals import goals_for
from app.models.ledger import indicators
from app.models.notices import records as notices
from app.models.payments import checks
from app.models.payments import requests as payments
from app.models.performance import goals as performance
from app.models.plan import decisions as plan
from app.models.plan import payees, projects
from app.models.store.book import Book
from app.models.values import ids
from app.models.warnings import engine as warnings
from app.models.warnings import problems

D = dt.date
TODAY = dt.datetime(2026, 11, 23, 9, 0, 0)
FP, GK = "扶贫资金管理股", "国库股"
DOC_LATE = "新财农〔2026〕101号"
DOC_IDLE = "新财农〔2026〕66号"
AUDIT_FINDING = "2025年度县审计局审计发现：某产业项目预付款比例超过50%，未书面说明理由"
DECISION = ("示扶组〔2026〕21号", D(2026, 11, 12))
MONTHS = ("2026-09", "2026-10")
# The days the county's staff opened the program before TODAY (each open recomputes the warnings, as the window
# does on the first open of a day): mid-month and month-end through the year. Every detector reads the data as
# of the day it is given, so each warning is "first detected" on the first of these days its condition held.
HISTORY = tuple(d for m in range(1, 12) for d in (D(2026, m, 15), D(2026, m + 1, 1) - dt.timedelta(days=1))
                if d < TODAY.date())


def _login(book: Book, login: str) -> None:
    from app.demo.common import as_user

    as_user(book, login)


def warnings_step(book: Book, clock: Any) -> None:
    """Add the demo's 监控预警 / 绩效目标 data (before 表1 年度计划数: it registers the fourth batch)."""
    clock.set(TODAY)
    _login(book, "juzhang")
    for code, section in (("W9", GK), ("W8", GK), ("W4", FP), ("W5", FP)):
        warnings.set_default_section(book, code=code, section=section)
    _login(book, "jingban")
    clock.at(dt.datetime(2026, 11, 9, 10, 0))  # the fourth batch arrives (and the idle regional fund is entered)
    late, _idle = _indicators(book)
    clock.at(dt.datetime(2026, 11, 10, 10, 0))  # its projects entered, approved on DECISION's day
    own = _projects(book, late, clock)
    clock.set(TODAY)
    _payments(book, late, own)
    _goals(book, skip=own["no_goals"])
    _monitoring(book)
    clock.at(dt.datetime(2026, 3, 16, 15, 0))  # the county audit's finding, recorded the day it was reported
    problems.add(book, description=AUDIT_FINDING, category="W3", origin="audit", found_on=D(2026, 3, 16),
                 amount=180_000_00, section=FP, measures="补充说明并经审核人确认，完善预付款审核流程",
                 deadline=D(2026, 4, 30))
    clock.set(TODAY)


def history_step(book: Book, clock: Any) -> None:
    """The year as the county lived it: the staff open the program on the HISTORY days (each open recomputes the
    warnings as of that day), some warnings are handled, and the chief's sign-offs of January–August, each made in
    the next month (reports.SIGN_ON), are written last with their own dates.

    They are written last so that each signed package sums the warnings as they finally stand (as a build that
    signed on the day would, had the later days not moved a warning's 发生时间; `verify` re-sums them). What the
    builder knows is the story: on each HISTORY day a month already signed by then is no 月报逾期, so W9 is not
    found for it — exactly what the detector finds once the month is signed (it reads the closed months)."""
    from app.demo import reports

    _login(book, "jingban")
    for day in HISTORY:
        clock.at(dt.datetime.combine(day, dt.time(9, 0)))
        _recompute(book, day)
    clock.at(TODAY)
    _recompute(book, clock.now.date())
    late = _doc_id(book, DOC_LATE)
    idle = _doc_id(book, DOC_IDLE)
    yard = int(book.conn.execute("SELECT id FROM projects WHERE code = 'JX2026-101'").fetchone()[0])
    _handle(book, late, idle)
    _post_notices(book, yard)
    clock.set(TODAY + dt.timedelta(days=1))
    _recompute(book, clock.now.date())  # the notices posted clear their W7 (已整改, dated)
    missing = {w.code for w in book.rules.warnings} - {r[0] for r in book.conn.execute(
        "SELECT DISTINCT code FROM warnings WHERE cleared_on IS NULL")}
    if missing:
        raise RuntimeError(f"示例县缺少以下类型的预警：{sorted(missing)}")
    for month, when in sorted(reports.SIGN_ON.items()):
        reports.sign(book, clock, month, when)
    clock.set(TODAY + dt.timedelta(days=1, hours=1))


def _recompute(book: Book, day: dt.date) -> None:
    """The warnings as of `day`, as the detector finds them with the months signed by then closed."""
    detection = warnings.detect_incremental(book, day)
    kept = [f for f in detection.findings if not _signed_by(f.key, day)]
    warnings.recompute(book, as_of=day, findings=kept, reads=detection.reads)


def _signed_by(key: str, day: dt.date) -> bool:
    """A 月报逾期 finding for a month the chief had signed by `day` (reports.SIGN_ON)."""
    from app.demo import reports

    when = reports.SIGN_ON.get(key[3:]) if key.startswith("W9:") else None
    return when is not None and when.date() <= day


def _doc_id(book: Book, doc_no: str) -> int:
    return int(book.conn.execute("SELECT id FROM indicators WHERE doc_no = ?", (doc_no,)).fetchone()[0])


def _indicators(book: Book) -> tuple[int, int]:
    """W1: the prefecture issued the fourth batch 3 working days late. W6: a regional fund never paid."""
    late = indicators.register(
        book, doc_no=DOC_LATE, year=2026, kind="ZX", item="ZX01", source_level="central", amount=1_200_000_00,
        received_date=D(2026, 11, 9), upper_doc_date=D(2026, 10, 23), prefecture_doc_date=D(2026, 11, 6),
        extra_events={"prefecture_received": D(2026, 10, 27)}, func_code="2130505", section=FP,
        title="2026年第四批中央财政专项扶贫资金")
    idle = indicators.register(
        book, doc_no=DOC_IDLE, year=2026, kind="ZX", item="ZX03", source_level="region", amount=650_000_00,
        received_date=D(2026, 7, 6), upper_doc_date=D(2026, 6, 24), prefecture_doc_date=D(2026, 7, 2),
        extra_events={"prefecture_received": D(2026, 6, 29)}, func_code="2130505", section=FP,
        title="2026年自治区少数民族发展资金（第二批）")
    return late, idle


_PROJECT = {"year": 2026, "construction_type": "new", "start_date": "2026-11-15", "end_date": "2027-06-30",
            "responsible": "艾尔肯·吐尔逊", "asset_type": "household", "subsidy_standard": "按实际补助",
            "perf_goals": "见绩效目标表", "mechanism": "优先吸纳脱贫户、监测户务工，带动增收"}


def _projects(book: Book, late: int, clock: Any) -> dict[str, int]:
    """Three projects on the fourth batch, approved together on 2026-11-12: 庭院经济, a road without goals (W2)
    and the year's 项目管理费 topped up to its cap (W4 after the reduction below)."""
    fee_room = _fee_room(book)
    own = {
        "yard": projects.create_project(book, fields=_PROJECT | {
            "code": "JX2026-101", "name": "示例县2026年庭院经济奖补项目", "category": "industry",
            "township": "托格拉克乡", "village": "阿克塔什村", "content": "对发展庭院种养的脱贫户按标准奖补",
            "implementer": "托格拉克乡人民政府", "households": 180, "persons": 720, "poor_households": 150,
            "poor_persons": 600}, funding=[(late, 400_000_00)]),
        "no_goals": projects.create_project(book, fields=_PROJECT | {
            "code": "JX2026-102", "name": "示例县2026年村组道路硬化项目（三期）", "category": "infrastructure",
            "township": "英巴格乡", "village": "喀拉吉勒村", "content": "硬化村组道路 6 公里", "asset_type": "public",
            "implementer": "示例县交通运输局", "infrastructure": 1, "contract_amount": 290_000_00,
            "retention_bp": 300}, funding=[(late, 300_000_00)]),
    }
    if fee_room > 0:
        own["fee"] = projects.create_project(book, fields=_PROJECT | {
            "code": "JX2026-103", "name": "示例县2026年扶贫项目管理费（第四批）", "category": "management_fee",
            "township": "县本级", "village": "", "content": "项目前期设计、评审、招标、监理及验收",
            "asset_type": "public", "implementer": "示例县财政局"}, funding=[(late, fee_room)])
    clock.at(dt.datetime.combine(DECISION[1], dt.time(16, 0)))
    plan.approve_plan(book, project_ids=list(own.values()), decision_no=DECISION[0], decision_date=DECISION[1],
                      title="关于审定2026年第四批财政扶贫资金项目计划的决定")
    from app.demo.claims import post_plan_notices

    post_plan_notices(book, list(own.values()), DECISION[1])  # 事前公示 (issue #18): up 10 days before the payments
    return own


def _fee_room(book: Book) -> int:
    """What is left under the 项目管理费 cap of 2026 once the fourth batch is counted."""
    cap = book.rules.ratios.management_fee.threshold(checks.fee_cap_base(book, 2026))
    kinds = [k.code for k in book.rules.payment.kinds if k.management_fee]
    used = book.conn.execute(
        f"SELECT coalesce(sum(y.amount), 0) FROM payments y JOIN indicators i ON i.id = y.indicator_id WHERE i.year = 2026 "
        f"AND y.kind IN ({','.join('?' * len(kinds))}) AND y.status IN ('submitted', 'approved', 'paid')",
        kinds).fetchone()[0]
    return max(min(cap - int(used), 500_000_00), 0)


def _payee(book: Book, name: str, serial: int, bank: str) -> int:
    body = f"916599010000{serial:04d}X"
    code = body + ids.uscc_check_char(body)
    found = book.conn.execute("SELECT id FROM payees WHERE id_code = ?", (code,)).fetchone()
    if found:
        return int(found[0])
    return int(payees.create_payee(book, payee_type="enterprise", name=name, id_code=code,
                                   account_no=f"65050166{serial:011d}", bank=bank)["id"])


def _pay(book: Book, *, project_id: int, indicator_id: int, payee_id: int, amount: int, kind: str, usage: str,
         voucher: str) -> int:
    _login(book, "jingban")
    pid = payments.draft(book, project_id=project_id, indicator_id=indicator_id, payee_id=payee_id, amount=amount,
                         kind=kind, usage=usage, func_code="2130505", econ_code="31005", method="direct",
                         draft_date=TODAY.date(), purpose="示例县第四批资金支付")
    if payments.submit(book, payment_id=pid, reason="按合同约定支付")["blocked"]:
        return pid
    _login(book, "shenhe")
    payments.review(book, payment_id=pid, override_note="已核对合同和验收资料")
    _login(book, "jingban")
    payments.mark_paid(book, payment_id=pid, voucher_no=voucher, pay_date=TODAY.date())
    return pid


def _payments(book: Book, late: int, own: dict[str, int]) -> None:
    """A progress payment, a request for vehicles refused by the rules (W3), the fee to the cap, then the region
    reduces the fourth batch so the fee paid is over 1 % (W4)."""
    coop = _payee(book, "示例县阿克塔什庭院经济专业合作社", 1, "新疆农村信用社示例县联社")
    firm = _payee(book, "新疆天工工程咨询有限公司", 2, "中国建设银行示例县支行")
    _pay(book, project_id=own["yard"], indicator_id=late, payee_id=coop, amount=120_000_00, kind="progress",
         usage="industry", voucher="ZF2026112301")
    _pay(book, project_id=own["yard"], indicator_id=late, payee_id=coop, amount=86_000_00, kind="progress",
         usage="vehicles_comms", voucher="ZF2026112302")
    if "fee" in own:
        amount = int(book.conn.execute("SELECT amount FROM project_funding WHERE project_id = ?",
                                       (own["fee"],)).fetchone()[0])
        _pay(book, project_id=own["fee"], indicator_id=late, payee_id=firm, amount=amount, kind="management_fee",
             usage="management_fee", voucher="ZF2026112303")
    left = projects.unplanned(book, late)
    indicators.reduce(book, indicator_id=late, kind="reduce", doc_no="新财农〔2026〕118号", reduction_date=TODAY.date(),
                      amount=min(200_000_00, left), reason="自治区统筹调整第四批资金，调减我县部分额度")


def _goals(book: Book, *, skip: int) -> None:
    """Goals for most approved projects: every 7th none (W2), every 6th irregular (W2), every 5th set after
    the money (not 随资金下达); the rest complete and attached on the approving decision's day."""
    rows = book.conn.execute(
        "SELECT p.id, p.category, (SELECT min(d.decision_date) FROM plan_versions v JOIN plan_decisions d "
        "ON d.id = v.decision_id WHERE v.project_id = p.id) AS issued FROM projects p "
        "WHERE p.decision_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM perf_goals g WHERE g.project_id = p.id) "
        "ORDER BY p.code").fetchall()
    fields = ("level1", "level2", "name", "comparator", "target", "unit")
    today = TODAY.date()
    for n, r in enumerate(rows):
        if r["id"] == skip or n % 7 == 3:
            continue
        issued = D.fromisoformat(r["issued"])
        set_on = min(issued + dt.timedelta(days=20), today) if n % 5 == 2 else issued
        for g, goal in enumerate(goals_for(r["category"])):
            values = dict(zip(fields, goal, strict=True))
            if n % 6 == 1 and g == 1:
                values |= {"target": "明显提升"}
            if n % 6 == 1 and g == 2:
                values |= {"unit": ""}
            if n % 6 == 1 and values["level1"] == "satisfaction":
                continue
            performance.add_goal(book, project_id=r["id"], fields=values, set_on=set_on)


def _scaled(target: str, share: Decimal) -> str:
    value = performance.parse_number(target)
    assert value is not None
    return str((value * share).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _monitoring(book: Book) -> None:
    """September and October values for projects whose goals were set by then; every 4th project expects to fall
    short of its first target (deviation), and two of those have a decision on it."""
    rows = book.conn.execute(
        "SELECT DISTINCT p.id, p.code, (SELECT coalesce(sum(f.amount), 0) FROM project_funding f "
        "WHERE f.project_id = p.id) AS funded FROM projects p JOIN perf_goals g ON g.project_id = p.id "
        "WHERE g.set_on <= '2026-08-31' ORDER BY p.code").fetchall()
    deviating = []
    for n, r in enumerate(rows):
        goals = [g for g in performance.goals(book, r["id"]) if performance.parse_number(g["target"]) is not None]
        for m, month in enumerate(MONTHS):
            share = Decimal(9 + m) / Decimal(12)
            values: dict[int, tuple[str, str, str]] = {}
            for g, goal in enumerate(goals):
                if goal["comparator"] != ">=":
                    values[goal["id"]] = (goal["target"], "", "")
                elif n % 4 == 0 and g == 0:
                    values[goal["id"]] = (_scaled(goal["target"], share * Decimal("0.7")),
                                          _scaled(goal["target"], Decimal("0.8")), "部分农户资金自筹不到位，进度滞后")
                else:
                    values[goal["id"]] = (_scaled(goal["target"], share), goal["target"], "")
            performance.record_month(book, project_id=r["id"], month=month, values=values)
        if n % 4 == 0:
            deviating.append(r)
    _login(book, "shenhe")
    for k, r in enumerate(deviating[:3]):
        if k < 2:
            performance.record_decision(book, project_id=r["id"], kind="correct", decided_on=D(2026, 11, 16),
                                        measures="督促实施单位倒排工期，增加施工力量，12月底前完成年度目标")
        else:
            performance.record_decision(book, project_id=r["id"], kind="pause", decided_on=D(2026, 11, 18),
                                        doc_no="示财扶〔2026〕33号", amount=int(r["funded"]) // 10,
                                        measures="绩效目标严重偏离，暂缓拨付剩余资金，待整改到位后恢复")
    _login(book, "jingban")


def _post_notices(book: Book, project_id: int) -> None:
    """The 庭院经济 project's plan was on the township and village boards 11 days: its W7 clears next time."""
    for level, where, publisher in (("township", "托格拉克乡政府公示栏", "托格拉克乡人民政府"),
                                    ("village", "阿克塔什村委会公示栏", "阿克塔什村民委员会")):
        notices.record_notice(book, kind="project_plan", level=level, object_type="project", object_id=project_id,
                              title="示例县2026年庭院经济奖补项目计划安排公示", place="board", location=where,
                              start_date=D(2026, 11, 13), end_date=D(2026, 11, 23), publisher=publisher)


def _first(book: Book, code: str, where: str = "1 = 1", args: tuple[Any, ...] = ()) -> int | None:
    row = book.conn.execute(f"SELECT id FROM warnings WHERE code = ? AND cleared_on IS NULL AND {where} "
                            "ORDER BY since, id LIMIT 1", (code, *args)).fetchone()
    return int(row[0]) if row else None


def _handle(book: Book, late: int, idle: int) -> None:
    """Some warnings explained or being rectified, one listed in the 问题台账, two problems found otherwise."""
    steps: list[tuple[int | None, str, str]] = [
        (_first(book, "W1", "object_id = ?", (str(late),)), "explained",
         "系地区财政局延迟下达（收到自治区文件后第 8 个工作日下达），已函告地区财政局；本级环节未超时"),
        (_first(book, "W3"), "rectifying", "已退回经办人，购买车辆不属于扶贫资金支出范围，改为合规用途后重新申请"),
        (_first(book, "W5", "key LIKE 'W5:bond:%'"), "rectifying", "已督促易地搬迁安置区配套项目加快结算支付"),
        (_first(book, "W8"), "rectifying", "已与国库股逐笔核对，正在补记专账"),
        (_first(book, "W2"), "rectifying", "已通知项目实施单位 11 月底前补报绩效目标"),
    ]
    for warning_id, status, note in steps:
        if warning_id is not None:
            warnings.handle(book, warning_id=warning_id, status=status, note=note)
    idle_warning = _first(book, "W6", "object_id = ?", (str(idle),))
    if idle_warning is not None:
        problems.from_warning(book, warning_id=idle_warning, measures="约谈相关乡镇，督促少数民族发展资金项目开工",
                              deadline=D(2026, 12, 15))
        warnings.handle(book, warning_id=idle_warning, status="rectifying", note="已约谈托格拉克乡，项目 12 月初开工")
    audit = int(book.conn.execute("SELECT id FROM problems WHERE description = ?", (AUDIT_FINDING,)).fetchone()[0])
    problems.update(book, problem_id=audit, status="rectified", day=D(2026, 11, 20),
                    progress="已补充书面理由并经审核确认，预付款审核增加比例提示")
    problems.add(book, description="群众反映：幸福村公示栏未张贴到户补助实名制名单", category="W7", origin="complaint",
                 found_on=D(2026, 11, 19), section=FP, measures="由乡政府补充张贴并拍照留存",
                 deadline=D(2026, 11, 30))
