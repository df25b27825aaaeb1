"""The window's start-up check (incremental verify from the last anchor) against the insider who has the file,
sqlite3 and no password, and who writes *after* a real anchor through dropped triggers and reseals the audit chain
as the program would (the chain is unkeyed): a write into a closed month, the signed data the next months carry
their balances from, the rule set of a signed year. Each passed the incremental check before it learnt to look."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import build as demo
from app.models.integrity import incremental
from app.models.store import audit, users
from app.models.store.book import open_book
from tests.conftest import writable_copy


@pytest.fixture
def anchored(demo_file: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the demo with a real anchor recorded by the program (the clerk, as the window does)."""
    path = writable_copy(demo_file, tmp_path / "示例县.db")
    book = open_book(path)
    users.login(book, "jingban", demo.PASSWORD)
    assert incremental.record(book, mode="full", head=audit.head(book.conn)) is not None
    book.close(backup=False)
    yield path


def sealed(path: Path, actor_login: str, op: str, *statements: tuple[str, tuple[object, ...]],
           drop: tuple[str, ...] = ()) -> None:
    """Write with sqlite3 as `actor_login`, the named triggers dropped and put back word for word, and the audit
    records the writes produced sealed into the chain exactly as the program seals them."""
    raw = sqlite3.connect(path, isolation_level=None)
    saved = [raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0] for name in drop]
    uid = raw.execute("SELECT id FROM users WHERE login = ?", (actor_login,)).fetchone()[0]
    raw.execute("BEGIN IMMEDIATE")
    for name in drop:
        raw.execute(f'DROP TRIGGER "{name}"')
    start = audit.last_seq(raw)
    raw.execute("UPDATE audit_context SET actor = ?, op = ?, at = ? WHERE id = 1",
                (f"{actor_login}#{uid}", op, dt.datetime(2026, 11, 25, 9).isoformat(sep=" ")))
    for sql, args in statements:
        raw.execute(sql, args)
    audit.seal(raw, start)
    raw.execute("UPDATE audit_context SET actor = NULL, op = NULL, at = NULL WHERE id = 1")
    for sql in saved:
        raw.execute(sql)
    raw.execute("COMMIT")
    raw.close()


def failed_steps(path: Path) -> list[str]:
    book = open_book(path)
    try:
        report = incremental.run(book)
        assert report is not None
        return [name for name, found in report.steps if found]
    finally:
        book.close(backup=False)


def test_untouched_file_passes(anchored: Path) -> None:
    assert failed_steps(anchored) == []


def test_sealed_write_into_a_closed_month_after_the_anchor(anchored: Path) -> None:
    sealed(anchored, "shenhe", "edit_payment", ("UPDATE payments SET amount = amount - 100000000 WHERE id = 1", ()),
           drop=("fl_closed_payments_u",))
    assert "锚点之后没有改动已结账月份的记录" in failed_steps(anchored)


def test_signed_data_the_next_months_carry_from(anchored: Path) -> None:
    raw = sqlite3.connect(anchored)
    sid, data = raw.execute("SELECT id, data FROM signoffs WHERE status = 'signed' ORDER BY month DESC "
                            "LIMIT 1").fetchone()
    raw.close()
    doc = json.loads(data)
    doc["tampered"] = True  # any change to the signed JSON (the attack moved 5,000,000.00 between two figures)
    sealed(anchored, "juzhang", "sign_off", ("UPDATE signoffs SET data = ? WHERE id = ?", (json.dumps(doc), sid)),
           drop=("fl_audit_signoffs_u",) if _exists(anchored, "fl_audit_signoffs_u") else ())
    assert "已签发月份的数据与规则集未被改动" in failed_steps(anchored)


def test_rule_set_of_a_signed_year_swapped(anchored: Path) -> None:
    """A doctored copy of the year's set without 各种奖金、津贴和福利补助 on the negative list, assigned to the signed
    (and current) year: the payment checks would allow bonuses from 专项扶贫资金."""
    from app.models.store import rule_years
    from app.resources import resources_dir

    text = (resources_dir() / "rules" / "xj-2019.toml").read_text(encoding="utf-8")
    bad = text.replace('  "bonuses",', "  ", 1)
    assert bad != text
    digest = hashlib.sha256(bad.encode("utf-8")).hexdigest()
    sealed(anchored, "juzhang", "assign_rule_set",
           ("INSERT INTO rule_set_files (file_hash, rule_set, text, added_at) VALUES (?, 'xj-2019', ?, "
            "'2026-11-25 10:00:00')", (digest, bad)),
           ("UPDATE rule_sets SET origin = 'bureau', file_hash = ? WHERE id = 1", (digest,)),
           drop=("rule_sets_locked_u",))
    raw = sqlite3.connect(anchored)
    rule_years._from_text.cache_clear()
    assert rule_years.load_for(raw, 2026).usage_allowed("ZX", "bonuses")  # the attack works on the checks
    raw.close()
    assert "已签发月份的数据与规则集未被改动" in failed_steps(anchored)


def _exists(path: Path, trigger: str) -> bool:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)).fetchone() \
            is not None
    finally:
        raw.close()


def test_plan_figure_of_a_signed_year_is_refused_and_the_insiders_write_is_seen(anchored: Path) -> None:
    """Attack review: 年度计划数 is in 表1 of every signed month; changing it through the program was accepted (and
    made full verify call the signed months tampered). Now the program refuses, the trigger refuses, and the insider
    who drops the trigger is seen by the window's check."""
    from app.models.reports import monthly
    from app.models.values.errors import ValidationError

    book = open_book(anchored)
    users.login(book, "jingban", demo.PASSWORD)
    before = book.conn.execute("SELECT year, item, amount FROM annual_plans ORDER BY id").fetchall()
    item = book.conn.execute("SELECT item FROM annual_plans WHERE year = 2026 LIMIT 1").fetchone()[0]
    with pytest.raises(ValidationError) as refused:
        monthly.set_annual_plans(book, year=2026, plans={item: 9_900_000_000})
    assert refused.value.field == "年度计划数" and "签发" in refused.value.message
    assert book.conn.execute("SELECT year, item, amount FROM annual_plans ORDER BY id").fetchall() == before
    monthly.set_annual_plans(book, year=2027, plans={item: 100_000_00})  # a year with nothing signed: allowed
    head = audit.head(book.conn)
    assert incremental.record(book, mode="full", head=head) is not None
    book.close(backup=False)
    raw = sqlite3.connect(anchored)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("UPDATE annual_plans SET amount = 1 WHERE year = 2026")
    raw.close()
    sealed(anchored, "jingban", "set_annual_plan", ("UPDATE annual_plans SET amount = 9900000000 WHERE year = 2026 "
                                                    "AND item = ?", (item,)), drop=("fl_closed_annual_plans_u",))
    assert "锚点之后没有改动已结账月份的记录" in failed_steps(anchored)
