"""Reading a year's rule set from the file (table rule_sets, schema/0012): what `Book.rules_for` asks, on a bare
connection (no Book here, so the Book can import it); the chief's operations are in rule_sets.py."""

from __future__ import annotations

import functools
import sqlite3
from typing import Protocol

from app.models.rules import load as rules_load
from app.models.rules.schema import RuleSet
from app.models.store import audit
from app.models.values.errors import AppError

FIRST_YEAR, LAST_YEAR = 2000, 2100


class _HasRules(Protocol):
    def rules_for(self, year: int) -> RuleSet: ...


class _HasFile(_HasRules, Protocol):
    @property
    def conn(self) -> sqlite3.Connection: ...


def shared(book: _HasRules) -> RuleSet:
    """The set whose file-wide parts apply to every year: the statistical cut-off day (month boundaries must not
    move inside one file) and the warning statuses. Every set assigned to a file has the same ones
    (rule_sets.assign refuses another), so the first row's set speaks for all. Project stages are not file-wide
    (issue #17): a project follows the stages of its own year's set."""
    return book.rules_for(FIRST_YEAR)


def shared_parts(rules: RuleSet) -> dict[str, object]:
    """key path → value of the parts every set of one file must share (see `shared`)."""
    return {
        "reporting.cutoff_day": rules.reporting.cutoff_day,
        "warning_statuses": tuple((s.code, s.closed) for s in rules.warning_statuses),
    }


def all_sets(book: _HasFile) -> list[RuleSet]:
    """Every rule set the file assigns to some year, earliest year first (one per assignment row)."""
    years = [FIRST_YEAR]
    if has_table(book.conn):
        years = [int(r[0]) for r in book.conn.execute("SELECT from_year FROM rule_sets ORDER BY from_year")] or years
    return [book.rules_for(y) for y in years]


def finished_codes(book: _HasFile) -> tuple[str, ...]:
    """The stage codes in the finished phase in any year's set: for a question that spans projects of several
    years (质保金 held on finished projects), each project is finished by its own year's stages."""
    return tuple(dict.fromkeys(c for rules in all_sets(book) for c in rules.finished_codes))


def has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rule_sets'").fetchone() is not None


def _bound_set(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT rule_set FROM bureau WHERE id = 1").fetchone()
    return str(row[0]) if row else rules_load.DEFAULT_ID


@functools.lru_cache(maxsize=16)
def _from_text(text: str, name: str) -> RuleSet:
    return rules_load.loads(text, name=name)


def archived_text(file_hash: str) -> str | None:
    """The text of an earlier shipped version of a rule file (resources/rules/archive/<id>-<hash16>.toml), by the
    SHA-256 a year's assignment recorded: a program that ships a changed rule file still reads the rules a bureau's
    years were assigned (and its months signed) under."""
    from app import resources

    folder = resources.resources_dir() / "rules" / "archive"
    for path in sorted(folder.glob(f"*-{file_hash[:16]}.toml")):
        text = path.read_bytes().decode("utf-8")
        if rules_load.text_hash(text) == file_hash:
            return text
    return None


def shipped_text(rule_set: str) -> str:
    """The text of the shipped rule file `rule_set` as this program carries it."""
    from app import resources

    return (resources.resources_dir() / "rules" / f"{rule_set}.toml").read_bytes().decode("utf-8")


def keep_text(conn: sqlite3.Connection, rules: RuleSet, text: str, at: str) -> None:
    """Store the text of a set assigned to a year in the file (once per text), so the file carries the exact rules
    its years were assigned under to every PC and every later version of the program."""
    conn.execute("INSERT OR IGNORE INTO rule_set_files (file_hash, rule_set, text, added_at) VALUES (?, ?, ?, ?)",
                 (rules.file_hash, rules.id, text, at))


def _load_row(conn: sqlite3.Connection, rule_set: str, origin: str, file_hash: str) -> RuleSet:
    """The rules as assigned: a bureau's own text from the file; a shipped set as shipped when this program's copy
    is the text assigned, else the assigned text (kept in the file, or an earlier version this program archives) —
    an upgrade that changes a shipped rule file does not change the rules of a year already assigned (and perhaps
    signed); the chief re-assigns a year to the new version, with a reason, where it should apply."""
    if origin == "bureau":
        row = conn.execute("SELECT text FROM rule_set_files WHERE file_hash = ?", (file_hash,)).fetchone()
        if row is None:
            raise AppError(f"文件中找不到本单位规则集 {rule_set} 的内容（{file_hash[:12]}…），文件可能被改动过。"
                           "请运行 fundledger verify 检查。")
        return _from_text(str(row[0]), f"{rule_set}（本单位规则集）")
    shipped = rules_load.load_named(rule_set)
    if shipped.file_hash == file_hash:
        return shipped
    row = conn.execute("SELECT text FROM rule_set_files WHERE file_hash = ?", (file_hash,)).fetchone()
    text = str(row[0]) if row else archived_text(file_hash)
    if text is None or rules_load.text_hash(text) != file_hash:
        return shipped  # a text this program never shipped and the file does not hold: verify names the difference
    return _from_text(text, f"{rule_set}（{file_hash[:12]}… 版）")


def load_for(conn: sqlite3.Connection, year: int) -> RuleSet:
    """The rule set of fiscal year `year` as this file assigns it."""
    if not has_table(conn):
        return rules_load.load_named(_bound_set(conn))
    row = conn.execute("SELECT rule_set, origin, file_hash FROM rule_sets WHERE from_year <= ? "
                       "ORDER BY from_year DESC LIMIT 1", (int(year),)).fetchone()
    if row is None:
        row = conn.execute("SELECT rule_set, origin, file_hash FROM rule_sets ORDER BY from_year LIMIT 1").fetchone()
    if row is None:
        return rules_load.load_named(_bound_set(conn))
    return _load_row(conn, str(row[0]), str(row[1]), str(row[2]))


def _insert_first(conn: sqlite3.Connection, rules: RuleSet, reason: str, at: str, who: int | None) -> None:
    conn.execute("INSERT INTO rule_sets (from_year, rule_set, version, file_hash, origin, reason, set_by, set_at) "
                 "VALUES (?, ?, ?, ?, 'shipped', ?, ?, ?)",
                 (FIRST_YEAR, rules.id, rules.meta.version, rules.file_hash, reason, who, at))


def seed(conn: sqlite3.Connection, rule_set: str, at: str) -> None:
    """A new file's first row: the set chosen when it was created, for every year (inside setup's write)."""
    rules = rules_load.load_named(rule_set)
    _insert_first(conn, rules, "建档时选定的规则集", at, None)
    keep_text(conn, rules, shipped_text(rule_set), at)


def fill_first(conn: sqlite3.Connection) -> None:
    """After schema step 12 on an older file: one row from the set the file was bound to, audited as the system
    and sealed into the chain (inside the migration's transaction)."""
    if conn.execute("SELECT 1 FROM rule_sets").fetchone() or not conn.execute("SELECT 1 FROM bureau").fetchone():
        return
    start = audit.last_seq(conn)
    conn.execute("UPDATE audit_context SET actor = 'system#0', op = 'upgrade', "
                 "at = strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime') WHERE id = 1")
    at = conn.execute("SELECT strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')").fetchone()[0]
    rules = rules_load.load_named(_bound_set(conn))
    _insert_first(conn, rules, "升级前文件绑定的规则集（升级时自动登记）", at, None)
    keep_text(conn, rules, shipped_text(rules.id), at)
    audit.seal(conn, start)
    conn.execute("UPDATE audit_context SET actor = NULL, op = NULL, at = NULL WHERE id = 1")
