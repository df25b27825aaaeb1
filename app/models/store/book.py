"""An open bureau file: the connection, the acting user, read-only state, and the write transaction."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from app.models.store import audit, db, lock, permissions
from app.models.store import clock as clocks
from app.models.values.errors import AppError, ClosedPeriodError, FileError, ReadOnlyError

if TYPE_CHECKING:
    from app.models.rules.load import RuleSet


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    role: str
    section: str = ""

    @property
    def role_name(self) -> str:
        return permissions.ROLE_NAMES.get(self.role, self.role)


SYSTEM = User(id=0, login="system", name="系统", role="system")


def translate(exc: sqlite3.Error) -> AppError | None:
    """Turn what SQLite says into a Chinese message; None when it is a programming error."""
    text = str(exc)
    if db.CLOSED_MESSAGE in text:
        return ClosedPeriodError(db.CLOSED_MESSAGE)
    if "只能追加" in text:
        return AppError(text)
    if "readonly" in text or "read-only" in text:
        return ReadOnlyError("文件为只读，无法写入（文件夹或文件只读，或以只读方式打开）。未写入任何数据。")
    if "disk is full" in text or "disk I/O error" in text:
        return FileError(f"写入磁盘失败（{text}），本次操作未写入任何数据，之前的数据完好。")
    if "database is locked" in text:
        return FileError("数据库正被另一个程序占用，请稍后重试。未写入任何数据。")
    if "no such table" in text or "unable to open" in text:
        return FileError(f"数据库文件已不可用（{text}），可能已被移走或删除。")
    return None


class Book:
    """One open .db: every operation takes it first and writes only through `write()`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, read_only: bool,
                 file_lock: lock.FileLock | None = None, notice: str = "") -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only
        self.notice = notice  # why it was opened read-only, shown to the user
        self._lock = file_lock
        self.user: User | None = None
        self.clock: Callable[[], dt.datetime] = dt.datetime.now
        # the demo county's stated 今天 when this file is the demo (store/clock.py decides at open), else None;
        # why a demo_clock row present was not honoured, else ""
        self.demo_day: dt.date | None = None
        self.clock_problem = ""
        self._rules: RuleSet | None = None  # an override for every year; None: the file's assignments
        self._rules_by_year: dict[int, RuleSet] = {}
        self._rules_seen: int | None = None
        self._rules_checked = -2.0  # time.monotonic() of the last data_version look
        self._depth = 0
        self.closed = False
        # "ok", or "pending" when opened with check="deferred" (quick_check not yet run), or "failed"
        self.integrity = "ok"
        self._check_guard = threading.Lock()
        self._check_thread: threading.Thread | None = None
        self._check_conn: sqlite3.Connection | None = None
        self._check_cancelled = False
        self._check_listeners: list[Callable[[str | None], None]] = []
        self.temp_dir: Path | None = None  # a read-only open's temporary copy, removed on close
        # a read-only open of a file missing schema steps: (its user_version, the steps the copy had applied)
        self.upgraded: tuple[int, list[int]] | None = None
        self._checked_by: Book | None = None  # a worker's book: the window's book runs the open-time check
        # The audit head (seq, hash) that this session's last backup covers (see backup.cover): closing takes no
        # second copy of a file unchanged since.
        self.backup_covers: tuple[int, str, str] | None = None

    # -- the deferred integrity check ---------------------------------------------------------
    def start_check(self, on_done: Callable[[str | None], None] | None = None) -> None:
        """Run the deferred quick_check on a read-only connection of its own in a background thread.

        `on_done(problem)` is called once it has finished (on the checking thread; at once when it already has):
        None when the file is sound; else the Chinese message, and the book has become read-only."""
        finished = False
        with self._check_guard:
            if on_done is not None:
                if self.integrity != "pending":
                    finished = True
                else:
                    self._check_listeners.append(on_done)
            if self.integrity == "pending" and self._check_thread is None and not self.closed:
                self._check_thread = threading.Thread(target=self._run_check, name="fundledger-quick-check",
                                                      daemon=True)
                self._check_thread.start()
        if on_done is not None and finished:
            on_done(self.notice if self.integrity == "failed" else None)

    def _run_check(self) -> None:
        problem: str | None = None
        try:
            conn = db.connect(self.path, read_only=True)
        except sqlite3.Error as exc:
            problem = f"文件 {self.path} 无法读取：{exc}"
        else:
            with self._check_guard:
                self._check_conn = conn
            try:
                problem = db.quick_check_problem(conn, self.path)
            finally:
                with self._check_guard:
                    self._check_conn = None
                conn.close()
        with self._check_guard:
            if self._check_cancelled:
                return  # closed meanwhile: an interrupted check says nothing about the file
            if problem is None:
                self.integrity = "ok"
            else:
                self.integrity = "failed"
                self.read_only = True  # never write to a file that failed the check
                self.notice = (f"{problem}\n为保护数据，已改为只读方式打开，未写入任何数据。"
                               "请从备份恢复（文件 → 从备份恢复），或运行 fundledger verify 查看详情。")
            listeners, self._check_listeners = self._check_listeners, []
        for listener in listeners:
            listener(None if problem is None else self.notice)

    def ensure_checked(self) -> None:
        """Before a write or a backup: a pending check is run (or waited for). Afterwards `integrity` is
        "ok" or "failed" (and the book read-only)."""
        parent = self._checked_by
        if parent is not None:  # a worker's book (worker_book): the window's book checks, this one follows
            parent.ensure_checked()
            if parent.integrity == "failed" and not self.read_only:
                self.read_only, self.notice = True, parent.notice
                self.refuse_writes()
            return
        if self.integrity != "pending":
            return
        self.start_check()
        thread = self._check_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def refuse_writes(self) -> None:
        """Make the connection itself refuse writes (PRAGMA query_only), on the thread that owns it."""
        self.read_only = True
        try:
            self.conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error:
            pass  # a closed or broken connection writes nothing either

    def _cancel_check(self) -> None:
        with self._check_guard:
            self._check_cancelled = True
            thread, conn = self._check_thread, self._check_conn
            if conn is not None:
                conn.interrupt()
        if thread is not None:
            thread.join()

    # -- reading ---------------------------------------------------------------------------
    @property
    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.conn)

    @property
    def user_id(self) -> int | None:
        """The acting user's id (None before login): what every audited row records as its author."""
        return self.user.id if self.user and self.user.id else None

    def may(self, op: str) -> bool:
        """Whether the logged-in user may do `op` (resources/permissions.toml) on this file now: what a button
        asks before it is enabled. `write(op)` enforces the same table."""
        return not self.read_only and self.user is not None and permissions.allowed(op, self.user.role)

    def __enter__(self) -> Book:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        """Close; the backup on close is taken only when the block ended normally (not after a failed login)."""
        self.close(backup=exc_type is None)

    def forget_rules(self) -> None:
        """The rule sets are read again on next use (after a restore replaced the file's content, or the chief
        assigned another set to a year), and the demo clock judged again (a restore replaced the file)."""
        self._rules = None
        self._rules_by_year = {}
        self._rules_checked = -2.0
        if isinstance(self.clock, clocks.FixedDay):
            self.clock = dt.datetime.now
        clocks.install(self)

    def forget_rule_years(self) -> None:
        """Only the cache of each year's rule set (after the chief assigned another set to a year)."""
        self._rules_by_year = {}
        self._rules_checked = -2.0

    @property
    def rules(self) -> RuleSet:
        """The rule set of the current fiscal year (the year of `today()`). Code about a particular year — a payment,
        a warning, a notice duty, a deadline, a month's report — asks `rules_for(year)` / `rules_on(day)` instead."""
        return self.rules_for(self.today().year)

    def rules_for(self, year: int) -> RuleSet:
        """The rule set the file assigns to fiscal year `year` (table rule_sets, schema/0012): the row with the
        greatest from_year not after `year`; the first row also covers every earlier year. A file without the
        table (older than schema 12, opened read-only) uses the set it was created with."""
        if self._rules is not None:  # an explicit override for every year (a what-if preview, a test)
            return self._rules
        now = time.monotonic()
        if now - self._rules_checked > 1.0:  # at most once a second: has another connection committed meanwhile?
            self._rules_checked = now
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._rules_seen:  # an assignment may have changed (this connection's own: forget_rules)
                self._rules_by_year, self._rules_seen = {}, version
        found = self._rules_by_year.get(year)
        if found is None:
            from app.models.store import rule_years

            found = self._rules_by_year[year] = rule_years.load_for(self.conn, year)
        return found

    def rules_on(self, day: dt.date | str) -> RuleSet:
        """The rule set of the fiscal year `day` falls in (a date or "YYYY-MM-DD…" text)."""
        return self.rules_for(int(str(day)[:4]) if isinstance(day, str) else day.year)

    def data_state(self) -> tuple[int, int]:
        """Changes since: this connection's writes and other connections' commits (SQLite's data_version) — equal
        twice only while the file has not changed in between, so a derived value read under one may be kept."""
        return self.conn.total_changes, int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().date()

    def stamp(self) -> str:
        return self.clock().isoformat(sep=" ", timespec="seconds")

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def write(self, op: str, *, system: bool = False) -> Iterator[sqlite3.Connection]:
        """One operation = one transaction (a savepoint when nested), audited and sealed."""
        if not self._depth and not self.read_only:
            self.ensure_checked()  # a write waits for a pending check (SQLite would also wait for its read lock)
        if self.read_only:
            raise ReadOnlyError(f"文件以只读方式打开，不能修改数据。{self.notice}".strip())
        actor = SYSTEM if system else self.user
        if not system:
            permissions.require(op, actor.role if actor else None)
        assert actor is not None
        conn = self.conn
        if self._depth:
            name = f"sp{self._depth}"
            conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            else:
                conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise (translate(exc) or exc) from exc
        self._depth = 1
        try:
            start = audit.last_seq(conn)
            conn.execute(
                "UPDATE audit_context SET actor = ?, op = ?, at = ? WHERE id = 1",
                (f"{actor.login}#{actor.id}", op, self.clock().isoformat(sep=" ", timespec="milliseconds")),
            )
            yield conn
            folded = audit.seal(conn, start) >= audit.MIN_RUN
            conn.execute("UPDATE audit_context SET actor = NULL, op = NULL, at = NULL WHERE id = 1")
            conn.execute("COMMIT")
            if folded:
                give_back(conn)
        except sqlite3.Error as exc:
            self._rollback()
            if not self.path.exists():
                raise FileError(f"数据库文件 {self.path} 已被移走或删除，本次操作未写入。请从备份恢复或重新打开文件。") from exc
            mapped = translate(exc)
            if mapped is not None:
                raise mapped from exc
            raise
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    # -- closing ---------------------------------------------------------------------------
    def close(self, *, backup: bool = True) -> None:
        """Back up (thinned), leave one complete file, release the lock. Safe to call twice."""
        if self.closed:
            return
        backup = backup and self.user is not None  # never a backup (nor thinning) before someone has logged in
        try:
            if backup and not self.read_only:
                self.ensure_checked()  # no backup of a file that fails the check
            self._cancel_check()
        finally:
            self.closed = True
        try:
            if not self.read_only:
                if backup:
                    from app.models.store import backup as backups

                    try:
                        if not backups.covered(self):
                            backups.make(self, reason="关闭")
                    except AppError:
                        pass  # a failed backup on close must not keep the file open
                try:
                    self.conn.execute("PRAGMA optimize")
                except sqlite3.Error:
                    pass  # the file may be gone or read-only by now; closing must still succeed
            self.conn.close()
        finally:
            if self._lock:
                self._lock.release()
            if self.temp_dir is not None:
                shutil.rmtree(self.temp_dir, ignore_errors=True)


