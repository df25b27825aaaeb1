-- FundLedger schema 3: 项目计划 and 支付审批 (DOMAIN §4.0–§4.5). Money is INTEGER 分, never negative.
-- Codes (category, status, payment kind, usage, method, payee type …) are the rule set's codes.

-- A decision of the county poverty leading group (县扶贫开发领导小组) that approves or adjusts the plan.
CREATE TABLE plan_decisions (
    id INTEGER PRIMARY KEY,
    doc_no TEXT NOT NULL UNIQUE CHECK (length(doc_no) BETWEEN 1 AND 80),
    decision_date TEXT NOT NULL CHECK (date(decision_date) = decision_date),
    title TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;

-- A project of the annual plan (扶贫项目计划 / 项目库), DOMAIN §4.0.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    category TEXT NOT NULL,                          -- rule set [[project_categories]]
    construction_type TEXT NOT NULL,                 -- rule set [[construction_types]]
    township TEXT NOT NULL CHECK (length(township) BETWEEN 1 AND 40),
    village TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL CHECK (length(content) >= 1),
    subsidy_standard TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL CHECK (date(start_date) = start_date),
    end_date TEXT NOT NULL CHECK (date(end_date) = end_date),
    implementer TEXT NOT NULL CHECK (length(implementer) >= 1),
    responsible TEXT NOT NULL CHECK (length(responsible) >= 1),
    perf_goals TEXT NOT NULL DEFAULT '',
    mechanism TEXT NOT NULL DEFAULT '',
    households INTEGER NOT NULL DEFAULT 0 CHECK (households >= 0),
    persons INTEGER NOT NULL DEFAULT 0 CHECK (persons >= 0),
    poor_households INTEGER NOT NULL DEFAULT 0 CHECK (poor_households BETWEEN 0 AND households),
    poor_persons INTEGER NOT NULL DEFAULT 0 CHECK (poor_persons BETWEEN 0 AND persons),
    infrastructure INTEGER NOT NULL DEFAULT 0 CHECK (infrastructure IN (0, 1)),
    work_relief INTEGER NOT NULL DEFAULT 0 CHECK (work_relief IN (0, 1)),
    contract_amount INTEGER NOT NULL DEFAULT 0 CHECK (contract_amount >= 0),
    retention_bp INTEGER NOT NULL DEFAULT 0 CHECK (retention_bp BETWEEN 0 AND 10000),  -- 质保金比例, 万分之
    bond_item TEXT REFERENCES fund_items(code),      -- the bond project declared (债券项目), bond money only
    asset_type TEXT NOT NULL,                        -- rule set [[asset_types]]
    usage_exception_doc TEXT NOT NULL DEFAULT '',    -- leading-group decision allowing a usage exception (ZH)
    status TEXT NOT NULL,                            -- rule set [[project_statuses]]
    decision_id INTEGER REFERENCES plan_decisions(id),
    version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (start_date <= end_date),
    CHECK ((decision_id IS NULL) = (version = 0))
) STRICT;
CREATE INDEX projects_year ON projects (year, code);

-- Which indicators pay how much of a project. Never more on an indicator than its net amount.
CREATE TABLE project_funding (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    UNIQUE (project_id, indicator_id)
) STRICT;
CREATE INDEX project_funding_indicator ON project_funding (indicator_id);

-- Every approved version of a project (审定 = version 1, each 调整 the next), a full JSON snapshot.
CREATE TABLE plan_versions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    version INTEGER NOT NULL CHECK (version >= 1),
    decision_id INTEGER NOT NULL REFERENCES plan_decisions(id),
    change TEXT NOT NULL CHECK (change IN ('approve', 'adjust')),
    reason TEXT NOT NULL DEFAULT '',
    snapshot TEXT NOT NULL CHECK (json_valid(snapshot)),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (project_id, version)
) STRICT;

