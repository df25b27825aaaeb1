-- FundLedger schema 8: a global 搜索 over payees, projects, indicators (document numbers), payment requests and
-- notices (app/models/search.py; the window's toolbar, Ctrl+K).
--
-- The index is derived data: one FTS5 table with the trigram tokenizer (Chinese has no spaces between words, so
-- any three characters match inside a name; shorter queries use LIKE on the same table), kept by triggers on
-- the five source tables. It is not a tracked table: no audit records and no closed-month protection of its
-- own (it never writes to a tracked table, so a closed month never blocks it); `fundledger verify` compares it
-- with the source rows, and `fundledger search --rebuild` rebuilds it. Row ids: source id × 8 + kind number,
-- so a trigger finds its row without a scan. Identity card numbers and account numbers are not indexed.

CREATE VIRTUAL TABLE search_index USING fts5(kind UNINDEXED, object_id UNINDEXED, title, body, tokenize = 'trigram');

CREATE TRIGGER search_payees_i AFTER INSERT ON payees BEGIN
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 1, 'payee', NEW.id, coalesce(NEW.name, ''), coalesce(NEW.account_name, '') || ' ' || coalesce(NEW.bank, '') || ' ' || coalesce(NEW.township, '') || ' ' || coalesce(NEW.village, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_payees_u AFTER UPDATE ON payees BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 1;
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 1, 'payee', NEW.id, coalesce(NEW.name, ''), coalesce(NEW.account_name, '') || ' ' || coalesce(NEW.bank, '') || ' ' || coalesce(NEW.township, '') || ' ' || coalesce(NEW.village, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_payees_d AFTER DELETE ON payees BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 1;
END;
INSERT INTO search_index (rowid, kind, object_id, title, body)
  SELECT s.id * 8 + 1, 'payee', s.id, coalesce(s.name, ''), coalesce(s.account_name, '') || ' ' || coalesce(s.bank, '') || ' ' || coalesce(s.township, '') || ' ' || coalesce(s.village, '') || ' ' || coalesce(s.note, '') FROM payees s;

CREATE TRIGGER search_projects_i AFTER INSERT ON projects BEGIN
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 2, 'project', NEW.id, coalesce(NEW.code || ' ' || NEW.name, ''), coalesce(NEW.township, '') || ' ' || coalesce(NEW.village, '') || ' ' || coalesce(NEW.content, '') || ' ' || coalesce(NEW.implementer, '') || ' ' || coalesce(NEW.responsible, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_projects_u AFTER UPDATE ON projects BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 2;
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 2, 'project', NEW.id, coalesce(NEW.code || ' ' || NEW.name, ''), coalesce(NEW.township, '') || ' ' || coalesce(NEW.village, '') || ' ' || coalesce(NEW.content, '') || ' ' || coalesce(NEW.implementer, '') || ' ' || coalesce(NEW.responsible, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_projects_d AFTER DELETE ON projects BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 2;
END;
INSERT INTO search_index (rowid, kind, object_id, title, body)
  SELECT s.id * 8 + 2, 'project', s.id, coalesce(s.code || ' ' || s.name, ''), coalesce(s.township, '') || ' ' || coalesce(s.village, '') || ' ' || coalesce(s.content, '') || ' ' || coalesce(s.implementer, '') || ' ' || coalesce(s.responsible, '') || ' ' || coalesce(s.note, '') FROM projects s;

CREATE TRIGGER search_indicators_i AFTER INSERT ON indicators BEGIN
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 3, 'indicator', NEW.id, coalesce(NEW.doc_no || ' ' || NEW.title, ''), coalesce(NEW.section, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_indicators_u AFTER UPDATE ON indicators BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 3;
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 3, 'indicator', NEW.id, coalesce(NEW.doc_no || ' ' || NEW.title, ''), coalesce(NEW.section, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_indicators_d AFTER DELETE ON indicators BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 3;
END;
INSERT INTO search_index (rowid, kind, object_id, title, body)
  SELECT s.id * 8 + 3, 'indicator', s.id, coalesce(s.doc_no || ' ' || s.title, ''), coalesce(s.section, '') || ' ' || coalesce(s.note, '') FROM indicators s;

CREATE TRIGGER search_payments_i AFTER INSERT ON payments BEGIN
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 4, 'payment', NEW.id, coalesce(NEW.request_no || ' ' || NEW.purpose, ''), coalesce(NEW.voucher_no, '') || ' ' || coalesce(NEW.func_code, '') || ' ' || coalesce(NEW.econ_code, ''));
END;
CREATE TRIGGER search_payments_u AFTER UPDATE ON payments BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 4;
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 4, 'payment', NEW.id, coalesce(NEW.request_no || ' ' || NEW.purpose, ''), coalesce(NEW.voucher_no, '') || ' ' || coalesce(NEW.func_code, '') || ' ' || coalesce(NEW.econ_code, ''));
END;
CREATE TRIGGER search_payments_d AFTER DELETE ON payments BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 4;
END;
INSERT INTO search_index (rowid, kind, object_id, title, body)
  SELECT s.id * 8 + 4, 'payment', s.id, coalesce(s.request_no || ' ' || s.purpose, ''), coalesce(s.voucher_no, '') || ' ' || coalesce(s.func_code, '') || ' ' || coalesce(s.econ_code, '') FROM payments s;

CREATE TRIGGER search_notices_i AFTER INSERT ON notices BEGIN
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 5, 'notice', NEW.id, coalesce(NEW.title, ''), coalesce(NEW.location, '') || ' ' || coalesce(NEW.publisher, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_notices_u AFTER UPDATE ON notices BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 5;
  INSERT INTO search_index (rowid, kind, object_id, title, body) VALUES (NEW.id * 8 + 5, 'notice', NEW.id, coalesce(NEW.title, ''), coalesce(NEW.location, '') || ' ' || coalesce(NEW.publisher, '') || ' ' || coalesce(NEW.note, ''));
END;
CREATE TRIGGER search_notices_d AFTER DELETE ON notices BEGIN
  DELETE FROM search_index WHERE rowid = OLD.id * 8 + 5;
END;
INSERT INTO search_index (rowid, kind, object_id, title, body)
  SELECT s.id * 8 + 5, 'notice', s.id, coalesce(s.title, ''), coalesce(s.location, '') || ' ' || coalesce(s.publisher, '') || ' ' || coalesce(s.note, '') FROM notices s;
