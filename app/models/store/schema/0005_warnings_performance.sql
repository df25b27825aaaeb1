-- FundLedger schema 5: 监控预警 (warnings W1–W9, DOMAIN §5.1), 问题台账 (problems, 表9) and
-- 绩效目标 (performance goals, DOMAIN §5.2). Money is INTEGER 分, never negative.
-- Status codes are the rule set's [[warning_statuses]]; warning codes its [[warnings]].

-- One warning per stable key (type + object). The current state; recomputation keeps the handling
-- (status, section, note) and closes a warning that stops firing (cleared_on).
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 3 AND 200),
    code TEXT NOT NULL CHECK (code GLOB 'W[1-9]'),
    object_type TEXT NOT NULL CHECK (length(object_type) BETWEEN 1 AND 40),
    object_id TEXT NOT NULL,
    object_label TEXT NOT NULL DEFAULT '',
    project_id INTEGER REFERENCES projects(id),
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    detail TEXT NOT NULL DEFAULT '',
    since TEXT NOT NULL CHECK (date(since) = since),
    first_detected TEXT NOT NULL CHECK (date(first_detected) = first_detected),
    status TEXT NOT NULL CHECK (length(status) BETWEEN 1 AND 20),
    section TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    handled_on TEXT CHECK (handled_on IS NULL OR date(handled_on) = handled_on),
    handled_by INTEGER REFERENCES users(id),
    cleared_on TEXT CHECK (cleared_on IS NULL OR date(cleared_on) = cleared_on)
) STRICT;
CREATE INDEX warnings_code ON warnings (code, status);
CREATE INDEX warnings_detected ON warnings (first_detected);

-- Every change of a warning's status, dated: detected, handled, cleared, reopened. Frozen with its
-- month, so the state on a signed month's last day (表7) can always be re-created.
CREATE TABLE warning_events (
    id INTEGER PRIMARY KEY,
    warning_id INTEGER NOT NULL REFERENCES warnings(id),
    day TEXT NOT NULL CHECK (date(day) = day),
    event TEXT NOT NULL CHECK (event IN ('detected', 'handled', 'cleared', 'reopened')),
    status TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    section TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;
CREATE INDEX warning_events_warning ON warning_events (warning_id, day, id);

-- Each recomputation: as of which day, when, by whom, and what changed.
CREATE TABLE warning_runs (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL CHECK (date(as_of) = as_of),
    ran_at TEXT NOT NULL,
    by_user INTEGER REFERENCES users(id),
    found INTEGER NOT NULL CHECK (found >= 0),
    added INTEGER NOT NULL CHECK (added >= 0),
    changed INTEGER NOT NULL CHECK (changed >= 0),
    cleared INTEGER NOT NULL CHECK (cleared >= 0),
    reopened INTEGER NOT NULL CHECK (reopened >= 0)
) STRICT;

-- The section answering for a warning type when its object names none (e.g. 月报逾期).
CREATE TABLE warning_sections (
    code TEXT PRIMARY KEY CHECK (code GLOB 'W[1-9]'),
    section TEXT NOT NULL CHECK (length(section) BETWEEN 1 AND 40)
) STRICT;

-- 问题台账: a problem found by a warning (warning_id) or entered by hand. Its facts are frozen
-- with the month it was found in; its rectification is the dated history below.
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    found_on TEXT NOT NULL CHECK (date(found_on) = found_on),
    category TEXT NOT NULL CHECK (category GLOB 'W[1-9]' OR category = 'other'),
    origin TEXT NOT NULL CHECK (origin IN ('warning', 'self_check', 'audit', 'inspection', 'complaint')),
    description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    project_id INTEGER REFERENCES projects(id),
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    section TEXT NOT NULL DEFAULT '',
    warning_id INTEGER UNIQUE REFERENCES warnings(id),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((origin = 'warning') = (warning_id IS NOT NULL))
) STRICT;
CREATE INDEX problems_found ON problems (found_on);

