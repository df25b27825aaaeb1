"""Reading the PDFs the program writes, with Qt's own PDF module (QtPdf, PDFium inside): page count,
page size, dates and text — no poppler, so the tests run on a bare machine."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtPdf import QPdfDocument

from app.export import pdf as report_pdf


def load(path: Path | str) -> QPdfDocument:
    report_pdf.ensure_gui_app()
    doc = QPdfDocument()
    error = doc.load(str(path))
    assert error == QPdfDocument.Error.None_, f"{path}: {error}"
    return doc


def page_count(path: Path | str) -> int:
    return load(path).pageCount()


def page_sizes(path: Path | str) -> list[tuple[float, float]]:
    """Each page's (width, height) in points."""
    doc = load(path)
    return [(doc.pagePointSize(i).width(), doc.pagePointSize(i).height()) for i in range(doc.pageCount())]


def text(path: Path | str, *, first: int | None = None, last: int | None = None) -> str:
    """The text of pages first..last (1-based, inclusive; all pages by default), pages joined by a form feed."""
    doc = load(path)
    start = (first or 1) - 1
    stop = last or doc.pageCount()
    return "\f".join(doc.getAllText(i).text() for i in range(start, stop))


def meta(path: Path | str, field: QPdfDocument.MetaDataField) -> object:
    return load(path).metaData(field)


def render_png(path: Path | str, page: int, out: Path | str, *, width: int = 1600) -> Path:
    """Page `page` (1-based) as a PNG `width` pixels wide, to look at."""
    doc = load(path)
    size = doc.pagePointSize(page - 1)
    image = doc.render(page - 1, QSize(width, round(width * size.height() / size.width())))
    image.save(str(out))
    return Path(out)
