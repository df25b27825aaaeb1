#!/usr/bin/env python3
"""Developer entry point, standard library only: `python3 dev.py run` / `python3 dev.py test`.

Creates .venv and installs the project with its extras when missing (Windows and Linux alike).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".fundledger-installed"


def ensure_env(extras: str = "test,build") -> None:
    """Create the venv and (re)install when pyproject.toml changed since the last install."""
    if not PY.exists():
        print("创建虚拟环境 .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = f"{extras}:{(ROOT / 'pyproject.toml').stat().st_mtime_ns}"
    if STAMP.exists() and STAMP.read_text() == want:
        return
    print("安装依赖（首次运行需要几分钟）…", flush=True)
    subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "-e", f".[{extras}]"], cwd=ROOT)
    STAMP.write_text(want)


def has_display() -> bool:
    if os.name == "nt" or sys.platform == "darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "help"
    rest = argv[1:]
    if cmd == "run":
        ensure_env()
        if not has_display():
            print("没有图形显示（DISPLAY 未设置）：请在桌面环境中运行，或使用 `xvfb-run -a python3 dev.py run`。")
            return 2
        return subprocess.call([str(PY), "-m", "app", "--demo", *rest], cwd=ROOT)
    if cmd == "test":
        ensure_env()
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)
    if cmd == "cli":
        ensure_env()
        return subprocess.call([str(PY), "-m", "app", *rest], cwd=ROOT)
    if cmd == "build":
        ensure_env()
        return subprocess.call([str(PY), "-m", "PyInstaller", "--noconfirm", "build.spec"], cwd=ROOT)
    print("用法：python3 dev.py run | test [pytest 参数] | cli <子命令> | build")
    return 0 if cmd in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
