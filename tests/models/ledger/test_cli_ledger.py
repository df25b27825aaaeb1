"""`fundledger import-treasury` and `demo-treasury` as a clerk runs them: dry run, import, re-import, refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.cli import main as cli
from app.models.ledger import account as ledger
from app.models.store.book import Book
from tests.conftest import PASSWORD, login_as
from tests.models.ledger.ledger_fixtures import register
from tests.models.ledger.test_treasury import DOC, row, write_xlsx


@pytest.fixture
def db(book: Book, tmp_path: Path) -> Path:
    login_as(book, "clerk")
    ind = register(book, doc_no=DOC, amount=500_000_00)
    ledger.post_expenditure(book, indicator_id=ind, amount=10_000_00, entry_date=dt.date(2026, 4, 2),
                            voucher_no="ZF1", payment_id=None, summary="支付")
    path = book.path
    book.close(backup=False)
    return path


def _count(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM treasury_payments").fetchone()[0])
    finally:
        conn.close()


def test_dry_run_then_import_then_again(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    file = write_xlsx(tmp_path / "国库.xlsx", [row("ZF1"), row("ZF2", "2000.00")])
    assert cli.run(["import-treasury", str(db), str(file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "未写入任何数据" in out and "第 4 行 ZF2" in out and "专账无此凭证" in out and _count(db) == 0
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    assert cli.run(["import-treasury", str(db), str(file), "--user", "clerk"]) == 0
    assert "新增 2 行" in capsys.readouterr().out and _count(db) == 2
    assert cli.run(["import-treasury", str(db), str(file), "--user", "clerk"]) == 0
    assert "导入过" in capsys.readouterr().out and _count(db) == 2


def test_refusals_exit_2_with_a_chinese_message(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bad = write_xlsx(tmp_path / "坏.xlsx", [row("ZF1", "1.234")])
    assert cli.run(["import-treasury", str(db), str(bad), "--dry-run"]) == 2
    assert "第 3 行 金额：最多两位小数" in capsys.readouterr().err
    monkeypatch.setenv("FUNDLEDGER_PASSWORD", PASSWORD)
    good = write_xlsx(tmp_path / "好.xlsx", [row("ZF1")])
    assert cli.run(["import-treasury", str(db), str(good), "--user", "auditor"]) == 2
    assert "无权" in capsys.readouterr().err and _count(db) == 0
    assert cli.run(["import-treasury", str(db), str(good), "--dry-run", "--map", "金额"]) == 2
    assert "字段=列名" in capsys.readouterr().err
    odd = write_xlsx(tmp_path / "列名.xlsx", [row("ZF1")],
                     headers=["凭证编号", "支付日期", "指标文号", "功能科目", "经济科目", "收款人全称", "收款人账号", "收款人开户行",
                              "发生额", "用途", "支付方式"])
    assert cli.run(["import-treasury", str(db), str(odd), "--dry-run", "--map", "支付凭证号=凭证编号",
                    "--map", "金额=发生额"]) == 0


def test_demo_treasury_writes_a_file_the_import_reads(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "生成.xlsx"
    assert cli.run(["demo-treasury", str(db), str(out)]) == 0 and out.exists()
    assert cli.run(["import-treasury", str(db), str(out), "--dry-run"]) == 0
    assert cli.run(["demo-treasury", str(db), str(tmp_path / "x.csv")]) == 2
