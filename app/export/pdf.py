"""The print-ready PDF of the package: A4 landscape, one section per sheet, headers repeated on every
page of a long table, signature lines and a seal area left for the chief.

Drawn with QPainter on a QPdfWriter (no external tool): pages are planned first (so "第 x 页 共 y 页"
is known), then painted. Every text uses the bundled font only (app/export/fonts.py: no system font,
no fallback, no hinting), Qt's creation dates are replaced by the package timestamp and the document
ID is derived from the package, so the same PackageData gives the same bytes on any machine with the
same program, Qt and font file (what the manifest's "rendering" block records).
"""

from __future__ import annotations

import ctypes
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QBuffer, QHashSeed, QIODevice, QMarginsF, QPointF, QRectF, Qt, QUuid
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from app.export import fonts, stable
from app.models.reports import definitions, layout
from app.models.reports.definitions import ReportDefs, TableDef
from app.models.reports.layout import RenderRow, Section
from app.models.reports.package_data import PackageData
from app.models.store.keys import show as show_fingerprint

DPI = 300
_MM = DPI / 25.4
_PAD = 0.8 * _MM
_WRAP = int(Qt.TextFlag.TextWordWrap)
_ANYWHERE = int(Qt.TextFlag.TextWrapAnywhere)
_ALIGN = {"left": Qt.AlignmentFlag.AlignLeft, "center": Qt.AlignmentFlag.AlignHCenter, "right": Qt.AlignmentFlag.AlignRight}
_VCENTER = Qt.AlignmentFlag.AlignVCenter

_app: QGuiApplication | None = None


_LEAK: bool | None = None


def _incref_none() -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))


