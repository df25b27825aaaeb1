"""The command line: the same operations as the window, no Qt widgets."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from . import APP_TITLE, __version__
from .models import backup, users, verify
from .models.book import Book, open_book
from .models.errors import AppError

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = (help_text, configure, fn)
        return fn

    return register


def say(text: str) -> None:
    print(text, flush=True)


def login_from_args(book: Book, args: argparse.Namespace) -> None:
    """CLI writes need a user: --user, and the password from FUNDLEDGER_PASSWORD or a prompt."""
    login_name = args.user or os.environ.get("FUNDLEDGER_USER")
    if not login_name:
        raise AppError("此命令会写入数据，请用 --user 指定登录名（密码取自环境变量 FUNDLEDGER_PASSWORD 或提示输入）")
    password = os.environ.get("FUNDLEDGER_PASSWORD")
    if password is None:
        password = getpass.getpass(f"{login_name} 的密码：")
    users.login(book, login_name, password)


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")


def _user_arg(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


def _init_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path)
    p.add_argument("--name", required=True, help="单位名称，例如 某某县财政局")
    p.add_argument("--code", required=True, help="6 位行政区划代码")
    p.add_argument("--level", choices=["county", "prefecture"], default="county", help="县级 county / 地州级 prefecture")
    p.add_argument("--chief-login", required=True)
    p.add_argument("--chief-name", required=True)


@command("init", "新建单位数据库并创建局长账号", _init_args)
def cmd_init(args: argparse.Namespace) -> int:
    from .models import setup

    password = os.environ.get("FUNDLEDGER_PASSWORD") or getpass.getpass("局长密码（至少 8 位）：")
    book = setup.create(args.db, bureau_name=args.name, region_code=args.code, level=args.level,
                        chief_login=args.chief_login, chief_name=args.chief_name, chief_password=password)
    book.close(backup=False)
    say(f"已创建 {args.db}")
    return 0


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="要生成的示例县数据库文件（不能已存在）")


@command("demo", "生成示例县数据库（确定性数据，用于试用和培训）", _demo_args)
def cmd_demo(args: argparse.Namespace) -> int:
    from .models import demo

    demo.build(args.db)
    say(f"已生成示例县数据库 {args.db}；账号见 README（密码均为 {demo.PASSWORD}）")
    return 0


@command("verify", "核验数据库：完整性、外键、审计链、数据与审计一致、业务不变量", _db_arg)
def cmd_verify(args: argparse.Namespace) -> int:
    book = open_book(args.db, read_only=True)
    try:
        report = verify.run(book)
    finally:
        book.close()
    say(report.text(str(args.db)))
    return 0 if report.ok else 1


def _package_args(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("folder", type=Path, help="收到或保存的报送包文件夹")


@command("check-package", "逐个文件核对一个报送包文件夹与签发时记录的 SHA-256，指出被改动、缺失或多出的文件", _package_args)
def cmd_check_package(args: argparse.Namespace) -> int:
    from .models import package_check

    book = open_book(args.db, read_only=True)
    try:
        found = package_check.check_folder(book, args.folder)
    finally:
        book.close()
    if not found:
        say(f"报送包 {args.folder.name} 的每个文件都与签发时记录的哈希一致。")
        return 0
    say(f"首个问题：{found[0]}")
    for f in found[1:20]:
        say(f"  另：{f}")
    return 1


@command("backup", "立即备份数据库（SQLite 在线备份，按保留规则清理旧备份）", _db_arg)
def cmd_backup(args: argparse.Namespace) -> int:
    book = open_book(args.db)
    try:
        target = backup.make(book, reason="手动")
    finally:
        book.close(backup=False)
    say(f"已备份到 {target}")
    return 0


@command("backups", "列出数据库的备份", _db_arg)
def cmd_backups(args: argparse.Namespace) -> int:
    found = backup.list_backups(args.db)
    if not found:
        say("没有备份。")
    for b in found:
        say(f"{b.taken:%Y-%m-%d %H:%M:%S}  {b.reason:<8}  {b.size // 1024:>8} KB  {b.path}")
    return 0


# Each capability registers its subcommands in its own module; listed here so bundles find them.
CLI_MODULES: tuple[str, ...] = ("cli_selftest", "cli_ledger", "cli_payments", "cli_reports")


def load_commands() -> None:
    import importlib

    for name in CLI_MODULES:
        importlib.import_module(f"app.{name}")


# argparse's own messages (Python 3.11–3.13), in the order they must be replaced.
ARGPARSE_ZH = [
    (r"the following arguments are required", "缺少必需的参数"),
    (r"unrecognized arguments", "无法识别的参数"),
    (r"argument (\S+): invalid choice: (\S+) \(choose from (.*)\)", r"参数 \1：无效的选项 \2（可选：\3）"),
    (r"invalid choice: (\S+) \(choose from (.*)\)", r"无效的选项 \1（可选：\2）"),
    (r"argument (\S+): invalid (\w+) value: (\S+)", r"参数 \1：\3 不是有效的值（\2）"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"argument (\S+): expected one argument", r"参数 \1 需要一个值"),
    (r"argument (\S+): expected at least one argument", r"参数 \1 至少需要一个值"),
    (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 不明确，可能是：\2"),
    (r"expected one argument", "需要一个值"),
    (r"invalid choice", "无效的选项"),
    (r"^argument (\S+):", r"参数 \1："),
]


class ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: object, groups: object, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)  # type: ignore[arg-type]


class Parser(argparse.ArgumentParser):
    """argparse with Chinese headings and errors: no English reaches the user."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", ChineseHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._optionals.title = "选项"
        self._positionals.title = "参数"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        detail = message
        for english, chinese in ARGPARSE_ZH:
            detail = re.sub(english, chinese, detail)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：命令行参数有误：{detail}\n")


def build_parser() -> argparse.ArgumentParser:
    load_commands()
    parser = Parser(
        prog="fundledger",
        description=f"{APP_TITLE}（FundLedger {__version__}）。不带子命令时打开窗口。",
    )
    parser.add_argument("--version", action="version", version=f"FundLedger {__version__}", help="显示版本号并退出")
    parser.add_argument("--demo", action="store_true", help="打开示例县（首次运行时在用户数据目录生成）")
    parser.add_argument("--read-only", action="store_true", help="以只读方式打开")
    parser.add_argument("--open", type=Path, metavar="DB", help="打开指定的数据库文件")
    sub = parser.add_subparsers(dest="command", metavar="子命令", title="子命令", parser_class=Parser)
    for name, (help_text, configure, _fn) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def run(argv: list[str]) -> int:
    """Run one subcommand; every AppError becomes one Chinese line and exit code 2."""
    args = build_parser().parse_args(argv)
    if not args.command:
        return -1
    try:
        return COMMANDS[args.command][2](args)
    except AppError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - a bug: the details go to the log, the user reads Chinese
        logging.getLogger(__name__).exception("命令 %s 出现程序内部错误", args.command)
        print("错误：程序内部错误，操作未完成。详情已写入日志（用户数据文件夹 FundLedger/logs/fundledger.log），"
              "请发给维护人员。", file=sys.stderr)
        return 3
