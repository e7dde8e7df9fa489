"""The ``data_survives`` check: a migration keeps the rows of the tables it does not empty on purpose.

Each migration is applied to the state before it with :data:`~.seeding.ROWS` rows in every
ordinary table (the seeded run of :mod:`~pytest_acodb.checks.seeding`, shared with
``round_trip``); a table losing rows is reported with its cause (:func:`~.seeding.explain`)
unless the migration deletes from it or drops it on purpose (:func:`~.seeding.on_purpose`).
"""

from __future__ import annotations

from ..migrate.statements import actions
from .base import fail
from .seeding import explain, failed_with_rows, lost, on_purpose, seeded_run
from .walk import Walk


def check_data_survives(walk: Walk, version: int) -> None:
    """Applying ``version`` to the state before it with :data:`~.seeding.ROWS` rows in every
    ordinary table succeeds and removes no row the migration does not remove on purpose (see
    :func:`~.seeding.on_purpose`). Raises :class:`CheckFailure` naming the tables, the counts and the
    cause; :class:`CheckSkipped` when the walk never reached ``version``."""
    subject = str(version)
    run = seeded_run(walk, version)
    migration = walk.source.get(version)
    before, after = walk.before(version), walk.after(version)
    assert migration is not None and before is not None and after is not None
    if run.error is not None:
        fail(
            "data_survives",
            subject,
            failed_with_rows(run.error, version, "applying", before.schema),
        )
    if run.after is None:
        return
    exempt = on_purpose([actions(migration.sql)], before.schema)
    found = lost(run.before, run.after, exempt)
    if found:
        fail(
            "data_survives",
            subject,
            f"migration {version}: "
            + "; ".join(
                explain(
                    t, was, now, migration.sql, migration.path.name, before.schema, after.schema
                )
                for t, was, now in found
            ),
        )
