"""Honest flows the stricter verify must still pass (attack review round 5, 2026-12-07, looking for false alarms).

1. A real-name list re-imported: the old lines are deleted (a delete record each), SQLite hands their keys out again
   (no table uses AUTOINCREMENT), and 16 or more new lines fold into a run. The row check took a key whose last plain
   record is a delete for a row written outside the program; a run after the delete now vouches for it.
2. A child row's date read through its parent (a notice's photo evidence is dated by the notice's start date): the
   evidence was attached while August was closed, to a notice of September; August was then reopened, the notice
   corrected to 28 August and August signed again. The closed-month check read the parent as it stands now, and named
   the evidence as written into a closed August; it now reads the parent as it stood when the record was written, as
   the trigger did.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.demo import build as demo
from app.export import signoff
from app.models.notices import records
from app.models.reports import monthly
from app.models.store import users
from app.models.store.book import open_book
from tests.models.payments import payment_fixtures as fx
from tests.reliability.test_signed_reopen import MONTH, findings
from tests.reliability.test_signed_reopen import county as county  # noqa: PLC0414 (the fixture)


def test_a_real_name_list_re_imported_onto_reused_keys_verifies(county: Path) -> None:
    raw = sqlite3.connect(county)
    try:
        pid, status = raw.execute("SELECT p.id, p.status FROM payments p WHERE p.id = "
                                  "(SELECT payment_id FROM real_name_lines ORDER BY id DESC LIMIT 1)").fetchone()
        top = raw.execute("SELECT max(id) FROM real_name_lines").fetchone()[0]
    finally:
        raw.close()
    assert status == "draft"  # its lines are the newest: their keys are handed out again
    book = open_book(county)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        fx.attach_roster(book, pid, fx.households(18, "6900"))
        first, runs = book.conn.execute("SELECT min(id), (SELECT count(*) FROM audit_runs WHERE tbl = 'real_name_lines' "
                                        "AND first_seq > (SELECT max(seq) FROM audit_log WHERE tbl = 'real_name_lines' "
                                        "AND action = 'D')) FROM real_name_lines WHERE payment_id = ?", (pid,)).fetchone()
    finally:
        book.close(backup=False)
    assert first <= top and runs == 1  # keys used again, the new lines one run after the deletes
    assert findings(county) == ([], [])


def test_evidence_of_a_notice_later_moved_into_a_reopened_month_verifies(county: Path, tmp_path: Path) -> None:
    raw = sqlite3.connect(county)
    try:
        nid = raw.execute("SELECT min(id) FROM notices WHERE start_date LIKE '2026-09%'").fetchone()[0]
        name, data = raw.execute("SELECT a.name, a.data FROM notice_evidence e JOIN attachments a "
                                 "ON a.id = e.attachment_id ORDER BY e.id LIMIT 1").fetchone()
    finally:
        raw.close()
    book = open_book(county)
    try:
        users.login(book, "jingban", demo.PASSWORD)
        records.attach_evidence(book, notice_id=nid, name=name, data=bytes(data), caption="公示现场照片")
        users.login(book, "juzhang", demo.PASSWORD)
        monthly.reopen(book, month=MONTH, reason="公示实际于八月二十八日张贴，重新打开更正日期", password=demo.PASSWORD)
        users.login(book, "jingban", demo.PASSWORD)
        records.update_notice(book, notice_id=nid, fields={"start_date": f"{MONTH}-28"})
        users.login(book, "juzhang", demo.PASSWORD)
        signoff.sign_off(book, month=MONTH, out_dir=tmp_path / "v2", password=demo.PASSWORD)
    finally:
        book.close(backup=False)
    assert findings(county) == ([], [])
