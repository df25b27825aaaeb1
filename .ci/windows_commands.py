#!/usr/bin/env python3
"""windows_commands.py WINE EXE WORKDIR DEMO_DB: the Windows bundle's output to a pipe, code pages 936 and 1252.

Each `FundLedger.exe <command> --help` under 936, plus, under both code pages, the commands whose real output
carries ✓/✗ (verify, check-month, export, backups) on a copy of DEMO_DB (the demo county the Windows build made),
must exit as expected and print readable Chinese: GBK under 936 (√ for ✓), UTF-8 under 1252. The code page comes from LANG (Wine derives it from the locale).
Run with the Linux Python and the checkout on sys.path (the command list is read from app.cli.main).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.cli.main import commands  # noqa: E402

CODE_PAGES = {"936": ("zh_CN.UTF-8", "gbk"), "1252": ("en_US.UTF-8", "utf-8")}


TIMEOUT = int(os.environ.get("FUNDLEDGER_WIN_PIPE_TIMEOUT", "400"))
RETRIED: list[str] = []


def run(wine: str, exe: str, cwd: Path, lang: str, args: list[str]) -> tuple[int, bytes]:
    """One command under Wine with a time limit. A Wine process that hangs (seen once in CI, `demo --help` under
    load 11) is killed and run once more, and the log says so; a second hang is a failure, exit code -1.
    A process that exits non-zero having printed nothing at all (seen once in CI: `backups --help`, exit 1, not a
    byte of output, while the same build passed it in every other run) never reached Python, which prints a usage
    text, a message or a traceback on every failure; it is run once more, and the log says so. A second such exit
    is returned as it is, and fails the check."""
    env = dict(os.environ, LANG=lang, LC_ALL=lang)
    for attempt in (1, 2):
        try:
            p = subprocess.run([wine, exe, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            RETRIED.append(f"{' '.join(args)}（代码页 {lang}）第 {attempt} 次运行超过 {TIMEOUT} 秒，已终止")
            out = exc.stdout or b""
            continue
        if p.returncode != 0 and not p.stdout.strip() and attempt == 1:
            RETRIED.append(f"{' '.join(args)}（代码页 {lang}）第 1 次运行退出码 {p.returncode} 且没有任何输出，再运行一次")
            continue
        return p.returncode, p.stdout
    return -1, out + f"\n（最后一次运行超过 {TIMEOUT} 秒）".encode("gbk" if lang.startswith("zh") else "utf-8")


def main(wine: str, exe: str, work: Path, demo: Path) -> int:
    work.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, list[str], set[int], str]] = []
    # every command's help under 936 (the clerks' Windows); under 1252 the commands below. tests/windows runs
    # every command's help under both code pages, to a file and to a pipe, through the Windows Python.
    for name in commands():
        jobs.append(("936", [name, "--help"], {0}, "用法"))
    for cp in CODE_PAGES:
        shutil.copyfile(demo, work / f"demo{cp}.db")
    failures = []

    def one(job: tuple[str, list[str], set[int], str]) -> str | None:
        cp, args, codes, must = job
        lang, encoding = CODE_PAGES[cp]
        code, out = run(wine, exe, work, lang, args)
        try:
            text = out.decode(encoding)
        except UnicodeDecodeError as exc:
            return f"代码页 {cp} {' '.join(args)}：输出不是 {encoding}：{exc}"
        if code not in codes or must not in text or "Traceback" in text or "UnicodeEncodeError" in text:
            return f"代码页 {cp} {' '.join(args)}：退出码 {code}，输出：{text[-600:]}"
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures += [f for f in pool.map(one, jobs) if f]
    # the ✓/✗ printers, on the demo county each code page just built
    later = []
    for cp in CODE_PAGES:
        db = f"demo{cp}.db"
        later += [(cp, ["verify", db], {0, 1}, "结论："), (cp, ["check-month", db, "--month", "2026-01"], {0, 1}, "第 1 条"),
                  (cp, ["export", db, "--month", "2026-01", "--out", f"out{cp}"], {0, 1}, "已重新生成"),
                  (cp, ["backups", db], {0}, "")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures += [f for f in pool.map(one, later) if f]
    for cp in CODE_PAGES:
        code, out = run(wine, exe, work, CODE_PAGES[cp][0], ["verify", f"demo{cp}.db"])
        symbol = ("√" if cp == "936" else "✓").encode(CODE_PAGES[cp][1])
        if symbol not in out:
            failures.append(f"代码页 {cp} verify：输出中没有 {symbol!r}")
    print("\n".join(RETRIED + failures))
    total = len(jobs) + len(later) + len(CODE_PAGES)
    print(f"FundLedger.exe 的 {len(commands())} 个子命令的帮助（代码页 936）及 verify/check-month/export/backups"
          f"（936 与 1252）输出到管道："
          f"{total - len(failures)}/{total} 通过")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])))
