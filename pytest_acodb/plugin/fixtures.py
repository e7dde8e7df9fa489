"""The fixtures users request. Each is small and can be overridden in a ``conftest.py``.

Layering: ``acodb_migrations_dir`` (session) -> ``acodb_template`` (session, migrated once, or
read from pytest's cache with ``--acodb-reuse-template``) -> ``acodb_databases`` (session: the
reusable databases and their engines, asking for the template when the first test needs it) ->
``acodb_db`` (this test's database: refilled from the template, or an outer transaction on the
shared one) -> ``acodb_url`` / ``acodb_engine`` -> ``acodb_connection``.

``acodb_session`` starts the same per-test database itself (:func:`start_database`) instead of
requesting ``acodb_engine``: pytest charges every fixture in a test's closure, and every fixture
that takes ``request``, in every test, so the most used fixture is one fixture over one session
fixture.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from .. import bundled_migrations_dir
from ..db.connect import Database, create_engine
from ..db.isolation import Databases
from ..db.isolation.clone import CloneSlot
from ..db.isolation.rollback import RollbackDatabase
from ..db.template import Template
from ..errors import AcodbError, IsolationError
from ..migrate import resolve
from ..migrate.stepper import Stepper
from .settings import ISOLATIONS, SETTINGS_KEY, AcodbSettings, marker_backend

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

    from ..synth.rows import RowSynth

TEMPLATE_REPORT_KEY = pytest.StashKey[list[str]]()
"""Lines for the terminal summary saying how each process got its template."""


def describe_settings(settings: AcodbSettings, run_seed: int) -> str:
    """The report-header line: migrations directory and count, backend, isolation, template
    cache, whether checks are collected, and the run seed of the test data."""
    directory = settings.migrations or bundled_migrations_dir()
    origin = " (bundled)" if settings.migrations is None else ""
    try:
        count = f"{len(resolve(directory))} migrations"
    except AcodbError as error:
        count = f"unreadable: {error}"
    reuse = ", template cache on" if settings.reuse_template else ""
    checks = ", checks on" if settings.check_migrations else ""
    return (
        f"acodb: migrations {directory}{origin} ({count}), backend {settings.backend}, "
        f"isolation {settings.isolation}{reuse}{checks}, seed {run_seed}"
    )


def describe_template(template: Template) -> str:
    """One summary line: the template's fingerprint, how many migrations this process ran for
    it and how long that (or reading the cache) took."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    who = f"[{worker}] " if worker else ""
    ms = template.build_ns / 1e6
    if template.applied or template.cache_path is None:
        how = f"{template.applied} migrations run in {ms:.1f} ms"
    else:
        how = f"0 migrations run, read from {template.cache_path} in {ms:.1f} ms"
    stored = ", stored in the cache" if template.applied and template.cache_path else ""
    return f"acodb: {who}template {template.fingerprint[:12]}: {how}{stored}"


def template_report(config: pytest.Config) -> list[str]:
    """The summary lines recorded in this process (and, under xdist, sent by workers)."""
    return config.stash.get(TEMPLATE_REPORT_KEY, [])


def add_template_report(config: pytest.Config, lines: list[str]) -> None:
    """Record summary lines (used by the xdist controller for its workers' lines)."""
    config.stash.setdefault(TEMPLATE_REPORT_KEY, []).extend(lines)


def _cache_directory(config: pytest.Config) -> Path | None:
    cache = getattr(config, "cache", None)
    if cache is None:
        warnings.warn(
            pytest.PytestWarning(
                "--acodb-reuse-template needs pytest's cache, which is disabled (-p "
                "no:cacheprovider); the template is built in memory for this run"
            ),
            stacklevel=2,
        )
        return None
    path: Path = cache.mkdir("acodb")
    return path


def _isolation(marker: pytest.Mark | None, default: str) -> str:
    isolation = marker.kwargs.get("isolation", default) if marker else default
    if isolation not in ISOLATIONS:
        raise pytest.UsageError(
            f"@pytest.mark.acodb(isolation={isolation!r}): use one of {', '.join(ISOLATIONS)}"
        )
    return str(isolation)


