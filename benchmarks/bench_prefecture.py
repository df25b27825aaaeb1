"""Benchmark: a prefecture (or the region) receives and consolidates 100 county packages (target: median < 10 s,
peak < 500 MB), and receives one package (target < 1 s).

Run: `.venv/bin/python benchmarks/bench_prefecture.py [--counties 100] [--runs 3]`. One small county is built and
signed with the real operations; its signed package data is then re-rendered as 100 counties, each with its own
区划代码, its own workbook and manifest, and signed with its own Ed25519 key (registered with the prefecture), so
every package goes through every check of `receive` (files, signature, registry, month, versions, the workbook
re-read, cross-checks). The PDF bytes are shared: `receive` hashes the PDF but does not read it. Each run starts
from a fresh prefecture file. The last run traces memory (tracemalloc's peak of Python allocations) and is not
timed; the process's max RSS covers everything, the generation of the packages included.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from app.demo import prefecture as demo  # noqa: E402
from app.demo.common import PASSWORD, DemoClock  # noqa: E402
from app.export import manifest, workbook  # noqa: E402
from app.models.prefecture import consolidate, counties, invariants, receive  # noqa: E402
from app.models.reports import snapshot  # noqa: E402
from app.models.store import keys, setup, signature, users  # noqa: E402


def make_packages(root: Path, n: int) -> list[tuple[str, str, str, Path]]:
    """(code, name, printed fingerprint, folder) of n signed county packages."""
    book = demo.build_county(root / "样本县.db", name="样本县", code="659001", central_yuan=2_400_000,
                             region_yuan=800_000, signed=dt.datetime(2026, 10, 12, 16))
    sample = demo.sign(book, root / "样本")
    row = book.conn.execute("SELECT data, signature FROM signoffs").fetchone()
    base, body = snapshot.loads(row[0]), json.loads(row[1])
    book.close(backup=False)
    pdf = next(sample.glob("*.pdf")).read_bytes()
    out = []
    for i in range(n):
        code, name = f"65{1100 + i:04d}", f"县{i + 1:03d}"
        private = Ed25519PrivateKey.generate()
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        fp = keys.fingerprint(raw)
        signer = keys.Signer(keys.KeyInfo(0, 0, keys.ALGORITHM, raw.hex(), fp, "", "", None, ""), private)
        package = dataclasses.replace(base, bureau=f"{name}财政局", signing_key=fp)
        names = manifest.file_names(package)
        files = {names["workbook"]: workbook.workbook_bytes(package), names["pdf"]: pdf}
        files[names["manifest"]] = manifest.manifest_bytes(package, files)
        doc = {k: v for k, v in body.items() if k != "signature"} | {
            "bureau": {"name": f"{name}财政局", "region_code": code}, "public_key": raw.hex(), "fingerprint": fp,
            "manifest": {"name": names["manifest"], "sha256": hashlib.sha256(files[names["manifest"]]).hexdigest()}}
        files[signature.FILE_NAME] = signature.sign(doc, signer)
        folder = root / "packages" / names["folder"]
        folder.mkdir(parents=True)
        for file_name, data in files.items():
            (folder / file_name).write_bytes(data)
        out.append((code, name, keys.show(fp), folder))
    return out


def prefecture(path: Path, packages: list[tuple[str, str, str, Path]]) -> object:
    book = setup.create(path, bureau_name="基准地区财政局", region_code="650000", level="prefecture",
                        chief_login="juzhang", chief_name="局长", chief_password=PASSWORD,
                        clock=DemoClock(dt.datetime(2026, 10, 20, 9)))
    users.add_user(book, login="jingban", name="经办", role="clerk", password=PASSWORD, section="预算科")
    users.login(book, "juzhang", PASSWORD)  # registrations are signed by the chief
    for code, name, fp, _folder in packages:
        counties.add_county(book, code=code, name=name, fingerprint=fp, password=PASSWORD)
    users.login(book, "jingban", PASSWORD)
    return book


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--runs", type=int, default=4, help="运行次数：最后一次跟踪内存，其余计时")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-prefecture-"))
    try:
        t = time.perf_counter()
        packages = make_packages(root, args.counties)
        print(f"生成 {len(packages)} 个县的报送包：{time.perf_counter() - t:.1f} s")
        totals, ones, peaks = [], [], []
        rechecks: list[tuple[float, float]] = []
        for run in range(args.runs):
            book = prefecture(root / f"地区{run}.db", packages)
            if run == args.runs - 1:
                tracemalloc.start()  # the last run only: tracing slows Python down, the timed runs are untraced
            t = time.perf_counter()
            for i, (_c, _n, _f, folder) in enumerate(packages):
                s = time.perf_counter()
                got = receive.receive(book, folder)  # type: ignore[arg-type]
                assert got.new and got.checks_ok, got.failed
                if i == 0:
                    ones.append(time.perf_counter() - s)
            c = consolidate.consolidate(book, "2026-09")  # type: ignore[arg-type]
            elapsed = time.perf_counter() - t
            if tracemalloc.is_tracing():
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            else:
                totals.append(elapsed)
            assert len(c.included) == len(packages)
            if run == 0:  # verify's re-check of every received package from its kept bytes (the insider's figures)
                s, cpu = time.perf_counter(), time.process_time()
                found = list(invariants.packages_recheck(book.conn))  # type: ignore[attr-defined]
                rechecks.append((time.perf_counter() - s, time.process_time() - cpu))
                assert not found, found
            book.close(backup=False)  # type: ignore[attr-defined]
            traced = f"（跟踪内存，计时不计入），Python 分配峰值 {peaks[-1] / 2**20:.0f} MB" if len(peaks) else ""
            print(f"第 {run + 1} 次：接收并汇总 {len(packages)} 个报送包 {elapsed:.2f} s，"
                  f"接收第一个 {ones[-1] * 1000:.0f} ms{traced}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{platform.python_implementation()} {platform.python_version()}，{os.cpu_count()} 核")
        print(f"接收并汇总 {len(packages)} 个报送包：中位数 {statistics.median(totals):.2f} s（目标 < 10 s）")
        print(f"接收一个报送包：中位数 {statistics.median(ones) * 1000:.0f} ms（目标 < 1 s）")
        print(f"内存峰值：Python 分配 {max(peaks) / 2**20:.0f} MB，进程最大常驻 {rss:.0f} MB（目标 < 500 MB）")
        wall, cpu = rechecks[0]
        print(f"核验：按保存的文件重新核对 {len(packages)} 个接收的报送包 {wall:.2f} s（CPU {cpu:.2f} s），"
              f"是接收并汇总的 {wall / statistics.median(totals):.2f} 倍")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
