"""The audit hash chain checked in parts, in worker processes (app/models/integrity/parallel.py, issue #22 item 2).

Each record is checked against its predecessor's STORED hash, so the parts decide what the one walk decides — if,
and only if, each part starts from the stored hash of the record before it and checks its own first record. The
naive split (each part trusts its first record and starts from there) misses exactly the tamper an insider with
Python's sqlite3 would put there once he knows where the parts begin: the attacks below. Then the processes: the
report says they were used, a worker that dies has its part walked again (never a silent pass), a cancel ends
them, and where they cannot start the one walk runs.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from app.models.integrity import parallel
from app.models.integrity import verify as integrity
from app.models.store import audit
from app.models.store.audit import Part
from app.models.store.book import open_book
from benchmarks import make_county

CHAIN = "审计日志哈希链"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny large county: ordinary records and bulk-import runs (real-name lines) mixed along the chain."""
    path = tmp_path_factory.mktemp("parts") / "county.db"
    make_county.build(path, scale=0.005)
    return path


@pytest.fixture
def copy(county: Path, tmp_path: Path) -> Path:
    shutil.copy2(county, tmp_path / "county.db")
    return tmp_path / "county.db"


def raw_edit(path: Path, *statements: tuple[str, tuple]) -> None:
    """The insider: plain sqlite3, the audit log's append-only guards dropped and put back word for word."""
    raw = sqlite3.connect(path)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_runs')").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    for sql, args in statements:
        raw.execute(sql, args)
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.close()


def rehash_after(path: Path, seq: int, prev: str) -> None:
    """Re-hash every plain record after `seq` from `prev` (the insider covering his tracks down the chain)."""
    raw = sqlite3.connect(path)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_runs')").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    for row in raw.execute("SELECT seq, at, actor, op, tbl, row_key, action, before, after FROM audit_log WHERE seq > ? "
                           "ORDER BY seq", (seq,)).fetchall():
        prev = audit.record_hash(prev, tuple(row))
        raw.execute("UPDATE audit_log SET hash = ? WHERE seq = ?", (prev, row[0]))
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.close()


def plain_seqs(conn: sqlite3.Connection) -> list[int]:
    return [int(r[0]) for r in conn.execute("SELECT seq FROM audit_log WHERE hash IS NOT NULL ORDER BY seq")]


