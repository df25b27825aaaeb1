"""What a notice is about, read for publishing: indicators (allocation results), projects (plan and fund
use) and real-name payments — their labels, places, and the public (masked) content of each.

Nothing here returns a full ID number, a bank account, a phone or an address: whatever leaves this
module may be printed on a village board (DOMAIN §2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.models.store.book import Book
from app.models.values import ids
from app.models.values.errors import ValidationError
from app.models.values.money import format as fmt

# The rule set's notice kinds and the object each is about (the mechanism; names come from the rules).
KIND_OBJECT = {"allocation": "indicator", "project_plan": "project", "fund_use": "project", "real_name": "payment"}
OBJECT_NAMES = {"indicator": "指标（资金分配结果）", "project": "项目", "payment": "支付（实名制发放）"}
# Content fields the notice record holds in its own columns rather than in `content`.
COLUMN_FIELDS = {"监督举报电话": "phones", "公告单位": "publisher", "公告日期": "start_date"}
PROJECT_KINDS = ("project_plan", "fund_use")
FIELD = "公示对象"


@dataclass(frozen=True)
class ObjectInfo:
    """One publishable object: enough to name it, place it and size it."""

    object_type: str
    object_id: int
    label: str
    township: str
    village: str
    year: int
    amount: int  # 分: the indicator's allocated amount, the project's funds, the payment
    project_id: int | None
    section: str = ""
    name: str = ""  # short name for titles: the indicator's title, the project's name

    @property
    def place(self) -> str:
        return self.township + self.village


# Each object type's rows: the FROM clause (an object whose joined rows are gone does not read) and its columns.
_FROM = {
    "indicator": "FROM indicators i JOIN fund_items it ON it.code = i.item WHERE i.id IN ({ids})",
    "project": "FROM projects p WHERE p.id IN ({ids})",
    "payment": "FROM payments y JOIN projects p ON p.id = y.project_id WHERE y.id IN ({ids})",
}
_ID = {"indicator": "i.id", "project": "p.id", "payment": "y.id"}
_COLUMNS = {
    "indicator": "i.id, i.doc_no, i.title, i.year, i.section, it.name AS item_name, "
                 "(SELECT coalesce(sum(f.amount), 0) FROM project_funding f JOIN projects p ON p.id = f.project_id "
                 "WHERE f.indicator_id = i.id AND p.decision_id IS NOT NULL) AS planned",
    "project": "p.id, p.code, p.name, p.township, p.village, p.year, "
               "(SELECT coalesce(sum(f.amount), 0) FROM project_funding f WHERE f.project_id = p.id) AS total",
    "payment": "y.id, y.request_no, y.amount, y.kind, y.pay_date, y.draft_date, p.id AS project_id, p.code, "
               "p.name, p.township, p.village, p.year",
}
_SELECT = {t: f"SELECT {_COLUMNS[t]} {_FROM[t]}" for t in _FROM}


def _make(book: Book, object_type: str, r: Any) -> ObjectInfo:
    if object_type == "indicator":
        return ObjectInfo("indicator", r["id"], f"{r['doc_no']} {r['title'] or r['item_name']}".strip(), "", "",
                          r["year"], int(r["planned"]), None, r["section"], r["title"] or r["item_name"])
    if object_type == "project":
        return ObjectInfo("project", r["id"], f"{r['code']} {r['name']}", r["township"], r["village"], r["year"],
                          int(r["total"]), r["id"], "", r["name"])
    kind = _payment_kind_name(book, r["kind"])
    return ObjectInfo("payment", r["id"], f"{r['request_no']} {r['name']} {kind}", r["township"], r["village"],
                      int((r["pay_date"] or r["draft_date"])[:4]), int(r["amount"]), r["project_id"], "",
                      f"{r['name']}{kind}")


def infos(book: Book, object_type: str, object_ids: Iterable[int]) -> dict[int, ObjectInfo]:
    """Many objects of one type at once (a few queries, not one per object); missing ones are left out."""
    if object_type not in _SELECT:
        return {}
    wanted = sorted(set(object_ids))
    out: dict[int, ObjectInfo] = {}
    for at in range(0, len(wanted), 500):
        chunk = wanted[at: at + 500]
        sql = _SELECT[object_type].format(ids=",".join("?" * len(chunk)))
        for r in book.conn.execute(sql, chunk):
            out[int(r["id"])] = _make(book, object_type, r)
    return out


def existing(book: Book, object_type: str, object_ids: Iterable[int]) -> set[int]:
    """The ids among `object_ids` that `infos` would return (the same rows, nothing read but the ids)."""
    if object_type not in _FROM:
        return set()
    wanted = sorted(set(object_ids))
    out: set[int] = set()
    for at in range(0, len(wanted), 500):
        chunk = wanted[at: at + 500]
        sql = f"SELECT {_ID[object_type]} {_FROM[object_type]}".format(ids=",".join("?" * len(chunk)))
        out.update(int(r[0]) for r in book.conn.execute(sql, chunk))
    return out


def info(book: Book, object_type: str, object_id: int) -> ObjectInfo | None:
    """The object, or None when there is no such row."""
    return infos(book, object_type, [object_id]).get(object_id)


def kind_object(book: Book, kind: str, year: int | None = None) -> str | None:
    """What a notice of `kind` is about: the object of the rule set's publishing duties of that kind ([[duties]],
    issue #17; the rule set of `year`, default the current one), else the program's own four kinds; None: unknown."""
    rules = book.rules if year is None else book.rules_for(year)
    return next((d.object for d in rules.duties if d.kind == kind), None) or KIND_OBJECT.get(kind)


