"""The fixtures users request: thin layers over one private per-test fixture, each an override
point (redefine it in a ``conftest.py`` and everything built on it follows).

Session scope::

    acodb_migrations_dir ─┐
    acodb_connector ──────┴─> acodb_template ──> (acodb_databases, asks for it on first use)
    acodb_checks (the built-in checks, on acodb_migrations_dir and acodb_connector)
    acodb_values (values supplied per table.column: ini key and hook)

Function scope::

    _acodb (private: reads the marker, starts the test's database, applies its SQL fixture
      │     files, seeds the data; ends the database after the test)
      ├─> acodb_seed
      └─> acodb_db ──> acodb_url
                   ├─> acodb_engine ──> acodb_connection
                   │                └─> acodb_session ──> acodb_factories (and acodb_values)
                   └─> acodb_async_engine ──> acodb_async_session
    acodb_rows (acodb_db, acodb_seed, acodb_values)
    acodb_migrator (acodb_migrations_dir, acodb_connector)

The order fixtures appear in a test's signature never matters: ``_acodb`` is set up before the
rest, and with pytest-factoryboy installed a factory called while another fixture is being set
up (its model fixtures, or your own) asks for ``acodb_session`` itself. Without it, a fixture
of yours that calls the factories names ``acodb_session`` among its arguments, as a pytest
fixture names what it uses (:class:`~pytest_acodb.errors.NoSessionError` says so): the kit adds
no hook to every fixture's setup for it, which every test of the run would pay for.

pytest charges every fixture of a test's closure in every test, so the per-test fixtures keep
their cost down: ``_acodb`` finds its test through :data:`RUNNING` rather than pytest's
``request`` fixture, and ``acodb_engine`` and ``acodb_session`` are plain fixtures that add their
teardown to the test item's (:func:`_at_teardown`), rather than generator fixtures.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from .. import bundled_migrations_dir
from ..db.connect import Connector, Database, create_engine
from ..db.isolation import Databases, Isolation
from ..db.template import Template
from ..errors import AcodbError, ConnectionLeakError, IsolationError, MigrationsChangedError
from ..migrate import MigrationSource, resolve
from ..migrate.stepper import Stepper
from ..synth.session import bind_session, unbind_session
from .hints import describe
from .marker import marker_args
from .report import TEST_SEED_KEY, add_template_report, describe_template
from .seeds import RUN_SEED_KEY, DataState, seed_data, seed_of
from .settings import SETTINGS_KEY

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
    from sqlalchemy.orm import Session

    from ..schema import Schema
    from ..synth.factories import Factories
    from ..synth.rows import RowSynth
    from ..synth.values import ValueProviders
    from .checks import Checks

CONNECTOR_KEY = pytest.StashKey[Connector]()
"""The run's :class:`~pytest_acodb.db.connect.Connector` on ``config.stash`` (from the settings,
with the ``pytest_acodb_connect`` hook as its callback)."""


@dataclass
class TestDatabase:
    """What ``_acodb`` gives a test: its ``database``, the ``isolation`` it runs under, the
    ``seed`` its data was seeded from, and the ``holder`` (:class:`Isolation`) of the database."""

    database: Database
    isolation: str
    seed: int
    holder: Isolation


TestDatabase.__test__ = False  # type: ignore[attr-defined]  # not a test class, whatever its name

DB_KEY = pytest.StashKey[TestDatabase]()
"""On ``item.stash`` while a test runs: its :class:`TestDatabase` (for ``--acodb-keep-failed``)."""


# -- session scope -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def acodb_migrations_dir(request: pytest.FixtureRequest) -> Path:
    """Session-scoped ``pathlib.Path`` of the sqlx migrations directory in use.

    From ``--acodb-migrations`` / ini ``acodb_migrations``, else the acolib migrations bundled
    with pytest-acodb. Everything that needs migrations asks this fixture: the templates of the
    per-test databases, ``acodb_migrator`` and the built-in checks. Override it in
    ``conftest.py`` to point at your own directory::

        @pytest.fixture(scope="session")
        def acodb_migrations_dir():
            return Path(__file__).parent / "migrations"

    The built-in checks' item names are made at collection, before fixtures run, from the option
    or ini key; when this fixture gives another directory, its checks run, and an item whose
    check that directory lacks says so (set the ini key too, so the names match).
    """
    return request.config.stash[SETTINGS_KEY].migrations or bundled_migrations_dir()


@pytest.fixture(scope="session")
def acodb_connector(request: pytest.FixtureRequest) -> Connector:
    """Session-scoped :class:`pytest_acodb.db.connect.Connector`: how every database of the kit
    is opened (the SQLite driver, ``--acodb-sqlite-driver``; the extensions,
    ``--acodb-sqlite-extension`` / ini ``acodb_sqlite_extensions``; the
    ``pytest_acodb_connect(connection)`` hook, called with every new DB-API connection).
    Override it to open connections your own way."""
    return request.config.stash[CONNECTOR_KEY]


MIGRATIONS_KEY = pytest.StashKey[tuple[str, str] | None]()


def migrations_at_start(config: pytest.Config) -> tuple[str, str] | None:
    """The configured migrations directory and its fingerprint (checksums of every file) when
    the run started, read once (``None`` when it cannot be read: the template says why)."""
    if MIGRATIONS_KEY not in config.stash:
        directory = config.stash[SETTINGS_KEY].migrations or bundled_migrations_dir()
        try:
            source = resolve(directory)
        except AcodbError:
            config.stash[MIGRATIONS_KEY] = None
        else:
            config.stash[MIGRATIONS_KEY] = (str(source.directory), source.fingerprint)
    return config.stash[MIGRATIONS_KEY]


def _check_unchanged(config: pytest.Config, source: MigrationSource) -> None:
    """Under xdist, raise :class:`~pytest_acodb.errors.MigrationsChangedError` when the
    migrations this worker is about to template differ from those the controller saw when the
    run started (a checkout or an editor changed them mid-run: two workers would test two
    schemas)."""
    started = getattr(config, "workerinput", {}).get("acodb_migrations")
    if started and started[0] == str(source.directory) and started[1] != source.fingerprint:
        raise MigrationsChangedError(source.directory, started[1], source.fingerprint)


def _cache_directory(config: pytest.Config) -> Path | None:
    """pytest's cache directory for templates, or ``None`` (with one warning) when the cache
    plugin is off or the directory cannot be made."""
    cache = getattr(config, "cache", None)
    problem = "pytest's cache is disabled (-p no:cacheprovider)"
    if cache is not None:
        try:
            path: Path = cache.mkdir("acodb")
        except OSError as exc:
            problem = f"pytest's cache directory cannot be used ({exc})"
        else:
            return path
    warnings.warn(
        pytest.PytestWarning(
            f"--acodb-reuse-template: {problem}; the template is built in memory for this run"
        ),
        stacklevel=2,
    )
    return None


@pytest.fixture(scope="session")
def acodb_template(
    request: pytest.FixtureRequest, acodb_migrations_dir: Path, acodb_connector: Connector
) -> Iterator[Template]:
    """Session-scoped :class:`pytest_acodb.db.template.Template`: the directory migrated once.

    Every test's database is a copy of it. With ``--acodb-reuse-template`` (ini
    ``acodb_reuse_template``) it is read from pytest's cache directory when an earlier run left an
    image made from the same migration checksums and SQLite, else built and stored there (under
    a file lock, so xdist workers build it once). A migration that fails raises ``MigrateError``
    naming the file and statement, which errors every test that needs a database.
    """
    config = request.config
    cache = _cache_directory(config) if config.stash[SETTINGS_KEY].reuse_template else None
    try:
        source = resolve(acodb_migrations_dir)
        _check_unchanged(config, source)
        if cache is not None:
            template = Template.cached(source, cache, acodb_connector)
        else:
            template = Template(source, connector=acodb_connector)
    except AcodbError as error:
        message = describe(error)
    else:
        message = ""
    if message:  # every test that needs a database errors with this one line
        pytest.fail(message, pytrace=False)
    if template.cache_problem:  # the run goes on with a template built in memory
        warnings.warn(
            pytest.PytestWarning(f"--acodb-reuse-template: {template.cache_problem}"),
            stacklevel=2,
        )
    add_template_report(config, [describe_template(template)])
    yield template
    template.close()


@pytest.fixture(scope="session")
def acodb_databases() -> Iterator[Databases]:
    """Session-scoped :class:`pytest_acodb.db.isolation.Databases`: per isolation and backend,
    the database tests reuse and its session-wide SQLAlchemy ``Engine``, made on first use.

    It asks for ``acodb_template`` when the first test needs a database, not up front, so a
    run whose tests never touch a database migrates nothing. File-backend databases live in one
    directory made with ``tmp_path_factory`` (so per xdist worker). Closed at the end of the
    session.
    """
    databases = Databases()
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def acodb_checks(
    request: pytest.FixtureRequest, acodb_migrations_dir: Path, acodb_connector: Connector
) -> Checks:
    """Session-scoped :class:`pytest_acodb.plugin.checks.Checks`: the built-in checks of
    ``acodb_migrations_dir``, to run one from your own test with the same failure text as the
    ``--acodb-check-migrations`` items.

    For example::

        def test_revert_of_the_new_migration(acodb_checks):
            acodb_checks.run("round_trip[20250115000003]")
            acodb_checks.run("cascade", "tool_executions.task_id")

    The migration walk the checks share is built when the first check that needs it runs (or
    while collecting, when the run will run every check). The items of
    ``--acodb-check-migrations`` use this fixture, so overriding it (or the two it asks for)
    changes them too.
    """
    from .checks import Checks

    return Checks.for_directory(request.config, acodb_migrations_dir, acodb_connector)


# -- function scope ------------------------------------------------------------------------


RUNNING: list[pytest.Item] = []
"""The test items whose protocol (setup, call, teardown) is running, innermost last: the
plugin's ``pytest_runtest_protocol`` wrapper pushes and pops them (a pytest run inside a test,
such as pytester's in-process runs, pushes its own above the outer test's). It is how
``_acodb`` knows its test without asking for pytest's ``request`` fixture, which pytest builds
anew twice per test for each fixture that asks for it (about 230k instructions, a quarter of
what the kit cost above the hand-made fixture on a one-query test). A list, not a context
variable: a fixture requested from another thread or from an async runner's task (anyio keeps
one for a module's async fixtures) belongs to the test that is running all the same."""


