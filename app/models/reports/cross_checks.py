"""表间勾稽关系: the seven cross-table checks of REPORTS.md and three on the columns issue 18 added (8–10),
a pure function over PackageData.

Each result names the rows involved, so the 月报 tab can show where the tables disagree; any
failure blocks sign-off. The checks read the same resolved rows the renderers print (layout.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.models.reports import definitions, layout
from app.models.reports.definitions import ReportDefs
from app.models.reports.layout import BuiltTable, ReportDataError
from app.models.reports.package_data import PackageData
from app.models.values import money

UPPER_LEVELS = {"county": ("cum_central", "cum_region", "cum_prefecture"), "prefecture": ("cum_central", "cum_region")}
"""表1 累计到位 columns of the levels above the bureau (check 6)."""


@dataclass(frozen=True)
class RowRef:
    table: str
    row: int | None  # 1-based row of the row source; None for the 合计 row
    label: str = ""

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.table} 合计行"
        return f"{self.table} 第 {self.row} 行" + (f"（{self.label}）" if self.label else "")


@dataclass(frozen=True)
class CheckResult:
    no: int
    name: str
    ok: bool
    rows_involved: tuple[RowRef, ...]
    detail: str


class _Failed(Exception):
    def __init__(self, detail: str, rows: tuple[RowRef, ...] = ()) -> None:
        super().__init__(detail)
        self.detail, self.rows = detail, rows


def _yuan(fen: int) -> str:
    return f"{money.format(fen)} 元"


class _Tables:
    def __init__(self, defs: ReportDefs, package: PackageData) -> None:
        self.defs, self.package = defs, package
        self._built: dict[str, BuiltTable] = {}

    def get(self, table_id: str, *keys: str) -> BuiltTable:
        if table_id not in self._built:
            try:
                table = self.defs.table(table_id)
            except KeyError:
                raise _Failed(f"报表定义中没有 {table_id}") from None
            if table.source not in self.package.rows:
                raise _Failed(f"{table_id} 缺少数据源 {table.source}")
            self._built[table_id] = layout.build(table, self.package.rows[table.source], self.defs.texts.total_label)
        built = self._built[table_id]
        names = {c.key for c in built.table.columns}
        missing = [k for k in keys if k not in names and not all(k in row for row in built.data)]
        if missing:
            raise _Failed(f"{table_id} 的报表定义中没有列 {'、'.join(missing)}，无法核对")
        return built

    def total(self, table_id: str, key: str) -> int:
        built = self.get(table_id, key)
        value = built.total.values.get(key) if built.total else sum(_int(r.get(key)) for r in built.data)
        return _int(value)

    def ref(self, table_id: str, index: int) -> RowRef:
        built = self._built[table_id]
        return RowRef(table_id, index + 1, str(built.data[index].get(built.table.label_column) or ""))

    def column(self, table_id: str, key: str) -> str:
        return self.defs.table(table_id).column(key).name


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _by_id(t: _Tables, table_id: str, key: str) -> dict[str, int]:
    built = t.get(table_id)
    return {str(row.get(key)): i for i, row in enumerate(built.data)}


def _check1(t: _Tables) -> str:
    a, b = t.total("表1", "cum_total"), t.total("表3", "income_cum")
    if a == b:
        return f"均为 {_yuan(a)}"
    t1, t3 = _by_id(t, "表1", "item_code"), _by_id(t, "表3", "item_code")
    rows = [RowRef("表1", None), RowRef("表3", None)]
    for code in sorted(set(t1) | set(t3)):
        x = _int(t.get("表1").data[t1[code]].get("cum_total")) if code in t1 else None
        y = _int(t.get("表3").data[t3[code]].get("income_cum")) if code in t3 else None
        if x != y:
            rows += [t.ref("表1", t1[code])] if code in t1 else []
            rows += [t.ref("表3", t3[code])] if code in t3 else []
    raise _Failed(f"表1 累计到位小计合计 {_yuan(a)}，表3 累计收入合计 {_yuan(b)}，相差 {_yuan(a - b)}", tuple(rows))


def _check2(t: _Tables) -> str:
    built = t.get("表3", "opening", "income_cum", "spend_cum", "closing")
    bad = []
    for i, r in enumerate(built.data):
        expected = _int(r.get("opening")) + _int(r.get("income_cum")) - _int(r.get("spend_cum"))
        if _int(r.get("closing")) != expected:
            bad.append((i, expected, _int(r.get("closing"))))
    if not bad:
        return f"{len(built.data)} 行均相符"
    i, want, have = bad[0]
    detail = f"{len(bad)} 行不符；如 {t.ref('表3', i)}：期末结余 {_yuan(have)}，年初结余+累计收入−累计支出 = {_yuan(want)}"
    raise _Failed(detail, tuple(t.ref("表3", i) for i, _, _ in bad))


def _check3(t: _Tables) -> str:
    a, b = t.total("表3", "spend_month"), t.total("表5", "paid_month")
    if a == b:
        return f"均为 {_yuan(a)}"
    raise _Failed(f"表3 本月支出合计 {_yuan(a)}，表5 本月支付金额合计 {_yuan(b)}，相差 {_yuan(a - b)}",
                  (RowRef("表3", None), RowRef("表5", None)))  # fmt: skip


def _check4(t: _Tables) -> str:
    t3 = t.get("表3", "opening", "income_cum", "spend_cum")
    t4 = t.get("表4", "spent_cum", "available")
    ids3, ids4 = _by_id(t, "表3", "item_code"), _by_id(t, "表4", "item_code")
    rows: list[RowRef] = []
    notes: list[str] = []
    for code in sorted(set(ids3) | set(ids4)):
        if code not in ids3 or code not in ids4:
            table, index = ("表4", ids4[code]) if code in ids4 else ("表3", ids3[code])
            rows.append(t.ref(table, index))
            notes.append(f"资金项目 {code} 只在{table}中")
            continue
        r3, r4 = t3.data[ids3[code]], t4.data[ids4[code]]
        spent3, spent4 = _int(r3.get("spend_cum")), _int(r4.get("spent_cum"))
        avail3 = _int(r3.get("opening")) + _int(r3.get("income_cum"))
        avail4 = _int(r4.get("available"))
        if spent3 != spent4 or avail3 != avail4:
            rows += [t.ref("表4", ids4[code]), t.ref("表3", ids3[code])]
            what = [f"累计支出 {_yuan(spent4)} ≠ {_yuan(spent3)}"] if spent3 != spent4 else []
            what += [f"可支出资金 {_yuan(avail4)} ≠ 年初结余+累计收入 {_yuan(avail3)}"] if avail3 != avail4 else []
            notes.append(f"{code}：{'，'.join(what)}")
    if not rows:
        return f"{len(ids4)} 个资金项目均相符"
    raise _Failed("；".join(notes[:5]) + (f"……共 {len(notes)} 处" if len(notes) > 5 else ""), tuple(rows))


def _check5(t: _Tables) -> str:
    built = t.get("表7", "new_month", "code")
    p = t.package
    detected = Counter(w.code for w in p.warnings if p.period_start <= w.detected_on <= p.period_end)
    total = t.total("表7", "new_month")
    rows = [t.ref("表7", i) for i, r in enumerate(built.data) if _int(r.get("new_month")) != detected.get(str(r.get("code")), 0)]
    if total == sum(detected.values()) and not rows:
        return f"均为 {total} 条"
    listed = {str(r.get("code")) for r in built.data}
    missing = sorted(code for code in detected if code not in listed)
    extra = f"；表7 中没有预警类型 {'、'.join(missing)}" if missing else ""
    detail = f"表7 本月新增合计 {total} 条，统计期内首次发现的预警 {sum(detected.values())} 条{extra}"
    raise _Failed(detail, (RowRef("表7", None), *rows))


def _check6(t: _Tables) -> str:
    keys = UPPER_LEVELS[t.package.bureau_level]
    t.get("表1", *keys)
    upper = sum(t.total("表1", k) for k in keys)
    amount = t.total("表2", "amount")
    names = "+".join(t.column("表1", k) for k in keys)
    if upper == amount:
        return f"均为 {_yuan(amount)}"
    raise _Failed(f"表2 金额合计 {_yuan(amount)}，表1 {names} 合计 {_yuan(upper)}，相差 {_yuan(amount - upper)}",
                  (RowRef("表2", None), RowRef("表1", None)))  # fmt: skip


def _check7(t: _Tables) -> str:
    t9 = t.get("表9")
    t7 = t.get("表7", "cum_count", "code")
    p = t.package
    known = {w.id: w for w in p.warnings if w.detected_on <= p.period_end}
    counted = {str(r.get("code")): _int(r.get("cum_count")) for r in t7.data}
    rows: list[RowRef] = []
    notes: list[str] = []
    referenced: Counter[str] = Counter()
    for i, r in enumerate(t9.data):
        wid = r.get("warning_id")
        if wid is None:
            continue
        warning = known.get(wid) if isinstance(wid, int) else None
        if warning is None:
            rows.append(t.ref("表9", i))
            notes.append(f"{t.ref('表9', i)} 引用的预警 {wid} 不在本期预警记录中")
        elif counted.get(warning.code, 0) < 1:
            rows.append(t.ref("表9", i))
            notes.append(f"{t.ref('表9', i)} 引用的预警 {wid}（{warning.code}）未计入表7 累计预警")
        else:
            referenced[warning.code] += 1
    over = [code for code, n in referenced.items() if n > counted.get(code, 0)]
    for code in over:
        notes.append(f"表9 引用 {code} 预警 {referenced[code]} 条，多于表7 累计预警 {counted[code]} 条")
    if not notes:
        return f"表9 中来自预警的 {sum(referenced.values())} 行均已计入表7"
    raise _Failed("；".join(notes[:5]) + (f"……共 {len(notes)} 处" if len(notes) > 5 else ""), tuple(rows))


def _check8(t: _Tables) -> str:
    """表4's 上年结转/当年 split against 表3, and the idle money within what is left."""
    t3 = t.get("表3", "opening", "income_cum", "spend_cum", "closing")
    t4 = t.get("表4", "carry_available", "carry_spent", "current_available", "current_spent", "idle_1y", "idle_2y")
    ids3, ids4 = _by_id(t, "表3", "item_code"), _by_id(t, "表4", "item_code")
    rows: list[RowRef] = []
    notes: list[str] = []
    for code, i in ids4.items():
        r4 = t4.data[i]
        r3 = t3.data[ids3[code]] if code in ids3 else {}
        v = {k: _int(r4.get(k)) for k in ("carry_available", "carry_spent", "current_available", "current_spent",
                                          "idle_1y", "idle_2y")}
        what = []
        if v["carry_available"] != _int(r3.get("opening")):
            what.append(f"上年结转 {_yuan(v['carry_available'])} ≠ 表3 年初结余 {_yuan(_int(r3.get('opening')))}")
        if v["current_available"] != _int(r3.get("income_cum")):
            what.append(f"当年到位 {_yuan(v['current_available'])} ≠ 表3 累计收入 {_yuan(_int(r3.get('income_cum')))}")
        if v["carry_spent"] + v["current_spent"] != _int(r3.get("spend_cum")):
            what.append(f"结转已支出+当年已支出 {_yuan(v['carry_spent'] + v['current_spent'])} ≠ 表3 累计支出 "
                        f"{_yuan(_int(r3.get('spend_cum')))}")
        if not 0 <= v["idle_2y"] <= v["idle_1y"] <= max(_int(r3.get("closing")), 0):
            what.append(f"闲置资金（1年以上 {_yuan(v['idle_1y'])}，2年以上 {_yuan(v['idle_2y'])}）不在 0 与表3 期末结余之间")
        if what:
            rows += [t.ref("表4", i)] + ([t.ref("表3", ids3[code])] if code in ids3 else [])
            notes.append(f"{code}：{'，'.join(what)}")
    if not rows:
        return f"{len(ids4)} 个资金项目的上年结转与当年资金均相符"
    raise _Failed("；".join(notes[:5]) + (f"……共 {len(notes)} 处" if len(notes) > 5 else ""), tuple(rows))


