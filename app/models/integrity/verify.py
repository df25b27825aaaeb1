"""`fundledger verify`: everything an auditor needs to trust a file, read-only, in one report."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.models.integrity import invariants, parallel
from app.models.store import audit, db, endorsements
from app.models.store.audit import Finding, Note
from app.models.store.book import Book

Check = Callable[[sqlite3.Connection], Iterator[Finding]]


@dataclass
class Report:
    steps: list[tuple[str, int]] = field(default_factory=list)  # (check name, findings)
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    noted: dict[str, int] = field(default_factory=dict)  # check name → notes it gave
    banner: str = ""  # said before everything else: the file is the demo county on its fixed day
    how: dict[str, str] = field(default_factory=dict)  # check name → how it was run, when worth saying

    @property
    def ok(self) -> bool:
        return not self.findings

    def text(self, path: str = "") -> str:
        lines = [f"FundLedger 数据核验报告{('：' + path) if path else ''}"]
        if self.banner:
            lines.append(self.banner)
        for name, count in self.steps:
            if count == 0 and self.noted.get(name):
                lines.append(f"  ○ {name}（{self.noted[name]} 条说明，不是问题，见下面）")
                continue
            how = f"——{self.how[name]}" if name in self.how else ""
            lines.append(f"  {'✓' if count == 0 else '✗'} {name}{'' if count == 0 else f'（{count} 处问题）'}{how}")
        for note in self.notes[:20]:
            lines.append(f"说明：{note}")
        if len(self.notes) > 20:
            lines.append(f"说明：另有 {len(self.notes) - 20} 条说明未列出")
        if self.findings:
            lines.append("")
            lines.append(f"首个问题：{self.findings[0]}")
            for f in self.findings[1:20]:
                lines.append(f"  另：{f}")
            lines.append("结论：未通过。")
        else:
            lines.append("结论：全部通过。" if not self.notes else
                         f"结论：已核验的项目全部通过；另有 {len(self.notes)} 条说明（见上面，不算问题，但请逐条阅读）。")
        return "\n".join(lines)


def integrity(conn: sqlite3.Connection) -> Iterator[Finding]:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        yield Finding("完整性", "数据库文件", "; ".join(rows[:5]))


def foreign_keys(conn: sqlite3.Connection) -> Iterator[Finding]:
    for row in conn.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        yield Finding("外键", f"表 {row[0]} 行 {row[1]}", f"引用的 {row[2]} 记录不存在")


def triggers(conn: sqlite3.Connection) -> Iterator[Finding]:
    present = {str(r[0]): str(r[1] or "") for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for name in sorted(db.expected_triggers(conn) - set(present)):
        yield Finding("保护触发器", f"触发器 {name}", "已被删除：审计或结账保护失效，数据可能被绕过本程序修改")
    # a trigger kept under its name but rewritten (e.g. `WHEN 0 AND …`) protects nothing: compare the text
    # with what the program generates from the same columns (every migration regenerates them)
    generated = db.trigger_sql(conn)
    for name, (_table, sql) in sorted(generated.items()):
        if name in present and " ".join(present[name].split()) != " ".join(sql.split()):
            yield Finding("保护触发器", f"触发器 {name}", "内容与本程序生成的不同，被改写过：审计或结账保护可能已失效")
    # the written-out ones too (a rule-set or calendar lock, the log's append-only guard, the search index's upkeep):
    # the same name with `WHEN 0` lets a signed year's rules or days change
    written = db.reference_fixed_triggers(conn)
    for name, sql in sorted(written.items()):
        if name in present and " ".join(present[name].split()) != " ".join(sql.split()):
            yield Finding("保护触发器", f"触发器 {name}", "内容与本程序的不同，被改写过：它的保护或维护可能已失效")
    # a trigger is code the honest program runs inside its own writes: one it never made can change any row there,
    # and the audit triggers record that change as the clerk's or the chief's own
    known = db.expected_triggers(conn) | set(generated) | set(written)
    for name in sorted(set(present) - known):
        yield Finding("保护触发器", f"触发器 {name}", "不是本程序建立的触发器：它在本程序每次写入时一起执行，"
                                                  "可能以当前用户的名义改动数据")


def schema_version(conn: sqlite3.Connection) -> Iterator[Finding]:
    """user_version is never below the highest step the file records as run (migrate sets it to that step): one
    set lower by hand makes every check gated by the step expect less (fewer triggers, fewer views)."""
    ran = max(db.applied_steps(conn), default=0)
    if db.user_version(conn) < ran:
        yield Finding("架构步骤", "文件", f"数据库版本号（user_version）为 {db.user_version(conn)}，而文件记录已执行到第 {ran} 步："
                                         "版本号被改低过（本程序从不这样做）")


def tracked_list(conn: sqlite3.Connection) -> Iterator[Finding]:
    """The file's list of audited tables is the program's own (every table, its key, date and skipped columns): a
    row deleted or changed there silences the audit and closed-month triggers of that table for every check that
    reads the same list."""
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    have = {str(t["name"]): (str(t["key_column"]), str(t["date_expr"] or ""), str(t["skip_columns"] or ""))
            for t in db.tracked(conn)}
    expected = db.reference_tables(conn)
    for name in sorted(expected - tables):
        yield Finding("架构步骤", f"表 {name}", "文件已执行到的架构步骤建立了这张表，文件中却没有：表被删除过（本程序从不删除）；"
                                             "对它的核对都无从进行")
    for name, key, date_expr, skip in db.reference_tracked():
        if name not in tables:
            continue
        if name not in have:
            yield Finding("审计跟踪清单", f"表 {name}", "已从审计跟踪清单（tracked_tables）中删除：对该表的修改可以不留审计记录")
        elif have[name] != (key, date_expr, skip):
            yield Finding("审计跟踪清单", f"表 {name}",
                          f"跟踪设置被改动（现为 {have[name]}，应为 {(key, date_expr, skip)}）：审计或结账保护可能已失效")


def rule_set_rows(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every year's assignment names a text that is what it says: a bureau's own text is stored, hashes to the
    recorded hash, carries the recorded id and version, and does not borrow a shipped set's id; a shipped one is
    the program's copy, a kept text or an archived version of that id. A doctored text assigned to a year with no
    signed month passes every signature check, so it is judged here."""
    from app.models.rules import load as rules_load
    from app.models.rules.schema import RuleSetError
    from app.models.store import rule_years

    if not rule_years.has_table(conn):
        return
    shipped = set(rules_load.shipped_ids())
    for r in conn.execute("SELECT from_year, rule_set, version, file_hash, origin FROM rule_sets ORDER BY from_year"):
        where = f"{r['from_year']} 年起的规则集 {r['rule_set']}"
        stored = conn.execute("SELECT text FROM rule_set_files WHERE file_hash = ?", (r["file_hash"],)).fetchone()
        text = str(stored[0]) if stored else None
        if text is None and r["origin"] == "shipped":
            try:
                own = rules_load.load_named(str(r["rule_set"]))
            except RuleSetError:
                own = None
            text = rule_years.shipped_text(str(r["rule_set"])) if own and own.file_hash == r["file_hash"] else \
                rule_years.archived_text(str(r["file_hash"]))
        if text is None:
            yield Finding("规则集", where, f"文件和程序中都找不到哈希为 {str(r['file_hash'])[:12]}… 的规则文本")
            continue
        if rules_load.text_hash(text) != r["file_hash"]:
            yield Finding("规则集", where, "保存的规则文本与记录的哈希不符：规则文本被改动过")
            continue
        try:
            rules = rules_load.loads(text, name=f"{r['rule_set']}.toml")
        except RuleSetError as exc:
            yield Finding("规则集", where, f"保存的规则文本无法读取：{exc}")
            continue
        if (rules.id, rules.meta.version) != (r["rule_set"], r["version"]):
            yield Finding("规则集", where, f"记录的编号与版本（{r['rule_set']} {r['version']}）与规则文本本身"
                                          f"（{rules.id} {rules.meta.version}）不符")
        if r["origin"] == "bureau" and rules.id in shipped:
            yield Finding("规则集", where, f"本单位规则集借用了程序附带规则集的编号 {rules.id}（本程序不允许这样指派）："
                                          "文本与附带的不同，却以附带规则集的名义执行")
        if r["origin"] == "shipped" and rules.id not in shipped:
            yield Finding("规则集", where, f"记为程序附带，但本程序没有附带编号为 {rules.id} 的规则集")


