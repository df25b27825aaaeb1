-- FundLedger schema 11: the level above the county (地州汇总, issue 16; DOMAIN §4.7, §7).
-- A prefecture (or region) file registers its counties (lower bureaus), receives their signed packages
-- (bytes kept content-addressed), reviews and returns them, writes receipts and signs its own package.

-- 自治区级: the same program one level up; the bureau table is rebuilt to allow it (same columns).
CREATE TABLE bureau_new (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    region_code TEXT NOT NULL CHECK (length(region_code) = 6),
    level TEXT NOT NULL CHECK (level IN ('county', 'prefecture', 'region')),
    rule_set TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    id_mask TEXT NOT NULL DEFAULT 'partial' CHECK (id_mask IN ('partial', 'hidden')),
    created_at TEXT NOT NULL
) STRICT;
INSERT INTO bureau_new (id, name, region_code, level, rule_set, phone, id_mask, created_at)
    SELECT id, name, region_code, level, rule_set, phone, id_mask, created_at FROM bureau;
DROP TABLE bureau;
ALTER TABLE bureau_new RENAME TO bureau;

-- The lower bureaus this file receives from: code and the chief's key fingerprint as printed on the
-- first signed cover, confirmed by this bureau (a package signed by any other key is refused).
CREATE TABLE counties (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) = 6),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    contact TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '' CHECK (length(fingerprint) IN (0, 32, 64)),  -- hex, as printed (32) or whole
    confirmed_by INTEGER REFERENCES users(id),
    confirmed_at TEXT,
    sort INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

-- Received bytes, content-addressed: one row per distinct file content.
CREATE TABLE package_blobs (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size INTEGER NOT NULL CHECK (size >= 0),
    data BLOB NOT NULL
) STRICT;

CREATE TABLE received_packages (
    id INTEGER PRIMARY KEY,
    county_id INTEGER NOT NULL REFERENCES counties(id),
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    version INTEGER NOT NULL CHECK (version >= 1),
    level TEXT NOT NULL,                       -- the sender's level (county, or prefecture at the region)
    digest TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),  -- SHA-256 over the sorted (name, sha256) list
    source_name TEXT NOT NULL,
    received_at TEXT NOT NULL,
    received_by INTEGER REFERENCES users(id),
    signed_at TEXT NOT NULL,
    signer TEXT NOT NULL,
    fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
    audit_seq INTEGER NOT NULL,
    audit_hash TEXT NOT NULL,
    program TEXT NOT NULL,
    report_version TEXT NOT NULL,
    checks_ok INTEGER NOT NULL CHECK (checks_ok IN (0, 1)),
    checks TEXT NOT NULL,                      -- JSON: the cross-check results at receipt
    tables TEXT NOT NULL,                      -- JSON: the nine tables as read from the workbook (not audited)
    tables_sha256 TEXT NOT NULL CHECK (length(tables_sha256) = 64),  -- audited: verify re-hashes `tables`
    opinion TEXT NOT NULL DEFAULT '',
    opinion_by INTEGER REFERENCES users(id),
    opinion_at TEXT,
    returned INTEGER NOT NULL DEFAULT 0 CHECK (returned IN (0, 1)),
    return_reason TEXT NOT NULL DEFAULT '',
    returned_by INTEGER REFERENCES users(id),
    returned_at TEXT,
    UNIQUE (county_id, month, version)
) STRICT;

CREATE TABLE received_files (
    id INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL REFERENCES received_packages(id),
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES package_blobs(sha256),
    UNIQUE (package_id, name)
) STRICT;

-- This bureau's own signed package for the level above (consolidated tables, opinions, county list).
CREATE TABLE forwarded_reports (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    signed_by INTEGER NOT NULL REFERENCES users(id),
    signed_at TEXT NOT NULL,
    audit_seq INTEGER NOT NULL,
    audit_hash TEXT NOT NULL,
    data TEXT NOT NULL,                        -- canonical snapshot the files are rendered from
    data_sha256 TEXT NOT NULL,
    files TEXT NOT NULL,                       -- JSON name → SHA-256
    signature TEXT NOT NULL,
    UNIQUE (month, version)
) STRICT;

-- At the county: receipts (回执) from the level above, imported.
CREATE TABLE upstream_receipts (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,                      -- the package's digest as the receiver computed it
    intact INTEGER NOT NULL CHECK (intact IN (0, 1)),  -- that digest is the one of our own signed files
    result TEXT NOT NULL,
    opinion TEXT NOT NULL DEFAULT '',
    return_reason TEXT NOT NULL DEFAULT '',
    receiver TEXT NOT NULL,
    receiver_code TEXT NOT NULL,
    received_at TEXT NOT NULL,
    receiver_head_seq INTEGER NOT NULL,        -- the receiver's own chain head when it wrote the receipt
    receiver_head_hash TEXT NOT NULL,
    anchor_seq INTEGER NOT NULL,               -- our chain head as the receiver holds it (from our 签名.json)
    anchor_hash TEXT NOT NULL,
    anchor_ok INTEGER NOT NULL CHECK (anchor_ok IN (0, 1)),  -- our chain at anchor_seq still has that hash
    receipt_sha256 TEXT NOT NULL UNIQUE,
    imported_at TEXT NOT NULL
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('counties', 'id', NULL, ''),
    ('package_blobs', 'sha256', NULL, 'data'),
    ('received_packages', 'id', NULL, 'tables'),
    ('received_files', 'id', NULL, ''),
    ('forwarded_reports', 'id', NULL, ''),
    ('upstream_receipts', 'id', NULL, '');
