"""Treasury payment data (国库集中支付) import: dry-run plan, all-or-nothing import, remembered mapping.

Each row is matched to the bureau's records: its 指标文号 must name a registered indicator (else
the whole file is refused), and its 支付凭证号 is looked up among the ledger's expenditure entries.
Rows without such an entry, or with a different amount, are imported all the same and become
reconciliation differences (warning W8). The same file, or the same voucher, never adds twice.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.models.ledger import treasury_file as tf
from app.models.store import periods
from app.models.store.book import Book
from app.models.values.errors import RowErrors, ValidationError
from app.models.values.money import format as fmt

MAPPING_KEY = "treasury_mapping"
STATUS_NAMES = {"new": "新增（已与专账核对一致）", "unmatched": "新增（专账无此凭证）",
                "amount_diff": "新增（金额与专账不符）", "duplicate": "已导入过，跳过"}


@dataclass(slots=True)
class PlanRow:
    """A parsed row and what the import does with it (the row's own fields are read through)."""

    rec: tf.Row
    status: str
    indicator_id: int
    entry_id: int | None = None
    ledger_amount: int | None = None

    row = property(lambda self: self.rec.row)
    voucher_no = property(lambda self: self.rec.voucher_no)
    pay_date = property(lambda self: self.rec.pay_date)
    doc_no = property(lambda self: self.rec.doc_no)
    amount = property(lambda self: self.rec.amount)
    payee_name = property(lambda self: self.rec.payee_name)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "voucher_no": self.voucher_no, "pay_date": self.pay_date.isoformat(),
                "doc_no": self.doc_no, "amount": self.amount, "status": self.status, "status_name": self.status_name,
                "indicator_id": self.indicator_id, "entry_id": self.entry_id, "ledger_amount": self.ledger_amount,
                "payee_name": self.payee_name}


@dataclass
class Plan:
    """What an import would do, row by row; `already` names an earlier import of the same file."""

    file_name: str
    sha256: str
    mapping: dict[str, str]
    rows: list[PlanRow] = field(default_factory=list)
    already: str = ""
    _frozen: tuple[int, int, dict[str, int]] | None = field(default=None, repr=False)

    def count(self, status: str) -> int:
        if self._frozen is not None:
            return self._frozen[2].get(status, 0)
        return sum(1 for r in self.rows if r.status == status)

    @property
    def row_count(self) -> int:
        return self._frozen[0] if self._frozen is not None else len(self.rows)

    @property
    def to_add(self) -> int:
        return 0 if self.already else self.row_count - self.count("duplicate")

    def total(self) -> int:
        if self._frozen is not None:
            return self._frozen[1]
        return sum(r.amount for r in self.rows if r.status != "duplicate")

    def freeze(self) -> None:
        """Keep the counts, drop the rows: a 100,000-row plan is not held while the import commits."""
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        self._frozen = (len(self.rows), self.total(), counts)
        self.rows = []

    def summary(self) -> str:
        if self.already:
            return f"文件“{self.file_name}”已于 {self.already} 导入过，本次不会新增任何数据。"
        parts = [f"{STATUS_NAMES[s]} {self.count(s)} 行" for s in STATUS_NAMES if self.count(s)]
        return (f"文件“{self.file_name}”共 {self.row_count} 行：" + "；".join(parts or ["没有数据行"])
                + f"。将新增 {self.to_add} 行，合计 {fmt(self.total())} 元。")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remembered_mapping(book: Book) -> dict[str, str]:
    row = book.conn.execute("SELECT value FROM ledger_settings WHERE key = ?", (MAPPING_KEY,)).fetchone()
    try:
        value = json.loads(row[0]) if row else {}
    except json.JSONDecodeError:
        return {}
    return {k: str(v) for k, v in value.items() if k in tf.FIELDS} if isinstance(value, dict) else {}


