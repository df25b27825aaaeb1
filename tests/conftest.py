"""Shared fixtures: a fresh migrated bureau file per test, logged in as a chosen role."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.models.store import setup, users  # noqa: E402
from app.models.store.book import Book  # noqa: E402

PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True, scope="session")
def fast_scrypt() -> Iterator[None]:
    """Production hashes at scrypt N=2**17 (~1 s each); the suite creates hundreds of users, so it hashes at
    2**14. Only here: the shipped default stays (test_hostile_world checks it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "SCRYPT_N", 2**14)
        yield


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

