"""The print-ready PDF: A4 landscape, Chinese text, headers on every page of a long table, stable bytes."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument

from app.export import pdf
from app.models.reports.package_data import PackageData
from tests import pdftext
from tests.models.reports import sample

pdftotext = pdftext.text  # Qt's PDF module reads the text back (no poppler on a bare machine)


def test_pdf_is_a4_landscape_with_one_section_per_sheet(package: PackageData, tmp_path: Path) -> None:
    path = tmp_path / "p.pdf"
    pdf.render_pdf(package, path)
    sizes = pdftext.page_sizes(path)
    assert len(sizes) == 10 and all(abs(w - 841.89) < 0.6 and abs(h - 595.28) < 0.6 for w, h in sizes)
    created = pdftext.meta(path, QPdfDocument.MetaDataField.CreationDate)
    modified = pdftext.meta(path, QPdfDocument.MetaDataField.ModificationDate)
    assert created.toString(Qt.DateFormat.ISODate) == "2026-11-20T10:30:00+08:00" and modified == created
    cover = pdftotext(path, first=1, last=1)
    assert "财政扶贫资金监督管理各类情况月报表" in cover and "签发：艾力·买买提 于 2026-11-20 10:30 签发" in cover
    assert "（单位盖章）" in cover and "12,967,999.99" in cover and "第 1 页 共 10 页" in cover
    for page, title in enumerate(["财政扶贫资金筹集及到位情况表", "财政扶贫资金指标分配下达情况表"], 2):
        text = pdftotext(path, first=page, last=page)
        assert f"表{page - 1}" in text and title in text and f"第 {page} 页 共 10 页" in text
    t1 = pdftotext(path, first=2, last=2)
    assert re.search(r"合计\s+112,500,000\.00\s+5,000,000\.00", t1) and "93.87%" in t1
    assert "单位负责人：艾力·买买提" in t1 and "填报日期：2026-11-20" in t1


def test_long_table_repeats_its_header_on_every_page(package: PackageData, tmp_path: Path) -> None:
    long = sample.with_rows(package, "project_payments", sample.many_projects(150))
    path = tmp_path / "long.pdf"
    pdf.render_pdf(long, path)
    pages = pdftext.page_count(path)
    footers = {p: re.search(r"第 \d+ 页 共 \d+ 页\s+(\S+)", pdftotext(path, first=p, last=p)) for p in range(1, pages + 1)}
    t5 = [p for p, m in footers.items() if m and m[1] == "表5"]
    assert len(t5) >= 3 and t5 == list(range(t5[0], t5[-1] + 1))
    for page in t5:
        text = pdftotext(path, first=page, last=page)
        assert "项目编号" in text and "累计支付" in text and "退回主要原因" in text
    assert "表5 扶贫项目资金支付审核情况表（续）" in pdftotext(path, first=t5[1], last=t5[1])
    last = pdftotext(path, first=t5[-1], last=t5[-1])
    assert "XM2026-0150" in last and "合计" in last and "单位负责人：" in last
    every = pdftotext(path)
    assert all(f"XM2026-{i:04d}" in every for i in range(1, 151))


def test_rerendering_gives_identical_bytes_and_text(package: PackageData, tmp_path: Path) -> None:
    first = pdf.render_pdf(package, tmp_path / "a.pdf")
    time.sleep(1.1)
    second = pdf.render_pdf(package, tmp_path / "b.pdf")
    assert pdftotext(tmp_path / "a.pdf") == pdftotext(tmp_path / "b.pdf")
    assert first == second
    later = dataclasses.replace(package, version=2)
    assert pdf.pdf_bytes(later) != first


def test_preview_is_marked_on_every_page(tmp_path: Path) -> None:
    path = tmp_path / "preview.pdf"
    preview = sample.with_rows(sample.make_package(signed=False), "project_payments", sample.many_projects(60))
    pdf.render_pdf(preview, path)
    pages = pdftext.page_count(path)
    assert pages > 10  # 表5 continues over pages that start with no title of their own
    for page in range(1, pages + 1):
        assert "预览稿（未签发）" in pdftotext(path, first=page, last=page)
    signed = tmp_path / "signed.pdf"
    pdf.render_pdf(sample.make_package(), signed)
    assert "预览稿" not in pdftotext(signed)


def test_stable_pdf_rewrites_dates_and_keeps_the_xref_valid(package: PackageData) -> None:
    data = pdf.pdf_bytes(package)
    for match in re.finditer(rb"(\d{10}) 00000 n ", data[data.rindex(b"\nxref") :]):
        offset = int(match[1])
        assert re.match(rb"\d+ 0 obj", data[offset : offset + 12]), offset
    startxref = int(re.search(rb"startxref\s+(\d+)", data)[1])  # type: ignore[index]
    assert data[startxref : startxref + 4] == b"xref"
    assert b"(D:20261120103000+08'00')" in data and b'xmp:CreateDate="2026-11-20T10:30:00+08:00"' in data
    # Qt writes the local time: a PC in another zone writes another form and length of date
    outputs = set()
    for zone in ("UTC", "Asia/Urumqi", "America/New_York"):
        outputs.add(_child("print(pdf.pdf_bytes(sample.make_package()).hex())", TZ=zone).strip())
    assert outputs == {data.hex()}


def _child(code: str, **env: str) -> str:
    script = "from tests.models.reports import sample\nfrom app.export import pdf\n" + code
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_no_interpreter_abort_after_many_pages(tmp_path: Path) -> None:
    """PySide6 6.12 loses a reference to None per void call; a big PDF in a child process must exit cleanly."""
    code = "p = sample.with_rows(sample.make_package(), 'project_payments', sample.many_projects(1500))\n"
    assert int(_child(code + "print(len(pdf.pdf_bytes(p)))")) > 100_000


@pytest.mark.parametrize("fen, shown", [(0, "0.00"), (7, "0.07"), (123456789, "1,234,567.89")])
def test_amounts_print_as_the_ledger_writes_them(package: PackageData, tmp_path: Path, fen: int, shown: str) -> None:
    rows = sample.problem_rows()[:1]
    rows[0]["amount"] = fen
    path = tmp_path / "p.pdf"
    pdf.render_pdf(sample.with_rows(package, "problems", rows), path)
    assert re.search(rf"\s{re.escape(shown)}\s", pdftotext(path, first=10, last=10))
