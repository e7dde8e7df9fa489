"""pytest entry point of pytest-acodb: options, ini keys, marker and hooks.

Each hook is a few lines that hand off to :mod:`pytest_acodb.config`,
:mod:`pytest_acodb.fixtures` and :mod:`pytest_acodb.collect`.
"""

from __future__ import annotations

import pytest

from . import config as acodb_config
from .fixtures import (
    acodb_connection,
    acodb_db,
    acodb_engine,
    acodb_migrations_dir,
    acodb_session,
    acodb_template,
    acodb_url,
)

__all__ = [
    "acodb_connection",
    "acodb_db",
    "acodb_engine",
    "acodb_migrations_dir",
    "acodb_session",
    "acodb_template",
    "acodb_url",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("acodb", "pytest-acodb: migrated SQLite databases and checks")
    for option in acodb_config.OPTIONS:
        if option.ini_type == "bool":
            group.addoption(option.flag, dest=option.dest, action="store_true", default=None,
                            help=option.help)
        else:
            group.addoption(option.flag, dest=option.dest, default=None, help=option.help,
                            metavar=option.metavar or option.dest.upper())
        parser.addini(option.dest, option.help, type=option.ini_type, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "acodb(backend='memory'|'file'): configure the pytest-acodb database of this test",
    )
    config.addinivalue_line(
        "markers", "acodb_check: a built-in migration check of pytest-acodb (select with -m)"
    )
    config.stash[acodb_config.SETTINGS_KEY] = acodb_config.resolve(config)


def pytest_report_header(config: pytest.Config) -> str:
    from .fixtures import describe_settings

    return describe_settings(config.stash[acodb_config.SETTINGS_KEY])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    settings = config.stash[acodb_config.SETTINGS_KEY]
    if settings.check_migrations:
        from .collect import collect_checks

        items.extend(collect_checks(session, settings))
