"""Make the manual's screenshots from the demo county: `python docs/screenshots.py [OUTDIR]`.

Runs offscreen (or under Xvfb); CI runs it through tests/ui/test_screenshots.py so the manual cannot go stale.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.models import demo, users  # noqa: E402
from app.models.book import open_book  # noqa: E402

SLUGS = {"专账": "ledger", "项目计划": "plan", "支付审批": "payments", "公告公示": "notices", "监控预警": "dashboard",
         "绩效目标": "performance", "月报": "reports", "审计": "audit", "基础设置": "settings"}


def capture(out: Path) -> list[Path]:
    from app.ui.app import make_app
    from app.ui.main_window import MainWindow

    app = make_app()
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = demo.build(Path(tmp) / "示例县.db")
        book = open_book(path)
        users.login(book, "juzhang", demo.PASSWORD)
        window = MainWindow(book)
        window.resize(1280, 800)
        window.show()
        for i in range(window.tabs.count()):
            window.tabs.setCurrentIndex(i)
            app.processEvents()
            slug = SLUGS.get(window.tabs.tabText(i), f"tab{i}")
            target = out / f"{slug}.png"
            window.grab().save(str(target))
            made.append(target)
        window.close()
    return made


if __name__ == "__main__":
    for p in capture(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "images"):
        print(p)
