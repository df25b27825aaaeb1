-- FundLedger schema 2: 专账 — fund documents (指标), the special-account ledger, treasury import,
-- reconciliation (DOMAIN §1, §3, §4.2). Money is INTEGER 分, never negative: a separate `sign`
-- column says whether an entry adds to or takes from its side of the ledger.

-- A received fund document (指标). Never edited: a reduction or recall is its own row below.
CREATE TABLE indicators (
    id INTEGER PRIMARY KEY,
    doc_no TEXT NOT NULL CHECK (length(doc_no) BETWEEN 1 AND 80),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    kind TEXT NOT NULL REFERENCES fund_kinds(code),
    item TEXT NOT NULL REFERENCES fund_items(code),
    source_level TEXT NOT NULL CHECK (length(source_level) BETWEEN 1 AND 20),  -- rule set [[source_levels]]
    amount INTEGER NOT NULL CHECK (amount > 0),
    title TEXT NOT NULL DEFAULT '',
    upper_doc_date TEXT CHECK (upper_doc_date IS NULL OR date(upper_doc_date) = upper_doc_date),
    prefecture_doc_date TEXT CHECK (prefecture_doc_date IS NULL OR date(prefecture_doc_date) = prefecture_doc_date),
    received_date TEXT NOT NULL CHECK (date(received_date) = received_date),
    func_code TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT '',
    poverty_use INTEGER NOT NULL DEFAULT 1 CHECK (poverty_use IN (0, 1)),
    scan_id INTEGER REFERENCES attachments(id),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (year, doc_no)
) STRICT;
CREATE INDEX indicators_kind ON indicators (kind, item);
CREATE INDEX indicators_doc ON indicators (doc_no);

-- Further dated events of an indicator's way down (codes from the rule set's [[events]]), e.g. the
-- day the prefecture received the regional document; the deadline of every stage they allow is computed.
CREATE TABLE indicator_events (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    event TEXT NOT NULL CHECK (length(event) BETWEEN 1 AND 40),
    day TEXT NOT NULL CHECK (date(day) = day),
    UNIQUE (indicator_id, event)
) STRICT;

-- 调减 / 收回: its own dated record referring to the original indicator.
CREATE TABLE indicator_reductions (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    kind TEXT NOT NULL CHECK (kind IN ('reduce', 'recall')),
    doc_no TEXT NOT NULL CHECK (length(doc_no) BETWEEN 1 AND 80),
    reduction_date TEXT NOT NULL CHECK (date(reduction_date) = reduction_date),
    amount INTEGER NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL DEFAULT '',
    scan_id INTEGER REFERENCES attachments(id),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX indicator_reductions_ind ON indicator_reductions (indicator_id);

-- The special account (专账). side: income or expenditure; sign: +1 adds to that side, -1 takes from it.
--   income      收入（登记指标）      income      +1
--   reduction   调减/收回             income      -1
--   return      缴回（上缴上级/国库） income      -1
--   expenditure 支出                  expenditure +1
--   refund      退回（收款人退款）    expenditure -1
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    entry_date TEXT NOT NULL CHECK (date(entry_date) = entry_date),
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    entry_type TEXT NOT NULL CHECK (entry_type IN ('income', 'reduction', 'return', 'expenditure', 'refund')),
    side TEXT NOT NULL CHECK (side IN ('income', 'expenditure')),
    sign INTEGER NOT NULL CHECK (sign IN (1, -1)),
    amount INTEGER NOT NULL CHECK (amount > 0),
    voucher_no TEXT NOT NULL DEFAULT '',
    payment_id INTEGER,
    reduction_id INTEGER REFERENCES indicator_reductions(id),
    summary TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((entry_type = 'income' AND side = 'income' AND sign = 1)
        OR (entry_type IN ('reduction', 'return') AND side = 'income' AND sign = -1)
        OR (entry_type = 'expenditure' AND side = 'expenditure' AND sign = 1)
        OR (entry_type = 'refund' AND side = 'expenditure' AND sign = -1)),
    CHECK (entry_type IN ('income', 'reduction') OR length(voucher_no) > 0)
) STRICT;
CREATE INDEX ledger_entries_date ON ledger_entries (entry_date, id);
CREATE INDEX ledger_entries_indicator ON ledger_entries (indicator_id, entry_date);
CREATE UNIQUE INDEX ledger_entries_voucher ON ledger_entries (voucher_no) WHERE voucher_no <> '';
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id) WHERE payment_id IS NOT NULL;

