"""Reopening a signed month is signed by the chief's key (schema 27; anchors.check_reopens).

Before, a reopening was an update of `periods` (and of `signoffs`) like any other. The insider with the file,
Python's sqlite3 and no password reopened the latest signed month, changed a column no monthly table sums (a
payment's purpose) and closed the month again, the audit triggers writing honest records and audit.seal sealing
them as the program does: the closed-month check saw a month reopened and closed, the drift check summed the same
figures, and full and incremental verify both passed. Now the chief's key signs each reopening — month, version,
reason, time and the chain head it is written on — and verify names every reopening without such a statement,
a statement moved to another place in the chain, and one whose words were changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from app.demo import build as demo
from app.export import evidence, signoff
from app.models.integrity import anchors, incremental
from app.models.reports import monthly
from app.models.store import audit, db, keys, signature, users
from app.models.store.book import open_book
from app.models.values.errors import PermissionDenied, ValidationError
from tests.conftest import writable_copy
from tests.reliability.test_record_history import findings

MONTH = "2026-08"  # the demo's latest signed month


def anchored(path: Path) -> None:
    """An anchor recorded by the program, as the window records one after its verify (the clerk)."""
    book = open_book(path)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        assert incremental.record(book, mode="full", head=audit.head(book.conn)) is not None
    finally:
        book.close(backup=False)


@pytest.fixture
def county(demo_file: Path, tmp_path: Path) -> Path:
    path = writable_copy(demo_file, tmp_path / "示例县.db")
    anchored(path)
    return path


def forge(path: Path, *statements: str) -> int:
    """`statements` written as the chief, with every trigger on (they write the honest audit records), then sealed
    onto the chain head as the program seals. Returns the seq of the first record written."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        actor = raw.execute("SELECT actor FROM audit_log WHERE op = 'sign_off' ORDER BY seq DESC LIMIT 1").fetchone()[0]
        head = audit.head(raw)[0]
        raw.execute("BEGIN")
        raw.execute("UPDATE audit_context SET at = '2026-12-01 10:00:00.000', actor = ?, op = 'reopen_month：更正' "
                    "WHERE id = 1", (actor,))
        for sql in statements:
            raw.execute(sql)
        raw.execute("UPDATE audit_context SET at = NULL, actor = NULL, op = NULL WHERE id = 1")
        audit.seal(raw, head)
        raw.execute("COMMIT")
    finally:
        raw.close()
    return head + 1


def _august_payment(path: Path) -> int:
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute("SELECT min(id) FROM payments WHERE pay_date LIKE ?", (f"{MONTH}%",)).fetchone()[0])
    finally:
        raw.close()


REOPEN = f"UPDATE periods SET closed = 0 WHERE month = '{MONTH}'"
CLOSE = f"UPDATE periods SET closed = 1 WHERE month = '{MONTH}'"


def test_the_insider_reopens_edits_and_closes_a_signed_month_around_the_program(county: Path) -> None:
    pid = _august_payment(county)
    seq = forge(county, REOPEN, f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}", CLOSE)
    full, since = findings(county)
    for found in (full, since):
        named = [f for f in found if f.startswith("[重新打开签名]")]
        assert named and f"{MONTH} 的重新打开（审计记录 #{seq}）" in named[0] and "没有局长用签名密钥签的" in named[0], found
        # nothing else in the file gives it away: the records are honest, the figures the same (the naive verify)
        assert [f for f in found if not f.startswith("[重新打开签名]")] == [], found


def test_the_insider_also_supersedes_the_sign_off_and_lends_it_an_honest_statement(county: Path, tmp_path: Path) -> None:
    """A statement the chief really signed (an earlier reopening of the same month, re-signed since) is copied onto
    the version the insider reopens: it names another version and another place in the chain."""
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        monthly.reopen(book, month=MONTH, reason="更正八月的一笔支出用途", password=demo.PASSWORD)
        signoff.sign_off(book, month=MONTH, out_dir=tmp_path / "v2", password=demo.PASSWORD)
        lent = book.conn.execute("SELECT reopen_signature FROM signoffs WHERE month = ? AND version = 1",
                                 (MONTH,)).fetchone()[0]
    finally:
        book.close(backup=False)
    anchored(county)
    assert findings(county) == ([], [])  # the chief's own reopening and re-signing: nothing to say
    pid = _august_payment(county)
    seq = forge(county,
                f"UPDATE signoffs SET status = 'superseded', reopened_at = '2026-12-01 10:00:00', reopened_by = 1, "
                f"reopen_reason = '更正八月的一笔支出用途', reopen_signature = '{lent}' WHERE month = '{MONTH}' AND version = 2",
                REOPEN, f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}", CLOSE)
    full, since = findings(county)
    for found in (full, since):
        named = [f for f in found if f.startswith("[重新打开签名]")]
        assert any(f"{MONTH} 第 2 版签发记录" in f and "签名针对的是 2026-08 第 1 版" in f for f in named), found
        assert any(f"{MONTH} 的重新打开（审计记录 #{seq + 1}）" in f for f in named), found


