"""Shared fixtures: a fresh migrated bureau file per test, logged in as a chosen role; the demo county built once
per session, shared read-only, and copied for whoever uses it."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.demo import build as demo  # noqa: E402
from app.models.store import setup, users  # noqa: E402
from app.models.store.book import Book, open_book  # noqa: E402

PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True, scope="session")
def fast_scrypt() -> Iterator[None]:
    """Production hashes at scrypt N=2**17 (~1 s each); the suite creates hundreds of users, so it hashes at
    2**14. Only here: the shipped default stays (test_hostile_world checks it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "SCRYPT_N", 2**14)
        yield


@pytest.fixture(autouse=True)
def _gc_on_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test with a Qt application runs under the window's rule (app/ui/shell/collector.py): Python's cyclic
    collector on the GUI thread only. Left automatic, a collection can start in an operation's worker and free a
    Qt object a finished test left in a reference cycle there — a crash seen once in CI (a segfault inside a plan
    import's worker). Other tests keep automatic collection, so what they measure of memory stays as it was."""
    if "qapp" not in request.fixturenames:
        yield
        return
    from app.ui.shell import collector

    guard = collector.install(request.getfixturevalue("qapp"))
    gc.disable()
    yield  # the UI conftest's habits (torn down first) have waited for the operations the test left running
    guard.check()  # here, on the main thread: what Python would have collected by now
    gc.enable()


class FixedClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 20, 10, 0, 0))


@pytest.fixture
def book(tmp_path: Path, clock: FixedClock) -> Iterator[Book]:
    """A new county bureau with one user per role; logged in as the chief."""
    b = setup.create(tmp_path / "bureau.db", bureau_name="测试县财政局", region_code="659902", level="county",
                     chief_login="chief", chief_name="局长甲", chief_password=PASSWORD, clock=clock)
    for login, role in (("clerk", "clerk"), ("clerk2", "clerk"), ("reviewer", "reviewer"), ("auditor", "auditor")):
        users.add_user(b, login=login, name=f"{role}-用户", role=role, password=PASSWORD, section="扶贫资金管理股")
    yield b
    b.close(backup=False)


def login_as(book: Book, login: str) -> Book:
    users.login(book, login, PASSWORD)
    return book


def post_plan_notice(book: Book, project_id: int, day: dt.date, *, level: str = "township") -> int:
    """The project's plan notice (项目计划安排) on the board from `day`, recorded as the clerk (then back to whoever was
    logged in): the 事前公示 a payment needs once it has been up the rule set's minimum days (issue #18)."""
    from app.models.notices import records as notices

    before = book.user.login if book.user else None
    login_as(book, "clerk")
    try:
        draft = notices.draft(book, kind="project_plan", level=level, object_type="project", object_id=project_id, on=day)
        content = {k: v or "不适用" for k, v in draft["content"].items()}
        return notices.record_notice(book, kind="project_plan", level=level, object_type="project",
                                     object_id=project_id, title=draft["title"], place="board", content=content,
                                     start_date=day, publisher=draft["publisher"])
    finally:
        if before and before != "clerk":
            login_as(book, before)


# -- the demo county: built once per session (~30 s), shared read-only, copied by each test that uses it ----------

_SHARED: dict[Path, str] = {}  # a file the whole session shares -> the sha256 of its bytes when it was made


def share_read_only(path: Path) -> Path:
    """Make `path` a file the session shares: read-only on disk (chmod 0o444: SQLite cannot open it for writing, for
    anyone but root) and its digest kept, checked on every `writable_copy` of it and when the session ends."""
    os.chmod(path, 0o444)
    _SHARED[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return path


def check_unchanged(path: Path, data: bytes | None = None) -> None:
    digest = hashlib.sha256(path.read_bytes() if data is None else data).hexdigest()
    assert digest == _SHARED[path], f"the shared read-only file {path} was changed in place by a test: copy it first"


def writable_copy(src: Path, dest: Path) -> Path:
    """`src`'s bytes at `dest`, a file the test may write (shutil.copy/copy2 would carry a shared file's 0o444 along).
    A shared `src` is checked first: a test that changed it in place fails the next test that copies it."""
    data = Path(src).read_bytes()
    if Path(src) in _SHARED:
        check_unchanged(Path(src), data)
    Path(dest).write_bytes(data)
    return Path(dest)


def file_made_before(step: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     *fills: Callable[[sqlite3.Connection], None]) -> Path:
    """A file as the program before schema `step` made it: the bureau and a chief ('chief', PASSWORD) in one
    transaction, then each of `fills` in a transaction of its own (audited as the system). The program's own schema
    is put back before returning: the next open upgrades the file."""
    from app.models.store import db

    old_schema = tmp_path / f"schema-before-{step}"
    old_schema.mkdir()
    for p in sorted(db.SCHEMA_DIR.glob("*.sql")):
        if int(p.name[:4]) < step:
            (old_schema / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    real = db.SCHEMA_DIR
    monkeypatch.setattr(db, "SCHEMA_DIR", old_schema)
    path = tmp_path / "old.db"
    b = open_book(path, create=True)
    try:
        with b.write("setup", system=True) as c:
            c.execute("INSERT INTO bureau (id, name, region_code, level, rule_set, created_at) "
                      "VALUES (1, '旧县财政局', '659902', 'county', 'xj-2019', '2026-01-01')")
            c.execute("INSERT INTO users (login, name, role, pw_hash, created_at) VALUES ('chief', '局长', 'chief', ?, "
                      "'2026-01-01')", (users.hash_password(PASSWORD),))
        for fill in fills:
            with b.write("setup", system=True) as c:
                fill(c)
    finally:
        b.close(backup=False)
        monkeypatch.setattr(db, "SCHEMA_DIR", real)
    return path


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The pristine demo county, built once per session and shared read-only: open it read-only or copy it first
    (`writable_copy`; per module where a module keeps state, per test where a test writes)."""
    path = share_read_only(demo.build(tmp_path_factory.mktemp("demo") / "示例县.db"))
    yield path
    check_unchanged(path)


@pytest.fixture
def demo_book(demo_file: Path, tmp_path: Path) -> Iterator[Book]:
    """A fresh copy of the demo county on 2026-11-25 09:00, logged in as the chief (juzhang)."""
    b = open_book(writable_copy(demo_file, tmp_path / "示例县.db"))
    b.clock = FixedClock(dt.datetime(2026, 11, 25, 9, 0))
    users.login(b, "juzhang", demo.PASSWORD)
    yield b
    if not b.closed:
        b.close(backup=False)
