"""The demo county's people and payees: households with valid ID numbers (region 6599xx), bank cards,
enterprises with USCCs, and real-name lists written as the .xlsx files a township would send."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Any

from app.demo.payments_data import ENTERPRISES, FATHER, GIVEN, HAN, OLD_CODE, TOWNS
from app.models.plan import payees
from app.models.store.book import Book
from app.models.values import ids


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    village: str
    account: str


def people(rng: random.Random, per_village: int = 48) -> dict[str, list[Person]]:
    """Households per township, deterministic; every ID passes GB 11643 and is unique."""
    out: dict[str, list[Person]] = {}
    serial = 0
    for t, (town, villages) in enumerate(TOWNS.items()):
        pool: list[Person] = []
        for v, village in enumerate(villages):
            for _ in range(per_village):
                serial += 1
                born = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                body = f"6599{t + 1:02d}{born}{serial % 1000:03d}"
                if rng.random() < 0.85:
                    name = f"{rng.choice(GIVEN)}·{rng.choice(FATHER)}"
                else:
                    name = rng.choice(HAN)
                account = f"6217{t + 1:02d}{v + 1:02d}{serial:011d}"
                pool.append(Person(name, body + ids.id_check_char(body), village, account))
        out[town] = pool
    return out


def enterprise_payees(book: Book) -> list[int]:
    """Register the demo's enterprises, 个体工商户 and institutions; returns their ids in ENTERPRISES order."""
    out = []
    for n, (name, ptype, prefix, account, bank) in enumerate(ENTERPRISES, start=1):
        body = f"{prefix}{n:06d}"[:17].ljust(17, "0")
        code = body + ids.uscc_check_char(body)
        if name == OLD_CODE:  # a genuine old code whose check character does not compute
            code = body + next(c for c in "0123456789" if c != code[-1])
        got = payees.create_payee(book, payee_type=ptype, name=name, id_code=code, account_no=account, bank=bank,
                                  note="早期登记的个体工商户，代码以营业执照原件为准" if name == OLD_CODE else "")
        out.append(int(got["id"]))
    return out


def household_payees(book: Book, pool: list[Person], n: int) -> list[int]:
    """A few 建档立卡户 registered as payees themselves (paid individually, list of one)."""
    out = []
    for person in pool[:n]:
        got = payees.create_payee(book, payee_type="poor_household", name=person.name, id_code=person.id_number,
                                  account_no=person.account, bank="新疆农村信用社示例县联社", village=person.village)
        out.append(int(got["id"]))
    return out


def roster(rng: random.Random, pool: list[Person], target_fen: int, low: int, high: int,
           village: str = "") -> list[tuple[Any, ...]]:
    """Rows (姓名, 身份证号, 村, 金额, 账号) adding up to at most `target_fen`, amounts in whole hundreds of 元;
    per-person amounts are raised when the list would otherwise need more people than the pool has."""
    chosen = [p for p in pool if not village or p.village == village] or pool
    if len(chosen) < 20:
        chosen = pool
    mean = (low + high) / 2 * 100
    scale = max(1.0, target_fen / mean / max(len(chosen) * 0.8, 1))
    lo, hi = int(low * scale) // 100, max(int(high * scale) // 100, int(low * scale) // 100 + 1)
    people_ = rng.sample(chosen, len(chosen))
    rows: list[tuple[Any, ...]] = []
    total = 0
    for p in people_:
        amount = rng.randint(lo, hi) * 100 * 100  # fen, whole hundreds of 元
        if total + amount > target_fen:
            amount = (target_fen - total) // 10_000 * 10_000
            if amount < lo * 100 * 100:
                break
        rows.append((p.name, p.id_number, p.village, f"{amount // 100}", p.account))
        total += amount
    return rows


def xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "名册"
    ws.append(["姓名", "身份证号", "村", "金额（元）", "账号"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def total(rows: list[tuple[Any, ...]]) -> int:
    return sum(int(r[3]) * 100 for r in rows)
