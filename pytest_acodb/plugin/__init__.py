"""pytest entry point of pytest-acodb: options, ini keys, marker and hooks.

Each hook is a few lines that hand off to :mod:`pytest_acodb.config`,
:mod:`pytest_acodb.fixtures` and :mod:`pytest_acodb.collect`.
"""

from __future__ import annotations

import collections.abc

import pytest

from . import settings as acodb_config
from .fixtures import (
    RUN_SEED_KEY,
    acodb_connection,
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
    choose_run_seed,
)

__all__ = [
    "acodb_connection",
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
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("acodb", "pytest-acodb: migrated SQLite databases and checks")
    for option in acodb_config.OPTIONS:
        if option.ini_type == "bool":
            group.addoption(
                option.flag, dest=option.dest, action="store_true", default=None, help=option.help
            )
        else:
            group.addoption(
                option.flag,
                dest=option.dest,
                default=None,
                help=option.help,
                metavar=option.metavar or option.dest.upper(),
            )
        parser.addini(option.dest, option.help, type=option.ini_type, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "acodb(backend='memory'|'file', isolation='clone'|'rollback', target=VERSION): "
        "configure the pytest-acodb database of this test (target: acodb_migrator's version)",
    )
    config.addinivalue_line(
        "markers", "acodb_check: a built-in migration check of pytest-acodb (select with -m)"
    )
    config.stash[acodb_config.SETTINGS_KEY] = acodb_config.resolve(config)
    config.stash[RUN_SEED_KEY] = choose_run_seed(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    # xdist: every worker seeds its tests' data from the controller's run seed.
    node.workerinput["acodb_seed"] = node.config.stash[RUN_SEED_KEY]  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str:
    from .fixtures import describe_settings

    settings = config.stash[acodb_config.SETTINGS_KEY]
    return describe_settings(settings, config.stash[RUN_SEED_KEY])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> collections.abc.Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        from .fixtures import failure_sections

        report.sections.extend(failure_sections(item, call.when))
    return report


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    from ..acolib.models import secret_safe_comparison

    return secret_safe_comparison(op, left, right)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .fixtures import template_report

    for line in template_report(terminalreporter.config):
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # An xdist worker sends its template lines to the controller (see pytest_testnodedown).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from .fixtures import template_report

        workeroutput["acodb_templates"] = template_report(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    from .fixtures import add_template_report

    output = getattr(node, "workeroutput", {})
    add_template_report(node.config, output.get("acodb_templates", []))  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    settings = config.stash[acodb_config.SETTINGS_KEY]
    if settings.check_migrations:
        from .collect import collect_checks

        items.extend(collect_checks(session, settings))
