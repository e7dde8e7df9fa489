"""The migration engine: discover, parse, checksum, apply, revert and validate sqlx migrations.

Plain Python over the DB-API; never imports pytest, so the CLI and user code can use it too.
"""

from __future__ import annotations

from .migrator import Migrator, quote
from .plan import RevertPlan, RunPlan
from .source import (
    Migration,
    MigrationSource,
    MigrationType,
    ParsedName,
    checksum,
    parse_filename,
    resolve,
)
from .sql import Statement, split_statements
from .status import AppliedMigration, MigrationStatus, State

__all__ = [
    "AppliedMigration",
    "Migration",
    "MigrationSource",
    "MigrationStatus",
    "MigrationType",
    "Migrator",
    "ParsedName",
    "RevertPlan",
    "RunPlan",
    "State",
    "Statement",
    "checksum",
    "parse_filename",
    "quote",
    "resolve",
    "split_statements",
]
