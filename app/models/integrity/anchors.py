"""verify's checks of what was signed: sign-offs against the chain, signatures against keys, signed months against
live data, and the file against packages as they were sent (`verify --against`), which anchor it from outside.

A hash chain anyone can recompute proves nothing on its own. What holds is what left the file: a signature made
with a key that only the chief can open, and the package (manifest, chain head, checkpoints, users) that went
upward. Everything here only reads.
"""

from __future__ import annotations

import glob
import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.models.integrity.verify import (
    Note,  # told, not failed: a key that changed, with when and why
    period_history,
)
from app.models.reports import definitions, package_data, snapshot
from app.models.reports.monthly import assemble
from app.models.store import audit, endorsements, keys, signature
from app.models.store.audit import Finding
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import AppError

MANIFEST = "manifest.json"
MAX_PACKAGE_BYTES = 512 * 1024 * 1024
ROLE = {"clerk": "经办", "reviewer": "审核", "chief": "局长", "auditor": "审计"}


def _level(conn: sqlite3.Connection) -> str:
    """The file's bureau level ('county', 'prefecture', 'region'; "" for a file from before schema 11)."""
    try:
        row = conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return ""
    return str(row[0]) if row else ""


def _where(row: sqlite3.Row | dict[str, Any]) -> str:
    return f"{row['month']} 第 {row['version']} 版签发记录"


def _range(a: int, b: int) -> str:
    return f"审计记录 #{a}" if a == b else f"审计记录 #{a}–#{b}"


def _user_diff(then: list[dict[str, Any]], now: list[dict[str, Any]]) -> str:
    """The first difference between two user lists, named."""
    a = {str(u["login"]).lower(): u for u in then}
    b = {str(u["login"]).lower(): u for u in now}
    for login in sorted(a.keys() | b.keys()):
        x, y = a.get(login), b.get(login)
        if x is None and y is not None:
            return f"用户 {y['login']}（{ROLE.get(str(y['role']), y['role'])}）在签发时并不存在，是后来在本程序之外加入的"
        if y is None and x is not None:
            return f"签发时存在的用户 {x['login']}（{ROLE.get(str(x['role']), x['role'])}）已不在文件的记录中"
        if x != y and x is not None and y is not None:
            parts = [f"{k} 签发时为 {x[k]!r}、文件中为 {y[k]!r}" for k in ("role", "active", "key") if x.get(k) != y.get(k)]
            return f"用户 {x['login']} 与签发时不同：{'；'.join(parts)}"
    return "用户名单与签发时不同"


def _signer_login(conn: sqlite3.Connection, user_id: int) -> str:
    row = conn.execute("SELECT login FROM users WHERE id = ?", (user_id,)).fetchone()
    return str(row[0]) if row else ""


_NEVER = 1 << 62  # a chain position after every record


