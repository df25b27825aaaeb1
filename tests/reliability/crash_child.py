"""Run by the crash tests in a child process: keeps doing real operations until it is killed.

Usage: python -m tests.reliability.crash_child DB SCENARIO SEED
Each scenario performs whole operations in a loop and reports after each commit (a line on stdout, or a
message on a pipe when started by `start()`), so the parent knows how many operations must have survived.
`prepare()` builds the base file every scenario starts from; `check()` states what must hold after a kill.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import multiprocessing as mp
import os
import random
import sqlite3
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from app.export import manifest, signoff
from app.models.ledger import catalogue, indicators, treasury
from app.models.payments import real_name
from app.models.payments import requests as payments
from app.models.plan import decisions as plan
from app.models.plan import payees, plan_import, projects
from app.models.reports import monthly
from app.models.store import holidays, setup, users
from app.models.store.book import Book, open_book
from app.models.values import ids

PASSWORD = "secret-pass-1"
DOC = "新财农〔2026〕900号"
Scenario = Callable[[Book, random.Random, int], None]
TREASURY_HEADERS = ["支付凭证号", "支付日期", "指标文号", "功能科目", "经济科目", "收款人全称", "收款人账号", "收款人开户行",
                    "金额", "用途", "支付方式"]
TREASURY_ROWS = 5
PLAN_PROJECTS = 3


def _as(book: Book, login: str) -> None:
    """Switch the acting user without paying for scrypt on every step (the password was checked in main)."""
    row = book.conn.execute("SELECT id FROM users WHERE login = ?", (login,)).fetchone()
    book.user = users.get(book, int(row[0]))


def _tag(n: int) -> str:
    return f"{os.getpid() % 100_000:05d}-{n:05d}"  # unique per child process and per operation


def valid_id(seq: int) -> str:
    body = f"65990119800101{seq % 1000:03d}"
    return body + ids.id_check_char(body)


def valid_uscc(seq: int) -> str:
    body = f"91659001MA{seq:07d}"
    return body + ids.uscc_check_char(body)


# -- the base file ------------------------------------------------------------------------------------


def prepare(path: Path) -> Path:
    """A bureau with one user per role, a large indicator, an approved project funded by it, an enterprise
    payee and a household-subsidy payment in draft (the scenarios build on these)."""
    from app.demo.common import DemoClock

    clock = DemoClock(dt.datetime(2026, 5, 10, 9, 0, 0))
    book = setup.create(path, bureau_name="崩溃测试县财政局", region_code="659901", level="county",
                        chief_login="chief", chief_name="局长甲", chief_password=PASSWORD, clock=clock)
    try:
        for login, role in (("clerk", "clerk"), ("clerk2", "clerk"), ("reviewer", "reviewer"), ("auditor", "auditor")):
            users.add_user(book, login=login, name=f"{role}-用户", role=role, password=PASSWORD, section="扶贫资金管理股")
        _as(book, "clerk")
        amount = 900_000_000_00
        ind = indicators.register(book, doc_no=DOC, year=2026, kind="ZX", item="ZX01", source_level="central",
                                  amount=amount, received_date=dt.date(2026, 3, 10), upper_doc_date=dt.date(2026, 3, 1),
                                  prefecture_doc_date=dt.date(2026, 3, 6), func_code="2130505", section="扶贫资金管理股",
                                  title="崩溃测试指标")
        fields = {"code": "XM-CRASH-001", "year": 2026, "name": "示例村产业发展项目", "category": "industry",
                  "construction_type": "new", "township": "城关镇", "village": "巴格其村", "content": "建设标准化养殖棚圈",
                  "start_date": "2026-04-01", "end_date": "2026-10-31", "implementer": "城关镇人民政府",
                  "responsible": "张三", "asset_type": "operating"}
        pid = projects.create_project(book, fields=fields, funding=[(ind, amount // 2)])
        plan.approve_plan(book, project_ids=[pid], decision_no="示扶组发〔2026〕1号", decision_date=dt.date(2026, 4, 1))
        from app.models.notices import records as notices  # 事前公示 (issue #18): the plan notice a payment needs

        notice = notices.draft(book, kind="project_plan", level="village", object_type="project", object_id=pid,
                               on=dt.date(2026, 4, 1))
        notices.record_notice(book, kind="project_plan", level="village", object_type="project", object_id=pid,
                              title=notice["title"], place="board", start_date=dt.date(2026, 4, 1),
                              publisher=notice["publisher"], content={k: v or "不适用" for k, v in notice["content"].items()})
        payees.create_payee(book, payee_type="enterprise", name="示例建设工程有限公司", id_code=valid_uscc(1),
                            account_no="6222000000000001", bank="中国农业银行示例县支行")
        payments.draft(book, project_id=pid, indicator_id=ind, payee_id=None, amount=3_000_00, kind="household_subsidy",
                       usage="household_subsidy", func_code="2130505", econ_code="30305", method="direct",
                       draft_date=dt.date(2026, 5, 6))
    finally:
        book.close(backup=False)
    return path


def _ids(book: Book) -> tuple[int, int, int, int]:
    """(indicator, project, enterprise payee, household payment) of the base file."""
    c = book.conn
    return (int(c.execute("SELECT id FROM indicators WHERE doc_no = ?", (DOC,)).fetchone()[0]),
            int(c.execute("SELECT id FROM projects WHERE code = 'XM-CRASH-001'").fetchone()[0]),
            int(c.execute("SELECT id FROM payees ORDER BY id LIMIT 1").fetchone()[0]),
            int(c.execute("SELECT id FROM payments WHERE kind = 'household_subsidy' ORDER BY id LIMIT 1").fetchone()[0]))


# -- scenarios ----------------------------------------------------------------------------------------


def add_users(book: Book, rng: random.Random, n: int) -> None:
    _as(book, "chief")
    users.add_user(book, login=f"u{n}x{rng.randrange(10**6)}", name=f"用户{n}", role="clerk", password=PASSWORD)


def calendar_years(book: Book, rng: random.Random, n: int) -> None:
    _as(book, "chief")
    year = 2030 + n % 50
    days = [(f"{year}-01-01", "元旦")] + [(f"{year}-10-0{d}", "国庆节") for d in range(1, 8)]
    holidays.set_year(book, year=year, notice=f"国务院办公厅关于{year}年部分节假日安排的通知（第{n}次）",
                      holidays=days, workdays_=[])


def fund_items(book: Book, rng: random.Random, n: int) -> None:
    _as(book, "chief")
    tag = _tag(n).replace("-", "")
    catalogue.add_item(book, kind="ZH", code=f"ZH{tag}", name=f"整合项目{tag}")


def treasury_csv(tag: str, rows: int = TREASURY_ROWS) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(TREASURY_HEADERS)
    for k in range(rows):
        w.writerow([f"GK{tag}-{k}", "2026-05-08", DOC, "2130505", "31005", f"收款单位{k}", "6228480088012345671",
                    "农行示例县支行", f"{100 + k}.{k:02d}", "项目款", "财政直接支付"])
    return buf.getvalue().encode("utf-8-sig")


def treasury_import(book: Book, rng: random.Random, n: int) -> None:
    """One treasury file of TREASURY_ROWS new vouchers per operation: all rows or none."""
    _as(book, "clerk")
    path = book.path.with_name(f"国库{os.getpid()}.csv")
    path.write_bytes(treasury_csv(_tag(n)))
    result = treasury.import_file(book, path)
    assert result.added == TREASURY_ROWS, result.text()


def plan_xlsx(tag: str, projects_n: int = PLAN_PROJECTS) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "项目"
    ws.append(["项目编号*", "年度*", "项目名称*", "项目类别*", "建设性质*", "乡镇*", "村", "建设任务*", "开工日期*", "完工日期*",
               "实施单位*", "责任人*", "资产类型*"])
    funding = wb.create_sheet("资金来源")
    funding.append(["项目编号*", "指标文号*", "指标年度", "金额（元）*"])
    for k in range(projects_n):
        code = f"JH{tag}-{k}"
        ws.append([code, 2026, f"计划项目{tag}-{k}", "industry", "新建", "城关镇", "巴格其村", "建设任务", "2026-04-01",
                   "2026-09-30", "城关镇人民政府", "张三", "经营性"])
        funding.append([code, DOC, 2026, 1000 + k])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_import_op(book: Book, rng: random.Random, n: int) -> None:
    """One plan file of PLAN_PROJECTS projects with their funding per operation: all projects or none."""
    _as(book, "clerk")
    got = plan_import.import_plan(book, file_name="计划.xlsx", data=plan_xlsx(_tag(n)))
    assert len(got) == PLAN_PROJECTS


def roster(n: int) -> tuple[bytes, int]:
    """A real-name list for the 3,000.00 payment: three households, or two (they replace each other)."""
    import openpyxl

    count = 3 if n % 2 == 0 else 2
    each = "1000" if count == 3 else "1500"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "村", "金额（元）", "账号"])
    for i in range(count):
        ws.append([f"户主{n}-{i}", valid_id(100 + i + count * 10), "巴格其村", each, f"6217000{n % 10**6:06d}{i:04d}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count


def real_name_list(book: Book, rng: random.Random, n: int) -> None:
    """Replace the household payment's list (3 persons, then 2, …): the old list whole or the new one whole."""
    _as(book, "clerk")
    *_, payment_id = _ids(book)
    data, count = roster(n)
    got = real_name.import_list(book, payment_id=payment_id, file_name=f"名册{n}.xlsx", data=data)
    assert got["persons"] == count


