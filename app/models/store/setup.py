"""First run: a new bureau file with its catalogue, calendar and the chief's account."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from app.models.rules import load as rules_mod
from app.models.store import rule_years, users
from app.models.store.book import Book, open_book
from app.models.values import filenames, workdays
from app.models.values.errors import FileError, ValidationError

LEVELS = {"county": "县级", "prefecture": "地州级", "region": "自治区级"}


def check_bureau(*, name: str, region_code: str, level: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError("不能为空", field="单位名称")
    if len(name) > 60 or not name.isprintable():
        raise ValidationError("不能超过 60 个字符或含控制字符", field="单位名称")
    code = (region_code or "").strip()
    if not re.fullmatch(r"[1-9]\d{5}", code):
        raise ValidationError("应为 6 位数字（例如 653101）", field="行政区划代码")
    if level not in LEVELS:
        raise ValidationError("应为 县级、地州级 或 自治区级", field="单位级次")
    return name, code, level


def seed_catalogue(book: Book) -> None:
    """Fund kinds and items from the rule set; the bureau edits items afterwards."""
    conn = book.conn
    for k_sort, kind in enumerate(book.rules.kinds, start=1):
        conn.execute("INSERT INTO fund_kinds (code, name, sort) VALUES (?, ?, ?)", (kind.code, kind.name, k_sort))
        for i_sort, item in enumerate(kind.items, start=1):
            conn.execute(
                "INSERT INTO fund_items (code, kind, name, active, sort) VALUES (?, ?, ?, 1, ?)",
                (item.code, kind.code, item.name, i_sort),
            )


def seed_calendar(book: Book) -> None:
    for year in workdays.load_seed():
        book.conn.execute(
            "INSERT INTO calendar_years (year, notice, source) VALUES (?, ?, ?)",
            (year.year, year.notice, "随程序提供（国务院办公厅通知）"),
        )
        rows = [(d.isoformat(), "休", n) for d, n in year.holidays] + [(d.isoformat(), "班", n) for d, n in year.workdays]
        book.conn.executemany("INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)", rows)


def create(path: Path | str, *, bureau_name: str, region_code: str, level: str, chief_login: str,
           chief_name: str, chief_password: str, rule_set: str = rules_mod.DEFAULT_ID,
           clock: Callable[[], dt.datetime] | None = None) -> Book:
    """Create and open a new file, logged in as its chief. Bad input writes no file at all."""
    path = Path(filenames.check_path(path, "数据库文件"))  # a name the clerk's Windows can open
    name, code, level = check_bureau(name=bureau_name, region_code=region_code, level=level)
    users.check_password(chief_password, login=chief_login)
    rules_mod.load_named(rule_set)  # a broken rule set stops here, before a file exists
    if path.exists() and path.stat().st_size > 0:
        raise FileError(f"文件 {path} 已存在，不能覆盖。请另选文件名。")
    if not path.parent.is_dir():
        raise FileError(f"文件夹 {path.parent} 不存在。")
    book = open_book(path, create=True)
    if clock is not None:
        book.clock = clock
    try:
        with book.write("setup", system=True) as conn:
            conn.execute(
                "INSERT INTO bureau (id, name, region_code, level, rule_set, created_at) VALUES (1, ?, ?, ?, ?, ?)",
                (name, code, level, rule_set, book.stamp()),
            )
            rule_years.seed(conn, rule_set, book.stamp())
            seed_catalogue(book)
            seed_calendar(book)
            uid = users.insert_user(conn, login=chief_login, name=chief_name, role="chief",
                                    password=chief_password, now=book.stamp())
    except BaseException:
        book.close(backup=False)
        path.unlink(missing_ok=True)
        raise
    book.user = users.get(book, uid)
    return book


def bureau_info(book: Book) -> dict[str, object]:
    row = book.conn.execute("SELECT * FROM bureau WHERE id = 1").fetchone()
    if row is None:
        return {}
    return dict(row) | {"level_name": LEVELS.get(row["level"], row["level"])}


def update_bureau(book: Book, *, name: str, region_code: str, level: str, phone: str = "",
                  id_mask: str = "partial") -> dict[str, object]:
    name, code, level = check_bureau(name=name, region_code=region_code, level=level)
    phone = (phone or "").strip()
    if phone and not re.fullmatch(r"[0-9\-－ ]{5,20}", phone):
        raise ValidationError("只能由数字和“-”组成，5～20 位", field="监督电话")
    if id_mask not in ("partial", "hidden"):
        raise ValidationError("应为“前6后4”或“不显示”", field="身份证公示方式")
    with book.write("update_bureau") as conn:
        conn.execute(
            "UPDATE bureau SET name = ?, region_code = ?, level = ?, phone = ?, id_mask = ? WHERE id = 1",
            (name, code, level, phone, id_mask),
        )
    return bureau_info(book)
