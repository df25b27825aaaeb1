-- FundLedger schema 13 (issue #18 items 1, 2, 4): cross-checks for false claims (虚报冒领), the order of
-- notice and payment, and the exceptions the rules allow.
--
-- (Warning codes beyond W9 need no change here: schema 12 replaced the W[1-9] CHECK by a shape check.)

-- 2. Rosters (名册) the cross-checks compare payees with, each imported whole from Excel and replaced whole:
--    kind 'staff' = 财政供养人员 (the bureau's staff/official list), kind 'poor' = 脱贫户/监测对象.
--    status: 'normal', or 'deceased' (死亡) / 'moved_out' (迁出) with the day it happened.
CREATE TABLE roster_imports (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'poor')),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL CHECK (length(file_sha256) = 64),
    persons INTEGER NOT NULL CHECK (persons >= 1),
    imported_by INTEGER REFERENCES users(id),
    imported_at TEXT NOT NULL
) STRICT;

CREATE TABLE roster_people (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'poor')),
    import_id INTEGER NOT NULL REFERENCES roster_imports(id),
    row_no INTEGER NOT NULL CHECK (row_no >= 2),
    id_number TEXT NOT NULL CHECK (length(id_number) = 18),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    unit TEXT NOT NULL DEFAULT '',          -- staff: 工作单位; poor: 所在村
    category TEXT NOT NULL DEFAULT '',      -- staff: 身份（在编、聘用…）; poor: 脱贫户 / 监测对象
    status TEXT NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'deceased', 'moved_out')),
    status_date TEXT CHECK (status_date IS NULL OR date(status_date) = status_date),
    CHECK ((status = 'normal') = (status_date IS NULL)),
    UNIQUE (kind, id_number)
) STRICT;

-- The cross-list checks read real-name lines by person and by account over the whole file (1 M lines in a
-- large county): these indexes let them group without sorting the table, and join to a payment by id.
CREATE INDEX real_name_lines_person ON real_name_lines (id_number, payment_id, amount);
CREATE INDEX real_name_lines_account ON real_name_lines (account, id_number);

-- 3. A payment made before its project's notice had been on the board for the minimum days (事前公示) is
--    refused; the recorded exception is who allowed it, on which document, why. Audited like every table.
CREATE TABLE notice_exceptions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL UNIQUE REFERENCES projects(id),
    doc_no TEXT NOT NULL CHECK (length(doc_no) BETWEEN 1 AND 80),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 4 AND 500),
    granted_on TEXT NOT NULL CHECK (date(granted_on) = granted_on),
    granted_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;

-- 4. 31 October exemptions approved by the region (特殊情况报自治区审定): which indicator, how much of it may
--    be paid after the year-end day, on which document of which date. Never without a document.
CREATE TABLE year_end_exemptions (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    amount INTEGER NOT NULL CHECK (amount > 0),
    doc_no TEXT NOT NULL CHECK (length(doc_no) BETWEEN 1 AND 80),
    doc_date TEXT NOT NULL CHECK (date(doc_date) = doc_date),
    reason TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (indicator_id, year)
) STRICT;

--    质保金 is held on the settled price (工程结算价) once the settlement is recorded, on the contract amount before.
CREATE TABLE project_settlements (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    settled_on TEXT NOT NULL CHECK (date(settled_on) = settled_on),
    doc_no TEXT NOT NULL CHECK (length(doc_no) BETWEEN 1 AND 80),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;

-- 5. County-level notices of the year's plan (县级公告): 项目库 (project_pool), 年度项目计划 (annual_plan) and its
--    完成情况 (plan_completion), each with the approving document's number (批准文号); the content (JSON) lists the
--    projects, with 验收结果 and 绩效目标完成情况 for the completion notice.
CREATE TABLE county_notices (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('project_pool', 'annual_plan', 'plan_completion')),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    doc_no TEXT NOT NULL CHECK (length(doc_no) BETWEEN 1 AND 200),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    content TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(content) AND json_type(content) = 'object'),
    place TEXT NOT NULL CHECK (length(place) BETWEEN 1 AND 20),
    location TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL CHECK (date(start_date) = start_date),
    end_date TEXT CHECK (end_date IS NULL OR (date(end_date) = end_date AND end_date >= start_date)),
    publisher TEXT NOT NULL CHECK (length(publisher) BETWEEN 1 AND 60),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX county_notices_kind ON county_notices (kind, year, start_date);

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('county_notices', 'id', '{row}.start_date', ''),
    ('roster_imports', 'id', NULL, ''),
    ('roster_people', 'id', NULL, ''),
    ('notice_exceptions', 'id', '{row}.granted_on', ''),
    ('year_end_exemptions', 'id', NULL, ''),
    ('project_settlements', 'project_id', NULL, '');