@contextmanager
def worker_book(book: Book, *, read_only: bool = False) -> Iterator[Book]:
    """The same file and user on a connection of its own, for work run off the GUI thread.

    Two threads sharing one connection share its transaction: a write the window makes meanwhile would land
    inside the worker's transaction, or break it. With two connections SQLite makes one wait. Holds no file
    lock (the window's Book does). `read_only=True` (or a book opened read-only): the connection cannot write.
    A write waits for the window's book's open-time integrity check, and is refused if it failed."""
    read_only = read_only or book.read_only
    try:
        conn = db.connect(book.path, read_only=read_only)
    except sqlite3.Error as exc:
        raise (translate(exc) or FileError(f"无法打开文件 {book.path}：{exc}")) from exc
    own = Book(book.path, conn, read_only=read_only, notice=book.notice)
    own.user, own.clock, own._rules = book.user, book.clock, book._rules
    own.demo_day, own.clock_problem = book.demo_day, book.clock_problem
    own._checked_by = book
    try:
        yield own
    finally:
        own.close(backup=False)


def open_book(path: Path | str, *, read_only: bool = False, create: bool = False, check: str = "full",
              break_lock: dict[str, object] | None = None) -> Book:
    """Open (or create) a bureau file: header, lock, integrity, version, migration after a backup.

    `check="full"` runs PRAGMA quick_check now (seconds on a large file). `check="deferred"` (the window)
    checks only the header, application_id and schema version now and leaves the book's `integrity`
    "pending": `Book.start_check` runs quick_check in the background, and every write and backup waits
    for it first (`ensure_checked`). An upgrade is always preceded by the full check."""
    if check not in ("full", "deferred"):
        raise ValueError(f"check must be 'full' or 'deferred', not {check!r}")
    path = Path(path)
    sweep_temp_copies()
    exists = path.exists() and path.stat().st_size > 0
    if not exists and not create:
        if path.is_file():
            raise FileError(f"文件 {path} 是空文件（0 字节），不是可用的 FundLedger 数据库：可能是复制、下载或保存"
                            "中途中断留下的。请找回原文件，或从备份恢复（文件夹“"
                            f"{path.stem}_备份”中的备份可以直接打开）。文件未作任何修改。")
        raise FileError(f"文件 {path} 不存在。")
    if exists:
        db.preflight(path)  # whose file, which version, which journal mode: from its bytes, before any write
        problem = None
        if db.hot_journal(path):
            # Whose journal is it? Its header and saved page 1 first; then roll it into a throw-away copy and check
            # the result. Only a journal that passes both is left for SQLite to roll into the file itself.
            problem = db.journal_problem(path)
            if (problem is None or "无法确认" in problem) and not _journal_fits_copy(path):
                problem = problem or "把它回滚到文件的副本后，副本未通过完整性检查"
            elif problem is not None and "无法确认" in problem:
                problem = None  # no page 1 saved, but the rolled-back copy is a sound file of ours
        if problem is not None:
            raise FileError(
                f"文件 {path.name} 旁有一个不属于它的日志文件（{problem}）。若让 SQLite 回滚这个日志，文件会被损坏，"
                f"因此没有打开，文件未作任何修改。请把 {db.journal_path(path).name} 移到别处（不要删除，以备查）后再打开。")
    notice = ""
    if not read_only and exists and lock.is_network_path(path):
        read_only, notice = True, "该文件位于网络驱动器上，SQLite 在网络共享上加锁不可靠，已以只读方式打开。"
    if read_only and not exists:
        raise FileError(f"文件 {path} 不存在，无法以只读方式打开。")
    file_lock = None
    if not read_only:
        file_lock = lock.FileLock(path)
        file_lock.acquire(break_holder=break_lock)
    try:
        book = _open(path, read_only=read_only, file_lock=file_lock, notice=notice, check=check)
        if file_lock is not None and file_lock.broken is not None:
            _record_lock_break(book, file_lock.broken)
        return book
    except BaseException:
        if file_lock:
            file_lock.release()
        raise