def _running_item() -> pytest.Item:
    """The test item running now (:data:`RUNNING`); fails the test in one line outside a test's
    run."""
    if not RUNNING:
        pytest.fail("acodb: the database fixtures run only inside a pytest test", pytrace=False)
    return RUNNING[-1]


@pytest.fixture
def _acodb(acodb_databases: Databases) -> Iterator[TestDatabase]:
    """This test's database and data (private; request ``acodb_db`` or ``acodb_seed``).

    Reads the test's ``acodb`` marker (a bad argument fails the test in one line), starts its
    database (a fresh copy of the template, or an outer transaction on the shared one) and seeds
    factory_boy's, Faker's and the factories' generators from ``acodb_seed``'s seed. At teardown
    it ends the database: a ``rollback`` test that escaped its transaction fails in one line.
    """
    node = _running_item()
    # The item's own request (test functions' and doctests'): it resolves the session fixtures
    # made on first use (the template, tmp_path_factory) as a request of this fixture would.
    # pytest has no public spelling of it.
    request: pytest.FixtureRequest = node._request  # type: ignore[attr-defined]
    settings = node.config.stash[SETTINGS_KEY]
    try:
        args = marker_args(node)
    except AcodbError as error:
        message = str(error)
    else:
        message = ""
    if message:  # outside the except: one line, not "during handling of the above exception"
        pytest.fail(message, pytrace=False)
    isolation = args.isolation or settings.isolation
    try:
        holder = acodb_databases.get(
            isolation,
            args.backend or settings.backend,
            lambda: request.getfixturevalue("tmp_path_factory").mktemp("acodb"),
            lambda: request.getfixturevalue("acodb_template"),
            args.target,
        )
    except AcodbError as error:  # a target= that is not a version, a migration that fails
        message = describe(error)
    if message:
        pytest.fail(message, pytrace=False)
    database = holder.start_test()
    if args.fixtures:
        message = _apply_sql_fixtures(holder, args.fixtures, node, settings.fixtures)
        if message:
            _end_quietly(holder)
            pytest.fail(message, pytrace=False)
    message = ""
    try:
        state = TestDatabase(database, isolation, _seed_test(node), holder)
        node.stash[DB_KEY] = state
        try:
            yield state
        finally:
            _unseed_test(node)
    finally:
        if DB_KEY in node.stash:
            del node.stash[DB_KEY]  # a rerun of the item starts afresh
        try:
            holder.end_test()  # even when seeding failed: the next test needs the database
        except (IsolationError, ConnectionLeakError) as error:
            message = str(error)
    if message:  # outside the except, so the report has one line
        pytest.fail(message, pytrace=False)


