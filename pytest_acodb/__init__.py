"""pytest-acodb: a migrated SQLite database per test, factories, and migration checks.

Public entry points: :mod:`pytest_acodb.migrate` (the sqlx migration engine),
:mod:`pytest_acodb.database` (connections and templates), :mod:`pytest_acodb.schema`
(schema snapshots), :mod:`pytest_acodb.checks` (built-in checks), :mod:`pytest_acodb.models`
and :mod:`pytest_acodb.factories` (the bundled acolib schema).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__version__ = "0.1.0"


def bundled_migrations_dir() -> Path:
    """The directory of the acolib migrations shipped with the package.

    They live in ``pytest_acodb/acolib/migrations``, in a wheel and in a source checkout alike.
    """
    return Path(str(files(__name__))) / "acolib" / "migrations"
