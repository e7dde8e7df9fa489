"""What a migration's statements do, read without running them.

:func:`actions` splits a script with :func:`~pytest_acodb.migrate.split_statements` (so line
numbers are the file's) and reads the head of each statement with sqlglot's SQLite tokenizer
(quoted and schema-qualified names handled): ``DELETE FROM t``, ``DROP TABLE t``, ``ALTER TABLE a
RENAME TO b``, ``PRAGMA x = v``, ``VACUUM``, ``CREATE INDEX i``... The data checks use it to tell a
deletion on purpose from a cascade, the lints to point at a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .sql import split_statements

OBJECT_KINDS = ("TABLE", "INDEX", "TRIGGER", "VIEW")


@dataclass(frozen=True)
class Action:
    """One statement, read: ``verb`` (upper-case first keyword: ``DELETE``, ``DROP``, ``CREATE``,
    ``ALTER``, ``PRAGMA``, ``VACUUM``, ``INSERT``...), ``kind`` (``TABLE``, ``INDEX``,
    ``TRIGGER``, ``VIEW`` or ``""``), ``name`` (the object, table or pragma named, unquoted,
    without its schema), ``new_name`` (target of ``RENAME TO``), ``value`` (a pragma's value,
    upper-case), ``line`` (1-based line in the file) and ``text`` (the statement)."""

    verb: str
    kind: str
    name: str
    line: int
    text: str
    new_name: str = ""
    value: str = ""


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(WORD, text)`` per token: ``WORD`` is the upper-cased keyword, ``""`` for a quoted
    identifier or a punctuation token other than ``.``, ``=`` and parentheses."""
    from sqlglot import TokenType
    from sqlglot.dialects.sqlite import SQLite

    out = []
    for token in SQLite().tokenize(text):
        if token.token_type == TokenType.IDENTIFIER:
            out.append(("", token.text))
        else:
            out.append((token.text.upper(), token.text))
    return out


def _name(tokens: list[tuple[str, str]], i: int) -> tuple[str, int]:
    """The object name starting at ``i`` (``IF [NOT] EXISTS`` and a schema prefix skipped) and the
    position after it; ``("", i)`` when there is none."""
    while i < len(tokens) and tokens[i][0] in ("IF", "NOT", "EXISTS"):
        i += 1
    if i >= len(tokens):
        return "", i
    name = tokens[i][1]
    if i + 2 < len(tokens) and tokens[i + 1][0] == ".":
        name, i = tokens[i + 2][1], i + 2
    return name, i + 1


def _read(text: str, line: int) -> Action:
    try:
        tokens = _tokens(text)
    except Exception:  # sqlglot raises several error types from its tokenizer
        return Action("", "", "", line, text)
    words = [w for w, _ in tokens]
    if not words:
        return Action("", "", "", line, text)
    verb = words[0]
    if verb == "WITH":  # WITH ... DELETE FROM t: the verb is the first one outside the CTEs
        depth = 0
        for j, w in enumerate(words):
            depth += (w == "(") - (w == ")")
            if depth == 0 and w in ("DELETE", "INSERT", "UPDATE", "REPLACE", "SELECT"):
                verb, tokens, words = w, tokens[j:], words[j:]
                break
    if verb == "DELETE" and len(words) > 1 and words[1] == "FROM":
        return Action(verb, "TABLE", _name(tokens, 2)[0], line, text)
    if verb == "DROP" and len(words) > 1 and words[1] in OBJECT_KINDS:
        return Action(verb, words[1], _name(tokens, 2)[0], line, text)
    if verb == "CREATE":
        i = 1
        while i < len(words) and words[i] in ("TEMP", "TEMPORARY", "UNIQUE", "VIRTUAL"):
            i += 1
        if i < len(words) and words[i] in OBJECT_KINDS:
            return Action(verb, words[i], _name(tokens, i + 1)[0], line, text)
    if verb == "ALTER" and len(words) > 1 and words[1] == "TABLE":
        name, i = _name(tokens, 2)
        rest = words[i:]
        if rest[:2] == ["RENAME", "TO"] and len(tokens) > i + 2:
            return Action(verb, "TABLE", name, line, text, new_name=tokens[i + 2][1])
        return Action(verb, "TABLE", name, line, text)
    if verb == "PRAGMA":
        name, i = _name(tokens, 1)
        value = next((w or t for w, t in tokens[i:] if w not in ("=", "(", ")")), "")
        return Action(verb, "", name.lower(), line, text, value=value.upper())
    if verb in ("INSERT", "REPLACE", "UPDATE"):
        i = 1
        while i < len(words) and words[i] in (
            "OR",
            "ROLLBACK",
            "ABORT",
            "REPLACE",
            "FAIL",
            "IGNORE",
            "INTO",
        ):
            i += 1
        return Action(verb, "TABLE", _name(tokens, i)[0], line, text)
    return Action(verb, "", "", line, text)


@lru_cache(maxsize=1024)
def actions(sql: str) -> tuple[Action, ...]:
    """Every statement of the script ``sql``, read (see :class:`Action`), in file order."""
    return tuple(_read(s.text, s.line) for s in split_statements(sql))


def named(found: Iterable[Action], verb: str, kind: str) -> dict[str, Action]:
    """``{lower-cased name: first action}`` of the actions with this ``verb`` and ``kind``."""
    out: dict[str, Action] = {}
    for a in found:
        if a.verb == verb and a.kind == kind and a.name:
            out.setdefault(a.name.lower(), a)
    return out


def origins(found: Iterable[Action]) -> list[tuple[Action, str]]:
    """Each action with the lower-cased name its target table had before the script started,
    following the ``ALTER TABLE ... RENAME TO`` statements before it (in ``ALTER TABLE posts
    RENAME TO posts_old; DROP TABLE posts_old`` the drop's original is ``posts``; in ``DROP TABLE
    posts; ALTER TABLE posts_new RENAME TO posts`` it is ``posts`` too)."""
    current: dict[str, str] = {}
    out = []
    for a in found:
        name = a.name.lower()
        out.append((a, current.get(name, name)))
        if a.verb == "ALTER" and a.new_name:
            current[a.new_name.lower()] = current.pop(name, name)
    return out