CREATE TABLE problem_updates (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problems(id),
    day TEXT NOT NULL CHECK (date(day) = day),
    status TEXT NOT NULL,
    measures TEXT NOT NULL DEFAULT '',
    deadline TEXT CHECK (deadline IS NULL OR date(deadline) = deadline),
    progress TEXT NOT NULL DEFAULT '',
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;
CREATE INDEX problem_updates_problem ON problem_updates (problem_id, id);

-- 绩效目标: a project's indicators in the standard tree (一级 class / 二级 subclass / 三级 name).
-- target is kept as entered: a target that is not a number is irregular (warning W2), not refused.
-- A removed goal stays (removed_on) because monthly values refer to it; the goals on a day are those
-- set on or before it and not removed by then.
CREATE TABLE perf_goals (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    level1 TEXT NOT NULL CHECK (length(level1) BETWEEN 1 AND 40),
    level2 TEXT NOT NULL CHECK (length(level2) BETWEEN 1 AND 40),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    comparator TEXT NOT NULL CHECK (length(comparator) BETWEEN 1 AND 4),
    target TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    set_on TEXT NOT NULL CHECK (date(set_on) = set_on),
    sort INTEGER NOT NULL DEFAULT 0,
    removed_on TEXT CHECK (removed_on IS NULL OR date(removed_on) = removed_on),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX perf_goals_project ON perf_goals (project_id, sort);
CREATE UNIQUE INDEX perf_goals_unique ON perf_goals (project_id, level2, name) WHERE removed_on IS NULL;

-- Monthly monitoring (绩效运行监控): the value reached by the month and the expected full-year value.
CREATE TABLE perf_actuals (
    id INTEGER PRIMARY KEY,
    goal_id INTEGER NOT NULL REFERENCES perf_goals(id),
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    period_end TEXT NOT NULL CHECK (date(period_end) = period_end),
    actual TEXT NOT NULL CHECK (length(actual) BETWEEN 1 AND 40),
    forecast TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    entered_by INTEGER REFERENCES users(id),
    entered_at TEXT NOT NULL,
    UNIQUE (goal_id, month)
) STRICT;

-- Decisions on deviation: 纠偏 (correct), 暂缓拨付 (pause), 收回 (recover).
CREATE TABLE perf_decisions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    goal_id INTEGER REFERENCES perf_goals(id),
    decided_on TEXT NOT NULL CHECK (date(decided_on) = decided_on),
    kind TEXT NOT NULL CHECK (kind IN ('correct', 'pause', 'recover')),
    doc_no TEXT NOT NULL DEFAULT '',
    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
    measures TEXT NOT NULL CHECK (length(measures) BETWEEN 1 AND 500),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX perf_decisions_project ON perf_decisions (project_id, decided_on);

-- Year-end self-evaluation (自评): score in tenths of a point (0–1000) and the report text.
CREATE TABLE perf_evaluations (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    evaluated_on TEXT NOT NULL CHECK (date(evaluated_on) = evaluated_on),
    score_tenths INTEGER NOT NULL CHECK (score_tenths BETWEEN 0 AND 1000),
    report TEXT NOT NULL CHECK (length(report) BETWEEN 1 AND 4000),
    attachment_id INTEGER REFERENCES attachments(id),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (project_id, year)
) STRICT;

-- The warnings read every indicator's money in one pass (progress.figures: W5, W6, the dashboard); this
-- covering index lets that pass read the index alone instead of every ledger row.
CREATE INDEX ledger_entries_money ON ledger_entries (indicator_id, entry_date, entry_type, side, sign, amount);

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('warnings', 'id', NULL, ''),
    ('warning_events', 'id', '{row}.day', ''),
    ('warning_runs', 'id', NULL, ''),
    ('warning_sections', 'code', NULL, ''),
    ('problems', 'id', '{row}.found_on', ''),
    ('problem_updates', 'id', '{row}.day', ''),
    ('perf_goals', 'id', NULL, ''),
    ('perf_actuals', 'id', '{row}.period_end', ''),
    ('perf_decisions', 'id', '{row}.decided_on', ''),
    ('perf_evaluations', 'id', '{row}.evaluated_on', '');
