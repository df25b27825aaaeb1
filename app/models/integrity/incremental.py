"""Incremental verify (issue #22 item 2): from the last verified anchor, the cost of what was written since.

A verify that passes records an anchor (`verify_anchors`, itself an audited, chained row): the chain head it
found sound, and each tracked table's row count and highest rowid. The incremental verify then checks

- that the record at the anchor's seq still has the anchored hash, and that the chain from there to the end
  links and hashes (records before the anchor are not walked again);
- every row written since (its key is in the audit log after the anchor) against its last audit record, and
  rows appended beyond the anchored highest rowid (a row added outside the program has no audit record);
- each table's row count against the anchored count plus the inserts and minus the deletes audited since (a
  row deleted or added outside the program anywhere in the table changes the count);
- the protecting triggers (present, not rewritten), the password hashes, and every sign-off's signature and
  chain head (the checkpoints inside each signature re-check records before the anchor).

What it cannot see, and the full verify (`fundledger verify`, the auditor's) does: an old row changed outside
the program with the triggers dropped and put back, leaving its count and the log alone. The report says so.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.models.integrity import anchors
from app.models.integrity import verify as full
from app.models.prefecture import invariants as prefecture_checks
from app.models.store import audit, db
from app.models.store.audit import Finding
from app.models.store.book import Book

LIMIT = ("增量核验只检查锚点之后写入的记录和行、锚点之后对已结账月份的改动、各表行数、触发器、密码、签名、已签发月份"
         "的数据哈希、规则集与工作日历；锚点之前的旧行若在触发器被删除后改动又恢复触发器，只有完整核验（fundledger verify）能查出。"
         "锚点本身只是审计链中的一条记录，没有密钥保护：持有文件的人可以伪造锚点或在锚点之后重新计算哈希链，"
         "这只有完整核验（重新汇总并重现已签发月份、核对局长签名）能查出。审计人员请用完整核验。")


@dataclass(frozen=True)
class Anchor:
    id: int
    seq: int
    hash: str
    mode: str
    verified_at: str
    tables: dict[str, list[int]]


def has_anchors(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'verify_anchors'").fetchone() is not None


def last_anchor(conn: sqlite3.Connection) -> Anchor | None:
    if not has_anchors(conn):
        return None
    row = conn.execute("SELECT id, seq, hash, mode, verified_at, tables FROM verify_anchors ORDER BY id DESC LIMIT 1"
                       ).fetchone()
    if row is None:
        return None
    try:
        tables = {str(k): [int(v[0]), int(v[1])] for k, v in json.loads(row[5]).items()}
    except (ValueError, TypeError, KeyError, IndexError):
        tables = {}
    return Anchor(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), tables)


def table_sizes(conn: sqlite3.Connection) -> dict[str, list[int]]:
    """Each tracked table's [row count, highest rowid] (b-tree counts: milliseconds even for a million rows)."""
    out = {}
    for t in db.tracked(conn):
        name = t["name"]
        row = conn.execute(f'SELECT count(*), coalesce(max(rowid), 0) FROM "{name}"').fetchone()
        out[str(name)] = [int(row[0]), int(row[1])]
    return out


def check_chain_since(anchor: Anchor) -> full.Check:
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        # The anchor is an audited row written in its own transaction right after the head it records: its insert
        # is record seq + 1, holding exactly the row as it stands. An anchor moved by hand (to put a change before
        # it) fails here unless the audit history after the old anchor was rewritten too.
        own = conn.execute("SELECT seq, after FROM audit_log WHERE tbl = 'verify_anchors' AND row_key = ? "
                           "AND action = 'I' ORDER BY seq LIMIT 1", (str(anchor.id),)).fetchone()
        now = conn.execute(f"SELECT {db.row_json_sql(conn, 'verify_anchors', set(), 'x')} FROM verify_anchors x "
                           "WHERE id = ?", (anchor.id,)).fetchone()
        if own is None or own[0] != anchor.seq + 1 or now is None or not audit._same(now[0], own[1] or "{}"):
            yield Finding("审计链", f"核验锚点 #{anchor.id}", "锚点记录与其审计记录不符（被改动或移动过）：不能从它增量核验，"
                          "请做完整核验")
            return
        if anchor.seq and audit.hash_at(conn, anchor.seq) != anchor.hash:
            yield Finding("审计链", f"审计记录 #{anchor.seq}（锚点，{anchor.verified_at} 核验通过）",
                          "已被删除或改动：核验通过之后审计日志被改写过")
            return
        yield from audit.walk(conn, anchor.seq, anchor.hash)
    return check


