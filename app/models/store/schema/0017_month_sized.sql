-- FundLedger schema 17: work that costs a month, not the history (issue #22).

-- Which tables each warning detector read on the run (JSON {code: [table, …]}): the next run on the same
-- day re-runs a detector only when one of its tables was written since (read from the audit log).
ALTER TABLE warning_runs ADD COLUMN reads TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(reads));

-- The audit head that a verify found sound: the next incremental verify starts from it (it checks that the
-- record at `seq` still has `hash`, the chain from there on, and the rows written since). Audited and chained
-- like any other table, so the anchor itself is evidence.
CREATE TABLE verify_anchors (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('full', 'incremental')),
    tables TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tables)),  -- {tracked table: [row count, max rowid]}
    verified_at TEXT NOT NULL,
    by_user INTEGER REFERENCES users(id)
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES ('verify_anchors', 'id', NULL, '');
