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
