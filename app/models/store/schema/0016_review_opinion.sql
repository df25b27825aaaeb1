-- Issue 20 item 13: the reviewer's 审核意见 when approving a payment request (optional, up to 500 characters),
-- kept with the request, shown in its detail and printed on the 支付审批单. Numbered 0016: reserved for this
-- branch. `override_note` stays what it was: the reviewer's written confirmation of "原则上" warnings.
ALTER TABLE payments ADD COLUMN review_opinion TEXT NOT NULL DEFAULT '';
