"""Receiving a lower bureau's signed package (county → prefecture; prefecture → region: the same code).

Everything is checked before anything is stored, and a refusal stores nothing:
every file against manifest.json; 签名.json valid, over this manifest, and made with the key fingerprint this
bureau registered for the sender; the sender's 区划代码 registered here and its level the one below ours; the
month ended; the version; the program and report-definition versions readable here; the nine tables re-read
from the workbook (stored values, no formulas). The cross-checks (REPORTS.md 1–7) are run on what was read and
kept with the package: a package that fails them is received — signed is signed — and shown as failing, for the
reviewer to return. Bytes are kept content-addressed; the same package twice changes nothing; another package
claiming the same sender, month and version is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import __version__
from app.models.prefecture import checks, counties, source, tables
from app.models.prefecture.source import Refused
from app.models.reports import definitions
from app.models.store import periods, signature
from app.models.store.book import Book
from app.models.values.errors import AppError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Received:
    package_id: int
    county: str
    month: str
    version: int
    new: bool  # False: the same package was already here, nothing changed
    checks_ok: bool
    failed: tuple[str, ...]  # the cross-checks that failed, as "第 n 条 …：detail"
    label: str

    def summary(self) -> str:
        what = f"{self.county} {self.month} 第 {self.version} 版（{self.label}）"
        if not self.new:
            return f"{what}：此前已接收，内容相同，未作改动"
        if self.checks_ok:
            return f"{what}：已接收，文件、签名与表间勾稽关系均已核对通过"
        return f"{what}：已接收，但表间勾稽关系未通过（{'；'.join(self.failed)}），请审核后退回"


def package_digest(files: Mapping[str, bytes]) -> str:
    """One hash for the whole package: SHA-256 over the sorted "name sha256" lines of every file."""
    return digest_of_hashes({name: hashlib.sha256(data).hexdigest() for name, data in files.items()})


def digest_of_hashes(hashes: Mapping[str, str]) -> str:
    lines = "".join(f"{name}\t{sha}\n" for name, sha in sorted(hashes.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def _version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(text).split("."))
    except ValueError:
        return (10**9,)


def _level(book: Book) -> str:
    return str(book.conn.execute("SELECT level FROM bureau WHERE id = 1").fetchone()[0])


@dataclass(frozen=True)
class Checked:
    """A package that passed every check that refuses, with what was read from it."""

    label: str
    files: dict[str, bytes]
    digest: str
    county: counties.County
    manifest: dict[str, Any]
    sig: signature.Parsed
    tables: dict[str, Any]
    results: list[checks.Result]
    level: str


def check(book: Book, path: Path | str) -> Checked:
    """Read and check a package without storing anything; raises Refused naming the file and the reason."""
    label, files = source.read(path)
    return check_files(book, label, files)


def check_files(book: Book, label: str, files: dict[str, bytes]) -> Checked:
    pkg = f"报送包 {label}"
    mine = _level(book)
    lower = tables.lower_level(mine)
    if lower is None:
        raise Refused("本文件是县级单位，不接收报送包（报送包由地州级或自治区级文件接收）", field="单位级次")
    if MANIFEST not in files:
        raise Refused(f"{pkg}：缺少 {MANIFEST}，不是完整的报送包", field="报送包")
    try:
        man = json.loads(files[MANIFEST])
        listed = {str(f["name"]): str(f["sha256"]) for f in man["files"]}
        month, version = str(man["month"]), int(man["version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{pkg}/{MANIFEST}：无法读取（{exc}）", field="报送包") from exc
    level = str(man.get("bureau_level", ""))
    if level != lower:
        raise Refused(f"{pkg}：是{tables.LEVEL_NAMES.get(level, level)}单位的报送包，本文件（"
                      f"{tables.LEVEL_NAMES.get(mine, mine)}）只接收{tables.LEVEL_NAMES[lower]}单位的报送包", field="报送包")
    for name in sorted(set(files) - set(listed) - {MANIFEST, signature.FILE_NAME}):
        raise Refused(f"{pkg}/{name}：{MANIFEST} 中没有这个文件，是签发之后加入的", field="报送包")
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise Refused(f"{pkg}/{name}：文件缺失（{MANIFEST} 中列有此文件）", field="报送包")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Refused(f"{pkg}/{name}：内容与 {MANIFEST} 记录的 SHA-256 不符，文件在签发之后被改动过", field="报送包")
    if signature.FILE_NAME not in files:
        raise Refused(f"{pkg}：缺少 {signature.FILE_NAME}，没有局长签名的报送包不能接收", field="报送包")
    try:
        doc = signature.parse(files[signature.FILE_NAME], where=pkg)
    except AppError as exc:
        raise Refused(f"{pkg}/{signature.FILE_NAME}：{exc}", field="报送包") from exc
    d = doc.doc
    if not doc.valid():
        raise Refused(f"{pkg}/{signature.FILE_NAME}：签名与其内容不符，签名文件被改动过，或不是用其所记公钥签的",
                      field="报送包")
    if d["manifest"].get("sha256") != hashlib.sha256(files[MANIFEST]).hexdigest():
        raise Refused(f"{pkg}/{MANIFEST}：清单与签名不符，清单在签名之后被改动过", field="报送包")
    if (str(d["month"]), int(d["version"])) != (month, version) or \
            (man.get("signing_key") or {}).get("fingerprint") != doc.fingerprint:
        raise Refused(f"{pkg}：签名文件与清单不是同一次签发的（月份、版本或密钥指纹不同）", field="报送包")
    code = str((d.get("bureau") or {}).get("region_code", ""))
    county = counties.by_code(book, code)
    if county is None or not county.active:
        raise Refused(f"{pkg}：单位 {d['bureau'].get('name')}（区划代码 {code}）不是本单位登记的下级单位，"
                      "请先在“县区”中登记", field="报送包")
    if not county.fingerprint:
        raise Refused(f"{pkg}：尚未登记 {county.name} 局长签名密钥的指纹。报送包的签名指纹为 "
                      f"{counties.County(0, '', '', '', doc.fingerprint, None, True).printed}，请与该县签发封面上印的"
                      "指纹核对后登记", field="报送包")
    if not doc.fingerprint.startswith(county.fingerprint):
        raise Refused(f"{pkg}/{signature.FILE_NAME}：签名所用密钥的指纹 "
                      f"{counties.County(0, '', '', '', doc.fingerprint, None, True).printed} 不是本单位为 {county.name} "
                      f"登记的 {county.printed}，签名不能认可（如该县局长更换了密钥，请核对新封面后重新登记）",
                      field="报送包")
    unsigned = counties.registration_problem(book, county)
    if unsigned:
        raise Refused(f"{pkg}：{county.name} 登记的签名密钥指纹 {county.printed} 没有有效的局长签名登记（{unsigned}）。"
                      "请局长核对该县签发封面上印的指纹后，在“县区”中重新登记（局长用自己的密码签名）", field="报送包")
    try:
        periods.parse_month(month)
    except AppError as exc:
        raise Refused(f"{pkg}：月份 {month!r} 无效", field="报送包") from exc
    _start, end = periods.bounds(book, month)
    if book.today() <= end:
        raise Refused(f"{pkg}：{month} 的统计期到 {end.isoformat()} 才结束，尚未结束的月份不能报送", field="报送包")
    if version < 1:
        raise Refused(f"{pkg}：版本号 {version} 无效", field="报送包")
    program = d.get("program") or {}
    if _version_tuple(str(program.get("version", ""))) > _version_tuple(__version__):
        raise Refused(f"{pkg}：由较新版本的程序（{program.get('name')} {program.get('version')}）生成，本程序为 "
                      f"FundLedger {__version__}，请升级后再接收", field="报送包")
    defs = tables.defs_for_sender(level)
    report = man.get("report") or {}
    if report.get("id") != defs.id or report.get("version") != definitions.load().version:
        raise Refused(f"{pkg}：报表定义为 {report.get('id')} {report.get('version')}，本程序使用 {defs.id} "
                      f"{definitions.load().version}，表格不能按同一定义核对", field="报送包")
    if man.get("templates"):
        raise Refused(f"{pkg}：部分表格填入了自治区模板，本程序只能核对标准格式的工作簿", field="报送包")
    workbook = [n for n in listed if n.endswith(".xlsx")]
    if len(workbook) != 1:
        raise Refused(f"{pkg}：应恰有一个工作簿（.xlsx），实际有 {len(workbook)} 个", field="报送包")
    try:
        read = tables.read_workbook(files[workbook[0]], defs, name=f"{pkg}/{workbook[0]}")
    except AppError as exc:
        raise Refused(str(exc), field="报送包") from exc
    start, end = periods.bounds(book, month)
    period = (str((man.get("period") or {}).get("start", start.isoformat())),
              str((man.get("period") or {}).get("end", end.isoformat())))
    results = checks.run(read, defs, level=level, period=period)
    results.append(chain_continuity(book.conn, county.id, doc))
    return Checked(label, files, package_digest(files), county, man, doc, read, results, level)


def _marks(doc: dict[str, Any]) -> dict[int, str]:
    marks = doc.get("checkpoints") or {}
    step = int(marks.get("step") or 0)
    return {(i + 1) * step: str(h) for i, h in enumerate(marks.get("hashes") or [])} if step else {}


def chain_continuity(conn: sqlite3.Connection, county_id: int, doc: signature.Parsed, *,
                     before_id: int | None = None) -> checks.Result:
    """第 8 条: the sender's audit chain, as this package's signed checkpoints show it, is the chain the packages
    received from it before showed — up to their heads. A county that rewrote its history between two packages
    cannot make the checkpoints agree (each package anchors the ones before). `before_id`: only the packages
    received before that one (verify re-running the check as it ran when that package arrived)."""
    name = "审计链与此前收到的该单位报送包一致"
    new_marks = _marks(doc.doc)
    new_seq, new_hash = doc.head
    rows = conn.execute(
        "SELECT p.month, p.version, p.audit_seq, p.audit_hash, b.data, p.checks FROM received_packages p "
        "JOIN received_files f ON f.package_id = p.id AND f.name = ? JOIN package_blobs b ON b.sha256 = f.sha256 "
        "WHERE p.county_id = ? AND p.id < ? ORDER BY p.audit_seq",
        (signature.FILE_NAME, county_id, before_id if before_id is not None else 2**62)).fetchall()
    # only the packages that passed this check themselves are references: one that failed it (a forgery received
    # and shown as failing) would otherwise make every later genuine package fail
    rows = [r for r in rows if not any(c.get("no") == 8 and not c.get("ok") for c in json.loads(r[5] or "[]"))]
    for r in rows:
        old_seq, old_hash = int(r[2]), str(r[3])
        where = f"{r[0]} 第 {r[1]} 版（审计链头 #{old_seq}）"
        if old_seq == new_seq and old_hash != new_hash:
            return checks.Result(8, name, False, f"与此前收到的 {where} 在同一位置的审计链头不同：该单位的审计历史被改写过")
        try:
            old_marks = _marks(json.loads(bytes(r[4])))
        except ValueError:
            continue
        # both chains hold every record up to the shorter one's head: their checkpoints agree up to there (a package
        # with an older head than one received before is compared as far as it goes)
        for pos in sorted(set(old_marks) & set(new_marks)):
            if pos <= min(old_seq, new_seq) and old_marks[pos] != new_marks[pos]:
                return checks.Result(8, name, False, f"在审计记录 #{pos} 处与此前收到的 {where} 不同："
                                                      "该单位的审计历史在两次报送之间被改写过")
    if not rows:
        return checks.Result(8, name, True, "首次收到该单位的报送包，以此为锚点")
    return checks.Result(8, name, True, f"与此前收到的 {len(rows)} 个报送包的审计链一致")


def tables_text(read: Mapping[str, Any]) -> str:
    """How the tables read from a package's workbook are kept (`received_packages.tables`, hashed beside it)."""
    return json.dumps(read, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def receive(book: Book, path: Path | str) -> Received:
    """Check and store one package (folder or .zip); see the module doc. Raises Refused, storing nothing."""
    return store(book, check(book, path))


def store(book: Book, c: Checked) -> Received:
    month, version = str(c.manifest["month"]), int(c.manifest["version"])
    failed = tuple(f"第 {r.no} 条 {r.name}：{r.detail}" for r in c.results if not r.ok)
    ok = not failed
    same = book.conn.execute("SELECT id FROM received_packages WHERE digest = ?", (c.digest,)).fetchone()
    if same is not None:
        return Received(int(same[0]), c.county.name, month, version, False, ok, failed, c.label)
    clash = book.conn.execute("SELECT received_at FROM received_packages WHERE county_id = ? AND month = ? AND "
                              "version = ?", (c.county.id, month, version)).fetchone()
    if clash is not None:
        raise Refused(f"报送包 {c.label}：{c.county.name} {month} 第 {version} 版已于 {clash[0]} 接收，而这个包的内容与之"
                      "不同——同一县、同一月、同一版本不能有两个不同的报送包，已拒绝，未保存任何内容", field="报送包")
    text = tables_text(c.tables)
    head = c.sig.head
    with book.write("receive_package") as conn:
        for _name, data in sorted(c.files.items()):
            digest = hashlib.sha256(data).hexdigest()
            conn.execute("INSERT OR IGNORE INTO package_blobs (sha256, size, data) VALUES (?, ?, ?)",
                         (digest, len(data), data))
        cur = conn.execute(
            "INSERT INTO received_packages (county_id, month, version, level, digest, source_name, received_at, "
            "received_by, signed_at, signer, fingerprint, audit_seq, audit_hash, program, report_version, checks_ok, "
            "checks, tables, tables_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (c.county.id, month, version, c.level, c.digest, c.label, book.stamp(), book.user_id,
             str(c.sig.doc.get("signed_at", "")), str((c.sig.doc.get("signer") or {}).get("name", "")),
             c.sig.fingerprint, head[0], head[1], c.sig.program,
             f"{(c.manifest.get('report') or {}).get('id')} {(c.manifest.get('report') or {}).get('version')}",
             int(ok), json.dumps([r.as_dict() for r in c.results], ensure_ascii=False), text,
             hashlib.sha256(text.encode("utf-8")).hexdigest()))
        pid = int(cur.lastrowid or 0)
        for name, data in sorted(c.files.items()):
            conn.execute("INSERT INTO received_files (package_id, name, sha256) VALUES (?, ?, ?)",
                         (pid, name, hashlib.sha256(data).hexdigest()))
    return Received(pid, c.county.name, month, version, True, ok, failed, c.label)


