"""The hook pytest-acodb offers to conftest files and plugins."""

from __future__ import annotations

from typing import Any


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
