"""One writer per file: a lock file beside the .db saying host, user, pid and time."""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import json
import os
import socket
import sys
from pathlib import Path

from app.models.values.errors import FileError, LockedError


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some service contexts
        return "?"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (Windows and POSIX)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_started(pid: int) -> str | None:
    """When the process with this pid started (an opaque text), or None if unknown: a pid reused by a later
    process has a different start time, so a lock can tell its own writer from a stranger with the same number."""
    if pid <= 0:
        return None
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return None
        times = [ctypes.c_ulonglong() for _ in range(4)]
        ok = ctypes.windll.kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times))
        ctypes.windll.kernel32.CloseHandle(handle)
        return str(times[0].value) if ok else None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, starttime in clock ticks since boot


def is_fundledger(pid: int) -> bool | None:
    """Whether a live process is this program (None when it cannot be told, e.g. no /proc)."""
    if sys.platform == "win32":
        return None
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").lower()
    except OSError:
        return None
    return "fundledger" in cmd or " -m app" in cmd or "app/__main__" in cmd


def read_holder(db_path: Path) -> dict[str, object] | None:
    try:
        text = lock_path(db_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return {"host": "?", "user": "?", "pid": 0, "time": "?", "broken": "无法读取锁文件"}
    try:
        return dict(json.loads(text))
    except (ValueError, TypeError):
        return {"host": "?", "user": "?", "pid": 0, "time": "?",
                "broken": "锁文件是空的" if not text.strip() else "锁文件内容无法识别"}


def age(db_path: Path, holder: dict[str, object], now: dt.datetime | None = None) -> str:
    """How long the lock has been held, in words (from its time, else the lock file's own date)."""
    now = now or dt.datetime.now()
    try:
        since = dt.datetime.fromisoformat(str(holder.get("time")))
    except ValueError:
        try:
            since = dt.datetime.fromtimestamp(lock_path(db_path).stat().st_mtime)
        except OSError:
            return "时长不明"
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} 分钟"
    if minutes < 48 * 60:
        return f"{minutes // 60} 小时 {minutes % 60} 分钟"
    return f"{minutes // (24 * 60)} 天"


def describe(holder: dict[str, object]) -> str:
    if holder.get("broken"):
        return f"一个无法识别的锁（{holder['broken']}）"
    return f"计算机 {holder.get('host')} 上的用户 {holder.get('user')}（进程 {holder.get('pid')}，自 {holder.get('time')} 起）"


def stale_reason(holder: dict[str, object], host: str) -> str | None:
    """Why a lock on this host is certainly left over (its writer is gone), or None when it may be live."""
    if holder.get("host") != host:
        return None
    try:
        pid = int(str(holder.get("pid") or 0))
    except ValueError:
        return None
    if not pid_alive(pid):
        return "进程已结束"
    started = holder.get("started")
    now_started = process_started(pid)
    if started and now_started and str(started) != now_started:
        return "进程号已被另一个程序重新使用"
    if not started and is_fundledger(pid) is False:
        return "该进程号现在属于另一个程序"
    return None


class FileLock:
    """Held while a file is open for writing; released on close, recovered when stale."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self.db_path = db_path
        self.held = False
        self.broken: dict[str, object] | None = None  # the holder whose lock was broken to take this one

    def acquire(self, *, break_holder: dict[str, object] | None = None) -> None:
        """Take the lock. A stale lock on this host is taken over silently; any other is refused with a
        LockedError naming its holder and age, unless `break_holder` is that very holder (what the user was
        shown and chose to break): then it is removed and recorded in `broken` for the audit log."""
        info = {
            "host": socket.gethostname(),
            "user": _user(),
            "pid": os.getpid(),
            "started": process_started(os.getpid()) or "",
            "time": dt.datetime.now().isoformat(timespec="seconds"),
        }
        for _attempt in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError as exists:
                holder = read_holder(self.db_path) or {}
                if stale_reason(holder, str(info["host"])) is not None:
                    self.path.unlink(missing_ok=True)  # stale: its writer on this host is gone
                    continue
                if holder.get("host") == info["host"] and holder.get("pid") == info["pid"]:
                    raise LockedError("本程序已在另一个窗口中打开了该文件。", holder) from exists
                if break_holder is not None and _same_holder(break_holder, holder):
                    self.path.unlink(missing_ok=True)
                    self.broken = holder
                    continue
                raise LockedError(
                    f"文件 {self.db_path.name} 正由{describe(holder)}打开，已持续 {age(self.db_path, holder)}。"
                    "可以以只读方式打开查看；如确认对方已不在使用（例如那台计算机已关机或程序已崩溃），"
                    "可以强制解除锁定（会记入审计日志）。", holder) from exists
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise FileError(
                        f"文件夹 {self.path.parent} 只读或无写入权限，无法以可写方式打开，请以只读方式打开。") from exc
                if exc.errno == errno.ENOSPC:
                    raise FileError(f"磁盘已满，无法在 {self.path.parent} 中创建锁文件，请先清理磁盘空间。") from exc
                raise FileError(f"无法创建锁文件 {self.path}（系统错误号 {exc.errno}）。") from exc
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(info, fh, ensure_ascii=False)
            self.held = True
            return
        raise LockedError(f"无法取得文件 {self.db_path.name} 的写锁。", read_holder(self.db_path) or {})

    def release(self) -> None:
        if self.held:
            holder = read_holder(self.db_path)
            if holder and holder.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False


def _same_holder(a: dict[str, object], b: dict[str, object]) -> bool:
    """The lock is still the one the user was shown (not one taken meanwhile by someone else)."""
    keys = ("host", "user", "pid", "time", "started", "broken")
    return all(a.get(k) == b.get(k) for k in keys)


def is_network_path(path: Path) -> bool:
    """SQLite locking is unreliable over SMB/NFS: such files are opened read-only."""
    try:
        text = str(path.resolve())
    except OSError:  # Windows: resolving a path over 260 characters can fail (WinError 234); the drive is what counts
        text = os.path.abspath(path)
    if sys.platform == "win32":
        if text.startswith("\\\\"):
            return True
        import ctypes

        drive = os.path.splitdrive(text)[0]
        return bool(drive) and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4  # DRIVE_REMOTE
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    best, fstype = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and (text == parts[1] or text.startswith(parts[1].rstrip("/") + "/")) and len(parts[1]) > len(best):
            best, fstype = parts[1], parts[2]
    return fstype in {"cifs", "smb3", "smbfs", "nfs", "nfs4", "9p", "sshfs", "fuse.sshfs"}
