"""The monthly tables as data: load resources/reports/*.toml into typed, validated definitions.

Nothing about a table's layout lives in Python: columns, merged headers, formats, totals, grouping,
row sources and the package's wording all come from these files (REPORTS.md), so the region's
official layout can replace ours without a code change.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from app import resources
from app.models.reports.toml_reader import Node, ReportDefinitionError

__all__ = ["Column", "Group", "HeaderCell", "ReportDefs", "ReportDefinitionError", "TableDef", "load", "worded"]

SUPPORTED_FORMAT = 1
ColumnType = Literal["text", "money", "int", "percent", "date", "flag", "seq"]
TotalRule = Literal["sum", "ratio", "difference", "same", "none"]
Align = Literal["left", "center", "right"]

COLUMN_TYPES: tuple[str, ...] = ("text", "money", "int", "percent", "date", "flag", "seq")
DEFAULT_FORMATS = {
    "text": "@", "flag": "@", "money": "#,##0.00", "int": "#,##0", "seq": "0", "percent": "0.00%", "date": "yyyy-mm-dd",
}  # fmt: skip
DEFAULT_ALIGN = {"text": "left", "money": "right", "int": "right", "percent": "right", "date": "center",
                 "flag": "center", "seq": "center"}  # fmt: skip
COVER_KEYS = ("no", "title", "rows", "item", "amount", "count")
PACKAGE_FIELDS = ("bureau", "month", "year", "month_number", "start", "end", "version")
SIGN_FIELDS = ("chief", "reviewer", "preparer", "signed_on", "signed_at")
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_EXPR = re.compile(r"\s*([a-z][a-z0-9_]*)((?:\s*[+-]\s*[a-z][a-z0-9_]*)*)\s*")
_BAD_SHEET_CHARS = set("[]:*?/\\")


@dataclass(frozen=True)
class Column:
    key: str
    header: tuple[str, ...]
    type: ColumnType
    width: int
    number_format: str
    align: Align
    wrap: bool
    total: TotalRule
    compute: tuple[tuple[int, str], ...] = ()  # (+1 | -1, key): the value is a signed sum of other keys
    ratio: tuple[str, str] | None = None  # percent = numerator / denominator
    difference: tuple[str, str] | None = None  # percent = one percent column − another
    emphasis: bool = False  # a text column whose non-empty cells stand out (a reviewer's flag, 提示): shaded in the
    # PDF (its font has one weight), bold dark red in the workbook
    rule: str = ""  # a ratio rule's code ([[ratio_rules]]): the column is shown only in months whose rule set has the
    # rule (and computed under calc 2 or later), its last header named by the rule — see `worded`

    @property
    def name(self) -> str:
        """The header path joined, as a person names the column: 累计到位 + 小计 → 累计到位小计."""
        return "".join(self.header)


@dataclass(frozen=True)
class Group:
    key: str  # row key whose value groups consecutive rows (e.g. kind_code)
    label: str  # row key holding the group's name (e.g. kind_name)
    format: str  # subtotal label, {n} = 一、二… and {name}
    position: Literal["before", "after"]
    indent: int
    collapse_single: bool  # a group whose only row is named like the group shows one row


@dataclass(frozen=True)
class HeaderCell:
    row: int  # 0-based header row
    col: int  # 0-based column
    rows: int
    cols: int
    text: str


@dataclass(frozen=True)
class TableDef:
    id: str  # sheet name, 表1 … 表9
    title: str
    source: str  # row-source name the data layer provides
    unit: str
    basis: str
    columns: tuple[Column, ...]
    label_column: str
    row_id: str | None
    group: Group | None
    total: bool
    cover_amount: str | None
    cover_count: str | None
    file: str
    all_columns: tuple[Column, ...] = ()  # with the columns of ratio rules (Column.rule), which `columns` leaves out

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.id} 没有列 {key}")

    def find(self, name: str) -> Column | None:
        """A column by key or by its joined header name (templates may use either)."""
        for col in self.columns:
            if name in (col.key, col.name):
                return col
        return None

    @property
    def depth(self) -> int:
        return max(len(c.header) for c in self.columns)

    def header_cells(self) -> list[HeaderCell]:
        """Merged header cells: a group spans its sub-columns; a leaf spans down to the last row."""
        cells: list[HeaderCell] = []
        depth = self.depth
        for level in range(depth):
            i = 0
            while i < len(self.columns):
                head = self.columns[i].header
                if len(head) <= level:
                    i += 1
                    continue
                j = i + 1
                if len(head) > level + 1:
                    while j < len(self.columns) and self.columns[j].header[: level + 1] == head[: level + 1]:
                        j += 1
                rows = depth - level if len(head) == level + 1 else 1
                cells.append(HeaderCell(level, i, rows, j - i, head[level]))
                i = j
        return cells


@dataclass(frozen=True)
class Texts:
    bureau_line: str
    month_line: str
    unit_line: str
    period_line: str
    total_label: str
    continued: str
    page_number: str
    footer: tuple[str, ...]
    version_label: str
    corrected_label: str
    preview_mark: str
    signed_line: str
    seal: str


@dataclass(frozen=True)
class Style:
    font: str
    title_font: str
    font_size: int
    title_size: int
    header_fill: str
    pdf_font_size: int
    pdf_min_font_size: int
    pdf_title_size: int
    pdf_margin_mm: int


@dataclass(frozen=True)
class Names:
    folder: str
    workbook: str
    pdf: str
    manifest: str


@dataclass(frozen=True)
class ReportDefs:
    id: str
    name: str
    version: str
    texts: Texts
    style: Style
    names: Names
    cover_sheet: str
    cover_lines: tuple[str, ...]
    cover: TableDef
    tables: tuple[TableDef, ...]

    def table(self, table_id: str) -> TableDef:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"没有报表 {table_id}")


def _signed_terms(node: Node, key: str) -> tuple[tuple[int, str], ...]:
    expr = node.text(key)
    match = _EXPR.fullmatch(expr)
    if match is None:
        node.fail(key, f"应为列名的加减式（如 \"a + b - c\"），实际为 {expr!r}")
    terms = [(1, match[1])]
    terms += [(1 if sign == "+" else -1, name) for sign, name in re.findall(r"([+-])\s*([a-z][a-z0-9_]*)", match[2])]
    return tuple(terms)


def _pair(node: Node, key: str) -> tuple[str, str]:
    a, b = node.texts(key, lo=2, hi=2)
    for i, v in enumerate((a, b), 1):
        if not _KEY.fullmatch(v):
            node.fail(f"{key}[{i}]", f"应为字段名（小写字母、数字、下划线），实际为 {v!r}")
    return a, b


def _column(node: Node, earlier: dict[str, Column]) -> Column:
    key = node.text("key")
    if not _KEY.fullmatch(key):
        node.fail("key", f"应为小写字母开头的字段名（字母、数字、下划线），实际为 {key!r}")
    if key in earlier:
        node.fail("key", f"列 {key!r} 重复")
    header = node.texts("header", hi=3)
    ctype = cast(ColumnType, node.choice("type", COLUMN_TYPES))
    width = node.integer("width", 2, 100)
    fmt = node.text("format", DEFAULT_FORMATS[ctype])
    align = cast(Align, node.choice("align", ("left", "center", "right"), DEFAULT_ALIGN[ctype]))
    wrap = node.flag("wrap", ctype == "text")
    emphasis = node.flag("emphasis", False)
    if emphasis and ctype != "text":
        node.fail("emphasis", "只有 text 列可以设置")
    rule = node.text("rule", "") if node.has("rule") else ""
    if node.has("rule") and not re.fullmatch(r"[a-z][a-z0-9_]*", rule):
        node.fail("rule", f"应为规则集 [[ratio_rules]] 的代码（小写字母、数字、下划线），实际为 {rule!r}")
    compute: tuple[tuple[int, str], ...] = ()
    ratio = difference = None
    if node.has("compute"):
        if ctype not in ("money", "int"):
            node.fail("compute", "只有 money / int 列可以由其他列加减得出")
        compute = _signed_terms(node, "compute")
        for _, ref in compute:
            if ref == key:
                node.fail("compute", "不能引用本列自身")
            if ref in earlier and earlier[ref].type not in ("money", "int"):
                node.fail("compute", f"引用的列 {ref!r} 不是 money / int 列")
    if ctype == "percent":
        if node.has("ratio") == node.has("difference"):
            node.fail("ratio", "percent 列须且只须给出 ratio（分子、分母）或 difference（两个百分比列之差）之一")
        if node.has("ratio"):
            ratio = _pair(node, "ratio")
            for i, ref in enumerate(ratio, 1):
                if ref in earlier and earlier[ref].type not in ("money", "int"):
                    node.fail(f"ratio[{i}]", f"引用的列 {ref!r} 不是 money / int 列")
        else:
            difference = _pair(node, "difference")
            for i, ref in enumerate(difference, 1):
                if ref not in earlier or earlier[ref].type != "percent":
                    node.fail(f"difference[{i}]", f"应引用本列之前的 percent 列，{ref!r} 不是")
    elif node.has("ratio") or node.has("difference"):
        node.fail("ratio" if node.has("ratio") else "difference", "只有 percent 列可以设置")
    allowed: tuple[str, ...]
    if ctype in ("money", "int"):
        allowed, default = ("sum", "same", "none"), "sum"
    elif difference:
        allowed, default = ("difference",), "difference"
    elif ratio:
        allowed, default = ("ratio", "same", "none"), "ratio"
    else:
        allowed, default = ("none",), "none"
    total = cast(TotalRule, node.choice("total", allowed, default))
    if total == "ratio" and ratio:
        for i, ref in enumerate(ratio, 1):
            if rule and ref not in earlier:
                continue  # a rule's column may divide row fields that are not columns: summed from the rows
            if ref not in earlier or earlier[ref].total != "sum":
                node.fail(f"ratio[{i}]", f"total = \"ratio\" 时分子分母须是本列之前且合计方式为 sum 的列，{ref!r} 不是"
                          "（分子分母不是列时请用 total = \"same\"）")  # fmt: skip
    node.done()
    return Column(key, header, ctype, width, fmt, align, wrap, total, compute, ratio, difference, emphasis, rule)


def _check_headers(node: Node, columns: list[Column]) -> None:
    """Sub-columns of one group must be adjacent, and a group name cannot also be a leaf column."""
    for i, col in enumerate(columns):
        for other in columns[i + 1 :]:
            if other.header == col.header:
                node.fail("columns", f"列 {col.key!r} 与 {other.key!r} 的表头相同：{'/'.join(col.header)}")
        for other in columns:
            if len(other.header) > len(col.header) and other.header[: len(col.header)] == col.header:
                node.fail("columns", f"表头 {'/'.join(col.header)} 既是列 {col.key!r} 又是分组（列 {other.key!r}）")
    for level in range(1, 3):
        seen: dict[tuple[str, ...], int] = {}
        previous: tuple[str, ...] | None = None
        for i, col in enumerate(columns):
            prefix = col.header[:level] if len(col.header) > level else None
            if prefix is not None and prefix != previous and prefix in seen:
                node.fail("columns", f"分组 {'/'.join(prefix)} 的子列不相邻（第 {seen[prefix] + 1} 列与第 {i + 1} 列之间有其他列）")
            if prefix is not None:
                seen.setdefault(prefix, i)
            previous = prefix


def _table(node: Node, *, cover: bool = False) -> TableDef:
    earlier: dict[str, Column] = {}
    columns: list[Column] = []
    for c in node.tables("columns"):
        col = _column(c, earlier)
        if cover and col.key not in COVER_KEYS:
            c.fail("key", f"封面列只能是 {'、'.join(COVER_KEYS)} 之一")
        earlier[col.key] = col
        columns.append(col)
    _check_headers(node, columns)
    if cover:
        table_id, title, source, unit, basis = "封面", "封面", "cover", "元", ""
    else:
        table_id = node.text("id")
        if len(table_id) > 31 or _BAD_SHEET_CHARS & set(table_id):
            node.fail("id", f"工作表名须不超过 31 个字符且不含 []:*?/\\，实际为 {table_id!r}")
        title, source = node.text("title"), node.text("source")
        if not _KEY.fullmatch(source):
            node.fail("source", f"应为数据源名（小写字母、数字、下划线），实际为 {source!r}")
        unit, basis = node.text("unit", "", allow_empty=True), node.text("basis", "", allow_empty=True)
    label_column = node.text("label_column", columns[0].key)
    if label_column not in earlier or earlier[label_column].type not in ("text", "seq"):
        node.fail("label_column", f"应为本表的 text 或 seq 列，实际为 {label_column!r}")
    row_id = node.opt_text("row_id")
    group = None
    if node.has("group"):
        g = node.table("group")
        group = Group(
            g.text("key"), g.text("label"), g.template("format", ("n", "name"), "{n}、{name}"),
            cast(Literal["before", "after"], g.choice("position", ("before", "after"), "before")),
            g.integer("indent", 0, 4, 1), g.flag("collapse_single", True),
        )  # fmt: skip
        g.done()
    has_total = node.flag("total", True)
    cover_cols: list[str | None] = []
    for key, want in (("cover_amount", "money"), ("cover_count", "int")):
        ref = node.opt_text(key)
        if ref is not None and (ref not in earlier or earlier[ref].type != want or earlier[ref].total != "sum"):
            node.fail(key, f"应为本表合计方式为 sum 的 {want} 列，实际为 {ref!r}")
        if ref is not None and not has_total:
            node.fail(key, "本表没有合计行（total = false），不能指定封面合计项")
        cover_cols.append(ref)
    if not cover:
        node.done()
    return TableDef(table_id, title, source, unit, basis, tuple(c for c in columns if not c.rule), label_column, row_id,
                    group, has_total, cover_cols[0], cover_cols[1], node.file, tuple(columns))  # fmt: skip


def _read(path: Path) -> Node:
    try:
        with path.open("rb") as fh:
            return Node(tomllib.load(fh), "", path.name)
    except FileNotFoundError:
        raise ReportDefinitionError(path.name, "", f"找不到文件（{path}）") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReportDefinitionError(path.name, "", f"TOML 格式错误：{exc}") from None
    except UnicodeDecodeError:
        raise ReportDefinitionError(path.name, "", "文件不是 UTF-8 编码") from None


def _texts(t: Node) -> Texts:
    line = PACKAGE_FIELDS + SIGN_FIELDS
    return Texts(
        t.template("bureau_line", line), t.template("month_line", line), t.template("unit_line", ("unit",)),
        t.template("period_line", line), t.text("total_label"), t.template("continued", ("id", "title")),
        t.template("page_number", ("page", "pages")),
        t.templates("footer", SIGN_FIELDS, hi=6),
        t.template("version_label", ("version",)), t.template("corrected_label", ("version",)),
        t.text("preview_mark"), t.template("signed_line", SIGN_FIELDS), t.text("seal"),
    )  # fmt: skip


def _style(s: Node, p: Node) -> Style:
    fill = s.text("header_fill")
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", fill):
        s.fail("header_fill", f"应为 6 位十六进制颜色（如 \"F2F2F2\"），实际为 {fill!r}")
    style = Style(
        s.text("font"), s.text("title_font"), s.integer("font_size", 6, 20), s.integer("title_size", 8, 36),
        fill.upper(), p.integer("font_size", 5, 14), p.integer("min_font_size", 4, 14),
        p.integer("title_size", 8, 28), p.integer("margin_mm", 5, 30),
    )  # fmt: skip
    if style.pdf_min_font_size > style.pdf_font_size:
        p.fail("min_font_size", "不能大于 font_size")
    return style


def load_from(directory: Path) -> ReportDefs:
    """Read report.toml and the table files it lists; every problem is one ReportDefinitionError."""
    root = _read(directory / "report.toml")
    meta = root.table("meta")
    fmt = meta.integer("format", 1, 99)
    if fmt > SUPPORTED_FORMAT:
        meta.fail("format", f"格式版本 {fmt} 高于本程序支持的 {SUPPORTED_FORMAT}，请升级程序")
    ident, name, version = meta.text("id"), meta.text("name"), meta.text("version")
    files = meta.texts("tables", hi=30)
    meta.done()
    n = root.table("names")
    names_fields = ("bureau", "month", "year", "month_number", "version")
    names = Names(n.template("folder", names_fields), n.template("workbook", names_fields),
                  n.template("pdf", names_fields), n.text("manifest"))  # fmt: skip
    n.done()
    t = root.table("text")
    texts = _texts(t)
    t.done()
    s, p = root.table("style"), root.table("pdf")
    style = _style(s, p)
    s.done()
    p.done()
    c = root.table("cover")
    sheet = c.text("sheet")
    lines = c.templates("lines", PACKAGE_FIELDS + SIGN_FIELDS + ("version_text", "signed_text"))
    cover = _table(c, cover=True)
    c.done()
    root.done()
    tables: list[TableDef] = []
    for i, file in enumerate(files, 1):
        if Path(file).name != file:
            raise ReportDefinitionError(root.file, f"meta.tables[{i}]", f"应为本目录下的文件名，实际为 {file!r}")
        table = _table(_read(directory / file))
        for other in tables:
            if table.id == other.id or table.id == sheet:
                raise ReportDefinitionError(file, "id", f"工作表名 {table.id!r} 重复（已在 {other.file} 或封面使用）")
        tables.append(table)
    return ReportDefs(ident, name, version, texts, style, names, sheet, lines, cover, tuple(tables))


def worded(defs: ReportDefs, wording: Mapping[str, Any]) -> ReportDefs:
    """The definitions as one month words them (PackageData.wording, assembled under calc 2 or later from the year's
    rule set): the package's `name`, each table's `titles`, and the `columns` of ratio rules — rule code → header —
    that the month shows. Empty wording (a month computed under calc 0 or 1): the definitions as they are, so a
    month signed by an older build re-creates byte for byte."""
    if not wording:
        return defs
    titles = cast(Mapping[str, str], wording.get("titles") or {})
    rules = cast(Mapping[str, str], wording.get("columns") or {})

    def shown(col: Column) -> Column:
        if not col.rule:
            return col
        return dataclasses.replace(col, header=(*col.header[:-1], rules[col.rule]))

    tables = tuple(dataclasses.replace(
        t, title=titles.get(t.id, t.title),
        columns=tuple(shown(c) for c in (t.all_columns or t.columns) if not c.rule or c.rule in rules),
    ) for t in defs.tables)  # fmt: skip
    return dataclasses.replace(defs, name=str(wording.get("name") or defs.name), tables=tables)


@functools.lru_cache(maxsize=4)
def _cached(directory: str) -> ReportDefs:
    return load_from(Path(directory))


def load(directory: Path | None = None) -> ReportDefs:
    """The shipped definitions (resources/reports), read once per process."""
    return _cached(str(directory or resources.resources_dir() / "reports"))
