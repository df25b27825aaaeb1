-- FundLedger schema 14: 经济分类 on an indicator (指标), beside its 功能科目 (func_code, since schema 2).
-- Both are optional on an indicator ('' = not recorded, as every indicator saved before this step); a new
-- one is checked against resources/classification/gov-2019.toml (app/models/ledger/classification.py).
-- The audit trail knows the column from now on; rows saved before have no history of it (audit._same).
ALTER TABLE indicators ADD COLUMN econ_code TEXT NOT NULL DEFAULT '' CHECK (length(econ_code) <= 5);
