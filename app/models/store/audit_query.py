"""Reading the audit log for people: filters by user, table, date and text; field-level differences."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.models.store import audit, audit_labels, permissions
from app.models.store.book import Book
from app.models.store.where import Where

TABLE_NAMES = {
    "bureau": "单位信息", "users": "用户", "fund_kinds": "资金大类", "fund_items": "资金项目",
    "calendar_years": "节假日年度", "calendar_days": "节假日", "periods": "报表期间", "attachments": "附件",
    "indicators": "指标", "indicator_events": "指标环节日期", "indicator_reductions": "指标调减收回",
    "ledger_entries": "专账记账", "ledger_settings": "专账设置", "treasury_imports": "国库数据导入",
    "treasury_payments": "国库支付数据", "section_ledger_figures": "分管台账数", "recon_notes": "对账说明",
    "plan_decisions": "领导小组决定", "projects": "项目", "project_funding": "项目资金来源", "plan_versions": "计划版本",
    "payees": "收款人", "payments": "支付申请", "payment_events": "支付流转", "payment_checks": "支付规则检查",
    "real_name_lists": "实名制名册", "real_name_lines": "实名制名册明细", "notices": "公告公示",
    "notice_evidence": "公示证据", "notice_feedback": "群众反映", "notice_feedback_handling": "反映处理",
    "warnings": "预警", "warning_events": "预警处理记录", "warning_runs": "预警计算", "warning_sections": "预警责任股室",
    "problems": "问题台账", "problem_updates": "问题整改记录", "perf_goals": "绩效指标", "perf_actuals": "绩效监控值",
    "perf_decisions": "绩效纠偏决定", "perf_evaluations": "绩效自评", "annual_plans": "年度计划数",
    "report_templates": "报表模板", "signoffs": "月报签发", "signoff_files": "签发文件",
    "lock_breaks": "强制解除写锁", "signing_keys": "签名密钥",
    "counties": "下级单位", "package_blobs": "报送包文件内容", "received_packages": "已接收报送包",
    "received_files": "已接收报送包的文件", "forwarded_reports": "汇总上报", "upstream_receipts": "上级回执",
    "county_key_registrations": "下级单位密钥登记", "key_endorsements": "新局长密钥确认",
    "verify_anchors": "核验锚点", "demo_clock": "演示日期", "rule_sets": "各年度规则集", "rule_set_files": "规则集文件",
    "indicator_corrections": "指标更正", "county_notices": "县级公告", "notice_exceptions": "未满公示期支付的例外",
    "project_settlements": "工程结算价", "roster_imports": "名册导入", "roster_people": "名册人员",
    "year_end_exemptions": "年末支出豁免",
}
ACTIONS = {"I": "新增", "U": "修改", "D": "删除", "R": "批量导入"}
RUN = "R"  # a bulk import's inserts, folded into one record (audit_runs, schema 20): shown as one line
SORT_KEYS = {"seq": "seq", "at": "seq", "actor": "actor", "tbl": "tbl", "op": "op"}


@dataclass(frozen=True)
class LogFilter:
    actor: str = ""
    table: str = ""
    date_from: str = ""
    date_to: str = ""
    text: str = ""


def table_label(name: str) -> str:
    return TABLE_NAMES.get(name, name)


class LogQuery:
    """A row source over audit_log (newest first), paged with LIMIT/OFFSET on the primary key, or sought from the
    last row read when the order is by seq (`seek`: the next page costs the same at row 450,000 as at row 200)."""

    def __init__(self, book: Book, flt: LogFilter | None = None) -> None:
        self.book = book
        self.flt = flt or LogFilter()

    def _where(self, runs: bool = False) -> tuple[str, list[Any]]:
        f = self.flt
        w = Where().equals("actor", f.actor).equals("tbl", f.table)
        if f.date_from:
            w.add("at >= ?", f.date_from)
        if f.date_to:
            w.add("at < date(?, '+1 day')", f.date_to)
        if f.text and runs:  # a run holds no values of its own (they are the rows): found by a key inside it
            w.add("EXISTS (SELECT 1 FROM json_each(keys) r WHERE CAST(? AS INTEGER) BETWEEN "
                  "json_extract(r.value, '$[0]') AND json_extract(r.value, '$[0]') + json_extract(r.value, '$[1]') - 1 "
                  "AND ? GLOB '[0-9]*')", f.text, f.text)
        elif f.text:
            w.add("(instr(coalesce(after, ''), ?) > 0 OR instr(coalesce(before, ''), ?) > 0 OR row_key = ?)",
                  f.text, f.text, f.text)
        return w.clause, w.args

    def count(self) -> int:
        where, args = self._where()
        n = int(self.book.conn.execute(f"SELECT count(*) FROM audit_log{where}", args).fetchone()[0])
        if audit.has_runs(self.book.conn):
            where, args = self._where(runs=True)
            n += int(self.book.conn.execute(f"SELECT count(*) FROM audit_runs{where}", args).fetchone()[0])
        return n

    @staticmethod
    def _order(sort_key: str | None, descending: bool) -> tuple[str, str]:
        """(column, ASC or DESC): the newest first unless a column is sorted ascending; seq breaks ties."""
        return SORT_KEYS.get(sort_key or "", "seq"), "DESC" if (descending or sort_key is None) else "ASC"

    def fetch(self, offset: int, limit: int, sort_key: str | None, descending: bool) -> list[dict[str, Any]]:
        return self._page(sort_key, descending, None, limit, offset)

    def seek(self, after: dict[str, Any], limit: int, sort_key: str | None, descending: bool
             ) -> list[dict[str, Any]] | None:
        """The `limit` rows after the row `after` (the last one read) in this order, when it is by seq: each side of
        the union starts at that seq on its primary key instead of stepping over every row before it (OFFSET).
        None in another order (by 操作人, 数据表, 操作: `fetch` pages those)."""
        column, _direction = self._order(sort_key, descending)
        if column != "seq" or after.get("seq") is None:
            return None
        return self._page(sort_key, descending, int(after["seq"]), limit, 0)

    def _page(self, sort_key: str | None, descending: bool, beyond: int | None, limit: int, offset: int
              ) -> list[dict[str, Any]]:
        """A page in the order (`_order`), past the record `beyond` (its seq) when given, else from row `offset`."""
        column, direction = self._order(sort_key, descending)
        step = "<" if direction == "DESC" else ">"
        where, args = self._where()
        if beyond is not None:  # `+seq` under a table filter: the table's index is used, not the key range
            bound = "+seq" if self.flt.table else "seq"
            where, args = (where + " AND" if where else " WHERE") + f" {bound} {step} ?", [*args, beyond]
        if self.flt.table and column == "seq":
            # one table's records by seq: which ones, from the index (tbl, row_key, seq) alone, then those rows —
            # not every record of the table read whole and sorted (1 s for payments at 1x), nor every record
            # below `beyond` stepped over by the key (a table with few records)
            where = (f" WHERE seq IN (SELECT seq FROM audit_log{where} ORDER BY seq {direction} LIMIT ?)")
            args = [*args, limit + offset]
        sql = f"SELECT seq, at, actor, op, tbl, row_key, action, before, after, hash FROM audit_log{where}"
        if audit.has_runs(self.book.conn):
            run_where, run_args = self._where(runs=True)
            if beyond is not None:
                run_where = (run_where + " AND" if run_where else " WHERE") + f" first_seq {step} ?"
                run_args = [*run_args, beyond]
            sql += (" UNION ALL SELECT first_seq, at, actor, op, tbl, keys, 'R', NULL, NULL, "
                    f"lower(hex(substr(hashes, -32))) FROM audit_runs{run_where}")
            args = [*args, *run_args]
        rows = self.book.conn.execute(f"{sql} ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
                                      [*args, limit, offset]).fetchall()
        names = audit_labels.labels(self.book)
        out = []
        for r in rows:
            row = dict(r) | {"table_name": table_label(r["tbl"]), "op_name": permissions.label(r["op"] or ""),
                             "action_name": ACTIONS.get(r["action"], r["action"]), "actor_name": names.actor(r["actor"]),
                             "sealed": r["hash"] is not None}
            if r["action"] == RUN:
                row |= run_line(self.book, int(r["seq"]))
            else:
                row["changes"] = summary(r["before"], r["after"], book=self.book, table=r["tbl"])
            out.append(row)
        return out


def _distinct(book: Book, column: str) -> list[str]:
    """The distinct non-NULL values of an indexed audit_log column, in order: one index seek per value
    (a skip scan), not a pass over every record — the same list as SELECT DISTINCT … ORDER BY."""
    return [r[0] for r in book.conn.execute(
        f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM audit_log UNION ALL "
        f"SELECT (SELECT min({column}) FROM audit_log WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
        "SELECT x FROM v WHERE x IS NOT NULL")]


def _in_runs(book: Book, column: str) -> set[str]:
    if not audit.has_runs(book.conn):
        return set()
    return {str(r[0]) for r in book.conn.execute(f"SELECT DISTINCT {column} FROM audit_runs") if r[0] is not None}


def actors(book: Book) -> list[str]:
    return sorted(set(_distinct(book, "actor")) | _in_runs(book, "actor"))  # index audit_log_actor


def actor_choices(book: Book) -> list[tuple[str, str]]:
    """(actor as logged, as shown: the user's name, 系统) for the filter."""
    names = audit_labels.labels(book)
    return [(a, names.actor(a)) for a in actors(book)]


def tables(book: Book) -> list[tuple[str, str]]:
    return [(t, table_label(t)) for t in sorted(set(_distinct(book, "tbl")) | _in_runs(book, "tbl"))]  # index audit_log_row


def differences(before: str | None, after: str | None, *, book: Book | None = None,
                table: str = "") -> list[tuple[str, Any, Any]]:
    """(column, old, new) for every column that changed; the password hash is never shown. With `book`, in
    Chinese (audit_labels): field names, coded values, users by name."""
    raw = _differences(before, after)
    if book is None:
        return raw
    names = audit_labels.labels(book)
    return [(names.field(table, k), names.value(table, k, o), names.value(table, k, n)) for k, o, n in raw]


def _differences(before: str | None, after: str | None) -> list[tuple[str, Any, Any]]:
    # an update's `before` holds only the columns it changed from schema 26 on (the whole old row before): the row
    # it changed is `after` overlaid with `before` either way (audit.old_row)
    old = audit.old_row(before, after)
    new = json.loads(after) if after else {}
    result: list[tuple[str, Any, Any]] = []
    for key in list(dict.fromkeys([*old, *new])):
        if old.get(key) != new.get(key):
            if key in ("pw_hash", "pw_tag"):  # the hash (older files' records) and its fingerprint
                result.append((key, "（已隐藏）" if key in old else None, "（已更改）"))
            else:
                result.append((key, old.get(key), new.get(key)))
    return result


def summary(before: str | None, after: str | None, limit: int = 5, *, book: Book | None = None,
            table: str = "") -> str:
    """One line for the table: the new values of an insert, the old of a delete, old → new otherwise."""
    diffs = differences(before, after, book=book, table=table)[:limit]
    if before is None:
        return "；".join(f"{k}={n}" for k, _o, n in diffs)
    if after is None:
        return "；".join(f"{k}={o}" for k, o, _n in diffs)
    return "；".join(f"{k}：{'（空）' if o is None else o} → {'（空）' if n is None else n}" for k, o, n in diffs)


def _run(book: Book, first_seq: int) -> audit.Run | None:
    """The one run starting at `first_seq` (its primary key): not every run after it, hashes and all — the
    audit tab's first page names 25 runs, and reading each one's successors cost seconds on a 5-year county."""
    if not audit.has_runs(book.conn):
        return None
    cur = book.conn.cursor()
    cur.row_factory = None
    row = cur.execute(f"SELECT {audit._RUN_FIELDS} FROM audit_runs WHERE first_seq = ?", (first_seq,)).fetchone()
    return None if row is None else audit._run_from(row)


def _span(ranges: list[list[int]]) -> str:
    """A run's keys as the 主键 cell, from its (start, count) ranges: one key, a–b when contiguous, else “a 等”."""
    first, last = ranges[0][0], ranges[-1][0] + ranges[-1][1] - 1
    return str(first) if first == last else f"{first}–{last}" if len(ranges) == 1 else f"{first} 等"


def source_file(book: Book, run: audit.Run) -> tuple[str, str] | None:
    """(file name, SHA-256) of the file a run was imported from: the import's own row (实名制名册, 国库数据导入,
    名册导入 …), written and audited in the same transaction with the file's hash."""
    row = book.conn.execute(
        "SELECT json_extract(after, '$.file_name'), json_extract(after, '$.file_sha256') FROM audit_log "
        "WHERE seq BETWEEN ? AND ? AND at = ? AND actor IS ? AND op IS ? AND action = 'I' "
        "AND json_extract(after, '$.file_sha256') IS NOT NULL ORDER BY abs(seq - ?) LIMIT 1",
        (run.first - 64, run.last + 64, run.at, run.actor, run.op, run.first)).fetchone()
    return None if row is None else (str(row[0] or ""), str(row[1]))


def run_line(book: Book, first_seq: int) -> dict[str, Any]:
    """How a run reads in the log: 导入 N 行, 文件哈希 …, and its key range as the row's 主键."""
    row = book.conn.execute("SELECT first_seq, last_seq, at, actor, op, tbl, keys FROM audit_runs WHERE first_seq = ?",
                            (first_seq,)).fetchone() if audit.has_runs(book.conn) else None
    if row is None:
        return {"changes": "", "row_key": ""}
    ranges = json.loads(row["keys"])
    src = source_file(book, audit.Run(int(row["first_seq"]), int(row["last_seq"]), str(row["at"]), row["actor"],
                                      row["op"], str(row["tbl"]), [], [], b""))
    text = f"导入 {int(row['last_seq']) - int(row['first_seq']) + 1} 行（{table_label(row['tbl'])}）"
    if src is not None:
        text += f"，文件哈希 {src[1][:16]}…" + (f"（{src[0]}）" if src[0] else "")
    else:
        text += "，程序内批量写入（没有源文件）"
    return {"changes": text + "；选中后在下方逐行列出", "row_key": _span(ranges)}


def run_rows(book: Book, first_seq: int, limit: int = 2000) -> list[tuple[str, Any, Any]]:
    """A run expanded to its rows as they were imported (read back from the rows: see audit.inserted), as
    (主键, '', the row's fields in Chinese) lines for the detail table; the first `limit`, then how many more."""
    run = _run(book, first_seq)
    if run is None:
        return []
    keys = run.keys[:limit]
    afters = audit.inserted(book.conn, run.tbl, run.columns, keys, run.last)
    out: list[tuple[str, Any, Any]] = []
    src = source_file(book, run)
    if src is not None:
        out.append(("源文件", "", f"{src[0]}，SHA-256 {src[1]}"))
    for seq, key, after in zip(range(run.first, run.last + 1), keys, afters, strict=False):
        shown = "（该行已不在表中：请做完整核验）" if after is None else summary(None, after, limit=20, book=book,
                                                                            table=run.tbl)
        out.append((f"#{seq} 主键 {key}", "", shown))
    if len(run.keys) > limit:
        out.append(("……", "", f"另有 {len(run.keys) - limit} 行未列出（可按主键筛选）"))
    return out
