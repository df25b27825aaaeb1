"""Helpers for the plan and payment tests: valid IDs, a funded approved project, a payee, a request."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from app.models.payments import real_name
from app.models.payments import requests as payments
from app.models.plan import decisions as plan
from app.models.plan import payees, projects
from app.models.store.book import Book
from app.models.values import ids
from tests.conftest import login_as, post_plan_notice
from tests.models.ledger.ledger_fixtures import register

_n = {"project": 0, "payee": 0, "decision": 0}


def valid_id(seq: int, born: str = "19800101") -> str:
    """A valid 公民身份号码 in region 659901 (the demo county's prefix)."""
    body = f"659901{born}{seq % 1000:03d}"
    return body + ids.id_check_char(body)


def valid_uscc(seq: int) -> str:
    body = f"91659001MA{seq:07d}"
    return body + ids.uscc_check_char(body)


def bad_uscc(seq: int) -> str:
    """A well-formed USCC whose check character fails (some genuine old codes do)."""
    code = valid_uscc(seq)
    wrong = next(c for c in ids.USCC_ALPHABET if c != code[-1])
    return code[:-1] + wrong


def project_fields(**overrides: Any) -> dict[str, Any]:
    _n["project"] += 1
    fields: dict[str, Any] = {
        "code": f"XM2026-{_n['project']:03d}", "year": 2026, "name": "示例村产业发展项目", "category": "industry",
        "construction_type": "new", "township": "城关镇", "village": "巴格其村", "content": "建设标准化养殖棚圈 20 座",
        "start_date": "2026-04-01", "end_date": "2026-10-31", "implementer": "城关镇人民政府", "responsible": "张三",
        "asset_type": "operating",
    }
    fields.update(overrides)
    return fields


def approved_project(book: Book, funding: list[tuple[int, int]], **overrides: Any) -> int:
    """A project of the plan approved by the leading group, funded as given (under xj-2021 推进 to 储备 first)."""
    pid = projects.create_project(book, fields=project_fields(**overrides), funding=funding)
    plan.advance_to_approval(book, project_ids=[pid])
    _n["decision"] += 1
    plan.approve_plan(book, project_ids=[pid], decision_no=f"示扶组发〔2026〕{_n['decision']}号",
                      decision_date=dt.date(2026, 4, 1))
    post_plan_notice(book, pid, dt.date(2026, 4, 1))
    return pid


def enterprise(book: Book, **overrides: Any) -> int:
    _n["payee"] += 1
    args: dict[str, Any] = {"payee_type": "enterprise", "name": f"示例建设工程有限公司{_n['payee']}",
                            "id_code": valid_uscc(_n["payee"]), "account_no": f"62220000{_n['payee']:08d}",
                            "bank": "中国农业银行示例县支行"}
    args.update(overrides)
    return int(payees.create_payee(book, **args)["id"])


def request(book: Book, project_id: int, indicator_id: int, payee_id: int | None, amount: int, **overrides: Any) -> int:
    args: dict[str, Any] = {"project_id": project_id, "indicator_id": indicator_id, "payee_id": payee_id,
                            "amount": amount, "kind": "progress", "usage": "industry", "func_code": "2130505",
                            "econ_code": "31005", "method": "direct", "draft_date": dt.date(2026, 5, 6)}
    args.update(overrides)
    return payments.draft(book, **args)


def approve(book: Book, payment_id: int, *, reason: str = "", override: str = "") -> dict[str, Any]:
    """Submit as the clerk and review as the reviewer; returns the review's result."""
    login_as(book, "clerk")
    result = payments.submit(book, payment_id=payment_id, reason=reason)
    assert result["payment"]["status"] == "submitted", result["payment"]["return_reason"]
    login_as(book, "reviewer")
    result = payments.review(book, payment_id=payment_id, override_note=override)
    login_as(book, "clerk")
    return result


def setup_funds(book: Book, amount: int = 1_000_000_00, **indicator: Any) -> tuple[int, int, int]:
    """(indicator, approved project funded with all of it, enterprise payee), logged in as the clerk."""
    login_as(book, "clerk")
    ind = register(book, amount=amount, **indicator)
    pid = approved_project(book, [(ind, amount)])
    return ind, pid, enterprise(book)


def roster(rows: list[tuple[Any, ...]], header: tuple[str, ...] = ("姓名", "身份证号", "村", "金额（元）", "账号")) -> bytes:
    """A real-name list as an .xlsx file's bytes."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def households(n: int, each_yuan: str = "1000") -> list[tuple[str, str, str, str, str]]:
    return [(f"户主{i}", valid_id(100 + i), "巴格其村", each_yuan, f"6217000{i:010d}") for i in range(1, n + 1)]


def attach_roster(book: Book, payment_id: int, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    return real_name.import_list(book, payment_id=payment_id, file_name="名册.xlsx", data=roster(rows))
