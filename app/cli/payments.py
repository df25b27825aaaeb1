"""项目计划 and 支付审批 commands: templates, plan import and approval, listing, checks, the printed form."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.base import CommandList, login_from_args, out_path, say
from app.models.values.errors import NotFound, ValidationError

COMMANDS = CommandList()


def _out_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", type=out_path("输出文件"), help="要生成的 .xlsx 文件")
    p.add_argument("--db", type=Path, help="按该数据库的规则集生成下拉选项（不指定时用默认规则集）")


def _xlsx(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise ValidationError("应以 .xlsx 结尾", field="文件")
    if path.exists():
        raise ValidationError(f"{path} 已存在，不能覆盖", field="文件")
    return path


@COMMANDS.add("plan-template", "生成项目计划导入模板（.xlsx：项目、资金来源、填表说明）", _out_arg)
def cmd_plan_template(args: argparse.Namespace) -> int:
    from app.models.plan import plan_import
    from app.models.rules import load as rules
    from app.models.store.book import open_book

    if args.db:
        with open_book(args.db, read_only=True) as book:
            ruleset = book.rules
    else:
        ruleset = rules.load()
    say(f"已生成 {plan_import.write_template(ruleset, _xlsx(args.out))}")
    return 0


@COMMANDS.add("real-name-template", "生成实名制发放名册模板（.xlsx：姓名、身份证号、村、金额、账号）", _out_arg)
def cmd_real_name_template(args: argparse.Namespace) -> int:
    from app.models.payments import real_name

    say(f"已生成 {real_name.write_template(_xlsx(args.out))}")
    return 0


def _file_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("file", type=Path, help="按模板填写的 .xlsx 文件")
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


@COMMANDS.add("import-plan", "导入项目计划（.xlsx）；有任何一行不合格，整个文件都不导入，并列出每处错误", _file_args)
def cmd_import_plan(args: argparse.Namespace) -> int:
    from app.models.plan import plan_import
    from app.models.store.book import open_book

    with open_book(args.db) as book:
        login_from_args(book, args)
        ids = plan_import.import_file(book, path=args.file)
    say(f"已导入 {len(ids)} 个项目（入库状态），2021 年度起的项目先用 advance-projects 推进到“储备”，"
        "经领导小组审定后用 approve-plan 登记决定。")
    return 0


def _approve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--decision", required=True, help="领导小组决定文号，例如 示扶组发〔2026〕1号")
    p.add_argument("--date", required=True, help="决定日期 YYYY-MM-DD")
    p.add_argument("--title", default="", help="决定标题")
    p.add_argument("--projects", default="", help="项目编号，逗号分隔；不指定时审定全部待审定的项目"
                   "（处于本年度规则集最后一个项目库阶段的项目：xj-2019 为“入库”，xj-2021 为“储备”）")
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


@COMMANDS.add("approve-plan", "登记县领导小组（扶贫开发/乡村振兴，按年度规则集的名称）审定项目计划的决定（文号、日期）", _approve_args)
def cmd_approve_plan(args: argparse.Namespace) -> int:
    from app.models.plan import decisions as plan
    from app.models.plan import projects
    from app.models.store.book import open_book

    with open_book(args.db) as book:
        login_from_args(book, args)
        if args.projects.strip():
            ids = []
            for code in (c.strip() for c in args.projects.split(",") if c.strip()):
                found = projects.by_code(book, code)
                if found is None:
                    raise NotFound(f"没有编号为“{code}”的项目", field="--projects")
                ids.append(int(found["id"]))
        else:
            ids = [int(p["id"]) for p in projects.choices(book) if projects.awaiting_approval(book, p)]
        plan.approve_plan(book, project_ids=ids, decision_no=args.decision, decision_date=args.date, title=args.title)
    say(f"已按 {args.decision} 审定 {len(ids)} 个项目。")
    return 0


def _advance_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--projects", required=True, help="项目编号，逗号分隔")
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


@COMMANDS.add("advance-projects", "推进项目状态一步（按项目年度的规则集：审定前在项目库内推进，如“入库”→“储备”；审定后推进到"
              "实施、完工、验收）", _advance_args)
def cmd_advance_projects(args: argparse.Namespace) -> int:
    from app.models.plan import decisions as plan
    from app.models.plan import projects
    from app.models.store.book import open_book

    with open_book(args.db) as book:
        login_from_args(book, args)
        for code in (c.strip() for c in args.projects.split(",") if c.strip()):
            found = projects.by_code(book, code)
            if found is None:
                raise NotFound(f"没有编号为“{code}”的项目", field="--projects")
            nxt = projects.next_stage(book, found)
            if nxt is None:
                raise ValidationError(f"项目 {code} 当前为“{found['status_name']}”，不能再推进"
                                      + ("（待审定，请用 approve-plan）" if projects.awaiting_approval(book, found) else ""),
                                      field="--projects")
            plan.advance_status(book, project_id=int(found["id"]), status=nxt.code)
            say(f"项目 {code}：{found['status_name']} → {nxt.name}")
    return 0


def _list_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--status", default="", help="只列出该状态（代码，如 draft / submitted / approved / paid / returned）")
    p.add_argument("--text", default="", help="按编号、名称、收款人、文号筛选")


def _read(db: Path) -> Any:
    from app.models.store.book import open_book

    return open_book(db, read_only=True)


@COMMANDS.add("projects", "列出项目计划", _list_args)
def cmd_projects(args: argparse.Namespace) -> int:
    from app.models.plan import projects
    from app.models.values import money

    with _read(args.db) as book:
        q = projects.ProjectQuery(book, status=args.status, text=args.text)
        for p in q.fetch(0, 100_000, None, False):
            say(f"{p['code']:<14} {p['status_name']:<4} {money.format(p['total']):>16} {money.format(p['paid']):>16}  "
                f"{p['place']}  {p['name']}  {p['decision_no'] or ''}")
        say(f"共 {q.count()} 个项目")
    return 0


@COMMANDS.add("payments", "列出支付申请", _list_args)
def cmd_payments(args: argparse.Namespace) -> int:
    from app.models.payments import query as payment_query
    from app.models.values import money

    with _read(args.db) as book:
        q = payment_query.PaymentQuery(book, status=args.status, text=args.text)
        for p in q.fetch(0, 100_000, "request_no", False):
            say(f"{p['request_no']}  {p['draft_date']}  {p['status_name']:<3} {money.format(p['amount']):>14}  "
                f"{p['kind_name']:<5} {p['project_code']} {p['payee_display']}  {p['indicator_doc']}")
        say(f"共 {q.count()} 笔")
    return 0


def _one_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("request_no", help="申请编号，例如 SQ2026-0001")


def _payment_id(book: Any, request_no: str) -> int:
    row = book.conn.execute("SELECT id FROM payments WHERE request_no = ?", (request_no.strip(),)).fetchone()
    if row is None:
        raise NotFound(f"没有编号为“{request_no}”的支付申请", field="申请编号")
    return int(row[0])


@COMMANDS.add("check-payment", "按当前数据对一笔支付申请运行全部规则检查并列出结果（不写入）", _one_args)
def cmd_check_payment(args: argparse.Namespace) -> int:
    from app.models.payments import checks
    from app.models.payments import query as payment_query

    with _read(args.db) as book:
        p = payment_query.get(book, _payment_id(book, args.request_no))
        draft = checks.Draft.of(p)
        outcomes = checks.evaluate(book, draft)
        marks = {"pass": "✓", "fail": "✗", "warn": "！"}
        for o in outcomes:
            say(f"{marks[o.outcome]} {o.name}：{o.message}")
    return 1 if any(o.outcome == "fail" for o in outcomes) else 0


def _form_args(p: argparse.ArgumentParser) -> None:
    _one_args(p)
    p.add_argument("out", type=out_path("输出文件"), help="要生成的 PDF 文件")


@COMMANDS.add("payment-form", "生成支付审批单 PDF（A4）", _form_args)
def cmd_payment_form(args: argparse.Namespace) -> int:
    from app.export import approval_form

    if args.out.suffix.lower() != ".pdf":
        raise ValidationError("应以 .pdf 结尾", field="文件")
    with _read(args.db) as book:
        path = approval_form.write_pdf(book, _payment_id(book, args.request_no), args.out)
    say(f"已生成 {path}")
    return 0


def _real_name_args(p: argparse.ArgumentParser) -> None:
    _one_args(p)
    p.add_argument("file", type=Path, help="实名制发放名册（.xlsx）")
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


@COMMANDS.add("import-real-name", "为支付申请导入实名制发放名册；有一行不合格则整个名册不导入", _real_name_args)
def cmd_import_real_name(args: argparse.Namespace) -> int:
    from app.models.payments import real_name
    from app.models.store.book import open_book
    from app.models.values import money

    with open_book(args.db) as book:
        login_from_args(book, args)
        got = real_name.import_file(book, payment_id=_payment_id(book, args.request_no), path=args.file)
    say(f"已导入名册：{got['persons']} 人，合计 {money.format(got['total'])} 元")
    return 0


def _roster_args(p: argparse.ArgumentParser) -> None:
    _file_args(p)
    p.add_argument("--kind", required=True, choices=("staff", "poor"),
                   help="staff：财政供养人员名册；poor：脱贫户/监测对象名册")


@COMMANDS.add("import-roster", "导入名册（财政供养人员 / 脱贫户和监测对象，.xlsx），整体替换同类名册；有任何一行不合格都不导入",
              _roster_args)
def cmd_import_roster(args: argparse.Namespace) -> int:
    from app.models.plan import rosters
    from app.models.store.book import open_book

    with open_book(args.db) as book:
        login_from_args(book, args)
        result = rosters.import_file(book, kind_code=args.kind, path=args.file)
    say(f"已导入{rosters.KINDS[args.kind].name} {result.get('on_roster', 0)} 人；重新计算预警后生效（W12、W13）。")
    return 0
