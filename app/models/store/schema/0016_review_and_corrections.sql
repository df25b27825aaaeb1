-- Issue 20 item 13: the reviewer's 审核意见 when approving a payment request (optional, up to 500 characters),
-- kept with the request, shown in its detail and printed on the 支付审批单. Numbered 0016: reserved for this
-- branch. `override_note` stays what it was: the reviewer's written confirmation of "原则上" warnings.
ALTER TABLE payments ADD COLUMN review_opinion TEXT NOT NULL DEFAULT '';

-- Issue 20 item 10: 更正指标 — a mistyped 指标 corrected (文号, 标题, 上级/地州文件日期, 科目, 股室, 备注, later-known
-- stage dates) with a written reason. The indicators row is updated in place (audited as every write is);
-- this table keeps the reason and what changed, frozen with the indicator's month like indicator_events.
CREATE TABLE indicator_corrections (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) >= 4),
    changes TEXT NOT NULL CHECK (json_valid(changes)),   -- {字段名: [更正前, 更正后]}
    user_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;
CREATE INDEX indicator_corrections_indicator ON indicator_corrections (indicator_id, id);
INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('indicator_corrections', 'id', '(SELECT received_date FROM indicators WHERE id = {row}.indicator_id)', '');
