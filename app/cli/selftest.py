"""`fundledger selftest`: prove an installed or bundled copy is complete, end to end."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.cli.base import CommandList, out_path, say

COMMANDS = CommandList()


def _no_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keep", type=out_path("保留文件夹"), help="把生成的示例数据库和导出文件保留在此文件夹（默认用完即删）")


def steps(folder: Path) -> list[tuple[str, Callable[[], object]]]:
    """Each step uses the real code path a user would; any exception fails the self-test."""
    from app.demo import build as demo
    from app.export import evidence
    from app.models.rules import load as rules
    from app.models.store.book import open_book

    db_path = folder / "selftest.db"
    state: dict[str, object] = {}

    def build() -> object:
        return demo.build(db_path)

    def ready_made() -> object:
        """The packaged program must carry its ready-made demo (the first 打开示例县 copies it)."""
        import sys

        from app.demo import prebuilt

        found = prebuilt.usable(prebuilt.shipped_dir())
        if found is not None:
            return f"{found}（{found.stat().st_size // 1_000_000} MB，第一次打开示例县时复制）"
        if getattr(sys, "frozen", False):
            raise RuntimeError(f"缺少或不是本版本的现成示例县 {prebuilt.shipped_dir()}：第一次打开示例县要等半分钟生成")
        return "从源代码运行：没有现成的示例县（打包时由 build.spec 生成），第一次打开时生成"

    def print_font() -> object:
        from app.export import fonts, pdf

        pdf.ensure_gui_app()
        family = fonts.register()
        if not fonts.has_glyphs("财政扶贫资金监管台账支付审批单✓✗¥〔〕·—"):
            raise RuntimeError(f"随附字体 {fonts.font_path()} 缺少程序打印的字符")
        return f"{family}（{fonts.FONT_FILE}，SHA-256 {fonts.font_sha256()[:16]}…）"

    def check() -> object:
        """The full verify, its hash chain in worker processes however short the demo's chain: a packaged program
        whose entry point forgot multiprocessing.freeze_support() would start itself again instead of a worker."""
        from app.models.integrity import parallel

        kept = os.environ.get(parallel.ENV)
        os.environ[parallel.ENV] = "2"
        try:
            with open_book(db_path, read_only=True) as book:
                report = evidence.verify(book)
        finally:
            if kept is None:
                os.environ.pop(parallel.ENV, None)
            else:
                os.environ[parallel.ENV] = kept
        if not report.ok:
            raise RuntimeError(report.text())
        how = next(iter(report.how.values()), "")
        if "分段由 2 个子进程并行核验" not in how or "重新核验" in how:
            raise RuntimeError(f"审计链没有在子进程中核验：{how or '未使用子进程'}")
        return f"全部通过（审计链{how}）"

    def window() -> object:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from app.models.store import users
        from app.ui.shell.app import make_app
        from app.ui.shell.main_window import MainWindow

        app = make_app()
        if not app.property("fundledger_translations"):
            raise RuntimeError("缺少 Qt 中文翻译 qtbase_zh_CN.qm（标准按钮会显示英文）")
        book = open_book(db_path)
        users.login(book, "juzhang", demo.PASSWORD)
        win = MainWindow(book)
        shot = folder / "window.png"
        win.resize(1024, 700)
        win.grab().save(str(shot))
        tabs = win.tabs.count()
        win.close()
        app.processEvents()
        state["tabs"] = tabs
        if not shot.exists() or shot.stat().st_size < 1000:
            raise RuntimeError("窗口截图失败")
        return f"{tabs} 个功能页，已加载 Qt 中文翻译"

    return [
        ("读取规则集", lambda: rules.load().meta.id),
        ("加载随附打印字体", print_font),
        ("自带的现成示例县", ready_made),
        ("生成示例县数据库", build),
        ("核验数据库", check),
        ("打开主窗口（无界面模式）", window),
    ]


@COMMANDS.add("selftest", "自检：生成临时示例库、核验、打开主窗口，全部成功才返回 0", _no_args)
def cmd_selftest(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="fundledger-selftest-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        failed = 0
        for name, step in steps(folder):
            try:
                result = step()
            except Exception as exc:  # noqa: BLE001 - a self-test reports every failure and goes on
                failed += 1
                say(f"✗ {name}：{exc}")
            else:
                say(f"✓ {name}：{result}")
        say("自检通过。" if not failed else f"自检未通过：{failed} 项失败。")
        return 0 if not failed else 1