def _check9(t: _Tables) -> str:
    """表7 by when problems arose: the month's are within the year's, and so are those found after the period."""
    built = t.get("表7", "arose_month", "arose_cum", "found_later", "code")
    bad = [i for i, r in enumerate(built.data)
           if not (0 <= _int(r.get("arose_month")) <= _int(r.get("arose_cum"))
                   and 0 <= _int(r.get("found_later")) <= _int(r.get("arose_cum")))]
    if not bad:
        return f"本月发生 {t.total('表7', 'arose_month')} 条，累计发生 {t.total('表7', 'arose_cum')} 条"
    raise _Failed(f"{len(bad)} 行的本月发生或期末后发现多于累计发生；如 {t.ref('表7', bad[0])}",
                  tuple(t.ref("表7", i) for i in bad))


def _check10(t: _Tables) -> str:
    """表9: a row flagged 逾期 has a 整改时限 before the period end (a flag the data cannot carry is a forged one)."""
    built = t.get("表9", "deadline", "flag")
    end = t.package.period_end
    bad = [i for i, r in enumerate(built.data)
           if r.get("flag") and not (r.get("deadline") is not None and r.get("deadline") < end)]  # type: ignore[operator]
    flagged = sum(1 for r in built.data if r.get("flag"))
    if not bad:
        return f"{flagged} 个问题逾期未整改，均已过整改时限"
    raise _Failed(f"{len(bad)} 行标为逾期，整改时限却不早于统计期末；如 {t.ref('表9', bad[0])}",
                  tuple(t.ref("表9", i) for i in bad))


