-- FundLedger schema 28 (issue #22 item 5): the 预警清单's default order — type, then the day it began, then the id
-- (warnings/query.WarningQuery._order) — read from an index. Before, only the type's order came from an index
-- (warnings_code, warnings_live): within a type every page sorted all of its warnings again in a temporary B-tree,
-- so each page cost the whole type (0.66-0.72 s for the page at row 20,000 of the 1x five-year county's 152,733 live
-- warnings) and the page at row N, read with OFFSET, cost that sort plus N. With this index the rows come in order
-- (the id is the rowid, the index's last column) and a page costs about N index steps. Full, not partial: the
-- 已消除 and 全部 lists page the same way. An index only: no row, trigger or audited column changes, so nothing a
-- signed month or the audit chain covers moves.
CREATE INDEX IF NOT EXISTS warnings_order ON warnings (code, since);
