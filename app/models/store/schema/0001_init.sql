-- FundLedger schema 1: the foundation. Every business table is STRICT; money is INTEGER 分.
PRAGMA application_id = 1179403588;  -- 'FLED'

-- One row: who this file belongs to.
CREATE TABLE bureau (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    region_code TEXT NOT NULL CHECK (length(region_code) = 6),
    level TEXT NOT NULL CHECK (level IN ('county', 'prefecture')),
    rule_set TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    id_mask TEXT NOT NULL DEFAULT 'partial' CHECK (id_mask IN ('partial', 'hidden')),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'reviewer', 'chief', 'auditor')),
    section TEXT NOT NULL DEFAULT '',
    pw_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

-- Fund catalogue (DOMAIN §1): kinds come from the rule set, items are the bureau's to keep.
CREATE TABLE fund_kinds (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sort INTEGER NOT NULL
) STRICT;

CREATE TABLE fund_items (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL REFERENCES fund_kinds(code),
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    sort INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Working-day calendar (DOMAIN §3): the State Council's notice per year, entered in the app.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    notice TEXT NOT NULL,
    source TEXT NOT NULL
) STRICT;

CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    kind TEXT NOT NULL CHECK (kind IN ('休', '班')),
    name TEXT NOT NULL DEFAULT ''
) STRICT;

-- Reporting periods; a closed one freezes every row dated inside it (triggers below, generated).
CREATE TABLE periods (
    month TEXT PRIMARY KEY CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    closed_at TEXT,
    closed_by INTEGER REFERENCES users(id),
    CHECK (start_date <= end_date)
) STRICT;

-- Files kept in the database (scans, photos, evidence); the blob is checked against sha256.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    data BLOB NOT NULL,
    added_at TEXT NOT NULL
) STRICT;

-- The audit log: append-only, hash-chained. Rows are written by generated triggers and
-- sealed (prev_hash, hash) by the app before each commit; an unsealed row means another tool.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT,
    op TEXT,
    tbl TEXT NOT NULL,
    row_key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('I', 'U', 'D')),
    before TEXT,
    after TEXT,
    prev_hash TEXT,
    hash TEXT
) STRICT;
CREATE INDEX audit_log_row ON audit_log (tbl, row_key, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at
  OR NEW.actor IS NOT OLD.actor OR NEW.op IS NOT OLD.op OR NEW.tbl IS NOT OLD.tbl
  OR NEW.row_key IS NOT OLD.row_key OR NEW.action IS NOT OLD.action
  OR NEW.before IS NOT OLD.before OR NEW.after IS NOT OLD.after
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END;

-- Who is acting, set by the app at the start of each write transaction and cleared before commit.
CREATE TABLE audit_context (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    actor TEXT,
    op TEXT,
    at TEXT
) STRICT;
INSERT INTO audit_context (id) VALUES (1);

-- Which tables are audited and frozen by closed months. date_expr is an SQL expression over
-- {row} (NEW or OLD) giving the row's business date, or NULL when the table has no date.
CREATE TABLE tracked_tables (
    name TEXT PRIMARY KEY,
    key_column TEXT NOT NULL,
    date_expr TEXT,
    skip_columns TEXT NOT NULL DEFAULT ''
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('bureau', 'id', NULL, ''),
    ('users', 'id', NULL, ''),
    ('fund_kinds', 'code', NULL, ''),
    ('fund_items', 'code', NULL, ''),
    ('calendar_years', 'year', NULL, ''),
    ('calendar_days', 'day', NULL, ''),
    ('periods', 'month', NULL, ''),
    ('attachments', 'id', NULL, 'data');
