-- Compact audit records (issue #22 item 3). A run of consecutive insert records written by one transaction
-- into one table (a bulk import: real-name lines, treasury rows, 专账 entries) is kept as ONE row here instead
-- of one audit_log row per inserted row. Nothing of the chain changes: each record of the run keeps its own
-- hash (32 bytes in `hashes`, in seq order) and that hash is still SHA-256 over the previous hash and the
-- record's nine fields. The record's `after` is not stored: it is the row as inserted, which verify reads back
-- from the row itself (or from the `before` of the row's first later audit record) and hashes again — a row
-- edited, deleted or swapped behind the program no longer hashes to its record. Signed chain heads, checkpoints
-- and verify anchors therefore stay valid when old records are converted (see app/models/store/audit.py).
CREATE TABLE audit_runs (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor TEXT,
    op TEXT,
    tbl TEXT NOT NULL,
    keys TEXT NOT NULL,     -- JSON [[first key, count], ...]: the integer keys of the records, in seq order
    columns TEXT NOT NULL,  -- JSON list of the audited columns at insert time, in the order of json_object
    hashes BLOB NOT NULL,   -- 32 bytes per record: the record's chain hash
    CHECK (last_seq >= first_seq AND length(hashes) = 32 * (last_seq - first_seq + 1))
) STRICT;
CREATE INDEX audit_runs_tbl ON audit_runs (tbl, last_seq);

CREATE TRIGGER audit_runs_no_update BEFORE UPDATE ON audit_runs
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END;

CREATE TRIGGER audit_runs_no_delete BEFORE DELETE ON audit_runs
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END;

-- The records a transaction folds into a run are deleted before they are sealed (hash IS NULL); a sealed
-- record can never be deleted. (The conversion of an older file's sealed records drops this trigger inside
-- the upgrade transaction and creates it again before committing: app/models/store/book.py.)
DROP TRIGGER audit_log_no_delete;
