"""The fixtures users request. Each is small and can be overridden in a ``conftest.py``.

Layering: ``acodb_migrations_dir`` (session) -> ``acodb_template`` (session, migrated once) ->
``acodb_db`` (a copy per test) -> ``acodb_url`` / ``acodb_engine`` -> ``acodb_connection``
and ``acodb_session``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from . import bundled_migrations_dir
from .config import SETTINGS_KEY, AcodbSettings, marker_backend
from .database import Database, Template, create_engine
from .migrate import resolve

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session


def describe_settings(settings: AcodbSettings) -> str:
    """The report-header line: migrations directory, backend, whether checks are collected."""
    directory = settings.migrations or bundled_migrations_dir()
    origin = "" if settings.migrations else " (bundled)"
    checks = ", checks on" if settings.check_migrations else ""
    return f"acodb: migrations {directory}{origin}, backend {settings.backend}{checks}"


@pytest.fixture(scope="session")
def acodb_migrations_dir(pytestconfig: pytest.Config) -> Path:
    """Session-scoped ``pathlib.Path`` of the sqlx migrations directory in use.

    From ``--acodb-migrations`` / ini ``acodb_migrations``, else the acolib migrations bundled
    with pytest-acodb. Override it in ``conftest.py`` to point at your own directory::

        @pytest.fixture(scope="session")
        def acodb_migrations_dir():
            return Path(__file__).parent / "migrations"
    """
    return pytestconfig.stash[SETTINGS_KEY].migrations or bundled_migrations_dir()


@pytest.fixture(scope="session")
def acodb_template(acodb_migrations_dir: Path) -> Iterator[Template]:
    """Session-scoped :class:`pytest_acodb.database.Template`: the directory migrated once.

    Every test's database is a copy of it. A migration that fails raises ``MigrateError`` naming
    the file and statement, which errors every test that needs a database.
    """
    template = Template(resolve(acodb_migrations_dir))
    yield template
    template.close()


@pytest.fixture
def acodb_db(
    request: pytest.FixtureRequest,
    acodb_template: Template,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """A fresh, fully migrated :class:`pytest_acodb.database.Database` for this test.

    In memory by default; a file under pytest's temporary directory with ``--acodb-backend file``
    or ``@pytest.mark.acodb(backend="file")``. Freed (memory) or left for pytest's tmp cleanup
    (file) after the test.
    """
    settings = request.config.stash[SETTINGS_KEY]
    backend = marker_backend(request.node.get_closest_marker("acodb"), settings.backend)
    if backend == "file":
        database = acodb_template.clone_file(tmp_path_factory.mktemp("acodb") / "acodb.db")
    else:
        database = acodb_template.clone_memory()
    yield database
    database.close()


@pytest.fixture
def acodb_url(acodb_db: Database) -> str:
    """A SQLAlchemy URL string (``str``) of this test's database.

    A second engine, or the code under test, can open it to reach the same database, for the
    memory backend too (same process). Remember to switch foreign keys on in engines you create
    (:func:`pytest_acodb.database.create_engine` does).
    """
    return acodb_db.url


@pytest.fixture
def acodb_engine(acodb_url: str) -> Iterator[Engine]:
    """A SQLAlchemy ``Engine`` on this test's fresh, fully migrated database.

    Every connection it makes runs ``PRAGMA foreign_keys = ON``. Disposed after the test.
    """
    engine = create_engine(acodb_url)
    yield engine
    engine.dispose()


@pytest.fixture
def acodb_connection(acodb_engine: Engine) -> Iterator[Connection]:
    """A SQLAlchemy ``Connection`` from ``acodb_engine``; closed (uncommitted work rolled back)
    after the test."""
    with acodb_engine.connect() as connection:
        yield connection


@pytest.fixture
def acodb_session(acodb_engine: Engine) -> Iterator[Session]:
    """A SQLAlchemy ORM ``Session`` on this test's database, bound to the kit's factories.

    ``pytest_acodb.factories`` write to it with no setup; they commit, so their rows are visible
    to other connections on ``acodb_url``. Closed after the test.
    """
    from sqlalchemy.orm import Session

    from .factories import bind_session, unbind_session

    with Session(acodb_engine) as session:
        token = bind_session(session)
        try:
            yield session
        finally:
            unbind_session(token)
