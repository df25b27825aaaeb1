"""The bureau file on a Windows PC: the lock against live and dead processes, Chinese paths with spaces, a long
path, a read-only file and folder, %APPDATA% and %TEMP%. Runs on Linux and, in CI, under the Windows Python
in Wine, where `pid_alive` goes through kernel32 and paths through the Win32 API.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.store import backup, lock, setup, users
from app.models.store.book import open_book
from app.models.values.errors import AppError, LockedError
from tests.conftest import PASSWORD
from tests.windows.conftest import ROOT, WINDOWS, decode, run_app, windows_code_page


def new_book(path: Path) -> None:
    b = setup.create(path, bureau_name="测试县财政局", region_code="659902", level="county",
                     chief_login="chief", chief_name="局长甲", chief_password=PASSWORD)
    b.close(backup=False)


def write_lock(db: Path, pid: int) -> None:
    """A lock as FundLedger writes it, with the holder's start time (without it, a live process that is not
    FundLedger counts as stale: issue 15 item 13)."""
    lock.lock_path(db).write_text(json.dumps({"host": socket.gethostname(), "user": "clerk", "pid": pid,
                                              "time": "2026-12-01T09:00:00",
                                              "started": lock.process_started(pid) or ""}), encoding="utf-8")


def test_lock_of_a_live_process_holds(tmp_path: Path) -> None:
    db = tmp_path / "台账.db"
    new_book(db)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert lock.pid_alive(other.pid)
        write_lock(db, other.pid)
        with pytest.raises(LockedError) as info:
            open_book(db)
        assert f"进程 {other.pid}" in str(info.value) and "只读" in str(info.value)
        assert lock.lock_path(db).exists()  # a live holder's lock is never taken away
    finally:
        other.kill()
        other.wait()


def test_lock_of_a_dead_process_is_recovered(tmp_path: Path) -> None:
    db = tmp_path / "台账.db"
    new_book(db)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert not lock.pid_alive(gone.pid)
    write_lock(db, gone.pid)
    with open_book(db) as b:
        holder = json.loads(lock.lock_path(db).read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid() and b.path == db
    assert not lock.lock_path(db).exists()


def test_chinese_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "扶贫 资金" / "2026 年（第一季度）"
    folder.mkdir(parents=True)
    db = folder / "示例 县 财政局.db"
    new_book(db)
    with open_book(db) as b:
        users.login(b, "chief", PASSWORD)
        made = backup.make(b, reason="手动")
    assert made.exists() and str(folder) in str(made)
    assert backup.list_backups(db) and all(str(folder) in str(i.path) for i in backup.list_backups(db))
    p = run_app(["verify", str(db)], cwd=tmp_path, encoding="utf-8", env_extra={"PYTHONIOENCODING": "utf-8"}
                if not WINDOWS else {})
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-1500:]


def test_long_path(tmp_path: Path) -> None:
    """More than Windows' old 260-character limit: works (python.exe is longPathAware), or one Chinese error."""
    folder = tmp_path
    while len(str(folder)) < 280:
        folder = folder / "扶贫资金监管台账长路径测试文件夹"
    folder.mkdir(parents=True)
    db = folder / "示例县.db"
    assert len(str(db)) > 260
    try:
        new_book(db)
    except AppError as exc:  # a clear message is acceptable on a PC without long-path support; a traceback is not
        assert "文件" in str(exc)
        return
    with open_book(db) as b:
        users.login(b, "chief", PASSWORD)
        assert backup.make(b, reason="手动").exists()


WRITE_ONCE = """
import sys
from app.models.store import users
from app.models.store.book import open_book
from app.models.values.errors import AppError
try:
    with open_book(sys.argv[1]) as b:
        users.login(b, "chief", sys.argv[2])
        users.add_user(b, login=sys.argv[3], name="某", role="clerk", password=sys.argv[2], section="股")
except AppError as exc:
    sys.stdout.buffer.write(("REFUSED " + str(exc)).encode("utf-8"))
else:
    sys.stdout.buffer.write(b"WRITTEN")
"""


