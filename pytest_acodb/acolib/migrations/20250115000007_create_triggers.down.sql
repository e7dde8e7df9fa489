-- Revert P7-013: drop the updated_at triggers.

DROP TRIGGER IF EXISTS trg_configurations_updated_at;
DROP TRIGGER IF EXISTS trg_sessions_updated_at;
DROP TRIGGER IF EXISTS trg_workflows_updated_at;
DROP TRIGGER IF EXISTS trg_tasks_updated_at;
