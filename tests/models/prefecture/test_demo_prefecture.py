"""The demo prefecture's five stories give the expected results; the consolidated 表3 is the counties' 表3 summed
(independently, over the received workbooks with openpyxl); the prefecture's package re-creates byte for byte and
the region receives it with the same code; the prefecture file passes verify."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.demo.common import DemoClock
from app.export import evidence
from app.export import prefecture as forwarding
from app.models.prefecture import consolidate, counties, receive, status
from app.models.prefecture.source import Refused
from app.models.store import keys, setup, users
from app.models.store.book import Book, open_book
from app.models.values.errors import ValidationError
from tests.models.prefecture.conftest import PASSWORD, counts, package


def _status(book: Book) -> dict[str, str]:
    cells = status.matrix(book, ["2026-09"])
    return {c.name: cells[(c.id, "2026-09")].status for c in counties.list_counties(book)}


def test_five_counties_five_results(pref: Book, work: Path) -> None:
    assert _status(pref) == {"甲县": "已报", "乙县": "逾期报送", "丙县": "已更正", "丁县": "退回", "戊县": "未报"}
    rows = {(p["county"], p["version"]): p for p in receive.packages(pref)}
    assert rows[("甲县", 1)]["checks_ok"] == 1 and not rows[("甲县", 1)]["returned"]
    assert rows[("丁县", 1)]["checks_ok"] == 0 and rows[("丁县", 1)]["returned"]
    failed = [c for c in rows[("丁县", 1)]["checks"] if not c["ok"]]
    assert [c["no"] for c in failed] == [2] and "期末结余" in failed[0]["detail"]
    # a returned package and its correction both remain
    assert rows[("丙县", 1)]["returned"] == 1 and rows[("丙县", 2)]["returned"] == 0
    assert ("戊县", 1) not in rows
    warnings = status.warnings(pref, "2026-09")
    assert any("乙县" in w and "逾期" in w for w in warnings) and any("戊县" in w and "未报" in w for w in warnings)
    assert not any("甲县" in w for w in warnings)
    # 戊县's workbook was edited after signing: refused again, naming the file and the reason, nothing stored
    before = counts(pref)
    with pytest.raises(Refused) as exc:
        receive.receive(pref, package(work, "戊县"))
    assert ".xlsx" in str(exc.value) and "SHA-256" in str(exc.value) and "戊县" in str(exc.value)
    assert counts(pref) == before


def test_receiving_again_changes_nothing(pref: Book, work: Path) -> None:
    before = counts(pref)
    for county, version in (("甲县", 1), ("丙县", 1), ("丙县", 2), ("丁县", 1)):
        got = receive.receive(pref, package(work, county, version))
        assert not got.new and "未作改动" in got.summary()
    assert counts(pref) == before


def _money_columns(ws) -> tuple[int, dict[int, str]]:  # type: ignore[no-untyped-def]
    """(first data row, {column: header}) of a 表3 sheet, found by its headers, independently of the program."""
    for r in range(1, 20):
        if ws.cell(r, 1).value == "资金类别":
            heads = {}
            for c in range(2, ws.max_column + 1):
                top, sub = ws.cell(r, c).value, ws.cell(r + 1, c).value
                if top == "功能科目":  # the one text column of 表3
                    continue
                heads[c] = f"{top or ''}{sub or ''}" if sub else str(top)
            return r + 2, heads
    raise AssertionError("表3 表头未找到")


def _rows(ws) -> list[tuple[str, bool, dict[int, Decimal]]]:  # type: ignore[no-untyped-def]
    first, heads = _money_columns(ws)
    out = []
    for r in range(first, ws.max_row + 1):
        label = ws.cell(r, 1).value
        if label is None:
            break
        out.append((str(label), bool(ws.cell(r, 1).font.b),
                    {c: Decimal(str(ws.cell(r, c).value or 0)) for c in heads}))
    return out


def test_consolidated_table3_is_the_sum_of_the_counties(pref: Book, work: Path) -> None:
    """Cell by cell: each county group's subtotal is that county's 合计, its rows are the county's rows, and the
    prefecture's 合计 is the sum of the counties' 合计 — all read with openpyxl from the workbooks as stored."""
    forwarded = next((work / "上报").iterdir())
    ws = load_workbook(next(forwarded.glob("*.xlsx")))["表3"]
    rows = _rows(ws)
    included = {p["county"]: p for p in consolidate.choose(pref, "2026-09")[0]}
    assert set(included) == {"甲县", "乙县", "丙县"}
    county_totals: dict[str, dict[int, Decimal]] = {}
    for name, p in included.items():
        files = receive.files_of(pref, int(p["id"]))
        data = next(v for k, v in files.items() if k.endswith(".xlsx"))
        crows = _rows(load_workbook(io.BytesIO(data))["表3"])
        assert crows[-1][0] == "合计"
        county_totals[name] = crows[-1][2]
        start = next(i for i, r in enumerate(rows) if r[0].endswith(f"、{name}"))
        assert rows[start][1] and rows[start][2] == crows[-1][2]  # the group subtotal = the county's 合计
        details = [r for r in crows[:-1] if not r[1]]
        assert [(r[0], r[2]) for r in rows[start + 1:start + 1 + len(details)]] == [(r[0], r[2]) for r in details]
    total = rows[-1]
    assert total[0] == "合计"
    for col in total[2]:
        assert total[2][col] == sum(t[col] for t in county_totals.values()), col
    assert total[2][max(total[2])] is not None


def test_prefecture_package_recreates_and_verifies(work: Path) -> None:
    book = open_book(work / "示例地区.db", read_only=True)
    try:
        files, recorded = forwarding.recreate(book, month="2026-09")
        assert {n: hashlib.sha256(d).hexdigest() for n, d in files.items()} == recorded
        sent = next((work / "上报").iterdir())
        assert {p.name: p.read_bytes() for p in sent.iterdir()} == files
        report = evidence.verify(book)
        assert report.ok, report.findings
    finally:
        book.close(backup=False)


def test_verify_sees_received_bytes_changed_outside_the_program(work: Path) -> None:
    """The insider with sqlite3: package bytes are not in the audit log (too big), their hash is the key."""
    import sqlite3

    conn = sqlite3.connect(work / "示例地区.db")
    sha, data = conn.execute("SELECT sha256, data FROM package_blobs LIMIT 1").fetchone()
    conn.execute("DROP TRIGGER fl_audit_package_blobs_u")  # the insider hides the change from the audit log too
    conn.execute("UPDATE package_blobs SET data = ? WHERE sha256 = ?", (bytes(data) + b"\0", sha))
    conn.commit()
    conn.close()
    book = open_book(work / "示例地区.db", read_only=True)
    try:
        report = evidence.verify(book)
    finally:
        book.close(backup=False)
    assert not report.ok
    assert any("保存的字节与其 SHA-256 不符" in f.detail for f in report.findings)


def test_region_receives_the_prefecture_package(work: Path, tmp_path: Path) -> None:
    pref = open_book(work / "示例地区.db", read_only=True)
    chief = pref.conn.execute("SELECT id FROM users WHERE login = 'juzhang'").fetchone()[0]
    key = keys.active_key(pref.conn, int(chief))
    assert key is not None
    pref.close(backup=False)
    region = setup.create(tmp_path / "自治区.db", bureau_name="自治区财政厅", region_code="650000", level="region",
                          chief_login="juzhang", chief_name="厅长", chief_password=PASSWORD,
                          clock=DemoClock(dt.datetime(2026, 11, 3, 9)))
    try:
        users.add_user(region, login="jingban", name="经办", role="clerk", password=PASSWORD, section="农业处")
        users.login(region, "juzhang", PASSWORD)  # the region's chief signs the registration
        counties.add_county(region, code="659900", name="示例地区", fingerprint=keys.show(key.fingerprint),
                            password=PASSWORD)
        users.login(region, "jingban", PASSWORD)
        got = receive.receive(region, next((work / "上报").iterdir()))
        assert got.new and got.checks_ok, got.failed
        # registered with the key the region's file was set up with: nothing to find, nothing to tell
        report = evidence.verify(region)
        assert report.findings == [], report.findings
        assert not [str(n) for n in report.notes if "[下级单位的密钥登记]" in str(n)], report.notes
        with pytest.raises(ValidationError, match="辖区内"):
            counties.add_county(region, code="540102", name="别的自治区的县")
        assert status.own_deadline(region, "2026-09") is None  # the top of the chain reports to no one here
        # the prefecture was due on 30 October (the rule set's 30th); the region received it on 3 November
        assert status.matrix(region, ["2026-09"])[(1, "2026-09")].status == status.LATE

        # a county package is not for the region: one level at a time
        users.login(region, "juzhang", PASSWORD)
        counties.add_county(region, code="659911", name="甲县", fingerprint="0" * 32, password=PASSWORD)
        users.login(region, "jingban", PASSWORD)
        with pytest.raises(Refused, match="只接收地州级单位的报送包"):
            receive.receive(region, package(work, "甲县"))
        c = consolidate.consolidate(region, "2026-09")
        t3 = c.rows["ledger_balances"]
        assert t3 and all(r["lower_name"] == "示例地区" for r in t3)
        assert any("甲县·" in str(r["item_name"]) for r in t3)
        sums = sum(int(r["closing"]) for r in t3)
        man = json.loads((next((work / "上报").iterdir()) / "manifest.json").read_text(encoding="utf-8"))
        assert man["bureau_level"] == "prefecture"
        assert sums == sum(int(r["closing"]) for r in consolidate.consolidate(
            open_book(work / "示例地区.db", read_only=True), "2026-09").rows["ledger_balances"])
    finally:
        region.close(backup=False)


def test_pdf_bytes_are_the_same_in_another_process(demo_dir: Path) -> None:
    """The auditor re-creates on another day, in another process: Qt's per-process random hash seed used to decide
    the order fonts are embedded in, so about half the re-creations differed. Four fresh processes, one hash."""
    import os
    import subprocess
    import sys

    script = ("import hashlib,sys;from app.models.store.book import open_book;from app.export import prefecture as f;"
              "b=open_book(sys.argv[1],read_only=True);files,_=f.recreate(b,month='2026-09');"
              "print(hashlib.sha256(b''.join(v for k,v in sorted(files.items()) if k.endswith('.pdf'))).hexdigest())")
    env = {k: v for k, v in os.environ.items() if k != "QT_HASH_SEED"} | {"QT_QPA_PLATFORM": "offscreen"}
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root
    digests = {subprocess.run([sys.executable, "-c", script, str(demo_dir / "示例地区.db")], env=env, cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip() for _ in range(4)}
    assert len(digests) == 1


def test_the_demo_is_deterministic(demo_dir: Path, tmp_path: Path) -> None:
    """Built twice, the same workbooks byte for byte (every county's, the edited ones and the prefecture's) and the
    same results; only what the random signing keys touch differs (签名.json, manifest's fingerprint, PDF cover)."""
    from app.demo import prefecture as demo

    again = tmp_path / "again"
    demo.build(again)
    for first in sorted(demo_dir.glob("*/*/*.xlsx")):
        assert first.read_bytes() == (again / first.relative_to(demo_dir)).read_bytes(), first.name
    a, b = open_book(demo_dir / "示例地区.db", read_only=True), open_book(again / "示例地区.db", read_only=True)
    try:
        def results(book: Book) -> list[tuple[object, ...]]:
            return [(p["county"], p["version"], p["received_at"], p["checks_ok"], p["returned"], p["opinion"])
                    for p in receive.packages(book)]
        assert results(a) == results(b)
    finally:
        a.close(backup=False)
        b.close(backup=False)
