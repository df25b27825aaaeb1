"""Where the shipped data files (rule sets, permissions, holiday data) live.

Why a function: in a source checkout they sit next to the `app` package, but a PyInstaller build
unpacks them under `sys._MEIPASS`; every reader asks here instead of guessing.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The `resources` folder: `sys._MEIPASS/resources` when frozen, else the repository's."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"