OUTER_DATA_KEY = pytest.StashKey[DataState]()
"""On ``item.stash`` of a test run inside another (pytester, in process): the outer test's data
state, put back when the inner test ends (:func:`_unseed_test`)."""


def _seed_test(item: pytest.Item) -> int:
    """Seed the kit's factories, factory_boy and Faker for ``item`` (see :func:`seed_data`) from
    its seed, :func:`test_seed` of the run seed and its node id, and note the run seed for the
    failure report; returns the test's seed. Inside another test's run (a pytester run in
    process) the outer test's data state is kept for :func:`_unseed_test` to put back."""
    seed = seed_of(item)
    if len(RUNNING) > 1:
        from .seeds import data_state

        item.stash[OUTER_DATA_KEY] = data_state()
    seed_data(seed)
    item.stash[TEST_SEED_KEY] = item.config.stash[RUN_SEED_KEY]
    return seed


def _unseed_test(item: pytest.Item) -> None:
    """After ``item``: free the factories' clock, or, for a test run inside another, put back
    the outer test's pinned clock and generators, so its data replays after the inner run."""
    outer = item.stash.get(OUTER_DATA_KEY, None)
    if outer is None:
        seed_data(None)
        return
    from .seeds import restore_data_state

    del item.stash[OUTER_DATA_KEY]
    restore_data_state(outer)


