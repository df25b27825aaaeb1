"""The audit hash chain checked in parts, in worker processes (issue #22 item 2: a full verify that uses every core).

The chain walk is Python (hashlib and the JSON text of each record): in threads it holds the GIL against every other
check, so it runs in processes of its own — the 'spawn' way, as Windows starts them, on every platform. The chain is
split by seq (audit.split); each worker opens the file read-only itself and walks its part from the STORED hash of
the record before it (audit.walk_part), and audit.combine gives exactly what the one walk gives, whatever the split.

Where processes cannot start, for a short chain, or for an in-memory database the one walk runs as before. A worker
that dies without an answer (killed, crashed) has its part walked again here, in this process: never a silent pass.
FUNDLEDGER_VERIFY_PROCESSES: 0 = never use processes; N = always N parts in N processes (at most 16), however short the chain
(the self-test and the Windows CI prove the process path on the small demo county this way).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import sqlite3
import threading
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from app.models.store import audit, db
from app.models.store.audit import Finding, Part

log = logging.getLogger(__name__)

MIN_RECORDS = 60_000  # below this the chain takes well under a second: not worth a process's start-up
MAX_WORKERS = 8
ENV = "FUNDLEDGER_VERIFY_PROCESSES"

Result = tuple[Finding | None, tuple[int, int] | None]


def planned(conn: sqlite3.Connection) -> int:
    """How many worker processes a full verify of this file uses for the chain: 0 = none (the one walk)."""
    forced = os.environ.get(ENV, "").strip()
    if forced:
        try:
            n = int(forced)
        except ValueError:
            n = -1
        if n >= 0:
            return 0 if n < 2 else min(n, 16)  # (Windows waits on at most 64 handles: two per worker)
    cores = os.cpu_count() or 1
    if cores < 2 or audit.last_seq(conn) < MIN_RECORDS:
        return 0
    return min(cores, MAX_WORKERS)


def _worker(path: str, part: Part, out: Connection) -> None:
    """A worker process: walk one part on its own read-only connection, send (status, value) back."""
    try:
        conn = db.connect(Path(path), read_only=True)
        try:
            answer: tuple[str, Any] = ("ok", audit.walk_part(conn, part))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        answer = ("sqlite", str(exc))
    except Exception as exc:  # noqa: BLE001 - told to the parent, which walks the part again itself and raises
        answer = ("error", repr(exc))
    out.send(answer)
    out.close()


WORKER = _worker  # what each process runs (a test replaces it with one that dies, to see the part walked again)


class ChainCheck(threading.Thread):
    """The chain check of a full verify, run ahead like the other long checks (verify._Ahead's interface:
    is_alive/join, `result`, `stop`): this thread starts the worker processes and waits for them."""

    def __init__(self, path: str, name: str, workers: int) -> None:
        super().__init__(name="verify-chain-parts", daemon=True)
        self.path, self.check_name, self.workers = path, name, workers
        self.result: list[Finding] | None = None
        self.started = 0  # worker processes started
        self.redone: list[str] = []  # parts walked again in this process, and why
        self.procs: list[Any] = []
        self.stopping = threading.Event()
        self.conn: sqlite3.Connection | None = None

    def run(self) -> None:
        try:
            conn = self.conn = db.connect(Path(self.path), read_only=True)
        except sqlite3.Error:
            return  # result None: verify runs the check in order on the book's connection
        try:
            self.result = self._run(conn)
        except sqlite3.Error as exc:
            self.result = [Finding(self.check_name, "数据库", f"无法完成检查：{exc}")]
        finally:
            conn.close()

    def _run(self, conn: sqlite3.Connection) -> list[Finding] | None:
        parts = audit.split(conn, self.workers)
        results: dict[int, Result] = {}
        waiting: dict[Any, int] = {}  # a reader or a process sentinel → the part's index
        readers: dict[Any, Any] = {}  # (on Windows a reader is a PipeConnection, not a Connection: told apart here)
        if len(parts) > 1:
            try:
                ctx = multiprocessing.get_context("spawn")
                for i, part in enumerate(parts):
                    reader, writer = ctx.Pipe(duplex=False)
                    proc = ctx.Process(target=WORKER, args=(self.path, part, writer), daemon=True,
                                       name=f"fundledger-verify-chain-{i + 1}")
                    proc.start()
                    writer.close()
                    self.procs.append(proc)
                    self.started += 1
                    waiting[reader] = waiting[proc.sentinel] = i
                    readers[reader] = reader
            except (OSError, RuntimeError, ValueError) as exc:  # no processes here: the one walk, in this process
                why = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
                log.warning("核验：无法启动子进程（%s），审计链在本进程中核验", why)
                self._terminate()
                self.redone.append(f"无法启动子进程：{why}")
                return list(audit.walk(conn))
        failed: dict[int, str] = {}
        while waiting and not self.stopping.is_set():
            for ready in wait(list(waiting), timeout=0.2):
                i = waiting.pop(ready)
                if ready in readers:
                    pipe = readers.pop(ready)
                    try:
                        status, value = pipe.recv()
                    except (EOFError, OSError):
                        continue  # the pipe closed without an answer: the sentinel says so
                    finally:
                        pipe.close()
                    if status == "ok":
                        results[i] = value
                    elif status == "sqlite":  # as _collect reports a check that SQLite stopped
                        results[i] = (Finding(self.check_name, "数据库", f"无法完成检查：{value}"), None)
                    else:
                        failed[i] = f"子进程出错：{value}"
                elif i not in results and i not in failed:
                    self.procs[i].join(5)  # its exit code is known once it is reaped
                    failed[i] = f"子进程意外退出（退出码 {self.procs[i].exitcode}）"
            done = sorted(results)
            # the first part in order with a problem decides: the parts after it need not finish
            first_problem = next((i for i in done if results[i][0] is not None), None)
            if first_problem is not None and all(i in results for i in range(first_problem)):
                self._terminate()
                return audit.combine([results[i] for i in range(first_problem + 1)])
        if self.stopping.is_set():
            return None
        self._reap()
        for i, part in enumerate(parts):
            if i not in results:  # no answer from its worker (or no worker): walked here, never passed unseen
                why = failed.get(i, "没有子进程")
                if len(parts) > 1:
                    log.warning("核验：审计链第 %d 段（#%d 之后）%s，改在本进程中核验", i + 1, part.start_seq, why)
                    self.redone.append(f"第 {i + 1} 段 {why}")
                results[i] = audit.walk_part(conn, part)
        return audit.combine([results[i] for i in range(len(parts))])

    def told(self) -> str:
        """How the chain was checked, for the report: an auditor (and the Windows CI) sees the processes were used."""
        text = f"分段由 {self.started} 个子进程并行核验" if self.started else "在本进程中核验"
        return text + (f"（{'；'.join(self.redone)}，已在本进程中重新核验）" if self.redone else "")

    def _reap(self) -> None:
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join()

    def _terminate(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self.procs:
            proc.join()

    def stop(self) -> None:
        """After a cancel: the worker processes are terminated, the thread waited for."""
        self.stopping.set()
        self._terminate()
        if self.is_alive() and self.conn is not None:
            try:
                self.conn.interrupt()  # a part being walked here
            except sqlite3.ProgrammingError:
                pass  # already closed: it had finished
        self.join()


# -- the other Python-heavy checks: one more process ---------------------------------------------------------------

def movable(check: Any) -> bool:
    """A check another process can run: a plain function of the connection, sent by name (not a closure over the
    book, such as the re-created packages, which draw with Qt in this process)."""
    try:
        pickle.dumps(check)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _checks_worker(path: str, checks: list[tuple[str, Any]], out: Connection) -> None:
    """Run `checks` in order on one read-only connection; send each one's findings as soon as it is done."""
    conn = db.connect(Path(path), read_only=True)
    try:
        for name, check in checks:
            try:
                out.send(("ok", name, list(check(conn))))
            except sqlite3.Error as exc:  # as verify._collect reports a check that SQLite stopped
                out.send(("ok", name, [Finding(name, "数据库", f"无法完成检查：{exc}")]))
            except Exception as exc:  # noqa: BLE001 - the parent runs it again itself (and so raises as before)
                out.send(("error", name, repr(exc)))
    finally:
        conn.close()
        out.close()


