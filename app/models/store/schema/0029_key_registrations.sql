-- FundLedger schema 29: a lower bureau's signing-key fingerprint is registered under the signature of this bureau's
-- chief. Before, a registration was an update of `counties.fingerprint` that anyone holding the file could write
-- with plain sqlite3 (and seal onto the chain as the program does): register one's own key for a county for the
-- moment, receive a package forged under it, put the real key back — verify could only tell of it in a Note.
-- Now every registration the program makes is a statement (prefecture/registrations.payload) signed with the
-- chief's key: this bureau, the county's code and name, the fingerprint, when, who, and the audit-chain head just
-- before the statement is written, so it fits that one place in the chain and cannot be replayed for another.
-- Receiving requires one for the county's current fingerprint; verify requires one for every fingerprint change
-- and every package received after the file's first statement (earlier ones keep the earlier rules).
-- Add-only: the program never changes or deletes a statement (verify names any update or delete record).
CREATE TABLE county_key_registrations (
    id INTEGER PRIMARY KEY,
    county_id INTEGER NOT NULL REFERENCES counties(id),
    fingerprint TEXT NOT NULL,                 -- as registered: lower-case hex, 32 (as printed) or 64 digits
    registered_by INTEGER NOT NULL REFERENCES users(id),
    registered_at TEXT NOT NULL,
    audit_seq INTEGER NOT NULL,                -- the chain head the statement names (just before this row)
    audit_hash TEXT NOT NULL,
    statement TEXT NOT NULL                    -- the signed statement, canonical JSON with its signature
) STRICT;
CREATE INDEX county_key_registrations_county ON county_key_registrations (county_id, audit_seq);
INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('county_key_registrations', 'id', NULL, '');
