"""Monthly report commands: preview/check, sign off, re-create a signed package."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import _user_arg, command, login_from_args, say
from .models import monthly
from .models.book import open_book


def _month_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--month", required=True, help="月份，YYYY-MM")
    p.add_argument("--out", type=Path, required=True, help="报送包输出文件夹")


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--month", required=True, help="月份，YYYY-MM")
    p.add_argument("--out", type=Path, required=True, help="输出文件夹")
    p.add_argument("--version", type=int, help="版本号（默认最新版本）")


def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--month", required=True, help="月份，YYYY-MM")


@command("check-month", "核对某月九张表的表间勾稽关系（只读）", _check_args)
def cmd_check(args: argparse.Namespace) -> int:
    book = open_book(args.db, read_only=True)
    try:
        found = monthly.preview(book, month=args.month)
    finally:
        book.close()
    for c in found.checks:
        say(f"{'✓' if c.ok else '✗'} 第 {c.no} 条 {c.name}：{c.detail}")
    return 0 if found.ok else 1


@command("sign-off", "局长签发某月月报：核对通过后记录签发、结账并写出报送包", _month_args)
def cmd_sign_off(args: argparse.Namespace) -> int:
    book = open_book(args.db)
    try:
        login_from_args(book, args)
        result = monthly.sign_off(book, month=args.month, out_dir=args.out)
    finally:
        book.close()
    say(f"已签发，报送包：{result.folder}")
    for name, digest in sorted(result.hashes.items()):
        say(f"  {digest}  {name}")
    return 0


@command("export", "从数据库重新生成已签发的报送包，并与签发时记录的哈希比对（只读）", _export_args)
def cmd_export(args: argparse.Namespace) -> int:
    book = open_book(args.db, read_only=True)
    try:
        result = monthly.export(book, month=args.month, out_dir=args.out, version=args.version)
        row, _package = monthly.signed_package(book, month=args.month, version=args.version)
    finally:
        book.close()
    import json

    recorded = json.loads(row["files"])
    same = True
    for name, digest in sorted(result.hashes.items()):
        ok = recorded.get(name) == digest
        same &= ok
        say(f"{'✓' if ok else '✗'} {digest}  {name}")
    say(f"已重新生成：{result.folder}")
    say("与签发时记录的哈希完全一致。" if same else "与签发时记录的哈希不一致！")
    return 0 if same else 1
