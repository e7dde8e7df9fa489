"""The ``acodb`` marker: ``@pytest.mark.acodb(backend=..., isolation=..., target=...,
fixtures=[...])``.

:func:`acodb` has the marker's signature and validates its arguments once per test, as
pytest-django validates ``django_db``; :func:`marker_args` reads the closest marker of a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ..errors import MarkerError

BACKENDS = ("memory", "file")
"""Where a test's database lives: SQLite's shared in-memory VFS, or a file in pytest's tmp dir."""
ISOLATIONS = ("clone", "rollback")
"""How tests are kept apart: a fresh copy of the template, or a transaction rolled back."""

DESCRIPTION = (
    "acodb(backend='memory'|'file', isolation='clone'|'rollback', target=VERSION, "
    "fixtures=[NAME, ...]): configure the pytest-acodb database of this test (target: migrated "
    "up to VERSION; fixtures: SQL files applied before the test, fixtures/NAME.sql beside it)"
)
"""The marker's line in ``pytest --markers``."""


@dataclass(frozen=True)
class MarkerArgs:
    """A test's ``acodb`` marker, validated: ``None`` where it leaves the run's setting."""

    backend: str | None = None
    isolation: str | None = None
    target: int | None = None
    fixtures: tuple[str, ...] = ()


ARGUMENTS = ("backend", "isolation", "target", "fixtures")
"""The marker's keyword arguments (the parameters of :func:`acodb`)."""


def acodb(
    *,
    backend: str | None = None,
    isolation: str | None = None,
    target: Any = None,
    fixtures: Any = (),
) -> MarkerArgs:
    """Validate the marker's arguments. Raises :class:`~pytest_acodb.errors.MarkerError` naming
    the argument and the values it takes: ``backend`` one of :data:`BACKENDS`, ``isolation``
    one of :data:`ISOLATIONS`, ``target`` a migration version (a whole number), ``fixtures`` a
    list of SQL fixture names or paths (one string is one fixture)."""
    if isinstance(fixtures, str):
        fixtures = (fixtures,)
    if not isinstance(fixtures, list | tuple) or not all(
        isinstance(f, str) and f for f in fixtures
    ):
        raise MarkerError(
            "fixtures", fixtures, 'give a list of SQL fixture names, e.g. ["users", "posts"]'
        )
    if backend is not None and backend not in BACKENDS:
        raise MarkerError("backend", backend, f"use one of {', '.join(map(repr, BACKENDS))}")
    if isolation is not None and isolation not in ISOLATIONS:
        raise MarkerError("isolation", isolation, f"use one of {', '.join(map(repr, ISOLATIONS))}")
    if target is not None and not (
        (isinstance(target, int) and not isinstance(target, bool))
        or (isinstance(target, str) and target.isascii() and target.isdigit())
    ):
        raise MarkerError(
            "target", target, "give a migration version (a whole number such as 20250115000003)"
        )
    return MarkerArgs(backend, isolation, None if target is None else int(target), tuple(fixtures))


def marker_args(node: pytest.Item) -> MarkerArgs:
    """The closest ``acodb`` marker of ``node``, validated (see :func:`acodb`); empty arguments
    when there is none. Raises :class:`~pytest_acodb.errors.MarkerError` for positional or
    unknown arguments and bad values."""
    marker = node.get_closest_marker("acodb")
    if marker is None:
        return MarkerArgs()
    if marker.args:
        raise MarkerError(None, marker.args, f"takes only keyword arguments {', '.join(ARGUMENTS)}")
    try:
        return acodb(**marker.kwargs)
    except TypeError:
        unknown = sorted(set(marker.kwargs) - set(ARGUMENTS))
        raise MarkerError(
            unknown[0], marker.kwargs[unknown[0]], f"takes only {', '.join(ARGUMENTS)}"
        ) from None