def test_a_statement_whose_reason_was_changed_is_named(county: Path) -> None:
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        monthly.reopen(book, month=MONTH, reason="更正八月的一笔支出用途", password=demo.PASSWORD)
        text = book.conn.execute("SELECT reopen_signature FROM signoffs WHERE month = ? AND version = 1",
                                 (MONTH,)).fetchone()[0]
    finally:
        book.close(backup=False)
    doc = json.loads(text)
    doc["reason"] = "地区退回，按要求更正"  # the reason the insider would rather show, in the statement and the row
    forged = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    forge(county, f"UPDATE signoffs SET reopen_reason = '地区退回，按要求更正', reopen_signature = '{forged}' "
                  f"WHERE month = '{MONTH}' AND version = 1")
    full, since = findings(county)
    for found in (full, since):
        assert any(f.startswith("[重新打开签名]") and "签名与其内容不符" in f for f in found), found


def test_the_chief_reopens_with_the_password_and_the_statement_signs_the_chain_head(county: Path) -> None:
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        count = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        for wrong in ("", "not-the-password"):
            with pytest.raises(ValidationError, match="密码") as err:
                monthly.reopen(book, month=MONTH, reason="更正八月的一笔支出用途", password=wrong)
            assert err.value.field == "局长密码"
        assert book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == count  # nothing written
        assert monthly.status(book, month=MONTH) == "已签发"
        head = audit.head(book.conn)
        monthly.reopen(book, month=MONTH, reason="更正八月的一笔支出用途", password=demo.PASSWORD)
        first = book.conn.execute("SELECT tbl, row_key, action FROM audit_log WHERE seq = ?", (head[0] + 1,)).fetchone()
        assert tuple(first) == ("periods", MONTH, "U")  # the reopening is the first record after the signed head
        text = book.conn.execute("SELECT reopen_signature FROM signoffs WHERE month = ? AND version = 1",
                                 (MONTH,)).fetchone()[0]
    finally:
        book.close(backup=False)
    st = signature.parse_reopen(text, where="测试")
    assert st.valid() and st.head == head and st.doc["reason"] == "更正八月的一笔支出用途"
    assert st.doc["signer"]["login"] == "juzhang"
    as_signoff = dict(st.doc, kind="signoff")  # the same words cannot pass for another kind of signature
    assert not signature.Parsed(as_signoff).valid()
    assert findings(county) == ([], [])


def test_a_clerk_cannot_reopen_even_with_the_chief_s_password(county: Path) -> None:
    book = open_book(county)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        with pytest.raises(PermissionDenied):
            monthly.reopen(book, month=MONTH, reason="经办想重新打开八月", password=demo.PASSWORD)
    finally:
        book.close(backup=False)


