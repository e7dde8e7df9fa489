"""Secret configurations never reach pytest's report through the kit's own explanations.

A row is secret when it has an ``is_secret`` column that is true, as ``configurations`` rows of
the acolib schema are: its ``value`` is shown as ``'***'``. :func:`secret_safe_comparison` is
the plugin's ``pytest_assertrepr_compare``: for a failed comparison where either side holds a
secret row (a model, a SQLAlchemy ``Row`` or ``RowMapping``, a ``dict``, or a list/tuple of
them) it explains with redacted copies instead of pytest's field-by-field diff. What pytest
prints itself, outside this hook, is not the kit's to change: with ``-l`` / ``--showlocals``
and long tracebacks (the default) pytest prints the local variables and arguments of the frames
it shows, so run suites that handle real secrets with ``--tb=short`` and without ``-l``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HIDDEN = "***"
"""What a secret value is shown as."""


def _mapping(value: object) -> Mapping[str, Any] | None:
    """The row behind ``value`` as a mapping (a dict, a ``RowMapping``, a ``Row``'s
    ``_mapping``), else ``None``."""
    if isinstance(value, Mapping):
        return value
    mapping = getattr(value, "_mapping", None)  # sqlalchemy.engine.Row
    return mapping if isinstance(mapping, Mapping) else None


def _secret_row(mapping: Mapping[str, Any]) -> bool:
    return "is_secret" in mapping and "value" in mapping and bool(mapping["is_secret"])


def redact(value: object) -> tuple[object, bool]:
    """``value`` with every secret row's ``value`` replaced by ``'***'``, and whether anything
    was secret. Models of the acolib schema redact themselves in their ``repr``; they count as
    secret when their flag is, or was when last loaded, true."""
    from ..acolib.models import Configuration

    if isinstance(value, Configuration):
        return value, True  # its repr hides the value unless it is known not to be secret
    mapping = _mapping(value)
    if mapping is not None and _secret_row(mapping):
        return {**mapping, "value": HIDDEN}, True
    if isinstance(value, list | tuple):
        pairs = [redact(v) for v in value]
        if any(secret for _, secret in pairs):
            return type(value)(v for v, _ in pairs), True
    return value, False


def secret_safe_comparison(op: str, left: object, right: object) -> list[str] | None:
    """pytest's explanation of a failed comparison that involves a secret row: both sides
    redacted (see :func:`redact`), never a field-by-field diff. ``None`` (pytest's own
    explanation) when neither side holds one."""
    shown_left, secret_left = redact(left)
    shown_right, secret_right = redact(right)
    if not (secret_left or secret_right):
        return None
    return [
        f"{shown_left!r} {op} {shown_right!r}",
        "configuration values are hidden when is_secret is set",
    ]
