-- FundLedger schema 6: the monthly report — annual plan figures, official templates, sign-offs.

-- 年度计划数 per fund item (表1), entered by the bureau.
CREATE TABLE annual_plans (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    item TEXT NOT NULL REFERENCES fund_items(code),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    UNIQUE (year, item)
) STRICT;

-- A region-supplied .xlsx template registered for one table (the file itself in attachments).
CREATE TABLE report_templates (
    id INTEGER PRIMARY KEY,
    table_id TEXT NOT NULL,                      -- 表1 … 表9, or 封面
    sheet TEXT NOT NULL DEFAULT '',
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    registered_by INTEGER REFERENCES users(id),
    registered_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX report_templates_active ON report_templates (table_id) WHERE active = 1;

-- One signed package: the data it was rendered from (canonical JSON), the audit-chain head at the
-- moment of signing, and the SHA-256 of every file. A corrected version (更正版) is a new row; the
-- one it replaces is marked superseded, never deleted.
CREATE TABLE signoffs (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('signed', 'superseded')),
    signed_by INTEGER NOT NULL REFERENCES users(id),
    signed_at TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    audit_seq INTEGER NOT NULL,
    audit_hash TEXT NOT NULL,
    data TEXT NOT NULL CHECK (json_valid(data)),
    data_sha256 TEXT NOT NULL CHECK (length(data_sha256) = 64),
    files TEXT NOT NULL CHECK (json_valid(files)),  -- {file name: sha256}
    templates TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(templates)),  -- {table: report_templates.id} used
    reopened_at TEXT,
    reopened_by INTEGER REFERENCES users(id),
    reopen_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (month, version)
) STRICT;

-- The signed files themselves, kept so an auditor can read exactly what was sent.
CREATE TABLE signoff_files (
    id INTEGER PRIMARY KEY,
    signoff_id INTEGER NOT NULL REFERENCES signoffs(id),
    name TEXT NOT NULL,
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    UNIQUE (signoff_id, name)
) STRICT;

INSERT INTO tracked_tables (name, key_column, date_expr, skip_columns) VALUES
    ('annual_plans', 'id', NULL, ''),
    ('report_templates', 'id', NULL, ''),
    ('signoffs', 'id', NULL, ''),
    ('signoff_files', 'id', NULL, '');

-- Views with Chinese column names, for auditors reading the file with DB Browser for SQLite.
-- Amounts are given both as integer 分 and as exact 元 text (no floating point anywhere).
CREATE VIEW v_用户 AS
SELECT id AS 编号, login AS 登录名, name AS 姓名,
       CASE role WHEN 'clerk' THEN '经办' WHEN 'reviewer' THEN '审核' WHEN 'chief' THEN '局长' ELSE '审计' END AS 角色,
       section AS 业务股室, CASE active WHEN 1 THEN '启用' ELSE '停用' END AS 状态, created_at AS 创建时间
FROM users;

CREATE VIEW v_指标 AS
SELECT i.id AS 编号, i.doc_no AS 文号, i.year AS 年度, k.name AS 资金大类, it.name AS 资金项目,
       i.source_level AS 资金级次, i.amount AS 金额_分,
       printf('%d.%02d', i.amount / 100, i.amount % 100) AS 金额_元,
       i.upper_doc_date AS 上级发文日期, i.prefecture_doc_date AS 地州发文日期, i.received_date AS 收到日期,
       i.func_code AS 功能科目, i.section AS 业务股室, i.title AS 标题
FROM indicators i JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item;

CREATE VIEW v_专账明细 AS
SELECT e.id AS 编号, e.entry_date AS 记账日期, i.doc_no AS 指标文号, k.name AS 资金大类, it.name AS 资金项目,
       CASE e.entry_type WHEN 'income' THEN '收入' WHEN 'reduction' THEN '调减/收回' WHEN 'return' THEN '缴回'
            WHEN 'expenditure' THEN '支出' ELSE '退回' END AS 类型,
       CASE e.side WHEN 'income' THEN '收入方' ELSE '支出方' END AS 方向,
       e.sign * e.amount AS 金额_分,
       printf('%s%d.%02d', CASE WHEN e.sign < 0 THEN '-' ELSE '' END, e.amount / 100, e.amount % 100) AS 金额_元,
       e.voucher_no AS 凭证号, e.payment_id AS 支付单编号, e.summary AS 摘要, i.section AS 业务股室
