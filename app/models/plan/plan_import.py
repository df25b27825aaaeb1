"""Importing the project plan from .xlsx (as the 乡村振兴 office sends it), and its template.

Two sheets: 项目 (one row per project) and 资金来源 (one row per project × indicator). Every row is
checked; a single problem anywhere refuses the whole file with the list of (row, field, reason), and
an acceptable file is written in ONE transaction.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from app.models.ledger import indicators, issued
from app.models.plan import fields as pf
from app.models.plan import projects
from app.models.rules.schema import RuleSet
from app.models.store.book import Book
from app.models.values.errors import RowErrors, ValidationError
from app.models.values.money import format as fmt
from app.models.xlsx import sheets as xlsx_io

WHAT = "项目计划导入"
PROJECT_SHEET, FUNDING_SHEET, ANNUAL_SHEET = "项目", "资金来源", "年度计划数"
_C = xlsx_io.Col
PROJECT_COLUMNS = (
    _C("code", "项目编号*", (), 16, "text"), _C("year", "年度*", ("计划年度",), 8), _C("name", "项目名称*", (), 30),
    _C("category", "项目类别*", ("类别",), 18), _C("construction_type", "建设性质*", (), 10),
    _C("township", "乡镇*", ("实施乡镇",), 12), _C("village", "村", ("实施村", "村（社区）"), 12),
    _C("content", "建设任务*", ("建设内容", "建设任务及内容"), 40), _C("subsidy_standard", "补助标准", (), 20),
    _C("start_date", "开工日期*", ("开始日期", "计划开工日期"), 12),
    _C("end_date", "完工日期*", ("结束日期", "计划完工日期"), 12),
    _C("implementer", "实施单位*", (), 20), _C("responsible", "责任人*", ("项目负责人",), 10),
    _C("perf_goals", "绩效目标", (), 30), _C("mechanism", "带贫减贫机制", ("联农带农机制",), 30),
    _C("households", "受益户数", (), 10), _C("persons", "受益人数", (), 10),
    _C("poor_households", "其中脱贫户/监测户数", ("其中脱贫户数",), 12),
    _C("poor_persons", "其中脱贫/监测人数", ("其中脱贫人数",), 12),
    _C("infrastructure", "基础建设类（是/否）", ("基础建设类", "是否基础建设类"), 10),
    _C("work_relief", "以工代赈（是/否）", ("以工代赈", "是否以工代赈"), 10),
    _C("contract_amount", "合同金额（元）", ("合同金额",), 14), _C("retention_bp", "质保金比例（%）", ("质保金比例",), 10),
    _C("bond_item", "申报债券项目", ("债券项目",), 14), _C("asset_type", "资产类型*", ("资产类别",), 10),
    _C("usage_exception_doc", "例外使用决定文号", (), 18), _C("note", "备注", (), 20),
)
FUNDING_COLUMNS = (
    _C("code", "项目编号*", (), 16, "text"), _C("doc_no", "指标文号*", ("资金文号", "文号"), 28),
    _C("year", "指标年度", (), 10), _C("amount", "金额（元）*", ("金额", "安排金额"), 16),
)
ANNUAL_COLUMNS = (
    _C("year", "年度*", ("计划年度",), 8), _C("item", "资金项目*", ("资金项目代码", "资金类别"), 24, "text"),
    _C("amount", "年度计划数（元）*", ("年度计划数", "计划数"), 18),
)
NOTES = (
    "项目计划导入模板（红色表头为必填列）",
    "1. “项目”表每个项目一行；项目编号不能重复，也不能与已有项目相同。",
    "2. 项目类别、建设性质、资产类型从下拉列表中选择（也可填规则集中的代码）。",
    "3. 日期写成 2026-03-01；金额单位为元，最多两位小数；质保金比例填百分数，如 3 表示 3%。",
    "4. “资金来源”表每个项目的每个指标一行：项目编号、指标文号（须已在专账中登记）、金额。"
    "同一文号在多个年度登记过时须填指标年度。",
    "5. 每个指标安排给各项目的金额之和不能超过该指标尚未安排的金额；债券资金只能安排给申报该债券项目的项目。",
    "6. 有任何一处不符合要求，整个文件都不会导入，程序会列出每一处错误所在的工作表、行和列。",
    "7. 导入后项目为“入库”状态（2021 年度起须先在“项目计划”页“推进状态”到“储备”）；领导小组审定后在“项目计划”页点“审定”登记决定文号和日期。",
    "8. “年度计划数”表（可选，可删除）每个资金项目一行：年度、资金项目（代码或名称）、年度计划数（元），用于月报表1；"
    "已填过的会被新数替换；不能少于该年度该资金项目已下达的金额。只导入年度计划数时“项目”表可以不填。",
)


def write_template(rules: RuleSet, path: Path | str) -> Path:
    """The template offered for download; pick lists come from the bureau's rule set."""
    r = rules
    choices = {"category": [c.name for c in r.project_categories],
               "construction_type": [c.name for c in r.construction_types],
               "asset_type": [c.name for c in r.asset_types], "infrastructure": ["是", "否"], "work_relief": ["是", "否"]}
    return xlsx_io.write_template(path, [(PROJECT_SHEET, PROJECT_COLUMNS), (FUNDING_SHEET, FUNDING_COLUMNS),
                                         (ANNUAL_SHEET, ANNUAL_COLUMNS)], notes=NOTES, choices=choices)