def pay_once_and_sign(book: Book, months: list[str], out_dir: Path) -> list[manifest.PackageResult]:
    """One payment on 2026-05-12 (the clerk), then `months` signed on 2026-06-03 (the chief): the signed file the
    evidence tests start from."""
    book.clock = lambda: dt.datetime(2026, 5, 12, 9, 0)
    users.login(book, "clerk", PASSWORD)
    payment_flow(book, random.Random(1), 1)
    book.clock = lambda: dt.datetime(2026, 6, 3, 9, 0)
    users.login(book, "chief", PASSWORD)
    return signoff.sign_months(book, months=months, out_dir=out_dir, password=PASSWORD)


def payment_flow(book: Book, rng: random.Random, n: int) -> None:
    """draft → submit (clerk) → review (reviewer) → mark paid with its 专账 entry (clerk): four operations."""
    ind, pid, payee, _ = _ids(book)
    _as(book, "clerk")
    amount = rng.randrange(1_00, 5_000_00)
    payment_id = payments.draft(book, project_id=pid, indicator_id=ind, payee_id=payee, amount=amount, kind="progress",
                                usage="industry", func_code="2130505", econ_code="31005", method="direct",
                                draft_date=dt.date(2026, 5, 6))
    result = payments.submit(book, payment_id=payment_id)
    assert result["payment"]["status"] == "submitted", result["payment"]["return_reason"]
    _as(book, "reviewer")
    assert payments.review(book, payment_id=payment_id)["payment"]["status"] == "approved"
    _as(book, "clerk")
    payments.mark_paid(book, payment_id=payment_id, voucher_no=f"ZF{_tag(n)}", pay_date=dt.date(2026, 5, 8))


