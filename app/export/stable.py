"""Byte-stable containers: the same content and timestamp always give the same .xlsx / .pdf bytes.

Writers stamp files with the current time (openpyxl's docProps/core.xml and zip entries, Qt's PDF
/CreationDate and XMP dates). An auditor must be able to re-create a signed package and get equal
hashes, so every such time is replaced by the package's own timestamp (the sign-off), zip entries
are written in a fixed order with fixed metadata, and the PDF's cross-reference table is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import openpyxl.cell._writer as cell_writer

from app.models.reports.package_data import CHINA

ZIP_LEVEL = 6
"""Deflate level for every entry; fixed, because another level gives other bytes."""

_FIRST_ENTRIES = ("[Content_Types].xml", "_rels/.rels")
_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def utc_text(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zip_time(stamp: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """Zip entry times are local wall-clock without a zone: we write Beijing time, whole seconds."""
    local = stamp.astimezone(CHINA)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


_save_lock = threading.Lock()


@contextmanager
def exact_decimals() -> Iterator[None]:
    """While saving, write Decimal cells digit for digit (openpyxl writes "%.16g": 0.07 → 0.07000000000000001)."""
    original: Callable[[object], str] = cell_writer.safe_string

    def safe_string(value: object) -> str:
        if isinstance(value, Decimal) and value.is_finite():
            return format(value, "f")
        return original(value)

    with _save_lock:
        cell_writer.safe_string = safe_string  # type: ignore[assignment]
        try:
            yield
        finally:
            cell_writer.safe_string = original  # type: ignore[assignment]


def stable_xlsx(data: bytes, stamp: dt.datetime) -> bytes:
    """Re-zip an .xlsx: fixed core.xml dates, entry order, entry times, attributes and compression."""
    when = utc_text(stamp).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        order = [n for n in _FIRST_ENTRIES if n in names] + sorted(n for n in names if n not in _FIRST_ENTRIES)
        for name in order:
            content = src.read(name)
            if name == "docProps/core.xml":
                content = _CORE_DATE.sub(lambda m: m[1] + when + m[3], content)
            info = zipfile.ZipInfo(name, date_time=zip_time(stamp))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL)
    return out.getvalue()


_PDF_DATE = re.compile(rb"\(D:\d{14}(?:Z|[+-]\d\d'\d\d')?\)")
_XMP_DATE = re.compile(rb'(xmp:(?:CreateDate|ModifyDate|MetadataDate)=")[^"]*(")')
_XREF = re.compile(rb"xref\s+0 (\d+)\s+")
_STARTXREF = re.compile(rb"startxref\s+\d+\s+%%EOF\s*$")


def _pdf_date(stamp: dt.datetime) -> bytes:
    local = stamp.astimezone(CHINA)
    return local.strftime("(D:%Y%m%d%H%M%S+08'00')").encode()


def _fix_object(body: bytes, stamp: dt.datetime) -> bytes:
    head = body[:400]
    if b"stream" not in body and (b"/CreationDate" in body or b"/ModDate" in body):
        return _PDF_DATE.sub(lambda _m: _pdf_date(stamp), body)
    if b"/Metadata" in head and b"/Subtype /XML" in head:
        iso = stamp.astimezone(CHINA).isoformat(timespec="seconds").encode()
        start = body.index(b"stream\n") + len(b"stream\n")
        end = body.rindex(b"endstream")
        xml = _XMP_DATE.sub(lambda m: m[1] + iso + m[2], body[start:end].rstrip(b"\n"))
        dictionary = re.sub(rb"/Length \d+", b"/Length %d" % len(xml), body[:start], count=1)
        return dictionary + xml + b"\n" + body[end:]
    return body


def stable_pdf(data: bytes, stamp: dt.datetime) -> bytes:
    """Replace Qt's creation dates with `stamp` and rebuild the xref table for the shifted offsets.

    Qt writes a classic xref table and no object streams; anything else is returned unchanged
    (its text content is still stable, the weaker promise REPORTS.md allows).
    """
    xref_at = data.rfind(b"\nxref")
    match = _XREF.match(data, xref_at + 1) if xref_at >= 0 else None
    if match is None:
        return data
    count = int(match[1])
    entries = data[match.end() : match.end() + 20 * count].split(b"\n")
    offsets = [int(e[:10]) for e in entries[1:count] if e.strip().endswith(b"n")]
    if len(offsets) != count - 1 or not offsets:
        return data
    starts = sorted(offsets)
    bounds = dict(zip(starts, [*starts[1:], xref_at + 1], strict=True))
    pieces = [data[: starts[0]]]
    moved: dict[int, int] = {}
    position = starts[0]
    for start in starts:
        moved[start] = position
        piece = _fix_object(data[start : bounds[start]], stamp)
        pieces.append(piece)
        position += len(piece)
    table = [b"xref\n0 %d\n" % count, b"0000000000 65535 f \n"]
    table += [b"%010d 00000 n \n" % moved[o] for o in offsets]
    trailer = data[match.end() + 20 * count :]
    trailer = _STARTXREF.sub(b"startxref\n%d\n%%%%EOF\n" % position, trailer)
    return b"".join(pieces) + b"".join(table) + trailer
