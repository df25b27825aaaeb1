"""The demo prefecture 示例地区: five small counties with different stories, built with the real operations and
real sign-offs, and a prefecture file that receives their September 2026 packages.

甲县 reports on time and clean; 乙县 reports late; 丙县's first package is returned and its 更正版 (v2) follows;
丁县's package is signed but fails the cross-checks (its program let an inconsistent 表3 through); 戊县's package
was altered after signing (its workbook edited on the way) and is refused. Deterministic: fixed clocks, fixed data
(the signatures differ between builds only through the keys, which are random by design).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from app.demo.common import PASSWORD, DemoClock, as_user
from app.export import signoff, stable
from app.models.ledger import indicators
from app.models.prefecture import counties as county_registry
from app.models.prefecture import receive as receiving
from app.models.prefecture import review
from app.models.prefecture.source import Refused
from app.models.reports import monthly
from app.models.reports.package_data import CHINA
from app.models.store import keys, setup, signature, users
from app.models.store.book import Book

MONTH = "2026-09"
PREFECTURE = {"bureau_name": "示例地区财政局", "region_code": "659900", "level": "prefecture"}
STAFF = [("jingban", "古丽娜尔·艾山", "clerk"), ("shenhe", "赵立新", "reviewer"), ("shenji", "孙静", "auditor")]


@dataclass(frozen=True)
class DemoCounty:
    code: str
    name: str
    story: str
    yuan: tuple[int, int]  # central and region money received in September
    signed: dt.datetime
    received: dt.datetime


COUNTIES = (
    DemoCounty("659911", "甲县", "on_time", (2_400_000, 800_000), dt.datetime(2026, 10, 12, 16), dt.datetime(2026, 10, 13, 10)),
    DemoCounty("659912", "乙县", "late", (1_800_000, 600_000), dt.datetime(2026, 10, 29, 17), dt.datetime(2026, 10, 30, 11)),
    DemoCounty("659913", "丙县", "corrected", (3_100_000, 500_000), dt.datetime(2026, 10, 14, 12), dt.datetime(2026, 10, 15, 9)),
    DemoCounty("659914", "丁县", "fails_checks", (1_200_000, 900_000), dt.datetime(2026, 10, 20, 15), dt.datetime(2026, 10, 21, 10)),
    DemoCounty("659915", "戊县", "altered", (2_000_000, 400_000), dt.datetime(2026, 10, 22, 15), dt.datetime(2026, 10, 23, 10)),
)
CORRECTED_SIGNED = dt.datetime(2026, 10, 26, 16)
CORRECTED_RECEIVED = dt.datetime(2026, 10, 27, 10)
FORWARDED = dt.datetime(2026, 10, 30, 16)


# -- a small county ---------------------------------------------------------------------------------------------
def build_county(path: Path, *, name: str, code: str, central_yuan: int, region_yuan: int, signed: dt.datetime,
                 month: str = MONTH) -> Book:
    """A county file with two September indicators, signed off for `month`; returned open as its chief."""
    clock = DemoClock(dt.datetime(2026, 9, 1, 9))
    book = setup.create(path, bureau_name=f"{name}财政局", region_code=code, level="county", chief_login="juzhang",
                        chief_name=f"{name}局长", chief_password=PASSWORD, clock=clock)
    users.add_user(book, login="jingban", name=f"{name}经办", role="clerk", password=PASSWORD, section="扶贫资金管理股")
    as_user(book, "jingban")
    day = dt.date(2026, 9, 8)
    clock.set(dt.datetime(2026, 9, 8, 10))
    indicators.register(book, doc_no=f"新财农〔2026〕{int(code) % 100}号", year=2026, kind="ZX", item="ZX01",
                        source_level="central", amount=central_yuan * 100, received_date=day,
                        upper_doc_date=dt.date(2026, 9, 1), prefecture_doc_date=dt.date(2026, 9, 4),
                        func_code="2130505", section="扶贫资金管理股", title="2026年第三批中央财政专项扶贫资金")
    clock.set(dt.datetime(2026, 9, 15, 10))
    indicators.register(book, doc_no=f"新财农〔2026〕{int(code) % 100 + 50}号", year=2026, kind="ZX", item="ZX03",
                        source_level="region", amount=region_yuan * 100, received_date=dt.date(2026, 9, 15),
                        upper_doc_date=dt.date(2026, 9, 9), prefecture_doc_date=dt.date(2026, 9, 11),
                        func_code="2130505", section="扶贫资金管理股", title="2026年自治区少数民族发展资金")
    as_user(book, "juzhang")
    clock.set(signed)
    return book


def sign(book: Book, out: Path, month: str = MONTH) -> Path:
    result = signoff.sign_off(book, month=month, out_dir=out, password=PASSWORD, comment="同意报送")
    return result.folder


def _edit_workbook(folder: Path, delta_yuan: int) -> Path:
    """Change 表3's first 期末结余 and its 合计 by `delta_yuan` in the package's workbook (what an edit in Excel does)."""
    from openpyxl import load_workbook

    path = next(folder.glob("*.xlsx"))
    wb = load_workbook(path)
    ws = wb["表3"]
    col = next(c.column for row in ws.iter_rows(max_row=12) for c in row if c.value == "期末结余")
    cells = [row[col - 1] for row in ws.iter_rows() if isinstance(row[col - 1].value, int | float)]
    for cell in (cells[1], cells[-1]):  # the first item row (after its group's subtotal) and the 合计
        cell.value = float(cell.value) + delta_yuan  # type: ignore[arg-type]
    buf = io.BytesIO()
    with stable.exact_decimals():
        wb.save(buf)
    # fixed document times: the demo builds the same edited workbook every time
    path.write_bytes(stable.stable_xlsx(buf.getvalue(), dt.datetime(2026, 10, 20, 15, tzinfo=CHINA)))
    return path


def resign_edited(book: Book, folder: Path) -> None:
    """丁县: the edited workbook is listed in a new manifest and signed with the chief's own key — a package that
    is properly signed and still inconsistent (as an altered or older program would let through)."""
    path = _edit_workbook(folder, 50_000)
    man_path = folder / "manifest.json"
    man = json.loads(man_path.read_text(encoding="utf-8"))
    data = path.read_bytes()
    for f in man["files"]:
        if f["name"] == path.name:
            f["sha256"], f["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    text = (json.dumps(man, ensure_ascii=False, sort_keys=True, indent=2, separators=(",", ": ")) + "\n").encode()
    man_path.write_bytes(text)
    assert book.user is not None
    signer = keys.unlock(book.conn, user_id=book.user.id, password=PASSWORD)
    sig_path = folder / signature.FILE_NAME
    body = json.loads(sig_path.read_text(encoding="utf-8"))
    body["manifest"]["sha256"] = hashlib.sha256(text).hexdigest()
    sig_path.write_bytes(signature.sign({k: v for k, v in body.items() if k != "signature"}, signer))


def fingerprint(book: Book) -> str:
    """The county chief's fingerprint as printed on the signed cover (what the prefecture registers)."""
    assert book.user is not None
    key = keys.active_key(book.conn, book.user.id)
    assert key is not None
    return keys.show(key.fingerprint)


