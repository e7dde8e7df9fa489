"""What a run or a revert will do, decided by the migrator before anything changes.

A dry run shows a plan; a real run carries out the same plan (:meth:`~pytest_acodb.migrate.
Migrator.execute`), so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .source import Migration


@dataclass(frozen=True)
class RunPlan:
    """What a run does: ``apply``, the pending migrations up to ``target`` (oldest first), and
    ``skip``, the pending ones above it (sqlx prints them as "Skipped")."""

    target: int | None
    apply: tuple[Migration, ...]
    skip: tuple[Migration, ...]


@dataclass(frozen=True)
class RevertPlan:
    """What a revert does: ``revert`` (newest first); ``keep``, the applied reversible
    migrations at or below ``target`` that stay (newest first; sqlx prints them as "Skipped");
    ``passed``, the applied simple migrations passed over when skipping them was allowed (their
    changes stay)."""

    target: int | None
    revert: tuple[Migration, ...]
    keep: tuple[Migration, ...]
    passed: tuple[Migration, ...]


Plan = RunPlan | RevertPlan

Progress = Callable[[str, Migration, int], None]
"""Called after each step with ``("apply" | "revert", migration, elapsed_ns)``."""
