"""绩效目标 from .xlsx: a template to fill, and an import that writes every row or none (RowErrors).

Structure is refused (unknown project, class, subclass or comparator, a name missing, a duplicate);
what W2 is there to show — a target that is not a number, a missing unit, a class left out — is
imported as written and then reported as irregular.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

from app.models.performance import goals as perf
from app.models.store.book import Book
from app.models.values import filenames
from app.models.values.errors import RowErrors, ValidationError

COLUMNS = ["项目编号", "一级指标", "二级指标", "三级指标", "比较符", "目标值", "计量单位"]
KEYS = ["project", "level1", "level2", "name", "comparator", "target", "unit"]
ALIASES = {"单位": "计量单位", "指标值": "目标值", "年度指标值": "目标值", "指标名称": "三级指标"}
EXAMPLE = [
    ["XM2026001", "产出指标", "数量指标", "新建产业大棚", "≥", "50", "座"],
    ["XM2026001", "产出指标", "质量指标", "工程验收合格率", "=", "100", "%"],
    ["XM2026001", "产出指标", "时效指标", "项目完工时间", "≤", "11", "月"],
    ["XM2026001", "产出指标", "成本指标", "每座大棚补助标准", "≤", "3", "万元"],
    ["XM2026001", "效益指标", "经济效益指标", "带动脱贫户年均增收", "≥", "2000", "元"],
    ["XM2026001", "效益指标", "社会效益指标", "受益脱贫户数", "≥", "120", "户"],
    ["XM2026001", "效益指标", "可持续影响指标", "设施使用年限", "≥", "10", "年"],
    ["XM2026001", "满意度指标", "服务对象满意度指标", "受益群众满意度", "≥", "90", "%"],
]


def write_template(path: Path | str) -> Path:
    """An empty-but-for-examples workbook with the columns the import reads and a sheet of valid values."""
    import openpyxl
    from openpyxl.styles import Font

    path = Path(filenames.check_path(path, "绩效目标模板文件"))
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "绩效目标"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in EXAMPLE:
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.data_type = "s"
    for col, width in zip("ABCDEFG", (14, 12, 18, 26, 8, 10, 10), strict=True):
        ws.column_dimensions[col].width = width
    fixed = dt.datetime(2026, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)
    return path


def _norm(value: Any) -> str:
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def _read(path: Path) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    from app.models.xlsx import guard
    from app.models.xlsx import sheets as xlsx_io

    if path.suffix.lower() != ".xlsx":
        raise ValidationError(f"“{path.name}”不是 .xlsx 文件", field="文件")
    if not path.is_file():
        raise ValidationError(f"找不到文件 {path}", field="文件")
    name, data = xlsx_io.read_file(path)
    wb = xlsx_io.load(data, name)  # bounded first (guard.py): a zip bomb or a huge sheet is refused here
    try:
        ws = wb.worksheets[0]
        rows = list(xlsx_io.sheet_rows(wb, ws))
        scan = wb.scans.get(ws.title) or guard.SheetScan(ws.title)
    finally:
        wb.close()
    for index, row in enumerate(rows[:10], start=1):
        headers = [ALIASES.get(_norm(c), _norm(c)) for c in row]
        if "项目编号" in headers and "三级指标" in headers:
            code = headers.index("项目编号")
            problems = [guard.formula_error(ws.title, n, code + 1, "项目编号")
                        for n in range(index + 1, len(rows) + 1) if (n, code + 1) in scan.formulas]
            problems += [(n, "项目编号", f"单元格 {ws.title}!{guard.cell_name(n, code + 1)} 是数字 {r[code]!r}：请将此列设为"
                                       "“文本”格式后重新填写（数字格式会丢失开头的 0）")
                         for n, r in enumerate(rows[index:], start=index + 1)
                         if code < len(r) and isinstance(r[code], (int, float)) and not isinstance(r[code], bool)]
            if problems:
                raise RowErrors(sorted(problems), what="绩效目标导入")
            data_rows = [(n, list(r)) for n, r in enumerate(rows[index:], start=index + 1)]
            return index, headers, data_rows
    raise ValidationError(f"前 10 行中没有找到表头（应含：{'、'.join(COLUMNS)}）", field="文件")


def import_goals(book: Book, path: Path | str, *, replace: bool = False, set_on: dt.date | None = None) -> int:
    """Import goals for any number of projects; returns how many were added. Nothing is written if any row
    is wrong. A project that already has goals is refused unless `replace` (its goals are then replaced)."""
    path = Path(path)
    _header, headers, data = _read(path)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        raise ValidationError(f"缺少列：{'、'.join(missing)}", field="文件")
    where = {key: headers.index(col) for key, col in zip(KEYS, COLUMNS, strict=True)}
    projects = {r["code"]: int(r["id"]) for r in book.conn.execute("SELECT id, code FROM projects")}
    existing = {int(r[0]) for r in book.conn.execute("SELECT DISTINCT project_id FROM perf_goals WHERE removed_on IS NULL")}
    errors: list[tuple[int, str, str]] = []
    goals: list[tuple[int, dict[str, str]]] = []
    seen: dict[tuple[int, str, str], int] = {}
    for number, cells in data:
        values = {k: _norm(cells[i]) if i < len(cells) else "" for k, i in where.items()}
        if not any(values.values()):
            continue
        pid = projects.get(values["project"])
        if pid is None:
            errors.append((number, "项目编号", f"没有编号为“{values['project']}”的项目" if values["project"] else "不能为空"))
            continue
        if pid in existing and not replace:
            errors.append((number, "项目编号", f"项目“{values['project']}”已有绩效目标（如需整体替换，请选择“替换已有目标”）"))
            continue
        try:
            goal = perf.clean_goal(book, values)
        except ValidationError as exc:
            errors.append((number, exc.field or "", exc.message))
            continue
        key = (pid, goal["level2"], goal["name"])
        if key in seen:
            errors.append((number, "三级指标", f"与第 {seen[key]} 行重复"))
            continue
        seen[key] = number
        goals.append((pid, goal))
    if errors:
        raise RowErrors(sorted(errors), what=f"绩效目标“{path.name}”")
    if not goals:
        raise ValidationError("文件中没有数据行", field="文件")
    day = set_on or book.today()
    with book.write("edit_goals") as conn:
        if replace:
            for pid in sorted({pid for pid, _ in goals} & existing):
                conn.execute("UPDATE perf_goals SET removed_on = ? WHERE project_id = ? AND removed_on IS NULL",
                             (day.isoformat(), pid))
        for pid, goal in goals:
            perf.insert_goal(conn, book, pid, goal, day)
    return len(goals)