_PARENT = re.compile(r"\(SELECT (\w+) FROM (\w+) WHERE id = (\{row\}\.\w+)\)")


def _as_of(expr: str, at: str) -> str:
    """A date read from a parent row — `(SELECT start_date FROM notices WHERE id = {row}.notice_id)` — as the parent
    stood at chain position `at` (its last audit record before it), as the closed-month trigger read it when the
    record was written; the parent as it stands now only when it has no such record (a bulk import's row). The
    parent read now misjudged a child written while its parent was dated in an open month that was later moved,
    after a reopening, into the reopened month."""
    def then(m: re.Match[str]) -> str:
        column, parent, key = m.group(1), m.group(2), m.group(3)
        return (f"coalesce((SELECT json_extract(p.after, '$.{column}') FROM audit_log p WHERE p.tbl = '{parent}' "
                f"AND p.row_key = CAST({key} AS TEXT) AND p.seq < {at} ORDER BY p.seq DESC LIMIT 1), {m.group(0)})")
    return _PARENT.sub(then, expr)


def _json_date(expr: str, column: str, at: str = "a.seq") -> str:
    """A tracked table's date expression evaluated on an audit record's JSON (`{row}.col` → json_extract), a parent's
    date as of chain position `at` (_as_of)."""
    return re.sub(r"\{row\}\.(\w+)", lambda m: f"json_extract({column}, '$.{m.group(1)}')", _as_of(expr, at))


