"""pytest entry point of pytest-acodb: options, ini keys, marker and hooks.

Each hook is a few lines that hand off to the modules of this package: :mod:`.settings`
(options to settings), :mod:`.fixtures`, :mod:`.collect` (the built-in checks as items),
:mod:`.report` (header, summary, failure sections) and :mod:`.seeds`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from ..db import driver as drivers
from ..db.connect import Connector
from ..errors import AcodbError
from . import hookspecs, settings
from .fixtures import (
    CONNECTOR_KEY,
    DB_KEY,
    RUNNING,
    _acodb,
    acodb_async_engine,
    acodb_async_session,
    acodb_checks,
    acodb_connection,
    acodb_connector,
    acodb_databases,
    acodb_db,
    acodb_engine,
    acodb_factories,
    acodb_migrations_dir,
    acodb_migrator,
    acodb_rows,
    acodb_seed,
    acodb_session,
    acodb_template,
    acodb_url,
    acodb_values,
)
from .marker import DESCRIPTION
from .seeds import RUN_SEED_KEY, choose_run_seed

__all__ = [
    "_acodb",
    "acodb_async_engine",
    "acodb_async_session",
    "acodb_checks",
    "acodb_connection",
    "acodb_connector",
    "acodb_databases",
    "acodb_db",
    "acodb_engine",
    "acodb_factories",
    "acodb_migrations_dir",
    "acodb_migrator",
    "acodb_rows",
    "acodb_seed",
    "acodb_session",
    "acodb_template",
    "acodb_url",
    "acodb_values",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("acodb", "pytest-acodb: migrated SQLite databases and checks")
    for option in settings.OPTIONS:
        option.add_to(group, parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", DESCRIPTION)
    config.addinivalue_line(
        "markers", "acodb_check: a built-in migration check of pytest-acodb (select with -m)"
    )
    resolved = config.stash[settings.SETTINGS_KEY] = settings.resolve(config)
    config.stash[CONNECTOR_KEY] = _connector(config, resolved)
    config.stash[RUN_SEED_KEY] = choose_run_seed(config)
    if resolved.database is not None:
        config.pluginmanager.register(RehearsalLines(), "acodb-rehearsal-lines")
    if config.pluginmanager.hasplugin("pytest-factoryboy"):
        config.pluginmanager.register(FactoryFixtures(), "acodb-factory-fixtures")
    if config.pluginmanager.hasplugin("randomly"):
        config.pluginmanager.register(RandomlyReplay(), "acodb-randomly-replay")


def _connector(config: pytest.Config, resolved: settings.AcodbSettings) -> Connector:
    """The run's connector: the driver and extensions the settings name, and the
    ``pytest_acodb_connect`` hook. Raises ``pytest.UsageError`` in one line for a driver or
    extension that cannot be used."""
    hook = config.hook.pytest_acodb_connect

    def call_hook(connection: Any) -> None:
        if hook.get_hookimpls():
            hook(connection=connection)

    try:
        connector = Connector(
            drivers.load(resolved.sqlite_driver), resolved.sqlite_extensions, (call_hook,)
        )
        if connector.extensions:
            connector.check()
    except AcodbError as error:
        message = f"{error}"
    else:
        return connector
    raise pytest.UsageError(message)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    # xdist: every worker seeds its tests' data from the controller's run seed, and checks
    # that it builds its template from the migrations the controller saw (see acodb_template).
    node.workerinput["acodb_seed"] = node.config.stash[RUN_SEED_KEY]
    from .fixtures import migrations_at_start

    node.workerinput["acodb_migrations"] = migrations_at_start(node.config)


def pytest_report_header(config: pytest.Config) -> str:
    from .report import header

    return header(
        config.stash[settings.SETTINGS_KEY], config.stash[CONNECTOR_KEY], config.stash[RUN_SEED_KEY]
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    from .collect import take_node_ids

    take_node_ids(session.config)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if isinstance(collector, pytest.Session) and report.passed and _checks_on(collector.config):
        from .collect import add_collector

        add_collector(collector, report)
    return report


def _checks_on(config: pytest.Config) -> bool:
    from .collect import SELECTED_KEY

    asked = config.stash.get(SELECTED_KEY, None) is not None
    return asked or config.stash[settings.SETTINGS_KEY].check_migrations


class FactoryFixtures:
    """Registered when pytest-factoryboy is installed, so that its fixtures work as users write
    them, in any argument order:

    * before a model fixture of one of the kit's factories (or one of its attribute fixtures)
      is set up, the test's ``_acodb`` is (its data seeded, the clock pinned), so the rows
      replay with the seed and agree in time with the rows the test makes later;
    * a factory called while any fixture is set up gets the test's ``acodb_session``, even when
      the test names ``acodb_session`` later or not at all;
    * a model fixture reached through another factory's ``SubFactory`` fixture gets that
      ``SubFactory``'s keyword arguments
      (:func:`pytest_acodb.synth.factories.building_fixture`).
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        if fixturedef.argname.startswith(("acodb_", "_acodb")):
            return (yield)  # the kit's own fixtures call no factory while they are set up
        from ..synth.factories.base import building_fixture, factory_fixture
        from ..synth.session import provide_session

        name = fixturedef.argname
        if fixturedef.scope == "function" and factory_fixture(name):
            request.getfixturevalue("_acodb")
        with (
            provide_session(lambda: request.getfixturevalue("acodb_session")),
            building_fixture(name, tuple(request.fixturenames)),
        ):
            return (yield)


