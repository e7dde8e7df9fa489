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

from typing import TYPE_CHECKING, Any

from .base import CHECK_KINDS, LINT_SEVERITY, Check, failing, passing
from .severity import SEVERITY_KEYS

if TYPE_CHECKING:
    from .subjects import CheckOptions, Plan, plan


def __getattr__(name: str) -> Any:
    # The planner imports every check module (and sqlglot, SQLAlchemy...): only when asked for,
    # so that reading the kinds (the plugin does it at start-up) stays cheap.
    if name in ("CheckOptions", "Plan", "plan"):
        from . import subjects

        return getattr(subjects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHECK_KINDS",
    "LINT_SEVERITY",
    "SEVERITY_KEYS",
    "Check",
    "CheckOptions",
    "Plan",
    "failing",
    "passing",
    "plan",
]