# -- the attack review's holes (2026-12-07), each the attack that beat the first version of the check ----------------
def _raw_session(path: Path, write: Callable[[sqlite3.Connection], None]) -> None:
    """`write` on a raw connection as the chief's actor, the closed-month guards dropped and put back word for word,
    every record sealed onto the chain head as the program seals."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        guards = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fl_closed_%'"
                             ).fetchall()
        actor = raw.execute("SELECT actor FROM audit_log WHERE op = 'sign_off' ORDER BY seq DESC LIMIT 1").fetchone()[0]
        head = audit.head(raw)[0]
        raw.execute("BEGIN")
        for name, _sql in guards:
            raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute("UPDATE audit_context SET at = '2026-12-01 10:00:00.000', actor = ?, op = 'edit' WHERE id = 1", (actor,))
        write(raw)
        raw.execute("UPDATE audit_context SET at = NULL, actor = NULL, op = NULL WHERE id = 1")
        audit.seal(raw, head)
        for _name, text in guards:
            raw.execute(text)
        raw.execute("COMMIT")
    finally:
        raw.close()


def _period_row(raw: sqlite3.Connection, month: str) -> str:
    return raw.execute("SELECT json_object('month', month, 'start_date', start_date, 'end_date', end_date, 'closed', "
                       "closed, 'closed_at', closed_at, 'closed_by', closed_by) FROM periods WHERE month = ?",
                       (month,)).fetchone()[0]


def _named(path: Path, *words: str) -> None:
    full, since = findings(path)
    for found in (full, since):
        assert any(all(w in f for w in words) for f in found), (words, found)


def test_a_reopening_written_as_a_delete_and_an_insert_is_a_reopening(county: Path) -> None:
    """The first check counted only updates of `closed` from 1 to 0; the closed-month check took any record."""
    pid = _august_payment(county)

    def write(raw: sqlite3.Connection) -> None:
        old = _period_row(raw, MONTH)
        raw.execute(f"UPDATE periods SET closed = 0 WHERE month = '{MONTH}'")
        raw.execute("DELETE FROM audit_log WHERE hash IS NULL")  # the honest U record, replaced by a D and an I
        new = _period_row(raw, MONTH)
        for action, before, after in (("D", old, None), ("I", '{"closed":1}', new)):
            raw.execute("INSERT INTO audit_log (at, actor, op, tbl, row_key, action, before, after) SELECT at, actor, "
                        "op, 'periods', ?, ?, ?, ? FROM audit_context WHERE id = 1", (MONTH, action, before, after))
        raw.execute(f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}")
        raw.execute(CLOSE)

    _raw_session(county, write)
    _named(county, "[重新打开签名]", f"{MONTH} 的重新打开", "没有局长用签名密钥签的")
    _named(county, "[结账保护]", "表 periods 主键 2026-08", "本程序从不删除期间")


def test_a_decoy_period_over_a_signed_month_is_named(county: Path) -> None:
    """A period '2026-99' with August's span, inserted closed and deleted again around the edit: the closed-month
    check took the decoy's span for the day's month, closed only after the edit."""
    pid = _august_payment(county)

    def write(raw: sqlite3.Connection) -> None:
        start, end = raw.execute(f"SELECT start_date, end_date FROM periods WHERE month = '{MONTH}'").fetchone()
        raw.execute(f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}")
        raw.execute("INSERT INTO periods (month, start_date, end_date, closed) VALUES ('2026-99', ?, ?, 1)", (start, end))
        raw.execute("DELETE FROM periods WHERE month = '2026-99'")

    _raw_session(county, write)
    _named(county, "[结账保护]", "主键 2026-99", "不是一个月份")
    _named(county, "[结账保护]", "报表期间 2026-99", "重叠")
    _named(county, "[结账保护]", "表 payments", "在 2026-08 结账之后", "修改了")


def test_a_reopening_signed_with_a_key_of_the_insider_s_own_making_is_named(county: Path) -> None:
    """The clerk made chief with plain sqlite3, with a key the insider made (any password), signs a statement exactly
    as the program does: every record says the key is a chief's, but no signed package ever named it."""
    pid = _august_payment(county)
    clerk = 3  # jingban

    def promote(raw: sqlite3.Connection) -> None:
        raw.execute("UPDATE users SET role = 'chief' WHERE id = ?", (clerk,))
        keys.create_key(raw, user_id=clerk, password="insider-pw", now="2026-12-01 09:30:00", reason="重置密码时生成")

    _raw_session(county, promote)

    def reopen(raw: sqlite3.Connection) -> None:
        signer = keys.unlock(raw, user_id=clerk, password="insider-pw")
        sid, version, sig = raw.execute("SELECT id, version, signature FROM signoffs WHERE month = ? AND status = 'signed'",
                                        (MONTH,)).fetchone()
        body = signature.reopen_payload(raw, signer=signer, login="jingban", name="经办", month=MONTH, version=version,
                                        signoff_signature=sig, reason="更正八月支出用途", reopened_at="2026-12-01 10:00:00",
                                        head=audit.head(raw))
        raw.execute(f"UPDATE periods SET closed = 0 WHERE month = '{MONTH}'")
        raw.execute("UPDATE signoffs SET reopened_at = '2026-12-01 10:00:00', reopened_by = ?, reopen_reason = "
                    "'更正八月支出用途', reopen_signature = ? WHERE id = ?", (clerk, signature.sign_reopen(body, signer), sid))
        raw.execute(f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}")
        raw.execute(CLOSE)

    _raw_session(county, reopen)
    _named(county, "[重新打开签名]", "没有出现在此前任何一份已签发报送包的签名中")


