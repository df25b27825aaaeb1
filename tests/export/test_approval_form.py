"""The 支付审批单 PDF: it exists, is A4, and its text carries the 大写 amount, the 文号 and every check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from app.export import approval_form
from app.models.payments import checks
from app.models.payments import requests as payments
from app.models.store.book import Book
from app.models.values import money
from tests.conftest import login_as
from tests.models.payments import payment_fixtures as fx


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True)
        return out.stdout.decode("utf-8")
    from PySide6.QtPdf import QPdfDocument  # fallback where poppler is not installed

    doc = QPdfDocument()
    doc.load(str(path))
    return "\n".join(doc.getAllText(i).text() for i in range(doc.pageCount()))


def page_sizes(path: Path) -> list[tuple[float, float]]:
    from PySide6.QtPdf import QPdfDocument

    approval_form.ensure_gui()
    doc = QPdfDocument()
    doc.load(str(path))
    return [(doc.pagePointSize(i).width(), doc.pagePointSize(i).height()) for i in range(doc.pageCount())]


def test_paid_form_has_amount_in_daxie_and_every_check(book: Book, tmp_path: Path) -> None:
    ind, pid, payee = fx.setup_funds(book, amount=500_000_00)
    pay = fx.request(book, pid, ind, payee, 123_456_78)
    fx.approve(book, pay)
    payments.mark_paid(book, payment_id=pay, voucher_no="ZF2026050009", pay_date="2026-05-12")
    path = approval_form.write_pdf(book, pay, tmp_path / "支付审批单.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    text = pdf_text(path)
    flat = "".join(text.split())
    assert money.daxie(123_456_78) == "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"
    assert "壹拾贰万叁仟肆佰伍拾陆元柒角捌分" in flat
    assert "123,456.78" in flat and "测试县财政局" in flat and "财政扶贫资金支付审批单" in flat
    assert "新财农〔2026〕" in flat and "ZF2026050009" in flat and "6222000000000" in flat  # internal: full account
    for name in checks.RULES.values():
        assert name in flat, name
    assert "审核人" in flat and "reviewer-用户" in flat and "clerk-用户" in flat
    width, height = page_sizes(path)[0]
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points


def test_refused_request_prints_the_reason_and_real_name_summary(book: Book, tmp_path: Path) -> None:
    ind, pid, _ = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, None, 3_000_00, kind="household_subsidy", usage="household_subsidy")
    payments.submit(book, payment_id=pay)
    flat = "".join(pdf_text(approval_form.write_pdf(book, pay, tmp_path / "a.pdf")).split())
    assert "退回原因" in flat and "未附实名制发放名册" in flat and "不通过" in flat
    fx.attach_roster(book, pay, fx.households(3))
    flat = "".join(pdf_text(approval_form.write_pdf(book, pay, tmp_path / "b.pdf")).split())
    assert "按实名制发放名册直接支付到个人（3人，合计3,000.00元）" in flat and "叁仟元整" in flat


def test_unsubmitted_form_shows_a_preview_of_the_checks(book: Book, tmp_path: Path) -> None:
    ind, pid, payee = fx.setup_funds(book)
    pay = fx.request(book, pid, ind, payee, 1_00)
    login_as(book, "auditor")  # printing is reading: anyone who can open the file may print
    flat = "".join(pdf_text(approval_form.write_pdf(book, pay, tmp_path / "c.pdf")).split())
    assert "尚未提交" in flat and "壹元整" in flat and "草稿" in flat