def _at_teardown(*closers: Callable[[], object]) -> None:
    """Run ``closers`` when the running test ends, last first: on the item's teardown, so after
    the fixtures set up later and before those set up earlier (``_acodb`` ends the database
    after them). A plain fixture that registers here costs pytest less per test than a
    generator fixture or one more fixture argument."""
    item = _running_item()
    for closer in closers:
        item.addfinalizer(closer)


def _apply_sql_fixtures(
    holder: Isolation, names: tuple[str, ...], node: pytest.Item, folder: Path | None
) -> str:
    """Apply the marker's SQL fixture files to the test's database; returns the one-line error
    (``""`` when they applied)."""
    from ..db.sql_fixtures import apply_fixtures, resolve_fixtures
    from ..errors import SqlFixtureError

    try:
        paths = resolve_fixtures(names, node.path.parent, folder)
        with holder.writer() as conn:
            apply_fixtures(conn, paths, dict(zip(paths, names, strict=True)))
    except SqlFixtureError as error:
        return str(error)
    return ""


def _end_quietly(holder: Isolation) -> None:
    """End a test's database after its setup failed (the setup's error is the one to show)."""
    with contextlib.suppress(AcodbError):
        holder.end_test()


@pytest.fixture
def acodb_seed(_acodb: TestDatabase) -> int:
    """This test's data seed (``int``, 64 bits), derived from the run seed and the node id.

    factory_boy's and Faker's generators and the kit's factories are seeded from it before the
    test (their sequences restart and their "now" is pinned to
    ``pytest_acodb.acolib.factories.REFERENCE_TIME``), so the test gets the same rows in every
    run with the same ``--acodb-seed``, whatever other tests run; a failure report names the run
    seed.
    """
    return _acodb.seed


@pytest.fixture
def acodb_db(_acodb: TestDatabase) -> Database:
    """This test's fresh, fully migrated :class:`pytest_acodb.db.connect.Database`.

    In memory by default; a file under pytest's temporary directory with ``--acodb-backend file``
    or ``@pytest.mark.acodb(backend="file")``. Isolation ``clone`` (default): the database is
    refilled with a copy of the template before the test. Isolation ``rollback``
    (``--acodb-isolation rollback`` or ``@pytest.mark.acodb(isolation="rollback")``): the test
    runs inside a transaction on a shared database that is rolled back afterwards; the test gets
    an error at teardown if it ran DDL, changed a PRAGMA or otherwise escaped the transaction.
    Override it to give every database fixture another database (a ``Database`` whose ``engine``
    is ``None`` gets an engine made for the test).
    """
    return _acodb.database


