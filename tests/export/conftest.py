"""Export tests render real files; each builds its PackageData by hand (tests/models/reports/sample.py)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.escape import unescape
from openpyxl.workbook.workbook import Workbook

from app.export.workbook import render_workbook
from app.models.reports.package_data import PackageData
from tests.models.reports.sample import make_package


@pytest.fixture
def package() -> PackageData:
    return make_package()


def render(package: PackageData, tmp_path: Path, name: str = "report.xlsx") -> tuple[Workbook, bytes]:
    path = tmp_path / name
    data = render_workbook(package, path)
    return openpyxl.load_workbook(path), data


def yuan(value: object) -> Decimal:
    """A number cell read back by openpyxl (float) as the exact decimal Excel shows."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def text(value: object) -> str:
    """A text cell as Excel shows it (OOXML _xHHHH_ escapes decoded)."""
    assert isinstance(value, str), value
    return unescape(value)


def sheet_xml(data: bytes, index: int) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")
