"""名册: the lists the false-claim cross-checks compare payees with (warnings W13, W14).

Two kinds, each imported from .xlsx and replaced whole in one transaction:
- 财政供养人员 (`staff`): the bureau's staff/official list — 姓名, 身份证号, 工作单位, 身份;
- 脱贫户/监测对象 (`poor`): 姓名, 身份证号, 村, 类别 (脱贫户 / 监测对象), 状态 (正常 / 死亡 / 迁出), 状态日期.

The same rules as every import: ID columns must be text cells (a number loses its last digits and is refused,
naming the cell), every ID must be a valid 18-character 公民身份号码 with its check character, nobody twice, the
template's columns present; one bad row refuses the whole file (listing every problem) and nothing is written.
Every row is audited (`roster_people` is a tracked table), so a roster changed behind the program's back with
another tool shows in `verify`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.models.plan import fields as pf
from app.models.store.book import Book
from app.models.values import ids
from app.models.values.errors import RowErrors, ValidationError
from app.models.xlsx import sheets as xlsx_io

STAFF, POOR = "staff", "poor"
STATUSES = {"正常": "normal", "死亡": "deceased", "迁出": "moved_out"}
STATUS_NAMES = {v: k for k, v in STATUSES.items()}
POOR_CATEGORIES = ("脱贫户", "监测对象")

_NAME = xlsx_io.Col("name", "姓名*", ("户主姓名", "人员姓名"), 12)
_ID = xlsx_io.Col("id_number", "身份证号*", ("身份证号码", "公民身份号码", "身份证"), 22, "text")


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    columns: tuple[xlsx_io.Col, ...]
    notes: tuple[str, ...]


KINDS: dict[str, Kind] = {
    STAFF: Kind(STAFF, "财政供养人员名册", (
        _NAME, _ID,
        xlsx_io.Col("unit", "工作单位", ("单位", "所在单位"), 24),
        xlsx_io.Col("category", "身份", ("人员身份", "人员类别"), 12),
    ), (
        "财政供养人员名册（本县财政供养的在职人员、公职人员，用于比对补助对象，预警 W13）",
        "1. 每人一行；身份证号一列请保持“文本”格式，否则 Excel 会把 18 位号码的末几位变成 0，程序会拒收。",
        "2. 身份证号须为有效的 18 位公民身份号码（含校验码）；同一人不能出现两次。",
        "3. 导入会整体替换原有的财政供养人员名册；有任何一行不合格，整个文件都不会导入。",
    )),
    POOR: Kind(POOR, "脱贫户/监测对象名册", (
        _NAME, _ID,
        xlsx_io.Col("unit", "村*", ("所在村", "村名", "行政村"), 14),
        xlsx_io.Col("category", "类别*", ("人员类别", "对象类别"), 10),
        xlsx_io.Col("status", "状态", ("人员状态",), 8),
        xlsx_io.Col("status_date", "状态日期", ("死亡或迁出日期", "变动日期"), 12),
    ), (
        "脱贫户/监测对象名册（用于比对到户补助的领取人，预警 W14）",
        "1. 每人一行；身份证号一列请保持“文本”格式。",
        "2. 类别填“脱贫户”或“监测对象”；状态填“正常”“死亡”或“迁出”（不填为正常），死亡、迁出须填状态日期。",
        "3. 导入会整体替换原有的脱贫户/监测对象名册；有任何一行不合格，整个文件都不会导入。",
    )),
}


def kind(code: str) -> Kind:
    if code not in KINDS:
        raise ValidationError(f"名册类型应为 {'、'.join(KINDS)} 之一，实际为 {code!r}", field="名册类型")
    return KINDS[code]


def write_template(path: Path | str, kind_code: str) -> Path:
    k = kind(kind_code)
    return xlsx_io.write_template(path, [("名册", k.columns)], notes=k.notes)


def _status(value: Any, field: str) -> str:
    text = pf.text(value, field, max_len=10) or "正常"
    if text not in STATUSES:
        raise ValidationError(f"应为 {'、'.join(STATUSES)} 之一，实际为“{text}”", field=field)
    return STATUSES[text]


def _category(value: Any, field: str, k: Kind) -> str:
    text = pf.text(value, field, max_len=20, required=k.code == POOR)
    if k.code == POOR and text not in POOR_CATEGORIES:
        raise ValidationError(f"应为 {'、'.join(POOR_CATEGORIES)} 之一，实际为“{text}”", field=field)
    return text


def parse(book: Book, kind_code: str, data: bytes, file_name: str) -> list[dict[str, Any]]:
    """Every row checked; RowErrors listing every problem (row and column named), or the clean people."""
    k = kind(kind_code)
    what = f"{k.name}导入"
    workbook = xlsx_io.load(data, file_name)
    errors: list[tuple[int, str, str]] = []  # numbers and formulas in the ID column, named sheet!cell
    try:
        raw = xlsx_io.rows(workbook, k.columns, what=what, strict=("status_date",), problems=errors)
    finally:
        workbook.close()
    if not raw:
        raise RowErrors([(2, "名册", "没有任何数据行")], what=what)
    refused = {(r, f) for r, f, _ in errors}
    today = book.today()
    label = {c.key: c.label for c in k.columns}
    people: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, cells in raw:
        person: dict[str, Any] = {"row_no": number}
        checks = {
            "name": lambda v, f: pf.text(v, f, max_len=50, required=True),
            "id_number": lambda v, f: ids.check_id_number(xlsx_io.cell_code(v, f), field=f, today=today),
            "unit": lambda v, f: pf.text(v, f, max_len=60, required=k.code == POOR),
            "category": lambda v, f: _category(v, f, k),
            "status": _status,
            "status_date": lambda v, f: pf.as_date(v, f) if v not in (None, "") else None,
        }
        for key in (c.key for c in k.columns):
            if (number, label[key]) in refused:
                continue
            try:
                person[key] = checks[key](cells.get(key), label[key])
            except ValidationError as exc:
                errors.append((number, label[key], exc.message))
        status, day = person.get("status", "normal"), person.get("status_date")
        if status != "normal" and "status_date" in person and day is None:
            errors.append((number, label.get("status_date", "状态日期"), f"状态为“{STATUS_NAMES[status]}”须填写状态日期"))
        if status == "normal" and day is not None:
            errors.append((number, label.get("status_date", "状态日期"), "状态为“正常”时不填状态日期"))
        if isinstance(day, dt.date) and day > today:
            errors.append((number, label.get("status_date", "状态日期"), f"不能晚于今天 {today.isoformat()}"))
        if "id_number" in person:
            first = seen.setdefault(person["id_number"], number)
            if first != number:
                errors.append((number, label["id_number"],
                               f"与第 {first} 行是同一人（{ids.mask_id(person['id_number'])}），同一人不能出现两次"))
        people.append(person)
    if errors:
        raise RowErrors(sorted(errors), what=what)
    return people


def import_roster(book: Book, *, kind_code: str, file_name: str, data: bytes) -> dict[str, Any]:
    """Check the whole file, then replace the roster of this kind in one transaction; all or nothing."""
    k = kind(kind_code)
    people = parse(book, kind_code, data, file_name)
    name = Path((file_name or "名册.xlsx").replace("\\", "/")).name[:120]
    with book.write("import_roster") as conn:
        conn.execute("DELETE FROM roster_people WHERE kind = ?", (k.code,))
        cur = conn.execute(
            "INSERT INTO roster_imports (kind, file_name, file_sha256, persons, imported_by, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (k.code, name, hashlib.sha256(data).hexdigest(), len(people), book.user.id if book.user else None,
             book.stamp()))
        import_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO roster_people (kind, import_id, row_no, id_number, name, unit, category, status, status_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(k.code, import_id, p["row_no"], p["id_number"], p["name"], p.get("unit", ""), p.get("category", ""),
              p.get("status", "normal"), p["status_date"].isoformat() if p.get("status_date") else None)
             for p in people])
    return summary(book)[k.code] or {}


def import_file(book: Book, *, kind_code: str, path: Path | str) -> dict[str, Any]:
    name, data = xlsx_io.read_file(path)
    return import_roster(book, kind_code=kind_code, file_name=name, data=data)


def summary(book: Book) -> dict[str, dict[str, Any] | None]:
    """Per kind: the latest import (file, when, by whom) with the number of people now on it; None: never imported."""
    out: dict[str, dict[str, Any] | None] = {}
    for code, k in KINDS.items():
        row = book.conn.execute(
            "SELECT r.*, coalesce(u.name, '') AS imported_by_name, "
            "(SELECT count(*) FROM roster_people p WHERE p.kind = r.kind) AS on_roster, "
            "(SELECT count(*) FROM roster_people p WHERE p.kind = r.kind AND p.status <> 'normal') AS left_roster "
            "FROM roster_imports r LEFT JOIN users u ON u.id = r.imported_by WHERE r.kind = ? ORDER BY r.id DESC LIMIT 1",
            (code,)).fetchone()
        out[code] = dict(row) | {"kind_name": k.name} if row else None
    return out


def people(book: Book, kind_code: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """The roster as the window shows it: ID numbers masked."""
    kind(kind_code)
    rows = book.conn.execute(
        "SELECT row_no, name, id_number, unit, category, status, status_date FROM roster_people WHERE kind = ? "
        "ORDER BY row_no LIMIT ?", (kind_code, limit))
    return [dict(r) | {"id_masked": ids.mask_id(r["id_number"]), "status_name": STATUS_NAMES[r["status"]]}
            for r in rows]