def _old_date(expr: str) -> str:
    """The same expression on the row as it was just before audit record `a` (NULL for an insert): each column from
    `a.before` when it has it, else from `a.after` — an update from schema 26 on keeps in `before` only what it
    changed, so an update that leaves the date alone is still judged by the date it had (audit.old_value_sql)."""
    old = re.sub(r"\{row\}\.(\w+)", lambda m: audit.old_value_sql(m.group(1)), _as_of(expr, "a.seq"))
    return f"CASE WHEN a.before IS NULL THEN NULL ELSE ({old}) END"


_MONTH_KEY = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_OPEN_END = 1 << 62


@dataclass
class PeriodHistory:
    """The reporting periods as their audit records tell it, replayed in order: each record judged from the state
    the records before it left (not from what it claims the row was), whatever its action."""

    windows: dict[str, list[list[int]]] = field(default_factory=dict)  # key → [closed at seq, reopened at seq]
    spans: dict[str, tuple[str, str]] = field(default_factory=dict)
    reopenings: dict[int, str] = field(default_factory=dict)  # seq → key: closed before the record, not after it
    odd: list[Finding] = field(default_factory=list)  # what the program never writes


def period_history(conn: sqlite3.Connection) -> PeriodHistory:
    """The program inserts a period row once, with its month's span, and then only closes and reopens it: a
    deleted period, a span changed, a key that is no month, or spans that overlap were written around it — the
    way to slip a decoy period past the closed-month check, or to reopen a month by deleting and re-inserting it."""
    out = PeriodHistory()
    closed: dict[str, bool] = {}
    for seq, key, action, now, start, end in conn.execute(
            "SELECT a.seq, a.row_key, a.action, json_extract(a.after, '$.closed'), json_extract(a.after, '$.start_date'), "
            "json_extract(a.after, '$.end_date') FROM audit_log a WHERE a.tbl = 'periods' ORDER BY a.seq"):
        where = f"审计记录 #{seq}（表 periods 主键 {key}）"
        if not _MONTH_KEY.fullmatch(str(key)):
            out.odd.append(Finding("结账保护", where, "报表期间的主键不是一个月份：本程序只按月份建立期间"))
        if action == "D" or not start or not end:
            out.odd.append(Finding("结账保护", where, "删除了报表期间（或记录中没有起止日期）：本程序从不删除期间"))
            is_closed = False
        else:
            span = (str(start), str(end))
            if out.spans.setdefault(str(key), span) != span:
                out.odd.append(Finding("结账保护", where, f"改了期间的起止日期（原为 {out.spans[str(key)][0]} 至 "
                                                        f"{out.spans[str(key)][1]}）：本程序从不改期间的起止日期"))
            is_closed = now == 1
        was = closed.get(str(key), False)
        if is_closed and not was:
            out.windows.setdefault(str(key), []).append([int(seq), _OPEN_END])
        elif was and not is_closed:
            out.windows[str(key)][-1][1] = int(seq)
            out.reopenings[int(seq)] = str(key)
        closed[str(key)] = is_closed
    ordered = sorted((span, key) for key, span in out.spans.items())
    for (a, ka), (b, kb) in zip(ordered, ordered[1:], strict=False):
        if b[0] <= a[1]:
            out.odd.append(Finding("结账保护", f"报表期间 {kb}", f"起止日期与 {ka} 重叠（含已删除的期间）：本程序不会建立重叠的期间"))
    return out


