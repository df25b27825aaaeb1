"""地州汇总 commands: the counties registry, receiving packages, the on-time matrix, review, receipts, the
consolidated tables, the prefecture's signed package, and the demo prefecture."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.base import CommandList, _db_arg, _user_arg, login_from_args, out_path, say
from app.export import prefecture as forwarding
from app.models.prefecture import consolidate, counties, receipts, receive, review, status
from app.models.prefecture.source import Refused
from app.models.store.book import open_book

COMMANDS = CommandList()


def _county_add_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--code", required=True, help="下级单位的行政区划代码（6 位）")
    p.add_argument("--name", required=True, help="下级单位名称（如 甲县）")
    p.add_argument("--contact", default="", help="联系人及电话")
    p.add_argument("--fingerprint", default="", help="该单位局长签名密钥指纹（签发封面上印的 32 位，可带空格）")


@COMMANDS.add("county-add", "登记下级单位（县区）及其局长签名密钥指纹（指纹由局长签名登记；地州级、自治区级文件）", _county_add_args)
def cmd_county_add(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        password = login_from_args(book, args)  # a fingerprint is registered under the chief's signature
        counties.add_county(book, code=args.code, name=args.name, contact=args.contact, fingerprint=args.fingerprint,
                            password=password)
    say(f"已登记 {args.name}（{args.code}）")
    return 0


def _county_fp_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--code", required=True, help="下级单位的行政区划代码")
    p.add_argument("--fingerprint", required=True, help="签发封面上印的指纹（32 位十六进制，可带空格）")


@COMMANDS.add("county-key", "局长核对签发封面后签名登记（或更换、重新签名）下级单位局长的签名密钥指纹", _county_fp_args)
def cmd_county_key(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        password = login_from_args(book, args)  # the same password opens the chief's signing key
        found = counties.by_code(book, args.code)
        if found is None:
            raise Refused(f"行政区划代码 {args.code} 尚未登记", field="下级单位")
        counties.confirm_fingerprint(book, found.id, fingerprint=args.fingerprint, password=password)
    say(f"已签名登记 {args.code} 的签名密钥指纹")
    return 0


@COMMANDS.add("counties", "列出登记的下级单位（只读）", _db_arg)
def cmd_counties(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        for c in counties.list_counties(book):
            say(f"{c.code}  {c.name}  指纹 {c.printed or '（未登记）'}  {c.contact}{'' if c.active else '  （停用）'}")
    return 0


def _receive_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="地州级（或自治区级）数据库文件（.db）")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="报送包文件夹或 .zip，可列多个")
    p.add_argument("--user", help="登录名（密码取自环境变量 FUNDLEDGER_PASSWORD，否则提示输入）")


@COMMANDS.add("receive", "接收下级单位的报送包（文件夹或 .zip）：逐个核对文件、签名、区划代码、月份、版本与表间勾稽",
              _receive_args)
def cmd_receive(args: argparse.Namespace) -> int:
    refused = 0
    with open_book(args.db) as book:
        login_from_args(book, args)
        for result in receive.receive_many(book, args.paths):
            if isinstance(result, Refused):
                refused += 1
                say(f"✗ 已拒绝：{result}")
            else:
                say(f"{'✓' if result.checks_ok else '!'} {result.summary()}")
    return 1 if refused else 0


def _month_arg(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("--month", required=True, nargs="+", help="月份，YYYY-MM，可列多个")


@COMMANDS.add("reporting-status", "报送情况：各县各月 未报/已报/逾期报送/退回/已更正，及逾期提醒（只读）", _month_arg)
def cmd_status(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        cells = status.matrix(book, args.month)
        for c in counties.list_counties(book):
            line = "  ".join(f"{m} {cells[(c.id, m)].status}" for m in args.month)
            say(f"{c.name}（{c.code}）  {line}")
        for m in args.month:
            for w in status.warnings(book, m):
                say(f"⚠ {w}")
    return 0


def _package_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--package", type=int, required=True, help="接收记录编号（见 received 命令）")
    p.add_argument("--text", required=True, help="审核意见或退回理由")


@COMMANDS.add("review-opinion", "对接收的报送包填写审核意见（审核、局长）", _package_args)
def cmd_opinion(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        login_from_args(book, args)
        review.set_opinion(book, args.package, opinion=args.text)
    say("已保存审核意见")
    return 0


@COMMANDS.add("return-package", "退回接收的报送包并写明理由（县区导入回执后可见）", _package_args)
def cmd_return(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        login_from_args(book, args)
        review.return_package(book, args.package, reason=args.text)
    say("已退回")
    return 0


@COMMANDS.add("received", "列出已接收的报送包及核对结果（只读）", _db_arg)
def cmd_received(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        for p in receive.packages(book):
            say(f"#{p['id']}  {p['county']}  {p['month']} 第 {p['version']} 版  接收于 {p['received_at']}  "
                f"{receipts.result_of(p)}  包哈希 {p['digest'][:16]}…")
            for c in p["checks"]:
                if not c["ok"]:
                    say(f"    ✗ 第 {c['no']} 条 {c['name']}：{c['detail']}")
    return 0


def _receipt_args(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("--package", type=int, required=True, help="接收记录编号")
    p.add_argument("--out", type=out_path("回执输出文件夹"), required=True, help="回执输出文件夹")


@COMMANDS.add("write-receipt", "为接收的报送包写出回执（哈希、时间、结果、意见），交县区导入（只读）", _receipt_args)
def cmd_write_receipt(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        path = receipts.write_receipt(book, args.package, args.out)
    say(f"回执：{path}")
    return 0


@COMMANDS.add("export-received", "把接收的报送包原样导出（先核对哈希），供审计用 verify --against 核对县的文件（只读）",
              _receipt_args)
def cmd_export_received(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        folder = receive.export_received(book, args.package, args.out)
    say(f"已导出：{folder}")
    return 0


def _import_receipt_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("receipt", type=Path, help="上级写出的回执文件（.json）")


@COMMANDS.add("import-receipt", "县区导入上级的回执：记录报送包是否完整送达、上级持有的审计链头", _import_receipt_args)
def cmd_import_receipt(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        login_from_args(book, args)
        got = receipts.import_receipt(book, args.receipt)
    say(("已导入：" if got["new"] else "此前已导入，未作改动：") + receipts.describe(got))
    return 0 if got["intact"] and got["anchor_ok"] else 1


def _consolidate_args(p: argparse.ArgumentParser) -> None:
    _db_arg(p)
    p.add_argument("--month", required=True, help="月份，YYYY-MM")


@COMMANDS.add("consolidate", "按已接收的报送包汇总九张表，列出纳入与未纳入的县区（只读）", _consolidate_args)
def cmd_consolidate(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        c = consolidate.consolidate(book, args.month)
    for p in c.included:
        say(f"纳入：{p['county']} 第 {p['version']} 版")
    for name, why in c.left_out:
        say(f"未纳入：{name}（{why}）")
    for t in c.defs.tables:
        say(f"{t.id} {t.title}：{len(c.rows[t.source])} 行")
    return 0


def _forward_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--month", required=True, help="月份，YYYY-MM")
    p.add_argument("--out", type=out_path("报送包输出文件夹"), required=True, help="报送包输出文件夹")
    p.add_argument("--comment", default="", help="局长意见")


@COMMANDS.add("forward", "局长签发本级汇总报送包（汇总表、审核意见、下级报送包清单），格式与县级报送包相同",
              _forward_args)
def cmd_forward(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        password = login_from_args(book, args)
        folder = forwarding.forward(book, month=args.month, out_dir=args.out, password=password, comment=args.comment)
    say(f"已签发，报送包：{folder}")
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    _consolidate_args(p)
    p.add_argument("--out", type=out_path("输出文件夹"), required=True, help="输出文件夹")
    p.add_argument("--version", type=int, help="版本号（默认最新）")


@COMMANDS.add("export-forwarded", "重新生成已签发的汇总报送包，并与签发时的哈希比对（只读）", _export_args)
def cmd_export(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        folder = forwarding.export(book, month=args.month, out_dir=args.out, version=args.version)
    say(f"已重新生成，与签发时记录的哈希完全一致：{folder}")
    return 0


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="输出文件夹（须为空或不存在）")


@COMMANDS.add("demo-prefecture", "生成示例地区：五个县的报送包（按时、逾期、更正版、勾稽不符、签发后被改动）与地州文件",
              _demo_args)
def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import prefecture as demo

    path = demo.build(args.dir)
    say(f"已生成示例地区：{path}（所有账号密码 demo1234；经办 jingban、审核 shenhe、局长 juzhang）")
    return 0
