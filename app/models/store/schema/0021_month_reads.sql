-- FundLedger schema 21 (issue #22 item 1): the month's tables read the year's payments, not the history's.
-- 表5 (and its 功能科目/经济分类 column) selects the payments paid between 1 January and the period end, and the
-- requests returned in that span; without these indexes SQLite walks every paid request and every event the
-- file has ever held (15 years: three times the 5-year county's), with them only the year's. Indexes only:
-- no row, trigger or audited column changes, so nothing a signed month or the audit chain covers moves.
CREATE INDEX IF NOT EXISTS payments_paid_on ON payments (pay_date) WHERE status = 'paid';
CREATE INDEX IF NOT EXISTS payment_events_action_at ON payment_events (action, at);
