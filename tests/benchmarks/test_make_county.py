"""The large-county generator (benchmarks/make_county.py) at a tiny scale: its file must pass verify,
so the benchmarks of issue #9 cannot silently rot into measuring a county the app would reject."""

from __future__ import annotations

from pathlib import Path

from app.export import evidence
from app.models.store.book import open_book
from benchmarks import make_county


def test_tiny_county_passes_verify_with_real_sign_offs(tmp_path: Path) -> None:
    path = tmp_path / "county.db"
    make_county.build(path, scale=0.005)
    found = make_county.counts(path)
    assert found["real_name_lines"] >= 1_000 and found["people"] > found["payees"] // 2
    assert found["signoffs"] == len(make_county.SIGNED)
    book = open_book(path, read_only=True)
    try:
        report = evidence.verify(book)
        assert report.ok, report.text()
        conn = book.conn
        closed = {r[0] for r in conn.execute("SELECT month FROM periods WHERE closed = 1")}
        assert {"2026-08", *make_county.SIGNED} <= closed
        # every payment to persons carries a list whose lines add up to it
        bad = conn.execute(
            "SELECT count(*) FROM payments y LEFT JOIN (SELECT payment_id, sum(amount) AS s FROM real_name_lines "
            "GROUP BY payment_id) n ON n.payment_id = y.id WHERE y.payee_id IS NULL AND y.status = 'paid' "
            "AND (n.s IS NULL OR n.s <> y.amount)").fetchone()[0]
        assert bad == 0
    finally:
        book.close()
    assert not (tmp_path / "county_备份").exists()