def sign_off(book: Book, rng: random.Random, n: int) -> None:
    """The chief reopens January when it is signed, then signs it off again (a new version each time),
    with the package written out."""
    _as(book, "chief")
    if book.conn.execute("SELECT 1 FROM signoffs WHERE month = '2026-01' AND status = 'signed'").fetchone():
        monthly.reopen(book, month="2026-01", reason=f"崩溃测试第 {n} 次重新打开", password=PASSWORD)
    signoff.sign_off(book, password=PASSWORD, month="2026-01", out_dir=book.path.with_name("报送包"), comment=f"第 {n} 次签发")


SCENARIOS: dict[str, Scenario] = {
    "add_users": add_users,
    "calendar_years": calendar_years,
    "fund_items": fund_items,
    "treasury_import": treasury_import,
    "plan_import": plan_import_op,
    "real_name_list": real_name_list,
    "payment_flow": payment_flow,
    "sign_off": sign_off,
}
# Which table grows by one row per completed operation (None: the scenario replaces rather than adds).
GROWS: dict[str, str | None] = {
    "add_users": "users", "calendar_years": None, "fund_items": "fund_items", "treasury_import": "treasury_imports",
    "plan_import": "projects", "real_name_list": None, "payment_flow": "payments", "sign_off": "signoffs",
}
PER_OP = {"plan_import": PLAN_PROJECTS}


# -- what must hold after a kill -----------------------------------------------------------------------


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = sorted({t for t in GROWS.values() if t} | {"calendar_years", "audit_log", "real_name_lines"})
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}


