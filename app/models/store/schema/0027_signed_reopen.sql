-- FundLedger schema 27: reopening a signed month is signed by the chief's key, as signing it is. Before, a reopening
-- was an update of `periods` and `signoffs` that anyone with the file could write with plain sqlite3 (and seal onto
-- the chain like the program does): reopen, edit a signed month, close it again — verify saw a month honestly
-- reopened. The statement (store/signature.reopen_payload) names the month, the signed version it supersedes, the
-- reason, the time and the audit-chain head just before the reopening; verify requires one for every reopening
-- after the first sign-off that promises it (integrity/anchors.check_reopens). Empty for reopenings made before.
ALTER TABLE signoffs ADD COLUMN reopen_signature TEXT NOT NULL DEFAULT '';
