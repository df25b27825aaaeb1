"""`fundledger … > 核验报告.txt` and `… | findstr` on Chinese (936) and English (1252) Windows, every command.

The naive program (print to a stream in the ANSI code page, strict) dies at the first "✓" under 936 and at
the first Chinese character under 1252 — with half a report written. Here the output must be whole and read
back as a clerk's Notepad would: GBK under 936 (✓ shown as √), UTF-8 under 1252 (a new file gets a BOM).
"""

from __future__ import annotations

import codecs
import io
import os
from pathlib import Path

import pytest

from app.cli import console
from app.cli.main import commands
from tests.windows.conftest import WINDOWS, run_app, windows_code_page

# On Linux both code pages are simulated; on Windows only the system's own can be met (Wine takes it from LANG).
ENCODINGS = [windows_code_page()] if WINDOWS else ["gbk", "cp1252"]


def chinese_page(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("gbk", "gb18030", "big5", "cp950")


def read_back(data: bytes, encoding: str, *, to_file: bool) -> str:
    """Decode what a clerk's tools would: the code page if it shows Chinese, else UTF-8 (BOM only on a file)."""
    if chinese_page(encoding):
        assert not data.startswith(codecs.BOM_UTF8)
        return data.decode(encoding)
    assert data.startswith(codecs.BOM_UTF8) == to_file, "UTF-8 的文件应以 BOM 开头、管道不应有 BOM"
    return data.decode("utf-8-sig" if to_file else "utf-8")


def test_nearest_symbols_in_gbk() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="gbk", newline="\n")
    assert console.fit_stream(stream) == "gbk+nearest"
    stream.write("✓ 通过 ✗ 未通过 −5 ¥3 ⇄ \U0001f600\n")
    stream.flush()
    assert raw.getvalue().decode("gbk") == "√ 通过 × 未通过 -5 ￥3 <-> ?\n"


def test_cp1252_file_becomes_utf8_with_one_bom(tmp_path: Path) -> None:
    path = tmp_path / "核验报告.txt"
    with open(path, "w", encoding="cp1252", newline="\n") as out, \
            open(path, "a", encoding="cp1252", newline="\n") as err:
        assert console.fit_stream(out) == "utf-8-bom"
        assert console.fit_stream(err, bom=False) == "utf-8"
        out.write("✓ 数据库完整性\n")
        out.flush()
        err.write("错误：示例\n")
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and data.count(codecs.BOM_UTF8) == 1
    assert data.decode("utf-8-sig") == "✓ 数据库完整性\n错误：示例\n"


def test_cp1252_pipe_is_utf8_without_bom() -> None:
    r, w = os.pipe()
    with open(w, "w", encoding="cp1252", newline="\n") as stream:
        assert console.fit_stream(stream) == "utf-8"
        stream.write("✓ 通过\n")
    with open(r, "rb") as fh:
        assert fh.read() == "✓ 通过\n".encode()


def test_utf8_and_missing_streams_untouched() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert console.fit_stream(stream) == "utf-8" and stream.errors == "strict"
    assert console.fit_stream(None) == "untouched"


HELP_ALL = """
import sys
from app.__main__ import main
from app.cli.main import commands
for name in commands():
    try:
        main([name, "--help"])
    except SystemExit as exc:
        assert exc.code in (0, None), (name, exc.code)
    print("=== 完成", name, "✓", flush=True)
"""


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("to_file", [True, False], ids=["file", "pipe"])
def test_every_command_help_redirected(tmp_path: Path, encoding: str, to_file: bool) -> None:
    """Each command's --help (all Chinese) through a real process whose stdout is a file or a pipe."""
    if to_file:
        with open(tmp_path / "帮助.txt", "wb") as fh:
            p = run_app([], cwd=tmp_path, encoding=encoding, stdout=fh, code=HELP_ALL)
        data = (tmp_path / "帮助.txt").read_bytes()
    else:
        p = run_app([], cwd=tmp_path, encoding=encoding, code=HELP_ALL)
        data = p.stdout
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-2000:]
    text = read_back(data, encoding, to_file=to_file)
    for name, cmd in commands().items():
        assert f"=== 完成 {name}" in text and cmd.help[:10] in text, name
    assert "用法：" in text and ("√" if chinese_page(encoding) else "✓") in text


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("to_file", [True, False], ids=["file", "pipe"])
@pytest.mark.parametrize("args", [["verify"], ["check-month", "--month", "2026-01"], ["backups"],
                                  ["export", "--month", "2026-01", "--out", "重现"]], ids=lambda a: a[0])
def test_report_commands_redirected(demo_db: Path, tmp_path: Path, encoding: str, to_file: bool,
                                    args: list[str]) -> None:
    """The commands that print ✓/✗ and Chinese file names, on the demo county, to a file and to a pipe."""
    argv = [args[0], str(demo_db), *args[1:]]
    if to_file:
        with open(tmp_path / "核验报告.txt", "wb") as fh:
            p = run_app(argv, cwd=tmp_path, encoding=encoding, stdout=fh)
        data = (tmp_path / "核验报告.txt").read_bytes()
    else:
        p = run_app(argv, cwd=tmp_path, encoding=encoding)
        data = p.stdout
    err = p.stderr.decode("utf-8", "replace")
    assert "UnicodeEncodeError" not in err and "Traceback" not in err, err[-2000:]
    assert p.returncode in (0, 1), err[-2000:]  # 1 = a finding (e.g. PDF bytes, issue 14), never a crash
    text = read_back(data, encoding, to_file=to_file)
    expect = {"verify": "结论：", "check-month": "第 1 条", "backups": "示例县", "export": "已重新生成"}[args[0]]
    assert expect in text or (args[0] == "backups" and text.strip()), text[-1000:]
    if args[0] in ("verify", "check-month"):
        assert ("√" if chinese_page(encoding) else "✓") in text


def test_error_line_to_stderr_pipe(tmp_path: Path) -> None:
    """An error goes to stderr in the same encoding; a missing file is one Chinese line, exit 2."""
    enc = ENCODINGS[0]
    p = run_app(["verify", str(tmp_path / "没有 这个.db")], cwd=tmp_path, encoding=enc)
    assert p.returncode == 2
    text = p.stderr.decode(enc if chinese_page(enc) else "utf-8")
    assert text.startswith("错误：") and "没有 这个.db" in text


def test_real_windows_code_page_is_the_ansi_one(tmp_path: Path) -> None:
    """Without the fix's help, Python itself writes a pipe in the ANSI code page: the premise of this folder."""
    p = run_app([], cwd=tmp_path, encoding=ENCODINGS[0], code="import sys; print(sys.stdout.encoding)")
    got = codecs.lookup(p.stdout.decode("ascii").strip()).name
    assert got == codecs.lookup(ENCODINGS[0]).name
