-- Issue 17: the rule set is chosen by fiscal year inside one file. Each row says "from this year on, until the
-- next row's year, the money is administered under rule set X"; the first row covers every earlier year too.
-- Edited by the chief with a reason (app/models/store/rule_sets.py), audited like every business table.
-- A file from before this step gets one row, filled in Python right after it (book.py `_after_migrate`):
-- the set it was bound to when created, from 2000 on.
CREATE TABLE rule_sets (
    id INTEGER PRIMARY KEY,
    from_year INTEGER NOT NULL UNIQUE CHECK (from_year BETWEEN 2000 AND 2100),
    rule_set TEXT NOT NULL CHECK (length(rule_set) BETWEEN 1 AND 60),
    version TEXT NOT NULL CHECK (length(version) >= 1),
    file_hash TEXT NOT NULL CHECK (length(file_hash) = 64),  -- SHA-256 of the rule file as assigned
    origin TEXT NOT NULL DEFAULT 'shipped' CHECK (origin IN ('shipped', 'bureau')),
    reason TEXT NOT NULL CHECK (length(trim(reason)) >= 2),
    set_by INTEGER REFERENCES users(id),
    set_at TEXT NOT NULL
) STRICT;

-- A bureau's own rule set (copied from a shipped one, edited, loaded from a folder) is kept here, so the file
-- carries it to every PC that opens it; keyed by the hash of its text.
CREATE TABLE rule_set_files (
    file_hash TEXT PRIMARY KEY CHECK (length(file_hash) = 64),
    rule_set TEXT NOT NULL,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('rule_sets', 'id', NULL, ''),
    ('rule_set_files', 'file_hash', NULL, '');

-- A year with a signed month (or a closed month) keeps the rule set it was signed under: no row may be added,
-- changed or removed if that would change the set of such a year. The Python check says the same first, in words;
-- this is the guard for whoever writes with sqlite3 (and `verify` re-sums each signed month, whose signed data
-- names its rule set, to catch the one who drops this trigger).
CREATE VIEW rule_set_locked_years AS
SELECT DISTINCT CAST(substr(month, 1, 4) AS INTEGER) AS year FROM signoffs WHERE status = 'signed'
UNION
SELECT DISTINCT CAST(substr(month, 1, 4) AS INTEGER) FROM periods WHERE closed = 1;

CREATE TRIGGER rule_sets_locked_i BEFORE INSERT ON rule_sets
WHEN EXISTS (SELECT 1 FROM rule_set_locked_years WHERE year >= NEW.from_year
             AND year < coalesce((SELECT min(from_year) FROM rule_sets WHERE from_year > NEW.from_year), 10000))
  AND EXISTS (SELECT 1 FROM rule_sets)
BEGIN SELECT RAISE(ABORT, '该年度已有签发（结账）的月份，不能更改其规则集'); END;

CREATE TRIGGER rule_sets_locked_u BEFORE UPDATE ON rule_sets
WHEN EXISTS (SELECT 1 FROM rule_set_locked_years WHERE
        (year >= OLD.from_year AND year < coalesce((SELECT min(from_year) FROM rule_sets
                                                    WHERE from_year > OLD.from_year), 10000))
     OR (year >= NEW.from_year AND year < coalesce((SELECT min(from_year) FROM rule_sets
                                                    WHERE from_year > NEW.from_year AND id <> OLD.id), 10000))
     OR (year >= min(OLD.from_year, NEW.from_year) AND year < max(OLD.from_year, NEW.from_year))
     OR (year < OLD.from_year AND NOT EXISTS (SELECT 1 FROM rule_sets WHERE from_year < OLD.from_year)))
BEGIN SELECT RAISE(ABORT, '该年度已有签发（结账）的月份，不能更改其规则集'); END;

CREATE TRIGGER rule_sets_locked_d BEFORE DELETE ON rule_sets
WHEN EXISTS (SELECT 1 FROM rule_set_locked_years WHERE (year >= OLD.from_year
             AND year < coalesce((SELECT min(from_year) FROM rule_sets WHERE from_year > OLD.from_year), 10000))
          OR (year < OLD.from_year AND NOT EXISTS (SELECT 1 FROM rule_sets WHERE from_year < OLD.from_year)))
BEGIN SELECT RAISE(ABORT, '该年度已有签发（结账）的月份，不能更改其规则集'); END;

-- A bureau's rule text is never changed or removed once stored (a year may have been signed under it).
CREATE TRIGGER rule_set_files_no_update BEFORE UPDATE ON rule_set_files
BEGIN SELECT RAISE(ABORT, '规则集文件只能追加，不能修改'); END;
CREATE TRIGGER rule_set_files_no_delete BEFORE DELETE ON rule_set_files
BEGIN SELECT RAISE(ABORT, '规则集文件只能追加，不能删除'); END;

-- Warning codes are the rule set's, not a fixed range: the W[1-9] CHECK of schema 5 is replaced by a shape check
-- (a letter, then letters, digits, '_' or '-'; at most 20), so a rule set (or another feature) can add W10, X1 …
-- SQLite cannot drop a CHECK: each table is rebuilt under the same name. Foreign keys point at the name, so the
-- rows are parked in a temporary table, the table is dropped and made again, and the rows go back with the same
-- ids; deferred foreign keys let the children wait for their parents within this one transaction.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE fl_park_warnings AS SELECT * FROM warnings;
DROP TABLE warnings;
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 3 AND 200),
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 20 AND code GLOB '[A-Za-z]*' AND code NOT GLOB '*[^A-Za-z0-9_-]*'),
    object_type TEXT NOT NULL CHECK (length(object_type) BETWEEN 1 AND 40),
    object_id TEXT NOT NULL,
    object_label TEXT NOT NULL DEFAULT '',
    project_id INTEGER REFERENCES projects(id),
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    detail TEXT NOT NULL DEFAULT '',
    since TEXT NOT NULL CHECK (date(since) = since),
    first_detected TEXT NOT NULL CHECK (date(first_detected) = first_detected),
    status TEXT NOT NULL CHECK (length(status) BETWEEN 1 AND 20),
    section TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    handled_on TEXT CHECK (handled_on IS NULL OR date(handled_on) = handled_on),
    handled_by INTEGER REFERENCES users(id),
    cleared_on TEXT CHECK (cleared_on IS NULL OR date(cleared_on) = cleared_on)
) STRICT;
INSERT INTO warnings SELECT * FROM fl_park_warnings;
DROP TABLE fl_park_warnings;
CREATE INDEX warnings_code ON warnings (code, status);
CREATE INDEX warnings_detected ON warnings (first_detected);

