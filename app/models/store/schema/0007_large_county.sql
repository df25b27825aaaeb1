-- FundLedger schema 7: indexes for a large county (issue #9: five years, 1.7 million audit records).

-- The 审计 tab's 操作人 filter lists the distinct actors; with this index they are found by skipping
-- from one actor to the next instead of reading every audit record.
CREATE INDEX audit_log_actor ON audit_log (actor);