def _probe_leak() -> bool:
    """PySide6 6.12 on Python 3.11 drops one reference to None on every call of a method returning
    void (QPainter.drawRect, QFont.setBold …); None has only a few thousand, so a big month aborts the
    interpreter ("none_dealloc"). Measured once; False where None is immortal (3.12+) or Qt is fixed.
    The lost references are given back for good (Py_IncRef): a list of Nones is not enough, since
    it is freed at exit before the damage shows."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    ctypes.pythonapi.Py_IncRef.argtypes = [ctypes.py_object]
    ctypes.pythonapi.Py_IncRef.restype = None
    font = QFont()
    before = sys.getrefcount(None)
    for _ in range(64):
        font.setBold(True)
    leaking = before - sys.getrefcount(None) >= 48
    for _ in range(64 if leaking else 0):
        _incref_none()
    return leaking


def qcall(method: Callable[..., None], *args: object) -> None:
    """Call a void Qt method — `qcall(painter.drawRect, rect)` — and give back the None it drops."""
    method(*args)
    if _LEAK:
        _incref_none()


def _v(_result: object = None) -> None:
    """Older spelling, `_v(painter.drawRect(r))`: same effect as qcall (kept for callers already using it)."""
    if _LEAK:
        _incref_none()


def ensure_gui_app() -> None:
    """Fonts and QPdfWriter need a QGuiApplication; the CLI and tests may not have one yet. We make a
    QApplication (a QGuiApplication too), so windows opened later in the same process still work."""
    global _app, _LEAK
    # Qt seeds its hash tables at random per process; the PDF engine embeds fonts in hash order, so without a
    # fixed seed the same package gives different bytes in another process (an auditor's re-creation fails).
    QHashSeed.setDeterministicGlobalSeed()
    if QGuiApplication.instance() is None:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        _app = QApplication(fonts.qt_argv(["fundledger-export"]))
    fonts.register()
    if _LEAK is None:
        _LEAK = _probe_leak()


def make_font(defs: ReportDefs, size: float, *, bold: bool = False) -> QFont:
    """The bundled font (fonts.print_font); `defs` is kept for callers, the PDF font is not configurable."""
    return fonts.print_font(size, bold=bold)


@dataclass(frozen=True)
class _Text:
    rect: QRectF
    text: str
    font: QFont
    flags: int


@dataclass(frozen=True)
class _Cell:
    text: str
    indent: float
    flags: int
    shaded: bool = False  # an emphasis column's flag: the cell is shaded like the header (the print font has one weight)


@dataclass(frozen=True)
class _Box:
    rect: QRectF
    fill: bool


@dataclass(frozen=True)
class _Rule:
    start: QPointF
    end: QPointF


@dataclass
class _Page:
    sheet: str
    ops: list[_Text | _Box | _Rule] = field(default_factory=list)


class _Planner:
    """Lays sections out on pages: measures every cell with the painter that will draw it."""

    def __init__(self, painter: QPainter, defs: ReportDefs, area: QRectF) -> None:
        self.painter, self.defs, self.area = painter, defs, area
        self.pages: list[_Page] = []
        self.y = 0.0
        self._body_top = 0.0
        self._fonts: dict[tuple[float, bool], QFont] = {}
        self._current: QFont | None = None
        self._boxes: dict[tuple[str, int, int], tuple[float, int]] = {}
        self._font_metrics: dict[int, QFontMetricsF] = {}
        self._heights: dict[int, float] = {}
        self.key_line = ""  # 签发密钥指纹, printed on a signed cover
        self.rules_line = ""  # the month's rule set (issue 17), printed on the cover

    def font(self, size: float, *, bold: bool = False) -> QFont:
        font = self._fonts.get((size, bold))
        if font is None:
            font = self._fonts[(size, bold)] = make_font(self.defs, size, bold=bold)
        return font

    def measure(self, text: str, font: QFont, width: float, flags: int = _WRAP) -> QRectF:
        if font is not self._current:
            qcall(self.painter.setFont, font)
            self._current = font
        return self.painter.boundingRect(QRectF(0, 0, max(width, 1.0), 1e7), flags, text)

    def new_page(self, sheet: str) -> None:
        self.pages.append(_Page(sheet))
        self.y = self.area.top()

    def add(self, op: _Text | _Box | _Rule) -> None:
        self.pages[-1].ops.append(op)

    def line(self, text: str, font: QFont, align: str, *, left: float | None = None, width: float | None = None) -> float:
        x = self.area.left() if left is None else left
        w = self.area.width() if width is None else width
        height = self.measure(text, font, w).height()
        self.add(_Text(QRectF(x, self.y, w, height), text, font, int(_ALIGN[align]) | _WRAP))
        return height

    # -- one section --------------------------------------------------------------------------
    def section(self, section: Section) -> None:
        table = section.built.table
        size = float(self.defs.style.pdf_font_size)
        widths = self._widths(table)
        while size > self.defs.style.pdf_min_font_size and not self._numbers_fit(section, widths, size):
            size -= 0.5
        body, bold = self.font(size), self.font(size, bold=True)
        self.new_page(section.sheet)
        self.y += self.line(section.title, self.font(self.defs.style.pdf_title_size, bold=True), "center") + 1.5 * _MM
        for text in section.lines:
            self.y += self.line(text, self.font(size + 1), "center") + 0.5 * _MM
        self.y += self._columns_line(section.info, self.font(size + 1), ("left", "center", "right")) + _MM
        self._header(table, widths, bold)
        rows = [*section.built.rows, *([section.built.total] if section.built.total else [])]
        # the last detail row, the 合计 row and the signature lines stay together: a page never holds the footer or
        # the 合计 alone
        footer = self._footer_need(section, self.font(size + 1))
        total_h = self._cells(table, widths, rows[-1], bold)[0] if rows and section.built.total else 0.0
        for n, row in enumerate(rows, 1):
            font = body if row.kind == "data" else bold
            height, cells = self._cells(table, widths, row, font)
            below = footer if n == len(rows) else (total_h + footer if n == len(rows) - 1 and total_h else 0.0)
            if self.y + height + below > self.area.bottom() and self.y > self._body_top:
                self._continue(section, size)
                self._header(table, widths, bold)
            self._row(table, widths, cells, font, height)
        self._footer(section, self.font(size + 1), size)

    def _widths(self, table: TableDef) -> list[float]:
        total = sum(c.width for c in table.columns)
        return [self.area.width() * c.width / total for c in table.columns]

    def _numbers_fit(self, section: Section, widths: list[float], size: float) -> bool:
        """Whether every amount, count, rate and date fits its column on one line at this size."""
        bold = self.font(size, bold=True)  # bold (合计) is the widest: measure the longest texts in it
        rows = [*section.built.rows, *([section.built.total] if section.built.total else [])]
        for col, width in zip(section.built.table.columns, widths, strict=True):
            if col.type in ("money", "int", "percent", "date"):
                texts = {layout.display(col, row.values.get(col.key)) for row in rows}
                longest = max((len(t) for t in texts), default=0)
                # sorted: the first text measured decides which fallback font Qt loads first, and so the order
                # fonts are embedded in — a set's order changes with each process's hash seed
                for text in sorted(t for t in texts if t and len(t) >= longest - 1):
                    if self._metrics(bold).horizontalAdvance(text) + 2 * _PAD > width:
                        return False
        return True

    def _columns_line(self, texts: Sequence[str], font: QFont, aligns: Sequence[str]) -> float:
        width = self.area.width() / max(len(texts), 1)
        heights = [self.line(t, font, a, left=self.area.left() + i * width, width=width)
                   for i, (t, a) in enumerate(zip(texts, aligns, strict=False)) if t]  # fmt: skip
        return max(heights, default=0.0)

    def _continue(self, section: Section, size: float) -> None:
        self.new_page(section.sheet)
        self.y += self.line(section.continued, self.font(size + 1, bold=True), "left") + _MM

    def _header(self, table: TableDef, widths: list[float], bold: QFont) -> None:
        xs = [self.area.left()]
        for w in widths:
            xs.append(xs[-1] + w)
        cells = table.header_cells()
        heights = [0.0] * table.depth
        for hc in sorted(cells, key=lambda c: c.rows):
            need = self.measure(hc.text, bold, xs[hc.col + hc.cols] - xs[hc.col] - 2 * _PAD).height() + 2 * _PAD
            have = sum(heights[hc.row : hc.row + hc.rows])
            if need > have:
                heights[hc.row + hc.rows - 1] += need - have
        ys = [self.y]
        for h in heights:
            ys.append(ys[-1] + h)
        for hc in cells:
            rect = QRectF(QPointF(xs[hc.col], ys[hc.row]), QPointF(xs[hc.col + hc.cols], ys[hc.row + hc.rows]))
            self.add(_Box(rect, True))
            self.add(_Text(rect.adjusted(_PAD, _PAD, -_PAD, -_PAD), hc.text, bold,
                           int(Qt.AlignmentFlag.AlignCenter) | _WRAP))  # fmt: skip
        self.y = ys[-1]
        self._body_top = self.y  # a row drawn right under the header is never moved on (it could not fit anywhere)

    def _text_box(self, text: str, font: QFont, width: float) -> tuple[float, int]:
        """(height, wrap flag) of `text` in `width`, cached; a text that fits on one line skips Qt's layout."""
        key = (text, id(font), round(width))
        hit = self._boxes.get(key)
        if hit is None:
            if "\n" not in text and self._metrics(font).horizontalAdvance(text) <= width - 1:
                hit = (self._line_height(font), _WRAP)
            elif self.measure(text, font, width, _WRAP).width() > width + 0.5:  # an unbreakable code or number
                hit = (self.measure(text, font, width, _ANYWHERE).height(), _ANYWHERE)
            else:
                hit = (self.measure(text, font, width, _WRAP).height(), _WRAP)
            self._boxes[key] = hit
        return hit

    def _metrics(self, font: QFont) -> QFontMetricsF:
        metrics = self._font_metrics.get(id(font))
        if metrics is None:
            metrics = self._font_metrics[id(font)] = QFontMetricsF(font, self.painter.device())
        return metrics

    def _line_height(self, font: QFont) -> float:
        height = self._heights.get(id(font))
        if height is None:
            height = self._heights[id(font)] = self.measure("国", font, 1e6, 0).height()
        return height

    def _cells(self, table: TableDef, widths: list[float], row: RenderRow, font: QFont) -> tuple[float, list[_Cell]]:
        """Every cell of a row measured once: the row height and what to draw in each cell."""
        height = self._line_height(font)
        cells: list[_Cell] = []
        for col, width in zip(table.columns, widths, strict=True):
            text = layout.display(col, row.values.get(col.key)).replace("\r\n", "\n").replace("\r", "\n")
            is_label = col.key == table.label_column
            indent = row.indent * 2.5 * _MM if is_label else 0.0
            align = "center" if is_label and row.kind == "total" else col.align
            flag = _WRAP
            if text and col.type in ("text", "flag"):
                text_height, flag = self._text_box(text, font, width - 2 * _PAD - indent)
                height = max(height, text_height)
            shaded = bool(col.emphasis and text and row.kind == "data")
            cells.append(_Cell(text, indent, int(_ALIGN[align]) | int(_VCENTER) | flag, shaded))
        return height + 2 * _PAD, cells

    def _row(self, table: TableDef, widths: list[float], cells: list[_Cell], font: QFont, h: float) -> None:
        x = self.area.left()
        for cell, width in zip(cells, widths, strict=True):
            rect = QRectF(x, self.y, width, h)
            self.add(_Box(rect, cell.shaded))
            if cell.text:
                self.add(_Text(rect.adjusted(_PAD + cell.indent, _PAD, -_PAD, -_PAD), cell.text, font, cell.flags))
            x += width
        self.y += h

    def _footer_need(self, section: Section, font: QFont) -> float:
        cover = section.sheet == self.defs.cover_sheet
        lines = 6 + (2 if self.key_line else 0) + (2 if self.rules_line else 0)
        return self.measure("国", font, 1e6, 0).height() * (lines if cover else 3)

    def _footer(self, section: Section, font: QFont, size: float) -> None:
        """Signature lines (name printed, a line left to sign), and on the cover a place for the seal."""
        cover = section.sheet == self.defs.cover_sheet
        line_h = self.measure("国", font, 1e6, 0).height()
        need = self._footer_need(section, font)
        if self.y + need > self.area.bottom():
            self._continue(section, size)
        self.y += line_h
        width = self.area.width() / max(len(section.footer), 1)
        for i, text in enumerate(section.footer):
            left = self.area.left() + i * width
            used = self.measure(text, font, 1e6, 0).width()
            self.add(_Text(QRectF(left, self.y, width, line_h), text, font, int(_ALIGN["left"]) | int(_VCENTER)))
            end = left + width - 4 * _MM
            if end - (left + used) > 8 * _MM:
                self.add(_Rule(QPointF(left + used + _MM, self.y + line_h), QPointF(end, self.y + line_h)))
        self.y += line_h * 2
        if cover:
            self.line(self.defs.texts.seal, font, "right")
            if self.rules_line:
                self.y += line_h
                self.line(self.rules_line, font, "left")
            if self.key_line:
                self.y += line_h
                self.line(self.key_line, font, "left")


