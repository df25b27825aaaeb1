"""The command line: the same operations as the window, no Qt widgets.

Every command module lists its commands in its own `COMMANDS`; `MODULES` below is the one place that
names them all, so `fundledger --help`, the bundle (build.spec) and the tests see the same list.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app import APP_TITLE, __version__
from app.cli import bureau, ledger, payments, prefecture, reports, rules, selftest
from app.cli.base import Command, Parser
from app.models.values.errors import AppError

MODULES = (bureau, selftest, ledger, payments, reports, prefecture, rules)


def commands() -> dict[str, Command]:
    return {c.name: c for module in MODULES for c in module.COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fundledger",
        description=f"{APP_TITLE}（FundLedger {__version__}）。不带子命令时打开窗口。",
    )
    parser.add_argument("--version", action="version", version=f"FundLedger {__version__}", help="显示版本号并退出")
    parser.add_argument("--demo", action="store_true", help="打开示例县（首次运行时在用户数据目录生成）")
    parser.add_argument("--read-only", action="store_true", help="以只读方式打开")
    parser.add_argument("--open", type=Path, metavar="DB", help="打开指定的数据库文件")
    sub = parser.add_subparsers(dest="command", metavar="子命令", title="子命令", parser_class=Parser)
    for c in commands().values():
        c.configure(sub.add_parser(c.name, help=c.help, description=c.help))
    return parser


def run(argv: list[str]) -> int:
    """Run one subcommand; every AppError becomes one Chinese line and exit code 2."""
    args = build_parser().parse_args(argv)
    if not args.command:
        return -1
    try:
        return commands()[args.command].run(args)
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
