"""Built-in migration checks, as plain functions usable from any test.

:func:`plan` turns a migrations directory into a list of :class:`Check` objects, one per kind and
subject (``round_trip[20250115000003]``, ``cascade[workflow_tasks.task_id]``...). Running a check
returns ``None`` when it holds, raises :class:`~pytest_acodb.errors.CheckFailure` (an
``AssertionError``) saying what differs when it does not,
:class:`~pytest_acodb.errors.CheckWarning` for a problem graded ``"warn"`` (a risk, not a bug; see
:data:`LINT_SEVERITY`), and :class:`~pytest_acodb.errors.CheckSkipped` when it does not apply.
The pytest side (:mod:`pytest_acodb.collect`) only wraps these objects into items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CHECK_KINDS: tuple[str, ...] = (
    "source",
    "upgrade",
    "round_trip",
    "no_trace",
    "trigger",
    "cascade",
    "constraint",
    "data_survives",
    "lost_objects",
    "triggers_fire",
    "lint",
    "factory",
    "models_match",
    "lock",
    "database",
)
"""Every built-in check kind, in the order their items are collected (the one source of truth).
The kinds added later come after the first seven, so existing item ids keep their order."""


@dataclass(frozen=True)
class Check:
    """One built-in check: its ``kind`` (from :data:`CHECK_KINDS`), its ``subject`` (a version,
    ``table.column``, trigger or factory name), and ``run``, a callable taking no arguments."""

    kind: str
    subject: str
    run: Callable[[], None]

    @property
    def name(self) -> str:
        """The item name pytest shows, e.g. ``round_trip[20250115000003]``."""
        return f"{self.kind}[{self.subject}]"


def failing(kind: str, subject: str, message: str) -> Callable[[], None]:
    """A check body that raises :class:`~pytest_acodb.errors.CheckFailure` with ``message``;
    for problems found while planning (an unreadable directory, a lock mismatch)."""
    from ..errors import CheckFailure

    def run() -> None:
        raise CheckFailure(message, check=kind, subject=subject)

    return run


def passing() -> None:
    """A check body with nothing left to do: its problems were looked for while planning."""


from .lints import LINT_SEVERITY  # noqa: E402
from .severity import SEVERITY_KEYS  # noqa: E402
from .subjects import plan  # noqa: E402  (plan imports Check from here)

__all__ = ["CHECK_KINDS", "LINT_SEVERITY", "SEVERITY_KEYS", "Check", "failing", "passing", "plan"]
