"""A package that cannot be re-created here because another program, Qt or font made it is reported as such
(a 说明, the file passes), never as tampering; and that excuse covers only the files the difference can change.

Each test signs January with a stand-in for another environment (a different version recorded in the
manifest's rendering block, and a PDF whose bytes differ, as another program's would), then verifies with
this program.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import __version__
from app.export import evidence, manifest, pdf, signoff, workbook
from app.models.integrity.verify import Report
from app.models.store import signature, users
from app.models.store.book import open_book
from tests.reliability import crash_child as cc


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bureau file with one payment paid, ready to sign January."""
    path = cc.prepare(tmp_path_factory.mktemp("elsewhere") / "bureau.db")
    book = open_book(path)
    try:
        users.login(book, "clerk", cc.PASSWORD)
        cc.payment_flow(book, random.Random(1), 1)
    finally:
        book.close(backup=False)
    return path


@pytest.fixture
def path(prepared: Path, tmp_path: Path) -> Iterator[Path]:
    shutil.copy2(prepared, tmp_path / "bureau.db")
    yield tmp_path / "bureau.db"


def sign(path: Path, out: Path) -> Path:
    book = open_book(path)
    try:
        users.login(book, "chief", cc.PASSWORD)
        return signoff.sign_off(book, password=cc.PASSWORD, month="2026-01", out_dir=out).folder
    finally:
        book.close(backup=False)


def verify(path: Path) -> Report:
    book = open_book(path, read_only=True)
    try:
        return evidence.verify(book)
    finally:
        book.close()


def other_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF as another program would draw it: other bytes for the same data."""
    original = pdf.pdf_bytes
    monkeypatch.setattr(pdf, "pdf_bytes", lambda package, defs=None: original(package, defs=defs) + b"%older\n")


def test_same_environment_and_other_pdf_bytes_is_a_finding(path: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The naive excuse — any mismatch is 'another machine' — is not made: same program, Qt and font, so a
    PDF that does not re-create is reported as not matching its recorded hash."""
    with monkeypatch.context() as m:
        other_pdf(m)
        sign(path, tmp_path / "sent")
    report = verify(path)
    assert not report.ok and not report.notes
    assert "月报.pdf 与签发时记录的哈希不一致" in str(report.findings[0]), report.text()


def test_package_from_another_program_version_is_reported_as_such(path: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "__version__", "0.0.9")
        m.setattr(signature, "__version__", "0.0.9")  # an older program writes its version in both
        folder = sign(path, tmp_path / "sent")
    recorded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["rendering"]
    assert recorded["program"] == "0.0.9" and recorded["font_sha256"] and recorded["qt"]
    report = verify(path)
    assert report.ok, report.text()
    assert len(report.notes) == 1
    note = str(report.notes[0])
    assert f"FundLedger 程序版本 0.0.9 生成，本机为 FundLedger 程序版本 {__version__}" in note, note
    assert "无法逐字节重新生成" in note and "不表示报送包被篡改" in note
    text = report.text()
    assert "篡改过" not in text and "哈希不一致" not in text and "已核验的项目全部通过" in text, text
    assert "○ 已签发报送包可重新生成且哈希一致（1 条说明" in text and "无法在本机重现" in text, text


def test_other_qt_is_reported_and_the_workbook_is_still_checked(path: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "qVersion", lambda: "6.5.0")
        sign(path, tmp_path / "sent")
    report = verify(path)
    assert report.ok and len(report.notes) == 1, report.text()
    note = str(report.notes[0])
    assert "Qt 版本 6.5.0" in note and "月报.xlsx 重新生成后与签发时逐字节一致" in note, note


def test_another_qt_does_not_excuse_a_workbook_that_differs(path: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Qt and the font draw only the PDF: a workbook that does not re-create is a finding even then."""
    original = workbook.workbook_bytes
    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "qVersion", lambda: "6.5.0")
        m.setattr(workbook, "workbook_bytes", lambda *a, **k: original(*a, **k) + b"\0")
        sign(path, tmp_path / "sent")
    report = verify(path)
    assert not report.ok, report.text()
    finding = str(report.findings[0])
    assert "月报.xlsx 与签发时记录的哈希不一致" in finding and "只有Qt 版本" in finding, finding


def test_forged_rendering_block_does_not_hide_a_changed_manifest(path: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest whose other content does not follow from the signed data is a finding, even when the
    environment differs (the manifest is re-made from the kept PDF and compared)."""
    original = manifest.manifest_bytes

    def bent(*args: object, **kwargs: object) -> bytes:
        doc = json.loads(original(*args, **kwargs))  # type: ignore[arg-type]
        doc["bureau_level"] = "prefecture"
        return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode()

    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "qVersion", lambda: "6.5.0")
        m.setattr(manifest, "manifest_bytes", bent)
        sign(path, tmp_path / "sent")
    report = verify(path)
    assert not report.ok and "清单与签发时记录的哈希不一致" in str(report.findings[0]), report.text()


def test_package_from_a_program_that_recorded_no_rendering(path: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    original = manifest.manifest_bytes

    def old(*args: object, **kwargs: object) -> bytes:
        doc = json.loads(original(*args, **kwargs))  # type: ignore[arg-type]
        del doc["rendering"]
        return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode()

    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "manifest_bytes", old)
        sign(path, tmp_path / "sent")
    report = verify(path)
    assert report.ok and len(report.notes) == 1, report.text()
    assert "没有在清单中记录渲染环境" in str(report.notes[0])


def test_export_and_the_audit_page_say_it_cannot_be_re_created_here(qtbot, path: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main as cli
    from app.ui.audit.tab import AuditTab

    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "__version__", "0.0.9")
        m.setattr(signature, "__version__", "0.0.9")
        sign(path, tmp_path / "sent")
    capsys.readouterr()
    assert cli.run(["export", str(path), "--month", "2026-01", "--out", str(tmp_path / "again")]) == 3
    out = capsys.readouterr().out
    assert "无法在本机逐字节重现" in out and "FundLedger 程序版本 0.0.9" in out and "不一致！" not in out, out
    ro = open_book(path, read_only=True)
    try:
        users.login(ro, "auditor", cc.PASSWORD)
        tab = AuditTab(ro)
        qtbot.addWidget(tab)
        page = tab.packages
        page.recreate()
        qtbot.waitUntil(lambda: not page.busy() and bool(page.checks), timeout=120000)
        text = page.result.text()
        assert text.startswith("○ 2026-01 第 1 版无法在本机逐字节重现（不表示被篡改）") and "0.0.9" in text, text
    finally:
        ro.close()


def test_a_program_version_the_signature_does_not_name_is_no_excuse(path: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An insider who rewrites the manifest's rendering block to pass a change off as 'made by another program'
    is caught by the chief's signature, which names the program that really signed."""
    with monkeypatch.context() as m:
        other_pdf(m)
        m.setattr(manifest, "__version__", "0.0.9")  # the manifest says 0.0.9, the signature the real version
        sign(path, tmp_path / "sent")
    report = verify(path)
    assert not report.ok
    assert any("与局长签名中记下的程序版本" in str(f) and "清单被改写过" in str(f) for f in report.findings), report.text()
