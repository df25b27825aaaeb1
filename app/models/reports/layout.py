"""From row sources to the rows a table shows: type checks, computed columns, percentages, groups,
subtotals and the 合计 row — shared by the workbook, the PDF, templates and the cross-checks, so all
four see the same numbers. Sums are over integer 分; percentages are exact fractions until display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from app.models.reports.definitions import Column, ReportDefs, TableDef, worded
from app.models.reports.package_data import PackageData, Row
from app.models.values import money
from app.models.values.errors import AppError

NOT_APPLICABLE = "—"
"""Shown for a percentage with nothing to divide by."""

_NUMERALS = "一二三四五六七八九"


class ReportDataError(AppError):
    """The data layer handed over a row the table cannot show (a programming error, named precisely)."""


@dataclass(frozen=True)
class RenderRow:
    kind: Literal["data", "subtotal", "total"]
    values: Mapping[str, object]
    indent: int = 0
    index: int | None = None  # position in the row source (data rows)
    row_id: str | None = None


@dataclass(frozen=True)
class BuiltTable:
    table: TableDef
    data: list[dict[str, object]]  # resolved source rows, in source order
    rows: list[RenderRow]  # display order without the 合计 row
    total: RenderRow | None


@dataclass(frozen=True)
class Section:
    """One sheet / one PDF section: the cover or a table, with its wording filled in."""

    sheet: str
    title: str
    lines: tuple[str, ...]
    info: tuple[str, str, str]  # 填报单位 · 报表所属期 · 单位
    built: BuiltTable
    footer: tuple[str, ...]
    continued: str


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (group numbers in a table)."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens - 1] + "十")
    return head + (_NUMERALS[ones - 1] if ones else "")


def percent_decimal(value: Fraction) -> Decimal:
    """A ratio as an exact Decimal rounded half-up to 0.01 % (four decimals of the ratio)."""
    q, r = divmod(abs(value.numerator) * 10_000, value.denominator)
    if 2 * r >= value.denominator:
        q += 1
    return Decimal(f"{'-' if value < 0 and q else ''}{q}E-4")


def percent_text(value: Fraction) -> str:
    q = percent_decimal(value).scaleb(4)
    sign = "-" if q < 0 else ""
    whole, cents = divmod(int(abs(q)), 100)
    return f"{sign}{whole}.{cents:02d}%"


def display(col: Column, value: object) -> str:
    """A value as printed (PDF, template text): 1,234.56 · 12.34% · 2026-10-01 · 是."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if col.type == "money" and isinstance(value, int):
        return money.format(value)
    if col.type == "int" and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Fraction):
        return percent_text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _fail(table: TableDef, index: int, key: str, reason: str) -> ReportDataError:
    return ReportDataError(f"{table.id}（数据源 {table.source}）第 {index + 1} 行 字段 {key}：{reason}")


def _shown(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def _check(table: TableDef, index: int, row: Row, key: str, kind: str) -> object:
    """A raw field of the given kind ("int", "text", "date", "flag"); None stands for empty."""
    if key not in row:
        raise _fail(table, index, key, "缺少该字段")
    value = row[key]
    if value is None:
        return None
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "text": isinstance(value, str),
        "date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        "flag": isinstance(value, bool),
    }[kind]
    if not ok:
        want = {"int": "整数（金额为分）", "text": "文字", "date": "日期（datetime.date）", "flag": "true/false"}[kind]
        raise _fail(table, index, key, f"应为{want}，实际为 {_shown(value)}")
    return value


_RAW_KIND = {"money": "int", "int": "int", "text": "text", "date": "date", "flag": "flag"}


def _percent(col: Column, values: Mapping[str, object]) -> object:
    if col.ratio:
        num, den = (values.get(k) for k in col.ratio)
        if not isinstance(num, int) or not isinstance(den, int):
            return None
        return NOT_APPLICABLE if den == 0 else Fraction(num, den)
    assert col.difference
    a, b = (values.get(k) for k in col.difference)
    return a - b if isinstance(a, Fraction) and isinstance(b, Fraction) else None


def _signed_sum(terms: Iterable[tuple[int, object]]) -> int | None:
    present = [(sign, v) for sign, v in terms if isinstance(v, int)]
    return sum(sign * v for sign, v in present) if present else None


def resolve(table: TableDef, rows: Sequence[Row]) -> list[dict[str, object]]:
    """Type-check each source row and add the computed, percentage and 序号 columns."""
    out: list[dict[str, object]] = []
    for index, row in enumerate(rows):
        values: dict[str, object] = dict(row)
        for col in table.columns:
            if col.type == "seq":
                values[col.key] = index + 1
            elif col.compute:
                terms = [(sign, _check(table, index, values, ref, "int")) for sign, ref in col.compute]
                values[col.key] = _signed_sum(terms)
            elif col.type == "percent":
                for ref in col.ratio or ():
                    _check(table, index, values, ref, "int")
                values[col.key] = _percent(col, values)
            else:
                values[col.key] = _check(table, index, values, col.key, _RAW_KIND[col.type])
        if table.group:
            for key in (table.group.key, table.group.label):
                if not isinstance(_check(table, index, values, key, "text"), str):
                    raise _fail(table, index, key, "分组字段不能为空")
        out.append(values)
    return out