def _draw(painter: QPainter, pages: list[_Page], package: PackageData, defs: ReportDefs, writer: QPdfWriter,
          area: QRectF) -> None:  # fmt: skip
    pen = QPen(QColor("black"))
    qcall(pen.setWidthF, 0.25 * _MM)
    small = make_font(defs, max(defs.style.pdf_min_font_size, 7))
    mark = make_font(defs, defs.style.pdf_font_size, bold=True)
    fill = QColor("#" + defs.style.header_fill)
    left = f"{package.bureau} {package.year}年{package.month_number}月"
    for number, page in enumerate(pages, 1):
        if number > 1:
            writer.newPage()
        qcall(painter.setPen, pen)
        current: QFont | None = None
        for op in page.ops:
            if isinstance(op, _Box):
                if op.fill:
                    qcall(painter.fillRect, op.rect, fill)
                qcall(painter.drawRect, op.rect)
            elif isinstance(op, _Rule):
                qcall(painter.drawLine, op.start, op.end)
            else:
                if op.font is not current:
                    qcall(painter.setFont, op.font)
                    current = op.font
                painter.drawText(op.rect, op.flags, op.text)
        qcall(painter.setFont, small)
        foot = QRectF(area.left(), area.bottom() + 2 * _MM, area.width(), 5 * _MM)
        painter.drawText(foot, int(Qt.AlignmentFlag.AlignLeft), left)
        painter.drawText(foot, int(Qt.AlignmentFlag.AlignRight), page.sheet)
        text = defs.texts.page_number.format(page=number, pages=len(pages))
        painter.drawText(foot, int(Qt.AlignmentFlag.AlignHCenter), text)
        if not package.signed:  # every page of an unsigned preview says so
            qcall(painter.setFont, mark)
            top = QRectF(area.left(), area.top(), area.width(), 6 * _MM)
            painter.drawText(top, int(Qt.AlignmentFlag.AlignRight), defs.texts.preview_mark)