def is_project_kind(book: Book, kind: str, year: int | None = None) -> bool:
    """Whether a notice of `kind` is a project notice (carries the project-notice fields)."""
    return kind in PROJECT_KINDS or kind_object(book, kind, year) == "project"


def require(book: Book, kind: str, object_type: str, object_id: object) -> ObjectInfo:
    """The object a notice of `kind` is about; refuses a wrong type or a missing object (nothing written)."""
    want = kind_object(book, kind)
    if want is None:
        raise ValidationError(f"本程序不支持公示类别“{kind}”", field="公示类别")
    if object_type != want:
        raise ValidationError(f"“{kind_name(book, kind)}”的公示对象应为{OBJECT_NAMES[want]}", field=FIELD)
    if isinstance(object_id, bool) or not isinstance(object_id, int) or object_id < 1:
        raise ValidationError(f"请选择{OBJECT_NAMES[want]}", field=FIELD)
    found = info(book, object_type, object_id)
    if found is None:
        raise ValidationError(f"{OBJECT_NAMES[want]} #{object_id} 不存在", field=FIELD)
    if kind == "real_name" and not book.conn.execute(
            "SELECT 1 FROM real_name_lists WHERE payment_id = ?", (object_id,)).fetchone():
        raise ValidationError(f"支付 {found.label} 没有实名制发放名册，不能作实名制公示", field=FIELD)
    return found


def _entry_name(entries: tuple[Any, ...], code: str) -> str:
    return next((str(e.name) for e in entries if e.code == code), code)


def kind_name(book: Book, code: str) -> str:
    return _entry_name(book.rules.notices.kinds, code)


def level_name(book: Book, code: str) -> str:
    return _entry_name(book.rules.notices.levels, code)


def place_name(book: Book, code: str) -> str:
    return _entry_name(book.rules.notices.places, code)


def _payment_kind_name(book: Book, code: str) -> str:
    return _entry_name(book.rules.payment.kinds, code)


def bureau(book: Book) -> tuple[str, str, str]:
    """(name, phone, id_mask) of the bureau."""
    r = book.conn.execute("SELECT name, phone, id_mask FROM bureau WHERE id = 1").fetchone()
    return (str(r["name"]), str(r["phone"]), str(r["id_mask"])) if r else ("", "", "partial")


def default_phones(book: Book) -> str:
    """The national 12317 (rule set) and the county's own line (基础设置), as printed on a notice."""
    phone = bureau(book)[1]
    rules = book.rules  # a notice written now: this year's name and number
    national = rules.notices.supervision_phone
    return f"{rules.labels.hotline_name} {national}" + (f"；本县监督举报电话 {phone}" if phone else "")


def default_publisher(book: Book, level: str, obj: ObjectInfo) -> str:
    """谁分配、谁使用、谁公开: the bureau at county level, the township government, the village committee."""
    if level == "township" and obj.township:
        return f"{obj.township}人民政府"
    if level == "village" and obj.village:
        return f"{obj.township}{obj.village}村民委员会"
    return bureau(book)[0]


def default_location(book: Book, level: str, place: str, obj: ObjectInfo) -> str:
    if place == "website":
        return f"{bureau(book)[0]}门户网站“政务公开—扶贫资金”栏目"
    where = {"township": f"{obj.township}人民政府", "village": f"{obj.township}{obj.village}村委会"}.get(level, "")
    if place == "site":
        return f"项目实施地点（{obj.place}）"
    return f"{where}公示栏" if where else "公示栏"


# -- public content ----------------------------------------------------------------------------------