FROM ledger_entries e JOIN indicators i ON i.id = e.indicator_id
JOIN fund_kinds k ON k.code = i.kind JOIN fund_items it ON it.code = i.item;

CREATE VIEW v_项目 AS
SELECT p.id AS 编号, p.code AS 项目编号, p.name AS 项目名称, p.year AS 年度, p.category AS 项目类别,
       p.township AS 乡镇, p.village AS 村, p.start_date AS 开始日期, p.end_date AS 结束日期,
       p.implementer AS 实施单位, p.responsible AS 责任人, p.status AS 状态,
       (SELECT coalesce(sum(f.amount), 0) FROM project_funding f WHERE f.project_id = p.id) AS 计划金额_分,
       d.doc_no AS 领导小组决定文号, d.decision_date AS 决定日期
FROM projects p LEFT JOIN plan_decisions d ON d.id = p.decision_id;

CREATE VIEW v_支付明细 AS
SELECT y.id AS 编号, y.request_no AS 申请编号, pr.code AS 项目编号, pr.name AS 项目名称, i.doc_no AS 指标文号,
       coalesce(pe.name, '（实名制名册）') AS 收款人, y.amount AS 金额_分,
       printf('%d.%02d', y.amount / 100, y.amount % 100) AS 金额_元,
       y.kind AS 支付类型, y.usage AS 支出用途, y.method AS 支付方式,
       CASE y.status WHEN 'draft' THEN '草稿' WHEN 'submitted' THEN '已提交' WHEN 'approved' THEN '已审核'
            WHEN 'paid' THEN '已支付' WHEN 'returned' THEN '退回' ELSE '作废' END AS 状态,
       y.draft_date AS 起草日期, y.voucher_no AS 国库凭证号, y.pay_date AS 支付日期,
       y.return_reason AS 退回原因, y.void_reason AS 作废原因
FROM payments y JOIN projects pr ON pr.id = y.project_id JOIN indicators i ON i.id = y.indicator_id
LEFT JOIN payees pe ON pe.id = y.payee_id;

CREATE VIEW v_公告 AS
SELECT id AS 编号, level AS 公示层级, kind AS 公示类别, object_type AS 对象类型, object_id AS 对象编号, title AS 标题,
       place AS 公示地点, start_date AS 开始日期, end_date AS 结束日期, publisher AS 发布单位
FROM notices;

CREATE VIEW v_预警 AS
SELECT id AS 编号, code AS 预警代码, object_label AS 涉及对象, amount AS 涉及金额_分, first_detected AS 首次发现,
       status AS 状态, section AS 责任股室, note AS 整改说明, handled_on AS 处理日期, cleared_on AS 解除日期
FROM warnings;

CREATE VIEW v_问题台账 AS
SELECT id AS 编号, found_on AS 发现日期, category AS 问题类型, description AS 问题描述, amount AS 涉及金额_分,
       section AS 责任股室, warning_id AS 来源预警
FROM problems;

CREATE VIEW v_签发记录 AS
SELECT s.month AS 月份, s.version AS 版本, CASE s.status WHEN 'signed' THEN '有效' ELSE '已被更正' END AS 状态,
       u.name AS 签发人, s.signed_at AS 签发时间, s.comment AS 签发意见, s.audit_seq AS 审计链序号,
       s.audit_hash AS 审计链哈希, s.files AS 文件哈希, s.reopen_reason AS 重新打开理由
FROM signoffs s JOIN users u ON u.id = s.signed_by;

CREATE VIEW v_审计日志 AS
SELECT seq AS 序号, at AS 时间, actor AS 操作人, op AS 操作, tbl AS 数据表, row_key AS 主键,
       CASE action WHEN 'I' THEN '新增' WHEN 'U' THEN '修改' ELSE '删除' END AS 动作,
       before AS 修改前, after AS 修改后, hash AS 哈希
FROM audit_log;