CHECKS: tuple[tuple[int, str, Callable[[_Tables], str]], ...] = (
    (1, "表1 累计到位小计合计 = 表3 累计收入合计", _check1),
    (2, "表3 每行：期末结余 = 年初结余 + 累计收入 − 累计支出", _check2),
    (3, "表3 本月支出合计 = 表5 本月支付金额合计", _check3),
    (4, "表4 每个资金项目：累计支出 = 表3 累计支出，可支出资金 = 表3 年初结余 + 累计收入", _check4),
    (5, "表7 本月新增合计 = 统计期内首次发现的预警数", _check5),
    (6, "表2 金额合计 = 表1 上级（中央+自治区+地州）累计到位合计", _check6),
    (7, "表9 中来自预警的问题均已计入表7", _check7),
    (8, "表4 每个资金项目：上年结转 = 表3 年初结余，当年到位 = 表3 累计收入，结转已支出 + 当年已支出 = 表3 累计支出，"
        "闲置资金不超过表3 期末结余", _check8),
    (9, "表7 每行：按发生时间的本月发生、期末后发现均不超过累计发生", _check9),
    (10, "表9 标为逾期未整改的问题均已过整改时限", _check10),
)


def cross_checks(package: PackageData, *, defs: ReportDefs | None = None) -> list[CheckResult]:
    """Run checks 1–10; a check that cannot run (bad data, missing column) fails with the reason."""
    tables = _Tables(definitions.worded(defs or definitions.load(), package.wording), package)
    results: list[CheckResult] = []
    for no, name, check in CHECKS:
        if no == 6 and package.bureau_level == "prefecture":
            name = name.replace("中央+自治区+地州", "中央+自治区")
        try:
            results.append(CheckResult(no, name, True, (), check(tables)))
        except _Failed as failed:
            results.append(CheckResult(no, name, False, failed.rows, failed.detail))
        except ReportDataError as exc:
            results.append(CheckResult(no, name, False, (), f"数据有误，无法核对：{exc}"))
    return results


def all_passed(results: Mapping[int, CheckResult] | list[CheckResult]) -> bool:
    values = results.values() if isinstance(results, Mapping) else results
    return all(r.ok for r in values)
