"""The fund catalogue: kinds from the rule set, items kept by the bureau (DOMAIN §1)."""

from __future__ import annotations

import re

from app.models.store.book import Book
from app.models.values.errors import NotFound, ValidationError


def names_in_year(book: Book, year: int) -> tuple[dict[str, str], dict[str, str]]:
    """(kind code → name, item code → name) as the rule set of `year` names them: xj-2021 calls ZX
    财政衔接推进乡村振兴补助资金 where the file (seeded from xj-2019) keeps 财政专项扶贫资金. A code the set does not
    define (an item the bureau added) is not in the maps: its name is the file's."""
    rules = book.rules_for(int(year))
    return {k.code: k.name for k in rules.kinds}, {i.code: i.name for k in rules.kinds for i in k.items}


def kinds(book: Book, *, year: int | None = None) -> list[dict[str, object]]:
    """The fund kinds; with `year`, named as that year's rule set names them."""
    rows = [dict(r) for r in book.conn.execute("SELECT code, name, sort FROM fund_kinds ORDER BY sort")]
    if year is not None:
        names = names_in_year(book, year)[0]
        rows = [r | {"name": names.get(str(r["code"]), r["name"])} for r in rows]
    return rows


def items(book: Book, *, kind: str | None = None, active_only: bool = False,
          year: int | None = None) -> list[dict[str, object]]:
    """The fund items; with `year`, kind and item named as that year's rule set names them (else the file's)."""
    if year is not None:
        kind_names, item_names = names_in_year(book, year)
        return [r | {"kind_name": kind_names.get(str(r["kind"]), r["kind_name"]),
                     "name": item_names.get(str(r["code"]), r["name"])}
                for r in items(book, kind=kind, active_only=active_only)]
    sql = "SELECT i.code, i.kind, k.name AS kind_name, i.name, i.active, i.sort FROM fund_items i JOIN fund_kinds k ON k.code = i.kind"
    where, args = [], []
    if kind:
        where.append("i.kind = ?")
        args.append(kind)
    if active_only:
        where.append("i.active = 1")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [dict(r) for r in book.conn.execute(sql + " ORDER BY k.sort, i.sort, i.code", args)]


def item(book: Book, code: str) -> dict[str, object]:
    row = book.conn.execute("SELECT * FROM fund_items WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise NotFound(f"资金项目 {code} 不存在", field="资金项目")
    return dict(row)


def _check_name(name: str) -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationError("不能为空", field="项目名称")
    if len(value) > 60 or not value.isprintable():
        raise ValidationError("不能超过 60 个字符或含控制字符", field="项目名称")
    return value


def add_item(book: Book, *, kind: str, code: str, name: str) -> dict[str, object]:
    """A new item under a kind whose list the bureau keeps (ZH, QT, ZQ …)."""
    code = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{1,10}", code) or not code.startswith(kind):
        raise ValidationError(f"应以资金大类代码 {kind} 开头，后接 1～10 位数字或字母", field="项目代码")
    if not book.conn.execute("SELECT 1 FROM fund_kinds WHERE code = ?", (kind,)).fetchone():
        raise ValidationError(f"资金大类 {kind} 不存在", field="资金大类")
    value = _check_name(name)
    with book.write("edit_fund_items") as conn:
        if conn.execute("SELECT 1 FROM fund_items WHERE code = ?", (code,)).fetchone():
            raise ValidationError(f"{code} 已存在", field="项目代码")
        if conn.execute("SELECT 1 FROM fund_items WHERE kind = ? AND name = ?", (kind, value)).fetchone():
            raise ValidationError(f"该大类下已有同名项目“{value}”", field="项目名称")
        sort = conn.execute("SELECT coalesce(max(sort), 0) + 1 FROM fund_items WHERE kind = ?", (kind,)).fetchone()[0]
        conn.execute("INSERT INTO fund_items (code, kind, name, active, sort) VALUES (?, ?, ?, 1, ?)", (code, kind, value, sort))
    return item(book, code)


def update_item(book: Book, *, code: str, name: str | None = None, active: bool | None = None) -> dict[str, object]:
    """Items are renamed or retired, never deleted: past records keep pointing at them."""
    current = item(book, code)
    value = current["name"] if name is None else _check_name(name)
    with book.write("edit_fund_items") as conn:
        conn.execute(
            "UPDATE fund_items SET name = ?, active = ? WHERE code = ?",
            (value, current["active"] if active is None else int(active), code),
        )
    return item(book, code)
