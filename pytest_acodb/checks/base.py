"""What every built-in check shares: the kinds, the check object, and how a check reports.

A check body returns ``None`` when it holds, raises :class:`~pytest_acodb.errors.CheckFailure`
(an ``AssertionError``) saying what differs when it does not,
:class:`~pytest_acodb.errors.CheckWarning` for a problem graded ``"warn"``, and
:class:`~pytest_acodb.errors.CheckSkipped` when it does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from ..errors import CheckFailure, CheckSkipped

if TYPE_CHECKING:
    from ..schema import ForeignKey, Schema
    from .walk import Walk

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
    "rehearse",
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

    def run() -> None:
        raise CheckFailure(message, check=kind, subject=subject)

    return run


def passing() -> None:
    """A check body with nothing left to do: its problems were looked for while planning."""


LINT_SEVERITY: dict[str, str] = {
    "file_name": "error",
    "missing_down": "error",
    "empty_down": "error",
    "no_tx_marker": "error",
    "tx_pragma": "error",
    "pragma_left_set": "warn",
    "tx_control": "warn",
    "mixed_types": "warn",
    "line_endings": "warn",
    "version_width": "warn",
    "fk_index": "warn",
    "duplicate_index": "warn",
}
"""Every lint and its default severity, ``"error"`` (a :class:`CheckFailure`: data loss, a down
migration that cannot work, SQL that does not do what it says) or ``"warn"`` (a risk or style
problem). The one source of truth: ``plan(severity=...)`` overrides entries by name."""


def fail(kind: str, subject: str, message: str) -> NoReturn:
    """Raise :class:`CheckFailure` for check ``kind`` on ``subject`` with ``message``."""
    raise CheckFailure(message, check=kind, subject=subject)


def require_complete(walk: Walk) -> None:
    """Raise :class:`CheckSkipped` when a migration of ``walk`` did not apply."""
    if walk.failure is not None:
        raise CheckSkipped(
            f"migration {walk.failure.version} does not apply, so the final schema "
            f"is unknown; see upgrade[{walk.failure.version}]"
        )


def foreign_keys(schema: Schema) -> dict[str, tuple[str, ForeignKey]]:
    """``{subject: (child table, foreign key)}`` for every foreign key of ``schema``: the
    subjects of ``cascade`` and ``fk_index``. The subject is ``child.col`` (``child.a,b`` for a
    composite key), with ``->parent`` added on a clash."""
    found: dict[str, tuple[str, ForeignKey]] = {}
    for table in schema.tables.values():
        for fk in table.foreign_keys:
            subject = f"{table.name}.{','.join(fk.columns)}"
            if subject in found:
                subject += f"->{fk.parent}"
            found[subject] = (table.name, fk)
    return found