def closed_month_writes(conn: sqlite3.Connection, since: int = 0) -> Iterator[Finding]:
    """No audit record may change a row dated inside a month that was closed at that point of the chain and not
    reopened since: the closed-month triggers make that impossible for the program, so such a record was written
    with the triggers dropped — even when it is honestly audited and sealed at the end of the chain. `since`: only
    records after that audit sequence number are judged (the incremental verify from its anchor). The periods'
    own history is replayed first (period_history): what the program never writes there is named too."""
    history = period_history(conn)
    yield from (f for f in history.odd if since == 0 or _seq_of(f) > since)
    windows = history.windows
    if not windows:
        return
    locked = _locked_through(history)
    first = min(w[0] for ws in windows.values() for w in ws)
    labels = {"I": "新增", "U": "修改", "D": "删除"}
    for t in db.tracked(conn):
        expr = t["date_expr"]
        if not expr:
            continue
        # the columns the date is read from: every record the program writes has them (in `after`, or a delete's
        # `before`; in a run's columns) — one without them names no month, so it could write into a closed one
        # unseen (the row check allows a record to lack columns, for columns added after it was written)
        cols = sorted(set(re.findall(r"\{row\}\.(\w+)", expr)))
        whole = "CASE WHEN a.action = 'D' THEN a.before ELSE a.after END"
        lacking = " OR ".join(f"json_type({whole}, '$.{c}') IS NULL" for c in cols) or "0"
        query = (f"SELECT a.seq, a.row_key, a.action, ({_json_date(expr, 'a.after')}), ({_old_date(expr)}), ({lacking}) "
                 "FROM audit_log a WHERE a.tbl = ? AND a.seq > ? ORDER BY a.seq")
        records = list(conn.execute(query, (t["name"], max(first, since))))
        for run in audit.runs(conn, since=max(first, since), table=t["name"]):  # a bulk import's inserts
            if any(c not in run.columns for c in cols):
                records.append((run.first, str(run.keys[0]) if run.keys else "", "I", None, None, 1))
                continue
            afters = audit.inserted(conn, run.tbl, run.columns, run.keys, run.last)
            days = conn.execute(f"SELECT ({_json_date(expr, 'j.value', str(run.first))}) FROM json_each(?) j ORDER BY j.key",
                                (json.dumps(afters),)).fetchall()
            records.extend((run.first + i, str(k), "I", d[0], None, 0)
                           for i, (k, d) in enumerate(zip(run.keys, days, strict=True)))
        records.sort(key=lambda r: r[0])
        for seq, row_key, action, new_day, old_day, lacks in records:
            if lacks:
                yield Finding("结账保护", f"审计记录 #{seq}（表 {t['name']} 主键 {row_key}）",
                              f"记录中没有判断所属月份的列（{'、'.join(cols)}），本程序写的记录总有这些列：无法判断这次"
                              f"{labels.get(action, action)}的行是否在已结账的月份中，该记录不是本程序写的")
                continue
            bound, key = locked.at(seq)
            hit = next((day for day in sorted({str(d)[:10] for d in (new_day, old_day) if d}) if day <= bound), None)
            if hit is not None:
                yield Finding("结账保护", f"审计记录 #{seq}（表 {t['name']} 主键 {row_key}）",
                              f"在 {key} 结账之后{labels.get(action, action)}了日期为 {hit} 的行（当时已结账至 {bound}），"
                              "而此后没有重新打开：本程序不会这样写（结账触发器拒绝最后一个已结账月份及以前的日期），"
                              "数据是绕过本程序修改的")


