"""Notice documents written by the app: a print-ready A4 PDF for boards and an .xlsx for the website.

The content comes from app.models.notices.content (identifiers already masked there); this module only
lays it out. Same data and date → same bytes (timestamps fixed to the notice date), so a published
file can be re-created and compared.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QUuid
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from app.export import fonts, stable
from app.export import pdf as report_pdf
from app.models.notices import content as notice_content
from app.models.notices import obligations as ob
from app.models.notices.content import NoticeDoc
from app.models.reports.package_data import CHINA
from app.models.store.book import Book
from app.models.values import money
from app.models.values.errors import AppError, FileError

DPI = 300
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _stamp(doc: NoticeDoc) -> dt.datetime:
    return dt.datetime(doc.date.year, doc.date.month, doc.date.day, 9, 0, 0, tzinfo=CHINA)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# -- PDF -----------------------------------------------------------------------------------------------


def _html(doc: NoticeDoc) -> str:
    e = html.escape
    cell = 'style="border: 1px solid #000; padding: 4px;"'
    parts = [f'<p align="center" style="font-size: 16pt; font-weight: bold; margin-bottom: 6px;">{e(doc.title)}</p>',
             f'<p style="font-size: 11pt; line-height: 150%; white-space: pre-wrap;">\u3000\u3000{e(doc.intro)}</p>']
    if doc.fields:
        parts.append('<table width="100%" cellspacing="0" cellpadding="4" '
                     'style="border-collapse: collapse; font-size: 10.5pt;">')
        for label, value in doc.fields:
            text = e(value).replace("\n", "<br/>")
            parts.append(f'<tr><td width="26%" {cell}><b>{e(label)}</b></td><td {cell}>{text}</td></tr>')
        parts.append("</table>")
    if doc.table is not None:
        t = doc.table
        parts.append(f'<p style="font-size: 11pt; font-weight: bold; margin-top: 10px;">{e(t.caption)}</p>')
        parts.append('<table width="100%" cellspacing="0" cellpadding="3" '
                     'style="border-collapse: collapse; font-size: 10pt;">')
        widths = t.widths if len(t.widths) == len(t.headers) else (0,) * len(t.headers)
        heads = "".join(f'<th {cell} bgcolor="#eeeeee"{_width(w)}>{e(h)}</th>' for h, w in zip(t.headers, widths, strict=True))
        parts.append(f"<thead><tr>{heads}</tr></thead>")  # repeated at the top of every page
        for row in (*t.rows, *((t.total,) if t.total else ())):
            tds = "".join(
                f'<td style="border: 1px solid #000; padding: 3px;{" white-space: nowrap;" if i in t.nowrap else ""}" '
                f'align="{"right" if i in t.numeric else "left"}">{e(v)}</td>' for i, v in enumerate(row))
            parts.append(f"<tr>{tds}</tr>")
        parts.append("</table>")
    parts.append(f'<p style="font-size: 11pt; margin-top: 12px; line-height: 150%; white-space: pre-wrap;">\u3000\u3000{e(doc.closing)}</p>')
    parts.append(f'<p style="font-size: 11pt;">监督举报电话：{e(doc.phones)}</p>')
    parts.append(f'<p align="right" style="font-size: 11pt; margin-top: 18px;">{e(doc.publisher)}</p>')
    parts.append(f'<p align="right" style="font-size: 11pt;">{chinese_date(doc.date)}</p>')
    return "<html><body>" + "".join(parts) + "</body></html>"


def _width(percent: int) -> str:
    return f' width="{percent}%"' if percent else ""


def pdf_bytes(doc: NoticeDoc) -> bytes:
    """A4 portrait, 20 mm margins, page numbers at the foot (QTextDocument pagination)."""
    report_pdf.ensure_gui_app()
    v = report_pdf._v  # gives back the None reference PySide6 6.12 drops on each void call (see app.export.pdf)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    v(writer.setResolution(DPI))
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(20, 18, 20, 18), QPageLayout.Unit.Millimeter))
    v(writer.setTitle(doc.title))
    v(writer.setCreator("FundLedger"))
    v(writer.setDocumentId(QUuid(str(uuid.uuid5(uuid.NAMESPACE_URL, "fundledger-notice:" + doc.file_stem)))))
    text = QTextDocument()
    v(text.setDefaultFont(fonts.print_font(11)))  # the bundled font only: the same bytes on every PC
    v(text.setHtml(_html(doc)))
    v(text.print_(writer))
    data = bytes(buffer.data().data())
    v(buffer.close())
    return stable.stable_pdf(data, _stamp(doc))


# -- xlsx ----------------------------------------------------------------------------------------------


def _text_cell(ws: object, row: int, col: int, value: str, **style: object) -> None:
    """User text stays text: a value starting with = + - @ tab or CR is never a formula."""
    cell = ws.cell(row=row, column=col, value=value)  # type: ignore[attr-defined]
    cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)


def xlsx_bytes(doc: NoticeDoc) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "公告"
    width = max(len(doc.table.headers) if doc.table else 0, 4)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 1

    def line(text: str, *, bold: bool = False, size: float = 11, align: str = "left") -> None:
        nonlocal row
        _text_cell(ws, row, 1, text, font=Font(bold=bold, size=size),
                   alignment=Alignment(horizontal=align, vertical="center", wrap_text=True))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1

    line(doc.title, bold=True, size=16, align="center")
    line(f"公告单位：{doc.publisher}　　公告日期：{doc.date.isoformat()}", align="center")
    line(doc.intro)
    ws.row_dimensions[row - 1].height = 32
    for label, value in doc.fields:
        _text_cell(ws, row, 1, label, font=Font(bold=True), alignment=wrap, border=box)
        _text_cell(ws, row, 2, value, alignment=wrap, border=box)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=width)
        ws.row_dimensions[row].height = max(18, 15 * (len(value) // 60 + 1 + value.count("\n")))
        row += 1
    if doc.table is not None:
        t = doc.table
        row += 1
        line(t.caption, bold=True)
        for col, header in enumerate(t.headers, 1):
            _text_cell(ws, row, col, header, font=Font(bold=True), border=box,
                       alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
        ws.print_title_rows = f"{row}:{row}"
        row += 1
        for values in (*t.rows, *((t.total,) if t.total else ())):
            for col, value in enumerate(values, 1):
                if col - 1 in t.numeric and value:
                    cell = ws.cell(row=row, column=col, value=money.to_yuan(money.parse(value)))
                    cell.number_format = "#,##0.00"
                    cell.border = box
                else:
                    _text_cell(ws, row, col, value, border=box, alignment=wrap)
            row += 1
    row += 1
    line(doc.closing)
    line(f"监督举报电话：{doc.phones}")
    line(doc.publisher, align="right")
    line(chinese_date(doc.date), align="right")
    widths = [14, 34, 16, 18, 22, 16] if doc.table else [16, 30, 30, 30]
    for col in range(1, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = widths[col - 1] if col <= len(widths) else 16
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = doc.title
    wb.properties.creator = "FundLedger"
    buffer = io.BytesIO()
    with stable.exact_decimals():
        wb.save(buffer)
    return stable.stable_xlsx(buffer.getvalue(), _stamp(doc))


# -- files ---------------------------------------------------------------------------------------------


def write(doc: NoticeDoc, folder: Path | str) -> list[Path]:
    """Write `<stem>.pdf` and `<stem>.xlsx` into `folder`; returns both paths."""
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        pdf_path = target / f"{doc.file_stem}.pdf"
        xlsx_path = target / f"{doc.file_stem}.xlsx"
        pdf_path.write_bytes(pdf_bytes(doc))
        xlsx_path.write_bytes(xlsx_bytes(doc))
    except OSError as exc:
        raise FileError(f"无法写入文件夹 {target}：{exc.strerror or exc}") from exc
    return [pdf_path, xlsx_path]


def for_notice(book: Book, notice_id: int, folder: Path | str) -> list[Path]:
    """The documents of a recorded notice."""
    return write(notice_content.for_notice(book, notice_id), folder)


def for_obligation(book: Book, obligation: ob.Obligation, folder: Path | str, *, on: dt.date | None = None) -> list[Path]:
    """The documents for a duty: its recorded notice if there is one, else a new one from the data."""
    return write(_for_duty(book, obligation, on), folder)


def _for_duty(book: Book, duty: ob.Obligation, on: dt.date | None) -> NoticeDoc:
    """A duty's document. The county's own (项目库、年度计划、计划完成: object "year") are county_notices, whose
    ids are not those of `notices`."""
    if duty.object_type == "year":
        if duty.notice_id is not None:
            return notice_content.for_county(book, duty.notice_id)
        return notice_content.for_county_draft(book, kind=duty.kind, year=duty.object_id, on=on)
    if duty.notice_id is not None:
        return notice_content.for_notice(book, duty.notice_id)
    return notice_content.for_draft(book, kind=duty.kind, level=duty.level, object_type=duty.object_type,
                                    object_id=duty.object_id, on=on)


def for_county_notice(book: Book, county_notice_id: int, folder: Path | str) -> list[Path]:
    """The documents of a recorded county notice (项目库、年度项目计划、年度计划完成情况)."""
    return write(notice_content.for_county(book, county_notice_id), folder)


def for_selection(book: Book, folder: Path | str, *, obligations: Iterable[ob.Obligation] = (),
                  notice_ids: Iterable[int] = (), on: dt.date | None = None) -> tuple[list[Path], list[tuple[str, str]]]:
    """批量生成公告: the documents of several duties or recorded notices, one after another, into one folder.
    Returns (files written, [(what, why not)]): one that cannot be made (its data refused) does not stop the
    others, and one whose file name another of the batch already took is not written over it."""
    written: list[Path] = []
    refused: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    jobs: list[tuple[str, Callable[[], NoticeDoc]]] = []
    def recorded(notice_id: int) -> Callable[[], NoticeDoc]:
        return lambda: notice_content.for_notice(book, notice_id)

    def of_duty(d: ob.Obligation) -> Callable[[], NoticeDoc]:
        return lambda: _for_duty(book, d, on)

    for duty in obligations:
        jobs.append((f"{duty.kind_name}：{duty.object_label}", of_duty(duty)))
    for notice_id in notice_ids:
        jobs.append((f"公告 #{notice_id}", recorded(notice_id)))
    for label, make in jobs:
        try:
            doc = make()
            if doc.file_stem in seen:
                refused.append((label, f"文件名“{doc.file_stem}”与本批的“{seen[doc.file_stem]}”相同，未覆盖；请单独生成"))
                continue
            seen[doc.file_stem] = label
            written += write(doc, folder)
        except AppError as err:
            refused.append((label, str(err)))
    return written, refused


def generate_all(book: Book, folder: Path | str, *, as_of: dt.date) -> list[Path]:
    """Every notice document of the file: each recorded notice, and a draft for each duty without one."""
    made: list[Path] = []
    for (notice_id,) in book.conn.execute("SELECT id FROM notices ORDER BY id").fetchall():
        made += for_notice(book, int(notice_id), folder)
    for (county_id,) in book.conn.execute("SELECT id FROM county_notices ORDER BY id").fetchall():
        made += for_county_notice(book, int(county_id), folder)
    todo: Iterable[ob.Obligation] = (o for o in ob.obligations(book, as_of=as_of) if o.notice_id is None)
    for o in todo:
        made += for_obligation(book, o, folder, on=as_of)
    return made
