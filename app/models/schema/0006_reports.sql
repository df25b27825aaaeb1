-- FundLedger schema 6: the monthly report — annual plan figures, official templates, sign-offs.

-- 年度计划数 per fund item (表1), entered by the bureau.
CREATE TABLE annual_plans (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    item TEXT NOT NULL REFERENCES fund_items(code),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    UNIQUE (year, item)
) STRICT;

-- A region-supplied .xlsx template registered for one table (the file itself in attachments).
CREATE TABLE report_templates (
    id INTEGER PRIMARY KEY,
    table_id TEXT NOT NULL,                      -- 表1 … 表9, or 封面
    sheet TEXT NOT NULL DEFAULT '',
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    registered_by INTEGER REFERENCES users(id),
    registered_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX report_templates_active ON report_templates (table_id) WHERE active = 1;

-- One signed package: the data it was rendered from (canonical JSON), the audit-chain head at the
-- moment of signing, and the SHA-256 of every file. A corrected version (更正版) is a new row; the
-- one it replaces is marked superseded, never deleted.
CREATE TABLE signoffs (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('signed', 'superseded')),
    signed_by INTEGER NOT NULL REFERENCES users(id),
    signed_at TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    audit_seq INTEGER NOT NULL,
    audit_hash TEXT NOT NULL,
    data TEXT NOT NULL CHECK (json_valid(data)),
    data_sha256 TEXT NOT NULL CHECK (length(data_sha256) = 64),
    files TEXT NOT NULL CHECK (json_valid(files)),  -- {file name: sha256}
    templates TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(templates)),  -- {table: report_templates.id} used
    reopened_at TEXT,
    reopened_by INTEGER REFERENCES users(id),
    reopen_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (month, version)
) STRICT;

-- The signed files themselves, kept so an auditor can read exactly what was sent.
CREATE TABLE signoff_files (
    id INTEGER PRIMARY KEY,
    signoff_id INTEGER NOT NULL REFERENCES signoffs(id),
    name TEXT NOT NULL,
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    UNIQUE (signoff_id, name)
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('annual_plans', 'id', NULL, ''),
    ('report_templates', 'id', NULL, ''),
    ('signoffs', 'id', NULL, ''),
    ('signoff_files', 'id', NULL, '');
