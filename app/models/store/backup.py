"""Backups through SQLite's backup API, thinned like Anki's: recent, daily, weekly, monthly."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.models.store import db
from app.models.values.errors import AppError, FileError


class OpenFile(Protocol):
    """What a backup needs of an open bureau file (store/book.Book is one); backup.py never imports book.py."""

    conn: sqlite3.Connection
    path: Path
    read_only: bool
    integrity: str
    notice: str
    user: Any
    backup_covers: tuple[int, str, str] | None

    @property
    def rules(self) -> Any: ...

    def ensure_checked(self) -> None: ...

    def now(self) -> dt.datetime: ...

    def forget_rules(self) -> None: ...

_NAME = re.compile(r"^(?P<stem>.+)_(?P<stamp>\d{8}-\d{6}(?:-\d+)?)_(?P<reason>[^_]*)\.db$")
PARTIAL = ".part"  # a backup being written: never listed, never restored
SIGN_OFF_REASON = "签发前"  # the backup taken just before each sign-off: thinning never removes one
DEFAULT_KEEP = {"recent": 10, "daily": 7, "weekly": 8, "monthly": 12}


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken: dt.datetime
    reason: str
    size: int


def backup_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "_备份")


def _target(db_path: Path, reason: str, now: dt.datetime) -> Path:
    folder = backup_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[\\/:*?\"<>|_\s]", "", reason)[:20]
    target = folder / f"{db_path.stem}_{stamp}_{safe}.db"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{db_path.stem}_{stamp}-{n}_{safe}.db"
    return target


def copy_file(conn: sqlite3.Connection, db_path: Path, *, reason: str, now: dt.datetime | None = None) -> Path:
    """A consistent copy of an open connection's database (the online backup API).

    Written under a temporary name, checked (quick_check and our application_id), then renamed: a kill or a
    failed check never leaves a file under a backup's name, so every listed backup can restore."""
    target: Path | None = None
    partial: Path | None = None
    try:
        target = _target(db_path, reason, now or dt.datetime.now())
        partial = target.with_name(f".{target.stem}.{os.getpid()}{PARTIAL}")
        dest = sqlite3.connect(str(partial))
        try:
            conn.backup(dest)
        finally:
            dest.close()
        check_backup(partial)
        os.replace(partial, target)
    except FileError as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise FileError(f"备份失败：写出的备份未通过检查（{exc}），已删除。原文件未受影响。") from exc
    except (OSError, sqlite3.Error) as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise FileError(f"备份失败：{exc}。原文件未受影响。") from exc
    return target


def _sweep_partials(folder: Path) -> None:
    """Half-written backups of a process that was killed (its pid is in the name) are removed."""
    from app.models.store.lock import pid_alive

    for p in folder.glob(f".*{PARTIAL}"):
        pid = p.name.removesuffix(PARTIAL).rsplit(".", 1)[-1]
        if not pid.isdigit() or (int(pid) != os.getpid() and not pid_alive(int(pid))):
            p.unlink(missing_ok=True)


def keep_counts(book: OpenFile | None) -> dict[str, int]:
    if book is None:
        return dict(DEFAULT_KEEP)
    try:
        return dict(book.rules.backup_keep)
    except (AppError, AttributeError):
        return dict(DEFAULT_KEEP)


def make(book: OpenFile, *, reason: str) -> Path:
    """Back up the open file now, then thin the folder (a file opened with its check deferred is checked first)."""
    book.ensure_checked()
    if book.integrity == "failed":
        raise FileError(f"未备份：{book.notice}")
    target = copy_file(book.conn, book.path, reason=reason, now=book.now())
    cover(book, reason)
    thin(backup_dir(book.path), keep_counts(book))
    return target


def _head(conn: sqlite3.Connection) -> tuple[int, str]:
    from app.models.store import audit

    seq, digest = audit.head(conn)
    return (seq, digest) if seq else (0, "")


def cover(book: OpenFile, by: str) -> None:
    """Record that the file as it stands is covered by this session's backups: just after a backup, and after a
    sign-off made right after one (the backup before signing, plus the sign-off's data and files stored in the
    file and written out as its package). Any later write moves the audit head, and the cover lapses.
    `by`: the backup's reason, or SIGNED when a sign-off moved the cover on."""
    try:
        book.backup_covers = (*_head(book.conn), by)
    except (sqlite3.Error, AttributeError):
        pass


SIGNED = "签发"


def covered(book: OpenFile, *, by: str | None = None) -> bool:
    """Nothing was written since this session's last backup (or the sign-off that followed it); `by`: and the
    cover was set by that (SIGNED: the next month of a `sign_months` needs no backup of its own)."""
    mark = getattr(book, "backup_covers", None)
    try:
        return mark is not None and mark[:2] == _head(book.conn) and (by is None or mark[2] == by)
    except sqlite3.Error:
        return False