def test_a_file_without_the_statements_column_is_judged_all_the_same(county: Path) -> None:
    pid = _august_payment(county)

    def drop(raw: sqlite3.Connection) -> None:
        triggers = raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'signoffs'").fetchall()
        for (name,) in triggers:
            raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute("ALTER TABLE signoffs DROP COLUMN reopen_signature")
        raw.row_factory = sqlite3.Row
        for _name, (_table, sql) in db.trigger_sql(raw).items():
            if _table == "signoffs":
                raw.execute(sql)

    _raw_session(county, drop)
    forge(county, REOPEN, f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}", CLOSE)
    _named(county, "[重新打开签名]", f"{MONTH} 的重新打开", "没有局长用签名密钥签的")


def test_deleting_the_sign_offs_that_promise_signed_reopenings_is_named(county: Path) -> None:
    pid = _august_payment(county)
    seq = forge(county, "DELETE FROM signoff_files", "DELETE FROM signoffs", REOPEN,
                f"UPDATE payments SET purpose = purpose || '（已改）' WHERE id = {pid}", CLOSE)
    _named(county, "[重新打开签名]", "表 signoffs", "本程序从不删除签发记录")
    _named(county, "[重新打开签名]", f"{MONTH} 的重新打开", "没有局长用签名密钥签的")
    assert seq > 0


def test_a_chief_whose_key_no_signed_package_names_cannot_reopen(county: Path) -> None:
    """A second chief added after the last sign-off has a key of the program's making, but no package vouches for it:
    the program refuses before writing, rather than write a reopening verify would have to reject."""
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        users.add_user(book, login="fujuzhang", name="副局长", role="chief", password=demo.PASSWORD, section="")
        users.login(book, "fujuzhang", demo.PASSWORD)
        count = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        with pytest.raises(ValidationError, match="没有出现在此前任何一份已签发报送包的签名中") as err:
            monthly.reopen(book, month=MONTH, reason="更正八月的一笔支出用途", password=demo.PASSWORD)
        assert err.value.field == "签名密钥"
        assert book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == count
    finally:
        book.close(backup=False)


def test_a_file_whose_sign_offs_carry_no_signature_is_told_to_sign_a_month_first(county: Path) -> None:
    """Sign-offs written before signing keys (schema < 9) carry no 签名.json, so no package vouches for any key:
    the refusal says so and how to get out of it, instead of suggesting a password reset."""
    forge(county, "UPDATE signoffs SET signature = ''")  # what a file signed by a program before schema 9 holds
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        count = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        with pytest.raises(ValidationError, match="还没有任何一份用签名密钥签名的报送包") as err:
            monthly.reopen(book, month=MONTH, reason="更正八月的一笔支出用途", password=demo.PASSWORD)
        assert err.value.field == "签名密钥"
        assert "请先签发下一个月份" in str(err.value) and "重置密码" not in str(err.value)
        assert book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == count
    finally:
        book.close(backup=False)


def test_a_reopening_before_any_promise_is_told_not_failed_also_by_the_incremental_verify(book, tmp_path: Path) -> None:  # noqa: ANN001
    """A file whose sign-offs never promised signed reopenings (as one written by an older program): its reopenings
    are notes in both verifies — the incremental one had put every note among its findings."""
    from app.models.store import periods

    periods.close_month(book, month="2026-09")
    periods.reopen_month(book, month="2026-09", reason="旧版程序的重新打开")
    path = book.path
    book.close(backup=False)
    again = open_book(path)
    users.login(again, "clerk", "secret-pass-1")
    assert incremental.record(again, mode="full", head=audit.head(again.conn)) is not None
    again.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        full = evidence.verify(ro)
        since = incremental.run(ro)
        assert since is not None
        for report in (full, since):
            assert report.findings == [], report.findings
            assert any(n.check == "重新打开签名" and "2026-09 的重新打开" in n.where for n in report.notes), report.notes
    finally:
        ro.close()


