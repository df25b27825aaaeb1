"""The demo county's 公告公示: most duties met, some missing, some posted too briefly, a few still up,
with photos of the boards, and people's feedback with its handling — so every state can be seen.

Deterministic: the choices follow a seeded generator over the obligations in their stable order.
Runs after the plan and payments exist (it reads `notice_obligations`, the source of W7).
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from typing import Any

from app.models.notices import obligations as ob
from app.models.notices import records as notices
from app.models.store.book import Book

END = dt.date(2026, 11, 20)
# Share of duties recorded, per kind: the rest stay missing (缺失) in the demo.
RECORDED = {"allocation": 0.8, "project_plan": 0.8, "fund_use": 0.6, "real_name": 0.75}
FEEDBACK = [
    ("村民 买买提·阿不都拉", "来访", "询问本村圈舍建设项目何时开工、本户能否参加务工", "已向其说明开工时间和务工报名方式，已登记报名"),
    ("匿名", "12317 转办", "反映公示的受益户名单中有一户已搬离本村", "经乡村核实，该户户籍仍在本村且符合条件，已向反映人说明"),
    ("村民 古丽米热·吐尔逊", "电话", "反映到户补助名册中本人姓名有错别字", "已核对身份证并更正名册，重新张贴"),
    ("村民 王建华", "来访", "建议公示栏增加维吾尔文版本", ""),
]


def png(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """A small real PNG (a board photo stand-in) written without Qt: models never import it."""
    rng = random.Random(seed)
    base = (rng.randrange(90, 200), rng.randrange(120, 220), rng.randrange(90, 200))
    rows = []
    for y in range(height):
        line = bytearray([0])
        for x in range(width):
            board = 16 <= x < width - 16 and 10 <= y < height - 10
            line += bytes((250, 250, 245) if board and (y // 6) % 2 else (base if not board else (235, 235, 225)))
        rows.append(bytes(line))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _plan(rng: random.Random, duty: ob.Obligation) -> dict[str, Any] | None:
    """How (and whether) the demo county met one duty."""
    if rng.random() >= RECORDED.get(duty.kind, 0.7):
        return None
    if duty.level == "county":
        start = min(duty.since + dt.timedelta(days=rng.randint(1, 8)), END)
        return {"place": "website", "start": start, "end": None}
    start = duty.since + dt.timedelta(days=rng.randint(1, 6))
    roll = rng.random()
    if start > END - dt.timedelta(days=3) or roll < 0.08:  # still up: posted a few days ago, no end yet
        return {"place": "board", "start": END - dt.timedelta(days=rng.randint(1, 6)), "end": None}
    if roll < 0.22:  # taken down too early
        return {"place": "board", "start": start, "end": min(start + dt.timedelta(days=rng.randint(3, 7)), END)}
    place = "site" if duty.kind == "project_plan" and roll > 0.85 else "board"
    end = start + dt.timedelta(days=rng.randint(10, 20))
    if end > END:
        return {"place": place, "start": start, "end": None}
    return {"place": place, "start": start, "end": end}


def notices_step(book: Book, clock: Any) -> None:
    """Record the demo county's notices as the clerk jingban, each on the day it went up (as of 2026-11-20)."""
    from app.demo.common import as_user

    as_user(book, "jingban")
    clock.set(dt.datetime(2026, 11, 20, 14, 0, 0))
    rng = random.Random(20261120)
    duties = sorted(ob.obligations(book, as_of=END), key=lambda o: o.key)
    recorded: list[tuple[int, dt.date]] = []
    for n, duty in enumerate(duties):
        if duty.object_type == "year":
            continue  # the county's plan notices (项目库, 年度计划): recorded by app/demo/claims.py
        how = _plan(rng, duty)
        if how is None:
            continue
        draft = notices.draft(book, kind=duty.kind, level=duty.level, object_type=duty.object_type,
                              object_id=duty.object_id, on=how["start"])
        place = how["place"]
        content = {k: v or "不适用" for k, v in draft["content"].items()}  # the clerk fills what the plan left empty
        location = draft["location"] if place == draft["place"] else {
            "site": f"项目实施地点（{duty.township}{duty.village}）", "board": "公示栏"}.get(place, draft["location"])
        photos = [] if rng.random() < 0.15 else [(f"公示照片_{n + 1:03d}.png", png(seed=n))]
        _at(clock, how["start"], 14, n)  # recorded the day it went up, not when the builder got here
        notice_id = notices.record_notice(
            book, kind=duty.kind, level=duty.level, object_type=duty.object_type, object_id=duty.object_id,
            title=draft["title"], place=place, start_date=how["start"], end_date=how["end"],
            publisher=draft["publisher"], content=content, location=location, evidence=photos)
        recorded.append((notice_id, how["start"]))
    _feedback(book, clock, rng, recorded)
    clock.set(dt.datetime(2026, 11, 20, 14, 0, 0))


def _at(clock: Any, day: dt.date, hour: int, n: int) -> None:
    clock.at(dt.datetime.combine(day, dt.time(hour, n % 60)))


def _feedback(book: Book, clock: Any, rng: random.Random, recorded: list[tuple[int, dt.date]]) -> None:
    """A few people wrote in; most were answered, one is still open."""
    boards = [(nid, start) for nid, start in recorded if notices.get(book, nid)["level"] != "county"]
    for (person, channel, content, handling), (notice_id, start) in zip(
            FEEDBACK, rng.sample(boards, min(len(FEEDBACK), len(boards))), strict=False):
        received = min(start + dt.timedelta(days=rng.randint(1, 4)), END)
        _at(clock, received, 11, notice_id)
        fid = notices.add_feedback(book, notice_id=notice_id, received_date=received, person=person,
                                   channel=channel, content=content)
        if handling:
            _at(clock, min(received + dt.timedelta(days=3), END), 16, notice_id)
            notices.handle_feedback(book, feedback_id=fid, handled_date=min(received + dt.timedelta(days=3), END),
                                    handling=handling)
