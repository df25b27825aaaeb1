"""`fundledger rules …`: rule sets for IT staff — check a file, compare two, see and assign a file's sets by year."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.base import CommandList, login_from_args, say
from app.models.values.errors import AppError

COMMANDS = CommandList()


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="操作", required=True)
    c = sub.add_parser("check", help="检查规则文件：列出每一处问题（键路径和原因）；无问题时退出码 0")
    c.add_argument("files", type=Path, nargs="+", metavar="FILE", help="规则文件（.toml）")
    d = sub.add_parser("diff", help="逐项比较两个规则集（程序附带的编号，如 xj-2019，或文件路径）")
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    sub.add_parser("list", help="列出程序附带的规则集")
    y = sub.add_parser("years", help="单位文件中每个年度使用的规则集及理由")
    y.add_argument("db", type=Path, help="单位数据库文件（.db）")
    a = sub.add_parser("assign", help="指派某年度起使用的规则集（局长，须写明理由；已签发月份所在年度不能更改）")
    a.add_argument("db", type=Path, help="单位数据库文件（.db）")
    a.add_argument("--from-year", type=int, required=True, help="起始年度（到下一次指派的年度为止）")
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--set", dest="rule_set", help="程序附带的规则集编号，如 xj-2021")
    which.add_argument("--file", type=Path, help="本单位的规则文件（复制附带规则集修改而来，另取编号）")
    a.add_argument("--reason", required=True, help="理由（如所依据的文件）")
    a.add_argument("--user", help="登录名（局长）")


def _load(spec: str):  # type: ignore[no-untyped-def]
    from app.models.rules import load

    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        return load.load(path)
    return load.load_named(spec)


def _check(files: list[Path]) -> int:
    from app.models.rules import load

    bad = 0
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            say(f"✗ {path}：无法读取（{exc.strerror or exc}）")
            bad += 1
            continue
        except UnicodeDecodeError:
            say(f"✗ {path}：不是 UTF-8 编码的文本文件")
            bad += 1
            continue
        problems = load.check_text(text, name=path.name)
        if not problems:
            rules = load.loads(text, name=path.name)
            say(f"✓ {path}：{rules.id} {rules.meta.version}（{rules.name}），依据 {rules.meta.basis}，"
                f"SHA-256 {rules.file_hash[:16]}…")
            continue
        bad += 1
        say(f"✗ {path}：{len(problems)} 处问题，不能载入")
        for n, p in enumerate(problems, 1):
            say(f"  {n}. {p.key or '（文件）'}：{p.reason}")
    return 0 if not bad else 1


def _diff(a: str, b: str) -> int:
    from app.models.rules import diff

    left, right = _load(a), _load(b)
    found = diff.diff(left, right)
    say(f"A = {left.label}（{left.name}）\nB = {right.label}（{right.name}）")
    if not found:
        say("两个规则集的政策内容相同。")
        return 0
    section = ""
    for d in found:
        if d.section != section:
            section = d.section
            say(f"\n【{section}】")
        say(f"  {d.text()}")
    say(f"\n共 {len(found)} 处不同。")
    return 0


@COMMANDS.add("rules", "规则集：check 检查规则文件、diff 比较两个规则集、list 列出附带规则集、years/assign 按年度查看和指派",
              _args)
def rules_cmd(args: argparse.Namespace) -> int:
    from app.models.rules import load

    if args.action == "check":
        return _check(args.files)
    if args.action == "diff":
        return _diff(args.a, args.b)
    if args.action == "list":
        for rid in load.shipped_ids():
            r = load.load_named(rid)
            say(f"{r.id}\t{r.meta.version}\t{r.name}（{r.meta.basis}）")
        return 0
    from app.models.store import rule_sets
    from app.models.store.book import open_book

    if args.action == "years":
        with open_book(args.db, read_only=True) as book:
            for y in rule_sets.years(book):
                lock = "（已有签发月份，不能更改）" if y["locked"] else ""
                changed = "（程序附带的规则文件已更新，与指派时不同）" if y["changed"] else ""
                if y["newer"]:
                    changed += f"（程序附带新版本 {y['newer']}，本年度仍按指派时的文本）"
                say(f"{y['year']} 年\t{y['rule_set']} {y['version']}\t{y['name']}\t自 {y['from_year']} 年起："
                    f"{y['reason']}{lock}{changed}")
        return 0
    if args.action == "assign":
        with open_book(args.db) as book:
            login_from_args(book, args)
            a = rule_sets.assign(book, from_year=args.from_year, rule_set=args.rule_set or "", reason=args.reason,
                                 path=args.file)
            say(f"已指派：{a.from_year} 年起使用 {a.rule_set} {a.version}（理由：{a.reason}）")
        return 0
    raise AppError(f"未知操作 {args.action}")
