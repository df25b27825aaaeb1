-- FundLedger schema 24: the working-day calendar is a fact every signed month's deadlines were counted with
-- (表2 用时 and 是否逾期, W1). A day on or before the last signed month's end is therefore closed like a dated row:
-- adding, removing or changing it is refused, and so is adding, removing or renumbering the notice of a year
-- whose 1 January lies in that span (a year without a notice is counted Mon–Fri). Later days stay open: next
-- year's notice, and a late 调休 for a month not yet signed (the chief, with a reason: store/holidays.py).
-- Each signed month also carries a digest of these facts (reports/monthly.py → store/holidays.digest_through),
-- which verify compares with the file: the insider who drops these triggers is caught there.
CREATE TRIGGER calendar_days_locked_i BEFORE INSERT ON calendar_days
WHEN NEW.day <= (SELECT max(end_date) FROM periods WHERE closed = 1)
BEGIN SELECT RAISE(ABORT, '该日期在已签发的月份内，工作日历不能改动（已签发月份的下达时限按原日历计算；如需更正，请局长先重新打开该月）'); END;

CREATE TRIGGER calendar_days_locked_u BEFORE UPDATE ON calendar_days
WHEN (OLD.day <= (SELECT max(end_date) FROM periods WHERE closed = 1)
      OR NEW.day <= (SELECT max(end_date) FROM periods WHERE closed = 1))
  AND (NEW.day IS NOT OLD.day OR NEW.kind IS NOT OLD.kind)
BEGIN SELECT RAISE(ABORT, '该日期在已签发的月份内，工作日历不能改动（已签发月份的下达时限按原日历计算；如需更正，请局长先重新打开该月）'); END;

CREATE TRIGGER calendar_days_locked_d BEFORE DELETE ON calendar_days
WHEN OLD.day <= (SELECT max(end_date) FROM periods WHERE closed = 1)
BEGIN SELECT RAISE(ABORT, '该日期在已签发的月份内，工作日历不能改动（已签发月份的下达时限按原日历计算；如需更正，请局长先重新打开该月）'); END;

CREATE TRIGGER calendar_years_locked_i BEFORE INSERT ON calendar_years
WHEN printf('%04d-01-01', NEW.year) <= (SELECT max(end_date) FROM periods WHERE closed = 1)
BEGIN SELECT RAISE(ABORT, '该年度已有签发的月份，不能补录或删除该年的节假日安排（如需更正，请局长先重新打开该年已签发的月份）'); END;

CREATE TRIGGER calendar_years_locked_u BEFORE UPDATE OF year ON calendar_years
WHEN NEW.year IS NOT OLD.year AND (printf('%04d-01-01', OLD.year) <= (SELECT max(end_date) FROM periods WHERE closed = 1)
  OR printf('%04d-01-01', NEW.year) <= (SELECT max(end_date) FROM periods WHERE closed = 1))
BEGIN SELECT RAISE(ABORT, '该年度已有签发的月份，不能补录或删除该年的节假日安排（如需更正，请局长先重新打开该年已签发的月份）'); END;

CREATE TRIGGER calendar_years_locked_d BEFORE DELETE ON calendar_years
WHEN printf('%04d-01-01', OLD.year) <= (SELECT max(end_date) FROM periods WHERE closed = 1)
BEGIN SELECT RAISE(ABORT, '该年度已有签发的月份，不能补录或删除该年的节假日安排（如需更正，请局长先重新打开该年已签发的月份）'); END;
