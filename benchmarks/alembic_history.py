"""An alembic project equivalent to an sqlx migrations directory, for ``run.py``'s row 4.

``write_project(migrations, directory, driver)`` reads ``migrations`` as sqlx resolves it (the
kit's ``resolve``) and writes into ``directory``:

* ``alembic.ini`` and ``alembic/env.py``: an online-only environment that migrates through the
  connectable pytest-alembic hands it in ``config.attributes["connection"]`` (or the ini's URL
  when run by the ``alembic`` command), with no ``target_metadata``: the history has no models;
* ``alembic/versions/<version>_<description>.py``: one revision per migration, its id the sqlx
  version, chained by ``down_revision``; ``upgrade()`` runs the statements of the up script and
  ``downgrade()`` those of the down script, one ``op.execute`` each (a migration with no down
  script raises ``NotImplementedError``, which pytest-alembic treats as the floor of
  downgrades). Scripts are split into statements with ``sqlite3.complete_statement``, so a
  trigger's ``BEGIN ... END;`` body stays whole;
* ``conftest.py``: pytest-alembic's ``alembic_config`` and ``alembic_engine`` fixtures, a new
  in-memory database per test on the same DB-API module as the kit's driver, foreign keys on
  (as the kit's and sqlx's connections have them);
* ``pytest.ini``: the built-in tests bound to that ``conftest.py``; ``model_definitions_match_ddl``
  excluded, as there is no MetaData to compare the migrated schema with.

Run it directly to write a project and check that upgrading it to head gives the schema and rows
the kit's migrator gives: ``python benchmarks/alembic_history.py MIGRATIONS_DIR OUT_DIR [DRIVER]``
(``run.py`` does, in a child process: see ``run_process`` on peak RSS).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ENV_PY = '''"""Online migrations only, through the connectable pytest-alembic passes in
``config.attributes["connection"]`` or, from the ``alembic`` command, the ini's URL."""
from alembic import context
from sqlalchemy import create_engine

config = context.config
target_metadata = None


def run_migrations_online():
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = create_engine(config.get_main_option("sqlalchemy.url"))
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

ALEMBIC_INI = """[alembic]
script_location = %(here)s/alembic
sqlalchemy.url = sqlite:///migrated.db
"""

CONFTEST = '''"""pytest-alembic's fixtures: this project's alembic.ini, and a new in-memory database per
test on {module} (the kit's driver), foreign keys on."""
import {module} as dbapi
import pytest
from sqlalchemy import create_engine, event


@pytest.fixture
def alembic_config():
    return {{"file": "alembic.ini"}}


@pytest.fixture
def alembic_engine():
    engine = create_engine("sqlite://", module=dbapi)

    @event.listens_for(engine, "connect")
    def foreign_keys_on(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    yield engine
    engine.dispose()
'''

PYTEST_INI = """[pytest]
pytest_alembic_tests_path = conftest.py
pytest_alembic_exclude = model_definitions_match_ddl
"""

REVISION = '''"""{description}

Revision ID: {revision}
Revises: {down_revision}
"""
from alembic import op

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None

UP = {up}

DOWN = {down}


def upgrade():
    for statement in UP:
        op.execute(statement)


def downgrade():
{downgrade}
'''

TESTS = ("single_head_revision", "upgrade", "up_down_consistency")
"""The built-in tests the project runs: pytest-alembic's defaults but
``model_definitions_match_ddl``."""

TEST_MODULE = '''"""pytest-alembic's built-in tests, collected from this module rather than inserted by
``--test-alembic`` (pytest-alembic 0.13.1's collector fails on pytest 9.2: it sets
``Node._nodeid``, which pytest 9.2 no longer has); the same functions, on the same fixtures."""
from pytest_alembic.tests import {names}
'''


def split_statements(script: str) -> list[str]:
    """The statements of ``script``, each ending at a ``;`` that completes it by SQLite's own
    rule (``sqlite3.complete_statement``: semicolons inside strings, comments and a trigger's
    ``BEGIN ... END`` do not); comments before a statement stay with it. Raises ``ValueError``
    when text other than comments follows the last statement."""
    statements, start, end = [], 0, script.find(";")
    while end != -1:
        if sqlite3.complete_statement(script[start : end + 1]):
            statements.append(script[start : end + 1].strip())
            start = end + 1
        end = script.find(";", end + 1)
    rest = "\n".join(
        line for line in script[start:].splitlines() if not line.strip().startswith("--")
    )
    if rest.strip():
        raise ValueError(f"incomplete statement at the end of the script: {rest.strip()[:80]!r}")
    return statements