-- Payees (收款人): enterprises and 个体工商户 by USCC, households and persons by ID number.
CREATE TABLE payees (
    id INTEGER PRIMARY KEY,
    payee_type TEXT NOT NULL,                        -- rule set [[payment.payee_types]]
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    id_code TEXT NOT NULL UNIQUE CHECK (length(id_code) = 18),
    id_check_ok INTEGER NOT NULL CHECK (id_check_ok IN (0, 1)),
    id_confirmed_by INTEGER REFERENCES users(id),    -- reviewer who confirmed a code failing its check
    id_confirmed_at TEXT,
    account_name TEXT NOT NULL CHECK (length(account_name) BETWEEN 1 AND 100),
    account_no TEXT NOT NULL UNIQUE CHECK (length(account_no) BETWEEN 6 AND 40),
    bank TEXT NOT NULL CHECK (length(bank) BETWEEN 1 AND 100),
    township TEXT NOT NULL DEFAULT '',
    village TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;

-- A payment request (支付申请) and its way through the workflow.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    request_no TEXT NOT NULL UNIQUE,
    client_token TEXT UNIQUE,                        -- one form = one request, however often it is sent
    project_id INTEGER NOT NULL REFERENCES projects(id),
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    payee_id INTEGER REFERENCES payees(id),          -- NULL: paid to the persons of the real-name list
    amount INTEGER NOT NULL CHECK (amount > 0),
    kind TEXT NOT NULL,                              -- rule set [[payment.kinds]]
    usage TEXT NOT NULL,                             -- rule set [[usage_categories]]
    func_code TEXT NOT NULL,
    econ_code TEXT NOT NULL,
    method TEXT NOT NULL,                            -- rule set [[payment.methods]]
    purpose TEXT NOT NULL DEFAULT '',
    draft_date TEXT NOT NULL CHECK (date(draft_date) = draft_date),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'paid', 'returned', 'voided')),
    soft_reason TEXT NOT NULL DEFAULT '',            -- the clerk's written reason for a "原则上" warning
    override_note TEXT NOT NULL DEFAULT '',          -- the reviewer's override of those warnings
    drafted_by INTEGER NOT NULL REFERENCES users(id),
    drafted_at TEXT NOT NULL,
    submitted_by INTEGER REFERENCES users(id),
    submitted_at TEXT,
    reviewed_by INTEGER REFERENCES users(id),
    reviewed_at TEXT,
    voucher_no TEXT UNIQUE,
    pay_date TEXT CHECK (pay_date IS NULL OR date(pay_date) = pay_date),
    ledger_entry_id INTEGER REFERENCES ledger_entries(id),
    paid_by INTEGER REFERENCES users(id),
    paid_at TEXT,
    return_reason TEXT NOT NULL DEFAULT '',
    void_reason TEXT NOT NULL DEFAULT '',
    CHECK ((status = 'paid') = (pay_date IS NOT NULL AND voucher_no IS NOT NULL AND ledger_entry_id IS NOT NULL)),
    CHECK (status <> 'voided' OR length(void_reason) > 0),
    CHECK (status <> 'returned' OR length(return_reason) > 0)
) STRICT;
CREATE INDEX payments_project ON payments (project_id, status);
CREATE INDEX payments_indicator ON payments (indicator_id, status);
CREATE INDEX payments_status ON payments (status, draft_date);
CREATE INDEX payments_kind ON payments (kind, status);

-- What happened to a request, and who did it: the form prints drafter, reviewer and dates from here.
CREATE TABLE payment_events (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    action TEXT NOT NULL CHECK (action IN ('draft', 'edit', 'submit', 'review', 'return', 'void', 'paid', 'real_name')),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    user_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

-- Each check's outcome, every time the checks ran (on submit and again on review).
CREATE TABLE payment_checks (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    run INTEGER NOT NULL CHECK (run >= 1),
    stage TEXT NOT NULL CHECK (stage IN ('submit', 'review')),
    rule TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'warn')),
    actual TEXT NOT NULL DEFAULT '',
    limit_value TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    evaluated_by INTEGER REFERENCES users(id),
    evaluated_at TEXT NOT NULL,
    UNIQUE (payment_id, run, rule)
) STRICT;

-- 实名制发放名册: who gets how much of a payment to persons or households.
CREATE TABLE real_name_lists (
    payment_id INTEGER PRIMARY KEY REFERENCES payments(id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL CHECK (length(file_sha256) = 64),
    persons INTEGER NOT NULL CHECK (persons >= 1),
    total INTEGER NOT NULL CHECK (total >= 0),
    imported_by INTEGER REFERENCES users(id),
    imported_at TEXT NOT NULL
) STRICT;

CREATE TABLE real_name_lines (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES real_name_lists(payment_id),
    row_no INTEGER NOT NULL CHECK (row_no >= 1),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    id_number TEXT NOT NULL CHECK (length(id_number) = 18),
    village TEXT NOT NULL DEFAULT '',
    amount INTEGER NOT NULL CHECK (amount > 0),
    account TEXT NOT NULL CHECK (length(account) BETWEEN 6 AND 40),
    UNIQUE (payment_id, id_number)
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('plan_decisions', 'id', '{row}.decision_date', ''),
    ('projects', 'id', NULL, ''),
    ('project_funding', 'id', NULL, ''),
    ('plan_versions', 'id', '(SELECT decision_date FROM plan_decisions WHERE id = {row}.decision_id)', ''),
    ('payees', 'id', NULL, ''),
    ('payments', 'id', '{row}.pay_date', ''),
    ('payment_events', 'id', '(SELECT pay_date FROM payments WHERE id = {row}.payment_id)', ''),
    ('payment_checks', 'id', '(SELECT pay_date FROM payments WHERE id = {row}.payment_id)', ''),
    ('real_name_lists', 'payment_id', '(SELECT pay_date FROM payments WHERE id = {row}.payment_id)', ''),
    ('real_name_lines', 'id', '(SELECT pay_date FROM payments WHERE id = {row}.payment_id)', '');
