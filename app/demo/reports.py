"""Demo: the chief has signed January–August; September is overdue (W9) and October awaits sign-off."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from app.export import signoff
from app.models.store.book import Book

SIGNED_MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]


def reports_step(book: Book, clock: Any) -> None:
    """Runs last: signing closes those months, so nothing dated in them can be written afterwards."""
    from app.demo.common import PASSWORD, as_user

    as_user(book, "juzhang")
    out = Path(tempfile.mkdtemp(prefix="fundledger-demo-"))
    try:
        for month in SIGNED_MONTHS:
            clock.set(dt.datetime(2026, 11, 24, 15, 0))
            signoff.sign_off(book, month=month, out_dir=out, password=PASSWORD, comment="同意报送")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    from app.models.warnings import engine as warnings

    as_user(book, "jingban")
    warnings.recompute(book, as_of=dt.date(2026, 11, 24))  # the signed months' W9 close; September's stays
