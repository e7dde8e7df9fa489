"""How bad a problem is: ``"error"`` fails, ``"warn"`` warns, ``"off"`` drops the item.

Every check reports a problem by raising :class:`~pytest_acodb.errors.CheckFailure`;
:func:`graded` turns that into a :class:`~pytest_acodb.errors.CheckWarning` for a check whose
level is ``"warn"``. Levels come from ``plan(severity=...)``, keyed by check kind (``"cascade"``,
``"lint"``...) or lint name (``"fk_index"``...), a lint name winning over ``"lint"``; the defaults
are ``"error"`` for every kind and :data:`~.lints.LINT_SEVERITY` for the lints.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import CheckFailure, CheckWarning, SeverityError
from .base import CHECK_KINDS, LINT_SEVERITY, Check

LEVELS = ("error", "warn", "off")
"""The severities a check kind or lint can have."""

SEVERITY_KEYS: tuple[str, ...] = (*CHECK_KINDS, *LINT_SEVERITY)
"""Every key ``plan(severity=...)`` accepts: the check kinds, then the lint names."""


def validate(severity: Mapping[str, str] | None) -> dict[str, str]:
    """``severity`` checked and lower-cased, as a dict. Raises :class:`SeverityError` naming an
    unknown key or level and listing the valid ones."""
    levels: dict[str, str] = {}
    for key, level in (severity or {}).items():
        if key not in SEVERITY_KEYS:
            raise SeverityError(
                f"unknown check kind or lint {key!r} in the severity settings; use "
                f"one of {', '.join(SEVERITY_KEYS)}",
                key=key,
                choices=SEVERITY_KEYS,
            )
        if str(level).lower() not in LEVELS:
            raise SeverityError(
                f"severity {level!r} for {key} is not one of {', '.join(LEVELS)}",
                key=key,
                level=str(level),
                choices=LEVELS,
            )
        levels[key] = str(level).lower()
    return levels


def level_of(check: Check, levels: Mapping[str, str]) -> str:
    """The level of ``check``: its lint name's, else its kind's, else the default."""
    if check.kind == "lint":
        lint = check.subject.partition(":")[0]
        return levels.get(lint) or levels.get("lint") or LINT_SEVERITY.get(lint, "error")
    return levels.get(check.kind, "error")


def graded(check: Check, level: str) -> Check:
    """``check`` whose :class:`CheckFailure` becomes a :class:`CheckWarning` (same message,
    kind and subject) when ``level`` is ``"warn"``; unchanged for ``"error"``."""
    if level != "warn":
        return check
    inner = check.run

    def run() -> None:
        try:
            inner()
        except CheckFailure as exc:
            raise CheckWarning(str(exc), check=check.kind, subject=check.subject) from exc

    return Check(check.kind, check.subject, run)


def apply_levels(checks: list[Check], severity: Mapping[str, str] | None) -> list[Check]:
    """``checks`` graded by ``severity`` (see :func:`validate`), those ``"off"`` left out."""
    levels = validate(severity)
    out = []
    for check in checks:
        level = level_of(check, levels)
        if level != "off":
            out.append(graded(check, level))
    return out