CREATE TEMP TABLE fl_park_sections AS SELECT * FROM warning_sections;
DROP TABLE warning_sections;
CREATE TABLE warning_sections (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 20 AND code GLOB '[A-Za-z]*' AND code NOT GLOB '*[^A-Za-z0-9_-]*'),
    section TEXT NOT NULL CHECK (length(section) BETWEEN 1 AND 40)
) STRICT;
INSERT INTO warning_sections SELECT * FROM fl_park_sections;
DROP TABLE fl_park_sections;

CREATE TEMP TABLE fl_park_problems AS SELECT * FROM problems;
DROP TABLE problems;
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    found_on TEXT NOT NULL CHECK (date(found_on) = found_on),
    category TEXT NOT NULL CHECK (category = 'other' OR (length(category) BETWEEN 1 AND 20
                                  AND category GLOB '[A-Za-z]*' AND category NOT GLOB '*[^A-Za-z0-9_-]*')),
    origin TEXT NOT NULL CHECK (origin IN ('warning', 'self_check', 'audit', 'inspection', 'complaint')),
    description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    project_id INTEGER REFERENCES projects(id),
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    section TEXT NOT NULL DEFAULT '',
    warning_id INTEGER UNIQUE REFERENCES warnings(id),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((origin = 'warning') = (warning_id IS NOT NULL))
) STRICT;
INSERT INTO problems SELECT * FROM fl_park_problems;
DROP TABLE fl_park_problems;
CREATE INDEX problems_found ON problems (found_on);
