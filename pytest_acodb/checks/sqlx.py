"""Checks that compare the directory with what sqlx has recorded elsewhere.

- ``lock[...]``: the committed checksum lock (``acodb.lock``) still matches the files; one item
  per problem, or one passing item. Only when the lock file exists.
- ``database[...]``: an existing database (``--acodb-database URL``, e.g. a copy of production)
  validated against the directory by the migrator, with the statuses ``acodb migrate info``
  shows; one item per problem (dirty, missing, modified, line endings, pending), or one passing
  item. A database that cannot be opened or read (a hot journal, a damaged migrations table)
  gives one failing item saying why.

Messages are the engine's with the pytest door's hints (:mod:`pytest_acodb.plugin.hints`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..db import driver as drivers
from ..db.connect import Connector
from ..errors import AcodbError
from ..migrate import Migrator
from ..migrate.lockfile import lock_path, verify_lock
from ..migrate.source import MigrationSource
from .base import Check, failing, passing

_FAILURES: tuple[type[Exception], ...] = (AcodbError, *drivers.Error)


def _describe() -> Callable[[BaseException], str]:
    # Imported when used: the checks sit below the plugin, which imports them.
    from ..plugin.hints import describe

    return describe


def lock_checks(source: MigrationSource) -> list[Check]:
    """``lock`` items for ``source``; empty when it has no ``acodb.lock``."""
    path = lock_path(source)
    if not path.exists():
        return []
    describe = _describe()
    try:
        problems = verify_lock(source)
    except AcodbError as exc:  # an unreadable or malformed lock file: one failing item
        return [Check("lock", path.name, failing("lock", path.name, describe(exc)))]
    if not problems:
        return [Check("lock", path.name, passing)]
    return [
        Check("lock", f"{path.name}#{n}", failing("lock", path.name, describe(problem)))
        for n, problem in enumerate(problems, 1)
    ]


def database_checks(
    source: MigrationSource, url: str, connector: Connector | None = None
) -> list[Check]:
    """``database`` items: validate the database at sqlx ``url`` (opened read-only with
    ``connector``) against ``source``: one per migration that is dirty, missing, modified or
    whose line endings changed (pending ones are not faults: the ``rehearse`` checks apply them
    to a copy). A URL that cannot be opened, or a database that cannot be read, gives one
    failing item saying why."""
    from ..db.urls import parse_sqlite_url

    describe = _describe()
    subject = url.replace("[", "(").replace("]", ")")
    try:
        conn = parse_sqlite_url(url).connect(read_only=True, connector=connector)
    except _FAILURES as exc:
        return [Check("database", subject, failing("database", subject, describe(exc)))]
    try:
        problems = [p for p in Migrator(source).validate(conn) if p.kind != "pending"]
    except _FAILURES as exc:
        return [Check("database", subject, failing("database", subject, describe(exc)))]
    finally:
        conn.close()
    if not problems:
        return [Check("database", subject, passing)]
    return [
        Check(
            "database", f"{subject}:{p.kind}:{p.version}", failing("database", subject, describe(p))
        )
        for p in problems
    ]
