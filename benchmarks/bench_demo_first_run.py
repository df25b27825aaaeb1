"""Benchmark: the demo county's first run (target ≤ 5 s), timed from outside by `farm-bench`.

One run does what the window does on a first "打开示例县": the demo file made in an empty data folder (copied from
the ready-made one, or with FRESH=1 built), opened as the window opens files (check="deferred"), the chief logged
in, the dashboard's figures read, closed. It prints nothing; `farm-bench` measures the whole process:

    PYTHONPATH=$PWD python -c "from pathlib import Path; from app.demo import prebuilt; prebuilt.prepare(Path('resources/demo'))"
    farm-bench -n 5 -- python benchmarks/bench_demo_first_run.py /tmp/fb/a
    farm-bench -n 3 --warmup 0 -- sh -c 'FRESH=1 python benchmarks/bench_demo_first_run.py /tmp/fb/f'

The folder given is emptied first. Figures: docs/性能.md, "示例县第一次打开".
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.demo import build as demo  # noqa: E402
from app.demo import prebuilt  # noqa: E402
from app.models.store import users  # noqa: E402
from app.models.store.book import open_book  # noqa: E402
from app.models.warnings import dashboard  # noqa: E402


def main(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "示例县.db"
    if os.environ.get("FRESH"):
        demo.build(path)
    else:
        _path, copied = prebuilt.make(path)
        if not copied:
            raise SystemExit("没有可用的现成示例县（resources/demo）：先运行 prebuilt.prepare，否则测的是生成")
    book = open_book(path, check="deferred")
    users.login(book, "juzhang", demo.PASSWORD)
    dashboard.overview(book)
    book.close(backup=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