def usable(path: Path) -> bool:
    """What the list can show without opening the file: an SQLite header with our application_id, a
    FundLedger schema version, and exactly as many bytes as the header says pages (not cut short)."""
    try:
        head = db.read_header(path)
        size = path.stat().st_size
    except (FileError, OSError):
        return False
    return (head is not None and head.application_id == db.APPLICATION_ID and head.user_version > 0
            and head.pages > 0 and size == head.pages * head.page_size)


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Newest first; only files that are FundLedger backups (see `usable`): a 0-byte, cut-short or foreign
    file in the folder is not offered for restoring (`unusable_files` names them)."""
    found = []
    folder = backup_dir(db_path)
    if folder.is_dir():
        for p in folder.glob("*.db"):
            m = _NAME.match(p.name)
            if not m or not usable(p):
                continue
            taken = dt.datetime.strptime(m["stamp"][:15], "%Y%m%d-%H%M%S")
            found.append(BackupInfo(p, taken, m["reason"], p.stat().st_size))
    return sorted(found, key=lambda b: (b.taken, b.path.name), reverse=True)


def unusable_files(db_path: Path) -> list[Path]:
    """Files in the backup folder that look like backups by name but cannot restore."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.db") if _NAME.match(p.name) and not usable(p))


def choose_kept(backups: list[BackupInfo], keep: dict[str, int]) -> set[Path]:
    """The newest N, then the newest of each of the last days, weeks and months; and always every backup
    taken before a sign-off (the state each signed month was signed from)."""
    kept = {b.path for b in backups[: keep.get("recent", 10)]}
    kept |= {b.path for b in backups if b.reason == SIGN_OFF_REASON}
    for bucket, fmt in (("daily", "%Y-%m-%d"), ("weekly", "%G-W%V"), ("monthly", "%Y-%m")):
        seen: list[str] = []
        for b in backups:
            key = b.taken.strftime(fmt)
            if key not in seen:
                seen.append(key)
                if len(seen) > keep.get(bucket, 0):
                    break
                kept.add(b.path)
    return kept


def thin(folder: Path, keep: dict[str, int]) -> list[Path]:
    if folder.is_dir():
        _sweep_partials(folder)
    backups = list_backups(folder.with_name(folder.name.removesuffix("_备份") + ".db"))
    kept = choose_kept(backups, keep)
    removed = []
    for b in backups:
        if b.path not in kept:
            b.path.unlink(missing_ok=True)
            removed.append(b.path)
    return removed


def check_backup(path: Path) -> None:
    """A backup must itself be a sound FundLedger file before anything is restored from it."""
    db.check_header(path)
    try:
        conn = db.connect(path, read_only=True)
    except sqlite3.Error as exc:
        raise FileError(f"备份文件 {path.name} 无法打开：{exc}") from exc
    try:
        db.check_integrity(conn, path)
        if db.user_version(conn) == 0:
            raise FileError(f"备份文件 {path.name} 是空文件，不能用于恢复。")
    finally:
        conn.close()


def summary(path: Path) -> dict[str, object]:
    """What a backup holds, read without changing it: shown before anyone restores it."""
    check_backup(path)
    conn = db.connect(path, read_only=True)
    try:
        bureau = conn.execute("SELECT name FROM bureau WHERE id = 1").fetchone()
        audit_row = list(conn.execute("SELECT count(*), max(at) FROM audit_log").fetchone())
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_runs'").fetchone():  # bulk imports, folded
            folded = conn.execute("SELECT coalesce(sum(last_seq - first_seq + 1), 0), max(at) FROM audit_runs").fetchone()
            audit_row = [audit_row[0] + folded[0], max(x for x in (audit_row[1], folded[1], "") if x is not None) or None]
        return {
            "bureau": bureau[0] if bureau else "",
            "version": db.user_version(conn),
            "audit_records": int(audit_row[0]),
            "last_change": audit_row[1],
        }
    finally:
        conn.close()


def restore(book: OpenFile, source: Path) -> Path:
    """Replace the open file's content with a backup; the current state is backed up first."""
    from app.models.store import permissions

    permissions.require("restore_backup", book.user.role if book.user else None)
    if book.read_only:
        raise FileError("以只读方式打开时不能恢复备份。")
    check_backup(source)
    saved = copy_file(book.conn, book.path, reason="恢复前", now=book.now())
    src = sqlite3.connect(db.file_uri(source) + "?mode=ro", uri=True)
    try:
        src.backup(book.conn)
    except sqlite3.Error as exc:
        raise FileError(f"恢复失败：{exc}。当前文件已先备份到 {saved.name}。") from exc
    finally:
        src.close()
    book.forget_rules()
    return saved