@dataclass(frozen=True)
class LockedThrough:
    """The closed-month triggers' bound over the chain: at each audit position, the latest end date among the periods
    closed there (every row dated at or before it is refused — a day of an open month before a closed one, or a day
    before the first period, as much as a day of a closed month) and the period that sets it."""

    steps: list[int]  # audit positions from which the state below holds
    bounds: list[tuple[str, str]]  # (latest closed end date or '', its period)

    def at(self, seq: int) -> tuple[str, str]:
        i = bisect.bisect_right(self.steps, seq) - 1
        return self.bounds[i] if i >= 0 else ("", "")


def _locked_through(history: PeriodHistory) -> LockedThrough:
    """Replay the periods' closing windows (closed for records after it closed, open again from its reopening)."""
    events: list[tuple[int, int, str]] = []
    for key, windows in history.windows.items():
        for closed_at, reopened_at in windows:
            events.append((closed_at + 1, 1, key))
            if reopened_at != _OPEN_END:
                events.append((reopened_at, -1, key))
    events.sort()
    out = LockedThrough([], [])
    now: dict[str, int] = {}
    for position, group in itertools.groupby(events, key=lambda e: e[0]):
        for _pos, change, key in group:
            now[key] = now.get(key, 0) + change
        ends = [(history.spans[k][1], k) for k, n in now.items() if n > 0 and k in history.spans]
        out.steps.append(position)
        out.bounds.append(max(ends) if ends else ("", ""))
    return out


def _seq_of(found: Finding) -> int:
    m = re.search(r"审计记录 #(\d+)", found.where)
    return int(m.group(1)) if m else _OPEN_END


def attachments(conn: sqlite3.Connection) -> Iterator[Finding]:
    for aid, name, digest, data in conn.execute("SELECT id, name, sha256, data FROM attachments ORDER BY id"):
        if hashlib.sha256(data).hexdigest() != digest:
            yield Finding("附件", f"附件 #{aid}（{name}）", "文件内容与登记的 SHA-256 不符，被改动过")


APPEND_ONLY = ("attachments", "signoff_files")  # evidence files and the kept copies of signed packages


def append_only_since(conn: sqlite3.Connection, since: int = 0) -> Iterator[Finding]:
    """The program adds attachments and sign-off files and never changes or deletes one. An update of the bytes
    with their recorded hash and size (a notice's photo evidence, the kept copy of a signed PDF) is consistent on
    its own — the attachment check compares the bytes with the hash beside them — and, attachments having no date,
    no closed month protects them: any update or delete record of these tables is named."""
    for seq, tbl, key, action in audit.changes_of(conn, APPEND_ONLY, since):
        what = "修改" if action == "U" else "删除"
        yield Finding("附件", f"审计记录 #{seq}（表 {tbl} 主键 {key}）",
                      f"{what}了附件或签发文件：本程序只新增、从不修改或删除它们（证据或已签发文件被调换）")


def append_only(conn: sqlite3.Connection) -> Iterator[Finding]:
    yield from append_only_since(conn)