@pytest.fixture
def acodb_url(acodb_db: Database) -> str:
    """A SQLAlchemy URL string (``str``) of this test's database.

    A second engine, or the code under test, can open it to reach the same database, for the
    memory backend too (same process). Its scheme names the kit's SQLite library
    (``sqlite+sqlean://`` with the default driver, a dialect this package registers), so even a
    plain ``sqlalchemy.create_engine(acodb_url)`` opens the same library, shares the in-memory
    database and sees the file locks of the kit's connections; use
    :func:`pytest_acodb.db.connect.create_engine` to get the run's extensions and hooks too. With
    isolation ``rollback`` such an engine is outside the test's transaction, so the URL opens the
    shared database read-only and without waiting on locks: a write through it fails at once
    saying to give the code under test ``acodb_engine`` instead, or to mark the test
    ``@pytest.mark.acodb(isolation="clone")``.
    """
    return acodb_db.url


@pytest.fixture
def acodb_engine(acodb_db: Database) -> Engine:
    """A SQLAlchemy ``Engine`` on this test's database.

    Its connections have the kit's settings (foreign keys on...) and it is made with
    ``hide_parameters=True``, so a failing statement's error shows its SQL but not the values
    bound to it. It is session-wide (one per isolation and backend, so its dialect and SQL cache
    are warm); the connections a test opens are closed after it. With isolation ``rollback``
    all its connections share the test's transaction and their commits become savepoints.
    """
    if acodb_db.engine is not None:
        return acodb_db.engine
    engine = create_engine(acodb_db.url, acodb_db.connector)
    _at_teardown(engine.dispose)
    return engine


@pytest.fixture
def acodb_connection(acodb_engine: Engine) -> Iterator[Connection]:
    """A SQLAlchemy ``Connection`` from ``acodb_engine``; closed (uncommitted work rolled back)
    after the test. With isolation ``rollback`` its ``commit()`` commits into the test's outer
    transaction, which is rolled back after the test."""
    with acodb_engine.connect() as connection:
        yield connection


@functools.cache
def _session_class() -> type[Session]:
    """SQLAlchemy's ``Session`` (imported on first use: the plugin loads without SQLAlchemy; an
    import statement in ``acodb_session`` itself would cost every test a few microseconds)."""
    from sqlalchemy.orm import Session

    return Session


@pytest.fixture
def acodb_session(acodb_engine: Engine) -> Session:
    """A SQLAlchemy ORM ``Session`` on ``acodb_engine``, bound to the kit's factories.

    ``pytest_acodb.acolib.factories`` write to it with no setup; they commit. With isolation
    ``clone`` their rows are committed to the test's own database, visible to other connections
    on ``acodb_url``. With isolation ``rollback`` each commit releases a savepoint of the test's
    transaction and everything is rolled back after the test. Closed after the test. The
    factories are seeded from the test's seed even when ``acodb_db`` is overridden with a
    database of your own (then the kit starts no database of its own for the test).
    """
    item = _running_item()
    if DB_KEY not in item.stash:  # no _acodb (acodb_db overridden): seed the data here
        _seed_test(item)
        _at_teardown(functools.partial(_unseed_test, item))
    session = _session_class()(acodb_engine)
    token = bind_session(session)
    _at_teardown(session.close, lambda: unbind_session(token))
    return session


@pytest.fixture
def acodb_async_engine(acodb_db: Database) -> AsyncEngine:
    """A SQLAlchemy ``AsyncEngine`` (aiosqlite) on this test's database: the same database as
    ``acodb_engine`` (the run's SQLite driver, so in-memory databases too), foreign keys on,
    ``hide_parameters=True``, the same isolation (under ``rollback`` its statements join the
    test's outer transaction and its commits are savepoints). Made once per database and
    reused; it pools no connections, so each test may run its own event loop. Needs the
    ``async`` extra (``aiosqlite``, ``greenlet``)."""
    from ..db.aio import async_engine

    engine = acodb_db.extras.get("async_engine")
    if engine is None:
        engine = acodb_db.extras["async_engine"] = async_engine(acodb_db)
    return engine


