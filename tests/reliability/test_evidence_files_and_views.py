"""What verify did not look at (attack review round 3, 2026-12-07): the bytes of evidence files and of the kept copies
of signed packages, and the Chinese views the manual points auditors to.

- An attachment (a notice's photo evidence, the kept PDF of a signed month) is stored with its SHA-256 and size. The
  insider rewrites all three with plain sqlite3: the audit trigger writes an honest update record, the attachment
  check finds bytes and hash consistent, and attachments have no date, so no closed month protects them. The program
  never changes or deletes an attachment or a sign-off file: any update or delete record of them is now named, and
  the package check compares the kept copies with the hashes recorded at sign-off even when the rest re-creates.
- A view redefined in the file (v_支付明细 showing one payment's amount as another, v_审计日志 hiding the log's tail)
  changed no row, record or trigger. Each view is now compared with the program's own definition.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from app.export import evidence
from app.models.store.book import open_book
from tests.reliability.test_signed_reopen import MONTH, _named, findings, forge
from tests.reliability.test_signed_reopen import county as county  # noqa: PLC0414 (the fixture)


def _swap(path: Path, attachment_id: int) -> int:
    raw = sqlite3.connect(path)
    try:
        data = bytes(raw.execute("SELECT data FROM attachments WHERE id = ?", (attachment_id,)).fetchone()[0])
    finally:
        raw.close()
    new = data[: len(data) // 2] + b"FORGED" + data[len(data) // 2 + 6:]
    return forge(path, f"UPDATE attachments SET data = X'{new.hex()}', size = {len(new)}, "
                       f"sha256 = '{hashlib.sha256(new).hexdigest()}' WHERE id = {attachment_id}")


def test_evidence_of_a_signed_month_swapped_with_its_hash_is_named(county: Path) -> None:
    raw = sqlite3.connect(county)
    try:
        aid = raw.execute("SELECT min(e.attachment_id) FROM notice_evidence e JOIN notices n ON n.id = e.notice_id "
                          "WHERE n.start_date LIKE ?", (f"{MONTH}%",)).fetchone()[0]
    finally:
        raw.close()
    seq = _swap(county, int(aid))
    _named(county, "[附件]", f"审计记录 #{seq}（表 attachments 主键 {aid}）", "从不修改或删除")


def test_the_kept_copy_of_a_signed_pdf_swapped_is_named_by_the_package_check_too(county: Path) -> None:
    raw = sqlite3.connect(county)
    try:
        aid, name = raw.execute(
            "SELECT f.attachment_id, f.name FROM signoff_files f JOIN signoffs s ON s.id = f.signoff_id "
            "WHERE s.month = ? AND s.status = 'signed' AND f.name LIKE '%.pdf'", (MONTH,)).fetchone()
    finally:
        raw.close()
    _swap(county, int(aid))
    _named(county, "[附件]", f"表 attachments 主键 {aid}")
    ro = open_book(county, read_only=True)
    try:
        package = [str(f) for f in evidence.verify(ro).findings if f.check == "报送包"]
    finally:
        ro.close()
    assert any(name in f and "数据库中保存的这个文件与签发时记录的 SHA-256 不符" in f for f in package), package


def test_a_redefined_chinese_view_is_named_and_a_view_of_ones_own_is_only_told(county: Path) -> None:
    raw = sqlite3.connect(county, isolation_level=None)
    try:
        sql = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'v_审计日志'").fetchone()[0]
        raw.execute("BEGIN")
        raw.execute('DROP VIEW "v_审计日志"')
        raw.execute(sql.rstrip().rstrip(";") + " WHERE seq <= 100")  # the log's tail hidden from whoever reads the view
        raw.execute("CREATE VIEW v_我的视图 AS SELECT 1 AS x")
        raw.execute("COMMIT")
    finally:
        raw.close()
    _named(county, "[中文视图]", "视图 v_审计日志", "被改写过")
    full, since = findings(county)
    assert not any("v_我的视图" in f for f in full + since)
    ro = open_book(county, read_only=True)
    try:
        assert any("v_我的视图" in str(n) for n in evidence.verify(ro).notes)
    finally:
        ro.close()


def test_a_view_replaced_by_a_table_renamed_in_case_or_dropped_is_named(county: Path) -> None:
    """Round 4: v_支付明细 replaced by a TABLE of the same name, v_审计日志 re-created as V_审计日志 (SQLite finds it
    under either name), v_预警 dropped: the check had walked only the views present."""
    raw = sqlite3.connect(county, isolation_level=None)
    try:
        sql = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'v_审计日志'").fetchone()[0]
        raw.execute("BEGIN")
        raw.execute('DROP VIEW "v_支付明细"')
        raw.execute('CREATE TABLE "v_支付明细" (编号 INTEGER, 金额_元 TEXT)')
        raw.execute('DROP VIEW "v_审计日志"')
        raw.execute(sql.replace("v_审计日志", "V_审计日志", 1).rstrip().rstrip(";") + " WHERE seq <= 100")
        raw.execute('DROP VIEW "v_预警"')
        raw.execute("COMMIT")
    finally:
        raw.close()
    _named(county, "[中文视图]", "视图 v_支付明细", "被换成了表")
    _named(county, "[中文视图]", "视图 v_审计日志", "被换成了视图 V_审计日志")
    _named(county, "[中文视图]", "视图 v_预警", "已被删除")
