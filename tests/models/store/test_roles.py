"""Roles: every operation × every role allowed or refused as the spec says, checked at `book.write` and,
for the operations that matter most, end to end (nothing written on refusal).

SPEC below is the specification (DOMAIN §0, issue #8), written out by hand — it is deliberately NOT read from
resources/permissions.toml, so a change to that file that breaks separation of duties fails here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.export import signoff
from app.models.ledger import account as ledger
from app.models.ledger import indicators
from app.models.payments import requests as payments
from app.models.plan import projects
from app.models.reports import monthly
from app.models.store import permissions, users
from app.models.store.book import Book, open_book
from app.models.values.errors import AppError, PermissionDenied, ReadOnlyError
from tests.conftest import PASSWORD, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.payments import payment_fixtures as fx

C, R, H = "clerk", "reviewer", "chief"  # the auditor is in no row: an auditor writes nothing
ROLES = ("clerk", "reviewer", "chief", "auditor")
SPEC: dict[str, set[str]] = {
    # administration: the chief
    "update_bureau": {H}, "add_user": {H}, "update_user": {H}, "reset_password": {H}, "unlock_user": {H},
    "change_own_password": {C, R, H}, "edit_fund_items": {C, H}, "edit_calendar": {C, H},
    "close_month": {H}, "reopen_month": {H}, "restore_backup": {H}, "set_warning_sections": {H},
    "assign_rule_set": {H},  # which rule set each fiscal year uses (issue 17)
    "correct_calendar": {H},  # a later day of a year with signed months (a late 调休 notice), with a reason
    "sign_off": {H},
    "create_signing_key": {H},  # a file from before signing keys: the chief's first sign-off makes one
    # the 专账: the clerk enters; the reviewer may post the expenditure of a payment and explain differences
    "register_indicator": {C}, "adjust_indicator": {C}, "correct_indicator": {C}, "post_ledger_entry": {C, R}, "manual_ledger_entry": {C},
    "import_treasury": {C}, "save_treasury_mapping": {C}, "record_section_ledger": {C, R},
    "explain_difference": {C, R},
    # the plan
    "edit_project": {C}, "import_plan": {C}, "approve_plan": {C, R}, "adjust_plan": {C, R},
    "advance_project": {C, R}, "edit_payee": {C, R}, "confirm_payee": {R},
    # payments: the clerk drafts and submits, only a reviewer reviews
    "draft_payment": {C}, "submit_payment": {C}, "review_payment": {R}, "override_soft_check": {R},
    "return_payment": {R}, "void_payment": {C, R}, "mark_paid": {C, R}, "import_real_name_list": {C},
    # notices
    "record_notice": {C}, "edit_notice": {C}, "add_notice_feedback": {C}, "handle_notice_feedback": {C},
    "attach_notice_evidence": {C},
    # warnings: recomputing is derived data (anyone who writes); handling them is entry work
    "recompute_warnings": {C, R, H}, "handle_warning": {C, R}, "edit_problem": {C, R},
    # verify: the anchor a passing verify leaves for the next incremental one (issue #22) — anyone who writes
    "record_verify_anchor": {C, R, H},
    # performance: the clerk enters; decisions (纠偏/暂缓拨付/收回) by the reviewer or the chief
    "edit_goals": {C}, "record_actuals": {C}, "self_evaluate": {C}, "record_perf_decision": {R, H},
    # monthly report
    "set_annual_plan": {C}, "register_template": {C},
    # above the county (issue 16): the registry and receiving by the clerk (the registry's key fingerprints also by
    # the chief); opinions and returns by the reviewer or the chief; only the chief signs the prefecture's package
    "edit_counties": {C, H}, "register_county_key": {H}, "receive_package": {C, R}, "review_package": {R, H}, "return_package": {R, H},
    "forward_report": {H}, "import_receipt": {C, H},
    # false claims and notice order (#18): rosters, exemptions and settlements are entry work; letting a payment
    # go before its notice has been up the minimum days is the chief's recorded decision
    "import_roster": {C}, "record_year_end_exemption": {C}, "record_settlement": {C}, "grant_notice_exception": {H},
    "record_county_notice": {C},
}
ENTRY_OPS = {op for op, roles in SPEC.items() if C in roles and H not in roles}


def test_every_operation_of_the_table_is_specified() -> None:
    """A new operation must be added to SPEC (and so decided) before it can pass."""
    assert set(permissions.table()) == set(SPEC)


def test_matrix_at_book_write(book: Book) -> None:
    """book.write(op) lets in exactly the specified roles, for every op × role; a refusal starts no transaction
    and writes nothing. All mismatches are listed at once."""
    head = book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    people = {role: users.get(book, book.conn.execute("SELECT id FROM users WHERE role = ? LIMIT 1",
                                                      (role,)).fetchone()[0]) for role in ROLES}
    wrong = []
    for op in sorted(SPEC):
        for role in ROLES:
            book.user = people[role]
            try:
                with book.write(op):
                    pass
                got = True
            except PermissionDenied as exc:
                got = False
                assert "无权" in str(exc) and permissions.ROLE_NAMES[role] in str(exc)
                assert not book.conn.in_transaction
            if got != (role in SPEC[op]) or permissions.allowed(op, role) != got:
                wrong.append(f"{op} × {role}: {'允许' if got else '拒绝'}，规定为{'允许' if role in SPEC[op] else '拒绝'}")
    assert not wrong, "\n".join(wrong)
    assert book.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == head


def test_separation_of_duties_in_the_spec_itself() -> None:
    assert all("auditor" not in roles for roles in SPEC.values())
    assert SPEC["review_payment"] == {R} and SPEC["sign_off"] == {H}
    assert {"register_indicator", "manual_ledger_entry", "draft_payment", "record_notice", "edit_goals",
            "import_treasury", "edit_project"} <= ENTRY_OPS


def test_unknown_operation_and_nobody_logged_in_are_refused(book: Book) -> None:
    with pytest.raises(PermissionDenied, match="未在权限表中登记"):
        with book.write("drop_everything"):
            pass
    book.user = None
    with pytest.raises(PermissionDenied, match="请先登录"):
        with book.write("register_indicator"):
            pass


def _rows(book: Book) -> tuple[int, ...]:
    return tuple(book.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("indicators", "ledger_entries", "projects", "payees", "payments", "audit_log"))


def test_chief_cannot_enter_data(book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book)
    login_as(book, "chief")
    before = _rows(book)
    attempts = [
        lambda: register(book),
        lambda: indicators.reduce(book, indicator_id=ind, kind="reduce", amount=100, reduction_date=dt.date(2026, 4, 1),
                                  doc_no="新财农〔2026〕77号", reason="调减"),
        lambda: ledger.post_manual(book, indicator_id=ind, entry_type="refund", amount=100, entry_date="2026-04-02",
                                   voucher_no="TK1", summary="退回"),
        lambda: projects.create_project(book, fields=fx.project_fields(), funding=[(ind, 100)]),
        lambda: fx.enterprise(book),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="局长"):
            attempt()
    assert _rows(book) == before


def test_payment_review_needs_another_person_who_is_a_reviewer(book: Book) -> None:
    ind, pid, payee = fx.setup_funds(book)
    payment_id = fx.request(book, pid, ind, payee, 10_000_00)
    assert payments.submit(book, payment_id=payment_id)["payment"]["status"] == "submitted"
    for login in ("clerk", "clerk2", "chief", "auditor"):  # the drafter, another clerk, the chief, the auditor
        login_as(book, login)
        with pytest.raises(PermissionDenied):
            payments.review(book, payment_id=payment_id)
    assert payments.get(book, payment_id)["status"] == "submitted"
    login_as(book, "chief")
    with pytest.raises(PermissionDenied):
        payments.draft(book, project_id=pid, indicator_id=ind, payee_id=payee, amount=1_00, kind="progress",
                       usage="industry", func_code="2130505", econ_code="31005", method="direct",
                       draft_date=dt.date(2026, 5, 6))
    login_as(book, "reviewer")
    assert payments.review(book, payment_id=payment_id)["payment"]["status"] == "approved"


def test_a_reviewer_who_submitted_cannot_review(book: Book) -> None:
    """Roles aside, the person check holds too: whoever drafted or submitted never reviews."""
    ind, pid, payee = fx.setup_funds(book)
    payment_id = fx.request(book, pid, ind, payee, 10_000_00)
    payments.submit(book, payment_id=payment_id)
    reviewer = book.conn.execute("SELECT id FROM users WHERE login = 'reviewer'").fetchone()[0]
    book.conn.execute("PRAGMA foreign_keys = ON")
    with book.write("submit_payment", system=True) as conn:  # as if the reviewer had submitted it
        conn.execute("UPDATE payments SET submitted_by = ? WHERE id = ?", (reviewer, payment_id))
    login_as(book, "reviewer")
    with pytest.raises(PermissionDenied, match="本人"):
        payments.review(book, payment_id=payment_id)


def test_only_the_chief_signs_off(book: Book, tmp_path: Path) -> None:
    for login in ("clerk", "reviewer", "auditor"):
        login_as(book, login)
        with pytest.raises(PermissionDenied):
            signoff.sign_off(book, password=PASSWORD, month="2026-01", out_dir=tmp_path / login)
        assert not (tmp_path / login).exists()
    assert monthly.signoffs(book) == []
    login_as(book, "chief")
    signoff.sign_off(book, password=PASSWORD, month="2026-01", out_dir=tmp_path / "chief")
    assert [s["status"] for s in monthly.signoffs(book)] == ["signed"]
    login_as(book, "clerk")
    with pytest.raises(PermissionDenied):
        monthly.reopen(book, month="2026-01", reason="经办想重新打开", password=PASSWORD)


def test_auditor_writes_nothing(book: Book) -> None:
    login_as(book, "auditor")
    before = _rows(book)
    for op in sorted(SPEC):
        with pytest.raises(PermissionDenied):
            with book.write(op):
                pass
    with pytest.raises(PermissionDenied):
        users.change_own_password(book, old=PASSWORD, new="another-pass-2")
    with pytest.raises(PermissionDenied):
        register(book)
    assert _rows(book) == before


def test_auditor_opens_read_only_and_nothing_can_be_written(book: Book) -> None:
    path = book.path
    book.close(backup=False)
    ro = open_book(path, read_only=True)
    try:
        users.login(ro, "auditor", PASSWORD)
        for op in ("register_indicator", "sign_off", "add_user"):
            with pytest.raises((ReadOnlyError, PermissionDenied)):
                with ro.write(op):
                    pass
        users.login(ro, "chief", PASSWORD)  # even the chief, on a read-only file
        with pytest.raises(ReadOnlyError):
            users.add_user(ro, login="late", name="迟到", role="clerk", password=PASSWORD)
    finally:
        ro.close()


def test_disabled_user_cannot_log_in(book: Book) -> None:
    clerk = users.login(book, "clerk", PASSWORD)
    login_as(book, "chief")
    users.update_user(book, user_id=clerk.id, active=False)
    with pytest.raises(AppError, match="已停用"):
        users.login(book, "clerk", PASSWORD)
    assert book.user is not None and book.user.login == "chief"  # the failed login changed nobody
    users.update_user(book, user_id=clerk.id, active=True)
    assert users.login(book, "clerk", PASSWORD).login == "clerk"


def test_wrong_password_and_unknown_user(book: Book) -> None:
    for login, password in (("clerk", "wrong-pass-1"), ("nobody", PASSWORD), ("", ""), ("clerk", PASSWORD + " ")):
        with pytest.raises(AppError, match="登录名或密码错误"):
            users.login(book, login, password)


def test_cli_refuses_a_role_that_may_not(book: Book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The command line goes through the same check: the chief cannot import treasury data."""
    from app.cli import main as cli
    from tests.reliability.crash_child import treasury_csv

    path = book.path
    book.close(backup=False)
    src = tmp_path / "国库.csv"
    src.write_bytes(treasury_csv("cli"))
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    code = cli.run(["import-treasury", str(path), str(src), "--user", "chief"])
    err = capsys.readouterr().err
    assert code != 0 and "无权" in err and "Traceback" not in err
