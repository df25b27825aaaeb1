"""Same bytes everywhere: a package re-creates byte for byte whatever the machine's fonts, time zone,
locale, user name, home folder and working directory (the auditor's PC is not the chief's).

The attack: another PC with other fonts. The naive defence (a list of Chinese family names, Qt's font
merging left on) picks whatever the machine has: here a DejaVu glyph for a character the bundled font
lacks, so the PDF differs between a machine with DejaVu and one without any font. The bundled font alone,
without merging, prints such a character as the font's own box on every machine.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QFont

from app.export import fonts, pdf
from app.models.notices.content import NoticeDoc, Table
from tests import pdftext
from tests.models.reports import sample

ROOT = Path(__file__).resolve().parents[2]
UYGHUR = "ئۇيغۇر"  # Uyghur letters: not in the bundled font, in DejaVu Sans (present on many Linux machines)
CHILD = """
import os
import sys
from pathlib import Path
if os.environ.get("FUNDLEDGER_TEST_WINDOW"):  # the chief signs in the window: its QApplication, font and locale
    from app.ui.shell.app import make_app
    make_app()
from app.export import manifest, notice_docs
from tests.export.test_same_bytes import notice, package
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for name, data in manifest.package_files(package(), rendering_block=manifest.rendering("xj-2019 2019.1")).items():
    (out / name).write_bytes(data)
(out / "notice.pdf").write_bytes(notice_docs.pdf_bytes(notice()))
print(Path.cwd())
"""


def package():  # type: ignore[no-untyped-def]
    """The sample month with user text the bundled font cannot draw and the symbols we print."""
    rows = sample.problem_rows()
    rows[0] = {**rows[0], "description": f"{UYGHUR} 村（✓ ✗ ¥ 〔2026〕· —）{rows[0]['description']}"}
    return sample.with_rows(sample.make_package(), "problems", rows)


def notice():  # type: ignore[no-untyped-def]
    """A real-name notice (QTextDocument layout, tables, wrapping) with the same awkward text."""
    people = tuple((str(i), f"阿依古丽·{UYGHUR}" if i == 3 else f"买买提·艾力{i}", f"650102********{1000 + i}", "团结村",
                    f"{1_200 + i}.00") for i in range(1, 40))  # fmt: skip
    table = Table("实名制发放名册", ("序号", "姓名", "身份证号", "所在村", "发放金额（元）"), people,
                  total=("合计", "", "", "", "47,580.00"), numeric=(4,), widths=(8, 22, 30, 20, 20), nowrap=(2, 4))
    return NoticeDoc("劳务报酬实名制发放公示", "根据财政扶贫资金实名制发放的要求，现将发放名册公示如下（✓ ¥ 〔2026〕·—）：",
                     (("项目名称", "乡村公益性岗位补贴项目"), ("发放金额", "¥47,580.00 元")), table,
                     "公示期 10 天。", "12317", "团结村村民委员会", dt.date(2026, 11, 17), "notice-test")


def empty_fontconfig(folder: Path) -> Path:
    """A fontconfig file with no <dir>: no system font is visible at all."""
    conf = folder / "empty-fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><cachedir>{folder / 'fc-cache'}</cachedir></fontconfig>\n", encoding="utf-8")
    return conf


def render_in_child(tmp: Path, name: str, **env: str) -> dict[str, bytes]:
    home, work, out = tmp / f"home-{name}", tmp / f"cwd-{name}", tmp / f"out-{name}"
    home.mkdir()
    work.mkdir()
    base = {k: v for k, v in os.environ.items()
            if k not in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "TZ", "LANG", "LC_ALL", "LANGUAGE")}  # fmt: skip
    child_env = {**base, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
                 "XDG_CACHE_HOME": str(home / ".cache"), "XDG_CONFIG_HOME": str(home / ".config"), **env}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", CHILD, str(out)], cwd=work, env=child_env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == str(work)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_two_machines_with_other_fonts_zones_locales_and_users_give_identical_bytes(tmp_path: Path) -> None:
    chief = render_in_child(tmp_path, "chief", TZ="Asia/Shanghai", LANG="zh_CN.UTF-8", LC_ALL="zh_CN.UTF-8",
                            USER="ailimaimaiti", LOGNAME="ailimaimaiti", QT_HASH_SEED="1",
                            FUNDLEDGER_TEST_WINDOW="1")  # the machine's own fonts, the window's application
    auditor = render_in_child(tmp_path, "auditor", FONTCONFIG_FILE=str(empty_fontconfig(tmp_path)),
                              TZ="America/New_York", LANG="C", LC_ALL="C", USER="auditor", LOGNAME="auditor",
                              QT_HASH_SEED="424242")  # Qt's hash order once decided which embedded font came first
    assert sorted(chief) == sorted(auditor) and len(chief) == 4
    for name in chief:
        assert chief[name] == auditor[name], name
    data = next(v for k, v in chief.items() if k.endswith(".pdf"))
    assert set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", data)) == {b"FundLedgerHei-Regular"}


def test_a_character_the_font_lacks_never_borrows_a_system_font(tmp_path: Path) -> None:
    path = tmp_path / "p.pdf"
    pdf.render_pdf(package(), path)
    data = path.read_bytes()
    assert set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", data)) == {b"FundLedgerHei-Regular"}
    assert not fonts.has_glyphs(UYGHUR) and fonts.has_glyphs("✓✗¥〔〕·—财政扶贫资金")
    text = re.sub(r"\s+", "", pdftext.text(path, first=10, last=10))
    assert "村（✓✗¥〔2026〕·—）设施农业" in text  # every symbol we print is drawn by the bundled font
    font = fonts.print_font(9)
    assert font.families() == [fonts.FAMILY] and font.styleStrategy() & QFont.StyleStrategy.NoFontMerging


def test_the_bundled_font_is_the_one_its_readme_describes() -> None:
    readme = (ROOT / "resources" / "fonts" / "README.md").read_text(encoding="utf-8")
    assert fonts.font_sha256() in readme
    assert (ROOT / "resources" / "fonts" / "LICENSE-WenQuanYi.txt").read_text(encoding="utf-8").count("Apache License") >= 2
