"""Every shipped resource read and validated at start-up, so a bad file stops the program with its message
before a window opens or a command runs (never a half-configured program that fails on first use).
"""

from __future__ import annotations

from collections.abc import Callable

from app import resources
from app.models.ledger import classification
from app.models.reports import definitions
from app.models.rules import load as rules
from app.models.store import permissions
from app.models.values import workdays
from app.models.values.errors import AppError


def _rule_sets() -> None:
    folder = resources.resources_dir() / "rules"
    names = sorted(p.stem for p in folder.glob("*.toml"))
    if rules.DEFAULT_ID not in names:
        raise AppError(f"缺少默认规则集 {rules.DEFAULT_ID}.toml（{folder}）")
    for name in names:
        rules.load_named(name)


def _print_font() -> None:
    """The bundled font every PDF is printed with (app/export/fonts.py registers it with Qt)."""
    path = resources.resources_dir() / "fonts" / "FundLedgerHei.ttf"
    head = path.read_bytes()[:4]
    if head != b"\x00\x01\x00\x00":
        raise AppError(f"{path} 不是 TrueType 字体文件")


CHECKS: list[tuple[str, Callable[[], object]]] = [
    ("规则集（resources/rules）", _rule_sets),
    ("权限表（resources/permissions.toml）", permissions.table),
    ("操作名称（resources/op_labels.toml）", permissions.labels),
    ("月报表定义（resources/reports）", definitions.load),
    ("节假日数据（resources/holidays）", workdays.load_seed),
    ("政府收支分类科目（resources/classification）", classification.load),
    ("打印字体（resources/fonts）", _print_font),
]


def check_all() -> None:
    """Raise the first problem as an AppError that names the file (and, for rule files, the key path)."""
    for what, load in CHECKS:
        try:
            load()
        except AppError as exc:
            raise AppError(f"程序附带的{what}有误，程序无法启动：{exc}") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AppError(f"程序附带的{what}无法读取，程序无法启动：{exc}") from exc
