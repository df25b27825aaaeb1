"""Monthly report commands: preview/check, sign off, re-create a signed package."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.base import CommandList, _db_arg, _user_arg, login_from_args, out_path, say
from app.export import region_templates as report_templates
from app.export import signed, signoff
from app.models.integrity.verify import Note
from app.models.reports import monthly
from app.models.store import keys
from app.models.store.book import open_book

COMMANDS = CommandList()


def _month_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--month", required=True, nargs="+",
                   help="月份，YYYY-MM；较早的月份尚未签发时可一并列出，按先后逐月签发（如 --month 2026-09 2026-10）")
    p.add_argument("--out", type=out_path("输出文件夹"), required=True, help="报送包输出文件夹")


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--month", required=True, help="月份，YYYY-MM")
    p.add_argument("--out", type=out_path("输出文件夹"), required=True, help="输出文件夹")
    p.add_argument("--version", type=int, help="版本号（默认最新版本）")


def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", type=Path, help="单位数据库文件（.db）")
    p.add_argument("--month", required=True, help="月份，YYYY-MM")


@COMMANDS.add("check-month", "核对某月九张表的表间勾稽关系（只读）", _check_args)
def cmd_check(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        found = monthly.preview(book, month=args.month)
    for c in found.checks:
        say(f"{'✓' if c.ok else '✗'} 第 {c.no} 条 {c.name}：{c.detail}")
    return 0 if found.ok else 1


@COMMANDS.add("sign-off", "局长签发某月月报：核对通过后记录签发、结账并写出报送包", _month_args)
def cmd_sign_off(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        password = login_from_args(book, args)  # the same password opens the chief's signing key
        results = signoff.sign_months(book, months=args.month, out_dir=args.out, password=password)
        key = keys.active_key(book.conn, book.user.id) if book.user else None
    for result in results:
        say(f"已签发，报送包：{result.folder}")
        for name, digest in sorted(result.hashes.items()):
            say(f"  {digest}  {name}")
    if key is not None:
        say(f"签发密钥（{key.algorithm}）指纹：{key.fingerprint}")
    return 0


@COMMANDS.add("write-package", "写出已签发月份的报送包（签发时被中断、文件夹未写出时用；与签发时逐字节一致）",
              _export_args)
def cmd_write_package(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        folder = signoff.write_missing(book, month=args.month, out_dir=args.out, version=args.version)
    say(f"已写出报送包：{folder}（各文件与签发时记录的 SHA-256 一致）")
    return 0


@COMMANDS.add("export", "从数据库重新生成已签发的报送包，并与签发时记录的哈希比对（只读）", _export_args)
def cmd_export(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        result = signoff.export(book, month=args.month, out_dir=args.out, version=args.version)
        row, _package = monthly.signed_package(book, month=args.month, version=args.version)
    import json

    recorded = json.loads(row["files"])
    same = True
    for name, digest in sorted(result.hashes.items()):
        ok = recorded.get(name) == digest
        same &= ok
        say(f"{'✓' if ok else '✗'} {digest}  {name}")
    say(f"已重新生成：{result.folder}")
    if same:
        say("与签发时记录的哈希完全一致。")
        return 0
    with open_book(args.db, read_only=True) as book:
        why = signed.why_different(book, month=args.month, version=int(row["version"]))
    if isinstance(why, Note):  # another program version, Qt or font: cannot be re-created here, not tampering
        say(f"无法在本机逐字节重现：{why.detail}")
        return 3
    say("与签发时记录的哈希不一致！" + (f"\n{why}" if why else ""))
    return 1


def _table_id(value: str) -> str:
    """--table 5, 表5 or 封面."""
    value = value.strip()
    return f"表{value}" if value.isdigit() else value


def _template_register_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--table", required=True, type=_table_id, help="报表：1～9（即 表1～表9）或 封面")
    p.add_argument("--file", type=Path, required=True, help="自治区模板文件（.xlsx），单元格中写占位符如 {{合计.累计到位小计}}")
    p.add_argument("--mapping", type=Path, help="对应文件（可选，文本）：每行“单元格 = 占位符”，登记时写入模板副本")
    p.add_argument("--sheet", default="", help="模板中使用的工作表名（模板只有一个工作表时可不写）")


def _template_remove_args(p: argparse.ArgumentParser) -> None:
    _user_arg(p)
    p.add_argument("--table", required=True, type=_table_id, help="报表：1～9（即 表1～表9）或 封面")


def _read(path: Path, what: str) -> bytes:
    from app.models.values.errors import FileError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileError(f"无法读取{what} {path}（{exc.strerror or exc}）") from exc


@COMMANDS.add("template-register", "登记某张表的自治区模板（检查占位符，有误时逐处列出，不登记）", _template_register_args)
def cmd_template_register(args: argparse.Namespace) -> int:
    data = _read(args.file, "模板文件")
    mapping = _read(args.mapping, "对应文件") if args.mapping else None
    with open_book(args.db) as book:
        login_from_args(book, args)
        report_templates.register_template(book, table_id=args.table, name=args.file.name, data=data, sheet=args.sheet,
                                  mapping=mapping, mapping_name=args.mapping.name if args.mapping else "")
        uses = report_templates.template_placeholders(book, table_id=args.table)
    say(f"已登记 {args.table} 的模板 {args.file.name}，导出时该表按模板填写。使用的占位符：")
    for use in uses:
        say(f"  {use.cell}  {use.placeholder}  → {use.meaning}")
    return 0


@COMMANDS.add("template-list", "列出各表登记的自治区模板（只读）", _db_arg)
def cmd_template_list(args: argparse.Namespace) -> int:
    with open_book(args.db, read_only=True) as book:
        rows = report_templates.template_list(book)
    for r in rows:
        if r["registered"]:
            say(f"{r['table']}  {r['title']}：{r['file']}（工作表：{r['sheet']}，SHA-256 {r['sha256'][:16]}…，"
                f"{r['registered_by']} {r['registered_at']} 登记）")
        else:
            say(f"{r['table']}  {r['title']}：内置格式")
    return 0


@COMMANDS.add("template-remove", "取消某张表的自治区模板，恢复内置格式（已签发的报送包仍按当时的模板重现）", _template_remove_args)
def cmd_template_remove(args: argparse.Namespace) -> int:
    with open_book(args.db) as book:
        login_from_args(book, args)
        report_templates.unregister_template(book, table_id=args.table)
    say(f"已取消 {args.table} 的模板，导出时该表使用内置格式。")
    return 0
