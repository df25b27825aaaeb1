"""专账 commands: `import-treasury` (with --dry-run) and `demo-treasury` (a file to try the import on)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.base import CommandList, login_from_args, out_path, say
from app.models.values.errors import ValidationError

COMMANDS = CommandList()


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("file", type=Path, help="国库集中支付系统导出的支付明细（.xlsx 或 .csv）")
    p.add_argument("--dry-run", action="store_true", help="只检查并列出将要发生的变化，不写入任何数据（无需登录）")
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")
    p.add_argument("--map", action="append", default=[], metavar="字段=列名",
                   help="指定列对应，例如 --map 支付凭证号=凭证编号（可重复；不指定时按上次记住的或常见列名识别）")


def _mapping(pairs: list[str]) -> dict[str, str]:
    from app.models.ledger.treasury_file import FIELDS

    by_label = {std: key for key, (std, _req, _other) in FIELDS.items()}
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, header = pair.partition("=")
        key = by_label.get(name.strip(), name.strip())
        if not sep or key not in FIELDS or not header.strip():
            raise ValidationError(f"“{pair}”应写成 字段=列名，字段为 {'、'.join(by_label)} 之一", field="--map")
        out[key] = header.strip()
    return out


@COMMANDS.add("import-treasury", "导入国库集中支付数据（.xlsx/.csv），与专账核对；整个文件要么全部导入，要么什么也不写", _import_args)
def cmd_import_treasury(args: argparse.Namespace) -> int:
    from app.models.ledger import treasury
    from app.models.ledger.treasury_file import label
    from app.models.store.book import open_book
    from app.models.values import money

    mapping = _mapping(args.map) or None
    if args.dry_run:
        with open_book(args.db, read_only=True) as book:
            plan = treasury.plan(book, args.file, mapping=mapping)
        say("【试导入，未写入任何数据】")
        say("列对应：" + "，".join(f"{label(k)}←“{v}”列" for k, v in plan.mapping.items()))
        say(plan.summary())
        for row in plan.rows:
            if row.status in ("unmatched", "amount_diff"):
                say(f"  第 {row.row} 行 {row.voucher_no} {row.pay_date} {money.format(row.amount)} 元：{row.status_name}")
        return 0
    with open_book(args.db) as book:
        login_from_args(book, args)
        result = treasury.import_file(book, args.file, mapping=mapping)
    say(result.text())
    return 0


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="示例县数据库文件（.db）")
    p.add_argument("file", type=out_path("输出文件"), help="要生成的 .xlsx 文件")


@COMMANDS.add("demo-treasury", "按数据库中的专账生成一份国库支付明细（.xlsx），用于试用“导入国库支付数据”", _demo_args)
def cmd_demo_treasury(args: argparse.Namespace) -> int:
    from app.demo import ledger as demo_ledger
    from app.models.store.book import open_book

    if args.file.suffix.lower() != ".xlsx":
        raise ValidationError("应以 .xlsx 结尾", field="文件")
    with open_book(args.db, read_only=True) as book:
        path = demo_ledger.write_treasury_export(book, args.file)
    say(f"已生成 {path}")
    return 0
