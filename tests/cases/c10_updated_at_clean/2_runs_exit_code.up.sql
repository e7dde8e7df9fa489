ALTER TABLE runs ADD COLUMN exit_code INTEGER;
-- the trigger lists its columns: the new one joins them
DROP TRIGGER runs_touch;
CREATE TRIGGER runs_touch AFTER UPDATE OF job_id, log, exit_code ON runs FOR EACH ROW
BEGIN
  UPDATE runs SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