GENERATORS_KEY = pytest.StashKey[tuple[object, object]]()
"""On ``item.stash``: factory_boy's and Faker's generator states after the test's setup."""


class RandomlyReplay:
    """Registered when pytest-randomly is installed: it reseeds factory_boy and Faker before
    the test function runs, which would make the data of a test that uses the kit's seeding
    differ between runs with the same ``--acodb-seed``. The generators' states after setup
    are put back just before the test function runs."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        yield
        if DB_KEY in item.stash:
            from .seeds import generator_state

            item.stash[GENERATORS_KEY] = generator_state()

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
        state = pyfuncitem.stash.get(GENERATORS_KEY, None)
        if state is not None:
            from .seeds import restore_generator_state

            restore_generator_state(state)
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    # The database fixtures read their test from RUNNING (see fixtures._acodb). A wrapper, so a
    # pytest run inside a test (pytester's in-process runs) puts the outer test back after it.
    RUNNING.append(item)
    try:
        return (yield)
    finally:
        RUNNING.pop()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``@pytest.mark.acodb(...)`` that requests no database fixture still has its
    marker checked (the database fixtures check it for the others): a bad argument fails it in
    one line rather than passing unnoticed."""
    if item.get_closest_marker("acodb") is None or "_acodb" in getattr(item, "fixturenames", ()):
        return
    from .marker import marker_args

    try:
        marker_args(item)
    except AcodbError as error:
        message = str(error)
    else:
        return
    pytest.fail(message, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and item.nodeid.startswith("acodb::"):
        # A check item skips from inside the plugin: name the item, not a line of the plugin.
        report.longrepr = (item.nodeid, None, report.longrepr[2])  # type: ignore[assignment]
    if report.failed:
        from .report import keep_failed, seed_section

        report.sections.extend(seed_section(item))
        if call.when == "call" and DB_KEY in item.stash:
            state = item.stash[DB_KEY]
            report.sections.extend(
                keep_failed(item, state.database, state.isolation, state.holder.kept_connections())
            )
    return report


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    from .secrets import secret_safe_comparison

    return secret_safe_comparison(op, left, right)


class RehearsalLines:
    """Registered with ``--acodb-database``: collects the report line of every ``rehearse``
    item (reports travel from xdist workers, so the controller sees them all) and prints them
    in the terminal summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.nodeid.startswith("acodb::rehearse["):
            self.lines += [text for name, text in report.sections if name == "Captured acodb call"]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.lines:
            terminalreporter.write_sep("-", "acodb rehearsal on a copy of the database")
            for line in self.lines:
                terminalreporter.write_line(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .report import template_report

    for line in template_report(terminalreporter.config):
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # An xdist worker sends its template lines to the controller (see pytest_testnodedown).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from .report import template_report

        workeroutput["acodb_templates"] = template_report(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    from .report import add_template_report

    output = getattr(node, "workeroutput", {})
    add_template_report(node.config, output.get("acodb_templates", []))
