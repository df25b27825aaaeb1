-- FundLedger schema 30: a chief's new signing key (a chief added, a chief's password reset by another chief)
-- endorsed by the chief who made it, with that chief's own key (store/endorsements.py). Verify vouches for a chief
-- key only from the file's first key on: by endorsements, and — for keys made before the file's first signed
-- statement — by the users lists of reports signed with keys already vouched for. A chief and key written in with
-- sqlite3 are vouched for by nothing. Add-only, like the registrations of schema 29.
CREATE TABLE key_endorsements (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),       -- whose new key
    key_fingerprint TEXT NOT NULL CHECK (length(key_fingerprint) = 64),
    endorsed_by INTEGER NOT NULL REFERENCES users(id),
    endorsed_at TEXT NOT NULL,
    audit_seq INTEGER NOT NULL,                -- the chain head the statement names (just before its write)
    audit_hash TEXT NOT NULL,
    statement TEXT NOT NULL
) STRICT;
INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES ('key_endorsements', 'id', NULL, '');