def _level_prefix(level: str, item_name: str) -> str:
    """The level before the fund item's name, unless the name already says it (中央预算内投资 is not
    中央中央预算内投资; 自治区农业发展专项资金 drawn at the region level is not 自治区自治区…)."""
    return "" if item_name.startswith(level) else level


def funding_text(book: Book, project_id: int) -> str:
    """资金来源及规模: each indicator's 文号, fund item and level, and the amount, then the total."""
    rows = book.conn.execute(
        "SELECT i.doc_no, it.name AS item_name, i.source_level, f.amount FROM project_funding f "
        "JOIN indicators i ON i.id = f.indicator_id JOIN fund_items it ON it.code = i.item "
        "WHERE f.project_id = ? ORDER BY f.id", (project_id,)).fetchall()
    levels = {s.code: s.name for s in book.rules.source_levels}
    parts = [f"{_level_prefix(levels.get(r['source_level'], r['source_level']), r['item_name'])}{r['item_name']}"
             f"（{r['doc_no']}）{fmt(r['amount'])} 元" for r in rows]
    total = sum(int(r["amount"]) for r in rows)
    return ("；".join(parts) + f"；合计 {fmt(total)} 元") if parts else ""


def project_fields(book: Book, project_id: int, year: int | None = None) -> dict[str, str]:
    """The project-notice fields the data can fill (notices.project_notice_fields of the rule set of `year`, the
    year the notice is posted; default the current one), in order."""
    r = book.conn.execute("SELECT * FROM projects WHERE id = ?", (project_id,)).fetchone()
    if r is None:
        return {}
    known = {
        "项目名称": r["name"],
        "实施地点": r["township"] + r["village"],
        "建设任务": r["content"],
        "补助标准": r["subsidy_standard"],
        "资金来源及规模": funding_text(book, project_id),
        "实施期限": f"{r['start_date']} 至 {r['end_date']}",
        "实施单位及责任人": f"{r['implementer']}，责任人：{r['responsible']}",
        "绩效目标": r["perf_goals"],
        "带贫减贫机制": r["mechanism"],
    }
    benefit = ""
    if r["households"] or r["persons"]:
        benefit = f"受益 {r['households']} 户 {r['persons']} 人，其中脱贫户（监测户）{r['poor_households']} 户 {r['poor_persons']} 人"
    if benefit and known["带贫减贫机制"]:
        known["带贫减贫机制"] = f"{known['带贫减贫机制']}（{benefit}）"
    elif benefit:
        known["带贫减贫机制"] = benefit
    known["联农带农机制"] = known["带贫减贫机制"]  # the 衔接资金 period's name for the same field (xj-2021)
    fields = content_fields(book, year)
    return {name: str(known.get(name, "") or "") for name in fields}


def project_extra_fields(book: Book, kind: str, project_id: int, *, on: dt.date | None = None) -> dict[str, str]:
    """The fields the rule set adds to a project notice of `kind` (issue #18), filled from the data:
    审批文号 — the leading-group decisions that approved (and adjusted) the plan; 验收结果 — the project's status;
    绩效目标完成情况 — each goal's target and the latest value monitored by `on`."""
    wanted = book.rules_on(on or book.today()).notice_order.extra_fields(kind)
    day = (on or book.today()).isoformat()
    known: dict[str, str] = {}
    if "审批文号" in wanted:
        rows = book.conn.execute(
            "SELECT d.doc_no, d.decision_date, v.change FROM plan_versions v JOIN plan_decisions d ON d.id = v.decision_id "
            "WHERE v.project_id = ? AND d.decision_date <= ? ORDER BY v.version", (project_id, day)).fetchall()
        known["审批文号"] = "；".join(f"{r['doc_no']}（{r['decision_date']} {'审定' if r['change'] == 'approve' else '调整'}）"
                                  for r in rows)
    if "验收结果" in wanted:
        status = book.conn.execute("SELECT status, year FROM projects WHERE id = ?", (project_id,)).fetchone()
        code = status[0] if status else ""
        stages = book.rules_for(int(status[1])).project_statuses if status else ()  # the project's own year's
        accepted = stages[-1].code if stages else ""
        name = _entry_name(stages, code)
        known["验收结果"] = "已验收" if code == accepted else f"{name}，尚未验收" if code else ""
    if "绩效目标完成情况" in wanted:
        rows = book.conn.execute(
            "SELECT g.name, g.comparator, g.target, g.unit, (SELECT a.actual FROM perf_actuals a WHERE a.goal_id = g.id "
            "AND a.period_end <= ? ORDER BY a.month DESC LIMIT 1) AS actual FROM perf_goals g WHERE g.project_id = ? "
            "AND g.set_on <= ? AND (g.removed_on IS NULL OR g.removed_on > ?) ORDER BY g.sort, g.id",
            (day, project_id, day, day)).fetchall()
        known["绩效目标完成情况"] = "；".join(
            f"{r['name']}：目标 {r['comparator']}{r['target']}{r['unit']}，"
            + (f"完成 {r['actual']}{r['unit']}" if r["actual"] else "尚无监控数据") for r in rows) or "未设定绩效目标"
    return {name: known.get(name, "") for name in wanted}


