"""Printing a PDF the program made (the 月报 package's PDF) and showing PDFs in the window, through QtPdf.

The PDF's pages are rendered by QPdfDocument (no poppler, no external viewer) and drawn onto the printer's
pages scaled to fit, keeping their proportions, so the preview and the paper show exactly the PDF that would
be sent."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget

from app.models.values.errors import AppError

RENDER_DPI = 200


class PdfSource:
    """A PDF held in memory and loaded into a QPdfDocument (the buffer lives as long as the document)."""

    def __init__(self, data: bytes, parent: QWidget | None = None) -> None:
        self.buffer = QBuffer(parent)
        self.buffer.setData(QByteArray(data))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self.buffer)  # owned by the buffer it reads from
        self.document.load(self.buffer)
        if self.document.status() != QPdfDocument.Status.Ready or self.document.pageCount() < 1:
            raise AppError(f"PDF 文件无法打开（{self.document.error().name}）：文件可能已损坏或不是 PDF", field="PDF")

    def page_count(self) -> int:
        return self.document.pageCount()


def paint_pdf(source: PdfSource) -> Callable[[QPrinter], None]:
    """What a print preview calls: every page, rendered at the printer's resolution, fitted into its page."""

    def paint(printer: QPrinter) -> None:
        doc = source.document
        painter = QPainter(printer)
        try:
            for page in range(doc.pageCount()):
                if page:
                    printer.newPage()
                target = QRectF(printer.pageLayout().paintRectPixels(printer.resolution()))
                target.moveTo(0, 0)
                points = doc.pagePointSize(page)
                scale = min(target.width() / max(points.width(), 1), target.height() / max(points.height(), 1))
                shown = QRectF(0, 0, points.width() * scale, points.height() * scale)
                shown.moveTo(QPointF(target.left() + (target.width() - shown.width()) / 2, target.top()))
                pixels = min(scale, RENDER_DPI / 72)  # a 1200 dpi printer would mean a 500 MB image per page
                image = doc.render(page, QSize(max(int(points.width() * pixels), 1), max(int(points.height() * pixels), 1)))
                painter.drawImage(shown, image)
        finally:
            painter.end()

    return paint