def _keyed(conn: sqlite3.Connection, table: str, key: str) -> bool:
    """The key column is the table's INTEGER or TEXT primary key: `key IN (row_key …)` then finds exactly the rows
    whose key spells one of those row_keys (a TEXT row_key takes the column's affinity), through the key's index."""
    for _cid, name, kind, _notnull, _default, pk in conn.execute(f'PRAGMA table_info("{table}")'):
        if name == key:
            return bool(pk) and str(kind).upper() in ("INTEGER", "TEXT") and \
                conn.execute("SELECT count(*) FROM pragma_table_info(?) WHERE pk > 0", (table,)).fetchone()[0] == 1
    return False


def check_rows_since(anchor: Anchor) -> full.Check:
    """The rows written since the anchor and the rows appended beyond it, each against its last audit record;
    each table's count against the anchored count and the inserts and deletes audited since."""
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        for t in db.tracked(conn):
            name, key = str(t["name"]), t["key_column"]
            skip = {c for c in t["skip_columns"].split(",") if c}
            known = anchor.tables.get(name)
            top = known[1] if known else -1  # a table new since the anchor: every row
            # only the rows appended beyond the anchor and the rows written since (keys from the records after the
            # anchor, read through the log's primary key): both sides are index searches, not scans of the table or
            # of its whole history, so the cost follows what was written since, not the years before
            where = (f' WHERE x.rowid > ? OR x."{key}" IN (SELECT row_key FROM audit_log WHERE seq > ? AND +tbl = ?)'
                     if _keyed(conn, name, key) else
                     f' WHERE x.rowid > ? OR CAST(x."{key}" AS TEXT) IN (SELECT row_key FROM audit_log WHERE seq > ? '
                     "AND +tbl = ?)")
            cur = conn.cursor()
            cur.row_factory = None
            spans: audit.Spans | None = None
            defaults = audit.column_defaults(conn, name)
            again = audit.Reinserted(conn)
            for row_key, row_json, seq, action, after in cur.execute(audit.suspects_sql(conn, name, key, skip, where),
                                                                     (name, top, anchor.seq, name)):
                if seq is None:
                    spans = audit.Spans(audit.run_members(conn, name)) if spans is None else spans
                    if row_key in spans:
                        continue  # a bulk import's row, never changed: the chain walk since the anchor hashed it
                if action == "D" and again(name, row_key, int(seq)):
                    continue  # inserted again by a bulk import after its delete (audit.Reinserted)
                if seq is None or action == "D":
                    yield Finding("数据核对", f"表 {name} 主键 {row_key}", "该行没有审计记录，是在本程序之外写入的")
                    return
                if not audit._same(row_json, after or "{}", defaults):
                    yield Finding("数据核对", f"表 {name} 主键 {row_key}",
                                  f"当前内容与审计记录 #{seq} 不一致，数据在本程序之外被修改过")
                    return
            gone = conn.execute(
                "SELECT l.row_key, l.m FROM (SELECT row_key, max(seq) AS m FROM audit_log WHERE seq > ? AND +tbl = ? "
                "GROUP BY row_key) l JOIN audit_log a ON a.seq = l.m WHERE a.action <> 'D' AND NOT EXISTS "
                f'(SELECT 1 FROM "{name}" x WHERE x."{key}" = l.row_key AND CAST(x."{key}" AS TEXT) = l.row_key) '
                "ORDER BY l.m LIMIT 1", (anchor.seq, name)).fetchone()
            if gone is not None:
                yield Finding("数据核对", f"表 {name} 主键 {gone[0]}", f"审计记录 #{gone[1]} 中存在的行已不在表中，被删除过")
                return
            if known is None:
                continue
            net = conn.execute(
                "SELECT coalesce(sum(CASE action WHEN 'I' THEN 1 WHEN 'D' THEN -1 ELSE 0 END), 0) FROM audit_log "
                "WHERE seq > ? AND +tbl = ?", (anchor.seq, name)).fetchone()[0]
            net += sum(run.size for run in audit.runs(conn, since=anchor.seq, table=name))  # bulk inserts
            count = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            if count != known[0] + int(net):
                yield Finding("数据核对", f"表 {name}",
                              f"现有 {count} 行，而锚点时 {known[0]} 行加上此后审计记录的增删应为 {known[0] + int(net)} 行："
                              "有行在本程序之外被增加或删除")
                return
    return check


