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

from .base import CHECK_KINDS, LINT_SEVERITY, Check, failing, passing
from .severity import SEVERITY_KEYS
from .subjects import plan

__all__ = ["CHECK_KINDS", "LINT_SEVERITY", "SEVERITY_KEYS", "Check", "failing", "passing", "plan"]
