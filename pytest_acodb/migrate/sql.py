"""Splitting migration SQL into statements, the way SQLite's own shell sees them.

``sqlite3.executescript`` commits as it goes, so the engine runs one statement at a time inside
its own transaction. Statement boundaries come from ``sqlite3.complete_statement`` (SQLite's
tokenizer), so semicolons inside strings, comments and ``CREATE TRIGGER ... BEGIN ... END`` bodies
are handled exactly as SQLite handles them.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

NO_TX_MARKER = "-- no-transaction"
"""sqlx runs a migration outside a transaction when its text starts with exactly this."""

_COMMENT = re.compile(r"--[^\n]*|/\*.*?(\*/|\Z)", re.S)


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration file.

    ``text`` is the statement as written from its first SQL token (leading comments and blanks
    left out, inner comments and the trailing ``;`` kept); ``line`` is the 1-based line of the
    file on which that first token stands.
    """

    text: str
    line: int


def is_blank(sql: str) -> bool:
    """True when ``sql`` holds nothing but whitespace, comments and semicolons."""
    return not _COMMENT.sub("", sql).replace(";", "").strip()


def split_statements(sql: str) -> list[Statement]:
    """Split ``sql`` into statements; blank or comment-only pieces are dropped.

    A last statement without a closing ``;`` is kept, as SQLite's ``sqlite3_prepare`` loop (and so
    sqlx) would run it. Runs in time linear in the length of ``sql`` for ordinary files.
    """
    statements: list[Statement] = []
    start = 0
    pos = sql.find(";")
    while pos != -1:
        chunk = sql[start : pos + 1]
        if sqlite3.complete_statement(chunk):
            _add(statements, sql, start, chunk)
            start = pos + 1
        pos = sql.find(";", pos + 1)
    _add(statements, sql, start, sql[start:])
    return statements


def _add(statements: list[Statement], sql: str, start: int, chunk: str) -> None:
    if is_blank(chunk):
        return
    code = _code_start(sql, start)
    # The text starts where the SQL does, so error messages show the statement, not its comments.
    text = sql[code : start + len(chunk)].rstrip()
    statements.append(Statement(text=text, line=sql.count("\n", 0, code) + 1))


def _code_start(sql: str, pos: int) -> int:
    """Offset of the first character at or after ``pos`` that is neither blank nor comment."""
    while True:
        while pos < len(sql) and sql[pos].isspace():
            pos += 1
        if sql.startswith("--", pos):
            newline = sql.find("\n", pos)
            pos = len(sql) if newline == -1 else newline + 1
        elif sql.startswith("/*", pos):
            close = sql.find("*/", pos + 2)
            pos = len(sql) if close == -1 else close + 2
        else:
            return pos


def seed_down_section(sql: str) -> str | None:
    """Extract the commented-out ``-- DOWN`` section of a seed-style single-file migration.

    The acolib seed README writes migrations as one ``.sql`` file with a ``-- UP`` section and a
    ``-- DOWN`` section whose statements are commented out (``-- DROP TABLE ...``). Returns the
    DOWN section with one leading ``--`` (and one space) removed from each line, or ``None`` when
    the file has no line that is exactly ``-- DOWN``.
    """
    lines = sql.splitlines()
    try:
        marker = next(i for i, line in enumerate(lines) if line.strip() == "-- DOWN")
    except StopIteration:
        return None
    out = []
    for line in lines[marker + 1 :]:
        stripped = line.lstrip()
        if stripped.startswith("--"):
            stripped = stripped[2:]
            stripped = stripped[1:] if stripped.startswith(" ") else stripped
        out.append(stripped)
    return "\n".join(out) + "\n"


def up_section(sql: str) -> str:
    """The part of a seed-style migration before its ``-- DOWN`` line (all of it if none)."""
    lines = sql.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip() == "-- DOWN":
            return "".join(lines[:i])
    return sql
