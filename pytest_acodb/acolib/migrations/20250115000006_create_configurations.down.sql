-- Revert P7-012: drop the configurations table and its indexes.

DROP INDEX IF EXISTS idx_configurations_updated;
DROP INDEX IF EXISTS idx_configurations_secret;
DROP INDEX IF EXISTS idx_configurations_type;
DROP TABLE IF EXISTS configurations;