@pytest.fixture
def acodb_async_session(acodb_async_engine: AsyncEngine) -> Iterator[AsyncSession]:
    """A SQLAlchemy ``AsyncSession`` on ``acodb_async_engine``; use it from the test's event
    loop (``asyncio.run``, pytest-asyncio, anyio). Closed after the test (in a new event loop
    when the test left it open). The kit's factories write through ``acodb_session`` (sync) to
    the same database, and the async session sees their committed rows."""
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    session = AsyncSession(acodb_async_engine, expire_on_commit=False)
    yield session
    if session.in_transaction():  # else it holds no connection
        asyncio.run(session.close())


class _Made(NamedTuple):
    """Factories made for one schema snapshot and one ``acodb_values`` (a conftest that
    overrides ``acodb_values`` for its directory gets factories of its own)."""

    schema: Schema
    values: object
    """The ``acodb_values`` fixture's value, as given (compared by identity)."""
    factories: Factories
    unmatched: list[str]
    """The keys of those values that set no column of the schema (:func:`_unmatched`)."""


FACTORIES_KEY = pytest.StashKey[list[_Made]]()
"""On ``config.stash``: the factories made so far in the run (one generation per schema and
values)."""


@pytest.fixture
def acodb_factories(acodb_session: Session, acodb_values: ValueProviders) -> Factories:
    """A factory_boy factory per table of this test's database, writing to ``acodb_session``.

    A :class:`pytest_acodb.synth.factories.Factories`: by table name,
    ``acodb_factories["orders"](status="shipped")``, or by class name,
    ``acodb_factories.OrdersFactory(shipped=True)``. For your own migrations they are generated
    from the schema (once per schema and run; the very factories a ``conftest.py`` made with
    ``pytest_acodb.synth.factories.generate`` for the same schema, so their models are the
    same); for the bundled schema they are the bundled acolib factories
    (``acodb_factories.TaskFactory(failed=True)``). Values are realistic and seeded from
    ``acodb_seed``.
    """
    from ..schema import snapshot

    item = _running_item()
    dbapi: Any = acodb_session.connection().connection.dbapi_connection
    cache = item.config.stash.setdefault(FACTORIES_KEY, [])
    schema = snapshot(dbapi, known=tuple(made.schema for made in cache))
    found = next((m for m in cache if m.schema is schema and m.values is acodb_values), None)
    if found is None:
        values = _providers(acodb_values)
        connector = item.config.stash[CONNECTOR_KEY]
        found = _Made(
            schema,
            acodb_values,
            _factories_for(connector, dbapi, schema, values),
            _unmatched(values, schema) if values else [],
        )
        cache.append(found)
    if found.unmatched:
        _warn_unmatched(item, found.unmatched, schema)
    return found.factories


def _factories_for(
    connector: Connector, dbapi: Any, schema: Schema, values: ValueProviders
) -> Factories:
    """The bundled factories when the database holds exactly the bundled tables, else
    factories generated from its schema with the run's ``connector``; both take ``values``."""
    from ..acolib.models import ACODB_TABLES
    from ..synth.factories import generate
    from ..synth.factories.generate import generated_for
    from ..synth.factories.plan import BOOKKEEPING

    providers = _value_providers(values, schema)
    tables = {n for n, t in schema.tables.items() if t.ordinary and n not in BOOKKEEPING}
    if tables == set(ACODB_TABLES):
        from ..acolib.factories import BUNDLED

        if all(schema.tables[n] == BUNDLED.schema.tables[n] for n in tables):
            return _supplied(BUNDLED, providers) if providers else BUNDLED
    found = None if providers else generated_for(schema)
    if found is not None:
        return found
    return generate(dbapi, providers=providers, connector=connector)


def _supplied(bundled: Factories, providers: dict[str, Any]) -> Factories:
    """The bundled factories with the supplied columns taken from ``providers`` (a subclass
    of each factory concerned, the column's attribute declared as a ``factory.Sequence``). A
    supplied value is what the column stores (as the checks and ``acodb_rows`` use it); the
    model's type reads it as the database's value would be read (JSON text to a ``dict``, a
    timestamp text to a ``datetime``)."""
    from factory.declarations import Sequence
    from sqlalchemy import inspect
    from sqlalchemy.dialects import sqlite

    from ..synth.factories import Factories

    dialect = sqlite.dialect()

    def read(provider: Any, column: Any) -> Any:
        convert = column.type.result_processor(dialect, None)
        return provider if convert is None else (lambda n: convert(provider(n)))

    by_table = {}
    for table, made in bundled.items():
        mapper = inspect(made._meta.model)
        columns = {c.name: c for c in mapper.local_table.columns}
        declared = {
            # the column's attribute, which may be named otherwise (metadata -> metadata_)
            mapper.get_property_by_column(columns[column]).key: Sequence(  # type: ignore[no-untyped-call]
                read(provider, columns[column])
            )
            for key, provider in providers.items()
            for owner, _, column in [key.partition(".")]
            if owner == table and column in columns
        }
        by_table[table] = type(made.__name__, (made,), declared) if declared else made
    return Factories(by_table, bundled.models, bundled.schema)


