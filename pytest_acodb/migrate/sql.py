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
    sqlx) would run it. Time is linear in the length of ``sql`` for ordinary files (a 10 MB file
    of small statements splits in well under a second).
    """
    statements: list[Statement] = []
    counted, line = 0, 1  # newlines are counted once, from the last statement on
    start = 0
    pos = sql.find(";")
    while True:
        end = len(sql) if pos == -1 else pos + 1
        chunk = sql[start:end]
        if pos == -1 or sqlite3.complete_statement(chunk):
            if not is_blank(chunk):
                code = _code_start(sql, start)
                line += sql.count("\n", counted, code)
                counted = code
                # The text starts where the SQL does, so errors show the statement, not comments.
                statements.append(Statement(text=sql[code:end].rstrip(), line=line))
            start = end
        if pos == -1:
            return statements
        pos = sql.find(";", pos + 1)


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