def receive_many(book: Book, paths: list[Path]) -> list[Received | Refused]:
    """Each path on its own: one refusal does not stop the others (the window and the CLI list every result)."""
    out: list[Received | Refused] = []
    for p in paths:
        try:
            out.append(receive(book, p))
        except Refused as exc:
            out.append(exc)
    return out


# -- what was received ----------------------------------------------------------------------------------------
def packages(book: Book, *, month: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT p.id, p.county_id, c.code, c.name AS county, p.month, p.version, p.level, p.digest, p.source_name, "
           "p.received_at, p.signed_at, p.signer, p.fingerprint, p.audit_seq, p.audit_hash, p.program, p.checks_ok, "
           "p.checks, p.opinion, p.opinion_at, p.returned, p.return_reason, p.returned_at "
           "FROM received_packages p JOIN counties c ON c.id = p.county_id")
    args: tuple[Any, ...] = ()
    if month:
        sql += " WHERE p.month = ?"
        args = (month,)
    rows = book.conn.execute(sql + " ORDER BY c.sort, c.code, p.month, p.version", args).fetchall()
    return [dict(r) | {"checks": json.loads(r["checks"])} for r in rows]


def package(book: Book, package_id: int) -> dict[str, Any]:
    for p in packages(book):
        if p["id"] == package_id:
            return p
    raise AppError(f"接收记录 #{package_id} 不存在", field="报送包")


