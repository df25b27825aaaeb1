"""Find any payee, project, indicator (by its document number), payment request or notice by a few characters.

The index is `search_index` (schema 0008_search.sql): an FTS5 table with the trigram tokenizer, kept by
triggers on the five source tables, so every write — from the window, the command line or an import — is
searchable at once. Chinese has no spaces between words: the trigram tokenizer matches any three or more
characters anywhere in a name ("建设工程" inside "示例建设工程有限公司"). A term of one or two characters
("王芳", "棚圈" are common) cannot use trigrams; it is matched with instr() over the same table's text (a scan of
the index only, never of the source tables).

The index is derived data and trusted for nothing: a hit only says where to look, and the tab that opens it
reads the real row. `check` (run by `fundledger verify`) compares it with the rows it was derived from, so an
index edited with sqlite3 to hide a payee from the search is reported; `rebuild` makes it again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from app.models.store.audit import Finding
from app.models.store.book import Book
from app.models.values.errors import ValidationError

# kind → (source table, kind number in the row id, label, the SQL of (title, body) over source row `s`).
# The same expressions as in 0008_search.sql's triggers: `check` holds the two to each other.
SOURCES: dict[str, tuple[str, int, str, str, str]] = {
    "payee": ("payees", 1, "收款人", "coalesce(s.name, '')",
              "coalesce(s.account_name, '') || ' ' || coalesce(s.bank, '') || ' ' || coalesce(s.township, '') || ' ' "
              "|| coalesce(s.village, '') || ' ' || coalesce(s.note, '')"),
    "project": ("projects", 2, "项目", "coalesce(s.code || ' ' || s.name, '')",
                "coalesce(s.township, '') || ' ' || coalesce(s.village, '') || ' ' || coalesce(s.content, '') || ' ' "
                "|| coalesce(s.implementer, '') || ' ' || coalesce(s.responsible, '') || ' ' || coalesce(s.note, '')"),
    "indicator": ("indicators", 3, "指标", "coalesce(s.doc_no || ' ' || s.title, '')",
                  "coalesce(s.section, '') || ' ' || coalesce(s.note, '')"),
    "payment": ("payments", 4, "支付申请", "coalesce(s.request_no || ' ' || s.purpose, '')",
                "coalesce(s.voucher_no, '') || ' ' || coalesce(s.func_code, '') || ' ' || coalesce(s.econ_code, '')"),
    "notice": ("notices", 5, "公告", "coalesce(s.title, '')",
               "coalesce(s.location, '') || ' ' || coalesce(s.publisher, '') || ' ' || coalesce(s.note, '')"),
}
KIND_NAMES = {kind: source[2] for kind, source in SOURCES.items()}
MAX_QUERY = 100  # characters: a search box, not a document


@dataclass(frozen=True)
class Hit:
    kind: str  # payee, project, indicator, payment, notice: navigate.open_object's object type
    object_id: int
    title: str
    detail: str

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


def _terms(text: str) -> list[str]:
    text = " ".join(str(text).split())
    if len(text) > MAX_QUERY:
        raise ValidationError(f"搜索内容过长（{len(text)} 个字），最多 {MAX_QUERY} 个字", field="搜索")
    return [t for t in text.split(" ") if t]


def find(book: Book, text: str, *, limit: int = 50) -> list[Hit]:
    """Every object whose index row contains all the words of `text` (any order; case ignored), best first."""
    terms = _terms(text)
    if not terms:
        return []
    long = [t for t in terms if len(t) >= 3]
    short = [t for t in terms if len(t) < 3]
    where, args = [], []
    if long:  # each word a quoted phrase: a user's quote, OR, NEAR or * is searched for, not obeyed
        where.append("search_index MATCH ?")
        args.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long))
    for t in short:  # not LIKE: FTS5 hands LIKE to the trigram index, which finds nothing under 3 characters
        where.append("instr(lower(title || ' ' || body), ?) > 0")
        args.append(t.lower())
    order = "rank" if long else "kind, object_id DESC"
    rows = book.conn.execute(
        f"SELECT kind, object_id, title, body FROM search_index WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
        (*args, int(limit))).fetchall()
    return [Hit(str(r[0]), int(r[1]), str(r[2]), " ".join(str(r[3]).split())) for r in rows]


def _expected_sql(kind: str) -> str:
    table, number, _label, title, body = SOURCES[kind]
    return f"SELECT s.id * 8 + {number} AS rid, '{kind}' AS kind, s.id AS object_id, {title} AS title, {body} AS body " \
           f"FROM {table} s"


def check(conn: sqlite3.Connection) -> Iterator[Finding]:
    """The index holds exactly one row per source row, with the text the triggers would write (verify)."""
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name = 'search_index'")}
    if not have:
        yield Finding("搜索索引", "search_index", "搜索索引表不存在（数据库版本低于 8 或已被删除）")
        return
    expected = "SELECT * FROM (" + " UNION ALL ".join(_expected_sql(k) for k in SOURCES) + ")"
    index = "SELECT rowid AS rid, kind, object_id, title, body FROM search_index"
    for label, sql in (("缺少或内容不符", f"{expected} EXCEPT {index}"),
                       ("多出（对应的记录不存在或内容不符）", f"{index} EXCEPT {expected}")):
        for _rid, kind, object_id, _title, _body in conn.execute(f"SELECT * FROM ({sql}) LIMIT 20"):
            name = KIND_NAMES.get(str(kind), str(kind))
            yield Finding("搜索索引", f"{name} #{object_id}",
                          f"搜索索引{label}：索引是派生数据，不影响业务数据；运行 fundledger search --rebuild 重建")


def rebuild(book: Book) -> int:
    """Make the index again from the source rows; returns how many rows it holds. Writes only the index (not a
    tracked table: no audit records, and a closed month does not stop it)."""
    with book.write("rebuild_search", system=True) as conn:
        conn.execute("DELETE FROM search_index")
        for kind in SOURCES:
            conn.execute("INSERT INTO search_index (rowid, kind, object_id, title, body) "
                         f"SELECT rid, kind, object_id, title, body FROM ({_expected_sql(kind)})")
        return int(conn.execute("SELECT count(*) FROM search_index").fetchone()[0])