def check(conn: sqlite3.Connection, out_dir: Path | None = None) -> list[str]:
    """Nothing half-written: each import whole, each payment with its entry, each package whole. [] when all hold."""
    bad: list[str] = []
    q = conn.execute
    for imp, added, in_file in q("SELECT id, rows_added, rows_in_file FROM treasury_imports"):
        got = q("SELECT count(*) FROM treasury_payments WHERE import_id = ?", (imp,)).fetchone()[0]
        if got != added or added != in_file:
            bad.append(f"国库导入 #{imp}：登记 {added}/{in_file} 行，实有 {got} 行")
    for prefix, got in q("SELECT substr(code, 1, length(code) - 2), count(*) FROM projects WHERE code LIKE 'JH%' "
                         "GROUP BY 1"):
        if got != PLAN_PROJECTS:
            bad.append(f"计划导入 {prefix}：只有 {got} 个项目")
    for code, funded in q("SELECT p.code, count(f.project_id) FROM projects p LEFT JOIN project_funding f "
                          "ON f.project_id = p.id WHERE p.code LIKE 'JH%' GROUP BY p.id"):
        if funded != 1:
            bad.append(f"计划导入 {code}：资金来源 {funded} 行")
    for pay, persons, total in q("SELECT payment_id, persons, total FROM real_name_lists"):
        n, s = q("SELECT count(*), coalesce(sum(amount), 0) FROM real_name_lines WHERE payment_id = ?", (pay,)).fetchone()
        if (n, s) != (persons, total):
            bad.append(f"实名制名册（支付 #{pay}）：登记 {persons} 人 {total} 分，实有 {n} 人 {s} 分")
    orphan = q("SELECT count(*) FROM real_name_lines l LEFT JOIN real_name_lists s ON s.payment_id = l.payment_id "
               "WHERE s.payment_id IS NULL").fetchone()[0]
    if orphan:
        bad.append(f"实名制名册：{orphan} 行没有名册记录")
    for pay, status, entry, amount in q("SELECT id, status, ledger_entry_id, amount FROM payments"):
        entries = q("SELECT id, amount FROM ledger_entries WHERE payment_id = ?", (pay,)).fetchall()
        if status == "paid":
            if [(e[0], e[1]) for e in entries] != [(entry, amount)]:
                bad.append(f"支付 #{pay} 已支付，但专账记录为 {[tuple(e) for e in entries]}")
        elif entries or entry is not None:
            bad.append(f"支付 #{pay} 状态 {status}，却有专账记录 {[tuple(e) for e in entries]}")
    for sid, month, version, files in q("SELECT id, month, version, files FROM signoffs"):
        stored = {r[0] for r in q("SELECT name FROM signoff_files WHERE signoff_id = ?", (sid,))}
        if stored != set(json.loads(files)):
            bad.append(f"签发 {month} v{version}：保存的文件 {sorted(stored)} 与记录不符")
    signed = {r[0] for r in q("SELECT month FROM signoffs WHERE status = 'signed'")}
    closed = {r[0] for r in q("SELECT month FROM periods WHERE closed = 1")}
    if signed != closed:
        bad.append(f"已签发月份 {sorted(signed)} 与已结账月份 {sorted(closed)} 不一致")
    if out_dir is not None and out_dir.is_dir():
        bad.extend(check_packages(conn, out_dir))
    return bad


def check_packages(conn: sqlite3.Connection, out_dir: Path) -> list[str]:
    """Every package folder written out is whole and is one the database recorded (staging folders aside)."""
    import hashlib

    bad = []
    recorded = [json.loads(r[0]) for r in conn.execute("SELECT files FROM signoffs")]
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
        if files not in recorded:
            bad.append(f"报送包 {folder.name} 不完整或没有签发记录")
    return bad


# -- running ------------------------------------------------------------------------------------------


def run(path: Path, scenario: str, seed: int, report: Callable[[int], None]) -> None:
    rng = random.Random(seed)
    # Test code only: the shipped scrypt (N=2**17, ~1 s) would outlast every kill window of add_users; the
    # suite's own fixture (tests/conftest.py) does not reach this forked child, so it is lowered here too.
    users.SCRYPT_N = 2**14
    book = open_book(path)
    _as(book, "chief")  # passwords are tested elsewhere; scrypt here would only delay every trial
    report(0)  # ready: the parent's clock starts now, so kills land inside operations, not during start-up
    n = 0
    op = SCENARIOS[scenario]
    while True:
        op(book, rng, n)
        n += 1
        report(n)


def _pipe_child(path: str, scenario: str, seed: int, conn: Connection) -> None:
    run(Path(path), scenario, seed, conn.send)


def context() -> mp.context.BaseContext:
    """A fork server with the app already imported: each trial starts in milliseconds, from a clean process."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", "tests.reliability.crash_child"])
    return ctx


def start(ctx: mp.context.BaseContext, path: Path, scenario: str, seed: int) -> tuple[mp.process.BaseProcess, Connection]:
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_pipe_child, args=(str(path), scenario, seed, child), daemon=True)  # type: ignore[attr-defined]
    proc.start()
    child.close()
    return proc, parent


def main(argv: list[str]) -> int:
    path, scenario, seed = Path(argv[0]), argv[1], int(argv[2])
    run(path, scenario, seed, lambda n: print(n, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
