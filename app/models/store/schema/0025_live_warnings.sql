-- FundLedger schema 25 (issue #22 item 1): a new day's warnings read only the warnings still firing, by code.
-- The save counts the firing warnings of each code it keeps unread, and the clock runs list the objects those
-- warnings name (engine._existing, engine._stored_groups); without this index both read every row of `warnings`
-- that ever fired (a 15-year county: 470,000, most long cleared). Partial, so it holds only the live ones; it
-- names cleared_on too (always NULL in it) so that SQLite answers both reads from the index alone. An index only:
-- no row, trigger or audited column changes, so nothing a signed month or the audit chain covers moves.
CREATE INDEX IF NOT EXISTS warnings_live ON warnings (code, object_id, cleared_on) WHERE cleared_on IS NULL;
