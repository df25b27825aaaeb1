"""tests/windows: Windows behaviours, run on Linux in CI's main run and under the Windows Python in Wine.

Written to run on both: where the two differ (the code page, kernel32, the read-only attribute) the test
asks the running system and checks what must happen there. `.ci/windows.sh` runs this folder under Wine
twice, with code page 936 and 1252, and sets FUNDLEDGER_EXPECT_ACP so a run cannot silently get another.
"""

from __future__ import annotations

import locale
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = sys.platform == "win32"


def windows_code_page() -> str:
    """The ANSI code page as Python names it for pipes and files ("cp936", "cp1252")."""
    return locale.getpreferredencoding(False)


@pytest.fixture(scope="session", autouse=True)
def expected_code_page() -> None:
    want = os.environ.get("FUNDLEDGER_EXPECT_ACP")
    if WINDOWS and want:
        import ctypes

        assert str(ctypes.windll.kernel32.GetACP()) == want, "Wine 的代码页不是 CI 要求的那个（LANG 未生效？）"


def decode(data: bytes, encoding: str) -> str:
    """What a clerk's tools read: the code page when it can show Chinese, else UTF-8 (with or without a BOM)."""
    import codecs

    if codecs.lookup(encoding).name in ("gbk", "gb18030", "big5", "cp950"):
        return data.decode(encoding)
    return data.decode("utf-8-sig")


def run_app(args: list[str], *, cwd: Path, encoding: str | None, stdout: object = subprocess.PIPE,
            env_extra: dict[str, str] | None = None, code: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """`python -m app ARGS` (or `python -c CODE`) as a user would run it: stdout to a pipe or an open file.

    On Linux `encoding` simulates the Windows code page through PYTHONIOENCODING; on Windows the code page is
    the system's own, and PYTHONIOENCODING/PYTHONUTF8 are removed so nothing hides the real behaviour.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8")}
    env["PYTHONPATH"] = str(ROOT)
    env["FUNDLEDGER_SRC"] = str(ROOT)  # the embedded Windows Python ignores PYTHONPATH (see .ci/windows.sh)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["APPDATA"] = str(cwd / "appdata")
    if encoding and not WINDOWS:
        env["PYTHONIOENCODING"] = encoding
    env.update(env_extra or {})
    argv = [sys.executable, "-c", code] if code else [sys.executable, "-m", "app", *args]
    if WINDOWS:  # no -X utf8 from the parent: the child must meet the real code page
        argv.insert(1, "-X")
        argv.insert(2, "utf8=0")
    return subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=600)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from app.demo import build

    folder = tmp_path_factory.mktemp("示例 县")
    made = os.environ.get("FUNDLEDGER_TEST_DEMO_DB")  # the leg passes the demo county the Windows build just made
    if made and Path(made).is_file():
        shutil.copyfile(made, folder / "示例县.db")
        return folder / "示例县.db"
    return build.build(folder / "示例县.db") and folder / "示例县.db"
