"""Opening an object from anywhere: switch to the tab that owns it and select it there.

A tab takes part by offering `select(object_type, object_id) -> bool` (True: found and shown). The
owner is tried first (by its tab title), then every other tab that offers `select`; when none shows
the object, the caller's fallback (usually a detail dialog) runs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QWidget

from app.models.values.errors import AppError

OWNERS = {
    "indicator": "专账", "fund_kind": "专账", "recon_difference": "专账", "treasury_payment": "专账",
    "project": "项目计划", "payment": "支付审批", "management_fee": "支付审批", "payee": "支付审批",
    "notice_obligation": "公告公示", "notice": "公告公示",
    "perf_goals": "绩效目标", "month": "月报", "warning": "监控预警", "problem": "监控预警",
}


def main_tabs(widget: QWidget) -> QTabWidget | None:
    tabs = getattr(widget.window(), "tabs", None)
    return tabs if isinstance(tabs, QTabWidget) else None


def _plain(object_id: str | int) -> str | int:
    text = str(object_id)
    return int(text) if text.isdigit() else text


def try_select(widget: QWidget, object_type: str, object_id: str | int) -> bool:
    """Show the object in its owning tab; False when no tab could."""
    tabs = main_tabs(widget)
    if tabs is None:
        return False
    owner = OWNERS.get(object_type, "")
    order = sorted(range(tabs.count()), key=lambda i: tabs.tabText(i) != owner)
    for i in order:
        page = tabs.widget(i)
        if page is None:
            continue
        select = getattr(page, "select", None)
        if not callable(select) or page.isAncestorOf(widget) or page is widget:
            continue
        try:
            shown = select(object_type, _plain(object_id))
        except (AppError, KeyError, TypeError, ValueError):  # a tab that does not know it must not stop the search
            shown = False
        if shown is True:
            tabs.setCurrentIndex(i)
            return True
    return False


def open_object(widget: QWidget, object_type: str, object_id: str | int, fallback: Callable[[], None]) -> bool:
    """Switch to the owning tab and select the object, or run `fallback`; returns whether a tab showed it."""
    if try_select(widget, object_type, object_id):
        return True
    if object_type == "notice_obligation":
        # "kind:level:object_type:object_id": the object the missing notice is about
        parts = str(object_id).split(":")
        if len(parts) == 4 and try_select(widget, parts[2], parts[3]):
            return True
    fallback()
    return False
