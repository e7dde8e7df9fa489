"""pytest-acodb: a migrated SQLite database per test, factories, and migration checks.

Public entry points: :mod:`pytest_acodb.migrate` (the sqlx migration engine),
:mod:`pytest_acodb.db` (drivers, connections, templates, per-test isolation),
:mod:`pytest_acodb.schema` (schema snapshots), :mod:`pytest_acodb.checks` (the built-in
checks), :mod:`pytest_acodb.synth` (rows and factories for any schema), and
:mod:`pytest_acodb.acolib` (the bundled acolib schema: its migrations, models and factories).
The pytest plugin is :mod:`pytest_acodb.plugin`; the ``acodb`` command is :mod:`pytest_acodb.cli`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__version__ = "0.2.0"


def bundled_migrations_dir() -> Path:
    """The directory of the acolib migrations shipped with the package.

    They live in ``pytest_acodb/acolib/migrations``, in a wheel and in a source checkout alike.
    """
    return Path(str(files(__name__))) / "acolib" / "migrations"
