-- Issue 15 (the hostile world). Numbered 0010 on purpose: 0008 and 0009 belong to other branches.
--
-- Password hashes leave the audit log: pw_hash is skipped by the audit triggers, and pw_tag (the SHA-256 of
-- the whole stored hash, salt included) is audited instead, so `verify` still proves every users row:
-- the tag must match the audit record, and the hash must match the tag. Without the salt the tag is no
-- help to someone guessing passwords. The tags of existing users are filled in Python right after this
-- step (app/models/store/book.py `_after_migrate`), one audited, sealed record per user.
ALTER TABLE users ADD COLUMN pw_tag TEXT NOT NULL DEFAULT '';

-- Lockout after repeated wrong passwords: kept in the file (so another PC sees it too) and audited.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_failed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locked_until TEXT NOT NULL DEFAULT '';

UPDATE tracked_tables SET skip_columns = 'pw_hash' WHERE name = 'users';

-- A write lock broken by hand (another PC's, an empty lock file…): who held it, who broke it, when.
CREATE TABLE lock_breaks (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    holder TEXT NOT NULL,      -- the lock file's content as shown to the person who broke it
    held_for TEXT NOT NULL,    -- its age in words
    broken_by TEXT NOT NULL    -- the operating-system user and computer that broke it
) STRICT;
INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES ('lock_breaks', 'id', NULL, '');
