"""The same PDF bytes on Windows and Linux: Qt's FreeType font engine on both (app/export/fonts.py, qt_argv).

Qt's default engine on Windows (DirectWrite) lays the bundled font out at other advances and names it
"FundLedgerHei-0-400" in the PDF, so a package signed on Linux would not be re-created byte for byte on a clerk's PC.
The real process test runs on both systems (under Wine in CI's Windows leg, with the windows platform, not offscreen).
"""

from __future__ import annotations

import re
import sys
import zlib
from pathlib import Path

import pytest

from app.export import fonts
from tests.windows.conftest import WINDOWS, run_app


@pytest.mark.parametrize(("env", "want"), [
    (None, "windows:fontengine=freetype"),
    ("windows", "windows:fontengine=freetype"),  # the naive check (only when unset) leaves DirectWrite here
    ("windows:dpiawareness=1,fontengine=directwrite", "windows:dpiawareness=1,fontengine=freetype"),
    ("offscreen", None),
])
def test_windows_platform_gets_the_freetype_engine(monkeypatch: pytest.MonkeyPatch, env: str | None,
                                                   want: str | None) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    if env is None:
        monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    else:
        monkeypatch.setenv("QT_QPA_PLATFORM", env)
    got = fonts.qt_argv(["FundLedger"])
    assert got == (["FundLedger", "-platform", want] if want else ["FundLedger"])
    assert fonts.qt_argv(["FundLedger", "-platform", "minimal"]) == ["FundLedger", "-platform", "minimal"]


def test_other_systems_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert fonts.qt_argv(["x"]) == ["x"]


CHILD = r"""
import sys
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QGuiApplication, QPainter, QPdfWriter
from app.export import fonts, pdf
pdf.ensure_gui_app()
buf = QBuffer()
buf.open(QIODevice.OpenModeFlag.WriteOnly)
writer = QPdfWriter(buf)
writer.setResolution(1200)
painter = QPainter(writer)
painter.setFont(fonts.print_font(12))
painter.drawText(600, 600, "国国国")
painter.end()
sys.stdout.buffer.write(QGuiApplication.platformName().encode("ascii") + b"\n" + bytes(buf.data()))
"""


def test_pdf_names_the_font_and_lays_it_out_from_its_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a real process as the program starts it (on Windows: the windows platform, no QT_QPA_PLATFORM): the PDF
    names the font by its PostScript name and advances a full-width glyph by exactly one em (12 pt at 1200 dpi =
    200 units), as FreeType does on Linux; DirectWrite gives "FundLedgerHei-0-400" and 203.97."""
    if WINDOWS:  # as a clerk starts it: no platform chosen (CI's Windows leg otherwise passes offscreen on)
        monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
        monkeypatch.delenv("FL_QT_QPA_PLATFORM", raising=False)
    p = run_app([], cwd=tmp_path, encoding=None, code=CHILD)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-2000:]
    platform, _, data = p.stdout.partition(b"\n")
    assert platform == b"windows" if WINDOWS else platform in (b"offscreen", b"xcb", b"wayland"), platform
    assert b"/BaseFont /FundLedgerHei-Regular" in data, re.findall(rb"/BaseFont\s*/\S+", data)
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            streams.append(raw)
    text = b"\n".join(s for s in streams if b" Tj" in s)
    assert re.search(rb"\n200 0 Td <[0-9A-F]+> Tj\n200 0 Td <[0-9A-F]+> Tj", text), text[:400]