def views(conn: sqlite3.Connection) -> Iterator[Finding]:
    """The Chinese views the manual points auditors to (v_审计日志, v_支付明细 …) and the view the rule-set locks read
    (rule_set_locked_years) are the program's own: each must be a view of exactly its name and definition. A view
    redefined, replaced by a table of the same name, or re-created under a name differing only in ASCII case (SQLite
    resolves names without regard to it) shows whatever its author wants; one dropped hides what it showed."""
    want = db.reference_views()
    objects = [(str(t), str(n), str(q or "")) for t, n, q in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'table')")]
    by_name = {n.lower(): (t, n, q) for t, n, q in objects}
    step = db.schema_step(conn)
    expected = step >= 12  # the step that created the last of them (0006 the v_ views, 0012 the lock's)
    for name, sql in sorted(want.items()):
        found = by_name.get(name.lower())
        if found is None:
            if expected or (step >= 6 and name.startswith("v_")):
                yield Finding("中文视图", f"视图 {name}", "已被删除：本程序建立的视图不在文件中")
        elif found[0] != "view" or found[1] != name:
            yield Finding("中文视图", f"视图 {name}", f"被换成了{'表' if found[0] == 'table' else '视图'} {found[1]}：通过这个名字看到的"
                                                    "数据不是本程序定义的")
        elif " ".join(found[2].split()) != " ".join(sql.split()):
            yield Finding("中文视图", f"视图 {name}", "定义与本程序的不同，被改写过：通过它看到的数据不可信")
    mine = {n.lower() for n in want}
    for kind, name, _sql in objects:
        if kind == "view" and name.lower() not in mine:
            yield Note("中文视图", f"视图 {name}", "不是本程序建立的视图，其内容不在核验范围内")


def passwords(conn: sqlite3.Connection) -> Iterator[Finding]:
    """The audit log holds each password hash's SHA-256 (pw_tag), never the hash: the row/audit check proves
    the tag, this proves the hash behind it — a hash swapped with plain sqlite3 is found either way."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(users)")}
    if "pw_tag" not in columns:
        return
    for uid, login, pw_hash, tag in conn.execute("SELECT id, login, pw_hash, pw_tag FROM users ORDER BY id"):
        if hashlib.sha256(pw_hash.encode("utf-8")).hexdigest() != tag:
            yield Finding("密码", f"用户 #{uid}（{login}）", "密码哈希与审计记录的指纹不符，被绕过本程序修改过")


def signing_keys_kept(conn: sqlite3.Connection) -> Iterator[Finding | Note]:
    """A signing key, once retired, stays retired, and a key pair is made once: the program makes a new pair at each
    reset and never brings an old one back. Whoever holds the file could put in a chief key of their own making
    (as a "reset"), sign with it, and make the real chief's key active again so the chief notices nothing."""
    for seq, key, before, after in conn.execute(
            "SELECT seq, row_key, json_extract(before, '$.retired_at'), json_extract(after, '$.retired_at') "
            "FROM audit_log WHERE tbl = 'signing_keys' AND action = 'U' ORDER BY seq"):
        if before is not None and after is None:
            yield Finding("签名密钥", f"审计记录 #{seq}（签名密钥 #{key}）",
                          "已停用的签名密钥被重新启用：本程序从不这样做（重置密码总是生成新密钥）")
    seen: dict[str, int] = {}
    for seq, fp in conn.execute("SELECT seq, json_extract(after, '$.fingerprint') FROM audit_log "
                                "WHERE tbl = 'signing_keys' AND action = 'I' ORDER BY seq"):
        if fp and str(fp) in seen:
            yield Finding("签名密钥", f"审计记录 #{seq}", f"签名密钥 {str(fp)[:16]}… 已在审计记录 #{seen[str(fp)]} 生成过："
                                                     "同一对密钥被第二次写入（本程序每次都生成新的密钥对）")
        seen.setdefault(str(fp), int(seq))
    yield from endorsements.findings(conn)
    for login, name, fp in endorsements.listed_only(conn):
        yield Note("签名密钥", f"局长 {name}（{login}）",
                   f"签名密钥 {fp[:16].upper()}… 签名重新打开、登记或签发过，却只因出现在此前签发的报送包的用户名单中（或由它"
                   "自己签发过报送包）而被认可，没有经已确认的局长签名确认：早期版本新增的局长、重置的密码都是这样；有人用"
                   " sqlite3 写进来的局长也是这样（之后停用了也一样）。请核对这位局长；需要时由已确认的局长为其重置密码并确认新密钥")
    have = [t for t in (endorsements.TABLE,) if endorsements.has_table(conn)]
    for seq, tbl, key, action in audit.changes_of(conn, have, 0):
        yield Finding("签名密钥", f"审计记录 #{seq}（表 {tbl} 主键 {key}）",
                      f"{'修改' if action == 'U' else '删除'}了局长对新签名密钥的确认：本程序只新增、从不修改或删除")


