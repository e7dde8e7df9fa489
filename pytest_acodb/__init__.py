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

    In an installed wheel they live in ``pytest_acodb/migrations``; in a source checkout (or an
    editable install) in the repository's top-level ``migrations/``.
    """
    packaged = Path(str(files(__name__))) / "migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "migrations"