def _open(path: Path, *, read_only: bool, file_lock: lock.FileLock | None, notice: str,
          copied: bool = False, check: str = "full") -> Book:
    if read_only and not copied and _has_hot_journal(path):
        return _open_copy(path, notice, "该文件上次未正常关闭（有未完成的事务），显示的是撤销该事务后的临时副本，"
                                        "原文件未改动；以可写方式打开时会自动恢复。")
    try:
        conn = db.connect(path, read_only=read_only)
    except sqlite3.Error as exc:
        raise FileError(f"无法打开文件 {path}：{exc}") from exc
    deferred = check == "deferred" and not copied
    try:
        if deferred:
            db.check_identity(conn, path)
        else:
            db.check_integrity(conn, path)
        if db.needs_migration(conn):  # a step missing, also one numbered below the file's user_version
            if deferred:
                db.check_integrity(conn, path)  # never upgrade a file that has not passed the full check
                deferred = False
            if read_only:
                upgraded = (db.schema_step(conn), [n for n, _name, _p in db.pending_steps(conn)])
                conn.close()
                book = _open_copy(path, notice, "该文件为旧版本格式，显示的是升级后的临时副本，原文件未改动。")
                book.upgraded = upgraded
                return book

            def before(v: int) -> None:
                if v > 0:
                    from app.models.store import backup as backups

                    backups.copy_file(conn, path, reason=f"升级前v{v}")

            version = db.user_version(conn)
            folding = version > 0 and audit.RUNS_STEP in {n for n, _, _ in db.pending_steps(conn)}
            if version == 0:  # a new, empty file: pages a bulk import's folded records leave are given back
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            db.migrate(conn, before=before, after=_after_migrate)
            if folding:
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect with the VACUUM
                conn.execute("VACUUM")  # the converted audit log's pages back to the disk: the file shrinks
    except sqlite3.Error as exc:
        conn.close()
        raise (translate(exc) or FileError(f"文件 {path} 无法使用：{exc}")) from exc
    except BaseException:
        conn.close()
        raise
    book = Book(path, conn, read_only=read_only, file_lock=file_lock, notice=notice)
    clocks.install(book)  # the demo county's fixed 今天, only on a file that is the demo in every respect
    if deferred:
        book.integrity = "pending"
    return book


