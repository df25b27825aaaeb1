#!/usr/bin/env python3
"""Make resources/fonts/FundLedgerHei.ttf from WenQuanYi Micro Hei (a developer tool, not run by the program).

The program prints every PDF with this one font, so a package re-creates byte for byte on any machine.
Reproduce (Debian/Ubuntu; nothing is installed system-wide):

    mkdir /tmp/wqy && cd /tmp/wqy && apt-get download fonts-wqy-microhei && dpkg -x fonts-wqy-microhei_*.deb x
    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.69.1
    /tmp/ft/bin/python tools/subset_font.py /tmp/wqy/x/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

Source: fonts-wqy-microhei 0.2.0-beta-3.1 (wqy-microhei.ttc, SHA-256 in SOURCE_SHA256 below), licence
Apache-2.0 (or GPL-3+ with font exception); see resources/fonts/README.md and LICENSE-WenQuanYi.txt.

What changes against the original (Apache-2.0 §4(b): modified files say so, also in the font's name table):
- only the first face of the collection (WenQuanYi Micro Hei, proportional), as a single .ttf;
- characters kept: ASCII, Latin-1, every character of GB 2312 and GBK, all CJK Unified Ideographs
  the font has (U+4E00–U+9FFF), CJK symbols and punctuation, full-width forms, and the general
  punctuation, arrows, mathematical, box-drawing, geometric and dingbat symbols the font has;
  Hangul and the rest are dropped (this keeps the file at about 4 MB);
- U+2717 ✗ (BALLOT X), which the program prints and the font lacks, is mapped to the font's U+2718 ✘;
- the family is renamed "FundLedger Hei", so it can never be confused with a system copy of
  WenQuanYi Micro Hei (Qt would pick either; the bytes of a PDF must not depend on which);
- hinting instructions are dropped (the program renders without hinting, see app/export/fonts.py).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "fonts" / "FundLedgerHei.ttf"
FAMILY = "FundLedger Hei"
SOURCE_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"

# Symbols the program prints (reports, forms, notices, verify output) that are not CJK ideographs.
PRINTED = "¥§·×÷–—“”…←→⇄−√≠≤≥─┆✓✗✘　、。《》「」【】〔〕！％（）＊，－／：；？｜～￥①②③④⑤⑥⑦⑧⑨⑩"
BLOCKS = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x214F),  # letterlike (℃ № …)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅱ …)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
    (0x2460, 0x24FF),  # enclosed alphanumerics (① …)
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2600, 0x26FF),  # miscellaneous symbols
    (0x2700, 0x27BF),  # dingbats (✓ ✘)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
]


def gb_characters() -> set[int]:
    """Every character of GBK (which contains GB 2312), by decoding each two-byte code."""
    chars: set[int] = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                chars.add(ord(bytes([lead, trail]).decode("gbk")))
            except UnicodeDecodeError:
                continue
    return chars


def wanted(cmap: dict[int, str]) -> set[int]:
    keep = {cp for lo, hi in BLOCKS for cp in range(lo, hi + 1)} | gb_characters() | {ord(c) for c in PRINTED}
    return {cp for cp in keep if cp in cmap}


def main(source: str) -> int:
    data = Path(source).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"warning: source SHA-256 {digest} is not the one this script was made for", file=sys.stderr)
    font = TTCollection(source).fonts[0]
    cmap = font.getBestCmap()
    # ✗ U+2717 is printed by the program; the font has only ✘ U+2718: give ✗ the same glyph
    for table in font["cmap"].tables:
        if table.isUnicode() and 0x2718 in table.cmap and 0x2717 not in table.cmap:
            table.cmap[0x2717] = table.cmap[0x2718]
    cmap = font.getBestCmap()
    keep = wanted(cmap)
    missing = [c for c in PRINTED if ord(c) not in cmap]
    if missing:
        print(f"error: the font has no glyph for {''.join(missing)}", file=sys.stderr)
        return 1
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.drop_tables += ["DSIG", "gasp", "prep", "fpgm", "cvt ", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(keep))
    subsetter.subset(font)
    name = font["name"]
    name.names = []
    note = ("Subset of WenQuanYi Micro Hei 0.2.0-beta made for FundLedger (renamed; glyphs for GB 2312/GBK, "
            "CJK Unified Ideographs and symbols only; U+2717 mapped to U+2718; hinting removed). "
            "Licensed under the Apache License, Version 2.0.")
    entries = {
        0: "Copyright 2008-2009 The WenQuanYi Project Board of Trustees; 2006-2008 Google Corporation. " + note,
        1: FAMILY,
        2: "Regular",
        3: f"{FAMILY} Regular; subset of WenQuanYi Micro Hei 0.2.0-beta",
        4: f"{FAMILY} Regular",
        5: "Version 0.2.0-beta; FundLedger subset 1",
        6: "FundLedgerHei-Regular",
        10: note,
        13: "Licensed under the Apache License, Version 2.0",
        14: "http://www.apache.org/licenses/LICENSE-2.0",
    }
    for name_id, text in entries.items():
        name.setName(text, name_id, 3, 1, 0x409)
    font["head"].modified = font["head"].created  # a fixed date: the same input gives the same file
    font.recalcTimestamp = False
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT), reorderTables=True)
    out = OUT.read_bytes()
    print(f"{OUT.relative_to(ROOT)}: {len(out):,} bytes, {len(keep):,} characters, SHA-256 {hashlib.sha256(out).hexdigest()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
