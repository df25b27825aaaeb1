-- FundLedger schema 4: 公告公示 (DOMAIN §4.6, source §三(二)5). What was published, where and for how
-- long, what people said about it and how it was handled, and the photos/scans that prove it.
-- level, kind and place are the rule set's codes ([[notices.levels]], [[notices.kinds]], [[notices.places]]).

-- One notice as posted: about one object (indicator = an allocation result, project = its plan
-- arrangement or fund use, payment = a real-name disbursement), on one board, site or website.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    level TEXT NOT NULL CHECK (length(level) BETWEEN 1 AND 20),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 20),
    object_type TEXT NOT NULL CHECK (object_type IN ('indicator', 'project', 'payment')),
    object_id INTEGER NOT NULL CHECK (object_id >= 1),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    content TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(content) AND json_type(content) = 'object'),
    place TEXT NOT NULL CHECK (length(place) BETWEEN 1 AND 20),
    location TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL CHECK (date(start_date) = start_date),
    end_date TEXT CHECK (end_date IS NULL OR (date(end_date) = end_date AND end_date >= start_date)),
    publisher TEXT NOT NULL CHECK (length(publisher) BETWEEN 1 AND 60),
    phones TEXT NOT NULL CHECK (length(phones) BETWEEN 1 AND 100),
    note TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    updated_at TEXT
) STRICT;
CREATE INDEX notices_object ON notices (object_type, object_id, kind, level);
CREATE INDEX notices_start ON notices (start_date, id);

-- Photos of the board, scans of the printed notice, a screenshot of the web page (files in attachments).
CREATE TABLE notice_evidence (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    attachment_id INTEGER NOT NULL UNIQUE REFERENCES attachments(id),
    caption TEXT NOT NULL DEFAULT '',
    added_by INTEGER REFERENCES users(id),
    added_at TEXT NOT NULL
) STRICT;
CREATE INDEX notice_evidence_notice ON notice_evidence (notice_id, id);

-- What people said about a notice (群众反映): who, when, how, what.
CREATE TABLE notice_feedback (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    received_date TEXT NOT NULL CHECK (date(received_date) = received_date),
    person TEXT NOT NULL CHECK (length(person) BETWEEN 1 AND 60),
    channel TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL CHECK (length(content) BETWEEN 1 AND 1000),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX notice_feedback_notice ON notice_feedback (notice_id, received_date);

-- How a piece of feedback was handled: its own dated row, so handling recorded after the month of the
-- feedback has been closed is still possible, and every step stays in the history.
CREATE TABLE notice_feedback_handling (
    id INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES notice_feedback(id),
    handled_date TEXT NOT NULL CHECK (date(handled_date) = handled_date),
    handling TEXT NOT NULL CHECK (length(handling) BETWEEN 1 AND 1000),
    resolved INTEGER NOT NULL DEFAULT 1 CHECK (resolved IN (0, 1)),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX notice_feedback_handling_fb ON notice_feedback_handling (feedback_id, handled_date);

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('notices', 'id', '{row}.start_date', ''),
    ('notice_evidence', 'id', '(SELECT start_date FROM notices WHERE id = {row}.notice_id)', ''),
    ('notice_feedback', 'id', '{row}.received_date', ''),
    ('notice_feedback_handling', 'id', '{row}.handled_date', '');