def test_a_signed_statement_in_another_shape_is_named_not_a_crash(county: Path) -> None:
    """Whoever holds a key (one of their own making) can sign any JSON: a version that is no number, a bureau that
    is a string. verify names it instead of stopping."""
    clerk = 3

    def write(raw: sqlite3.Connection) -> None:
        keys.create_key(raw, user_id=clerk, password="insider-pw", now="2026-12-01 09:30:00", reason="重置密码时生成")
        signer = keys.unlock(raw, user_id=clerk, password="insider-pw")
        body = signature.reopen_payload(raw, signer=signer, login="jingban", name="经办", month=MONTH, version=1,
                                        signoff_signature="", reason="更正", reopened_at="2026-12-01 10:00:00",
                                        head=audit.head(raw))
        body.update(version="第一版", bureau="某县")
        raw.execute("UPDATE signoffs SET reopen_signature = ? WHERE month = ? AND status = 'signed'",
                    (signature.sign_reopen(body, signer), MONTH))

    _raw_session(county, write)
    _named(county, "[重新打开签名]", f"{MONTH} 第 1 版签发记录", "不是本程序写的格式")


# -- attack review round 3 (2026-12-07): the sign-off marked superseded, the month left closed ----------------------
SUPERSEDE = f"UPDATE signoffs SET status = 'superseded' WHERE month = '{MONTH}' AND status = 'signed'"


def test_a_sign_off_marked_superseded_without_a_reopening_is_named(county: Path) -> None:
    """No periods record, so no reopening to sign: the drift check and the signed-data check read only sign-offs that
    stand, so August's data could then be changed (and moved out of it) with both verifies passing."""
    seq = forge(county, SUPERSEDE)
    _named(county, "[重新打开签名]", f"{MONTH} 的签发记录（审计记录 #{seq}", "不是紧随一次局长签名的重新打开")
    _named(county, "[已签发月份]", MONTH, "该月已结账，却没有现行的签发")


def test_a_sign_off_superseded_and_put_back_is_still_named(county: Path) -> None:
    """Marked superseded, changed behind it, put back: the record of the first update stays in the chain."""
    seq = forge(county, SUPERSEDE, f"UPDATE signoffs SET status = 'signed' WHERE month = '{MONTH}' AND version = 1")
    _named(county, "[重新打开签名]", f"审计记录 #{seq}", "不是紧随一次局长签名的重新打开")


def test_the_chief_cannot_sign_again_a_closed_month_whose_sign_off_was_marked_superseded(county: Path,
                                                                                          tmp_path: Path) -> None:
    """The window shows such a month as not signed; signing it would send whatever the data now say under the
    chief's key as version 2. The program refuses and says why."""
    forge(county, SUPERSEDE)
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        with pytest.raises(ValidationError, match="已结账，却没有现行的签发") as err:
            signoff.sign_off(book, month=MONTH, out_dir=tmp_path / "v2", password=demo.PASSWORD)
        assert err.value.field == "月份"
        assert book.conn.execute("SELECT count(*) FROM signoffs WHERE month = ?", (MONTH,)).fetchone()[0] == 1
    finally:
        book.close(backup=False)


# -- attack review round 4 (2026-12-07): the same, in two steps or with a sign-off of one's own ----------------------
def test_a_sign_off_superseded_with_a_junk_statement_then_emptied_is_named(county: Path) -> None:
    """The first update writes a non-empty statement (the record's own text looks like the program's), the second
    empties it again: only the program's one update right after a signed reopening is allowed."""
    seq = forge(county, f"UPDATE signoffs SET status = 'superseded', reopen_signature = 'x' WHERE month = '{MONTH}' "
                        "AND status = 'signed'",
                f"UPDATE signoffs SET reopen_signature = '' WHERE month = '{MONTH}' AND version = 1")
    for record in (seq, seq + 1):
        _named(county, "[重新打开签名]", f"审计记录 #{record}", "不是紧随一次局长签名的重新打开")