@pytest.fixture(scope="session")
def acodb_migrations_dir(request: pytest.FixtureRequest) -> Path:
    """Session-scoped ``pathlib.Path`` of the sqlx migrations directory in use.

    From ``--acodb-migrations`` / ini ``acodb_migrations``, else the acolib migrations bundled
    with pytest-acodb. Override it in ``conftest.py`` to point at your own directory::

        @pytest.fixture(scope="session")
        def acodb_migrations_dir():
            return Path(__file__).parent / "migrations"
    """
    return request.config.stash[SETTINGS_KEY].migrations or bundled_migrations_dir()


@pytest.fixture(scope="session")
def acodb_template(
    request: pytest.FixtureRequest, acodb_migrations_dir: Path
) -> Iterator[Template]:
    """Session-scoped :class:`pytest_acodb.database.Template`: the directory migrated once.

    Every test's database is a copy of it. With ``--acodb-reuse-template`` (ini
    ``acodb_reuse_template``) it is read from pytest's cache directory when an earlier run left an
    image made from the same migration checksums and SQLite version, else built and stored there
    (under a file lock, so xdist workers build it once). A migration that fails raises
    ``MigrateError`` naming the file and statement, which errors every test that needs a database.
    """
    config = request.config
    source = resolve(acodb_migrations_dir)
    cache = _cache_directory(config) if config.stash[SETTINGS_KEY].reuse_template else None
    template = Template.cached(source, cache) if cache else Template(source)
    add_template_report(config, [describe_template(template)])
    yield template
    template.close()


@pytest.fixture(scope="session")
def acodb_databases() -> Iterator[Databases]:
    """Session-scoped :class:`pytest_acodb.database.Databases`: per isolation and backend, the
    database tests reuse and its session-wide SQLAlchemy ``Engine``, made on first use.

    It asks for ``acodb_template`` when the first test needs a database, not up front: every
    fixture in a test's closure, session-scoped or not, costs pytest work in every test, so
    the per-test path stays ``acodb_session`` -> ``acodb_databases``. File-backend databases live
    in one directory made with ``tmp_path_factory`` (so per xdist worker) when the first test
    needs one. Closed at the end of the session.
    """
    databases = Databases()
    yield databases
    databases.close()


HOLDER_KEY = pytest.StashKey[CloneSlot | RollbackDatabase]()
"""On ``item.stash`` while a test runs: the holder its database came from (see
:func:`start_database`)."""


def start_database(request: pytest.FixtureRequest, databases: Databases) -> Database | None:
    """This test's database, started on first call: refilled from the template (``clone``) or
    inside a new outer transaction (``rollback``), as the test's marker and the options say.

    Returns the :class:`Database` when this call started it (the caller must then call
    :func:`end_database` in its teardown), ``None`` when another fixture of the same test already
    did (read it from ``request.node.stash[DB_KEY]``). So ``acodb_session``, ``acodb_db`` and
    the fixtures built on them share one database per test whatever the order they run in; the
    first one set up is the last one torn down. A bad marker value fails the test in one line.
    """
    node = request.node
    if DB_KEY in node.stash:
        return None
    settings = request.config.stash[SETTINGS_KEY]
    marker = node.get_closest_marker("acodb")
    try:
        backend = marker_backend(marker, settings.backend) if marker else settings.backend
        isolation = _isolation(marker, settings.isolation) if marker else settings.isolation
    except pytest.UsageError as error:  # one line in the report, not the fixture's source
        pytest.fail(str(error), pytrace=False)
    # tmp_path_factory and acodb_template are requested only when first needed (see
    # acodb_databases).
    holder = databases.get(
        isolation,
        backend,
        lambda: request.getfixturevalue("tmp_path_factory").mktemp("acodb"),
        lambda: request.getfixturevalue("acodb_template"),
    )
    database = holder.start_test()
    node.stash[DB_KEY] = database
    node.stash[HOLDER_KEY] = holder
    return database


def end_database(request: pytest.FixtureRequest) -> None:
    """End this test's database (see :func:`start_database`); fails the test in one line with
    the :class:`IsolationError` of a ``rollback`` test that escaped its transaction."""
    stash = request.node.stash
    holder = stash[HOLDER_KEY]
    del stash[HOLDER_KEY], stash[DB_KEY]  # a rerun of the item starts afresh
    try:
        holder.end_test()
    except IsolationError as error:
        message = str(error)
    else:
        return
    pytest.fail(message, pytrace=False)