def save_mapping(book: Book, *, mapping: Mapping[str, str]) -> None:
    """Remember which column holds which field (field → header text), for the next file."""
    clean = {k: str(v).strip() for k, v in mapping.items() if k in tf.FIELDS and str(v).strip()}
    unknown = [k for k in mapping if k not in tf.FIELDS]
    if unknown:
        raise ValidationError(f"未知的字段：{'、'.join(unknown)}", field="列对应")
    text = json.dumps(clean, ensure_ascii=False, sort_keys=True)
    if remembered_mapping(book) == clean:
        return
    with book.write("save_treasury_mapping") as conn:
        conn.execute("INSERT INTO ledger_settings (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (MAPPING_KEY, text))


def headers(book: Book, path: Path | str) -> tuple[list[str], dict[str, str]]:
    """The file's column headers and the mapping the import would use (for the mapping editor)."""
    remembered = remembered_mapping(book)
    sheet = tf.open_sheet(Path(path), tuple(remembered.values()))
    try:
        found = tf.resolve_mapping(sheet.headers, remembered=remembered)
    except ValidationError:
        found = {}
    return [h for h in sheet.headers if h], {f: sheet.headers[i] for f, i in found.items()}


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cyclic collector paused while a file's rows are made: a full collection over 100,000 rows' objects
    holds the GIL for ~0.7 s, freezing the window's thread while this runs off it (issue #22). The rows form no
    reference cycles; reference counting frees them as before, and the collector resumes afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def plan(book: Book, path: Path | str, *, mapping: Mapping[str, str] | None = None,
         progress: tf.Progress | None = None) -> Plan:
    """Dry run: read and check the whole file, write nothing. Bad rows raise RowErrors."""
    with _no_cyclic_gc():
        return _plan(book, path, mapping=mapping, progress=progress)


def _plan(book: Book, path: Path | str, *, mapping: Mapping[str, str] | None = None,
          progress: tf.Progress | None = None) -> Plan:
    path = Path(path)
    tf.check_suffix(path)
    digest = file_hash(path)
    remembered = remembered_mapping(book)
    sheet = tf.open_sheet(path, (*remembered.values(), *(mapping or {}).values()))
    columns = tf.resolve_mapping(sheet.headers, mapping, remembered)
    used = {f: sheet.headers[i] for f, i in columns.items()}
    result = Plan(path.name, digest, used)
    prior = book.conn.execute(
        "SELECT t.imported_at, coalesce(u.name, '') FROM treasury_imports t LEFT JOIN users u ON u.id = t.imported_by "
        "WHERE t.file_sha256 = ?", (digest,)).fetchone()
    records, errors = tf.parse_rows(sheet, columns, today=book.today(), progress=progress)
    _match(book, result, records, errors)
    if prior:
        result.already = f"{prior[0]}（{prior[1]}）".replace("（）", "")
    if errors:
        errors.sort()
        raise RowErrors(errors, what=f"国库支付数据“{path.name}”")
    return result


def _indicator_for(candidates: list[tuple[int, int]], pay_year: int) -> int | None:
    """The indicator a 文号 means on a payment date: that year's, else the latest earlier year's."""
    for year, ind_id in candidates:  # newest first
        if year <= pay_year:
            return ind_id
    return None


def _match(book: Book, result: Plan, records: list[tf.Row], errors: list[tuple[int, str, str]]) -> None:
    conn = book.conn
    docs: dict[str, list[tuple[int, int]]] = {}
    for doc, year, ind_id in conn.execute("SELECT doc_no, year, id FROM indicators ORDER BY year DESC, id"):
        docs.setdefault(doc, []).append((int(year), int(ind_id)))
    ledger = {v: (int(i), int(a), t) for v, i, a, t in conn.execute(
        "SELECT voucher_no, id, amount, entry_type FROM ledger_entries WHERE voucher_no <> ''")}
    seen: dict[str, int] = {}
    closed: dict[str, bool] = {}
    for rec in records:
        if rec.voucher_no in seen:
            errors.append((rec.row, "支付凭证号", f"“{rec.voucher_no}”与第 {seen[rec.voucher_no]} 行重复"))
            continue
        seen[rec.voucher_no] = rec.row
        ind_id = _indicator_for(docs.get(rec.doc_no, []), rec.pay_date.year)
        if ind_id is None and docs.get(rec.doc_no):  # the 文号 is registered, only for later years: the date is wrong
            first = min(year for year, _ in docs[rec.doc_no])
            errors.append((rec.row, "支付日期", f"{rec.pay_date.isoformat()} 早于文号“{rec.doc_no}”的指标年度 {first} 年"))
            continue
        if ind_id is None:
            errors.append((rec.row, "指标文号", f"“{rec.doc_no}”没有对应的已登记指标（无法匹配，请先登记该指标）"))
            continue
        result.rows.append(PlanRow(rec, "new", ind_id))
    existing = _existing(book, [r.voucher_no for r in result.rows])
    for plan_row in result.rows:
        old = existing.get(plan_row.voucher_no)
        if old is not None:
            if old[1:] == (plan_row.pay_date.isoformat(), plan_row.amount, plan_row.doc_no):
                plan_row.status = "duplicate"
            else:
                errors.append((plan_row.row, "支付凭证号",
                               f"“{plan_row.voucher_no}”已在导入批次 #{old[0]} 中导入，但日期/金额/文号不同"
                               f"（原为 {old[1]}、{fmt(old[2])} 元、{old[3]}）"))
            continue
        month = periods.month_of(plan_row.pay_date, periods.cutoff_of(book))
        if month not in closed:
            closed[month] = periods.is_closed(book, plan_row.pay_date)
        if closed[month]:
            errors.append((plan_row.row, "支付日期", f"{plan_row.pay_date.isoformat()} 所在月份已签发结账，不能再导入"))
            continue
        hit = ledger.get(plan_row.voucher_no)
        if hit is None or hit[2] != "expenditure":
            plan_row.status = "unmatched"
        else:
            plan_row.entry_id, plan_row.ledger_amount = hit[0], hit[1]
            plan_row.status = "new" if hit[1] == plan_row.amount else "amount_diff"


def _existing(book: Book, vouchers: list[str]) -> dict[str, tuple[int, str, int, str]]:
    """Vouchers already imported: voucher → (import id, pay date, amount, 文号)."""
    out: dict[str, tuple[int, str, int, str]] = {}
    for start in range(0, len(vouchers), 500):
        chunk = vouchers[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for v, imp, day, amount, doc in book.conn.execute(
                f"SELECT voucher_no, import_id, pay_date, amount, doc_no FROM treasury_payments WHERE voucher_no IN ({marks})",
                chunk):
            out[v] = (int(imp), str(day), int(amount), str(doc))
    return out


@dataclass
class ImportResult:
    import_id: int | None
    added: int
    plan: Plan

    def text(self) -> str:
        if self.import_id is None:
            return self.plan.summary() + ("" if self.plan.already else " 没有需要新增的行，未写入任何数据。")
        diffs = self.plan.count("unmatched") + self.plan.count("amount_diff")
        more = f"其中 {diffs} 行与专账不一致，已列入“对账”待说明。" if diffs else "全部与专账一致。"
        return f"已导入“{self.plan.file_name}”：新增 {self.added} 行。{more}"


def import_file(book: Book, path: Path | str, *, mapping: Mapping[str, str] | None = None,
                progress: tf.Progress | None = None) -> ImportResult:
    """Import in ONE transaction (all or nothing); the same file or voucher twice adds nothing.

    `progress` may raise (the user cancelled): everything is rolled back.
    """
    path = Path(path)
    with _no_cyclic_gc(), book.write("import_treasury") as conn:
        result = plan(book, path, mapping=mapping, progress=progress)  # inside the transaction: nobody writes between
        if result.already or result.to_add == 0:
            return ImportResult(None, 0, result)
        cur = conn.execute(
            "INSERT INTO treasury_imports (file_name, file_sha256, imported_at, imported_by, rows_in_file, rows_added, "
            "mapping) VALUES (?, ?, ?, ?, ?, 0, ?)",
            (result.file_name, result.sha256, book.stamp(), book.user.id if book.user and book.user.id else None,
             len(result.rows), json.dumps(result.mapping, ensure_ascii=False, sort_keys=True)))
        import_id = int(cur.lastrowid or 0)
        added = [r for r in result.rows if r.status != "duplicate"]
        if progress is not None:
            progress(len(added), len(added), f"正在写入 {len(added)} 行")
        conn.executemany(
            "INSERT INTO treasury_payments (import_id, source_row, voucher_no, pay_date, doc_no, indicator_id, func_code, "
            "econ_code, payee_name, payee_account, payee_bank, amount, purpose, pay_method) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((import_id, r.row, r.voucher_no, r.pay_date.isoformat(), r.doc_no, p.indicator_id, r.func_code,
              r.econ_code, r.payee_name, r.payee_account, r.payee_bank, r.amount, r.purpose, r.pay_method)
             for p in added for r in (p.rec,)))
        count = len(added)
        del added
        conn.execute("UPDATE treasury_imports SET rows_added = ? WHERE id = ?", (count, import_id))
        save_mapping(book, mapping=result.mapping)
        result.freeze()  # before the commit seals 100,000 audit records
    return ImportResult(import_id, count, result)


def imports(book: Book) -> list[dict[str, Any]]:
    return [dict(r) for r in book.conn.execute(
        "SELECT t.id, t.file_name, t.imported_at, coalesce(u.name, '') AS imported_by, t.rows_in_file, t.rows_added "
        "FROM treasury_imports t LEFT JOIN users u ON u.id = t.imported_by ORDER BY t.id DESC")]
