-- FundLedger schema 9: signing keys. A key pair per signing user; the private key is kept encrypted
-- under a key derived from that user's password (scrypt → AES-256-GCM), so whoever copies the file
-- cannot sign. A key is never changed in place: a new password re-encrypts it, a reset by the chief
-- (the old password is unknown) retires it and makes a new pair, with the reason.
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    algorithm TEXT NOT NULL,                      -- 'Ed25519'; recorded so another can be added later
    public_key TEXT NOT NULL CHECK (length(public_key) >= 64),   -- hex
    fingerprint TEXT NOT NULL UNIQUE CHECK (length(fingerprint) = 64),  -- SHA-256 of the public key, hex
    private_enc TEXT NOT NULL,                    -- JSON: kdf, salt, nonce, ciphertext (hex)
    created_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    retired_at TEXT,
    retire_reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (user_id) WHERE retired_at IS NULL;

-- Each sign-off keeps its signature document (签名.json, exactly as written into the package).
ALTER TABLE signoffs ADD COLUMN signature TEXT NOT NULL DEFAULT '';

-- The encrypted private key is not copied into the audit log: an old encryption under an old password
-- would stay readable there for ever. Its public half, fingerprint and history are audited.
INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('signing_keys', 'id', NULL, 'private_enc');
