"""Checks that compare the directory with what sqlx has recorded elsewhere.

- ``lock[...]``: the committed checksum lock (``acodb.lock``) still matches the files; one item
  per problem, or one passing item. Only when the lock file exists.
- ``database[...]``: an existing database (``--acodb-database URL``, e.g. a copy of production)
  validated against the directory as sqlx's migrator would; one item per problem (dirty,
  missing, modified, line endings, pending), or one passing item.
"""

from __future__ import annotations

from ..migrate import Migrator
from ..migrate.lockfile import lock_path, verify_lock
from ..migrate.source import MigrationSource
from .base import Check, failing, passing


def lock_checks(source: MigrationSource) -> list[Check]:
    """``lock`` items for ``source``; empty when it has no ``acodb.lock``."""
    path = lock_path(source)
    if not path.exists():
        return []
    problems = verify_lock(source)
    if not problems:
        return [Check("lock", path.name, passing)]
    return [
        Check("lock", f"{path.name}#{n}", failing("lock", path.name, f"{problem}"))
        for n, problem in enumerate(problems, 1)
    ]


def database_checks(source: MigrationSource, url: str) -> list[Check]:
    """``database`` items: validate the database at sqlx ``url`` (opened read-only) against
    ``source``. A URL that cannot be opened gives one failing item saying why."""
    from ..db.urls import parse_sqlite_url

    subject = url.replace("[", "(").replace("]", ")")
    try:
        target = parse_sqlite_url(url)
        conn = target.connect(read_only=True)
    except Exception as exc:  # reported as the item's failure, not swallowed
        return [Check("database", subject, failing("database", subject, str(exc)))]
    try:
        problems = Migrator(source).validate(conn)
    finally:
        conn.close()
    if not problems:
        return [Check("database", subject, passing)]
    return [
        Check("database", f"{subject}:{p.kind}:{p.version}", failing("database", subject, str(p)))
        for p in problems
    ]