CHECKS_WORKER = _checks_worker


class ChecksAhead(threading.Thread):
    """Checks of the connection alone (closed-month writes, rule sets, the invariants, sign-off heads, the re-summed
    months …) run in one worker process while this process renders the signed packages again: `results` holds each
    check's findings as they arrive. A check with no answer (the process died, or the check raised something other
    than an SQLite error) is left out, and verify runs it in this process — never a silent pass."""

    def __init__(self, path: str, checks: list[tuple[str, Any]]) -> None:
        super().__init__(name="verify-checks-process", daemon=True)
        self.path, self.checks = path, checks
        self.results: dict[str, list[Finding]] = {}
        self.proc: Any = None
        self.failed = ""
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            ctx = multiprocessing.get_context("spawn")
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=CHECKS_WORKER, args=(self.path, self.checks, writer), daemon=True,
                               name="fundledger-verify-checks")
            proc.start()
            self.proc = proc
            writer.close()
        except (OSError, RuntimeError, ValueError) as exc:
            self.failed = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            return
        try:
            while not self.stopping.is_set():
                if not wait([reader], timeout=0.2):
                    continue
                try:
                    status, name, value = reader.recv()
                except (EOFError, OSError):
                    break  # the process ended (or died): what did not come is run in this process
                if status == "ok":
                    self.results[name] = value
        finally:
            reader.close()
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join()
            if len(self.results) < len(self.checks) and not self.stopping.is_set():
                self.failed = f"子进程退出码 {self.proc.exitcode}"
                log.warning("核验：检查子进程（%s）没有给出 %d 项的结果，改在本进程中核验", self.failed,
                            len(self.checks) - len(self.results))

    def has(self, name: str) -> bool:
        return name in self.results or not self.is_alive()

    def stop(self) -> None:
        self.stopping.set()
        proc = self.proc
        if proc is not None and proc.is_alive():
            proc.terminate()
        self.join()