def history_since(anchor: Anchor) -> full.Check:
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        yield from audit.check_history(conn, since=anchor.seq)
    return check


def closed_writes_since(anchor: Anchor) -> full.Check:
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        yield from full.closed_month_writes(conn, since=anchor.seq)
    return check


def appended_only_since(anchor: Anchor) -> full.Check:
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        yield from full.append_only_since(conn, anchor.seq)
    return check


def received_since(anchor: Anchor) -> full.Check:
    """A prefecture's (or the region's) file: the packages received or written to since the anchor, re-checked from
    their kept bytes, and no change to a receiving record but the review (app/models/prefecture/invariants)."""
    def check(conn: sqlite3.Connection) -> Iterator[Finding]:
        yield from prefecture_checks.written_once_since(conn, anchor.seq)
        yield from prefecture_checks.received_since(conn, anchor.seq)
    return check


def signed_data(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every signed month's stored data still hashes to the digest recorded at sign-off, and names the rule set
    the file now assigns to its year: the window carries balances forward from that data and checks payments
    under that rule set, so neither may change behind a sign-off (the full verify re-creates the files too)."""
    from app.models.reports import snapshot
    from app.models.store import holidays, rule_years

    live: dict[int, str] = {}
    for row in conn.execute("SELECT month, version, data, data_sha256, json_extract(data, '$.rule_set') AS rule_set, "
                            "json_extract(data, '$.calendar') AS calendar "
                            "FROM signoffs WHERE status = 'signed' ORDER BY month, version"):
        where = f"{row['month']} 第 {row['version']} 版签发数据"
        if snapshot.digest(str(row["data"])) != row["data_sha256"]:
            yield Finding("签发数据", where, "签发时保存的月报数据与其记录的哈希不同：签发后数据被改动过"
                                          "（以后各月从它结转的余额也因此不可信）")
        if row["rule_set"]:
            year = int(str(row["month"])[:4])
            if year not in live:
                rules = rule_years.load_for(conn, year)
                live[year] = f"{rules.label} {rules.file_hash}"
            if live[year] != row["rule_set"]:
                yield Finding("规则集", where, f"该月所属年度的规则集与签发时不同（签发时 {row['rule_set']}，现在 {live[year]}）")
        if row["calendar"]:  # the holidays its deadlines were counted with (store/holidays.digest_through)
            through = dt.date.fromisoformat(str(row["calendar"])[:10])
            if holidays.digest_through(conn, through) != row["calendar"]:
                yield Finding("工作日历", where, f"该月所依据的工作日历（截至 {through.isoformat()} 的节假日与调休）"
                                              "与签发时不同：签发后节假日被改动过，该月的下达时限与逾期结论随之改变")


def checks(anchor: Anchor) -> list[tuple[str, full.Check]]:
    return [
        ("保护触发器齐全且未被改写", full.triggers),
        ("数据库版本号与已执行的步骤一致", full.schema_version),
        ("审计跟踪清单与本程序一致", full.tracked_list),
        ("各年度规则集文本与记录一致", full.rule_set_rows),
        (f"审计日志哈希链（自锚点 #{anchor.seq} 起）", check_chain_since(anchor)),
        ("锚点之后写入的数据与审计记录一致、各表行数", check_rows_since(anchor)),
        ("锚点之后没有改动已结账月份的记录", closed_writes_since(anchor)),
        ("锚点之后的修改、删除记录都从该行上一条记录留下的内容开始", history_since(anchor)),
        ("锚点之后没有修改或删除附件与签发文件", appended_only_since(anchor)),
        ("锚点之后接收的报送包：按保存的文件重新核对，接收记录只写审核意见与退回", received_since(anchor)),
        ("中文视图与本程序一致", full.views),
        ("已签发月份的数据与规则集未被改动", signed_data),
        ("密码哈希与审计记录一致", full.passwords),
        ("签名密钥停用后不再启用、每对密钥只生成一次、新局长密钥的确认签名有效", full.signing_keys_kept),
        ("签发记录的审计链头、签名与签名密钥", anchors.check_signoffs),
        ("重新打开已签发月份都有局长签名", anchors.check_reopens),
    ]


def run(book: Book, progress: Callable[[int, int, str], None] | None = None) -> full.Report | None:
    """The incremental verify from the last anchor; None when there is none yet (run the full one)."""
    anchor = last_anchor(book.conn)
    if anchor is None:
        return None
    report = full.Report()
    items = checks(anchor)
    for done, (name, check) in enumerate(items):
        if progress is not None:
            progress(done, len(items), name)
        found = full._collect(name, check, book.conn)
        notes = [f for f in found if isinstance(f, full.Note)]  # told, not failed (as in the full verify)
        report.steps.append((name, len(found) - len(notes)))
        report.findings.extend(f for f in found if not isinstance(f, full.Note))
        report.notes.extend(notes)
        if notes:
            report.noted[name] = len(notes)
    report.notes.append(full.Note("增量核验", f"自 {anchor.verified_at} 核验通过的锚点（审计记录 #{anchor.seq}）起", LIMIT))
    report.noted["增量核验"] = 1
    return report


def record(book: Book, *, mode: str, head: tuple[int, str]) -> Anchor | None:
    """After a verify that passed: `head` — the chain head read before it began — and the table sizes become
    the next anchor, if nothing was written since (else what was written has not been verified: no anchor).
    Nothing is recorded by a read-only file or a user who may not (an auditor reads only)."""
    if book.read_only or book.user is None or not has_anchors(book.conn):
        return None
    from app.models.store import permissions

    if book.user.role not in permissions.table().get("record_verify_anchor", ()):
        return None
    with book.write("record_verify_anchor") as conn:
        seq, digest = audit.head(conn)
        if (seq, digest) != tuple(head):
            return None
        conn.execute("INSERT INTO verify_anchors (seq, hash, mode, verified_at, by_user, tables) VALUES (?, ?, ?, ?, ?, ?)",
                     (seq, digest, mode, book.stamp(), book.user.id, json.dumps(table_sizes(conn), sort_keys=True)))
    return last_anchor(book.conn)


def run_and_record(book: Book, progress: Callable[[int, int, str], None] | None = None
                   ) -> tuple[full.Report | None, Anchor | None]:
    """The window's check at start-up and after each backup: the incremental verify, and a new anchor when it
    passed (on a connection that may write). (None, None) when there is no anchor yet."""
    head = audit.head(book.conn)
    report = run(book, progress)
    if report is None or not report.ok:
        return report, None
    return report, record(book, mode="incremental", head=head)
