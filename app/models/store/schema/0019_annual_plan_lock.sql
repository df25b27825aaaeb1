-- FundLedger schema 19: 年度计划数 is reported in 表1 of every month of its year, and a signed month's figures may
-- not drift. A year's plan figures are therefore closed like any dated row once a month of that year is closed:
-- the date of a plan row is 1 January of its year, so the generated closed-month triggers refuse a write as soon
-- as any month of that year (or a later one) is signed and closed, and verify's closed-month check sees a write
-- made with the triggers dropped. (Changing the plan of a signed year: the chief reopens those months first.)
UPDATE tracked_tables SET date_expr = 'printf(''%04d-01-01'', {row}.year)' WHERE name = 'annual_plans';