# -- the prefecture -----------------------------------------------------------------------------------------------
def build(directory: Path | str) -> Path:
    """DIR/示例地区.db, DIR/县/<county>.db, DIR/报送包/<county packages> and DIR/上报/<the prefecture's signed
    package>; returns the prefecture file's path."""
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} 不是空文件夹")
    (root / "县").mkdir(parents=True, exist_ok=True)
    inbox = root / "报送包"
    inbox.mkdir()
    clock = DemoClock(dt.datetime(2026, 9, 1, 9))
    pref_path = root / "示例地区.db"
    pref = setup.create(pref_path, chief_login="juzhang", chief_name="马建华", chief_password=PASSWORD, clock=clock,
                        **PREFECTURE)
    try:
        for login, name, role in STAFF:
            users.add_user(pref, login=login, name=name, role=role, password=PASSWORD, section="预算科")
        packages: dict[str, list[Path]] = {}
        county_books: dict[str, Book] = {}
        for c in COUNTIES:
            cb = build_county(root / "县" / f"{c.name}.db", name=c.name, code=c.code, central_yuan=c.yuan[0],
                              region_yuan=c.yuan[1], signed=c.signed)
            county_books[c.code] = cb
            folder = sign(cb, inbox)
            if c.story == "fails_checks":
                resign_edited(cb, folder)
            elif c.story == "altered":
                _edit_workbook(folder, 1)
            packages[c.code] = [folder]
            as_user(pref, "juzhang")  # the chief checks the cover and signs the registration with the chief's key
            clock.set(dt.datetime(2026, 10, 8, 9))
            county_registry.add_county(pref, code=c.code, name=c.name, contact=f"{c.name}财政局扶贫股 0999-{c.code[-4:]}",
                                       fingerprint=fingerprint(cb), password=PASSWORD)
        events = sorted([(c.received, c.code) for c in COUNTIES] + [(CORRECTED_RECEIVED, "v2")])
        corrected = next(c for c in COUNTIES if c.story == "corrected")
        for when, code in events:
            clock.set(when)
            as_user(pref, "jingban")
            if code == "v2":  # 丙县's 更正版, signed after the return
                receiving.receive(pref, packages[corrected.code][1])
                continue
            c = next(x for x in COUNTIES if x.code == code)
            try:
                receiving.receive(pref, packages[c.code][0])
            except Refused:
                if c.story != "altered":
                    raise
                # 戊县: refused, as the demo shows; nothing was stored
            if c.story == "corrected":
                as_user(pref, "shenhe")
                clock.set(c.received + dt.timedelta(hours=3))
                pid = _latest(pref, c.code)
                assert pid is not None
                review.return_package(pref, pid, reason="表1 与指标文件核对，自治区资金到位数少记 10 万元，请核实更正后重新报送")
                cb = county_books[c.code]
                cb.clock.set(CORRECTED_SIGNED - dt.timedelta(hours=2))  # type: ignore[attr-defined]
                monthly.reopen(cb, month=MONTH, reason="地区财政局退回：自治区资金到位数少记，更正后重新报送",
                               password=PASSWORD)
                as_user(cb, "jingban")
                indicators.register(cb, doc_no=f"新财农〔2026〕{int(c.code) % 100 + 70}号", year=2026, kind="ZX",
                                    item="ZX03", source_level="region", amount=100_000_00,
                                    received_date=dt.date(2026, 9, 28), upper_doc_date=dt.date(2026, 9, 22),
                                    prefecture_doc_date=dt.date(2026, 9, 25), func_code="2130505",
                                    section="扶贫资金管理股", title="2026年自治区少数民族发展资金（追加）")
                as_user(cb, "juzhang")
                cb.clock.set(CORRECTED_SIGNED)  # type: ignore[attr-defined]
                packages[c.code].append(sign(cb, inbox))
        as_user(pref, "shenhe")
        clock.set(dt.datetime(2026, 10, 30, 14))
        for c in COUNTIES:
            pid = _latest(pref, c.code)
            if pid is None:
                continue
            if c.story == "fails_checks":
                review.return_package(pref, pid, reason="表3 期末结余与年初结余+累计收入−累计支出不符（勾稽第 2 条），请核实")
            else:
                review.set_opinion(pref, pid, opinion="经审核，报表数据完整，表间勾稽关系相符，同意汇总上报")
        as_user(pref, "juzhang")
        clock.set(FORWARDED)
        from app.export import prefecture as forwarding

        forwarding.forward(pref, month=MONTH, out_dir=root / "上报", password=PASSWORD,
                           comment="经审核，同意汇总上报；丁县报表勾稽不符已退回，待更正后补报")
        for cb in county_books.values():
            cb.close(backup=False)
    except BaseException:
        pref.close(backup=False)
        raise
    pref.close(backup=False)
    return pref_path


def _latest(book: Book, code: str) -> int | None:
    row = book.conn.execute("SELECT p.id FROM received_packages p JOIN counties c ON c.id = p.county_id "
                            "WHERE c.code = ? AND p.month = ? ORDER BY p.version DESC LIMIT 1", (code, MONTH)).fetchone()
    return int(row[0]) if row else None