def document_id(package: PackageData) -> uuid.UUID:
    """The PDF /ID, from what the package is (Qt would draw a random one)."""
    name = f"{package.bureau}|{package.month}|v{package.version}|{package.stamp().isoformat()}"
    return uuid.uuid5(uuid.NAMESPACE_URL, "fundledger:" + name)


def pdf_bytes(package: PackageData, *, defs: ReportDefs | None = None) -> bytes:
    defs = definitions.worded(defs or definitions.load(), package.wording)  # the month's words (calc 2)
    ensure_gui_app()
    sections = layout.sections(defs, package)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    qcall(writer.setResolution, DPI)
    margin = float(defs.style.pdf_margin_mm)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                     QMarginsF(margin, margin, margin, margin), QPageLayout.Unit.Millimeter))  # fmt: skip
    qcall(writer.setTitle, f"{package.bureau} {package.year}年{package.month_number}月 {defs.name}")
    qcall(writer.setCreator, "FundLedger")
    qcall(writer.setDocumentId, QUuid(str(document_id(package))))
    painter = QPainter(writer)
    try:
        page = writer.pageLayout().paintRectPixels(DPI)
        area = QRectF(0, 0, page.width(), page.height() - 7 * _MM)
        planner = _Planner(painter, defs, area)
        if package.rule_set:
            planner.rules_line = f"适用规则集：{' '.join(package.rule_set.split(' ')[:2])}"
        if package.signing_key:
            planner.key_line = f"签发密钥指纹：{show_fingerprint(package.signing_key)}（Ed25519，完整指纹见 manifest.json）"
        for section in sections:
            planner.section(section)
        _draw(painter, planner.pages, package, defs, writer, area)
    finally:
        painter.end()
    data = bytes(buffer.data().data())
    qcall(buffer.close)
    return stable.stable_pdf(data, package.stamp())


def render_pdf(package: PackageData, path: Path | str, *, defs: ReportDefs | None = None) -> bytes:
    """Write the PDF to `path`; returns the bytes written."""
    data = pdf_bytes(package, defs=defs)
    Path(path).write_bytes(data)
    return data