def base_checks() -> list[tuple[str, Check]]:
    return [
        ("数据库完整性（integrity_check）", integrity),
        ("外键一致（foreign_key_check）", foreign_keys),
        ("保护触发器齐全且未被改写", triggers),
        ("数据库版本号与已执行的步骤一致", schema_version),
        ("审计跟踪清单与本程序一致", tracked_list),
        ("各年度规则集文本与记录一致", rule_set_rows),
        ("已结账月份的数据在结账后未被改动", closed_month_writes),
        ("每条修改、删除记录都从该行上一条记录留下的内容开始", audit.check_history),
        ("审计日志哈希链", audit.check_chain),
        ("业务数据与审计记录一致", audit.check_rows),
        ("附件哈希", attachments),
        ("附件与签发文件只增不改", append_only),
        ("中文视图与本程序一致", views),
        ("密码哈希与审计记录一致", passwords),
        ("签名密钥停用后不再启用、每对密钥只生成一次、新局长密钥的确认签名有效", signing_keys_kept),
    ]


def extra_checks() -> list[tuple[str, Check]]:
    """Invariants of later capabilities (ledger, payments, packages) register here."""
    return invariants.CHECKS


def _collect(name: str, check: Check, conn: sqlite3.Connection) -> list[Finding]:
    try:
        return list(check(conn))
    except sqlite3.Error as exc:
        return [Finding(name, "数据库", f"无法完成检查：{exc}")]


# The long checks on a large file — integrity_check and the row/audit comparison run inside SQLite (which releases
# the GIL) — each start at once on its own read-only connection in a thread, so they share the cores; the hash chain,
# Python through and through, goes to worker processes in parts (parallel.py) or, where that is not used, a thread
# like the others. Results are still reported in the usual order.
AHEAD = (integrity, audit.check_chain, audit.check_rows)


class _Ahead(threading.Thread):
    def __init__(self, path: str, name: str, check: Check) -> None:
        super().__init__(name=f"verify-{check.__name__}", daemon=True)
        self.conn = db.connect(Path(path), read_only=True)
        self.check_name, self.check = name, check
        self.result: list[Finding] | None = None

    def run(self) -> None:
        try:
            self.result = _collect(self.check_name, self.check, self.conn)
        finally:
            self.conn.close()

    def stop(self) -> None:
        if self.is_alive():
            try:
                self.conn.interrupt()
            except sqlite3.ProgrammingError:
                pass  # already closed: it had finished
        self.join()


def _start_ahead(book: Book, checks: list[tuple[str, Check]]) -> dict[str, _Ahead | parallel.ChainCheck]:
    path = book.conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return {}  # an in-memory database: everything on the one connection
    out: dict[str, _Ahead | parallel.ChainCheck] = {}
    for name, check in checks:
        if check is audit.check_chain and (workers := parallel.planned(book.conn)):
            out[name] = parallel.ChainCheck(path, name, workers)  # in worker processes, in parts
            out[name].start()
        elif check in AHEAD or getattr(check, "ahead", False):  # a long check from a floor above may ask too
            try:
                out[name] = _Ahead(path, name, check)
            except sqlite3.Error:
                continue  # run it in order on the book's connection instead
            out[name].start()
    return out


