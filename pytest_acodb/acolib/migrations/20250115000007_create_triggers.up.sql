-- P7-013: create triggers that keep updated_at current on tasks, workflows, sessions and
-- configurations.
--
-- An UPDATE of any column but updated_at sets updated_at to now and leaves created_at alone.
-- An UPDATE that sets updated_at itself keeps the value it sets (backfills, explicit stamps).
-- No trigger can recurse, whether PRAGMA recursive_triggers is ON or OFF and even when the
-- update lands in the same millisecond as the insert: each trigger fires only on UPDATE OF the
-- other columns, and its own UPDATE touches only updated_at.
-- A migration that adds a column to one of these tables must recreate its trigger with the
-- column added to the UPDATE OF list.

CREATE TRIGGER IF NOT EXISTS trg_tasks_updated_at
AFTER UPDATE OF id, title, description, task_type, status, config, metadata, workspace_path,
    created_at, started_at, completed_at, error ON tasks
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE tasks SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS trg_workflows_updated_at
AFTER UPDATE OF id, name, description, definition, status, created_at ON workflows
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE workflows SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS trg_sessions_updated_at
AFTER UPDATE OF id, client_id, user_id, connection_type, is_active, metadata, created_at,
    last_heartbeat ON sessions
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS trg_configurations_updated_at
AFTER UPDATE OF key, value, value_type, description, is_secret, created_at ON configurations
FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE configurations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE key = NEW.key;
END;
