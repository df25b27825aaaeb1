"""`fundledger verify`: everything an auditor needs to trust a file, read-only, in one report."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import audit, db
from .audit import Finding
from .book import Book

Check = Callable[[sqlite3.Connection], Iterator[Finding]]


@dataclass
class Report:
    steps: list[tuple[str, int]] = field(default_factory=list)  # (check name, findings)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def text(self, path: str = "") -> str:
        lines = [f"FundLedger 数据核验报告{('：' + path) if path else ''}"]
        for name, count in self.steps:
            lines.append(f"  {'✓' if count == 0 else '✗'} {name}{'' if count == 0 else f'（{count} 处问题）'}")
        if self.findings:
            lines.append("")
            lines.append(f"首个问题：{self.findings[0]}")
            for f in self.findings[1:20]:
                lines.append(f"  另：{f}")
            lines.append("结论：未通过。")
        else:
            lines.append("结论：全部通过。")
        return "\n".join(lines)


def integrity(conn: sqlite3.Connection) -> Iterator[Finding]:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        yield Finding("完整性", "数据库文件", "; ".join(rows[:5]))


def foreign_keys(conn: sqlite3.Connection) -> Iterator[Finding]:
    for row in conn.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        yield Finding("外键", f"表 {row[0]} 行 {row[1]}", f"引用的 {row[2]} 记录不存在")


def triggers(conn: sqlite3.Connection) -> Iterator[Finding]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for name in sorted(db.expected_triggers(conn) - present):
        yield Finding("保护触发器", f"触发器 {name}", "已被删除：审计或结账保护失效，数据可能被绕过本程序修改")


def attachments(conn: sqlite3.Connection) -> Iterator[Finding]:
    for aid, name, digest, data in conn.execute("SELECT id, name, sha256, data FROM attachments ORDER BY id"):
        if hashlib.sha256(data).hexdigest() != digest:
            yield Finding("附件", f"附件 #{aid}（{name}）", "文件内容与登记的 SHA-256 不符，被改动过")


def base_checks() -> list[tuple[str, Check]]:
    return [
        ("数据库完整性（integrity_check）", integrity),
        ("外键一致（foreign_key_check）", foreign_keys),
        ("保护触发器齐全", triggers),
        ("审计日志哈希链", audit.check_chain),
        ("业务数据与审计记录一致", audit.check_rows),
        ("附件哈希", attachments),
    ]


def extra_checks() -> list[tuple[str, Check]]:
    """Invariants of later capabilities (ledger, payments, packages) register here."""
    from . import invariants

    return invariants.CHECKS


def book_checks(book: Book) -> list[tuple[str, Check]]:
    """Checks that need the rule set and the renderers, not only the connection."""
    from . import signed

    return [("已签发报送包可重新生成且哈希一致", lambda _conn: signed.check_signed(book))]


def run(book: Book, progress: Callable[[int, int, str], None] | None = None) -> Report:
    """Every check in order; `progress(done, total, name)` lets a window show and cancel it."""
    report = Report()
    checks = base_checks() + extra_checks() + book_checks(book)
    for done, (name, check) in enumerate(checks):
        if progress is not None:
            progress(done, len(checks), name)
        try:
            found = list(check(book.conn))
        except sqlite3.Error as exc:
            found = [Finding(name, "数据库", f"无法完成检查：{exc}")]
        report.steps.append((name, len(found)))
        report.findings.extend(found)
    return report
