"""Building the list of built-in checks for a migrations directory.

:func:`plan` resolves the directory and walks the migrations once (a few milliseconds for a
normal directory) to learn the subjects: versions, triggers, foreign keys, CHECK value lists.
Everything else happens when a check runs, on copies of the states the walk kept.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

from ..errors import AcodbError, SourceError
from ..migrate import resolve
from . import Check, failing
from .factory import check_factory, factory_names
from .keys import check_cascade, check_constraint, foreign_keys, value_list_columns
from .migrations import check_no_trace, check_round_trip, check_source, check_upgrade
from .sqlx import database_checks, lock_checks
from .triggers import check_trigger, updated_at_triggers
from .walk import Walk


def plan(
    directory: str | Path, *, factories: bool = False, database: str | None = None
) -> list[Check]:
    """The built-in checks for the migrations in ``directory``, in :data:`CHECK_KINDS` order.

    Never raises for a bad directory: a :class:`SourceError` (missing directory, bad file name,
    duplicate versions...) becomes one ``source[<dirname>]`` check that fails with its message.
    ``factories``: add one ``factory[<Name>]`` check per bundled factory (for the bundled schema).
    ``database``: a sqlx URL of an existing database to validate against the directory
    (``database[...]`` items). ``lock[...]`` items are added when the directory has an
    ``acodb.lock``.
    """
    directory = Path(directory)
    name = directory.name or str(directory)
    try:
        source = resolve(directory)
        walk = Walk(source)
    except (SourceError, sqlite3.Error) as exc:
        return [Check("source", name, failing("source", name, str(exc)))]
    checks = [Check("source", name, partial(check_source, source))]
    checks += [Check("upgrade", str(m.version), partial(check_upgrade, walk, m.version))
               for m in source]
    checks += [Check("round_trip", str(m.version), partial(check_round_trip, walk, m.version))
               for m in source]
    checks.append(Check("no_trace", "all", partial(check_no_trace, walk)))
    final = walk.final
    if final is not None:
        checks += [Check("trigger", t.name, partial(check_trigger, walk, t.name))
                   for t in updated_at_triggers(final)]
        checks += [Check("cascade", s, partial(check_cascade, walk, s))
                   for s in foreign_keys(final)]
        checks += [Check("constraint", s, partial(check_constraint, walk, s))
                   for s in value_list_columns(final)]
    if factories:
        try:
            names = factory_names()
        except (ImportError, AcodbError) as exc:
            msg = f"cannot import pytest_acodb.factories: {exc}"
            return [*checks, Check("factory", "import", failing("factory", "import", msg))]
        checks += [Check("factory", n, partial(check_factory, walk, n)) for n in names]
    checks += lock_checks(source)
    if database is not None:
        checks += database_checks(source, database)
    return checks
