"""The window's remembered layout lives where Windows keeps a program's settings: the registry, under
HKEY_CURRENT_USER\\Software\\<organisation>\\<application> (an ini file under XDG_CONFIG_HOME on Linux).

Two real processes, as a clerk closes and reopens the program: the first opens the main window on the demo county,
resizes it, goes to 项目计划 and saves its layout; the second opens the window and must come back as it was left.
On Windows the test then reads the registry itself (winreg), so a program that silently wrote an ini file next to
the exe, or nothing at all, fails here. A unique organisation name keeps the clerk's own settings untouched and is
deleted afterwards.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.windows.conftest import WINDOWS, run_app

CHILD = r"""
import json, os, sys
from PySide6.QtCore import QCoreApplication, QSettings
from app.ui.shell.app import make_app
from app.demo import build as demo
from app.models.store import users
from app.models.store.book import open_book
from app.ui.dashboard.tab import DashboardTab
from app.ui.shell.main_window import MainWindow

app = make_app()
org = os.environ["FL_SETTINGS_ORG"]
QCoreApplication.setOrganizationName(org)
QCoreApplication.setApplicationName(org)
DashboardTab.AUTO_RECOMPUTE = False
book = open_book(os.environ["FL_SETTINGS_DB"])
users.login(book, "juzhang", demo.PASSWORD)
w = MainWindow(book)
w.show()
app.processEvents()
if os.environ["FL_SETTINGS_MODE"] == "save":
    w.resize(1180, 720)
    w.tabs.setCurrentIndex(2)
    app.processEvents()
    w.save_layout()
s = QSettings()
out = {"format": s.format().name, "file": s.fileName(), "tab": w.tabs.tabText(w.tabs.currentIndex()),
       "width": w.width(), "height": w.height()}
w.close()
book.close(backup=False)
sys.stdout.buffer.write(json.dumps(out, ensure_ascii=True).encode("ascii"))
sys.stdout.flush()
"""


def _delete_tree(root: object, path: str) -> None:
    import winreg

    try:
        key = winreg.OpenKey(root, path, 0, winreg.KEY_ALL_ACCESS)
    except FileNotFoundError:
        return
    with key:
        while True:
            try:
                sub = winreg.EnumKey(key, 0)
            except OSError:
                break
            _delete_tree(root, f"{path}\\{sub}")
    winreg.DeleteKey(root, path)


def test_layout_is_kept_in_the_registry_across_launches(demo_db: Path, tmp_path: Path) -> None:
    import shutil

    db = Path(shutil.copyfile(demo_db, tmp_path / "示例县.db"))
    org = f"FundLedgerTest-{uuid.uuid4().hex[:12]}"
    config = tmp_path / "配置 目录"
    # Qt's offscreen screen is 800×800: a remembered 1180×720 would come back squeezed to the screen, as on a
    # small monitor. A 1920×1080 screen, like a bureau PC's (a relative path: Qt splits the platform at ':').
    (tmp_path / "screen.json").write_text(json.dumps({"screens": [
        {"name": "PC", "x": 0, "y": 0, "width": 1920, "height": 1080, "logicalDpi": 96, "logicalBaseDpi": 96,
         "dpr": 1}]}), encoding="utf-8")
    env = {"FL_SETTINGS_ORG": org, "FL_SETTINGS_DB": str(db), "XDG_CONFIG_HOME": str(config),
           "QT_QPA_PLATFORM": "offscreen:configfile=screen.json"}

    def launch(mode: str) -> dict[str, object]:
        p = run_app([], cwd=tmp_path, encoding=None, env_extra={**env, "FL_SETTINGS_MODE": mode}, code=CHILD)
        assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-3000:]
        return json.loads(p.stdout.decode("ascii").strip().splitlines()[-1])

    try:
        first = launch("save")
        assert first["tab"] == "项目计划" and first["width"] == 1180
        assert first["format"] == "NativeFormat"
        if WINDOWS:
            import winreg

            assert str(first["file"]).lower() == f"\\hkey_current_user\\software\\{org}\\{org}".lower(), first
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, rf"Software\{org}\{org}\main") as key:
                tab, kind = winreg.QueryValueEx(key, "tab")
                assert (tab, kind) == ("项目计划", winreg.REG_SZ)
                geometry = winreg.QueryValueEx(key, "geometry")[0]
                assert geometry, "the window geometry is stored in the registry"
            assert not list(tmp_path.rglob("*.ini")) and not config.exists(), "settings went to a file, not the registry"
        else:
            assert Path(str(first["file"])) == config / org / f"{org}.conf"
            assert "项目计划" in Path(str(first["file"])).read_text(encoding="utf-8")
        second = launch("load")
        assert second["tab"] == "项目计划", second
        assert (second["width"], second["height"]) == (1180, 720), second  # not the first-run 1280×800
    finally:
        if WINDOWS:
            import winreg

            _delete_tree(winreg.HKEY_CURRENT_USER, rf"Software\{org}")
