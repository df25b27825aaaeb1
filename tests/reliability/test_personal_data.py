"""Personal data: no full ID number or bank account number of anyone in the demo county appears in a log, a
crash report, a public notice document or a file of a signed monthly package (DOMAIN §2).

Every full identifier is read from the demo database itself, then every output is scanned for each of them.
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import build as demo
from app.export import signed
from app.models.notices import content as notice_content
from app.models.notices import obligations as notice_obligations
from app.models.store import users
from app.models.store.book import Book, open_book
from tests.conftest import writable_copy
from tests.reliability.fuzz_support import FIGURES

ROOT = Path(__file__).resolve().parents[2]
DEMO_NOW = "2026-11-20"


@pytest.fixture
def county(demo_file: Path, tmp_path: Path) -> Iterator[Book]:
    path = tmp_path / "county.db"
    writable_copy(demo_file, path)
    book = open_book(path, read_only=True)
    users.login(book, "shenji", demo.PASSWORD)
    yield book
    book.close()


def secrets(book: Book) -> set[str]:
    """Every full ID number and bank account number held in the file."""
    found: set[str] = set()
    for sql in ("SELECT id_number FROM real_name_lines", "SELECT account FROM real_name_lines",
                "SELECT id_code FROM payees", "SELECT account_no FROM payees", "SELECT payee_account FROM treasury_payments"):
        for (value,) in book.conn.execute(sql):
            value = str(value or "").strip()
            if re.fullmatch(r"[0-9]{17}[0-9X]", value) or re.fullmatch(r"[0-9]{8,30}", value):
                found.add(value)
    return found


def readable(data: bytes) -> str:
    """The text of a file: an .xlsx's XML parts, or the bytes as UTF-8."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return data.decode("utf-8", "replace")


def leaks(text: str, secret: set[str]) -> list[str]:
    return sorted(s for s in secret if s in text)


def test_the_demo_holds_identifiers_to_look_for(county: Book) -> None:
    found = secrets(county)
    assert sum(1 for s in found if len(s) == 18) >= 5 and sum(1 for s in found if len(s) != 18) >= 5


def test_public_notice_documents(county: Book) -> None:
    from app.export import notice_docs

    secret = secrets(county)
    docs = [notice_content.for_notice(county, int(r[0])) for r in county.conn.execute("SELECT id FROM notices")]
    import datetime as dt

    as_of = dt.date.fromisoformat(DEMO_NOW)
    for o in notice_obligations.obligations(county, as_of=as_of):
        if o.notice_id is None:
            docs.append(notice_content.for_draft(county, kind=o.kind, level=o.level, object_type=o.object_type,
                                                 object_id=o.object_id, on=as_of))
    assert docs
    with_people = 0
    for doc in docs:
        text = repr(doc) + notice_docs._html(doc) + readable(notice_docs.xlsx_bytes(doc))
        assert not leaks(text, secret), (doc.title, leaks(text, secret)[:3])
        with_people += "********" in text
    FIGURES["公示文件（逐个扫描）"] = FIGURES.get("公示文件（逐个扫描）", 0) + len(docs)
    assert with_people, "no notice lists people: the scan would prove nothing"


def test_signed_package_files(county: Book) -> None:
    secret = secrets(county)
    rows = county.conn.execute("SELECT month, version, data FROM signoffs").fetchall()
    assert rows
    for month, version, data in rows:
        files = signed.signed_files(county, month=month, version=version)
        for name, content in files.items():
            assert not leaks(readable(content), secret), (month, name)
        assert not leaks(str(data), secret), (month, "签发数据（PDF 由它生成）")
    FIGURES["月报报送包（逐个扫描）"] = FIGURES.get("月报报送包（逐个扫描）", 0) + len(rows)


def test_log_and_crash_report_mask_identifiers(county: Book, tmp_path: Path) -> None:
    """An unexpected error whose message carries an ID and an account is logged (the excepthook does this)
    with both masked."""
    import app.__main__ as entry

    secret = sorted(secrets(county))
    person = next(s for s in secret if len(s) == 18)
    account = next(s for s in secret if len(s) != 18)
    log_file = tmp_path / "fundledger.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(entry.MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("fundledger.test")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"收款人 {person} 账号 {account} 出错")
        except RuntimeError:
            log.exception("未处理的异常：%s", f"{person}/{account}")
    finally:
        log.removeHandler(handler)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert "RuntimeError" in text and "Traceback" in text
    assert person not in text and account not in text
    assert person[:6] + "********" + person[-4:] in text and "****" + account[-4:] in text


def test_cli_log_file_has_no_identifiers(county: Book, tmp_path: Path) -> None:
    """The command line writes its log under the app-data folder: run the commands that read people's data."""
    secret = secrets(county)
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), APPDATA="", FUNDLEDGER_PASSWORD=demo.PASSWORD)
    env.pop("APPDATA")
    path = county.path
    for args in (["verify", str(path)], ["payments", str(path)]):
        result = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        assert not leaks(result.stdout, {s for s in secret if len(s) == 18}), args
    logs = list((tmp_path / "state").rglob("*.log*"))
    assert logs, "the app wrote no log file where it says it does"
    for log in logs:
        assert not leaks(log.read_text(encoding="utf-8", errors="replace"), secret), log
