"""Which rule set governs which fiscal year of this file (table rule_sets, schema/0012_rule_sets.sql).

A row says "from `from_year` on, until the next row's year, rule set X applies"; the first row also covers every
earlier year. The chief assigns a set to a year with a reason (audited); a year with a signed or closed month keeps
the set it was signed under (refused here in words, and by the triggers of schema 0012 for whoever writes with
sqlite3). A bureau's own set (copied, edited, loaded from a folder) is stored in the file (rule_set_files), so
every PC that opens the file reads the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.models.rules import load as rules_load
from app.models.rules.schema import RuleSet, RuleSetError
from app.models.store import periods, rule_years
from app.models.store.book import Book
from app.models.store.rule_years import FIRST_YEAR, LAST_YEAR, has_table, shared, shared_parts
from app.models.values.errors import ValidationError


@dataclass(frozen=True)
class Assignment:
    from_year: int
    rule_set: str
    version: str
    file_hash: str
    origin: str  # "shipped" (resources/rules/) or "bureau" (stored in the file)
    reason: str
    set_by: str
    set_at: str


def assignments(book: Book) -> list[Assignment]:
    """Every row, earliest year first, with the name of who set it."""
    if not has_table(book.conn):
        return []
    rows = book.conn.execute(
        "SELECT r.*, coalesce((SELECT name FROM users WHERE id = r.set_by), '系统') AS who "
        "FROM rule_sets r ORDER BY from_year").fetchall()
    return [Assignment(int(r["from_year"]), r["rule_set"], r["version"], r["file_hash"], r["origin"], r["reason"],
                       r["who"], r["set_at"]) for r in rows]


def _resolve(rows: dict[int, str], year: int) -> str | None:
    """Which row (its key) governs `year` given {from_year: key}."""
    if not rows:
        return None
    earlier = [y for y in rows if y <= year]
    return rows[max(earlier)] if earlier else rows[min(rows)]


def locked_years(book: Book) -> list[int]:
    """Years with a signed or closed month: their rule set can no longer change."""
    rows = book.conn.execute(
        "SELECT DISTINCT CAST(substr(month, 1, 4) AS INTEGER) FROM signoffs WHERE status = 'signed' UNION "
        "SELECT DISTINCT CAST(substr(month, 1, 4) AS INTEGER) FROM periods WHERE closed = 1").fetchall()
    return sorted(int(r[0]) for r in rows)


def years(book: Book) -> list[dict[str, object]]:
    """One line per fiscal year the file has (from its first month or first assignment to this year): which set,
    since which assignment, why, and whether it may still change. What the chief sees in 基础设置."""
    first = [a.from_year for a in assignments(book)]
    data_years = [min(periods.years_in_use(book))]  # the first year with money, a closed or a signed month
    this_year = book.today().year
    start = min([this_year, *data_years, *(y for y in first if y > FIRST_YEAR)])
    locked = set(locked_years(book))
    by_year = {a.from_year: a for a in assignments(book)}
    out: list[dict[str, object]] = []
    for year in range(start, max(this_year, *first) + 1):
        key = _resolve({y: str(y) for y in by_year}, year)
        a = by_year[int(key)] if key else None
        rules = book.rules_for(year)
        out.append({"year": year, "rule_set": rules.id, "name": rules.name, "version": rules.meta.version,
                    "basis": rules.meta.basis, "from_year": a.from_year if a else None,
                    "reason": a.reason if a else "建档时选定", "set_by": a.set_by if a else "", "set_at": a.set_at if a else "",
                    "locked": year in locked, "changed": bool(a and a.file_hash != rules.file_hash),
                    "newer": _newer_shipped(a, rules)})
    return out


def _newer_shipped(a: Assignment | None, rules: RuleSet) -> str:
    """The version of the program's own copy of a shipped set when it differs from the text the year uses (an
    upgrade brought a changed rule file; the year keeps what it was assigned until the chief re-assigns it)."""
    if a is None or a.origin != "shipped":
        return ""
    try:
        shipped = rules_load.load_named(a.rule_set)
    except RuleSetError:
        return ""
    return "" if shipped.file_hash == rules.file_hash else shipped.meta.version


def _resolve_new(book: Book, rule_set: str, path: Path | None) -> tuple[RuleSet, str, str | None]:
    """(rule set, origin, text to store) for an assignment: a shipped id, or a file a bureau wrote."""
    if path is None:
        try:
            return rules_load.load_named(rule_set), "shipped", None
        except RuleSetError as exc:
            raise ValidationError(str(exc), field="规则集") from exc
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"无法读取规则文件 {path}：{exc}", field="规则文件") from exc
    try:
        rules = rules_load.loads(text, name=Path(path).name)
    except RuleSetError as exc:
        raise ValidationError(str(exc), field="规则文件") from exc
    if rules.id in rules_load.shipped_ids():
        shipped = rules_load.load_named(rules.id)
        if shipped.file_hash == rules.file_hash:
            return shipped, "shipped", None
        raise ValidationError(f"规则文件 {Path(path).name} 的 meta.id 为 {rules.id!r}，与程序附带的规则集同名但内容不同；"
                              "本单位修改过的规则集请改用新的编号（如 xj-2021-本县）", field="规则文件")
    return rules, "bureau", text


def assign(book: Book, *, from_year: int, rule_set: str = "", reason: str, path: Path | None = None) -> Assignment:
    """From `from_year` on (until the next assignment) the file uses `rule_set` (a shipped id) or the rule file at
    `path` (a bureau's own, stored in the file). Chief only, with a reason; refused when it would change the set of
    a year with a signed or closed month."""
    if isinstance(from_year, bool) or not isinstance(from_year, int) or not FIRST_YEAR <= from_year <= LAST_YEAR:
        raise ValidationError(f"应为 {FIRST_YEAR}～{LAST_YEAR} 之间的年度，实际为 {from_year!r}", field="起始年度")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError("请写明更改规则集的理由（至少 4 个字，如所依据的文件）", field="理由")
    if path is None and not rule_set:
        raise ValidationError("请选择规则集", field="规则集")
    rules, origin, text = _resolve_new(book, rule_set, path)
    mine = shared_parts(shared(book))
    for key, value in shared_parts(rules).items():
        if value != mine[key]:
            raise ValidationError(f"规则集 {rules.id} 的 {key} 与本文件其他年度的规则集不同（{value} ≠ {mine[key]}）："
                                  "统计截止日、预警处理状态在一个单位文件中必须一致", field="规则集")
    current = {a.from_year: a for a in assignments(book)}
    _refuse_unknown_stages(book, rules, from_year, current)
    old = current.get(from_year)
    if old is not None and old.rule_set == rules.id and old.file_hash == rules.file_hash:
        raise ValidationError(f"{from_year} 年起已经使用规则集 {rules.id}（{rules.meta.version}），无需更改",
                              field="规则集")
    _refuse_locked(book, current, {**{y: f"{a.rule_set}#{a.file_hash}" for y, a in current.items()},
                                   from_year: f"{rules.id}#{rules.file_hash}"})
    who = book.user.id if book.user and book.user.id else None
    with book.write("assign_rule_set") as conn:
        conn.execute("UPDATE audit_context SET op = ? WHERE id = 1", (f"assign_rule_set：{reason}",))
        # every assigned text is kept in the file, a shipped one too: a later program may ship a changed file
        rule_years.keep_text(conn, rules, text if text is not None else rule_years.shipped_text(rules.id), book.stamp())
        for k_sort, kind in enumerate(rules.kinds, start=1):  # a set's new kinds/items join the catalogue
            conn.execute("INSERT OR IGNORE INTO fund_kinds (code, name, sort) VALUES (?, ?, ?)",
                         (kind.code, kind.name, 100 + k_sort))
            for i_sort, item in enumerate(kind.items, start=1):
                conn.execute("INSERT OR IGNORE INTO fund_items (code, kind, name, active, sort) VALUES (?, ?, ?, 1, ?)",
                             (item.code, kind.code, item.name, 100 + i_sort))
        values = (rules.id, rules.meta.version, rules.file_hash, origin, reason, who, book.stamp())
        if old is None:
            conn.execute("INSERT INTO rule_sets (rule_set, version, file_hash, origin, reason, set_by, set_at, from_year)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*values, from_year))
        else:
            conn.execute("UPDATE rule_sets SET rule_set = ?, version = ?, file_hash = ?, origin = ?, reason = ?, "
                         "set_by = ?, set_at = ? WHERE from_year = ?", (*values, from_year))
    book.forget_rule_years()
    return next(a for a in assignments(book) if a.from_year == from_year)


def unassign(book: Book, *, from_year: int, reason: str) -> None:
    """Remove the assignment starting at `from_year`: those years fall back to the one before. The first
    assignment cannot be removed (every year needs a set)."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError("请写明理由（至少 4 个字）", field="理由")
    current = {a.from_year: a for a in assignments(book)}
    if from_year not in current:
        raise ValidationError(f"{from_year} 年没有单独指派的规则集", field="起始年度")
    if from_year == min(current):
        raise ValidationError("最早的一条指派覆盖此前的全部年度，不能删除；可以改为另一个规则集", field="起始年度")
    after = {y: f"{a.rule_set}#{a.file_hash}" for y, a in current.items() if y != from_year}
    _refuse_locked(book, current, after)
    _refuse_unknown_stages(book, book.rules_for(max(y for y in current if y < from_year)), from_year, current)
    with book.write("assign_rule_set") as conn:
        conn.execute("UPDATE audit_context SET op = ? WHERE id = 1", (f"assign_rule_set：{reason}",))
        conn.execute("DELETE FROM rule_sets WHERE from_year = ?", (from_year,))
    book.forget_rule_years()


def _refuse_unknown_stages(book: Book, rules: RuleSet, from_year: int, current: dict[int, Assignment]) -> None:
    """Project stages follow each project's own year's set (issue #17), and may differ between sets: a set that
    would govern years whose projects are at a stage it does not have is refused (those projects would have no
    stage) — the chief first moves or re-enters them, or picks a set that keeps the code."""
    later = [y for y in current if y > from_year]
    last = min(later) - 1 if later else LAST_YEAR
    known = {s.code for s in rules.project_statuses}
    used = book.conn.execute("SELECT status, count(*), min(year) FROM projects WHERE year BETWEEN ? AND ? "
                             "GROUP BY status ORDER BY status", (from_year, last)).fetchall()
    missing = [(str(r[0]), int(r[1]), int(r[2])) for r in used if r[0] not in known]
    if missing:
        said = "；".join(f"“{code}”（{n} 个项目，如 {year} 年度）" for code, n, year in missing)
        raise ValidationError(f"规则集 {rules.id} 没有本文件 {from_year} 年起的项目正在使用的项目状态：{said}。"
                              "项目按所属年度的规则集经历各阶段，请选择含有这些状态代码的规则集", field="规则集")


def _refuse_locked(book: Book, current: dict[int, Assignment], after: dict[int, str]) -> None:
    before = {y: f"{a.rule_set}#{a.file_hash}" for y, a in current.items()}
    changed = [y for y in locked_years(book) if _resolve(before, y) != _resolve(after, y)]
    if changed:
        years = "、".join(str(y) for y in changed)
        raise ValidationError(f"{years} 年已有签发（结账）的月份，该年度的规则集不能更改（签发时按原规则集汇总并签名）。"
                              "如确需更改，须先由局长重新打开这些月份", field="起始年度")