def write_as_a_clerk(db: Path, login: str) -> str:
    """Try one write the way a clerk's process would: on Linux as an unprivileged user (root ignores modes)."""
    preexec = None
    if not WINDOWS and os.geteuid() == 0:
        def preexec() -> None:
            os.setgid(65534)
            os.setuid(65534)
    env = dict(os.environ, PYTHONPATH=str(ROOT), FUNDLEDGER_SRC=str(ROOT), PYTHONDONTWRITEBYTECODE="1",
               HOME=str(db.parent), APPDATA=str(db.parent))
    p = subprocess.run([sys.executable, "-c", WRITE_ONCE, str(db), PASSWORD, login], env=env, capture_output=True,
                       preexec_fn=preexec, cwd=str(db.parent), timeout=300)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-1500:]
    return p.stdout.decode("utf-8")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's tmp_path is root's 0700 one)."""
    folder = Path(tempfile.mkdtemp(prefix="fl-shared-"))
    os.chmod(folder, 0o777)
    yield folder
    for p in folder.rglob("*"):
        os.chmod(p, 0o777)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def os_lets_a_clerk_write(path: Path, *, create_in: bool = False) -> bool:
    """Whether the operating system itself lets the clerk's process write there (the same user as write_as_a_clerk).

    Real Windows refuses a file with the read-only attribute even to an administrator, and ignores a folder's
    read-only attribute; Wine running as root lets both through; Linux refuses an ordinary user by mode bits.
    """
    target = path / "探针.tmp" if create_in else path
    probe = ("import sys\ntry:\n    open(sys.argv[1], 'ab' if sys.argv[2] == '0' else 'xb').close()\n"
             "except OSError:\n    print('NO')\nelse:\n    print('YES')\n")
    preexec = None
    if not WINDOWS and os.geteuid() == 0:
        def preexec() -> None:
            os.setgid(65534)
            os.setuid(65534)
    p = subprocess.run([sys.executable, "-c", probe, str(target), "1" if create_in else "0"], capture_output=True,
                       preexec_fn=preexec, timeout=120)
    if create_in and target.exists():
        os.chmod(path, 0o777)
        target.unlink()
    return p.stdout.strip() == b"YES"


def test_read_only_file_refuses_writes_in_chinese(shared_dir: Path) -> None:
    """The app refuses, in Chinese and without writing, exactly when the system will not let it write the file."""
    db = shared_dir / "只读 文件.db"
    new_book(db)
    os.chmod(db, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)  # Windows: the read-only attribute
    blocked = not os_lets_a_clerk_write(db)
    assert blocked or WINDOWS  # Linux (an ordinary user) always blocks; Windows blocks, Wine as root does not
    out = write_as_a_clerk(db, "x1")
    if blocked:
        assert out.startswith("REFUSED ") and "只读" in out, out
    else:
        assert out == "WRITTEN"
    os.chmod(db, 0o666)
    assert write_as_a_clerk(db, "x2") == "WRITTEN"  # the same write on the same file, writable: the test can fail


def test_read_only_folder(shared_dir: Path) -> None:
    """A folder the clerk cannot write in (Linux mode bits): the lock file cannot be made — one Chinese line, nothing
    written. Windows ignores a folder's read-only attribute: there the same write simply succeeds."""
    folder = shared_dir / "只读 文件夹"
    folder.mkdir()
    db = folder / "台账.db"
    new_book(db)
    os.chmod(db, 0o666)
    os.chmod(folder, 0o555)
    blocked = not os_lets_a_clerk_write(folder, create_in=True)
    os.chmod(folder, 0o555)
    assert blocked != WINDOWS
    out = write_as_a_clerk(db, "x1")
    if blocked:
        assert out.startswith("REFUSED ") and "只读" in out, out
        assert not lock.lock_path(db).exists()
    else:
        assert out == "WRITTEN"
    os.chmod(folder, 0o777)
    assert write_as_a_clerk(db, "x2") == "WRITTEN"


def test_appdata_and_temp_are_used(tmp_path: Path) -> None:
    """Logs under %APPDATA%\\FundLedger\\logs (XDG_STATE_HOME on Linux), the self-test's files under %TEMP%."""
    appdata, temp = tmp_path / "漫游 数据", tmp_path / "临时 文件"
    temp.mkdir()
    env = {"APPDATA": str(appdata), "TEMP": str(temp), "TMP": str(temp), "TMPDIR": str(temp), "XDG_STATE_HOME": ""}
    code = ("import sys, tempfile; from app.__main__ import main; "
            "sys.stdout.buffer.write(tempfile.gettempdir().encode('utf-8')); sys.stdout.flush(); "
            "sys.exit(main(['verify', 'no-such.db']))")
    enc = windows_code_page() if WINDOWS else "utf-8"
    p = run_app([], cwd=tmp_path, encoding=enc, env_extra=env, code=code)
    assert p.returncode == 2, decode(p.stderr, enc)
    assert Path(p.stdout.decode("utf-8")) == temp
    log = appdata / "FundLedger" / "logs" / "fundledger.log"
    assert log.exists(), list(tmp_path.rglob("*"))