def _record_lock_break(book: Book, holder: dict[str, object]) -> None:
    import json
    import socket

    with book.write("break_lock", system=True) as conn:
        conn.execute("INSERT INTO lock_breaks (at, holder, held_for, broken_by) VALUES (?, ?, ?, ?)",
                     (book.stamp(), json.dumps(holder, ensure_ascii=False, sort_keys=True),
                      lock.age(book.path, holder, book.now()), f"{lock._user()}@{socket.gethostname()}"))


RULE_SETS_STEP = 12  # schema/0012_rule_sets.sql: a file from before it gets one row from its bound set
PASSWORD_TAG_STEP = 10  # schema/0010_hostile.sql: pw_hash leaves the audit log, pw_tag is audited instead


FREE_PAGES_KEPT = 1024


def give_back(conn: sqlite3.Connection) -> None:
    """A bulk import's records were written, then folded into a run (audit.seal): the pages they took are free.
    Give them back to the disk (auto_vacuum = INCREMENTAL, schema 20) instead of carrying them in every backup;
    a few are kept for the next writes. No-op on a file without incremental vacuum."""
    try:
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
        if free > 2 * FREE_PAGES_KEPT:
            conn.execute(f"PRAGMA incremental_vacuum({free - FREE_PAGES_KEPT})").fetchall()
    except sqlite3.Error:
        pass  # only space: the data is committed