-- One imported treasury payment export file; the same file (by SHA-256) is never imported twice.
CREATE TABLE treasury_imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE CHECK (length(file_sha256) = 64),
    imported_at TEXT NOT NULL,
    imported_by INTEGER REFERENCES users(id),
    rows_in_file INTEGER NOT NULL CHECK (rows_in_file >= 0),
    rows_added INTEGER NOT NULL CHECK (rows_added >= 0),
    mapping TEXT NOT NULL DEFAULT '{}'
) STRICT;

-- One payment as the treasury's centralized payment system recorded it (支付凭证).
CREATE TABLE treasury_payments (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES treasury_imports(id),
    source_row INTEGER NOT NULL CHECK (source_row >= 1),
    voucher_no TEXT NOT NULL UNIQUE CHECK (length(voucher_no) BETWEEN 1 AND 60),
    pay_date TEXT NOT NULL CHECK (date(pay_date) = pay_date),
    doc_no TEXT NOT NULL,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    func_code TEXT NOT NULL DEFAULT '',
    econ_code TEXT NOT NULL DEFAULT '',
    payee_name TEXT NOT NULL DEFAULT '',
    payee_account TEXT NOT NULL DEFAULT '',
    payee_bank TEXT NOT NULL DEFAULT '',
    amount INTEGER NOT NULL CHECK (amount > 0),
    purpose TEXT NOT NULL DEFAULT '',
    pay_method TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX treasury_payments_date ON treasury_payments (pay_date);
CREATE INDEX treasury_payments_indicator ON treasury_payments (indicator_id);

-- The month totals a business section reports from its own ledger (分管台账), for the monthly 对账.
CREATE TABLE section_ledger_figures (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    as_of TEXT NOT NULL CHECK (date(as_of) = as_of),
    section TEXT NOT NULL CHECK (length(section) BETWEEN 1 AND 40),
    income INTEGER NOT NULL CHECK (income >= 0),
    expenditure INTEGER NOT NULL CHECK (expenditure >= 0),
    note TEXT NOT NULL DEFAULT '',
    entered_by INTEGER REFERENCES users(id),
    entered_at TEXT NOT NULL,
    UNIQUE (month, section)
) STRICT;

-- Explanations of reconciliation differences; append-only history, the newest is shown.
CREATE TABLE recon_notes (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    diff_key TEXT NOT NULL CHECK (length(diff_key) BETWEEN 1 AND 120),
    note TEXT NOT NULL CHECK (length(note) BETWEEN 1 AND 500),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX recon_notes_key ON recon_notes (month, diff_key, id);

-- Settings of the 专账 area kept in the file (e.g. the remembered treasury column mapping, JSON).
CREATE TABLE ledger_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('indicators', 'id', '{row}.received_date', ''),
    ('indicator_events', 'id', '(SELECT received_date FROM indicators WHERE id = {row}.indicator_id)', ''),
    ('indicator_reductions', 'id', '{row}.reduction_date', ''),
    ('ledger_entries', 'id', '{row}.entry_date', ''),
    ('treasury_imports', 'id', NULL, ''),
    ('treasury_payments', 'id', '{row}.pay_date', ''),
    ('section_ledger_figures', 'id', '{row}.as_of', ''),
    ('recon_notes', 'id', NULL, ''),
    ('ledger_settings', 'key', NULL, '');
