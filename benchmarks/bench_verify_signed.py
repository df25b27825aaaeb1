"""What signatures and anchors add to `fundledger verify` and to a sign-off, on a generated county (issue 14).

    .venv/bin/python benchmarks/bench_verify_signed.py [--scale 0.1] [--db COUNTY.db] [--rounds 3]

Builds the county of make_county.py (or uses --db), saves its latest signed package as sent, then times in the
same run, alternately: verify with the checks it had before signing existed (data, chain, rows, invariants,
re-created packages) and the full verify with the sign-off/signature/key checks, the signed months re-summed from
live data, and `--against` the package. It also times what signing adds to a sign-off: opening the chief's key
(scrypt), the signed payload (users, checkpoints) and the Ed25519 signature. Figures go to docs/性能.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.export import evidence, signed  # noqa: E402
from app.models.integrity import verify as integrity  # noqa: E402
from app.models.store import audit, keys, signature  # noqa: E402
from app.models.store.book import open_book  # noqa: E402
from benchmarks import make_county  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--db", type=Path, help="an existing county (make_county.py); else one is built")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fl-bench-sign-"))
    path = args.db or tmp / "county.db"
    if args.db is None:
        print(f"生成县数据库（scale={args.scale}）…", flush=True)
        make_county.build(path, scale=args.scale)
    book = open_book(path, read_only=True)
    try:
        month, version = book.conn.execute("SELECT month, version FROM signoffs ORDER BY month DESC LIMIT 1").fetchone()
        package = signed.save_signed(book, month=month, version=version, out_dir=tmp / "sent")
        records = audit.last_seq(book.conn)

        def before() -> integrity.Report:  # the checks verify ran before signatures existed
            return integrity.run(book, more=[("已签发报送包可重新生成且哈希一致", lambda _c: signed.check_signed(book))])

        def after() -> integrity.Report:
            return evidence.verify(book, against=[package])

        runs: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            for name, fn in (("before", before), ("after", after)):
                t0 = time.perf_counter()
                fn()
                runs[name].append(time.perf_counter() - t0)
        b, a = statistics.median(runs["before"]), statistics.median(runs["after"])
        print(f"审计记录 {records:,} 条；已签发 {book.conn.execute('SELECT count(*) FROM signoffs').fetchone()[0]} 版")
        print(f"verify（原有检查）          中位数 {b:6.2f} s  {[f'{x:.2f}' for x in runs['before']]}")
        print(f"verify（签名+锚点 --against） 中位数 {a:6.2f} s  {[f'{x:.2f}' for x in runs['after']]}")
        print(f"比值 {a / b:.2f}（目标 ≤ 1.5）")

        chief = book.conn.execute("SELECT id, login, name FROM users WHERE login = ?", (make_county.CHIEF,)).fetchone()
        head = audit.head(book.conn)
        t0 = time.perf_counter()
        signer = keys.unlock(book.conn, user_id=chief[0], password=make_county.PASSWORD)
        t1 = time.perf_counter()
        body = signature.payload(book.conn, signer=signer, login=chief[1], name=chief[2], month=month, version=version,
                                 signed_at="2026-11-25 09:00:00", manifest_name="manifest.json", manifest_sha256="0" * 64,
                                 head=head)
        t2 = time.perf_counter()
        data = signature.sign(body, signer)
        t3 = time.perf_counter()
        print(f"签发增加：解开密钥（scrypt）{t1 - t0:.3f} s + 签名内容（用户、{len(body['checkpoints']['hashes'])} 个检查点）"
              f"{t2 - t1:.3f} s + Ed25519 签名 {t3 - t2:.4f} s = {t3 - t0:.3f} s（目标 < 0.5 s）；签名.json {len(data):,} 字节")
    finally:
        book.close()


if __name__ == "__main__":
    main()