def _compact_audit(conn: sqlite3.Connection, old_version: int, *, fold: bool = True) -> None:
    """Schema 20: fold an older file's bulk-insert records into runs (audit.compact), between two checks of the
    chain and the rows. A file whose log or rows do not check out is refused before anything is converted (the
    whole upgrade rolls back; the file stays as it was), and a conversion that would not check out is undone."""
    if not audit.has_runs(conn) or conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_no_delete'").fetchone():
        return  # not upgraded to schema 20 by this migration
    if fold and 0 < old_version < audit.RUNS_STEP:
        for check in (audit.check_chain, audit.check_rows):
            for finding in check(conn):
                raise FileError(f"升级前的核验未通过（{finding}），不能转换审计日志的格式。文件未作任何修改；"
                                "请用原版本程序打开并做完整核验（fundledger verify），或从备份恢复。")
        audit.compact(conn)
        for check in (audit.check_chain, audit.check_rows):
            for finding in check(conn):
                raise FileError(f"审计日志转换后核验未通过（{finding}），已撤销转换。文件未作任何修改。")
    conn.execute(audit.NO_DELETE_SQL)


def _after_migrate(conn: sqlite3.Connection, old_version: int) -> None:
    """Data the schema steps need filled in Python, audited as the system and sealed into the chain; last, the
    audit log's conversion to runs (schema 20)."""
    _fill_after_migrate(conn, old_version)
    _compact_audit(conn, old_version)


