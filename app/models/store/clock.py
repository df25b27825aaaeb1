"""Which day it is for an open file: the real clock, or the demo county's stated 今天.

Every date-dependent computation (warnings, deadlines, the dashboard, overdue months, 首次发现) asks
`book.today()` / `book.now()`; this module decides, once when the file is opened, what that clock is.

The demo file carries a `demo_clock` row (schema/0018): a fixed day, so the demo tells the same story on any
real date. Such a row is an attack on a real file: an insider with sqlite3 could add one to stop deadlines
passing. So the row is honoured only when the file is the demo in every respect —
  * the bureau is the demo's (名称 示例县财政局, 行政区划代码 659901, a code no real county has);
  * the row is signed with the chief's active signing key (its private half is sealed under the chief's
    password: whoever has only the file cannot sign, and a row copied from another file names another key);
  * every sign-off in the file was made with that same key (a file with a real bureau's sign-offs is not
    the demo, whatever its name says).
Anything else: the row is ignored, the real clock runs, and `verify` reports it (`check`). A file that passes
is shown as the demo everywhere: the window title, the status bar, the login and start screens and the first
line of `verify`'s output.

What this cannot stop, and why that is no dodge: the demo's signing key is public (its password is demo1234),
so an insider who renames the bureau to 示例县财政局 / 659901, plants that key and rewrites the sign-offs to name it
does get the fixed day. But the file is then the demo: it says so in every title and report, every package it
signs goes upward as 示例县财政局 659901 (a county no prefecture has registered, so its real months stay
overdue there), and `verify` fails on the rewritten rows (audit chain, signatures). Tested in
tests/e2e/test_demo_day.py, with each narrower attack that the layers above stop one by one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from app.models.store import keys
from app.models.store.audit import Finding

DEMO_NAME = "示例县财政局"
DEMO_REGION = "659901"  # 6599xx is the autonomous region's directly-administered cities; 659901 is not one
TAG = "fundledger-demo-clock"


def statement(*, today: str, bureau_name: str, region_code: str, fingerprint: str) -> bytes:
    """The bytes the demo chief signs: the day, the bureau it is for and the key signing it."""
    return f"{TAG}|{today}|{bureau_name}|{region_code}|{fingerprint}".encode()


class FixedDay:
    """The demo's clock: always the stated day, with the real time of day (so stamps still order within a day)."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.datetime.now().time().replace(microsecond=0))


@dataclass(frozen=True)
class Verdict:
    day: dt.date | None  # the stated day when honoured, else None
    problem: str  # why a row present is not honoured ("" when honoured or absent)


def judge(conn: sqlite3.Connection) -> Verdict:
    """Whether this file's demo_clock row (if any) is honoured, and if not, why."""
    try:
        row = conn.execute("SELECT today, bureau_name, region_code, key_fingerprint, signature "
                           "FROM demo_clock WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return Verdict(None, "")  # a file older than schema 18 (opened read-only before upgrading): no demo clock
    if row is None:
        return Verdict(None, "")
    today, name, region, fp, sig = (str(v) for v in row)
    bureau = conn.execute("SELECT name, region_code FROM bureau WHERE id = 1").fetchone()
    if bureau is None or (str(bureau[0]), str(bureau[1])) != (DEMO_NAME, DEMO_REGION) or (name, region) != (
            DEMO_NAME, DEMO_REGION):
        return Verdict(None, "本文件不是示例县（单位名称或行政区划代码不是示例县的），其中的“演示日期”记录不生效，"
                             "按真实日期计算")
    chief_keys = conn.execute(
        "SELECT k.algorithm, k.public_key FROM signing_keys k JOIN users u ON u.id = k.user_id "
        "WHERE k.retired_at IS NULL AND k.fingerprint = ? AND u.role = 'chief'", (fp,)).fetchall()
    try:
        signature = bytes.fromhex(sig)
        day = dt.date.fromisoformat(today)
    except ValueError:
        return Verdict(None, "“演示日期”记录的日期或签名格式不正确，不生效，按真实日期计算")
    data = statement(today=today, bureau_name=name, region_code=region, fingerprint=fp)
    if not any(keys.verify_signature(str(a), str(pub), data, signature) for a, pub in chief_keys):
        return Verdict(None, "“演示日期”记录的签名与本文件局长的签名密钥不符（记录是伪造的或从别的文件复制来的），"
                             "不生效，按真实日期计算")
    other = conn.execute("SELECT count(*) FROM signoffs WHERE instr(signature, ?) = 0", (fp,)).fetchone()[0]
    if other:
        return Verdict(None, f"本文件有 {other} 次签发不是用示例县的签名密钥签的（是真实单位的文件），"
                             "“演示日期”记录不生效，按真实日期计算")
    return Verdict(day, "")


def install(book: object) -> None:
    """Set an opened book's clock: the demo's fixed day when its row is honoured, else leave the real clock."""
    verdict = judge(book.conn)  # type: ignore[attr-defined]
    book.demo_day = verdict.day  # type: ignore[attr-defined]
    book.clock_problem = verdict.problem  # type: ignore[attr-defined]
    if verdict.day is not None:
        book.clock = FixedDay(verdict.day)  # type: ignore[attr-defined]


def label(day: dt.date) -> str:
    """How the demo's day is shown: the window title, the status bar, the start screen, verify."""
    return f"示例县 · 演示日期 {day.isoformat()}"


def stamp(conn: sqlite3.Connection, signer: keys.Signer, *, today: dt.date) -> None:
    """Write the demo's stated day (inside the caller's write), signed with the demo chief's unlocked key."""
    bureau = conn.execute("SELECT name, region_code FROM bureau WHERE id = 1").fetchone()
    name, region = str(bureau[0]), str(bureau[1])
    if (name, region) != (DEMO_NAME, DEMO_REGION):
        raise ValueError("only the demo county has a demo clock")
    fp = signer.key.fingerprint
    data = statement(today=today.isoformat(), bureau_name=name, region_code=region, fingerprint=fp)
    conn.execute("INSERT OR REPLACE INTO demo_clock (id, today, bureau_name, region_code, key_fingerprint, signature) "
                 "VALUES (1, ?, ?, ?, ?, ?)", (today.isoformat(), name, region, fp, signer.sign(data).hex()))


def check(conn: sqlite3.Connection) -> Iterator[Finding]:
    """verify: a demo_clock row on a file that is not the demo is a problem (someone tried to stop the clock)."""
    verdict = judge(conn)
    if verdict.problem:
        yield Finding("演示日期", "demo_clock", verdict.problem)
