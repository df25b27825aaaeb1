"""What every command module shares: the command list type, output, login, common arguments, the Chinese parser."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple, NoReturn

from app.models.store import users
from app.models.store.book import Book
from app.models.values import filenames
from app.models.values.errors import AppError

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]


class Command(NamedTuple):
    name: str
    help: str
    configure: Configure
    run: Handler


class CommandList:
    """One module's commands, in the order they are listed in `fundledger --help`."""

    def __init__(self) -> None:
        self.items: list[Command] = []

    def add(self, name: str, help_text: str, configure: Configure) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.items.append(Command(name, help_text, configure, fn))
            return fn

        return register

    def __iter__(self) -> Iterator[Command]:
        return iter(self.items)


def say(text: str) -> None:
    print(text, flush=True)


def login_from_args(book: Book, args: argparse.Namespace) -> str:
    """CLI writes need a user: --user, and the password from FUNDLEDGER_PASSWORD or a prompt (returned: the
    sign-off opens the chief's signing key with it)."""
    login_name = args.user or os.environ.get("FUNDLEDGER_USER")
    if not login_name:
        raise AppError("此命令会写入数据，请用 --user 指定登录名（密码取自环境变量 FUNDLEDGER_PASSWORD 或提示输入）")
    password = os.environ.get("FUNDLEDGER_PASSWORD")
    if password is None:
        password = getpass.getpass(f"{login_name} 的密码：")
    users.login(book, login_name, password)
    return password


def out_path(field: str) -> Callable[[str], Path]:
    """An argparse type for a path the command creates: its name must be one Windows accepts (CON, a:b …)."""

    def parse(text: str) -> Path:
        try:
            filenames.check_path(text, field)
        except AppError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return Path(text)

    return parse


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")


def _user_arg(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


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


