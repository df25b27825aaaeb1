"""Report-data tests build their PackageData by hand (tests/models/reports/sample.py)."""

from __future__ import annotations

import pytest

from app.models.reports.package_data import PackageData
from tests.models.reports.sample import make_package


@pytest.fixture
def package() -> PackageData:
    return make_package()