def content_fields(book: Book, year: int | None = None) -> tuple[str, ...]:
    """The required project-notice fields that live in the notice's content (phones, publisher, date do not), as
    the rule set of `year` (the year the notice is posted; default the current one) lists them."""
    rules = book.rules if year is None else book.rules_for(year)
    return tuple(f for f in rules.notices.project_notice_fields if f not in COLUMN_FIELDS)


def allocation_rows(book: Book, indicator_id: int) -> list[dict[str, Any]]:
    """Which approved projects an indicator pays, and how much (the allocation result)."""
    rows = book.conn.execute(
        "SELECT p.code, p.name, p.township, p.village, p.implementer, f.amount, d.doc_no AS decision_no "
        "FROM project_funding f JOIN projects p ON p.id = f.project_id LEFT JOIN plan_decisions d ON d.id = p.decision_id "
        "WHERE f.indicator_id = ? AND p.decision_id IS NOT NULL ORDER BY p.code", (indicator_id,)).fetchall()
    return [dict(r) for r in rows]


def indicator_facts(book: Book, indicator_id: int) -> dict[str, Any]:
    r = book.conn.execute(
        "SELECT i.doc_no, i.title, i.year, i.amount, i.received_date, i.source_level, k.name AS kind_name, "
        "it.name AS item_name FROM indicators i JOIN fund_kinds k ON k.code = i.kind "
        "JOIN fund_items it ON it.code = i.item WHERE i.id = ?", (indicator_id,)).fetchone()
    out = dict(r) if r else {}
    if out:
        out["source_level_name"] = _entry_name(book.rules.source_levels, out["source_level"])
    return out


def fund_use_rows(book: Book, project_id: int, *, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """The project's paid payments, payee by name only (no account); real-name ones say so."""
    rows = book.conn.execute(
        "SELECT y.pay_date, y.kind, y.amount, y.purpose, y.payee_id, e.name AS payee_name, "
        "(SELECT persons FROM real_name_lists l WHERE l.payment_id = y.id) AS persons "
        "FROM payments y LEFT JOIN payees e ON e.id = y.payee_id WHERE y.project_id = ? AND y.status = 'paid' "
        "AND (? IS NULL OR y.pay_date <= ?) ORDER BY y.pay_date, y.id",
        (project_id, as_of and as_of.isoformat(), as_of and as_of.isoformat())).fetchall()
    out = []
    for r in rows:
        payee = r["payee_name"] if r["payee_id"] else f"实名制发放（{r['persons'] or 0} 人，见实名制公示）"
        out.append({"pay_date": r["pay_date"], "kind_name": _payment_kind_name(book, r["kind"]), "payee": payee,
                    "purpose": r["purpose"], "amount": int(r["amount"])})
    return out


def real_name_rows(book: Book, payment_id: int) -> list[dict[str, Any]]:
    """The real-name list as it may be published: name, masked ID (bureau setting), village, amount.

    The bank account is never read; with the setting "hidden" the ID column is empty.
    """
    mode = bureau(book)[2]
    rows = book.conn.execute(
        "SELECT row_no, name, id_number, village, amount FROM real_name_lines WHERE payment_id = ? ORDER BY row_no, id",
        (payment_id,)).fetchall()
    return [{"row_no": i, "name": r["name"], "id_masked": ids.mask_id(r["id_number"], mode),
             "village": r["village"], "amount": int(r["amount"])} for i, r in enumerate(rows, 1)]


def payment_facts(book: Book, payment_id: int) -> dict[str, Any]:
    r = book.conn.execute(
        "SELECT y.request_no, y.amount, y.kind, y.pay_date, y.purpose, p.name AS project_name, p.code AS project_code, "
        "p.township, p.village, i.doc_no FROM payments y JOIN projects p ON p.id = y.project_id "
        "JOIN indicators i ON i.id = y.indicator_id WHERE y.id = ?", (payment_id,)).fetchone()
    out = dict(r) if r else {}
    if out:
        out["kind_name"] = _payment_kind_name(book, out["kind"])
    return out
