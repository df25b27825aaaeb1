"""The demo prefecture, built once per test session (about 12 s), copied for each test that writes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import prefecture as demo
from app.models.store import users
from app.models.store.book import Book, open_book

PASSWORD = "demo1234"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-prefecture")
    demo.build(root / "示例地区")
    return root / "示例地区"


@pytest.fixture
def work(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the whole demo folder (files, county files, packages)."""
    dest = tmp_path / "demo"
    shutil.copytree(demo_dir, dest)
    return dest


@pytest.fixture
def pref(work: Path) -> Iterator[Book]:
    book = open_book(work / "示例地区.db")
    users.login(book, "jingban", PASSWORD)
    yield book
    book.close(backup=False)


def package(work: Path, county: str, version: int = 1) -> Path:
    return next((work / "报送包").glob(f"{county}财政局_2026-09_v{version}"))


def counts(book: Book) -> tuple[int, ...]:
    """Everything a refusal must leave as it was."""
    return tuple(int(book.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                 for t in ("audit_log", "received_packages", "received_files", "package_blobs", "counties"))