def _project_raw(cells: dict[str, Any]) -> dict[str, object]:
    """Spreadsheet cells → what project_fields cleans (amounts in 元 turned into 分 first)."""
    raw: dict[str, object] = {}
    for key, value in cells.items():
        if key == "code":
            raw[key] = xlsx_io.cell_text(value)
        elif key == "contract_amount":
            raw[key] = xlsx_io.cell_fen(value, pf.LABELS[key], allow_zero=True)
        elif key == "retention_bp":
            if isinstance(value, float) and 0 < value < 1:  # a cell formatted as % holds 0.03 for 3 %
                value = value * 100
            raw[key] = "" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
        else:
            raw[key] = value
    return raw


def parse(book: Book, data: bytes, file_name: str) -> list[tuple[dict[str, Any], list[tuple[int, int]]]]:
    """Every row of both sheets checked; RowErrors with all problems, or (project values, funding lines)."""
    return parse_all(book, data, file_name)[0]


def parse_all(book: Book, data: bytes, file_name: str,
              ) -> tuple[list[tuple[dict[str, Any], list[tuple[int, int]]]], list[tuple[int, str, int]]]:
    """parse(), and the optional 年度计划数 sheet's (year, item, amount) rows, all checked together."""
    workbook = xlsx_io.load(data, file_name)
    cell_errors: list[tuple[int, str, str]] = []
    funding_errors: list[tuple[int, str, str]] = []
    annual_errors: list[tuple[int, str, str]] = []
    annual_rows: list[tuple[int, dict[str, Any]]] = []
    try:
        if ANNUAL_SHEET in workbook.sheetnames:
            annual_rows = xlsx_io.rows(workbook, ANNUAL_COLUMNS, sheet=ANNUAL_SHEET, what=WHAT,
                                       strict=("year", "amount"), problems=annual_errors)
        project_rows = xlsx_io.rows(workbook, PROJECT_COLUMNS, sheet=PROJECT_SHEET, what=WHAT,
                                    strict=("year", "start_date", "end_date", "contract_amount", "retention_bp"),
                                    problems=cell_errors)
        funding_rows = xlsx_io.rows(workbook, FUNDING_COLUMNS, sheet=FUNDING_SHEET, what=WHAT,
                                    strict=("doc_no", "year", "amount"), problems=funding_errors)
    finally:
        workbook.close()
    if cell_errors or funding_errors or annual_errors:  # numbers in code columns, formulas in amounts/dates
        raise RowErrors([(r, f"{PROJECT_SHEET}表·{f}", m) for r, f, m in cell_errors]
                        + [(r, f"{FUNDING_SHEET}表·{f}", m) for r, f, m in funding_errors]
                        + [(r, f"{ANNUAL_SHEET}表·{f}", m) for r, f, m in annual_errors], what=WHAT)
    if not project_rows and not annual_rows:
        raise RowErrors([(2, f"{PROJECT_SHEET}表", "没有任何项目")], what=WHAT)
    errors: list[tuple[int, str, str]] = []
    plans = _annual_plans(book, annual_rows, errors)
    parsed: dict[str, dict[str, Any]] = {}
    where: dict[str, int] = {}
    for number, cells in project_rows:
        try:
            raw = _project_raw(cells)
        except ValidationError as exc:
            errors.append((number, f"{PROJECT_SHEET}表·{exc.field}", exc.message))
            continue
        values, problems = pf.clean(book, raw)
        errors += [(number, f"{PROJECT_SHEET}表·{label}", reason) for label, reason in problems]
        code = values.get("code")
        if code:
            if code in where:
                errors.append((number, f"{PROJECT_SHEET}表·项目编号", f"与第 {where[code]} 行重复"))
            elif projects.by_code(book, code):
                errors.append((number, f"{PROJECT_SHEET}表·项目编号", f"“{code}”已存在（已有项目请在程序中修改或调整）"))
            where.setdefault(code, number)
            if not problems:
                parsed[code] = values
    lines: dict[str, list[tuple[int, int]]] = defaultdict(list)
    on_indicator: dict[int, int] = defaultdict(int)
    for number, cells in funding_rows:
        field = f"{FUNDING_SHEET}表·"
        code = xlsx_io.cell_text(cells.get("code"))
        if code not in where:
            errors.append((number, field + "项目编号", f"“{code}”不在“{PROJECT_SHEET}”表中" if code else "不能为空"))
            continue
        try:
            indicator = _indicator(book, cells.get("doc_no"), cells.get("year"))
            amount = xlsx_io.cell_fen(cells.get("amount"), "金额")
        except ValidationError as exc:
            errors.append((number, field + (exc.field or "指标文号"), exc.message))
            continue
        if any(i == indicator["id"] for i, _ in lines[code]):
            errors.append((number, field + "指标文号", f"项目 {code} 已有指标 {indicator['doc_no']} 的一行，请合并"))
            continue
        on_indicator[indicator["id"]] += amount
        free = projects.unplanned(book, indicator["id"])
        if on_indicator[indicator["id"]] > free:
            errors.append((number, field + "金额", f"指标 {indicator['doc_no']} 尚未安排的只有 {fmt(max(free, 0))} 元，"
                                                   f"本文件累计到此行已安排 {fmt(on_indicator[indicator['id']])} 元"))
        project = parsed.get(code)
        if project is not None and book.rules_for(int(indicator["year"])).is_bond(indicator["kind"], indicator["item"]) \
                and project.get("bond_item") != indicator["item"]:
            errors.append((number, field + "指标文号", f"指标 {indicator['doc_no']} 是债券资金，只能安排给申报债券项目为 "
                                                     f"{indicator['item']} 的项目"))
        lines[code].append((indicator["id"], amount))
    if errors:
        order = (PROJECT_SHEET, FUNDING_SHEET, ANNUAL_SHEET)
        raise RowErrors(sorted(errors, key=lambda e: (next((n for n, s in enumerate(order) if e[1].startswith(s)), 3),
                                                      e[0])), what=WHAT)
    return [(values, lines.get(code, [])) for code, values in parsed.items()], plans


