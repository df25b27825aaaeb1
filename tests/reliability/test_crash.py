"""Kill a working process at random points (SIGKILL): nothing half-written, verify passes, chain intact.

Each scenario (users, calendar, fund items, treasury import, plan import, real-name list, the payment
workflow with its 专账 entry, monthly sign-off with its package) is killed TRIALS_PER_SCENARIO times;
`benchmarks/crash_trials.py` runs the same trials by the thousand.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.export import evidence
from app.models.store.book import open_book
from tests.reliability import crash_child as cc

TRIALS = int(os.environ.get("FUNDLEDGER_CRASH_TRIALS", "112"))
PER_SCENARIO = max(1, TRIALS // len(cc.SCENARIOS))
# A fresh copy of the base file every few trials: keeps verify (which re-creates every signed package) quick.
FRESH_EVERY = {"sign_off": 3}
# How long a child works before it is killed, after it has opened the file and logged in.
MAX_DELAY = {"sign_off": 1.0, "add_users": 0.3, "payment_flow": 0.2, "plan_import": 0.2, "real_name_list": 0.2}


@dataclass
class Outcome:
    """What one trial found; `problems` is empty when nothing was lost or half-written."""

    scenario: str
    done: int
    grown: int | None
    problems: list[str] = field(default_factory=list)


def kill_after(ctx, path: Path, scenario: str, seed: int, delay: float) -> int:  # noqa: ANN001 - a multiprocessing context
    """Start the child, wait until it is ready, let it work for `delay` seconds, SIGKILL it; returns the
    operations it reported as committed."""
    proc, pipe = cc.start(ctx, path, scenario, seed)
    done = -1
    if pipe.poll(30):
        done = pipe.recv()
    assert done == 0, f"child did not start ({scenario})"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL, proc.exitcode
    try:
        while pipe.poll(0):
            done = pipe.recv()
    except EOFError:
        pass
    pipe.close()
    return done


def trial(ctx, path: Path, scenario: str, seed: int, delay: float) -> Outcome:  # noqa: ANN001
    before = open_book(path, read_only=True)
    counts_before = cc.counts(before.conn)
    before.close()
    done = kill_after(ctx, path, scenario, seed, delay)
    out = Outcome(scenario, done, None)
    # An auditor opens it first (read-only, the crash's journal still beside it), then the clerk.
    ro = open_book(path, read_only=True)
    try:
        report = evidence.verify(ro)
        if not report.ok:
            out.problems.append(report.text())
        out.problems += cc.check(ro.conn, path.with_name("报送包"))
        counts = cc.counts(ro.conn)
    finally:
        ro.close()
    rw = open_book(path)  # the stale lock of the killed child is recovered, the journal rolled back
    try:
        if cc.check(rw.conn) or cc.counts(rw.conn) != counts:
            out.problems.append("以可写方式打开后的数据与只读打开时不同")
        head = rw.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        if head < counts_before["audit_log"]:
            out.problems.append(f"审计记录减少：{counts_before['audit_log']} → {head}")
    finally:
        rw.close(backup=False)
    table = cc.GROWS[scenario]
    if table:
        per_op = cc.PER_OP.get(scenario, 1)
        out.grown = (counts[table] - counts_before[table]) // per_op
        # Every reported operation survived; at most one more (committed, not yet reported) is there.
        if not done <= out.grown <= done + 1:
            out.problems.append(f"报告完成 {done} 次操作，文件中增加了 {out.grown} 次")
    return out


def run_trials(ctx, base: Path, work: Path, scenario: str, trials: int, seed: str) -> Iterator[Outcome]:  # noqa: ANN001
    """`trials` kills of one scenario, on a copy of `base` in `work` (refreshed every FRESH_EVERY trials)."""
    rng = random.Random(f"crash-{scenario}-{seed}")
    path = work / scenario / "bureau.db"
    every = FRESH_EVERY.get(scenario, 10**9)
    for i in range(trials):
        if i % every == 0:
            shutil.rmtree(path.parent, ignore_errors=True)
            path.parent.mkdir(parents=True)
            shutil.copy2(base, path)
        yield trial(ctx, path, scenario, seed=rng.randrange(10**9), delay=rng.uniform(0.0, MAX_DELAY.get(scenario, 0.12)))


def longer_trials(ctx, base: Path, work: Path, scenario: str, seed: str) -> Iterator[Outcome]:  # noqa: ANN001
    """Kills after longer and longer work (2×, 4× … 64× the scenario's window), each on a fresh copy of `base`: for a
    machine so loaded that every kill of the random window landed before the child's first operation."""
    rng = random.Random(f"crash-{scenario}-{seed}-longer")
    path = work / scenario / "longer.db"
    for k in range(6):
        shutil.rmtree(path.parent, ignore_errors=True)
        path.parent.mkdir(parents=True)
        shutil.copy2(base, path)
        yield trial(ctx, path, scenario, seed=rng.randrange(10**9), delay=MAX_DELAY.get(scenario, 0.12) * 2 ** (k + 1))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cc.prepare(tmp_path_factory.mktemp("crash-base") / "base.db")


@pytest.fixture(scope="module")
def ctx():  # noqa: ANN201
    return cc.context()


@pytest.mark.parametrize("scenario", sorted(cc.SCENARIOS))
def test_sigkill_at_random_points(ctx, base: Path, tmp_path: Path, scenario: str) -> None:  # noqa: ANN001
    outcomes = list(run_trials(ctx, base, tmp_path, scenario, PER_SCENARIO, seed="ci"))
    if not any(o.done > 0 for o in outcomes):  # a loaded machine: no kill of the window came after an operation
        for extra in longer_trials(ctx, base, tmp_path, scenario, seed="ci"):
            outcomes.append(extra)
            if extra.done > 0:
                break
    failed = [o for o in outcomes if o.problems]
    assert not failed, "\n".join(f"{o.scenario} done={o.done}: {o.problems}" for o in failed)
    assert len(outcomes) >= PER_SCENARIO
    # The kills landed while work was going on, not only before the first operation.
    assert any(o.done > 0 for o in outcomes), [o.done for o in outcomes]


def test_base_file_checks_detect_a_half_import(base: Path, tmp_path: Path) -> None:
    """The after-crash check is not vacuous: a treasury import missing a row is reported."""
    path = tmp_path / "half.db"
    shutil.copy2(base, path)
    book = open_book(path)
    try:
        book.user = None
        from app.models.store import users

        users.login(book, "clerk", cc.PASSWORD)
        src = tmp_path / "t.csv"
        src.write_bytes(cc.treasury_csv("half"))
        from app.models.ledger import treasury

        treasury.import_file(book, src)
        assert cc.check(book.conn) == []
        book.conn.execute("DROP TRIGGER IF EXISTS treasury_payments_no_delete")
        names = [r[0] for r in book.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                 "AND tbl_name = 'treasury_payments'")]
        for name in names:
            book.conn.execute(f"DROP TRIGGER {name}")
        book.conn.execute("DELETE FROM treasury_payments WHERE id = (SELECT max(id) FROM treasury_payments)")
        book.conn.commit()
        assert any("国库导入" in p for p in cc.check(book.conn))
    finally:
        book.close(backup=False)
