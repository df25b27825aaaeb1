"""收款人: USCC warns (reviewer confirms), ID numbers block, duplicates by code or account are caught."""

from __future__ import annotations

import pytest

from app.models.plan import payees
from app.models.store.book import Book
from app.models.values.errors import PermissionDenied, ValidationError
from tests.conftest import login_as
from tests.models.payments.payment_fixtures import bad_uscc, valid_id, valid_uscc


def add(book: Book, **overrides: object) -> dict:
    args = {"payee_type": "enterprise", "name": "新疆天山路桥建设工程有限公司", "id_code": valid_uscc(1),
            "account_no": "3002 0145 0920 0012 345", "bank": "中国工商银行示例县支行"}
    args.update(overrides)
    return payees.create_payee(book, **args)  # type: ignore[arg-type]


def test_enterprise_with_valid_uscc(book: Book) -> None:
    login_as(book, "clerk")
    p = add(book, id_code=valid_uscc(1).lower())
    assert (p["id_code"], p["id_check_ok"], p["warning"], p["account_no"]) == \
        (valid_uscc(1), 1, "", "3002014509200012345")
    assert p["account_name"] == p["name"] and p["id_state"] == "校验通过"


def test_failing_uscc_check_is_a_warning_a_reviewer_confirms(book: Book) -> None:
    login_as(book, "clerk")
    p = add(book, id_code=bad_uscc(2))
    assert p["id_check_ok"] == 0 and "校验码应为" in p["warning"] and "审核人确认" in p["warning"]
    with pytest.raises(PermissionDenied):
        payees.confirm_id(book, payee_id=p["id"])
    login_as(book, "reviewer")
    payees.confirm_id(book, payee_id=p["id"])
    assert payees.get(book, p["id"])["id_state"] == "已由审核人确认"
    login_as(book, "clerk")
    moved = payees.update_payee(book, payee_id=p["id"], payee_type="enterprise", name=p["name"], id_code=bad_uscc(3),
                                account_no=p["account_no"], bank=p["bank"])
    assert moved["id_confirmed_by"] is None  # a different code needs a new confirmation


@pytest.mark.parametrize(("payee_type", "code", "field"), [
    ("enterprise", "91350100M000100Y4", "统一社会信用代码"),          # 17 characters
    ("individual_business", "91350100M00010OY43", "统一社会信用代码"),  # letter O is not allowed
    ("poor_household", valid_id(1)[:-1] + ("0" if valid_id(1)[-1] != "0" else "1"), "公民身份号码"),
    ("other_person", "659901198002301234", "公民身份号码"),            # 30 February
])
def test_malformed_codes_and_invalid_ids_cannot_be_saved(book: Book, payee_type: str, code: str, field: str) -> None:
    login_as(book, "clerk")
    with pytest.raises(ValidationError) as err:
        add(book, payee_type=payee_type, id_code=code)
    assert err.value.field == field
    assert book.conn.execute("SELECT count(*) FROM payees").fetchone()[0] == 0


def test_household_with_valid_id(book: Book) -> None:
    login_as(book, "clerk")
    p = add(book, payee_type="poor_household", name="阿不都热依木·买买提", id_code=valid_id(7), account_no="6217000000000007")
    assert p["person"] and p["payee_type_name"] == "建档立卡户"


def test_duplicates_by_code_or_account(book: Book) -> None:
    login_as(book, "clerk")
    first = add(book)
    with pytest.raises(ValidationError) as err:
        add(book, name="另一个名字", account_no="6222000011112222")
    assert err.value.field == "证件号码" and first["name"] in err.value.message
    with pytest.raises(ValidationError) as err:
        add(book, id_code=valid_uscc(9), account_no="3002-0145-0920-0012-345")
    assert err.value.field == "账号"
    with pytest.raises(ValidationError) as err:
        add(book, id_code=valid_uscc(9), account_no="12AB5678")
    assert err.value.field == "账号"


def test_unknown_payee_type_and_list(book: Book) -> None:
    login_as(book, "clerk")
    with pytest.raises(ValidationError) as err:
        add(book, payee_type="budget_unit")
    assert err.value.field == "收款人类型"
    add(book)
    q = payees.PayeeQuery(book, text="路桥")
    assert q.count() == 1 and q.fetch(0, 10, "name", False)[0]["payee_type_name"] == "企业"
    payees.set_active(book, payee_id=q.fetch(0, 1, None, False)[0]["id"], active=False)
    assert payees.choices(book) == []
