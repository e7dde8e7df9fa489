"""The database layer: connections, migrated templates and the isolation strategies."""