def _value_providers(values: ValueProviders, schema: Schema) -> dict[str, Any]:
    """``{"table.column": callable(n) -> value}`` for the generated factories of ``schema``:
    the supplied ``values`` (the ``acodb_values`` fixture, so an override reaches them) for
    the columns that exist there, ``*.column`` keys spread over every table holding one."""
    if not values:
        return {}
    return {
        f"{t.name}.{c.name}": functools.partial(values.value, t.name, c.name)
        for t in schema.tables.values()
        if t.ordinary
        for c in t.columns
        if values.supplies(t.name, c.name)
    }


UNMATCHED_KEY = pytest.StashKey[set[tuple[str, str]]]()
"""On ``config.stash``: the supplied value keys already warned about in this run (as
:func:`pytest_acodb.synth.values.key_parts` reads them)."""


def _providers(values: Mapping[str, Any] | None) -> ValueProviders:
    """``values`` (an ``acodb_values`` override may return a plain ``dict``) as a
    :class:`~pytest_acodb.synth.values.ValueProviders`; a key that is not ``table.column``
    fails the test in one line."""
    from ..synth.values import ValueProviders

    if isinstance(values, ValueProviders):
        return values
    try:
        return ValueProviders(values)
    except AcodbError as error:
        message = f"acodb_values: {error}"
    pytest.fail(message, pytrace=False)


def _unmatched(values: ValueProviders, schema: Schema) -> list[str]:
    """The keys of ``values`` that set no column of ``schema`` (none that an ``INSERT`` may
    name: a misspelt key, or a generated column's)."""
    columns = {t.name: [c.name for c in t.columns if c.insertable] for t in schema.tables.values()}
    return values.unmatched(columns)


def _warn_unmatched(item: pytest.Item, unmatched: list[str], schema: Schema) -> None:
    """Warn about each key of ``unmatched`` (:func:`_unmatched` of the test's values and
    ``schema``, its database's) once per key in the run, as a ``pytest.PytestWarning`` at the
    test, with :func:`_unmatched_hint`: rows that silently keep synthesised values would go
    unnoticed. Not for a test at an older version (``target=``), whose database lacks later
    columns. With pytest-xdist each worker warns once."""
    from ..synth.values import key_parts

    state = item.stash.get(DB_KEY, None)
    if state is not None and state.holder.template.target is not None:
        return
    warned = item.config.stash.setdefault(UNMATCHED_KEY, set())
    for key in unmatched:
        if key_parts(key) in warned:
            continue
        warned.add(key_parts(key))
        message = (
            f"acodb_values: {key!r} sets no column of this test's database, so its rows do not "
            f"use it: {_unmatched_hint(key, schema)}"
        )
        path, line, _ = item.location
        warnings.warn_explicit(
            pytest.PytestWarning(message),
            pytest.PytestWarning,
            str(item.config.rootpath / path),
            (line or 0) + 1,
        )


