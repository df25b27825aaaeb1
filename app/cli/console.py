"""Output that survives the console's code page: `fundledger verify x.db > 核验报告.txt` on Chinese Windows.

On Windows, Python writes to a pipe or a file in the ANSI code page (936 = GBK on Chinese Windows, 1252 on
English Windows), and the frozen exe ignores PYTHONUTF8/PYTHONIOENCODING. GBK has no "✓", so a report
that printed it died half-written. At start-up `fit_streams` decides per stream:

- UTF-8 already (a Windows console, Linux): nothing changes.
- The code page can show Chinese (936, 950, 54936 …): keep it — Notepad, `type`, `more` and `findstr`
  on that PC read the file or pipe as they read every other text — and replace the few symbols it lacks
  with its nearest (✓ → √, ✗ → ×, − → -, ¥ → ￥), "?" only as a last resort.
- The code page cannot show Chinese (1252 …) and the stream is not a terminal: write UTF-8, with a BOM
  when it starts a new regular file, so Notepad (any version) opens the report as UTF-8 instead of "????".
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from typing import TextIO

HANDLER = "fundledger-nearest"
PROBE = "核验报告"  # any Chinese the program prints

# symbol → what to print instead, first one the code page can encode wins
NEAREST: dict[str, tuple[str, ...]] = {
    "✓": ("√", "OK"), "✔": ("√", "OK"),
    "✗": ("×", "X"), "✘": ("×", "X"),
    "−": ("-",), "–": ("-",), "—": ("-",),
    "¥": ("￥", "Y"), "⇄": ("<->",),
    "…": ("...",), "·": (".",), "→": ("->",),
    "“": ('"',), "”": ('"',), "‘": ("'",), "’": ("'",),
}  # fmt: skip


def _nearest(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start : exc.end]:
        for candidate in (*NEAREST.get(ch, ()), "?"):
            try:
                candidate.encode(exc.encoding)
            except UnicodeEncodeError:
                continue
            out.append(candidate)
            break
    return "".join(out), exc.end


codecs.register_error(HANDLER, _nearest)


def _is_utf(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith("utf")


def _can_show_chinese(encoding: str) -> bool:
    try:
        PROBE.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _new_regular_file(stream: TextIO) -> bool:
    try:
        fd = stream.fileno()
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.lseek(fd, 0, os.SEEK_CUR) == 0
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


def fit_stream(stream: TextIO | None, *, bom: bool = True) -> str:
    """Reconfigure one text stream as described above; returns what was decided (for tests and the log)."""
    if stream is None or not isinstance(stream, io.TextIOWrapper) or not stream.encoding:
        return "untouched"
    encoding = stream.encoding
    if _is_utf(encoding):
        return "utf-8"
    if _can_show_chinese(encoding) or stream.isatty():
        stream.reconfigure(errors=HANDLER)
        return f"{codecs.lookup(encoding).name}+nearest"
    bom = bom and _new_regular_file(stream)
    stream.reconfigure(encoding="utf-8-sig" if bom else "utf-8", errors="strict")
    return "utf-8-bom" if bom else "utf-8"


def fit_streams() -> list[str]:
    """stdout and stderr; only stdout may start a file with a BOM (`> f 2>&1` must not get a second one)."""
    import sys

    return [fit_stream(sys.stdout), fit_stream(sys.stderr, bom=False)]
