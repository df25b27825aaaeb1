"""Run by the crash tests in a child process: keeps doing real operations until it is killed.

Usage: python -m tests.reliability.crash_child DB SCENARIO SEED
Each scenario performs whole operations in a loop and prints one line after each commit, so the
parent knows how many operations must have survived.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

from app.models import catalogue, holidays, users
from app.models.book import Book, open_book

PASSWORD = "secret-pass-1"
Scenario = Callable[[Book, random.Random, int], None]


def add_users(book: Book, rng: random.Random, n: int) -> None:
    users.add_user(book, login=f"u{n}x{rng.randrange(10**6)}", name=f"用户{n}", role="clerk", password=PASSWORD)


def calendar_years(book: Book, rng: random.Random, n: int) -> None:
    year = 2030 + n % 50
    days = [(f"{year}-01-01", "元旦")] + [(f"{year}-10-0{d}", "国庆节") for d in range(1, 8)]
    holidays.set_year(book, year=year, notice=f"国务院办公厅关于{year}年部分节假日安排的通知（第{n}次）",
                      holidays=days, workdays_=[])


def fund_items(book: Book, rng: random.Random, n: int) -> None:
    tag = f"{os.getpid() % 10_000:04d}{n:05d}"  # unique per child process and per operation
    catalogue.add_item(book, kind="ZH", code=f"ZH{tag}", name=f"整合项目{tag}")


SCENARIOS: dict[str, Scenario] = {
    "add_users": add_users,
    "calendar_years": calendar_years,
    "fund_items": fund_items,
}


def main(argv: list[str]) -> int:
    path, scenario, seed = Path(argv[0]), SCENARIOS[argv[1]], int(argv[2])
    rng = random.Random(seed)
    book = open_book(path)
    users.login(book, "chief", PASSWORD)
    n = 0
    while True:
        scenario(book, rng, n)
        n += 1
        print(n, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