def summarize(table: TableDef, rows: Sequence[Mapping[str, object]], label: str) -> dict[str, object]:
    """A subtotal / 合计 row: integer sums, ratios recomputed from the summed parts, never averaged."""
    values: dict[str, object] = {}
    for col in table.columns:
        column = [r.get(col.key) for r in rows]
        if col.total == "sum":
            values[col.key] = _signed_sum((1, v) for v in column)
        elif col.total == "same":
            values[col.key] = column[0] if column and all(v == column[0] for v in column) else None
        elif col.total in ("ratio", "difference"):
            parts = {k: _signed_sum((1, r.get(k)) for r in rows) for k in col.ratio or () if k not in values}
            values[col.key] = _percent(col, {**values, **parts})  # parts: a rule column's row fields (not columns)
        else:
            values[col.key] = None
    values[table.label_column] = label
    return values


def build(table: TableDef, rows: Sequence[Row], total_label: str) -> BuiltTable:
    data = resolve(table, rows)
    out: list[RenderRow] = []
    group = table.group

    def data_row(i: int, indent: int) -> RenderRow:
        row_id = data[i].get(table.row_id) if table.row_id else None
        return RenderRow("data", data[i], indent, i, row_id if isinstance(row_id, str) else None)

    if group is None:
        out = [data_row(i, 0) for i in range(len(data))]
    else:
        order: dict[object, list[int]] = {}
        for i, values in enumerate(data):
            order.setdefault(values[group.key], []).append(i)
        for n, (key, members) in enumerate(order.items(), 1):
            name = str(data[members[0]][group.label])
            label = group.format.format(n=chinese_numeral(n), name=name)
            if group.collapse_single and len(members) == 1 and data[members[0]].get(table.label_column) == name:
                only = data_row(members[0], 0)
                out.append(RenderRow("data", {**only.values, table.label_column: label}, 0, only.index, only.row_id))
                continue
            sub = RenderRow("subtotal", summarize(table, [data[i] for i in members], label), 0, None, str(key))
            details = [data_row(i, group.indent) for i in members]
            out.extend([sub, *details] if group.position == "before" else [*details, sub])
    total = RenderRow("total", summarize(table, data, total_label)) if table.total else None
    return BuiltTable(table, data, out, total)


def _cover_rows(defs: ReportDefs, built: Sequence[BuiltTable]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for b in built:
        t = b.table
        total = b.total.values if b.total else {}
        items = [t.column(k).name for k in (t.cover_amount, t.cover_count) if k]
        rows.append({
            "no": t.id, "title": t.title, "rows": len(b.data), "item": "；".join(items),
            "amount": total.get(t.cover_amount) if t.cover_amount else None,
            "count": total.get(t.cover_count) if t.cover_count else None,
        })  # fmt: skip
    return rows


def sections(defs: ReportDefs, package: PackageData) -> list[Section]:
    """The cover and the nine tables, in order, ready for any renderer — worded as the month was (`worded`)."""
    defs = worded(defs, package.wording)
    fields = package.fields()
    texts = defs.texts
    footer = tuple(line.format(**fields) for line in texts.footer)
    bureau, month = texts.bureau_line.format(**fields), texts.month_line.format(**fields)
    built: list[BuiltTable] = []
    out: list[Section] = []
    for t in defs.tables:
        if t.source not in package.rows:
            raise ReportDataError(f"{t.id} {t.title}：缺少数据源 {t.source}")
        b = build(t, package.rows[t.source], texts.total_label)
        built.append(b)
        unit = texts.unit_line.format(unit=t.unit) if t.unit else ""
        out.append(Section(t.id, f"{t.id}　{t.title}", (texts.period_line.format(**fields),), (bureau, month, unit),
                           b, footer, texts.continued.format(id=t.id, title=t.title)))  # fmt: skip
    version_text = (texts.version_label if package.version == 1 else texts.corrected_label).format(**fields)
    signed_text = texts.signed_line.format(**fields) if package.signed else texts.preview_mark
    lines = tuple(line.format(**fields, version_text=version_text, signed_text=signed_text) for line in defs.cover_lines)
    cover = build(defs.cover, _cover_rows(defs, built), texts.total_label)
    unit = texts.unit_line.format(unit="元")
    first = Section(defs.cover_sheet, defs.name, lines, (bureau, month, unit), cover, footer, defs.name)
    return [first, *out]
