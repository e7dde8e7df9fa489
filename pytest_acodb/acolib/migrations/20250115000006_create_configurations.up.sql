-- P7-012: create the configurations table, a key-value store for runtime settings.
-- value is text that parses as value_type. is_secret is a boolean stored as 0 or 1.

CREATE TABLE IF NOT EXISTS configurations (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    value_type TEXT NOT NULL CHECK (value_type IN ('string', 'integer', 'float', 'boolean', 'json')),
    description TEXT,
    is_secret INTEGER NOT NULL CHECK (is_secret IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE INDEX IF NOT EXISTS idx_configurations_type ON configurations(value_type);
CREATE INDEX IF NOT EXISTS idx_configurations_secret ON configurations(is_secret);
CREATE INDEX IF NOT EXISTS idx_configurations_updated ON configurations(updated_at);