def run_firsts(conn: sqlite3.Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT first_seq FROM audit_runs")}


def whole(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [str(f) for f in audit.check_chain(conn)]
    finally:
        conn.close()


def in_parts(path: Path, ends: list[int]) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [str(f) for f in audit.combine([audit.walk_part(conn, p) for p in audit.parts_at(conn, ends)])]
    finally:
        conn.close()


def verified(path: Path) -> tuple[list[str], str]:
    """The chain findings of a full verify as the CLI and the window run it, and its report line for the chain."""
    book = open_book(path, read_only=True)
    try:
        report = integrity.run(book)
    finally:
        book.close()
    line = next(x for x in report.text().splitlines() if CHAIN in x)
    return [str(f) for f in report.findings if f.check == "审计链"], line


# -- the parts give what the one walk gives, wherever the chain is cut ---------------------------------------------

def _tampers(conn: sqlite3.Connection) -> dict[str, tuple[int, list[tuple[str, tuple]]]]:
    """name → (the seq it is about, the statements)."""
    seqs, firsts = plain_seqs(conn), run_firsts(conn)
    mid = seqs[len(seqs) // 2]
    before_run = next(s for s in seqs if s + 1 in firsts and s > mid // 2)
    run = conn.execute("SELECT first_seq, last_seq, keys FROM audit_runs WHERE first_seq = ?", (before_run + 1,)).fetchone()
    top = audit.last_seq(conn)
    return {
        "content": (mid, [("UPDATE audit_log SET after = replace(after, '1', '2') WHERE seq = ?", (mid,))]),
        "two places": (mid, [("UPDATE audit_log SET actor = coalesce(actor, '') || '改' WHERE seq IN (?, ?)",
                              (mid, seqs[-3]))]),  # the first is the one reported, whichever part finds it first
        "unsealed": (mid, [("UPDATE audit_log SET hash = NULL WHERE seq = ?", (mid,))]),
        "deleted": (mid, [("DELETE FROM audit_log WHERE seq = ?", (mid,))]),
        "run dropped": (before_run, [("DELETE FROM audit_runs WHERE first_seq = ?", (run[0],))]),
        "run hash": (before_run, [("UPDATE audit_runs SET hashes = CAST(zeroblob(32) || substr(hashes, 33) AS BLOB) WHERE first_seq = ?",
                                   (run[0],))]),
        "run over a record": (mid, [("INSERT INTO audit_runs (first_seq, last_seq, at, actor, op, tbl, keys, columns, "
                                     "hashes) SELECT ?, ? + 1, at, actor, op, tbl, '[[1,2]]', columns, substr(hashes, 1, 64) "
                                     "FROM audit_runs WHERE first_seq = ?", (mid, mid, run[0]))]),
        "run past the end": (top, [("INSERT INTO audit_runs (first_seq, last_seq, at, actor, op, tbl, keys, columns, "
                                    "hashes) SELECT ?, ? + 1, at, actor, op, tbl, '[[1,2]]', columns, substr(hashes, 1, 64) "
                                    "FROM audit_runs WHERE first_seq = ?", (top + 5, top + 5, run[0]))]),
    }


def test_parts_give_what_the_whole_walk_gives_wherever_the_chain_is_cut(county: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(county)
    try:
        tampers = _tampers(conn)
    finally:
        conn.close()
    assert whole(county) == [] and in_parts(county, []) == []
    for name, (at, statements) in {"honest": (tampers["content"][0], []), **tampers}.items():
        path = tmp_path / f"{name}.db"
        shutil.copy2(county, path)
        raw_edit(path, *statements)
        expected = whole(path)
        assert (expected == []) == (name == "honest"), (name, expected)
        conn = sqlite3.connect(path)
        try:
            seqs = plain_seqs(conn)
            top = audit.last_seq(conn)
        finally:
            conn.close()
        near = [s for s in seqs if abs(s - at) <= 3 and s < top]  # every cut right around the tamper
        spread = [s for s in seqs[:: max(len(seqs) // 5, 1)] if s < top and s not in near]
        cuts: list[list[int]] = [[s] for s in near] + [sorted({*spread, s}) for s in near] + [spread]
        conn = sqlite3.connect(path)
        try:
            cuts += [[p.end_seq for p in audit.split(conn, n) if p.end_seq is not None] for n in (2, 3, 7)]
        finally:
            conn.close()
        for ends in cuts:
            assert in_parts(path, ends) == expected, (name, ends)


def test_split_cuts_at_sealed_records_never_inside_a_run(county: Path) -> None:
    conn = sqlite3.connect(county)
    try:
        parts = audit.split(conn, 4)
        assert len(parts) >= 2 and parts[0].first and not any(p.first for p in parts[1:])
        plain = set(plain_seqs(conn))
        for before, after in zip(parts, parts[1:], strict=False):
            assert before.end_seq == after.start_seq and before.end_seq in plain
            assert after.start_hash == audit.hash_at(conn, after.start_seq)
        assert parts[-1].end_seq is None
    finally:
        conn.close()


# -- the insider who knows where the parts begin (each fails on the naive split) -----------------------------------

def _boundary(path: Path, parts: int, *, next_plain: bool = True) -> tuple[int, int]:
    """(the end of the first part, its number of parts) as verify will cut this file into `parts`, with the record
    after the cut an ordinary one (not a run) when asked."""
    conn = sqlite3.connect(path)
    try:
        for n in range(parts, parts + 8):
            for p in audit.split(conn, n)[:-1]:
                assert p.end_seq is not None
                if not next_plain or conn.execute("SELECT 1 FROM audit_log WHERE seq = ?", (p.end_seq + 1,)).fetchone():
                    return p.end_seq, n
    finally:
        conn.close()
    raise AssertionError("no cut followed by an ordinary record")


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv(parallel.ENV, "3")
    return 3


def _force(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    monkeypatch.setenv(parallel.ENV, str(n))


def test_first_record_of_a_part_edited_is_found(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cut, n = _boundary(copy, 3)
    raw_edit(copy, ("UPDATE audit_log SET after = replace(after, '1', '2') WHERE seq = ?", (cut + 1,)))
    _force(monkeypatch, n)
    found, line = verified(copy)
    assert found == whole(copy) and found and f"审计记录 #{cut + 1}（" in found[0] and "内容与其哈希不符" in found[0], found
    assert f"分段由 {n} 个子进程并行核验" in line, line


def test_first_record_of_a_part_rewritten_and_the_rest_rehashed_is_found(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """He edits the first record of a part, hashes it from nothing (he cannot know what the naive check trusts, so
    he makes it self-consistent onward) and re-hashes the whole chain after it."""
    cut, n = _boundary(copy, 3)
    conn = sqlite3.connect(copy)
    row = conn.execute("SELECT seq, at, actor, op, tbl, row_key, action, before, replace(after, '1', '2') FROM audit_log "
                       "WHERE seq = ?", (cut + 1,)).fetchone()
    conn.close()
    forged = audit.record_hash(audit.GENESIS, tuple(row))
    raw_edit(copy, ("UPDATE audit_log SET after = ?, hash = ? WHERE seq = ?", (row[8], forged, cut + 1)))
    rehash_after(copy, cut + 1, forged)
    _force(monkeypatch, n)
    found, _line = verified(copy)
    assert found == whole(copy) and found and f"审计记录 #{cut + 1}（" in found[0], found


def test_last_record_of_a_part_rewritten_and_rehashed_is_found_at_the_next(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """He edits the last record of a part and gives it the right hash from its predecessor: that part holds; the
    record after it — the first of the next part — no longer links."""
    cut, n = _boundary(copy, 3)
    conn = sqlite3.connect(copy)
    prev = audit.hash_at(conn, cut - 1) if conn.execute("SELECT 1 FROM audit_log WHERE seq = ?", (cut - 1,)).fetchone() \
        else audit.hash_at(conn, cut - 1)
    row = conn.execute("SELECT seq, at, actor, op, tbl, row_key, action, before, replace(after, '1', '2') FROM audit_log "
                       "WHERE seq = ?", (cut,)).fetchone()
    conn.close()
    assert prev is not None
    raw_edit(copy, ("UPDATE audit_log SET after = ?, hash = ? WHERE seq = ?", (row[8], audit.record_hash(prev, tuple(row)),
                                                                              cut)))
    _force(monkeypatch, n)
    found, _line = verified(copy)
    assert found == whole(copy) and found and f"审计记录 #{cut + 1}（" in found[0] and "内容与其哈希不符" in found[0], found


def test_record_after_a_cut_deleted_is_found(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cut, n = _boundary(copy, 3)
    raw_edit(copy, ("DELETE FROM audit_log WHERE seq = ?", (cut + 1,)))
    assert _boundary(copy, n, next_plain=False)[0] == cut  # the cut is where it was
    _force(monkeypatch, n)
    found, _line = verified(copy)
    assert found == whole(copy) and found == [f"[审计链] 审计记录 #{cut + 1}：记录缺失（下一条为 #{cut + 2}），审计日志被删除过"], found


def test_run_right_after_a_cut_is_checked(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cut just before a bulk import: the run's first row changed in the table, outside the program."""
    conn = sqlite3.connect(copy)
    try:
        for n in range(2, 40):
            cut = next((p.end_seq for p in audit.split(conn, n)[:-1] if p.end_seq is not None
                        and conn.execute("SELECT 1 FROM audit_runs WHERE first_seq = ?", (p.end_seq + 1,)).fetchone()), None)
            if cut is not None:
                break
        assert cut is not None
        tbl, keys, columns = conn.execute("SELECT tbl, keys, columns FROM audit_runs WHERE first_seq = ?",
                                          (cut + 1,)).fetchone()
    finally:
        conn.close()
    key = int(json.loads(keys)[0][0])  # the first key of its first range
    raw = sqlite3.connect(copy)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (tbl,)).fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    column = json.loads(columns)[-1]  # its last column, whatever the table: a number or a text changed
    key_column = raw.execute("SELECT key_column FROM tracked_tables WHERE name = ?", (tbl,)).fetchone()[0]
    raw.execute(f'UPDATE "{tbl}" SET "{column}" = CASE WHEN typeof("{column}") IN (\'integer\', \'real\') '
                f'THEN "{column}" + 1 ELSE coalesce("{column}", \'\') || \'x\' END WHERE "{key_column}" = ?', (key,))
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.close()
    _force(monkeypatch, n)
    found, _line = verified(copy)
    assert found == whole(copy) and found and f"审计记录 #{cut + 1}（{tbl} / {key}" in found[0], found


# -- the processes -------------------------------------------------------------------------------------------------

def test_honest_file_passes_in_processes_and_the_report_says_so(copy: Path, processes: int) -> None:
    found, line = verified(copy)
    assert found == [] and line == f"  ✓ {CHAIN}——分段由 {processes} 个子进程并行核验", line


def test_short_chain_and_no_processes_asked_stay_in_process(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    assert verified(copy) == ([], f"  ✓ {CHAIN}")  # 9,000 records: below MIN_RECORDS
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert verified(copy)[1] == f"  ✓ {CHAIN}——分段由 2 个子进程并行核验"
    monkeypatch.setenv(parallel.ENV, "0")
    assert verified(copy) == ([], f"  ✓ {CHAIN}")


def dying_worker(path: str, part: Part, out: Connection) -> None:
    """Every part but the first dies without a word (as a worker killed by the system would)."""
    if not part.first:
        os._exit(9)
    parallel._worker(path, part, out)


def test_a_worker_that_dies_has_its_part_walked_again(copy: Path, processes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlite3.connect(copy)
    last = audit.split(conn, processes)[-1]
    seq = int(conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0])
    conn.close()
    assert last.start_seq < seq
    # a value, not the row's key (an `after` naming another key is also named by the history check, under the same
    # check name "审计链")
    raw_edit(copy, ("UPDATE audit_log SET after = replace(after, '\"closed_at\":\"2', '\"closed_at\":\"3') WHERE seq = ?",
                    (seq,)))
    monkeypatch.setattr(parallel, "WORKER", dying_worker)
    found, line = verified(copy)
    assert found == whole(copy) and found and f"审计记录 #{seq}（" in found[0], found
    assert "子进程意外退出（退出码 9）" in line and "已在本进程中重新核验" in line, line


def sleeping_worker(path: str, part: Part, out: Connection) -> None:
    time.sleep(600)


class Cancelled(Exception):
    pass


def test_cancel_ends_the_workers(copy: Path, processes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "WORKER", sleeping_worker)
    seen: list[str] = []

    def progress(_done: int, _total: int, name: str) -> None:
        seen.append(name)
        if seen.count(CHAIN) == 2:  # the chain is being waited for: the workers are running
            chain = [p for p in multiprocessing.active_children() if p.name.startswith("fundledger-verify-chain")]
            assert len(chain) == processes
            raise Cancelled

    book = open_book(copy, read_only=True)
    try:
        with pytest.raises(Cancelled):
            integrity.run(book, progress)
    finally:
        book.close()
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name == "verify-chain-parts"]


class _NoStart:
    """A 'spawn' context whose processes cannot start (a locked-down machine)."""

    real = multiprocessing.get_context("spawn")

    def Pipe(self, duplex: bool = True) -> tuple[Connection, Connection]:  # noqa: N802 - multiprocessing's name
        return self.real.Pipe(duplex)

    def Process(self, **kw: object) -> object:  # noqa: N802
        class Refused:
            def start(self) -> None:
                raise OSError("不允许创建进程")

        return Refused()


def test_where_processes_cannot_start_the_one_walk_runs(copy: Path, processes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    seq = _boundary(copy, processes)[0] + 1
    raw_edit(copy, ("UPDATE audit_log SET after = replace(after, '1', '2') WHERE seq = ?", (seq,)))
    monkeypatch.setattr(parallel.multiprocessing, "get_context", lambda _method=None: _NoStart())
    found, line = verified(copy)
    assert found == whole(copy) and found, found
    assert "在本进程中核验（无法启动子进程：不允许创建进程" in line, line



# -- the other checks in one more process --------------------------------------------------------------------------

def _tamper_widely(path: Path) -> None:
    """An audit record, a password hash and an attachment-free row edited outside the program: findings in the
    chain, the row check and a check of the connection alone (passwords), so the whole report is compared."""
    conn = sqlite3.connect(path)
    seq = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    conn.close()
    raw_edit(path, ("UPDATE audit_log SET actor = coalesce(actor, '') || '改' WHERE seq = ?", (seq,)))
    raw = sqlite3.connect(path)
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'users'").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE users SET pw_hash = pw_hash || 'x' WHERE id = (SELECT min(id) FROM users)")
    for _name, sql in saved:
        raw.execute(sql)
    raw.commit()
    raw.close()


def _report(path: Path) -> tuple[list[str], str, dict[str, str]]:
    book = open_book(path, read_only=True)
    try:
        report = integrity.run(book)
    finally:
        book.close()
    text = "\n".join(line.split("——")[0] for line in report.text().splitlines())
    return [str(f) for f in report.findings], text, report.how


def test_the_whole_report_is_the_same_with_and_without_processes(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tamper_widely(copy)
    monkeypatch.setenv(parallel.ENV, "0")
    alone = _report(copy)
    monkeypatch.setenv(parallel.ENV, "3")
    spread = _report(copy)
    assert alone[0] == spread[0] and alone[1] == spread[1], (alone, spread)
    assert any("[密码]" in f for f in alone[0]) and any("[审计链]" in f for f in alone[0])
    assert alone[2] == {} and "分段由 3 个子进程" in spread[2][CHAIN]


def dying_checks_worker(path: str, checks: list[tuple[str, object]], out: Connection) -> None:
    """Answers for the first two checks, then dies without a word."""
    parallel._checks_worker(path, checks[:2], out)
    os._exit(9)


def test_the_checks_process_dying_leaves_its_checks_to_this_process(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tamper_widely(copy)
    monkeypatch.setenv(parallel.ENV, "0")
    alone = _report(copy)
    monkeypatch.setenv(parallel.ENV, "2")
    monkeypatch.setattr(parallel, "CHECKS_WORKER", dying_checks_worker)
    spread = _report(copy)
    assert alone[0] == spread[0] and alone[1] == spread[1], (alone, spread)
    assert any("[密码]" in f for f in spread[0])