def _after_migrate_copy(conn: sqlite3.Connection, old_version: int) -> None:
    """The same for the temporary copy behind a read-only open: records are not folded."""
    _fill_after_migrate(conn, old_version)
    _compact_audit(conn, old_version, fold=False)


def _fill_after_migrate(conn: sqlite3.Connection, old_version: int) -> None:
    if 0 < old_version < RULE_SETS_STEP:
        from app.models.store import rule_years

        rule_years.fill_first(conn)
    if old_version == 0 or old_version >= PASSWORD_TAG_STEP:
        return
    import hashlib

    start = audit.last_seq(conn)
    conn.execute("UPDATE audit_context SET actor = 'system#0', op = 'upgrade', "
                 "at = strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime') WHERE id = 1")
    # only tags never set: a step re-run on a file whose step table and objects were doctored must not re-tag (and
    # so launder) a password hash someone swapped with sqlite3 — the audited tag is what verify checks it against
    for uid, pw_hash in conn.execute("SELECT id, pw_hash FROM users WHERE coalesce(pw_tag, '') = '' "
                                     "ORDER BY id").fetchall():
        conn.execute("UPDATE users SET pw_tag = ? WHERE id = ?",
                     (hashlib.sha256(pw_hash.encode("utf-8")).hexdigest(), uid))
    audit.seal(conn, start)
    conn.execute("UPDATE audit_context SET actor = NULL, op = NULL, at = NULL WHERE id = 1")


def _has_hot_journal(path: Path) -> bool:
    journal = path.with_name(path.name + "-journal")
    return journal.exists() and journal.stat().st_size > 0


TEMP_PREFIX = "fundledger-ro-"
LEGACY_COPY_AGE = 24 * 3600  # seconds: a copy without a pid in its name is removed once this old


def _temp_dir() -> Path:
    """A private folder for a temporary copy; its name carries our pid so a later start can tell it is orphaned."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}p{os.getpid()}-"))


def sweep_temp_copies() -> list[Path]:
    """Remove temporary copies left by a FundLedger process that has ended (killed or crashed): they hold
    personal data and must not outlive the program. Runs at start and before every open."""
    removed: list[Path] = []
    try:
        found = list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"))
    except OSError:
        return removed
    for folder in found:
        tag = folder.name[len(TEMP_PREFIX):]
        if tag.startswith("p") and tag[1:].split("-", 1)[0].isdigit():
            pid = int(tag[1:].split("-", 1)[0])
            if pid == os.getpid() or lock.pid_alive(pid):
                continue  # a running FundLedger's copy
        else:
            # made by an earlier version (no pid in the name): it may still be in use, so only an old one goes
            try:
                if time.time() - folder.stat().st_mtime < LEGACY_COPY_AGE:
                    continue
            except OSError:
                continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def _journal_fits_copy(path: Path) -> bool:
    """Roll the journal into a throw-away copy and check the result (the original and its journal untouched)."""
    folder = _temp_dir()
    try:
        tmp = folder / path.name
        shutil.copy2(path, tmp)
        shutil.copy2(db.journal_path(path), db.journal_path(tmp))
        try:
            conn = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the first read rolls the journal back
                db.check_integrity(conn, path)
            finally:
                conn.close()
        except (sqlite3.Error, FileError):
            return False
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _open_copy(path: Path, notice: str, why: str) -> Book:
    """Read-only but the file needs writing (an upgrade, or a crash's journal to roll back):
    do it on a temporary copy, never on the auditor's file. The copy is removed when the book closes."""
    folder = _temp_dir()
    try:
        tmp = folder / path.name
        shutil.copy2(path, tmp)
        journal = path.with_name(path.name + "-journal")
        if journal.exists():
            shutil.copy2(journal, tmp.with_name(tmp.name + "-journal"))
        conn = db.connect(tmp)  # opening read-write rolls a hot journal back
        try:
            db.check_integrity(conn, path)
            # the auditor's read-only look at an older file: upgraded as it is, records not folded (they verify
            # either way, and the copy is thrown away on close)
            db.migrate(conn, after=_after_migrate_copy)
        finally:
            conn.close()
        book = _open(tmp, read_only=True, file_lock=None, notice=notice, copied=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    book.temp_dir = folder
    book.notice = (notice + " " + why).strip()
    return book