def _start_group(book: Book, checks: list[tuple[str, Check]], ahead: dict[str, _Ahead | parallel.ChainCheck]
                 ) -> parallel.ChecksAhead | None:
    """Where the chain goes to worker processes, the other checks of the connection alone go to one more (the
    in-order Python checks were the longest path left); the re-created packages stay here."""
    path = book.conn.execute("PRAGMA database_list").fetchone()[2]
    if not path or not parallel.planned(book.conn):
        return None
    names = [name for name, _c in checks]
    moved = [(name, check) for name, check in checks
             if name not in ahead and names.count(name) == 1 and parallel.movable(check)]
    if not moved:
        return None
    group = parallel.ChecksAhead(path, moved)
    group.start()
    return group


def run(book: Book, progress: Callable[[int, int, str], None] | None = None,
        more: list[tuple[str, Check]] | None = None) -> Report:
    """Every check in order; `progress(done, total, name)` lets a window show and cancel it.

    `more` are checks from the floors above (app/export/evidence.py adds the re-created packages).
    """
    report = Report()
    if book.demo_day is not None:
        from app.models.store import clock as clocks

        report.banner = (f"【{clocks.label(book.demo_day)}】这是示例县（演示数据），日期固定为 {book.demo_day.isoformat()}，"
                         "预警、时限与逾期均按这一天计算，不是真实单位的账。")
    if book.upgraded is not None:  # the checks below judge the upgraded temporary copy: say so, and judge the gap
        claimed, missing = book.upgraded
        steps = "、".join(f"{n:04d}" for n in missing)
        if missing and claimed >= max(missing):
            report.findings.append(Finding(
                "架构步骤", "文件", f"文件自称已到第 {claimed} 步，却缺少第 {steps} 步建立的对象或记录：这些保护在原文件中"
                                  "不存在（被删除过）；以下各项核验的是补齐后的临时副本，原文件未改动"))
        elif missing:
            report.notes.append(Note(
                "架构步骤", "文件", f"文件为旧版本格式（第 {claimed} 步），核验的是补上第 {steps} 步后的临时副本，原文件未改动"))
    checks = base_checks() + extra_checks() + list(more or [])
    ahead = _start_ahead(book, checks)
    group = _start_group(book, checks, ahead)
    moved = set() if group is None else {name for name, _c in group.checks}
    # the checks on this connection first, while the others run ahead (waiting for integrity_check, the first,
    # before anything else kept every other check off the cores for half the verify); reported in the usual order
    order = [i for i, (name, _c) in enumerate(checks) if name not in ahead and name not in moved] + \
        [i for i, (name, _c) in enumerate(checks) if name in moved] + \
        [i for i, (name, _c) in enumerate(checks) if name in ahead]
    results: dict[int, list[Finding]] = {}
    try:
        for done, i in enumerate(order):
            name, check = checks[i]
            if progress is not None:
                progress(done, len(checks), name)
            found = None
            if group is not None and name in moved:
                while not group.has(name):  # wait in slices, so a cancel from progress is seen
                    group.join(0.2)
                    if progress is not None:
                        progress(done, len(checks), name)
                found = group.results.get(name)
            elif name in ahead:
                while ahead[name].is_alive():  # wait in slices, so a cancel from progress is seen
                    ahead[name].join(0.2)
                    if progress is not None:
                        progress(done, len(checks), name)
                running = ahead[name]
                found = running.result
                if isinstance(running, parallel.ChainCheck) and found is not None:
                    report.how[name] = running.told()
            if found is None:
                found = _collect(name, check, book.conn)
            results[i] = found
        for i, (name, _check) in enumerate(checks):
            found = results[i]
            notes = [f for f in found if isinstance(f, Note)]
            report.steps.append((name, len(found) - len(notes)))
            report.findings.extend(f for f in found if not isinstance(f, Note))
            report.notes.extend(notes)
            if notes:
                report.noted[name] = len(notes)
    finally:
        for thread in [*ahead.values(), *([group] if group is not None else [])]:
            thread.stop()  # after a cancel (an exception from progress): interrupt and wait
    return report