def _annual_plans(book: Book, rows: list[tuple[int, dict[str, Any]]], errors: list[tuple[int, str, str]],
                  ) -> list[tuple[int, str, int]]:
    """The 年度计划数 sheet: (year, item code, 分); the item by code or name; not below what is already issued."""
    field = f"{ANNUAL_SHEET}表·"
    items = {str(r[0]): (str(r[0]), str(r[1])) for r in book.conn.execute("SELECT code, name FROM fund_items")}
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, name in items.values():
        by_name[name].append((code, name))
    out: list[tuple[int, str, int]] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in rows:
        try:
            year = pf.as_int(cells.get("year"), "年度", lo=2000, hi=2100)
            if not year:
                raise ValidationError("不能为空", field="年度")
            text = xlsx_io.cell_text(cells.get("item"))
            if not text:
                raise ValidationError("不能为空", field="资金项目")
            code_name = items.get(text) or items.get(text.split(" ")[0])
            if code_name is None:
                named = by_name.get(text, [])
                if len(named) != 1:
                    raise ValidationError(f"没有代码或名称为“{text}”的资金项目" if not named else
                                          f"名称“{text}”对应多个资金项目，请填代码", field="资金项目")
                code_name = named[0]
            amount = xlsx_io.cell_fen(cells.get("amount"), "年度计划数", allow_zero=True)
            issued.check_plan_year_open(book, year=year)
            issued.check_plan_covers_issued(book, year=year, item=code_name[0], name=code_name[1], amount=amount)
        except ValidationError as exc:
            errors.append((number, field + (exc.field or "年度计划数"), exc.message))
            continue
        key = (year, code_name[0])
        if key in seen:
            errors.append((number, field + "资金项目", f"{year} 年“{code_name[1]}”与第 {seen[key]} 行重复"))
            continue
        seen[key] = number
        out.append((year, code_name[0], amount))
    return out


def _indicator(book: Book, doc_no: object, year: object) -> dict[str, Any]:
    doc = pf.text(doc_no, "指标文号", max_len=80, required=True)
    y = pf.as_int(year, "指标年度", lo=0, hi=2100) or None
    found = indicators.find_by_doc(book, doc, year=y)
    if not found:
        raise ValidationError(f"专账中没有文号为“{doc}”的指标" + (f"（{y} 年）" if y else "") + "，请先登记指标",
                              field="指标文号")
    if len(found) > 1:
        years = "、".join(str(f["year"]) for f in found)
        raise ValidationError(f"文号“{doc}”在 {years} 年都登记过，请填写指标年度", field="指标年度")
    return found[0]


def import_plan(book: Book, *, file_name: str, data: bytes) -> list[int]:
    """All or nothing: every project (入库) with its funding lines, in one transaction. Returns the ids."""
    plan, annual = parse_all(book, data, file_name)
    ids: list[int] = []
    with book.write("import_plan") as conn:
        for year, item, amount in annual:
            conn.execute("INSERT INTO annual_plans (year, item, amount) VALUES (?, ?, ?) "
                         "ON CONFLICT (year, item) DO UPDATE SET amount = excluded.amount", (year, item, amount))
        for values, lines in plan:
            checked = projects.check_funding(book, conn, values, lines, project_id=None)
            project_id = projects.insert(book, conn, values)
            projects.write_funding(conn, project_id, checked)
            ids.append(project_id)
    return ids


def import_file(book: Book, *, path: Path | str) -> list[int]:
    name, data = xlsx_io.read_file(path)
    return import_plan(book, file_name=name, data=data)