def tables_of(book: Book, package_id: int) -> dict[str, Any]:
    row = book.conn.execute("SELECT tables FROM received_packages WHERE id = ?", (package_id,)).fetchone()
    if row is None:
        raise AppError(f"接收记录 #{package_id} 不存在", field="报送包")
    return json.loads(row[0])  # type: ignore[no-any-return]


def files_of(book: Book, package_id: int) -> dict[str, bytes]:
    """The received bytes, as they arrived (from the content-addressed store)."""
    rows = book.conn.execute("SELECT f.name, b.data FROM received_files f JOIN package_blobs b ON b.sha256 = f.sha256 "
                             "WHERE f.package_id = ? ORDER BY f.name", (package_id,)).fetchall()
    return {str(r[0]): bytes(r[1]) for r in rows}


def export_received(book: Book, package_id: int, out_dir: Path | str) -> Path:
    """Write a received package back out exactly as it arrived (checked against the recorded hashes first): the
    anchor an auditor takes to the county, `fundledger verify 县.db --against <folder>`."""
    p = package(book, package_id)
    files = files_of(book, package_id)
    if package_digest(files) != p["digest"]:
        raise AppError(f"接收记录 #{package_id} 保存的文件与接收时的包哈希不符，被改动过；未导出", field="报送包")
    folder = Path(out_dir) / str(p["source_name"]).replace("/", "_").replace("\\", "_").removesuffix(".zip")
    if folder.exists():
        raise AppError(f"文件夹已存在：{folder}。请换一个导出位置。", field="报送包")
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def received_on(row: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(str(row["received_at"])[:10])