def test_an_unsigned_sign_off_slipped_in_with_a_low_id_and_an_old_date_is_named(county: Path) -> None:
    """A version 2 of August with no signature, an old signed_at and an id below every real sign-off stood in for the
    superseded version 1: an unsigned sign-off was taken for an old program's by its id and the time it claims. Its
    insert record sits after the file's first signing key: it is named, whatever it says about itself."""
    raw = sqlite3.connect(county)
    try:
        cols = [r[1] for r in raw.execute("PRAGMA table_info(signoffs)")]
        row = dict(zip(cols, raw.execute("SELECT * FROM signoffs WHERE month = ? AND status = 'signed'",
                                         (MONTH,)).fetchone(), strict=True))
    finally:
        raw.close()
    fake = {**row, "id": -1, "version": 2, "signed_at": "2020-01-01 00:00:00", "signature": "", "files": "{}"}
    values = ", ".join("NULL" if v is None else str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"
                       for v in fake.values())
    forge(county, f"UPDATE signoffs SET status = 'superseded' WHERE month = '{MONTH}' AND version = 1",
          f"INSERT INTO signoffs ({', '.join(fake)}) VALUES ({values})")
    _named(county, "[签名]", f"{MONTH} 第 2 版签发记录", "没有签名")


def test_a_sign_offs_recorded_data_changed_is_named_without_the_promise_too(county: Path) -> None:
    """Attack review round 9: in a file signed by a version before the promise of signed reopenings, updates of a
    sign-off were not looked at, so its snapshot could be rewritten (audited, sealed) and the month re-summed
    against the rewrite. Whatever the promise, the program never changes what a sign-off recorded."""
    raw = sqlite3.connect(county)
    try:
        sid = raw.execute("SELECT id FROM signoffs WHERE month = ? AND status = 'signed'", (MONTH,)).fetchone()[0]
    finally:
        raw.close()
    seq = forge(county, f"UPDATE signoffs SET data = data || ' ' WHERE id = {sid}")
    ro = open_book(county, read_only=True)
    try:
        found = [str(f) for f in anchors._sign_off_updates(ro.conn, None, {}, {})]  # as if nothing promised
    finally:
        ro.close()
    assert any(f"签发记录 #{sid}（审计记录 #{seq}）" in f and "（data）" in f for f in found), found


def test_a_chief_planted_before_an_honest_sign_off_cannot_reopen(county: Path, tmp_path: Path) -> None:
    """Attack review round 11 (K2): the insider writes in a deputy chief with a key and a password of their own, and
    waits for the chief's next sign-off, whose users list names every active chief. That made the planted key
    "anchored": logged in as the deputy, the insider reopened signed months and changed them, and both verifies
    passed. A users list no longer vouches for a chief key made after the file's first promise (KEYS_ENDORSED)."""
    book = open_book(county)
    try:
        with book.write("add_user", system=True) as conn:  # what sqlite3 and the source can write
            users.insert_user(conn, login="fuju", name="副局长", role="chief", password="Insider-pw-77", section="",
                              now="2026-11-01 09:00:00")
        users.login(book, "juzhang", demo.PASSWORD)
        signoff.sign_off(book, month="2026-09", out_dir=tmp_path, password=demo.PASSWORD)  # names fuju's key
        users.login(book, "fuju", "Insider-pw-77")
        with pytest.raises(ValidationError, match="没有出现在此前任何一份已签发报送包的签名中"):
            monthly.reopen(book, month="2026-09", reason="地区退回，更正后重新报送", password="Insider-pw-77")
    finally:
        book.close(backup=False)


def test_a_chief_key_endorsed_at_the_reset_can_reopen_at_once(county: Path) -> None:
    """Attack review round 11 (h4): the chief's password reset by a deputy makes a new key; endorsed by the deputy
    (whose own key the chief endorsed when adding him), it is vouched for at once — no need to sign a month first."""
    book = open_book(county)
    try:
        users.login(book, "juzhang", demo.PASSWORD)
        users.add_user(book, login="fuju", name="副局长", role="chief", password="Deputy-pw-12", section="",
                       endorse_password=demo.PASSWORD)
        chief = book.user.id if book.user else 0
        users.login(book, "fuju", "Deputy-pw-12")
        users.reset_password(book, user_id=chief, password="Chief-new-pw-3", endorse_password="Deputy-pw-12")
        users.login(book, "juzhang", "Chief-new-pw-3")
        monthly.reopen(book, month=MONTH, reason="地区退回，更正后重新报送", password="Chief-new-pw-3")
    finally:
        book.close(backup=False)
    ro = open_book(county, read_only=True)
    try:
        report = evidence.verify(ro)
        # the demo's own clock is signed with the chief's key of the day it was built: a reset leaves it behind, and
        # verify says so (only in the demo county; a bureau's file has no demo clock)
        assert [f for f in report.findings if f.check != "演示日期"] == [], report.findings
    finally:
        ro.close()
