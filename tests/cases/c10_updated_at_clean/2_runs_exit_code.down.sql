DROP TRIGGER runs_touch;
CREATE TRIGGER runs_touch AFTER UPDATE OF job_id, log ON runs FOR EACH ROW
BEGIN
  UPDATE runs SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
ALTER TABLE runs DROP COLUMN exit_code;
