-- The demo county's own clock (issue 20 item 7): a stated 今天 so the demo tells the same story on any day.
--
-- One row at most, written only by the demo builder (app/demo/build.py) and signed there with the demo chief's
-- signing key. `app/models/store/clock.py` honours it only on a file that is the demo in every respect: the
-- demo's bureau name and 行政区划代码, the signature checking against the chief's active key, and every
-- sign-off in the file made with that same key. On any other file the row is ignored (the real clock runs)
-- and `verify` reports it as a problem. Audited like every other table.
CREATE TABLE demo_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    today TEXT NOT NULL CHECK (length(today) = 10),   -- YYYY-MM-DD: 今天 whenever the demo file is open
    bureau_name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL CHECK (length(key_fingerprint) = 64),
    signature TEXT NOT NULL                            -- hex Ed25519 signature over clock.statement(...)
) STRICT;
INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES ('demo_clock', 'id', NULL, '');