def _unmatched_hint(key: str, schema: Schema) -> str:
    """What to do about a key :func:`_unmatched` found: the generated or hidden column it
    names, else the closest column an ``INSERT`` may name (``*.column`` keys by column name),
    compared as SQLite compares names (ASCII case folded)."""
    import difflib

    from ..synth.factories.plan import BOOKKEEPING
    from ..synth.values import ANY_TABLE, fold, key_parts

    table, column = key_parts(key)
    tables = [t for t in schema.tables.values() if table in (ANY_TABLE, fold(t.name))]
    computed = [f"{t.name}.{c.name}" for t in tables for c in t.columns if fold(c.name) == column]
    if computed:
        return f"{computed[0]} is a generated or hidden column, which SQLite fills itself"
    settable = [
        (t.name, c.name)
        for t in schema.tables.values()
        if t.name not in BOOKKEEPING
        for c in t.columns
        if c.insertable
    ]
    if table == ANY_TABLE:
        names = {fold(c): f"*.{c}" for _, c in settable}
        wanted = column
    else:
        names = {f"{fold(t)}.{fold(c)}": f"{t}.{c}" for t, c in settable}
        wanted = f"{table}.{column}"
    close = difflib.get_close_matches(wanted, list(names), n=1)
    if close and key_parts(names[close[0]]) == key_parts(key):
        return (
            f"a key cannot name {names[close[0]]!r}: keys are split at their last dot and "
            "their names stripped of spaces"
        )
    if close:
        return f"did you mean {names[close[0]]!r}?"
    return (
        "check the table and column names (ignore this when the key is meant for another database)"
    )


@pytest.fixture(scope="session")
def acodb_values(request: pytest.FixtureRequest) -> ValueProviders:
    """Session-scoped :class:`pytest_acodb.synth.values.ValueProviders`: the values the kit's
    synthesised rows take for your columns, from the ``acodb_values`` ini key and the
    ``pytest_acodb_values`` hook. ``acodb_rows`` uses it; override it in a conftest to give
    the rows of your tests other values (the built-in checks read the hook and the ini key,
    as they are named before fixtures exist)::

        @pytest.fixture(scope="session")
        def acodb_values():
            return ValueProviders({"users.email": lambda n: f"user{n}@example.com"})
    """
    from .checks import values_for

    return values_for(request.config)


@pytest.fixture
def acodb_rows(
    acodb_db: Database, acodb_seed: int, acodb_values: ValueProviders
) -> Iterator[RowSynth]:
    """A :class:`pytest_acodb.synth.rows.RowSynth` on this test's database: valid rows for any
    table, made from the schema and the values ``acodb_values`` supplies, seeded from
    ``acodb_seed``.

    ``acodb_rows.seed_table("orders", 10)`` inserts 10 rows (parents first);
    ``acodb_rows.insert("orders", status="paid")`` returns the row it inserted. Rows are committed
    on their own connection, so this fixture needs isolation ``clone``. A column whose
    ``DEFAULT`` reads the clock takes the data's pinned "now" (in the default's own format), so
    ``--acodb-seed`` replays timestamps too.
    """
    from ..schema import snapshot
    from ..synth.factories.base import now
    from ..synth.rows import RowSynth

    if acodb_db.isolation != "clone":
        pytest.fail(
            "acodb_rows commits its rows, which isolation 'rollback' cannot undo; mark "
            "the test @pytest.mark.acodb(isolation='clone')",
            pytrace=False,
        )
    conn = acodb_db.connect()
    try:
        schema = snapshot(conn)
        values = _providers(acodb_values)
        if values:
            _warn_unmatched(_running_item(), _unmatched(values, schema), schema)
        yield RowSynth(conn, schema, seed=acodb_seed, values=values, now=now())
    finally:
        conn.close()


@pytest.fixture
def acodb_migrator(
    request: pytest.FixtureRequest, acodb_migrations_dir: Path, acodb_connector: Connector
) -> Iterator[Stepper]:
    """A :class:`pytest_acodb.migrate.stepper.Stepper` on a database of its own, migrated up to
    ``@pytest.mark.acodb(target=VERSION)`` (nothing applied without the marker).

    For testing data migrations: write rows at one version, ``acodb_migrator.up()`` (or
    ``.down()``, ``.to(V)``), assert on the rows. ``.conn`` is a DB-API connection (autocommit,
    the kit's settings), ``.url`` a SQLAlchemy URL of the same database.
    """
    from ..db.connect import memory_database

    try:
        target = marker_args(request.node).target
    except AcodbError as error:
        message = str(error)
    else:
        message = ""
    if message:
        pytest.fail(message, pytrace=False)
    database = memory_database(connector=acodb_connector)
    conn = database.connect()
    try:
        stepper = Stepper(resolve(acodb_migrations_dir), conn, url=database.url)
        if target is not None:
            stepper.to(target)
    except AcodbError as error:
        message = describe(error)
    if message:
        conn.close()
        database.close()
        pytest.fail(message, pytrace=False)
    try:
        yield stepper
    finally:
        conn.close()
        database.close()
