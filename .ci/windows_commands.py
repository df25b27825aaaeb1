#!/usr/bin/env python3
"""windows_commands.py WINE EXE WORKDIR DEMO_DB: the Windows bundle's output to a pipe, code pages 936 and 1252.

Each `FundLedger.exe <command> --help` under 936, plus, under both code pages, the commands whose real output
carries ✓/✗ (verify, check-month, export, backups) on a copy of DEMO_DB (the demo county the Windows build made),
must exit as expected and print readable Chinese: GBK under 936 (√ for ✓), UTF-8 under 1252. The code page comes from LANG (Wine derives it from the locale).
Then the full verify with its hash chain in two worker processes (the bundle starting itself the 'spawn' way): the
report says the processes checked it, an honest copy passes and an edit in the second part is named.
Run with the Linux Python and the checkout on sys.path (the command list is read from app.cli.main).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.cli.main import commands  # noqa: E402
from app.models.integrity import parallel  # noqa: E402
from app.models.store import audit  # noqa: E402

CODE_PAGES = {"936": ("zh_CN.UTF-8", "gbk"), "1252": ("en_US.UTF-8", "utf-8")}


TIMEOUT = int(os.environ.get("FUNDLEDGER_WIN_PIPE_TIMEOUT", "400"))
RETRIED: list[str] = []


def run(wine: str, exe: str, cwd: Path, lang: str, args: list[str], extra: dict[str, str] | None = None
        ) -> tuple[int, bytes]:
    """One command under Wine with a time limit. A Wine process that hangs (seen once in CI, `demo --help` under
    load 11) is killed and run once more, and the log says so; a second hang is a failure, exit code -1.
    A process that exits non-zero having printed nothing at all (seen once in CI: `backups --help`, exit 1, not a
    byte of output, while the same build passed it in every other run) never reached Python, which prints a usage
    text, a message or a traceback on every failure; it is run once more, and the log says so. A second such exit
    is returned as it is, and fails the check."""
    env = dict(os.environ, LANG=lang, LC_ALL=lang, **(extra or {}))
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
    failures += processes(wine, exe, work, demo)
    print("\n".join(RETRIED + failures))
    total = len(jobs) + len(later) + len(CODE_PAGES) + 2
    print(f"FundLedger.exe 的 {len(commands())} 个子命令的帮助（代码页 936）及 verify/check-month/export/backups"
          f"（936 与 1252）输出到管道，审计链在子进程中的完整核验（诚实文件与篡改）："
          f"{total - len(failures)}/{total} 通过")
    return 1 if failures else 0


def tamper_in_second_part(path: Path) -> str:
    """The insider's edit (plain sqlite3, the log's guards dropped and put back) of an ordinary audit record in the
    second of the two parts verify cuts the chain into; returns the finding the one walk (Linux) gives for it."""
    raw = sqlite3.connect(path)
    try:
        start = audit.split(raw, 2)[-1].start_seq
        seq = raw.execute("SELECT min(seq) FROM audit_log WHERE seq > ? AND actor IS NOT NULL", (start,)).fetchone()[0]
        saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").fetchall()
        for name, _sql in saved:
            raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute("UPDATE audit_log SET actor = actor || '改' WHERE seq = ?", (seq,))
        for _name, sql in saved:
            raw.execute(sql)
        raw.commit()
        found = [str(f) for f in audit.check_chain(raw)]
    finally:
        raw.close()
    if not found or f"#{seq}（" not in found[0]:
        raise SystemExit(f"篡改没有被本机的顺序核验查出：{found}")
    return found[0]


def processes(wine: str, exe: str, work: Path, demo: Path) -> list[str]:
    """The full verify with its hash chain in two worker processes (FUNDLEDGER_VERIFY_PROCESSES=2, however short the
    demo's chain): the Windows bundle starts them ('spawn' = this .exe again, freeze_support), the report says so,
    the honest file passes, and an edit in the second part is named exactly as the one walk names it."""
    lang, encoding = CODE_PAGES["1252"]
    extra = {parallel.ENV: "2"}
    said = "审计日志哈希链——分段由 2 个子进程并行核验"
    failures = []
    shutil.copyfile(demo, work / "procs.db")
    code, out = run(wine, exe, work, lang, ["verify", "procs.db"], extra)
    text = out.decode(encoding, "replace")
    if code != 0 or f"✓ {said}" not in text or "重新核验" in text or "结论：全部通过" not in text:
        failures.append(f"verify（审计链在 2 个子进程中）：退出码 {code}，输出：{text[-800:]}")
    shutil.copyfile(demo, work / "procs-tampered.db")
    finding = tamper_in_second_part(work / "procs-tampered.db")
    code, out = run(wine, exe, work, lang, ["verify", "procs-tampered.db"], extra)
    text = out.decode(encoding, "replace")
    if code != 1 or finding not in text or "✗ 审计日志哈希链（1 处问题）——分段由 2 个子进程并行核验" not in text \
            or "重新核验" in text:
        failures.append(f"verify（审计链在 2 个子进程中，第二段被篡改）：退出码 {code}，应指出“{finding}”，输出：{text[-800:]}")
    return failures


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])))
