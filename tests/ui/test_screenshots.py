"""The manual's screenshots are made from the demo county by docs/screenshots.py; the manual shows every one,
every tab has its picture, and every task chapter (经办人, 审核人, 局长, 审计) has at least one of its own."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
MANUAL = ROOT / "docs" / "使用手册.md"


def load_script():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chapters(text: str) -> dict[str, str]:
    parts = re.split(r"(?m)^## ", text)[1:]
    return {part.splitlines()[0]: part for part in parts}


def test_every_tab_and_task_is_captured_and_in_the_manual(qtbot, tmp_path: Path) -> None:
    script = load_script()
    made = script.capture(tmp_path)
    from app.ui.shell.main_window import tab_factories

    assert len(made) == len(tab_factories()) + len(script.TASKS)
    assert {p.stem for p in made} >= set(script.TASKS) | set(script.SLUGS.values())
    for path in made:
        image = QImage(str(path))
        assert image.width() >= 360 and image.height() >= 180, path.name
        if path.stem in script.SLUGS.values():
            assert image.width() >= 1000 and image.height() >= 600
        dx, dy = max(3, image.width() // 60), max(3, image.height() // 40)
        colours = {image.pixel(x, y) for x in range(0, image.width(), dx) for y in range(0, image.height(), dy)}
        assert len(colours) > 8, f"{path.name} looks blank"
    manual = MANUAL.read_text(encoding="utf-8")
    referenced = set(re.findall(r"\]\(images/([\w-]+)\.png\)", manual))
    assert {p.stem for p in made} <= referenced, "a screenshot not shown in docs/使用手册.md"


def test_manual_pictures_exist_and_each_user_chapter_has_one() -> None:
    manual = MANUAL.read_text(encoding="utf-8")
    for name in re.findall(r"\]\(images/([\w.-]+)\)", manual):
        assert (ROOT / "docs" / "images" / name).exists(), f"docs/使用手册.md shows a missing picture: {name}"
    found = chapters(manual)
    for who in ("经办人", "审核人", "局长", "审计"):
        title = next((t for t in found if re.match(rf"\d+ {who}：", t)), None)
        assert title is not None, f"no task chapter for {who}"
        assert re.search(r"\]\(images/task-[\w-]+\.png\)", found[title]), f"{title}: no screenshot"
        assert "demo1234" in manual and "示例县" in found[title]
