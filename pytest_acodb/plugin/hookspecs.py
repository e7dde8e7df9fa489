"""The hooks pytest-acodb offers to conftest files and plugins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest


def pytest_acodb_connect(connection: Any) -> None:
    """Called with every new DB-API connection the kit opens (templates, the per-test databases
    and their engines, the check walk, ``acodb_migrator``), after its connection settings and
    extensions: register SQL functions, collations or anything else the application registers
    on its connections::

        # conftest.py
        def pytest_acodb_connect(connection):
            connection.create_function("slugify", 1, lambda s: s.lower().replace(" ", "-"))

    ``connection`` is the driver's ``Connection`` (``sqlean`` or ``sqlite3``). Every
    implementation is called; what it returns is ignored.
    """


def pytest_acodb_values(config: pytest.Config) -> Mapping[str, Any] | None:
    """Values the kit's synthesised rows take for your columns: return ``{"table.column":
    value}`` (``"*.column"`` for every table), each value a constant or a callable taking the
    row's running number (or nothing). The built-in checks, ``acodb_rows`` and the factories
    use them as given, never second-guessed, so a CHECK, trigger or extension the row
    synthesiser cannot satisfy on its own gets rows it accepts::

        # conftest.py
        def pytest_acodb_values(config):
            return {
                "feeds.url": "https://example.com/feed.xml",
                "users.email": lambda n: f"user{n}@example.com",
                "settings.id": 0,
            }

    Called once per run; every implementation is called and their mappings are merged (over
    the ini key ``acodb_values``). Return ``None`` to add nothing.
    """
