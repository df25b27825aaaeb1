"""The cross-table checks of REPORTS.md (1–7) run again at the receiving level, on the tables as read from the
received workbook — without the sender's database.

Checks 1–4 and 6 are the same relations as at sign-off, with rows matched by their printed group and name
(the workbook does not print internal codes). Checks 5 and 7 at sign-off compare with the warning records,
which a package does not carry; here they compare what the workbook does print: 表7 本月新增 per type against
the 表9 problems of that type first found within the period (5), and 表9 problems per type against 表7
累计预警 (7). Check 0 comes first: every 合计 row equals the sum of its table's rows (a 合计 typed in by hand).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.models.reports.definitions import ReportDefs
from app.models.values import money

_NUMBERED = re.compile(r"^[一二三四五六七八九十]+、")
UPPER = {"county": ("cum_central", "cum_region", "cum_prefecture"),
         "prefecture": ("cum_central", "cum_region", "cum_prefecture"),  # a sum of county reports
         "region": ("cum_central", "cum_region", "cum_prefecture")}


@dataclass(frozen=True)
class Result:
    no: int
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"no": self.no, "name": self.name, "ok": self.ok, "detail": self.detail}


class _Fail(Exception):
    pass


def _y(fen: int) -> str:
    return f"{money.format(fen)} 元"


def _i(v: object) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


class _T:
    def __init__(self, tables: dict[str, Any], defs: ReportDefs) -> None:
        self.tables, self.defs = tables, defs

    def data(self, tid: str) -> list[dict[str, Any]]:
        return [r for r in self.tables[tid]["rows"] if r["kind"] == "data"]

    def total(self, tid: str, key: str) -> int:
        return sum(_i(r["values"].get(key)) for r in self.data(tid))

    def keyed(self, tid: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r["group"], _NUMBERED.sub("", r["label"])): r["values"] for r in self.data(tid)}


def _name(key: tuple[str, str]) -> str:
    return f"{key[0]} / {key[1]}" if key[0] else key[1]


def _c0(t: _T) -> str:
    bad = []
    for table in t.defs.tables:
        got = t.tables[table.id]
        if got["total"] is None:
            continue
        for col in table.columns:
            if col.total != "sum" or col.type not in ("money", "int"):
                continue
            want = t.total(table.id, col.key)
            have = _i(got["total"].get(col.key))
            if want != have:
                shown = _y if col.type == "money" else str
                bad.append(f"{table.id} 合计行 {col.name} 为 {shown(have)}，各行相加为 {shown(want)}")
    if bad:
        raise _Fail("；".join(bad[:4]) + (f"……共 {len(bad)} 处" if len(bad) > 4 else ""))
    return "各表合计行均等于各行之和"


def _c1(t: _T) -> str:
    a, b = t.total("表1", "cum_total"), t.total("表3", "income_cum")
    if a != b:
        raise _Fail(f"表1 累计到位小计合计 {_y(a)}，表3 累计收入合计 {_y(b)}，相差 {_y(a - b)}")
    return f"均为 {_y(a)}"


def _c2(t: _T) -> str:
    bad = []
    for r in t.data("表3"):
        v = r["values"]
        want = _i(v.get("opening")) + _i(v.get("income_cum")) - _i(v.get("spend_cum"))
        if _i(v.get("closing")) != want:
            bad.append(f"“{_name((r['group'], r['label']))}”期末结余 {_y(_i(v.get('closing')))}，"
                       f"年初结余+累计收入−累计支出 = {_y(want)}")
    if bad:
        raise _Fail(f"{len(bad)} 行不符；如 " + bad[0])
    return f"{len(t.data('表3'))} 行均相符"


def _c3(t: _T) -> str:
    a, b = t.total("表3", "spend_month"), t.total("表5", "paid_month")
    if a != b:
        raise _Fail(f"表3 本月支出合计 {_y(a)}，表5 本月支付金额合计 {_y(b)}，相差 {_y(a - b)}")
    return f"均为 {_y(a)}"


def _c4(t: _T) -> str:
    t3, t4 = t.keyed("表3"), t.keyed("表4")
    notes = []
    for key in sorted(set(t3) | set(t4)):
        if key not in t3 or key not in t4:
            notes.append(f"“{_name(key)}”只在{'表4' if key in t4 else '表3'}中")
            continue
        r3, r4 = t3[key], t4[key]
        if _i(r3.get("spend_cum")) != _i(r4.get("spent_cum")):
            notes.append(f"“{_name(key)}”累计支出 {_y(_i(r4.get('spent_cum')))} ≠ {_y(_i(r3.get('spend_cum')))}")
        avail = _i(r3.get("opening")) + _i(r3.get("income_cum"))
        if _i(r4.get("available")) != avail:
            notes.append(f"“{_name(key)}”可支出资金 {_y(_i(r4.get('available')))} ≠ 年初结余+累计收入 {_y(avail)}")
    if notes:
        raise _Fail("；".join(notes[:5]) + (f"……共 {len(notes)} 处" if len(notes) > 5 else ""))
    return f"{len(t4)} 个资金项目均相符"


def _period(t: _T) -> tuple[str, str]:
    return t.tables.get("_period", ("0000-00-00", "9999-99-99"))  # type: ignore[no-any-return]


def _c5(t: _T) -> str:
    start, end = _period(t)
    t7 = t.data("表7")
    new = {str(r["values"].get("name") or ""): _i(r["values"].get("new_month")) for r in t7}
    found = Counter(str(r["values"].get("problem_type") or "") for r in t.data("表9")
                    if start <= str(r["values"].get("found_on") or "") <= end)
    notes = [f"表9 中统计期内发现的“{name}”问题 {n} 条，多于表7 本月新增 {new[name]} 条"
             for name, n in sorted(found.items()) if name in new and n > new[name]]
    if notes:
        raise _Fail("；".join(notes))
    return f"表7 本月新增合计 {sum(new.values())} 条，与表9 相符"


def _c6(t: _T, level: str) -> str:
    keys = UPPER.get(level, UPPER["county"])
    upper = sum(t.total("表1", k) for k in keys)
    amount = t.total("表2", "amount")
    if upper != amount:
        raise _Fail(f"表2 金额合计 {_y(amount)}，表1 上级累计到位合计 {_y(upper)}，相差 {_y(amount - upper)}")
    return f"均为 {_y(amount)}"


def _c7(t: _T) -> str:
    counted = {str(r["values"].get("name") or ""): _i(r["values"].get("cum_count")) for r in t.data("表7")}
    found = Counter(str(r["values"].get("problem_type") or "") for r in t.data("表9"))
    notes = [f"表9 中“{name}”问题 {n} 条，多于表7 累计预警 {counted[name]} 条"
             for name, n in sorted(found.items()) if name in counted and n > counted[name]]
    if notes:
        raise _Fail("；".join(notes))
    return f"表9 中来自预警的 {sum(n for name, n in found.items() if name in counted)} 行均已计入表7"


CHECKS: tuple[tuple[int, str, Callable[[_T, str], str]], ...] = (
    (0, "各表合计行 = 各行之和", lambda t, _l: _c0(t)),
    (1, "表1 累计到位小计合计 = 表3 累计收入合计", lambda t, _l: _c1(t)),
    (2, "表3 每行：期末结余 = 年初结余 + 累计收入 − 累计支出", lambda t, _l: _c2(t)),
    (3, "表3 本月支出合计 = 表5 本月支付金额合计", lambda t, _l: _c3(t)),
    (4, "表4 每个资金项目：累计支出 = 表3 累计支出，可支出资金 = 表3 年初结余 + 累计收入", lambda t, _l: _c4(t)),
    (5, "表7 本月新增不少于表9 中统计期内发现的同类问题", lambda t, _l: _c5(t)),
    (6, "表2 金额合计 = 表1 上级（中央+自治区+地州）累计到位合计", _c6),
    (7, "表9 中来自预警的问题均已计入表7", lambda t, _l: _c7(t)),
)


def run(tables: dict[str, Any], defs: ReportDefs, *, level: str, period: tuple[str, str]) -> list[Result]:
    """Checks 0–7 over tables read from a workbook (see tables.read_workbook)."""
    t = _T({**tables, "_period": period}, defs)
    out = []
    for no, name, check in CHECKS:
        try:
            out.append(Result(no, name, True, check(t, level)))
        except _Fail as exc:
            out.append(Result(no, name, False, str(exc)))
        except (KeyError, TypeError, ValueError) as exc:
            out.append(Result(no, name, False, f"无法核对（{exc}）"))
    return out
