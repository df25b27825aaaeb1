"""回执 written by the prefecture and imported by the county; deadlines from the rule set and the working-day
calendar; review is audited; the registry refuses bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.models.prefecture import counties, receipts, receive, review, status
from app.models.store import users
from app.models.store.book import Book, open_book
from app.models.values.errors import ValidationError
from tests.models.prefecture.conftest import PASSWORD


def _id(book: Book, county: str, version: int) -> int:
    return next(int(p["id"]) for p in receive.packages(book) if p["county"] == county and p["version"] == version)


def test_receipt_round_trip(pref: Book, work: Path, tmp_path: Path) -> None:
    returned = receipts.write_receipt(pref, _id(pref, "丙县", 1), tmp_path)
    accepted = receipts.write_receipt(pref, _id(pref, "丙县", 2), tmp_path)
    doc = json.loads(returned.read_text(encoding="utf-8"))
    assert doc["result"] == "退回" and "少记" in doc["return_reason"]
    county = open_book(work / "县" / "丙县.db")
    try:
        users.login(county, "jingban", PASSWORD)
        got = receipts.import_receipt(county, returned)
        assert got["new"] and got["intact"] and got["anchor_ok"] and got["result"] == "退回"
        assert "退回理由" in receipts.describe(got)
        assert not receipts.import_receipt(county, returned)["new"]  # the same receipt twice changes nothing
        got2 = receipts.import_receipt(county, accepted)
        assert got2["intact"] and got2["result"] == "已接收" and "经审核" in got2["opinion"]
        # a receipt whose hashes are not what this county signed says so
        doc2 = json.loads(accepted.read_text(encoding="utf-8"))
        doc2["digest"] = "0" * 64
        forged = tmp_path / "改过的回执.json"
        forged.write_text(json.dumps(doc2, ensure_ascii=False), encoding="utf-8")
        assert not receipts.import_receipt(county, forged)["intact"]
        # another county's receipt is refused, nothing stored
        other = receipts.write_receipt(pref, _id(pref, "甲县", 1), tmp_path)
        before = len(receipts.receipts(county))
        with pytest.raises(ValidationError, match="不是本单位"):
            receipts.import_receipt(county, other)
        assert len(receipts.receipts(county)) == before
    finally:
        county.close(backup=False)


def test_deadline_moves_to_the_next_working_day(pref: Book) -> None:
    # the 28th of October 2026 is a Wednesday; the 28th of November a Saturday → Monday the 30th
    assert status.deadline(pref, "2026-09", "county") == dt.date(2026, 10, 28)
    assert status.deadline(pref, "2026-10", "county") == dt.date(2026, 11, 30)
    assert status.own_deadline(pref, "2026-09") == dt.date(2026, 10, 30)


def test_review_is_audited_and_a_returned_package_cannot_be_returned_twice(pref: Book) -> None:
    users.login(pref, "shenhe", PASSWORD)
    pid = _id(pref, "甲县", 1)
    seq = pref.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    review.set_opinion(pref, pid, opinion="同意")
    row = pref.conn.execute("SELECT op, tbl FROM audit_log WHERE seq > ?", (seq,)).fetchone()
    assert tuple(row) == ("review_package", "received_packages")
    with pytest.raises(ValidationError, match="退回理由"):
        review.return_package(pref, pid, reason="不")
    with pytest.raises(ValidationError, match="已经退回"):
        review.return_package(pref, _id(pref, "丁县", 1), reason="再退一次试试看")
    users.login(pref, "jingban", PASSWORD)
    from app.models.values.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        review.return_package(pref, pid, reason="经办不能退回报送包")


def test_registry_bad_input(pref: Book) -> None:
    with pytest.raises(ValidationError, match="6 位数字"):
        counties.add_county(pref, code="12345", name="某县")
    with pytest.raises(ValidationError, match="已登记"):
        counties.add_county(pref, code="659911", name="甲县")
    with pytest.raises(ValidationError, match="32 位"):
        counties.add_county(pref, code="659916", name="己县", fingerprint="ABCD EFGH")
    with pytest.raises(ValidationError, match="不在本单位（区划代码 659900）的辖区内"):
        counties.add_county(pref, code="653121", name="疏附县")
    # a fingerprint is registered by the chief, under the chief's signature: the clerk may not, nor without password
    from app.models.values.errors import PermissionDenied
    users.login(pref, "jingban", PASSWORD)
    with pytest.raises(PermissionDenied):
        counties.add_county(pref, code="659916", name="己县", fingerprint="abcd " * 8, password=PASSWORD)
    users.login(pref, "juzhang", PASSWORD)
    with pytest.raises(ValidationError, match="局长密码|密码"):
        counties.add_county(pref, code="659916", name="己县", fingerprint="abcd " * 8)
    with pytest.raises(ValidationError, match="密码不正确"):
        counties.add_county(pref, code="659916", name="己县", fingerprint="abcd " * 8, password="wrong-password")
    assert counties.by_code(pref, "659916") is None  # nothing written
    n = counties.add_county(pref, code="659916", name="己县", fingerprint="abcd " * 8, password=PASSWORD)
    assert counties.get(pref, n).printed == "ABCD ABCD ABCD ABCD ABCD ABCD ABCD ABCD"
    assert counties.signed_state(pref, counties.get(pref, n)) == "已签名"


def test_the_received_package_anchors_the_county_file(pref: Book, work: Path, tmp_path: Path) -> None:
    """What the prefecture holds is the county's anchor: exported as received, `verify --against` on the county's
    own file passes; after the county's file is rewritten outside the program it fails."""
    from app.models.integrity import anchors

    folder = receive.export_received(pref, _id(pref, "甲县", 1), tmp_path)
    county = open_book(work / "县" / "甲县.db", read_only=True)
    try:
        assert [f for f in anchors.check_against(county.conn, folder) if not getattr(f, "note", False)] == []
    finally:
        county.close(backup=False)
    import sqlite3

    conn = sqlite3.connect(work / "县" / "甲县.db")
    head = int(receive.package(pref, _id(pref, "甲县", 1))["audit_seq"])
    conn.execute("DROP TRIGGER audit_log_no_update")  # the insider with sqlite3 rewrites history and re-hashes:
    conn.execute("UPDATE audit_log SET hash = (CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END) "
                 "|| substr(hash, 2) WHERE seq >= ?", (head,))  # a new head
    conn.commit()
    conn.close()
    county = open_book(work / "县" / "甲县.db", read_only=True)
    try:
        assert any(f.check == "审计链" for f in anchors.check_against(county.conn, folder))
    finally:
        county.close(backup=False)
