"""查看附件 (#20 item 14): 指标扫描件 and notice photos shown inside the program — images and PDFs (QtPdf) —
reached from the right-click menu of any table whose row has one; damaged or oversized files get a message."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage, QPainter, QPdfWriter
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QLabel

from app.models.ledger import indicators
from app.models.store.book import Book
from app.ui.kit import dialogs
from app.ui.kit.attachment_view import AttachmentViewer, Viewers
from app.ui.ledger.tab import LedgerTab
from tests.conftest import login_as
from tests.models.ledger.ledger_fixtures import register


@pytest.fixture(autouse=True)
def answers() -> Iterator[dict[str, Any]]:
    given: dict[str, Any] = {}
    dialogs.Ask.shown = []
    dialogs.Ask.answer = lambda kind, text: given.get(kind)
    Viewers.opened.clear()
    yield given
    dialogs.Ask.answer = None
    for v in Viewers.opened:
        v.close()
    Viewers.opened.clear()


def png(width: int = 40, height: int = 30) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#2266aa"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def pdf(pages: int = 2) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    painter = QPainter(writer)
    for page in range(pages):
        if page:
            writer.newPage()
        painter.drawText(200, 200, f"page {page + 1}")
    painter.end()
    return bytes(buffer.data().data())


def bomb() -> bytes:
    """A tiny PNG whose header claims 100000×100000 pixels (40 GB decoded)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_image_pdf_and_refusals(qtbot) -> None:
    image = AttachmentViewer(None, "公示照片.png", png())
    qtbot.addWidget(image)
    image.show()
    assert image.kind == "image" and not image.problem and image.picture.pixmap() is not None
    assert "40×30" in image.info.text()
    doc = AttachmentViewer(None, "指标.pdf", pdf(3))
    qtbot.addWidget(doc)
    assert isinstance(doc.view, QPdfView) and doc.pdf is not None and doc.pdf.page_count() == 3
    for name, data, words in (("坏.pdf", b"%PDF-1.4 broken", "PDF"), ("坏.png", b"\x89PNG\r\n\x1a\n garbage", "图片"),
                              ("大.png", bomb(), "过大"), ("a.txt", b"hello", "只能")):
        bad = AttachmentViewer(None, name, data)
        qtbot.addWidget(bad)
        assert words in bad.problem and isinstance(bad.view, QLabel), name


def test_save_as_refuses_a_windows_device_name(qtbot, tmp_path, answers: dict[str, Any]) -> None:
    viewer = AttachmentViewer(None, "照片.png", png())
    qtbot.addWidget(viewer)
    answers["save_file"] = str(tmp_path / "NUL.png")
    viewer.save_as()
    assert any(kind == "error" and "NUL" in text for kind, text in dialogs.Ask.shown)
    answers["save_file"] = str(tmp_path / "照片.png")
    viewer.save_as()
    assert (tmp_path / "照片.png").read_bytes() == viewer.data


def test_indicator_scan_opens_from_the_right_click_menu(qtbot, book: Book) -> None:
    login_as(book, "clerk")
    ind = register(book, scan=("指标文件.pdf", pdf(2)))
    tab = LedgerTab(book)
    qtbot.addWidget(tab)
    assert tab.query.wait()  # 指标登记's first page is read off the GUI thread
    tab.indicators.select_id(ind)
    from app.ui.kit import table_tools

    menu = table_tools.context_menu(tab.indicators)
    action = next(a for a in menu.actions() if a.text() == "查看扫描件…")
    action.trigger()
    viewer = Viewers.opened[-1]
    assert viewer.windowTitle() == "查看附件 — 指标文件.pdf" and viewer.pdf is not None
    assert viewer.pdf.page_count() == 2
    assert indicators.get(book, ind)["scan_id"] is not None
