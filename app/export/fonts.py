"""The one font every PDF and printed form is drawn with: resources/fonts/FundLedgerHei.ttf.

A subset of WenQuanYi Micro Hei (Apache-2.0), renamed "FundLedger Hei" so no system font can stand in
for it (resources/fonts/README.md, tools/subset_font.py). Registered with Qt at start-up; printing
never looks at the machine's fonts:
- the family list holds this family only, and font merging is off (QFont.NoFontMerging): a character
  the font lacks prints as the font's own empty box instead of being borrowed from whatever system
  font has it, so the same text gives the same bytes on every machine;
- hinting is off (QFont.PreferNoHinting): glyph widths come from the font's design, not from the
  machine's fontconfig/ClearType settings;
- on Windows Qt draws with its FreeType font engine, as on Linux (qt_argv): Qt's default Windows engine
  (DirectWrite) lays the same font out at other advances (64.25 instead of 63 for a full-width glyph at 63 units)
  and names it "FundLedgerHei-0-400" instead of its PostScript name, so a package signed on one system would not
  be re-created byte for byte on the other (CI's Windows leg checks both directions, docs/安装与部署.md).
The window uses the same file as the last fallback when the system has no Chinese font (app/ui/shell/app.py).
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from app.models.values.errors import AppError
from app.resources import resources_dir

FONT_FILE = "FundLedgerHei.ttf"
FAMILY = "FundLedger Hei"

_registered: list[str] = []


def font_path() -> Path:
    return resources_dir() / "fonts" / FONT_FILE


@cache
def font_sha256() -> str:
    """SHA-256 of the font file (recorded in every package manifest: the PDF's bytes depend on it)."""
    try:
        return hashlib.sha256(font_path().read_bytes()).hexdigest()
    except OSError as exc:
        raise AppError(f"找不到随程序附带的字体文件 {font_path()}（{exc.strerror or exc}）：请重新安装程序。") from exc


def register() -> str:
    """Add the bundled font to Qt's font database once (needs a QGuiApplication); returns its family."""
    if _registered:
        return _registered[0]
    if QGuiApplication.instance() is None:
        raise RuntimeError("fonts.register() needs a QGuiApplication")
    path = font_path()
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if FAMILY not in families:
        raise AppError(f"无法加载随程序附带的字体 {path}（文件缺失或已损坏）：打印和导出 PDF 需要它，请重新安装程序。")
    _registered.append(FAMILY)
    return FAMILY


def qt_argv(argv: list[str]) -> list[str]:
    """The QApplication's arguments: on Windows, the windows platform with Qt's FreeType font engine.

    Every QApplication of the program is made with these (window, CLI export, approval form), so a PDF drawn in
    the window and one re-created by `verify` use the same engine. A QT_QPA_PLATFORM naming another platform
    (offscreen in tests) is left alone; "windows" or "windows:<options>" gets fontengine=freetype added."""
    if sys.platform != "win32" or "-platform" in argv:
        return list(argv)
    name, _, options = os.environ.get("QT_QPA_PLATFORM", "").partition(":")
    if name not in ("", "windows"):
        return list(argv)
    kept = [o for o in options.split(",") if o and not o.startswith("fontengine=")]
    return [*argv, "-platform", "windows:" + ",".join([*kept, "fontengine=freetype"])]


def print_font(size: float, *, bold: bool = False) -> QFont:
    """The bundled font at `size` points, with no fallback to system fonts and no hinting."""
    register()
    font = QFont()
    font.setFamilies([FAMILY])
    font.setPointSizeF(size)
    font.setBold(bold)
    font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def has_glyphs(text: str) -> bool:
    """Whether the bundled font draws every character of `text` (else that character prints as a box)."""
    from PySide6.QtGui import QRawFont

    register()
    raw = QRawFont(str(font_path()), 12)
    return all(raw.supportsCharacter(ord(ch)) for ch in text if not ch.isspace())
