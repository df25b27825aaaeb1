"""Registering the region's template from the command line; the signed month's 表1 is then the template's."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from app.cli import main as cli
from app.export import region_templates as report_templates
from app.export import signoff
from app.models.store.book import Book, open_book
from app.models.values.errors import PermissionDenied, ReadOnlyError
from tests.conftest import PASSWORD, FixedClock, login_as
from tests.export.conftest import yuan
from tests.export.test_template import TABLE1_MAPPING, make_table1_template
from tests.models.reports.test_monthly import october  # noqa: F401 - fixture


@pytest.fixture
def db(october: Book) -> Path:  # noqa: F811
    path = october.path
    october.close(backup=False)
    return path


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    return cli.run(args)


def income_to_october(path: Path) -> Decimal:
    """An independent SQL sum: the year's net income up to 31 October, in 元."""
    fen = _count(path, "SELECT sum(CASE WHEN side = 'income' THEN sign * amount END) FROM ledger_entries "
                       "WHERE entry_date BETWEEN '2026-01-01' AND '2026-10-31'")
    return Decimal(fen) / 100


def sign_october(path: Path, out: Path) -> Path:
    book = open_book(path)
    book.clock = FixedClock(dt.datetime(2026, 11, 21, 9, 0))
    try:
        login_as(book, "chief")
        result = signoff.sign_off(book, password=PASSWORD, month="2026-10", out_dir=out, comment="同意报送")
    finally:
        book.close(backup=False)
    return result.paths["workbook"]


def assert_table1_from_template(workbook: Path, path: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb["表1"]
    assert ws["A1"].value == "附表1 表1　财政扶贫资金筹集及到位情况表"
    assert ws["A3"].value == "资金类别"  # the template's own header, not the built-in merged 本月到位/累计到位 groups
    assert not any(c.value == "本月到位" for row in ws.iter_rows() for c in row)
    total = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert total > 4 and yuan(ws.cell(total, 2).value) == income_to_october(path)
    assert ws["A4"].value and ws["A4"].value != "{{行.资金类别}}"
    assert wb["表3"]["A1"].value == "表3　财政扶贫资金专账收支余情况表"  # the others keep the built-in layout


def test_cli_registers_and_the_signed_package_uses_it(db: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    template = make_table1_template(tmp_path / "自治区表1.xlsx")
    assert _cli(["template-register", str(db), "--table", "1", "--file", str(template), "--user", "clerk"],
                monkeypatch) == 0
    out = capsys.readouterr().out
    assert "已登记 表1 的模板 自治区表1.xlsx" in out and "附表1!B5  {{合计.累计到位小计}}  → 合计行 · 累计到位小计" in out
    assert _cli(["template-list", str(db)], monkeypatch) == 0
    listing = capsys.readouterr().out
    assert "表1  财政扶贫资金筹集及到位情况表：自治区表1.xlsx" in listing and "表2  财政扶贫资金指标分配下达情况表：内置格式" in listing
    workbook = sign_october(db, tmp_path / "sent")
    assert_table1_from_template(workbook, db)
    # the template is part of the package: the manifest names it, and re-creation reproduces the bytes
    assert "自治区表1.xlsx" in (workbook.parent / "manifest.json").read_text(encoding="utf-8")
    assert _cli(["template-remove", str(db), "--table", "1", "--user", "clerk"], monkeypatch) == 0
    assert _cli(["export", str(db), "--month", "2026-10", "--out", str(tmp_path / "again")], monkeypatch) == 0
    assert "完全一致" in capsys.readouterr().out


def test_cli_mapping_file(db: Path, tmp_path: Path, monkeypatch) -> None:
    plain = make_table1_template(tmp_path / "自治区表1.xlsx", marked=False)
    mapping = tmp_path / "对应.txt"
    mapping.write_text(TABLE1_MAPPING, encoding="utf-8")
    args = ["template-register", str(db), "--table", "表1", "--file", str(plain), "--mapping", str(mapping),
            "--user", "clerk"]
    original = plain.read_bytes()
    assert _cli(args, monkeypatch) == 0
    assert plain.read_bytes() == original  # the placeholders go into the stored copy, not the user's file
    assert_table1_from_template(sign_october(db, tmp_path / "sent"), db)


def test_cli_bad_template_is_refused_in_chinese_and_writes_nothing(db: Path, tmp_path: Path, monkeypatch,
                                                                   capsys) -> None:
    bad = make_table1_template(tmp_path / "坏表1.xlsx", extra={"D2": "{{填报人}}", "D5": "{{合计.本年到位}}"})
    before = [_count(db, "SELECT count(*) FROM report_templates"), _count(db, "SELECT count(*) FROM attachments"),
              _count(db, "SELECT count(*) FROM audit_log")]
    assert _cli(["template-register", str(db), "--table", "1", "--file", str(bad), "--user", "clerk"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "表1 模板 坏表1.xlsx 不能使用" in err
    assert "附表1!D2：未知的占位符 {{填报人}}" in err and "附表1!D5：表1 没有列“本年到位”" in err
    bad_map = tmp_path / "对应.txt"
    bad_map.write_text("B5 合计\n", encoding="utf-8")
    plain = make_table1_template(tmp_path / "t.xlsx", marked=False)
    assert _cli(["template-register", str(db), "--table", "1", "--file", str(plain), "--mapping", str(bad_map),
                 "--user", "clerk"], monkeypatch) == 2
    assert "对应文件 对应.txt 有错误" in capsys.readouterr().err
    assert _cli(["template-register", str(db), "--table", "10", "--file", str(plain), "--user", "clerk"], monkeypatch) == 2
    assert "应为 表1、" in capsys.readouterr().err
    after = [_count(db, "SELECT count(*) FROM report_templates"), _count(db, "SELECT count(*) FROM attachments"),
             _count(db, "SELECT count(*) FROM audit_log")]
    assert after == before
    assert _cli(["template-remove", str(db), "--table", "1", "--user", "clerk"], monkeypatch) == 2
    assert "表1 没有登记模板" in capsys.readouterr().err


def test_only_clerks_register_and_never_read_only(db: Path, tmp_path: Path) -> None:
    data = make_table1_template(tmp_path / "t.xlsx").read_bytes()
    book = open_book(db)
    try:
        login_as(book, "chief")
        with pytest.raises(PermissionDenied):
            report_templates.register_template(book, table_id="表1", name="t.xlsx", data=data)
        login_as(book, "clerk")
        report_templates.register_template(book, table_id="表1", name="t.xlsx", data=data)
        listed = {r["table"]: r for r in report_templates.template_list(book)}
        assert listed["表1"]["registered"] and listed["表1"]["registered_by"] == "clerk-用户"
        assert not listed["表2"]["registered"]
    finally:
        book.close(backup=False)
    ro = open_book(db, read_only=True)
    try:
        with pytest.raises(ReadOnlyError):
            report_templates.register_template(ro, table_id="表1", name="t.xlsx", data=data)
        assert [u.placeholder for u in report_templates.template_placeholders(ro, table_id="表1")][:2] == ["{{表名}}", "{{填报单位}}"]
    finally:
        ro.close()