@pytest.fixture
def acodb_db(request: pytest.FixtureRequest, acodb_databases: Databases) -> Iterator[Database]:
    """This test's fresh, fully migrated :class:`pytest_acodb.database.Database`.

    In memory by default; a file under pytest's temporary directory with ``--acodb-backend file``
    or ``@pytest.mark.acodb(backend="file")``. Isolation ``clone`` (default): the database is
    refilled with a copy of the template before the test (its URL is the same for every test of
    the session). Isolation ``rollback`` (``--acodb-isolation rollback`` or
    ``@pytest.mark.acodb(isolation="rollback")``): the test runs inside a transaction on a shared
    database that is rolled back afterwards; the test gets an error at teardown if it ran DDL,
    changed a PRAGMA or otherwise escaped the transaction. ``acodb_session`` uses the same
    database without going through this fixture (one fixture per test is cheaper for pytest).
    """
    started = start_database(request, acodb_databases)
    yield started or request.node.stash[DB_KEY]
    if started is not None:
        end_database(request)


@pytest.fixture
def acodb_url(acodb_db: Database) -> str:
    """A SQLAlchemy URL string (``str``) of this test's database.

    A second engine, or the code under test, can open it to reach the same database, for the
    memory backend too (same process). Remember to switch foreign keys on in engines you create
    (:func:`pytest_acodb.database.create_engine` does). With isolation ``rollback`` such an engine
    is outside the test's transaction: it sees only the template's data (and, in memory, waits
    then fails with ``database is locked`` once the test has written), and a write through it
    fails the test. Give the code under test ``acodb_engine`` instead, or mark the test
    ``@pytest.mark.acodb(isolation="clone")``.
    """
    return acodb_db.url


@pytest.fixture
def acodb_engine(acodb_db: Database) -> Iterator[Engine]:
    """A SQLAlchemy ``Engine`` on this test's fresh, fully migrated database.

    Every connection it makes runs ``PRAGMA foreign_keys = ON``; ``acodb_engine.url`` reaches the
    same database. It is made with ``hide_parameters=True``, so a failing statement's error
    shows its SQL but not the values bound to it (a secret configuration's value stays out of
    the report). The engine is session-wide (one per isolation and backend, so its dialect
    and SQL cache are warm); the connections a test opens are closed after it. With isolation
    ``rollback`` all its connections share the test's transaction and their commits become
    savepoints. Override ``acodb_db`` with a database whose ``engine`` is ``None`` and this
    fixture makes (and disposes of) an engine for it.
    """
    if acodb_db.engine is not None:
        yield acodb_db.engine
        return
    engine = create_engine(acodb_db.url, acodb_db.connector)
    yield engine
    engine.dispose()


@pytest.fixture
def acodb_connection(acodb_engine: Engine) -> Iterator[Connection]:
    """A SQLAlchemy ``Connection`` from ``acodb_engine``; closed (uncommitted work rolled back)
    after the test. With isolation ``rollback`` its ``commit()`` commits into the test's outer
    transaction, which is rolled back after the test."""
    with acodb_engine.connect() as connection:
        yield connection


@pytest.fixture
def acodb_session(request: pytest.FixtureRequest, acodb_databases: Databases) -> Iterator[Session]:
    """A SQLAlchemy ORM ``Session`` on this test's database, bound to the kit's factories.

    ``pytest_acodb.factories`` write to it with no setup, with data seeded like ``acodb_seed``;
    they commit. With isolation ``clone`` their rows are committed to the test's own database,
    visible to other connections on ``acodb_url``. With isolation ``rollback`` the session's
    engine has one connection holding the test's outer transaction: each commit releases a
    savepoint and everything is rolled back after the test. The session uses the database of
    ``acodb_db`` and the engine of ``acodb_engine`` (the same objects when a test requests them
    too) but does not request those fixtures, so that pytest sets up one fixture per test, not
    four; to change the session itself, override this fixture. Closed after the test.
    """
    from sqlalchemy.orm import Session

    from ..acolib.factories import bind_session, unbind_session

    started = start_database(request, acodb_databases)
    try:
        database = started or request.node.stash[DB_KEY]
        seeded = seed_factories(request)
        engine = database.engine or create_engine(database.url, database.connector)
        session = Session(engine)
        token = bind_session(session)
        try:
            yield session
        finally:
            unbind_session(token)
            session.close()
            if database.engine is None:
                engine.dispose()
            if seeded:
                unseed_factories(request)
    finally:
        if started is not None:  # even when the setup above failed: the next test needs it
            end_database(request)


