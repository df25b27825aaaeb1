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


def read_holder(db_path: Path) -> dict[str, object] | None:
    try:
        return dict(json.loads(lock_path(db_path).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"host": "?", "user": "?", "pid": 0, "time": "?"}


def describe(holder: dict[str, object]) -> str:
    return f"计算机 {holder.get('host')} 上的用户 {holder.get('user')}（进程 {holder.get('pid')}，自 {holder.get('time')} 起）"


class FileLock:
    """Held while a file is open for writing; released on close, recovered when stale."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self.db_path = db_path
        self.held = False

    def acquire(self) -> None:
        info = {
            "host": socket.gethostname(),
            "user": _user(),
            "pid": os.getpid(),
            "time": dt.datetime.now().isoformat(timespec="seconds"),
        }
        for _attempt in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError as exists:
                holder = read_holder(self.db_path) or {}
                if holder.get("host") == info["host"] and not pid_alive(int(str(holder.get("pid") or 0))):
                    self.path.unlink(missing_ok=True)  # stale: left by a crashed process on this host
                    continue
                if holder.get("host") == info["host"] and holder.get("pid") == info["pid"]:
                    raise LockedError("本程序已在另一个窗口中打开了该文件。", holder) from exists
                raise LockedError(
                    f"文件 {self.db_path.name} 正由{describe(holder)}打开。可以以只读方式打开查看。", holder
                ) from exists
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
