-- Revert P7-011: drop the sessions table and its indexes.

DROP INDEX IF EXISTS idx_sessions_created;
DROP INDEX IF EXISTS idx_sessions_heartbeat;
DROP INDEX IF EXISTS idx_sessions_active;
DROP INDEX IF EXISTS idx_sessions_user;
DROP INDEX IF EXISTS idx_sessions_client;
DROP TABLE IF EXISTS sessions;