def literal(statements: list[str]) -> str:
    """A Python tuple literal of ``statements``, one a line."""
    if not statements:
        return "()"
    return "(\n" + "".join(f"    {s!r},\n" for s in statements) + ")"


def write_test_module(directory: Path) -> Path:
    """Write ``test_builtin.py`` into ``directory``: :data:`TESTS` imported from
    ``pytest_alembic.tests``, for a pytest on which ``--test-alembic`` cannot collect them (the
    ini's ``pytest_alembic_tests_path`` is dropped: binding the tests to a path fails the same
    way, with or without ``--test-alembic``)."""
    (directory / "pytest.ini").write_text("[pytest]\n")
    path = directory / "test_builtin.py"
    path.write_text(TEST_MODULE.format(names=", ".join(f"test_{name}" for name in TESTS)))
    return path


def write_project(migrations: Path, directory: Path, driver_module: str = "sqlite3") -> int:
    """Write the alembic project equivalent to ``migrations`` into ``directory`` (made), its
    engine on the DB-API module ``driver_module`` (``sqlite3`` or ``sqlean.dbapi2``); returns
    the number of revisions."""
    from pytest_acodb.migrate import resolve

    versions = directory / "alembic" / "versions"
    versions.mkdir(parents=True)
    (directory / "alembic" / "env.py").write_text(ENV_PY)
    (directory / "alembic.ini").write_text(ALEMBIC_INI)
    (directory / "conftest.py").write_text(CONFTEST.format(module=driver_module))
    (directory / "pytest.ini").write_text(PYTEST_INI)
    previous = None
    source = resolve(migrations)
    for migration in source.migrations:
        revision = str(migration.version)
        if migration.down_sql is None:
            downgrade = "    raise NotImplementedError"
        else:
            downgrade = "    for statement in DOWN:\n        op.execute(statement)"
        text = REVISION.format(
            description=migration.description,
            revision=revision,
            down_revision=previous,
            up=literal(split_statements(migration.sql)),
            down=literal(split_statements(migration.down_sql or "")),
            downgrade=downgrade,
        )
        (versions / f"{migration.label}.py").write_text(text)
        previous = revision
    return len(source.migrations)


def schema(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """``sqlite_master`` without the migration tools' own tables: (type, name, sql)."""
    own = ("_sqlx_migrations", "alembic_version")
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    return [(t, n, s) for t, n, s in rows if n not in own and not n.startswith("sqlite_")]


def check_equivalent(migrations: Path, directory: Path) -> None:
    """Upgrade the project in ``directory`` to head in a new database file, apply
    ``migrations`` with the kit's migrator to another, and raise ``AssertionError`` unless both
    hold the same objects (by ``sqlite_master``'s SQL text) and the same rows in every table."""
    from alembic import command
    from alembic.config import Config

    from pytest_acodb.db.connect import connect
    from pytest_acodb.migrate import Migrator, resolve

    target = directory / "migrated.db"
    target.unlink(missing_ok=True)
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{target}")
    command.upgrade(config, "head")
    alembic_db = sqlite3.connect(target)
    kit_db = connect(":memory:")
    Migrator(resolve(migrations)).run(kit_db)
    ours, theirs = schema(alembic_db), schema(kit_db)
    assert ours == theirs, "the alembic history's schema differs from the sqlx history's"
    for kind, name, _ in ours:
        if kind == "table":
            query = f'SELECT * FROM "{name}" ORDER BY 1'
            rows = alembic_db.execute(query).fetchall()
            assert rows == kit_db.execute(query).fetchall(), f"rows of {name} differ"
    alembic_db.close()
    kit_db.close()
    target.unlink()


def main(argv: list[str]) -> None:
    """``MIGRATIONS_DIR OUT_DIR [DRIVER]``: write the project (its engine on the kit's driver
    called ``DRIVER``, by default the kit's default one) and check it is equivalent."""
    if len(argv) not in (2, 3):
        sys.exit("usage: python benchmarks/alembic_history.py MIGRATIONS_DIR OUT_DIR [DRIVER]")
    from pytest_acodb.db import driver as drivers

    module = drivers.load(argv[2] if len(argv) == 3 else None).module.__name__
    migrations, directory = Path(argv[0]), Path(argv[1])
    count = write_project(migrations, directory, module)
    check_equivalent(migrations, directory)
    print(f"{count} revisions on {module}: upgraded to head, the same schema and rows as sqlx")


if __name__ == "__main__":
    main(sys.argv[1:])