RUN_SEED_KEY = pytest.StashKey[int]()
"""The run seed on ``config.stash`` (see :func:`choose_run_seed`)."""
TEST_SEED_KEY = pytest.StashKey[int]()
"""On ``item.stash``: the run seed a test's data was seeded from (for the failure report)."""
DB_KEY = pytest.StashKey[Database]()
"""On ``item.stash`` while a test runs: its database (shared by the fixtures, and for
``--acodb-keep-failed``)."""
SEED_KEY = pytest.StashKey[int]()
"""On ``item.stash`` while a test runs: its data seed, once the factories were seeded for it."""


def test_seed(run_seed: int, nodeid: str) -> int:
    """The 64-bit seed of one test's data: SHA-256 of ``"<run seed>:<node id>"``, first 8 bytes.

    It depends on nothing but the run seed and the test's own node id, so adding, removing or
    reordering tests (pytest-randomly, xdist) never changes another test's data.
    """
    digest = hashlib.sha256(f"{run_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def seed_factories(request: pytest.FixtureRequest) -> bool:
    """Reseed the kit's factories for this test (see ``acodb_seed``) unless a fixture of the
    same test already did; returns whether this call did (the caller then calls
    :func:`unseed_factories` in its teardown). Seeding once per test matters: reseeding after a
    fixture made rows would make the next rows repeat theirs, ids included."""
    node = request.node
    if SEED_KEY in node.stash:
        return False
    from ..acolib import factories

    run_seed = request.config.stash[RUN_SEED_KEY]
    seed = test_seed(run_seed, node.nodeid)
    factories.reseed(seed)
    node.stash[SEED_KEY] = seed
    node.stash[TEST_SEED_KEY] = run_seed
    return True


def unseed_factories(request: pytest.FixtureRequest) -> None:
    """Undo :func:`seed_factories` at teardown: unpin the factories' clock."""
    from ..acolib import factories

    del request.node.stash[SEED_KEY]
    factories.reseed(None)


@pytest.fixture
def acodb_seed(request: pytest.FixtureRequest) -> Iterator[int]:
    """This test's data seed (``int``), derived from the run seed and the test's node id.

    Requesting it (``acodb_session``, ``acodb_factories`` and ``acodb_rows`` do) reseeds
    factory_boy's and Faker's generators, restarts the factories' sequences and pins their "now"
    to ``pytest_acodb.factories.REFERENCE_TIME``, so the test gets the same rows in every run with
    the same ``--acodb-seed``, whatever other tests run; a failure report names the run seed.
    The generators are reseeded once per test, by whichever of these fixtures is set up first.
    """
    seeded = seed_factories(request)
    yield request.node.stash[SEED_KEY]
    if seeded:
        unseed_factories(request)


@pytest.fixture
def acodb_factories(acodb_session: Session) -> SimpleNamespace:
    """Every bundled factory, writing to this test's ``acodb_session``, as attributes named
    like the classes: ``acodb_factories.TaskFactory(failed=True)``."""
    from ..acolib.factories import ACODB_FACTORIES

    return SimpleNamespace(**{f.__name__: f for f in ACODB_FACTORIES})


@pytest.fixture
def acodb_rows(
    request: pytest.FixtureRequest, acodb_db: Database, acodb_seed: int
) -> Iterator[RowSynth]:
    """A :class:`pytest_acodb.rows.RowSynth` on this test's database: valid rows for any table,
    made from the schema alone and seeded from ``acodb_seed``.

    ``acodb_rows.seed_table("orders", 10)`` inserts 10 rows (parents first);
    ``acodb_rows.insert("orders", status="paid")`` returns the row it inserted. Rows are committed
    on their own connection, so this fixture needs isolation ``clone``.
    """
    from ..schema import snapshot
    from ..synth.rows import RowSynth

    marker = request.node.get_closest_marker("acodb")
    if _isolation(marker, request.config.stash[SETTINGS_KEY].isolation) != "clone":
        pytest.fail(
            "acodb_rows commits its rows, which isolation 'rollback' cannot undo; mark "
            "the test @pytest.mark.acodb(isolation='clone')",
            pytrace=False,
        )
    conn = acodb_db.connect()
    try:
        yield RowSynth(conn, snapshot(conn), seed=acodb_seed)
    finally:
        conn.close()


@pytest.fixture
def acodb_migrator(request: pytest.FixtureRequest, acodb_migrations_dir: Path) -> Iterator[Stepper]:
    """A :class:`pytest_acodb.migrate.stepper.Stepper` on a database of its own, migrated up to
    ``@pytest.mark.acodb(target=VERSION)`` (nothing applied without the marker).

    For testing data migrations: write rows at one version, ``acodb_migrator.up()`` (or
    ``.down()``, ``.to(V)``), assert on the rows. ``.conn`` is a ``sqlite3`` connection
    (autocommit, foreign keys on), ``.url`` a SQLAlchemy URL of the same database.
    """
    from ..db.connect import memory_database

    marker = request.node.get_closest_marker("acodb")
    target = marker.kwargs.get("target") if marker else None
    if target is not None and not (isinstance(target, int) or str(target).isdigit()):
        pytest.fail(
            f"@pytest.mark.acodb(target={target!r}): give a migration version (a whole "
            "number such as 20250115000003)",
            pytrace=False,
        )
    database = memory_database()
    conn = database.connect()
    stepper = Stepper(resolve(acodb_migrations_dir), conn, url=database.url)
    try:
        if target is not None:
            stepper.to(int(target))
        yield stepper
    finally:
        conn.close()
        database.close()


def choose_run_seed(config: pytest.Config) -> int:
    """The run seed: ``--acodb-seed``, else the xdist controller's, else a random 32-bit one."""
    settings = config.stash[SETTINGS_KEY]
    if settings.seed is not None:
        return settings.seed
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "acodb_seed" in workerinput:
        return int(workerinput["acodb_seed"])
    return int.from_bytes(os.urandom(4), "big")


def _kept_path(config: pytest.Config, nodeid: str) -> Path:
    cache = getattr(config, "cache", None)
    directory = (
        cache.mkdir("acodb-failed")
        if cache is not None
        else Path(tempfile.mkdtemp(prefix="acodb-failed-"))
    )
    return Path(directory) / (re.sub(r"[^\w.-]+", "_", nodeid).strip("_")[-150:] + ".sqlite")


def failure_sections(item: pytest.Item, when: str) -> list[tuple[str, str]]:
    """Report sections for a failed test: the run seed of its data, and with
    ``--acodb-keep-failed`` the path of a copy of its database (made now, while it exists)."""
    sections = []
    if TEST_SEED_KEY in item.stash:
        seed = item.stash[TEST_SEED_KEY]
        sections.append(
            ("acodb", f"test data seeded from run seed {seed}; replay with --acodb-seed {seed}")
        )
    settings = item.config.stash[SETTINGS_KEY]
    if not (settings.keep_failed and DB_KEY in item.stash and when == "call"):
        return sections
    if _isolation(item.get_closest_marker("acodb"), settings.isolation) == "rollback":
        # The test's rows live in a transaction of the shared database that is about to be
        # rolled back; a second connection could only wait for it, and would see none of them.
        sections.append(
            (
                "acodb",
                "database not kept: isolation 'rollback' keeps the test's "
                "rows in a transaction that is rolled back; mark the test "
                "@pytest.mark.acodb(isolation='clone') to keep its database",
            )
        )
        return sections
    path = _kept_path(item.config, item.nodeid)
    database = item.stash[DB_KEY]
    source = database.connect()
    target = database.connector.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    sections.append(
        (
            "acodb",
            f"database kept at {path} (open it with `sqlite3 {path}` or "
            f"`acodb schema -D sqlite:{path}`)",
        )
    )
    return sections
