"""The bureau file itself: `init`, `demo`, `verify`, `search`, `check-package`, `backup`, `backups`, `calendar`."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from app.cli.base import CommandList, _db_arg, _user_arg, login_from_args, out_path, say
from app.export import evidence
from app.models.store import backup
from app.models.store.book import open_book
from app.models.values.errors import ValidationError

COMMANDS = CommandList()


def _init_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=out_path("数据库文件"))
    p.add_argument("--name", required=True, help="单位名称，例如 某某县财政局")
    p.add_argument("--code", required=True, help="6 位行政区划代码")
    p.add_argument("--level", choices=["county", "prefecture", "region"], default="county",
                   help="县级 county / 地州级 prefecture / 自治区级 region")
    p.add_argument("--chief-login", required=True)
    p.add_argument("--chief-name", required=True)


@COMMANDS.add("init", "新建单位数据库并创建局长账号", _init_args)
def cmd_init(args: argparse.Namespace) -> int:
    from app.models.store import setup

    password = os.environ.get("FUNDLEDGER_PASSWORD") or getpass.getpass("局长密码（至少 8 位）：")
    book = setup.create(args.db, bureau_name=args.name, region_code=args.code, level=args.level,
                        chief_login=args.chief_login, chief_name=args.chief_name, chief_password=password)
    book.close(backup=False)
    say(f"已创建 {args.db}")
    return 0


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=out_path("数据库文件"), help="要生成的示例县数据库文件（不能已存在）")
    p.add_argument("--fresh", action="store_true", help="不用程序自带的现成示例县，重新生成（约半分钟）")
    p.add_argument("--two-regimes", action="store_true",
                   help="改为生成跨两个时期的示例县（约两分钟）：2020 年 4 月起的账，2020 年按 xj-2019、2021 年起按 xj-2021，"
                        "同一笔支付一拒一准，每月按时签发，演示日期 2026-11-25（docs/规则集.md）")


@COMMANDS.add("demo", "生成示例县数据库（确定性数据，用于试用和培训；演示日期固定）", _demo_args)
def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import build as demo
    from app.demo import prebuilt
    from app.models.store import clock as clocks

    if getattr(args, "two_regimes", False):
        from app.demo.regimes import TODAY as two_today
        from app.demo.regimes import build_regimes

        build_regimes(args.db)
        say(f"已生成跨两个时期的示例县数据库 {args.db}（2020 年按 xj-2019，2021 年起按 xj-2021；演示日期 "
            f"{two_today.isoformat()}）；密码均为 {demo.PASSWORD}")
        return 0
    if args.fresh:
        demo.build(args.db)
        copied = False
    else:
        _path, copied = prebuilt.make(args.db)
    how = "复制了程序自带的现成示例县" if copied else "已生成示例县数据库"
    say(f"{how} {args.db}（{clocks.label(demo.TODAY)}：打开它时“今天”固定为这一天）；"
        f"账号见 README（密码均为 {demo.PASSWORD}）")
    return 0


def _verify_args(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("--against", type=Path, nargs="+", default=[], metavar="报送包",
                   help="报送时发出的报送包文件夹或 .zip（可多个）：证明数据库到该报送包为止的历史未被改写")
    p.add_argument("--incremental", action="store_true",
                   help="增量核验：只核验上次核验通过（锚点）之后的审计记录和数据（数秒）；没有锚点时做完整核验")


@COMMANDS.add("verify", "核验数据库：完整性、外键、审计链、数据与审计一致、签名与签发锚点、业务不变量", _verify_args)
def cmd_verify(args: argparse.Namespace) -> int:
    from app.models.integrity import incremental

    with open_book(args.db, read_only=True) as book:
        report = incremental.run(book) if args.incremental and not args.against else None
        if report is None:
            if args.incremental:
                say("没有核验锚点（尚未在窗口中核验通过过），改做完整核验。")
            report = evidence.verify(book, against=args.against)
    say(report.text(str(args.db)))
    return 0 if report.ok else 1


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path)
    p.add_argument("text", nargs="?", default="", help="要找的文字（收款人、项目、指标文号、支付申请编号、公告标题）")
    p.add_argument("--rebuild", action="store_true", help="重建搜索索引（派生数据；不改动业务数据，不产生审计记录；需登录）")
    p.add_argument("--user", help="登录名（--rebuild 时必需；密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


@COMMANDS.add("search", "全局搜索（与主窗口工具栏的搜索框相同）；--rebuild 重建搜索索引", _search_args)
def cmd_search(args: argparse.Namespace) -> int:
    from app.models.search import index as search

    if args.rebuild:
        if not args.user:
            raise ValidationError("重建搜索索引会写入文件，需要登录：请加 --user 登录名", field="--user")
        with open_book(args.db) as book:
            login_from_args(book, args)  # nothing is written before the password is right
            say(f"已重建搜索索引：{search.rebuild(book)} 条。")
        return 0
    with open_book(args.db, read_only=True) as book:
        hits = search.find(book, args.text)
    for hit in hits:
        say(f"{hit.kind_name}\t#{hit.object_id}\t{hit.title}")
    say(f"共 {len(hits)} 条。")
    return 0


def _package_args(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("folder", type=Path, help="收到或保存的报送包文件夹")


@COMMANDS.add("check-package", "逐个文件核对一个报送包文件夹与签发时记录的 SHA-256，指出被改动、缺失或多出的文件", _package_args)
def cmd_check_package(args: argparse.Namespace) -> int:
    from app.models.reports import package_check

    with open_book(args.db, read_only=True) as book:
        found = package_check.check_folder(book, args.folder)
    if not found:
        say(f"报送包 {args.folder.name} 的每个文件都与签发时记录的哈希一致。")
        return 0
    say(f"首个问题：{found[0]}")
    for f in found[1:20]:
        say(f"  另：{f}")
    return 1


@COMMANDS.add("backup", "立即备份数据库（需登录；SQLite 在线备份，按保留规则清理旧备份）", _user_arg)
def cmd_backup(args: argparse.Namespace) -> int:
    book = open_book(args.db)
    try:
        login_from_args(book, args)  # nothing is backed up or thinned before the password is right
        target = backup.make(book, reason="手动")
    finally:
        book.close(backup=False)
    say(f"已备份到 {target}")
    return 0


@COMMANDS.add("backups", "列出数据库的备份", _db_arg)
def cmd_backups(args: argparse.Namespace) -> int:
    found = backup.list_backups(args.db)
    if not found:
        say("没有备份。")
    for b in found:
        say(f"{b.taken:%Y-%m-%d %H:%M:%S}  {b.reason:<8}  {b.size // 1024:>8} KB  {b.path}")
    bad = backup.unusable_files(args.db)
    if bad:
        say(f"另有 {len(bad)} 个文件不是可用的备份（空文件、不完整或不是 FundLedger 文件），不能用于恢复，未列出：")
        for p in bad:
            say(f"  {p.name}")
    return 0




def _calendar_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--import", dest="import_file", type=Path, metavar="文件",
                   help="导入节假日文件（与 resources/holidays/holidays.toml 格式相同：[[years]] year、notice、holidays、workdays）")
    p.add_argument("--reason", default="", help="更正理由：该年已有签发月份时须由局长填写（如补发的调休通知文号）")


@COMMANDS.add("calendar", "工作日历：列出已录入的年度并提示缺少的年度；--import 导入国务院办公厅通知的节假日文件", _calendar_args)
def cmd_calendar(args: argparse.Namespace) -> int:
    from app.models.store import holidays

    book = open_book(args.db, read_only=args.import_file is None)
    try:
        if args.import_file is not None:
            login_from_args(book, args)
            for year, changed in sorted(holidays.import_file(book, args.import_file, reason=args.reason).items()):
                say(f"{year} 年：已导入，改动 {len(changed)} 天" + (f"（{'；'.join(changed[:5])}{'…' if len(changed) > 5 else ''}）"
                                                             if changed else ""))
        for y in holidays.years(book):
            say(f"{y['year']}  放假 {y['holidays']} 天  调休上班 {y['workdays']} 天  {y['notice']}（{y['source']}）")
        notice = holidays.calendar_notice(book, book.today())
    finally:
        book.close(backup=False)
    if notice:
        say(f"注意：{notice}")
    return 0