# -- inside the file -----------------------------------------------------------------------------------------
def check_signoffs(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every sign-off: its recorded chain head is the chain's, its signature is valid under a key the file knows
    for its signer (active when it signed), and the users it signed are the users the chain says there were.
    Key changes between sign-offs are told (with when and why), not silently trusted."""
    rows = conn.execute("SELECT * FROM signoffs ORDER BY id").fetchall()
    bureau = signature.bureau_of(conn)
    signed_before = False
    # where each sign-off entered the chain (its insert record), not its id or the time it claims: a row without a
    # signature is an old program's only if it was inserted before the file had a signing key and a signed sign-off
    inserted = {str(k): int(q) for k, q in conn.execute(
        "SELECT row_key, min(seq) FROM audit_log WHERE tbl = 'signoffs' AND action = 'I' GROUP BY row_key")}
    first_key = conn.execute("SELECT min(seq) FROM audit_log WHERE tbl = 'signing_keys' AND action = 'I'").fetchone()[0]
    first_signed = min((inserted.get(str(r["id"]), _NEVER) for r in rows if r["signature"]), default=_NEVER)
    keyed_from = min(int(first_key) if first_key is not None else _NEVER, first_signed)
    last_key: dict[str, str] = {}
    for row in rows:
        where = _where(row)
        seq, want = int(row["audit_seq"]), str(row["audit_hash"])
        now = signature.chain_hash_at(conn, seq)
        doc: signature.Parsed | None = None
        if row["signature"]:
            try:
                doc = signature.parse(row["signature"], where=where)
            except AppError as exc:
                yield Finding("签名", where, str(exc))
                continue
        if now != want:
            detail = f"记录的审计链头（#{seq}）与文件中该位置的审计链不一致：签发之后审计链被重新计算过，历史被改写"
            if doc is not None and doc.head == (seq, want):
                span = signature.first_difference(conn, doc.head, doc.doc["checkpoints"])
                if span:
                    detail += f"；第一处不同在{_range(*span)}之间"
            yield Finding("签发锚点", where, detail)
        if doc is None:
            keyed = conn.execute("SELECT min(created_at) FROM signing_keys").fetchone()[0]
            if signed_before or (keyed is not None and str(keyed) <= str(row["signed_at"])) \
                    or inserted.get(str(row["id"]), _NEVER) > keyed_from:
                yield Finding("签名", where, "没有签名：签发时本文件已有局长签名密钥，这一版的签名被去掉了")
            else:
                yield Note("签名", where, "由未启用签名的旧版程序签发，没有签名，只核对了审计链头")
            continue
        signed_before = True
        yield from _check_doc(conn, row, doc, bureau, where)
        login = str(doc.doc["signer"].get("login", ""))
        if last_key and login.lower() not in last_key:
            yield Note("签名密钥", f"{row['month']} 第 {row['version']} 版",
                       f"签发人第一次是 {login}（密钥 {keys.show(doc.fingerprint)}，{_why(conn, doc.fingerprint)}）；"
                       f"此前的月份由 {'、'.join(sorted(last_key))} 签发——请与上级核对封面上的密钥指纹")
        previous = last_key.get(login.lower())
        if previous and previous != doc.fingerprint:
            yield Note("签名密钥", f"{login} 自 {row['month']} 第 {row['version']} 版起",
                       f"签名密钥改变：{keys.show(previous)} → {keys.show(doc.fingerprint)}；{_why(conn, doc.fingerprint)}")
        last_key[login.lower()] = doc.fingerprint
    for login, fp in sorted(last_key.items()):
        user = conn.execute("SELECT id, name FROM users WHERE login = ?", (login,)).fetchone()
        current = keys.active_key(conn, int(user[0])) if user else None
        if user is not None and current is not None and current.fingerprint != fp:
            yield Note("签名密钥", f"局长 {user['name']}（{login}）",
                       f"当前的签名密钥 {keys.show(current.fingerprint)} 不是签发此前月份的 {keys.show(fp)}；"
                       f"{_why(conn, current.fingerprint)}")


def check_reopens(conn: sqlite3.Connection) -> Iterator[Finding]:
    """Every reopening of a closed month after the first sign-off that promises it (signature.REOPENS_SIGNED) is
    signed by a chief's key, and the statement sits where it was made: the reopening's `periods` record is the
    first one after the chain head it signed. Reopening is only a write of `periods` (and of `signoffs`) that plain
    sqlite3 can make and seal like the program; a signed month reopened, edited and closed again around the program
    looked honestly reopened, and a change to a column no table sums (a notice's title) passed verify.

    A reopening is any periods record after which a month closed before is no longer closed — an update, a delete,
    whatever the record claims the row was (integrity.verify.period_history replays them). The promise is read from
    the sign-offs as they stand and from their insert records in the audit log (a sign-off deleted to escape it is
    named: the program never deletes one); a file without the statements' column is judged all the same."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(signoffs)")}
    text = "reopen_signature" if "reopen_signature" in columns else "''"
    bureau = signature.bureau_of(conn)
    promised: int | None = None  # the chain position from which reopenings must be signed
    for seq, key, tbl in conn.execute("SELECT seq, row_key, tbl FROM audit_log WHERE tbl IN ('signoffs', 'signoff_files') "
                                      "AND action = 'D' ORDER BY seq"):
        yield Finding("重新打开签名", f"审计记录 #{seq}（表 {tbl} 主键 {key}）", "删除了签发记录：本程序从不删除签发记录")
    for seq, sig in conn.execute("SELECT json_extract(after, '$.audit_seq'), json_extract(after, '$.signature') "
                                 "FROM audit_log WHERE tbl = 'signoffs' AND action = 'I' AND after IS NOT NULL"):
        if _promises(seq, sig):
            promised = int(seq) if promised is None else min(promised, int(seq))
    statements: dict[int, tuple[sqlite3.Row, signature.Parsed]] = {}
    for row in conn.execute("SELECT id, month, version, audit_seq, signature, reopened_at, reopened_by, reopen_reason, "
                            f"{text} AS statement FROM signoffs ORDER BY id").fetchall():
        where = _where(row)
        if _promises(row["audit_seq"], row["signature"]):
            promised = int(row["audit_seq"]) if promised is None else min(promised, int(row["audit_seq"]))
        if not row["statement"]:
            continue
        try:
            st = signature.parse_reopen(row["statement"], where=where)
        except signature.OtherFormat as exc:
            yield Note("重新打开签名", where, str(exc))
            continue
        except AppError as exc:
            yield Finding("重新打开签名", where, str(exc))
            continue
        try:
            problem = _reopen_problem(conn, row, st, bureau)
            head = st.head
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # signed, but not what the program writes
            yield Finding("重新打开签名", where, f"重新打开签名的内容不是本程序写的格式（{exc!r}）")
            continue
        if problem:
            yield Finding("重新打开签名", where, problem)
            continue
        statements[head[0]] = (row, st)
        promised = head[0] if promised is None else min(promised, head[0])
    reopened = period_history(conn).reopenings
    for seq, month in reopened.items():
        where = f"{month} 的重新打开（审计记录 #{seq}）"
        if promised is None or seq <= promised:
            yield Note("重新打开签名", where, "写在本文件第一次承诺“重新打开须局长签名”的签发之前（旧版程序不签名），"
                                          "没有局长签名，只核对了审计链")
            continue
        found = statements.get(seq - 1)
        if found is None or found[1].doc["month"] != month:
            yield Finding("重新打开签名", where,
                          "没有局长用签名密钥签的重新打开记录：本程序重新打开已结账的月份时，局长的密钥对月份、版本、理由和"
                          "当时的审计链头签名，这次重新打开是绕过本程序写的（此后对该月的改动也因此不可信）")
    for head_seq, (row, st) in sorted(statements.items()):
        if reopened.get(head_seq + 1) != st.doc["month"]:
            yield Finding("重新打开签名", _where(row),
                          f"签名的重新打开（审计链头 #{head_seq} 之后）在审计记录中没有对应的重新打开：签名被挪用到别处")
    yield from _sign_off_updates(conn, promised, reopened, statements)


# The columns monthly.reopen writes on a sign-off (the only update of one the program has ever made).
REOPEN_COLUMNS = frozenset({"status", "reopened_at", "reopened_by", "reopen_reason", "reopen_signature"})


def _sign_off_updates(conn: sqlite3.Connection, promised: int | None, reopened: dict[int, str],
                      statements: dict[int, tuple[sqlite3.Row, signature.Parsed]]) -> Iterator[Finding]:
    """The program updates a sign-off once only: monthly.reopen marks the version superseded and keeps its statement,
    in the record right after the reopening it signed (statement at head H, the periods record at H + 1, this one at
    H + 2). A sign-off marked superseded by plain sqlite3 — its month left closed — was no longer re-summed by the
    drift check nor had its data hash checked, and the month could then be changed, moved out of and signed again by
    the honest program. After the promise, every other update record of a sign-off is named, whatever it writes (a
    statement first set to junk and then emptied passed a check of the record's own text); a closed month with
    sign-offs but none standing is named always."""
    for seq, key, month, old_status, new_status in conn.execute(
            "SELECT seq, row_key, json_extract(after, '$.month'), "
            f"{audit.old_value_sql('status', 'before', 'after')}, json_extract(after, '$.status') "
            "FROM audit_log WHERE tbl = 'signoffs' AND action = 'U' ORDER BY seq"):
        if promised is None or int(seq) <= promised:
            continue
        found = statements.get(int(seq) - 2)
        if (old_status == "signed" and new_status != "signed" and reopened.get(int(seq) - 1) == month
                and found is not None and found[1].doc["month"] == month and str(found[0]["id"]) == str(key)):
            continue  # the program's own: right after the reopening its statement signed
        yield Finding("重新打开签名", f"{month} 的签发记录（审计记录 #{seq}，签发记录 #{key}）",
                      "签发记录被改动，而这不是紧随一次局长签名的重新打开的那一次标记：本程序只在局长签名重新打开时改签发记录，"
                      "这是绕过本程序写的（被标为已更正的月份不再按签发数据核对）")
    # whatever the promise: what a sign-off recorded when it was made (its data, hash, files, signature, head …)
    # never changes — the program's only update of a sign-off writes the reopening columns. A snapshot rewritten
    # with plain sqlite3 in a file signed by an older version (no promise) was re-summed against itself.
    for seq, key, before, after in conn.execute(
            "SELECT seq, row_key, before, after FROM audit_log WHERE tbl = 'signoffs' AND action = 'U' ORDER BY seq"):
        try:
            old, new = json.loads(before or "{}"), json.loads(after or "{}")
        except ValueError:
            old, new = {}, {}
        changed = sorted(c for c in old if c not in REOPEN_COLUMNS and old[c] != new.get(c))
        if changed:
            yield Finding("已签发月份", f"签发记录 #{key}（审计记录 #{seq}）",
                          f"签发时写定的内容被改动（{'、'.join(changed)}）：本程序从不改动它们，只在重新打开时写重新打开的各列")
    for (month,) in conn.execute(
            "SELECT p.month FROM periods p WHERE p.closed = 1 AND EXISTS (SELECT 1 FROM signoffs s WHERE s.month = p.month) "
            "AND NOT EXISTS (SELECT 1 FROM signoffs s WHERE s.month = p.month AND s.status = 'signed') ORDER BY p.month"):
        yield Finding("已签发月份", f"{month}",
                      "该月已结账，却没有现行的签发：签发记录被标为已更正而该月并未重新打开——本程序不会留下这样的状态，"
                      "签发后的数据因此不再被核对")


def _promises(seq: object, text: object) -> bool:
    """A sign-off's valid 签名.json, signed at chain head `seq`, that promises signed reopenings."""
    if not text or seq is None:
        return False
    try:
        doc = signature.parse(str(text), where="")
        return doc.doc.get(signature.REOPENS_SIGNED) is True and doc.head[0] == int(str(seq)) and doc.valid()
    except (AppError, KeyError, TypeError, ValueError, AttributeError):
        return False  # check_signoffs names it


def _reopen_problem(conn: sqlite3.Connection, row: sqlite3.Row, st: signature.Parsed,
                    bureau: dict[str, str]) -> str:
    """What is wrong with a reopening statement kept on sign-off `row` ('' when nothing)."""
    d = st.doc
    if not st.valid():
        return "重新打开签名与其内容不符：签名被改动过，或不是用其所记公钥签的"
    problems = []
    if (d["month"], int(d["version"])) != (row["month"], int(row["version"])):
        problems.append(f"签名针对的是 {d['month']} 第 {d['version']} 版")
    if d["signoff_sha256"] != hashlib.sha256(str(row["signature"]).encode("utf-8")).hexdigest():
        problems.append(f"签名所重新打开的不是这一版的 {signature.FILE_NAME}")
    if (d["reason"], d["reopened_at"]) != (row["reopen_reason"], row["reopened_at"]):
        problems.append("理由或时间与签发记录上写的不同")
    if d["bureau"] != bureau:
        problems.append(f"签名中的单位是 {d['bureau'].get('name')}（{d['bureau'].get('region_code')}）")
    if signature.chain_hash_at(conn, st.head[0]) != st.head[1]:
        problems.append(f"签名时的审计链头 #{st.head[0]} 与文件中的审计链不一致")
    if problems:
        return "重新打开签名与记录不一致：" + "；".join(problems)
    key = keys.by_fingerprint(conn, st.fingerprint)
    login = _signer_login(conn, int(row["reopened_by"] or 0))
    if key is None or key.public_key != d["public_key"]:
        return f"签名所用的密钥（指纹 {keys.show(st.fingerprint)}）不是本文件登记的任何密钥"
    if _signer_login(conn, key.user_id) != login or str(d["signer"].get("login", "")).lower() != login.lower():
        return f"签名所用的密钥不是重新打开人 {login or '（无）'} 的"
    at = str(row["reopened_at"])
    if key.created_at > at or (key.retired_at is not None and key.retired_at < at):
        return f"签名所用的密钥在重新打开时（{at}）并不是 {login} 的有效密钥"
    if st.fingerprint not in endorsements.anchored_chief_keys(conn, st.head[0] + 1):
        return (f"签名所用的密钥（{keys.show(st.fingerprint)}）没有出现在此前任何一份已签发报送包的签名中（签发人或局长名单）："
                "只有文件自己的记录说它属于局长，而这些记录持有文件的人都能写")
    then = {str(u["login"]).lower(): u for u in keys.users_at(conn, st.head[0])}
    user = then.get(login.lower())
    if user is None or user["role"] != "chief" or not user["active"] or user["key"] != st.fingerprint:
        return f"重新打开时 {login} 不是持有该密钥的在职局长（按审计记录还原当时的用户表）"
    return ""


def _why(conn: sqlite3.Connection, fp: str) -> str:
    key = keys.by_fingerprint(conn, fp)
    return f"该密钥 {key.created_at} 生成，原因：{key.reason}" if key else "该密钥在本文件中没有记录"


def _check_doc(conn: sqlite3.Connection, row: sqlite3.Row, doc: signature.Parsed, bureau: dict[str, str],
               where: str) -> Iterator[Finding]:
    d = doc.doc
    if not doc.valid():
        yield Finding("签名", where, f"{signature.FILE_NAME} 的签名与其内容不符：签名文件被改动过，或不是用其所记公钥签的")
        return
    files: dict[str, str] = json.loads(row["files"])
    manifest_name = str(d["manifest"].get("name", MANIFEST))
    problems = []
    if (d["month"], int(d["version"])) != (row["month"], int(row["version"])):
        problems.append(f"签名针对的是 {d['month']} 第 {d['version']} 版")
    if doc.head != (int(row["audit_seq"]), str(row["audit_hash"])):
        problems.append(f"签名中的审计链头 #{doc.head[0]} 与签发记录的不同")
    if files.get(manifest_name) != d["manifest"].get("sha256"):
        problems.append(f"签名所签的 {manifest_name} 与签发记录的哈希不同")
    if files.get(signature.FILE_NAME) != hashlib.sha256(row["signature"].encode("utf-8")).hexdigest():
        problems.append(f"{signature.FILE_NAME} 与签发记录的哈希不同")
    if d["bureau"] != bureau:
        problems.append(f"签名中的单位是 {d['bureau'].get('name')}（{d['bureau'].get('region_code')}）")
    if problems:
        yield Finding("签名", where, "签名与签发记录不一致：" + "；".join(problems))
        return
    key = keys.by_fingerprint(conn, doc.fingerprint)
    login = _signer_login(conn, int(row["signed_by"]))
    if key is None or key.public_key != d["public_key"]:
        yield Finding("签名密钥", where, f"签名所用的密钥（指纹 {keys.show(doc.fingerprint)}）不是本文件登记的任何密钥")
        return
    if _signer_login(conn, key.user_id) != login or str(d["signer"].get("login", "")).lower() != login.lower():
        yield Finding("签名密钥", where, f"签名所用的密钥属于另一个用户，不是签发人 {login} 的")
        return
    signed_at = str(row["signed_at"])
    if key.created_at > signed_at or (key.retired_at is not None and key.retired_at < signed_at):
        yield Finding("签名密钥", where, f"签名所用的密钥在签发时（{signed_at}）并不是 {login} 的有效密钥"
                                        f"（生成于 {key.created_at}，停用于 {key.retired_at or '—'}）")
        return
    then = keys.users_at(conn, doc.head[0])
    if keys.users_digest(then) != d["users_sha256"] or then != d["users"]:
        yield Finding("用户", where, _user_diff(d["users"], then) + "（按审计记录还原签发时的用户表）")


# -- signed months against live data ------------------------------------------------------------------------
def _shown(value: Any, col: definitions.Column | None) -> str:
    if col is not None and col.type == "money" and isinstance(value, int) and not isinstance(value, bool):
        return money.format(value)
    return str(value)


def check_drift(book: Book) -> Iterator[Finding]:
    """Every month that stands signed is summed again from the data as it is now; the first figure that differs
    from what was signed is named (a month that drifted after signing: data entered or changed around the lock)."""
    defs = definitions.load()
    by_source = {t.source: t for t in defs.tables}
    for row in book.conn.execute("SELECT id, month, version, data FROM signoffs WHERE status = 'signed' "
                                 "ORDER BY month").fetchall():
        signed = json.loads(row["data"])
        package = snapshot.loads(row["data"])
        if package.calc > package_data.CALC:
            yield Note("已签发月份", _where(row), f"由较新版本的程序签发（计算口径 {package.calc}，本程序只认识到 "
                                              f"{package_data.CALC}）：本程序无法按其口径重新汇总，请用签发它的版本核验")
            continue
        try:
            live = json.loads(snapshot.dumps(assemble(book, month=row["month"], version=package.version,
                                                      signoff=package.signoff, audit_head=package.audit_head,
                                                      carried=False, calc=package.calc)))  # the whole history, not a carried figure
        except AppError as exc:
            yield Finding("已签发月份", _where(row), f"无法按现有数据重新汇总：{exc}")
            continue
        found = _first_change(signed, live, by_source)
        if found:
            yield Finding("已签发月份", f"{row['month']} 已签发报送包（第 {row['version']} 版）",
                          f"{found}（按现有数据重新汇总与签发时不同：签发后数据被改动过）")


def check_drift_on(conn: sqlite3.Connection) -> Iterator[Finding]:
    """check_drift on a connection of its own: verify starts it at once in a thread beside the other long checks
    (the sums run inside SQLite, which lets the other threads go on meanwhile)."""
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    return check_drift(Book(Path(path or ":memory:"), conn, read_only=True))


check_drift_on.ahead = True  # type: ignore[attr-defined]


def _rule_set_shown(value: object) -> str:
    parts = str(value or "").split(" ")
    return " ".join(parts[:2]) + (f"，文件摘要 {parts[2][:12]}…" if len(parts) > 2 else "")


def _first_change(signed: dict[str, Any], live: dict[str, Any], by_source: dict[str, definitions.TableDef]) -> str:
    # the rule set first: a changed set changes the figures too, and is the cause to name
    if "rule_set" in signed and signed.get("rule_set") != live.get("rule_set"):
        return (f"该月所属年度的规则集与签发时不同（签发时 {_rule_set_shown(signed.get('rule_set'))}，"
                f"现在 {_rule_set_shown(live.get('rule_set'))}）")
    if "calendar" in signed and signed.get("calendar") != live.get("calendar"):
        return (f"该月所依据的工作日历（截至 {str(signed.get('calendar'))[:10]} 的节假日与调休）与签发时不同："
                "签发后节假日被改动过，该月的下达时限与逾期结论随之改变")
    for source in sorted(set(signed["rows"]) | set(live["rows"]),
                         key=lambda s: (by_source[s].id if s in by_source else "~" + s)):
        a, b = signed["rows"].get(source, []), live["rows"].get(source, [])
        if a:  # columns a later program version added were not in the table when it was signed: not a change
            had = set().union(*(r.keys() for r in a))
            b = [{k: v for k, v in r.items() if k in had} if isinstance(r, dict) else r for r in b]
        if a == b:
            continue
        table = by_source.get(source)
        name = f"{table.id}（{table.title}）" if table else source
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if x == y:
                continue
            if x is None or y is None:
                return f"{name} 行数不同（签发时 {len(a)} 行，现在 {len(b)} 行）"
            label = str(x.get(table.label_column, "") if table else "") or f"第 {i + 1} 行"
            for k in sorted(set(x) | set(y), key=lambda k: list(x).index(k) if k in x else 999):
                if x.get(k) != y.get(k):
                    col = table.find(k) if table else None
                    return (f"{name} “{label}”的 {col.name if col else k}：签发时 {_shown(x.get(k), col)}，"
                            f"现在 {_shown(y.get(k), col)}")
        return f"{name} 与签发时不同"
    if signed.get("balances") != live.get("balances"):  # calc 3: what later months' 表4 carries (issue #22)
        return "签发时记录的各指标期末余额（以后月份的表4 由此结转）与按全部历史重新汇总的不同"
    if signed.get("warnings") != live.get("warnings"):
        return "计入该月的预警与签发时不同"
    return ""


# -- against packages as they were sent ------------------------------------------------------------------------
def expand(path: Path) -> list[Path]:
    """The packages a path names: itself, the package folders and .zip files inside a folder of them, or what a
    wildcard matches (Windows' command prompt passes `报送包\\*` through unexpanded)."""
    text = str(path)
    if any(c in text for c in "*?[") and not path.exists():
        return sorted(Path(p) for p in glob.glob(text)) or [path]
    if path.is_dir() and not (path / MANIFEST).is_file():
        inner = sorted(p for p in path.iterdir()
                       if (p.is_dir() and (p / MANIFEST).is_file()) or (p.is_file() and p.suffix.lower() == ".zip"))
        return inner or [path]
    return [path]


def read_package(path: Path) -> tuple[str, dict[str, bytes]]:
    """The files of a package folder or .zip as sent (a zip may hold the folder itself). Raises AppError."""
    if path.is_dir():
        files = {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
        return path.name, files
    if path.is_file() and zipfile.is_zipfile(path):
        out: dict[str, bytes] = {}
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            for info in infos:
                info.filename = _zip_name(info)
            if sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
                raise AppError(f"压缩包 {path.name} 解开后超过 {MAX_PACKAGE_BYTES // 1024 // 1024} MB，不是报送包",
                               field="报送包")
            tops = {i.filename.split("/")[0] for i in infos if "/" in i.filename}
            prefix = f"{tops.pop()}/" if len(tops) == 1 and all("/" in i.filename for i in infos) else ""
            for info in infos:
                name = info.filename[len(prefix):] if info.filename.startswith(prefix) else info.filename
                if "/" in name:
                    raise AppError(f"压缩包 {path.name} 中有子文件夹 {info.filename}，不是一个报送包", field="报送包")
                out[name] = zf.read(info)
        return path.name, out
    if not path.exists():
        raise AppError(f"{path} 不存在", field="报送包")
    raise AppError(f"{path} 既不是报送包文件夹，也不是 .zip 压缩包", field="报送包")


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker meant it: without the UTF-8 flag Python reads CP437, but Info-ZIP writes UTF-8
    and Windows' 压缩文件夹 writes GBK there."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def check_against(conn: sqlite3.Connection, path: Path) -> Iterator[Finding]:
    """Prove the file's history up to this package is unchanged: the files are the package's own, the signature
    holds, the key is the one this file knows for the signer, the chain at the package's head is the package's,
    and so are the users. The first range of audit records that differs is named."""
    try:
        label, files = read_package(path)
    except (AppError, OSError, zipfile.BadZipFile) as exc:
        yield Finding("报送包", str(path), f"无法读取（{exc}）")
        return
    pkg = f"报送包 {label}"
    if MANIFEST not in files:
        yield Finding("报送包", pkg, f"缺少 {MANIFEST}，不是完整的报送包")
        return
    try:
        man = json.loads(files[MANIFEST])
        listed = {str(f["name"]): str(f["sha256"]) for f in man["files"]}
        month, version = str(man["month"]), int(man["version"])
    except (ValueError, KeyError, TypeError) as exc:
        yield Finding("报送包", f"{pkg}：{MANIFEST}", f"无法读取（{exc}）")
        return
    extra = sorted(set(files) - set(listed) - {MANIFEST, signature.FILE_NAME})
    bad = False
    for name in extra:
        bad = True
        yield Finding("报送包", f"{pkg}：{name}", f"{MANIFEST} 中没有这个文件，是后来加入的")
    for name, digest in sorted(listed.items()):
        if name not in files:
            bad = True
            yield Finding("报送包", f"{pkg}：{name}", "文件缺失")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            bad = True
            yield Finding("报送包", f"{pkg}：{name}", f"内容与 {MANIFEST} 记录的 SHA-256 不符，文件被改动过")
    if bad:
        return
    bureau = signature.bureau_of(conn)
    if signature.FILE_NAME not in files:
        if man.get("signing_key"):
            yield Finding("签名", pkg, f"缺少 {signature.FILE_NAME}：清单写明由局长密钥签发，签名文件被去掉了")
            return
        if man.get("bureau") != bureau["name"]:
            yield Finding("报送包", pkg, f"属于 {man.get('bureau')}，不是本文件的单位（{bureau['name']}）")
            return
        yield Note("签名", pkg, "由未启用签名的旧版程序签发，没有签名：只核对文件与审计链头")
        head = man.get("audit_head") or {}
        yield from _check_chain(conn, pkg, (int(head.get("seq", 0)), str(head.get("hash", ""))), {})
        return
    try:
        doc = signature.parse(files[signature.FILE_NAME], where=pkg)
    except AppError as exc:
        yield Finding("签名", pkg, str(exc))
        return
    d = doc.doc
    if not doc.valid():
        yield Finding("签名", f"{pkg}：{signature.FILE_NAME}", "签名与其内容不符：签名文件被改动过，或不是用其所记公钥签的")
        return
    if d["manifest"].get("sha256") != hashlib.sha256(files[MANIFEST]).hexdigest():
        yield Finding("签名", f"{pkg}：{MANIFEST}", "清单与签名不符：清单在签名之后被改动过")
        return
    if (d["month"], int(d["version"])) != (month, version) or (man.get("signing_key") or {}).get("fingerprint") != doc.fingerprint:
        yield Finding("签名", pkg, "签名文件与清单不是同一次签发的（月份、版本或密钥指纹不同）")
        return
    if d["bureau"] != bureau:
        yield Finding("报送包", pkg, f"属于 {d['bureau'].get('name')}（区划代码 {d['bureau'].get('region_code')}），"
                                    f"不是本文件的单位 {bureau['name']}（{bureau['region_code']}）：不能作为本文件的锚点")
        return
    key = keys.by_fingerprint(conn, doc.fingerprint)
    login = str(d["signer"].get("login", ""))
    if key is None or key.public_key != d["public_key"]:
        yield Finding("签名密钥", pkg, f"报送包由密钥 {keys.show(doc.fingerprint)} 签发，本文件中没有这个密钥："
                                     f"文件中 {login} 的密钥被替换过（或报送包不是本文件签发的）")
    elif _signer_login(conn, key.user_id).lower() != login.lower():
        yield Finding("签名密钥", pkg, f"报送包的签名密钥在本文件中属于另一个用户，不是签发人 {login}")
    row = conn.execute("SELECT * FROM signoffs WHERE month = ? AND version = ?", (month, version)).fetchone()
    if row is None and _level(conn) not in ("", "county"):
        # a prefecture's (or the region's) file: what it signs and sends upward is the consolidated report,
        # recorded in forwarded_reports with the same signature and file hashes
        row = conn.execute("SELECT * FROM forwarded_reports WHERE month = ? AND version = ?", (month, version)).fetchone()
    if row is None:
        yield Finding("签发记录", pkg, f"本文件中没有 {month} 第 {version} 版的签发记录（被删除过）")
    else:
        if row["signature"] and row["signature"].encode("utf-8") != files[signature.FILE_NAME]:
            yield Finding("签名", f"{_where(row)}", f"与报送包 {label} 中的签名不同：文件中的签名被重新签过")
        recorded: dict[str, str] = json.loads(row["files"])
        for name in sorted(listed.keys() | {MANIFEST}):
            if recorded.get(name) != hashlib.sha256(files[name]).hexdigest():
                yield Finding("签发记录", f"{_where(row)}：{name}", f"记录的哈希与报送包 {label} 中的文件不同")
                break
    yield from _check_chain(conn, pkg, doc.head, d["checkpoints"])
    then = keys.users_at(conn, doc.head[0])
    if then != d["users"]:
        yield Finding("用户", pkg, _user_diff(d["users"], then) + f"（按本文件的审计记录还原到 #{doc.head[0]}）")


def _check_chain(conn: sqlite3.Connection, pkg: str, head: tuple[int, str], marks: dict[str, Any]) -> Iterator[Finding]:
    seq, want = head
    if signature.chain_hash_at(conn, seq) == want:
        return
    span = signature.first_difference(conn, head, marks) if marks else (1, seq)
    assert span is not None
    yield Finding("审计链", _range(*span),
                  f"本文件的审计链与 {pkg} 签发时（#{seq}）不同：这是第一处不同的区间，文件的历史在此被改写过")
