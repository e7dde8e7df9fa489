"""Splitting migration SQL into statements, the way SQLite's own shell sees them.

``sqlite3.executescript`` commits as it goes, so the engine runs one statement at a time inside
its own transaction. Statement boundaries follow SQLite's ``sqlite3_complete`` (``complete.c``):
one pass over the text with its eight-state machine, so semicolons inside strings, quoted names,
comments and ``CREATE TRIGGER ... BEGIN ... END`` bodies (including ``CASE ... END`` inside
them) are handled exactly as SQLite handles them, in time linear in the length of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NO_TX_MARKER = "-- no-transaction"
"""sqlx runs a migration outside a transaction when its text starts with exactly this."""

# Tokens of complete.c, in the column order of its transition table.
_SEMI, _WS, _OTHER, _EXPLAIN, _CREATE, _TEMP, _TRIGGER, _END = range(8)
_START, _NORMAL, _TRIGGER_BODY = 1, 2, 5
_TRANSITIONS = (
    # SEMI WS OTHER EXPLAIN CREATE TEMP TRIGGER END
    (1, 0, 2, 3, 4, 2, 2, 2),  # 0 INVALID: nothing but blanks yet
    (1, 1, 2, 3, 4, 2, 2, 2),  # 1 START: a statement just ended
    (1, 2, 2, 2, 2, 2, 2, 2),  # 2 NORMAL: in an ordinary statement
    (1, 3, 3, 2, 4, 2, 2, 2),  # 3 EXPLAIN: after the keyword EXPLAIN
    (1, 4, 2, 2, 2, 4, 5, 2),  # 4 CREATE: after CREATE (and TEMP)
    (6, 5, 5, 5, 5, 5, 5, 5),  # 5 TRIGGER: inside CREATE TRIGGER
    (6, 6, 5, 5, 5, 5, 5, 7),  # 6 SEMI: after a ';' inside a trigger
    (1, 7, 5, 5, 5, 5, 5, 5),  # 7 END: after END following a ';' in a trigger
)
_KEYWORDS = {
    "EXPLAIN": _EXPLAIN,
    "CREATE": _CREATE,
    "TEMP": _TEMP,
    "TEMPORARY": _TEMP,
    "TRIGGER": _TRIGGER,
    "END": _END,
}
# One token of complete.c. An unterminated string, name or comment runs to the end of the text
# (SQLite then sees an incomplete statement, so no later ';' can end it).
_TOKEN = re.compile(
    r"(?P<ws>[ \t\n\r\f]+|--[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<semi>;)"
    r"|(?P<quoted>'[^']*(?:'|\Z)|\"[^\"]*(?:\"|\Z)|`[^`]*(?:`|\Z)|\[[^\]]*(?:\]|\Z))"
    r"|(?P<word>[0-9A-Za-z_$\x80-\U0010ffff]+)"
    r"|(?P<other>.)",
    re.S,
)
# Blanks, comments and semicolons between statements (the states INVALID and START).
_BLANKS = re.compile(r"(?:[ \t\n\r\f;]+|--[^\n]*|/\*.*?(?:\*/|\Z))*", re.S)
# Inside an ordinary statement or a trigger body only ';' changes the state, so the scan jumps to
# the next character that is a ';' or could hide one (a quote or a comment).
_INTERESTING = re.compile(r"[;'\"`\[]|--|/\*")
_CLOSERS = {"'": "'", '"': '"', "`": "`", "[": "]", "-": "\n", "/": "*/"}
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
    sqlx) would run it. Time is linear in the length of ``sql`` whatever it holds (a 10 MB file
    of small statements, or one statement with millions of ``;`` in its strings).
    """
    statements: list[Statement] = []
    pos, end = 0, len(sql)
    line, counted = 1, 0  # newlines are counted once, from the last statement on
    while True:
        blanks = _BLANKS.match(sql, pos)
        assert blanks is not None  # it matches the empty string
        code = blanks.end()  # the statement's first token
        if code >= end:
            return statements
        pos = _statement_end(sql, code)
        line += sql.count("\n", counted, code)
        counted = code
        statements.append(Statement(sql[code:pos].rstrip(), line))


def _statement_end(sql: str, pos: int) -> int:
    """The offset just after the ``;`` that completes the statement starting at ``pos`` (its
    first token), or the length of ``sql`` when nothing completes it."""
    state, end = _START, len(sql)
    while pos < end:
        if state in (_NORMAL, _TRIGGER_BODY):
            jump = _INTERESTING.search(sql, pos)
            if jump is None:
                return end
            pos = jump.start()
            first = sql[pos]
            if first != ";":  # a quoted string or name, or a comment: the state stays
                close = sql.find(_CLOSERS[first], pos + 1 if first in "'\"`[" else pos + 2)
                pos = end if close < 0 else close + len(_CLOSERS[first])
                continue
            token, pos = _SEMI, pos + 1
        else:
            match = _TOKEN.match(sql, pos)
            assert match is not None  # the last alternative matches any character
            kind = match.lastgroup
            if kind == "ws":
                token = _WS
            elif kind == "semi":
                token = _SEMI
            elif kind == "word":
                token = _KEYWORDS.get(match.group().upper(), _OTHER)
            else:
                token = _OTHER
            pos = match.end()
        state = _TRANSITIONS[state][token]
        if state == _START:
            return pos
    return end


def leading_words(text: str, count: int = 3) -> tuple[str, ...]:
    """The first ``count`` words of a statement, upper-cased, skipping blanks and comments and
    stopping at the first token that is not a word: ``ROLLBACK /* x */ TO a`` gives
    ``("ROLLBACK", "TO", "A")``."""
    words: list[str] = []
    pos = 0
    while len(words) < count and pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None
        if match.lastgroup == "word":
            words.append(match.group().upper())
        elif match.lastgroup != "ws":
            break
        pos = match.end()
    return tuple(words)


TRANSACTION_VERBS = ("BEGIN", "COMMIT", "END", "ROLLBACK")
"""First keywords of the statements that begin or end a transaction."""


def transaction_control(statement: Statement) -> str | None:
    """The verb (``BEGIN``, ``COMMIT``, ``END`` or ``ROLLBACK``) when ``statement`` begins or
    ends a transaction, else ``None``. ``ROLLBACK TO`` a savepoint and the savepoint statements
    do not end a transaction; ``CREATE TRIGGER ... BEGIN`` does not begin one."""
    words = leading_words(statement.text)
    if not words or words[0] not in TRANSACTION_VERBS:
        return None
    if words[0] == "ROLLBACK" and "TO" in words[1:]:
        return None
    return words[0]


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
