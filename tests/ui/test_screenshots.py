"""The manual's screenshots are made from the demo county by docs/screenshots.py; the manual shows every tab."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_tab_is_captured_and_in_the_manual(qtbot, tmp_path: Path) -> None:
    script = load_script()
    made = script.capture(tmp_path)
    from app.ui.main_window import tab_factories

    assert len(made) == len(tab_factories())
    for path in made:
        image = QImage(str(path))
        assert image.width() >= 1000 and image.height() >= 600
        colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)}
        assert len(colours) > 8, f"{path.name} looks blank"
    manual = (ROOT / "docs" / "使用手册.md").read_text(encoding="utf-8")
    referenced = set(re.findall(r"\]\(images/([\w-]+)\.png\)", manual))
    assert {p.stem for p in made} <= referenced, "a tab without its screenshot in docs/使用手册.md"
