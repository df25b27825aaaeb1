"""The false-claim cross-checks W11–W15 run incrementally (issue #18: a large county's million real-name lines in
the background within the warnings' budget).

A whole run reads every paid real-name line. Between two runs a county pays a few dozen requests, so the next run
reads only what those change: the audit log says which rows were written since the last stored run (the same
anchor `engine.detect_incremental` uses for whole tables), and each detector is re-run over the groups those rows
belong to — W11 the persons (ID numbers) of the changed payments' lines, W12 their accounts, W13 their persons and
the changed payees' ID numbers, W14 the changed payments, W15 the changed payees. Every other group keeps the
finding stored by the last run (its key names the group: the ID's or account's digest, the payment, the payee):
`run` answers the changed groups' findings and a `Kept` naming the groups read again, and saving
(`engine.recompute`) leaves the other stored warnings as they are, without reading them back.

A payment's claim facts change when the payment row is written (paid, voided, its date), its real-name list or lines
are written, or its project (category, code) or indicator (section) is; a payment paid on a day after the last
run's day counts as changed too (it entered the window `pay_date <= as_of`). A whole run is done instead when the
answer cannot be trusted: no stored run or no audit anchor, a different rule set (the allowances, kinds, limits),
a table the detector read that is not tracked row by row (a roster import for W13/W14, the bureau), or so many
changed payments that the whole run is as cheap.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.models.store import audit
from app.models.store.book import Book
from app.models.warnings import claims_detectors as claims
from app.models.warnings.base import Context, Finding

# Tables whose changes are followed row by row (to the payments, persons, accounts and payees they touch).
ROW_TRACKED = frozenset({"payments", "real_name_lines", "real_name_lists", "payees", "projects", "indicators"})
# Beyond this share of the paid payments changed, a whole run reads no more than the restricted one.
WHOLE_RUN_SHARE = 0.25


@dataclass(frozen=True)
class Delta:
    """What changed since the last stored run, as the groups the claims detectors are keyed by."""

    tables: frozenset[str]  # every table written since
    payments: frozenset[int]
    persons: frozenset[str]  # ID numbers on the changed payments' lines (now or before) and of changed payees
    accounts: frozenset[str]
    payees: frozenset[int]
    paid_total: int  # paid payments now (to judge WHOLE_RUN_SHARE)

    def too_large(self) -> bool:
        return len(self.payments) > max(200, WHOLE_RUN_SHARE * self.paid_total)


def _ints(rows: Iterable[Any]) -> set[int]:
    out: set[int] = set()
    for r in rows:
        try:
            out.add(int(r[0]))
        except (TypeError, ValueError):
            continue
    return out


def anchor(book: Book, run: dict[str, Any]) -> int | None:
    """The audit sequence number of the stored run (the changes after it are the delta), or None if unknown."""
    row = book.conn.execute("SELECT max(seq) FROM audit_log WHERE tbl = 'warning_runs' AND row_key = ?",
                            (str(run["id"]),)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


class AuditRange:
    """The audit records written since the last run: after `since_seq`, less the stored run's own transaction
    (`skip` = (first, last) seq of it: hundreds of thousands of warning rows on a first run, never claims data)."""

    def __init__(self, book: Book, since_seq: int, skip: tuple[int, int] | None) -> None:
        self.c = book.conn
        self.since, self.skip = since_seq, skip
        self.args: tuple[int, ...]
        if skip and skip[0] > since_seq:
            self.where, self.args = "((seq > ? AND seq < ?) OR seq > ?)", (since_seq, skip[0], skip[1])
        else:
            self.where, self.args = "seq > ?", (since_seq,)

    def rows(self, columns: str, cond: str = "", args: tuple[Any, ...] = ()) -> Any:
        """The records in the range; `cond` names the table as `+tbl` (else SQLite reads the table's whole history
        through the (tbl, row_key) index instead of the few records after `since` by seq)."""
        return self.c.execute(f"SELECT {columns} FROM audit_log WHERE {self.where}{cond}", (*self.args, *args))

    def runs(self) -> list[audit.Run]:
        """Bulk imports folded into one record each (schema 20: audit_runs) in the same range."""
        return [r for r in audit.runs(self.c, since=self.since)
                if not (self.skip and self.skip[0] <= r.first and r.last <= self.skip[1])]

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.rows("DISTINCT +tbl")} | {r.tbl for r in self.runs()}

    def inserted(self, table: str) -> list[tuple[int, dict[str, Any]]]:
        """(key, row as inserted) of every row a run in the range inserted into `table`."""
        out: list[tuple[int, dict[str, Any]]] = []
        for run in self.runs():
            if run.tbl == table:
                afters = audit.inserted(self.c, run.tbl, run.columns, run.keys, run.last)
                out.extend((k, json.loads(a) if a else {}) for k, a in zip(run.keys, afters, strict=True))
        return out


def delta(book: Book, since_seq: int, previous_day: dt.date, day: dt.date,
          skip: tuple[int, int] | None = None) -> Delta:
    """The changes after audit record `since_seq` (less the `skip` range), read in SQL from the new records only."""
    c = book.conn
    log = AuditRange(book, since_seq, skip)
    tables = frozenset(log.tables())
    tracked = sorted(tables & ROW_TRACKED)
    payments: set[int] = set()
    payees: set[int] = set()
    persons: set[str] = set()
    accounts: set[str] = set()
    if tracked:
        keyed = {"payments", "real_name_lists"} & tables
        if keyed:
            payments |= _ints(log.rows("DISTINCT row_key", f" AND +tbl IN ({claims._marks(sorted(keyed))})",
                                       tuple(sorted(keyed))))
            payments |= {k for t in keyed for k, _row in log.inserted(t)}
        if "real_name_lines" in tables:
            # a line deleted or moved counts for the payment and person it left (an update's `before` holds only
            # what it changed from schema 26 on: the values it left alone are `after`'s, read here anyway)
            for side in ("before", "after"):
                for pid, number, account in log.rows(
                        f"json_extract({side}, '$.payment_id'), json_extract({side}, '$.id_number'), "
                        f"json_extract({side}, '$.account')", f" AND +tbl = 'real_name_lines' AND {side} IS NOT NULL"):
                    if pid is not None:
                        payments.add(int(pid))
                    if number:
                        persons.add(str(number))
                    if account:
                        accounts.add(str(account))
            for _key, line in log.inserted("real_name_lines"):  # a list imported in bulk (one folded record)
                if line.get("payment_id") is not None:
                    payments.add(int(line["payment_id"]))
                if line.get("id_number"):
                    persons.add(str(line["id_number"]))
                if line.get("account"):
                    accounts.add(str(line["account"]))
        for tbl, column in (("projects", "project_id"), ("indicators", "indicator_id")):
            if tbl in tables:
                ids = _ints(log.rows("DISTINCT row_key", " AND +tbl = ?", (tbl,))) | {k for k, _r in log.inserted(tbl)}
                payments |= _ints(c.execute(
                    f"SELECT id FROM payments WHERE {column} IN (SELECT value FROM json_each(?))",
                    (json.dumps(sorted(ids)),)))
        if "payees" in tables:
            payees |= _ints(log.rows("DISTINCT row_key", " AND +tbl = 'payees'"))
            for key, payee in log.inserted("payees"):
                payees.add(key)
                if payee.get("id_code"):
                    persons.add(str(payee["id_code"]))
            for side in ("before", "after"):
                persons |= {str(r[0]) for r in log.rows(
                    f"json_extract({side}, '$.id_code')", f" AND +tbl = 'payees' AND {side} IS NOT NULL") if r[0]}
    if day > previous_day:  # paid on a day the last run did not yet look at
        payments |= _ints(c.execute("SELECT id FROM payments WHERE status = 'paid' AND pay_date > ? AND pay_date <= ?",
                                    (previous_day.isoformat(), day.isoformat())))
    paid_total = int(c.execute("SELECT count(*) FROM payments WHERE status = 'paid'").fetchone()[0])
    if payments:
        marks = (json.dumps(sorted(payments)),)
        for number, account in c.execute(
                "SELECT id_number, account FROM real_name_lines WHERE payment_id IN (SELECT value FROM json_each(?))",
                marks):
            persons.add(str(number))
            accounts.add(str(account))
        for payee_id, id_code in c.execute(
                "SELECT e.id, e.id_code FROM payments y JOIN payees e ON e.id = y.payee_id "
                "WHERE y.id IN (SELECT value FROM json_each(?))", marks):
            payees.add(int(payee_id))
            if id_code:
                persons.add(str(id_code))
    return Delta(tables, frozenset(payments), frozenset(persons), frozenset(accounts), frozenset(payees), paid_total)


# detector name → (the restricted detector, which groups of the delta it re-reads, the group a stored key names,
# the group a delta value is in)
def _digest_group(key: str) -> str:
    """'W11:<16 hex>:…' → the digest (the code's length varies: W11, or a code a rule set gives the detector)."""
    start = key.index(":") + 1
    return key[start:start + 16]


def _id_group(key: str) -> str:
    return key.rsplit(":", 1)[1]


def _under(kind: str) -> Callable[[str, str], str]:
    """Keys 'W14:payment:<id>': the prefix of a group under the code the rule set gives."""
    return lambda code, group: f"{code}:{kind}:{group}"


def _digest_prefix(code: str, group: str) -> str:
    return f"{code}:{group}"


INCREMENTAL: dict[str, tuple[Callable[[Context, Any], Iterable[Finding]], Callable[[Delta], list[Any]],
                             Callable[[str], str], Callable[[Any], str]]] = {
    "repeated_subsidies": (claims._repeated_subsidies, lambda d: sorted(d.persons), _digest_group, claims._digest),
    "shared_accounts": (claims._shared_accounts, lambda d: sorted(d.accounts), _digest_group, claims._digest),
    "staff_payees": (claims._staff_payees, lambda d: sorted(d.persons), _digest_group, claims._digest),
    "off_roster": (claims._off_roster, lambda d: sorted(d.payments), _id_group, str),
    "holder_mismatch": (claims._holder_mismatch, lambda d: sorted(d.payees), _id_group, str),
}
# detector name → the start of the keys of a group under the code the rule set gives: (code, group) → prefix, the
# key being the prefix or the prefix and ':…' (the same groups as INCREMENTAL's group of a key)
PREFIX: dict[str, Callable[[str, str], str]] = {
    "repeated_subsidies": _digest_prefix,  # W11:<digest>:<category>:<period>
    "shared_accounts": _digest_prefix,  # W12:<digest>
    "staff_payees": _digest_prefix,  # W13:<digest>
    "off_roster": _under("payment"),  # W14:payment:<id>
    "holder_mismatch": _under("payee"),  # W15:payee:<id>
}


@dataclass(frozen=True)
class Kept:
    """The stored warnings of `code` an incremental run keeps as they are: every one firing, less those of the
    `dirty` groups (read again: their findings, if any, are the run's own). Saving leaves them untouched
    (`engine.recompute` reads only the dirty groups' rows); `stored` materialises them when a list is wanted."""

    code: str
    dirty: frozenset[str]
    group_of_key: Callable[[str], str]
    prefix: Callable[[str, str], str]

    def is_dirty(self, key: str) -> bool:
        return self.group_of_key(key) in self.dirty

    def prefixes(self) -> list[str]:
        """The start of the keys of each dirty group (a key of the group is the prefix, or the prefix and ':…')."""
        return sorted(self.prefix(self.code, g) for g in self.dirty)

    def findings(self, book: Book) -> list[Finding]:
        return stored(book, self.code, self.is_dirty)


def same_rules(book: Book, previous_day: dt.date, day: dt.date) -> bool:
    """Whether the two days' rule sets agree on everything the claims detectors read."""
    a, b = book.rules_on(previous_day), book.rules_on(day)
    if a is b:
        return True
    try:
        return bool(a.claims == b.claims and a.payment.kinds == b.payment.kinds
                    and a.project_categories == b.project_categories)
    except Exception:  # noqa: BLE001 - a rule type without equality: do the whole run
        return False


def stored(book: Book, code: str, skip: Callable[[str], bool] = lambda _key: False) -> list[Finding]:
    """The warnings of `code` firing as last stored, as findings, less those whose key `skip` names (their groups
    are read again). Plain tuples and one date object per distinct day: a large county keeps 100,000s of them."""
    cur = book.conn.cursor()
    cur.row_factory = None
    days: dict[str, dt.date] = {}
    out: list[Finding] = []
    new = object.__new__
    for key, otype, oid, label, amount, since, detail, project in cur.execute(
            "SELECT key, object_type, object_id, object_label, amount, since, detail, project_id FROM warnings "
            "WHERE code = ? AND cleared_on IS NULL", (code,)):
        if skip(key):
            continue
        when = days.get(since) if since else None
        if since and when is None:
            when = days[since] = dt.date.fromisoformat(since)
        # the frozen dataclass filled in one step (its __init__ sets each field through object.__setattr__, which
        # is most of the time of reading 100,000s of stored findings); the same fields, equality and hash
        f = new(Finding)
        f.__dict__.update(code=code, key=key, object_type=otype, object_id=oid, object_label=label, amount=int(amount),
                          since=when, detail=detail, section="", project_id=project)
        out.append(f)
    return out


def run(ctx: Context, code: str, detector: str, delta_: Delta, known_reads: list[str]
        ) -> tuple[list[Finding], Kept] | None:
    """The detector's findings over the changed groups, and what is kept of the stored ones (the unchanged groups,
    not read here); or None (run it whole)."""
    spec = INCREMENTAL.get(detector)
    if spec is None or delta_.too_large():
        return None
    if (set(known_reads) & delta_.tables) - ROW_TRACKED:
        return None  # e.g. a roster imported since: every person's answer may differ
    restricted, groups_of, group_of_key, group_of_value = spec
    groups = groups_of(delta_)
    kept = Kept(code, frozenset(group_of_value(g) for g in groups), group_of_key, PREFIX[detector])
    return (list(restricted(ctx, groups)) if groups else []), kept
