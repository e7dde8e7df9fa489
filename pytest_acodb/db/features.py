"""SQL features by the SQLite release that brought them, to explain a failure that is the
SQLite's age, or a missing extension, rather than the SQL.

SQLite reports such failures as plain ``SQLITE_ERROR`` with a message (``no such function: X``,
``malformed JSON``, ``near "...": syntax error``); its message is the only place that says which,
so :func:`explain` reads it. Release dates and versions from sqlite.org/changes.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .driver import SQLX_SQLITE, sqlx_version

NEWER_FUNCTIONS: dict[str, tuple[int, int, int]] = {
    "unixepoch": (3, 38, 0),
    "format": (3, 38, 0),
    "unhex": (3, 41, 0),
    "octet_length": (3, 43, 0),
    "timediff": (3, 43, 0),
    "concat": (3, 44, 0),
    "concat_ws": (3, 44, 0),
    "string_agg": (3, 44, 0),
    "jsonb": (3, 45, 0),
    "jsonb_array": (3, 45, 0),
    "jsonb_object": (3, 45, 0),
    "jsonb_extract": (3, 45, 0),
    "jsonb_insert": (3, 45, 0),
    "jsonb_patch": (3, 45, 0),
    "jsonb_remove": (3, 45, 0),
    "jsonb_replace": (3, 45, 0),
    "jsonb_set": (3, 45, 0),
    "jsonb_group_array": (3, 45, 0),
    "jsonb_group_object": (3, 45, 0),
    "json_pretty": (3, 46, 0),
    "if": (3, 48, 0),
    "unistr": (3, 50, 0),
    "unistr_quote": (3, 50, 0),
}
"""Built-in SQL functions and the SQLite release that added them (sqlite.org/changes.html)."""

JSON5 = (3, 42, 0)
"""The release whose JSON functions accept JSON5 (unquoted keys, comments, trailing commas)."""

_NO_FUNCTION = re.compile(r"(?:no such|unknown) function: ([\w$]+)", re.I)


@dataclass(frozen=True)
class Explanation:
    """Why valid SQL failed: ``needs`` is ``"newer-sqlite"`` (the SQLite in use is older than a
    feature the SQL uses) or ``"extension"`` (a function the application registers or loads);
    ``todo`` says so in the engine's words (each door adds how to switch)."""

    needs: str
    todo: str


def _text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def explain(reason: str, sqlite: tuple[int, int, int], driver: str) -> Explanation | None:
    """Why a statement that failed with SQLite's message ``reason`` on SQLite ``sqlite`` (via
    the driver named ``driver``) may be valid after all, or ``None`` when nothing points away
    from the SQL."""
    running = f"SQLite {_text(sqlite)} (driver {driver})"
    sqlx = f"the SQLite sqlx bundles ({sqlx_version()} or newer)"
    found = _NO_FUNCTION.search(reason)
    if found:
        name = found.group(1)
        added = NEWER_FUNCTIONS.get(name.lower())
        if added is not None and sqlite < added:
            return Explanation(
                "newer-sqlite",
                f"{name}() came in SQLite {_text(added)}, and this is {running}; {sqlx} has it, "
                "so the SQL is valid for sqlx: use a newer SQLite",
            )
        if added is None:
            return Explanation(
                "extension",
                f"{name}() is not built into {running}: if the application loads an extension "
                "or registers this function on its connections, load or register it here too",
            )
        return None
    if "malformed json" in reason.lower() and sqlite < JSON5:
        return Explanation(
            "newer-sqlite",
            f"JSON5 text (unquoted keys, comments, trailing commas) is read from SQLite "
            f"{_text(JSON5)} on, and this is {running}; {sqlx} reads it: run the checks on a "
            "newer SQLite",
        )
    if "syntax error" in reason.lower() and sqlite < SQLX_SQLITE:
        return Explanation(
            "newer-sqlite",
            f"this is {running}, older than {sqlx}: if the statement uses newer syntax (RIGHT "
            "or FULL JOIN, IS DISTINCT FROM, -> and ->>, ORDER BY inside an aggregate...) it is "
            "valid for sqlx: use a newer SQLite",
        )
    return None
