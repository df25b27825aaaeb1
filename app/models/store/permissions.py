"""Who may do what: read from resources/permissions.toml, never decided in the UI."""

from __future__ import annotations

import functools
import tomllib

from app import resources
from app.models.values.errors import AppError, PermissionDenied

ROLE_NAMES = {"clerk": "经办", "reviewer": "审核", "chief": "局长", "auditor": "审计"}


@functools.cache
def table() -> dict[str, frozenset[str]]:
    path = resources.resources_dir() / "permissions.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        ops = data["ops"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise AppError(f"权限表 {path.name} 无法读取：{exc}") from exc
    result = {}
    for op, roles in ops.items():
        if not isinstance(roles, list) or not all(r in ROLE_NAMES for r in roles):
            raise AppError(f"权限表 {path.name}：ops.{op} 应为角色代码列表（{', '.join(ROLE_NAMES)}）")
        result[op] = frozenset(roles)
    return result


@functools.cache
def labels() -> dict[str, str]:
    data = tomllib.loads((resources.resources_dir() / "op_labels.toml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def label(op: str) -> str:
    """The Chinese name of an operation, for the audit view; a reason after '：' is kept."""
    code, _, reason = op.partition("：")
    name = labels().get(code, code)
    return f"{name}：{reason}" if reason else name


def allowed(op: str, role: str) -> bool:
    return role in table().get(op, frozenset())


def require(op: str, role: str | None) -> None:
    if op not in table():
        raise PermissionDenied(f"操作“{op}”未在权限表中登记，已拒绝。")
    if role is None:
        raise PermissionDenied("请先登录。")
    if role not in table()[op]:
        who = "、".join(ROLE_NAMES[r] for r in sorted(table()[op]))
        raise PermissionDenied(f"当前角色“{ROLE_NAMES.get(role, role)}”无权执行此操作（仅限：{who}）。")
