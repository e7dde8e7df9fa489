"""What the SQL text SQLite keeps for an object says, read with sqlglot's SQLite dialect.

The snapshot (:mod:`~pytest_acodb.schema.snapshot`) reads structure from SQLite itself; a few
facts exist only in the text: the CHECK expressions of a table, the event of a trigger, the
expression of an index key and the clause of a partial index, the tables a view reads, what a
trigger's statements name. Each function here reads one kind of text and is cached by it, so a
text seen in an earlier snapshot costs nothing. None raises for text it cannot read: it returns
what it could read (empty when nothing).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Token = Any
"""A sqlglot token (``.token_type``, ``.text``, ``.start``, ``.end``); its class moved between
sqlglot releases, so it is not named here."""
Tree = Any
"""A parsed sqlglot expression (``sqlglot.exp.Expression``, ``Expr`` in recent releases)."""

_CACHE = 4096


def normalise_sql(sql: str) -> str:
    """Collapse whitespace runs to one space and drop ``IF NOT EXISTS`` (not kept by SQLite)."""
    text = " ".join(sql.split())
    return re.sub(r"\bIF NOT EXISTS\b ?", "", text, flags=re.I)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence sqlglot's warning about text it parses as an opaque command."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _parse(sql: str) -> Tree | None:
    """``sql`` (one statement) as a sqlglot tree, or ``None`` when sqlglot cannot parse it."""
    import sqlglot

    try:
        with _quiet():
            return sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None


def _tokens(sql: str) -> list[Token]:
    """sqlglot's SQLite tokens of ``sql`` (comments dropped, quoted names as IDENTIFIER), or
    ``[]`` when it cannot tokenize it."""
    from sqlglot.dialects.sqlite import SQLite

    try:
        return list(SQLite().tokenize(sql))
    except Exception:  # sqlglot raises several error types from its tokenizer
        return []


def _word(token: Token) -> str:
    """The upper-cased keyword ``token`` is, or ``""`` for a quoted name."""
    from sqlglot import TokenType

    return "" if token.token_type == TokenType.IDENTIFIER else token.text.upper()


def _span(sql: str, tokens: list[Token]) -> str:
    """The original text from the first to the last of ``tokens``, whitespace-normalised."""
    return normalise_sql(sql[tokens[0].start : tokens[-1].end + 1]) if tokens else ""


def _closing(tokens: list[Token], start: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``start`` (``len(tokens)`` when unmatched)."""
    from sqlglot import TokenType

    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[i].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return i
    return len(tokens)


# -- tables ----------------------------------------------------------------------------------


@lru_cache(maxsize=_CACHE)
def check_texts(create_table_sql: str) -> tuple[str, ...]:
    """The text of each CHECK expression of a ``CREATE TABLE`` statement, as written (without
    the parentheses around it), in order; read with the tokenizer alone, so a table whose text
    changed (``ADD COLUMN``) costs no parse of its CHECKs."""
    from sqlglot import TokenType

    if "CHECK" not in create_table_sql.upper():  # no constraint: nothing to tokenize
        return ()
    tokens = _tokens(create_table_sql)
    found: list[str] = []
    for i, token in enumerate(tokens[:-1]):
        if _word(token) == "CHECK" and tokens[i + 1].token_type == TokenType.L_PAREN:
            end = _closing(tokens, i + 1)
            if end < len(tokens) and end > i + 2:
                found.append(create_table_sql[tokens[i + 2].start : tokens[end - 1].end + 1])
    return tuple(found)


def expression(text: str) -> Tree | None:
    """One SQL expression (a CHECK's, a WHERE clause's) as a sqlglot tree, cached by its text;
    ``None`` when sqlglot cannot parse it. Callers must not change the tree."""
    return _trees(text, _generation())


def _generation() -> int:
    """Which import of sqlglot is current: trees cached under another one have classes that
    ``isinstance`` no longer matches (pytester's in-process runs drop modules they imported)."""
    import sqlglot

    return id(sqlglot)


@lru_cache(maxsize=_CACHE)
def _trees(text: str, generation: int) -> Tree | None:
    import sqlglot

    try:
        with _quiet():
            return sqlglot.parse_one(text, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return None


@lru_cache(maxsize=_CACHE)
def normalise_check(text: str) -> str:
    """A CHECK expression as sqlglot writes it back (the form :attr:`Table.checks
    <pytest_acodb.schema.Table.checks>` holds); ``""`` when it cannot be parsed."""
    tree = expression(text)
    return tree.sql(dialect="sqlite") if tree is not None else ""


def check_constraints(create_table_sql: str) -> tuple[str, ...]:
    """The CHECK expressions of a ``CREATE TABLE`` statement, as SQLite SQL written back by
    sqlglot, in order (those sqlglot cannot parse left out). Each expression is parsed once,
    whatever tables (or versions of a table) it appears in."""
    return tuple(n for n in map(normalise_check, check_texts(create_table_sql)) if n)


@lru_cache(maxsize=_CACHE)
def table_options(create_table_sql: str) -> tuple[bool, bool]:
    """``(without_rowid, strict)`` of a ``CREATE TABLE`` statement, from the options after its
    column list (for SQLite older than 3.37, which has no ``pragma_table_list``)."""
    from sqlglot import TokenType

    tokens = _tokens(create_table_sql)
    start = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.L_PAREN), None)
    if start is None:
        return False, False
    tail = [_word(t) for t in tokens[_closing(tokens, start) + 1 :]]
    without = any(pair == ("WITHOUT", "ROWID") for pair in itertools.pairwise(tail))
    return without, "STRICT" in tail


@lru_cache(maxsize=_CACHE)
def virtual_module(create_sql: str) -> str | None:
    """The module of a ``CREATE VIRTUAL TABLE`` statement, lower-cased (``fts5``), or ``None``
    for any other statement."""
    tokens = _tokens(create_sql)
    if [_word(t) for t in tokens[:3]] != ["CREATE", "VIRTUAL", "TABLE"]:
        return None
    for i, token in enumerate(tokens[3:-1], 3):
        if _word(token) == "USING":
            return str(tokens[i + 1].text).lower()
    return None


# -- indexes ---------------------------------------------------------------------------------


@lru_cache(maxsize=_CACHE)
def index_parts(create_index_sql: str) -> tuple[tuple[str, ...], str | None]:
    """``(keys, where)`` of a ``CREATE INDEX`` statement: the text of each key without its
    ``COLLATE`` and ``ASC`` / ``DESC``, and the ``WHERE`` clause of a partial index (``None``
    when there is none), both whitespace-normalised as written."""
    from sqlglot import TokenType

    tokens = _tokens(create_index_sql)
    on = next((i for i, t in enumerate(tokens) if _word(t) == "ON"), None)
    start = next(
        (
            i
            for i, t in enumerate(tokens)
            if on is not None and i > on and t.token_type == TokenType.L_PAREN
        ),
        None,
    )
    if start is None:
        return (), None
    end = _closing(tokens, start)
    keys: list[str] = []
    current: list[Token] = []
    depth = 0
    for token in tokens[start + 1 : end]:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        if token.token_type == TokenType.COMMA and depth == 0:
            keys.append(_key_text(create_index_sql, current))
            current = []
        else:
            current.append(token)
    if current:
        keys.append(_key_text(create_index_sql, current))
    rest = tokens[end + 1 :]
    where = _span(create_index_sql, rest[1:]) if rest and _word(rest[0]) == "WHERE" else None
    return tuple(keys), where or None


def single_quoted(text: str, identifiers: Collection[str]) -> str:
    """``text`` (SQL) with each double-quoted name that is none of ``identifiers`` (lower-cased)
    written as the single-quoted string SQLite reads it as (its double-quoted-string fallback,
    sqlite.org/quirks.html section 8), as SQLite itself rewrites the schema on ``ALTER TABLE ...
    DROP COLUMN``: so ``coalesce(x, "")`` and ``coalesce(x, '')`` read the same."""
    if '"' not in text:
        return text
    from sqlglot import TokenType

    out, last = [], 0
    for token in _tokens(text):
        quoted = token.token_type == TokenType.IDENTIFIER and text[token.start] == '"'
        if quoted and token.text.lower() not in identifiers:
            out += [text[last : token.start], "'" + token.text.replace("'", "''") + "'"]
            last = token.end + 1
    return "".join(out) + text[last:]


def _key_text(sql: str, tokens: list[Token]) -> str:
    if tokens and _word(tokens[-1]) in ("ASC", "DESC"):
        tokens = tokens[:-1]
    if len(tokens) > 2 and _word(tokens[-2]) == "COLLATE":
        tokens = tokens[:-2]
    return _span(sql, tokens)


# -- triggers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerEvent:
    """What fires a trigger: ``timing`` (``BEFORE``, the default, ``AFTER`` or ``INSTEAD OF``),
    ``event`` (``INSERT``, ``UPDATE``, ``DELETE``) and, for ``UPDATE OF a, b``, the ``columns``
    listed (empty: any column)."""

    timing: str
    event: str
    columns: tuple[str, ...]


@lru_cache(maxsize=_CACHE)
def trigger_event(sql: str) -> TriggerEvent | None:
    """The :class:`TriggerEvent` of a ``CREATE TRIGGER`` statement (quoted names handled);
    ``None`` when it cannot be read."""
    from sqlglot import TokenType

    tokens = _tokens(sql)
    seen_trigger = False
    timing = "BEFORE"
    for i, token in enumerate(tokens):
        word = _word(token)
        if word == "TRIGGER":
            seen_trigger = True
        elif seen_trigger and word in ("BEFORE", "AFTER"):
            timing = word
        elif seen_trigger and word == "INSTEAD":
            timing = "INSTEAD OF"
        elif seen_trigger and word in ("INSERT", "UPDATE", "DELETE"):
            columns: list[str] = []
            if word == "UPDATE" and i + 1 < len(tokens) and _word(tokens[i + 1]) == "OF":
                for t in tokens[i + 2 :]:
                    if _word(t) == "ON":
                        break
                    if t.token_type != TokenType.COMMA:
                        columns.append(t.text)
            return TriggerEvent(timing, word, tuple(columns))
    return None


@dataclass(frozen=True)
class ColumnRef:
    """A column a statement names: ``name``, and ``owners``, the lower-cased names of the tables
    it can belong to (``new`` / ``old``: the trigger's own table)."""

    owners: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class References:
    """What a trigger's ``WHEN`` clause and statements name: ``tables`` (lower-cased, common
    table expressions and table-valued functions left out) and the ``columns`` that can be
    placed (see :func:`references`)."""

    tables: tuple[str, ...]
    columns: tuple[ColumnRef, ...]


@lru_cache(maxsize=_CACHE)
def references(create_trigger_sql: str) -> References:
    """The tables and columns a ``CREATE TRIGGER`` statement names in its ``WHEN`` clause and
    its statements.

    A column qualified by ``NEW`` / ``OLD`` belongs to the trigger's table, by ``excluded`` to
    the table an upsert inserts into, by a table name or alias to that table; an unqualified one
    to any table its statement names, unless the statement also reads something whose columns a
    schema does not list (a subquery, a common table expression, a table-valued function), the
    name is a result alias or a double-quoted name (SQLite may read it as a string). Columns that
    cannot be placed that way are left out. Statements sqlglot cannot parse add nothing."""
    tables: list[str] = []
    columns: list[ColumnRef] = []
    for tree in _trigger_trees(create_trigger_sql):
        _statement(tree, tables, columns)
    return References(tuple(dict.fromkeys(tables)), tuple(dict.fromkeys(columns)))


def _trigger_trees(create_trigger_sql: str) -> tuple[Tree, ...]:
    """The ``WHEN`` clause (as ``SELECT <clause>``) and each statement of a ``CREATE TRIGGER``
    statement, parsed; those sqlglot cannot parse are left out. Callers must not change them."""
    return _trigger_parts(create_trigger_sql, _generation())


@lru_cache(maxsize=_CACHE)
def _trigger_parts(create_trigger_sql: str, generation: int) -> tuple[Tree, ...]:
    tokens = _tokens(create_trigger_sql)
    begin = next((i for i, t in enumerate(tokens) if _word(t) == "BEGIN"), None)
    if begin is None:
        return ()
    texts: list[str] = []
    when = next((i for i, t in enumerate(tokens[:begin]) if _word(t) == "WHEN"), None)
    if when is not None and when + 1 < begin:
        texts.append("SELECT " + create_trigger_sql[tokens[when + 1].start : tokens[begin].start])
    body = tokens[begin + 1 : -1] if tokens and _word(tokens[-1]) == "END" else tokens[begin + 1 :]
    current: list[Token] = []
    for token in [*body, None]:
        if token is None or token.text == ";":
            if current:
                texts.append(create_trigger_sql[current[0].start : current[-1].end + 1])
            current = []
        else:
            current.append(token)
    trees = (_parse(_LENIENT.sub(_lenient, text, count=1)) for text in texts)
    return tuple(t for t in trees if t is not None)


@dataclass(frozen=True)
class Guard:
    """A reference a trigger enforces instead of a foreign key: it raises unless a row of
    ``parent`` has ``parent_column`` equal to the new row's ``column``."""

    column: str
    parent: str
    parent_column: str


@lru_cache(maxsize=_CACHE)
def raise_guards(create_trigger_sql: str) -> tuple[Guard, ...]:
    """The references a trigger that calls ``RAISE`` enforces by looking a parent row up: every
    single-table sub-select in it whose ``WHERE`` equates a column of that table with
    ``NEW.column`` (``WHEN NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id) THEN
    RAISE(...)``). Empty for a trigger without ``RAISE``."""
    from sqlglot import exp

    trees = _trigger_trees(create_trigger_sql)
    if not any(_func_name(n) == "raise" for t in trees for n in t.find_all(exp.Anonymous)):
        return ()
    found: list[Guard] = []
    for tree in trees:
        for select in tree.find_all(exp.Select):
            if select is tree:
                continue
            sources = [
                t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select
            ]
            where = select.args.get("where")
            if len(sources) != 1 or where is None or not sources[0].name:
                continue
            parent = sources[0].name
            own = {parent.lower(), sources[0].alias.lower() if sources[0].alias else ""}
            for eq in where.find_all(exp.EQ):
                sides = (eq.this, eq.expression)
                for near, far in (sides, sides[::-1]):
                    if (
                        isinstance(near, exp.Column)
                        and near.table.lower() == "new"
                        and isinstance(far, exp.Column)
                        and far.table.lower() in own | {""}
                    ):
                        found.append(Guard(near.name, parent, far.name))
    return tuple(dict.fromkeys(found))


def _func_name(node: Tree) -> str:
    """The lower-cased name of a function call node (``raise``, ``json_extract``...)."""
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower() if isinstance(node, exp.Func) else ""


@dataclass(frozen=True)
class ColumnUse:
    """A column a statement uses in a particular way: ``table`` (lower-cased; ``""`` when the
    statement does not say) and ``column`` (as written)."""

    table: str
    column: str


@lru_cache(maxsize=_CACHE)
def json_uses(sql: str) -> tuple[ColumnUse, ...]:
    """The columns one statement reads as JSON: the first argument of a JSON function
    (``json(c)``, ``json_extract(c, ...)``, ``json_each(c)``...) or the left side of ``->`` /
    ``->>``, with the table it belongs to when the statement names one (its qualifier, else the
    only table the statement names)."""
    from sqlglot import exp

    tree = _parse(sql)
    if tree is None:
        return ()
    tables = {
        (t.alias or t.name).lower(): t.name.lower()
        for t in tree.find_all(exp.Table)
        if t.name and isinstance(t.this, exp.Identifier)
    }
    only = next(iter(set(tables.values()))) if len(set(tables.values())) == 1 else ""
    found: list[ColumnUse] = []
    for node in tree.find_all(exp.Func):
        name = _func_name(node)
        if "json" not in type(node).__name__.lower() and "json" not in name:
            continue
        first = node.this if isinstance(node.this, exp.Expression) else None
        if first is None and node.expressions:
            first = node.expressions[0]
        if isinstance(first, exp.Column) and first.name:
            owner = tables.get(first.table.lower(), "") if first.table else only
            found.append(ColumnUse(owner, first.name))
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=_CACHE)
def set_columns(sql: str) -> tuple[ColumnUse, ...]:
    """The columns one statement writes by name: the ``SET`` targets of an ``UPDATE`` or of an
    upsert's ``DO UPDATE``, and the column list of an ``INSERT OR REPLACE`` / ``REPLACE``, with
    their table (lower-cased)."""
    tree = _parse(_LENIENT.sub(_lenient, sql, count=1))
    if tree is None:
        return ()
    replacing = bool(re.match(r"\s*(?:REPLACE|INSERT\s+OR\s+REPLACE)\b", sql, re.I))
    return tuple(dict.fromkeys(_sets(tree, replacing)))


@lru_cache(maxsize=_CACHE)
def transformed_columns(sql: str, columns: tuple[str, ...] = ()) -> tuple[ColumnUse, ...]:
    """The columns an ``INSERT ... SELECT`` fills on purpose with other values: with an
    expression of the same-named column of its source (``INSERT INTO t_new (id, name) SELECT
    id, lower(name) FROM t``: ``name``), with anything its select list names after the column
    (``services_copy.id AS service_id``), or with a column of another table the query joins to
    its first one (``SELECT a.id, kinds.name FROM a JOIN kinds ...``: a lookup, chosen on
    purpose). A column filled with the source column itself, with another column of the first
    table or with a constant, unnamed, is not one of them. ``columns``: the target table's
    columns in order, for an ``INSERT`` that lists none (the select list fills them in order)."""
    from sqlglot import exp

    tree = _parse(_LENIENT.sub(_lenient, sql, count=1))
    if not isinstance(tree, exp.Insert) or not isinstance(tree.expression, exp.Select):
        return ()
    if isinstance(tree.this, exp.Schema):
        table = tree.this.this
        targets = [i.name for i in tree.this.expressions if isinstance(i, exp.Identifier)]
    elif isinstance(tree.this, exp.Table) and columns:
        table, targets = tree.this, list(columns)
    else:
        return ()
    owner = table.name.lower() if isinstance(table, exp.Table) else ""
    select = tree.expression
    first = select.args.get("from_") or select.args.get("from")
    main = first.this if first is not None else None
    joined = {
        name.lower()
        for t in select.find_all(exp.Table)
        if t is not main
        for name in (t.alias_or_name, t.name)
        if name
    }
    if isinstance(main, exp.Table):
        joined -= {main.alias_or_name.lower(), main.name.lower()}
    found: list[ColumnUse] = []
    for target, value in zip(targets, select.expressions, strict=False):
        named = isinstance(value, exp.Alias) and value.alias.lower() == target.lower()
        inner = value.this if isinstance(value, exp.Alias) else value
        if named and not (isinstance(inner, exp.Column) and inner.name.lower() == target.lower()):
            found.append(ColumnUse(owner, target))  # ``... AS target``: chosen on purpose
            continue
        if isinstance(inner, exp.Column):
            if inner.table and inner.table.lower() in joined:
                found.append(ColumnUse(owner, target))  # a joined table's value: a lookup
            continue
        if any(c.name.lower() == target.lower() for c in inner.find_all(exp.Column)):
            found.append(ColumnUse(owner, target))
    return tuple(found)


def created_columns(create_table_sql: str) -> tuple[str, ...]:
    """The column names a ``CREATE TABLE`` statement defines, in order (``()`` for another
    statement, or one sqlglot cannot read)."""
    from sqlglot import exp

    tree = _parse(create_table_sql)
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        return ()
    return tuple(c.name for c in tree.this.expressions if isinstance(c, exp.ColumnDef))


def insert_columns(sql: str) -> tuple[str, tuple[str, ...]] | None:
    """``(target, columns)`` of an ``INSERT`` that lists its columns (lower-cased target, the
    columns as written), else ``None``."""
    from sqlglot import exp

    tree = _parse(_LENIENT.sub(_lenient, sql, count=1))
    if not isinstance(tree, exp.Insert) or not isinstance(tree.this, exp.Schema):
        return None
    table = tree.this.this
    if not isinstance(table, exp.Table) or not table.name:
        return None
    listed = tuple(i.name for i in tree.this.expressions if isinstance(i, exp.Identifier))
    return table.name.lower(), listed


@lru_cache(maxsize=_CACHE)
def copied_from(sql: str) -> tuple[str, tuple[str, ...]]:
    """``(target, sources)`` of an ``INSERT ... SELECT`` or a ``CREATE TABLE ... AS SELECT``
    (lower-cased table names: where the rows go and the tables its query reads), else
    ``("", ())``."""
    from sqlglot import exp

    tree = _parse(_LENIENT.sub(_lenient, sql, count=1))
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Select):
        made = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if not isinstance(made, exp.Table) or not made.name:
            return "", ()
        read = (t.name.lower() for t in tree.expression.find_all(exp.Table) if t.name)
        return made.name.lower(), tuple(dict.fromkeys(read))
    if not isinstance(tree, exp.Insert) or not isinstance(tree.expression, exp.Select):
        return "", ()
    table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(table, exp.Table) or not table.name:
        return "", ()
    sources = tuple(
        dict.fromkeys(t.name.lower() for t in tree.expression.find_all(exp.Table) if t.name)
    )
    return table.name.lower(), sources


def trigger_set_columns(create_trigger_sql: str) -> tuple[ColumnUse, ...]:
    """:func:`set_columns` of every statement of a ``CREATE TRIGGER`` statement."""
    return tuple(
        dict.fromkeys(u for tree in _trigger_trees(create_trigger_sql) for u in _sets(tree, False))
    )


def _sets(tree: Tree, replacing: bool) -> list[ColumnUse]:
    from sqlglot import exp

    found: list[ColumnUse] = []
    for node in tree.find_all(exp.Update, exp.Insert):
        table = node.this.this if isinstance(node.this, exp.Schema) else node.this
        owner = table.name.lower() if isinstance(table, exp.Table) and table.name else ""
        if isinstance(node, exp.Update):
            pairs = list(node.expressions)
        else:
            conflict = node.args.get("conflict")
            pairs = list(conflict.expressions or []) if conflict is not None else []
            if replacing and isinstance(node.this, exp.Schema):
                found += [
                    ColumnUse(owner, i.name)
                    for i in node.this.expressions
                    if isinstance(i, exp.Identifier)
                ]
        for pair in pairs:
            if isinstance(pair, exp.EQ) and isinstance(pair.this, exp.Column):
                found.append(ColumnUse(owner, pair.this.name))
    return found


@lru_cache(maxsize=_CACHE)
def function_names(sql: str) -> tuple[str, ...]:
    """The lower-cased names of the functions one statement calls, as the statement spells them
    (``vec_length``, ``unhex``...); empty when sqlglot cannot parse it. A function sqlglot
    knows under another name (``instr`` is its ``STRPOS``) is left out unless its own name is
    what the statement calls: these names are for asking SQLite which functions it lacks."""
    from sqlglot import exp

    tree = _parse(sql)
    if tree is None:
        return _called(sql)
    lowered = sql.lower()
    found: list[str] = []
    for node in tree.find_all(exp.Func):
        name = _func_name(node)
        if isinstance(node, exp.Anonymous) or re.search(rf"\b{re.escape(name)}\s*\(", lowered):
            found.append(name)
    return tuple(dict.fromkeys(n for n in found if n and n != "raise"))


_NOT_CALLED = frozenset(
    {"TABLE", "INTO", "REFERENCES", "ON", "INDEX", "VIEW", "TRIGGER", "KEY", "EXISTS", "CHECK"}
)


def _called(sql: str) -> tuple[str, ...]:
    """:func:`function_names` for a statement sqlglot cannot parse, from its tokens: a name
    followed by ``(`` that does not follow another name (a column's type, ``VARCHAR(20)``) or a
    word after which a table or index is named."""
    from sqlglot import TokenType

    tokens = _tokens(sql)
    names = (TokenType.VAR, TokenType.IDENTIFIER)
    found = [
        str(t.text).lower()
        for before, t, after in zip([None, *tokens], tokens, tokens[1:], strict=False)
        if t.token_type == TokenType.VAR
        and _word(t) not in _NOT_CALLED
        and after.token_type == TokenType.L_PAREN
        and (
            before is None or (before.token_type not in names and _word(before) not in _NOT_CALLED)
        )
    ]
    return tuple(dict.fromkeys(n for n in found if n != "raise"))


_LENIENT = re.compile(r"^\s*(?:(UPDATE)\s+OR\s+\w+|(REPLACE)(?=\s+INTO\b))", re.I)
"""``UPDATE OR IGNORE`` and ``REPLACE INTO``, which sqlglot does not parse; their references
are those of a plain ``UPDATE`` / ``INSERT INTO``."""


def _lenient(match: re.Match[str]) -> str:
    return "UPDATE" if match.group(1) else "INSERT"


def _statement(tree: Tree, tables: list[str], columns: list[ColumnRef]) -> None:
    """Add what one parsed statement names to ``tables`` and ``columns``."""
    from sqlglot import exp

    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    sources: dict[str, list[str | None]] = {}
    named: list[str] = []
    opaque = False
    for table in tree.find_all(exp.Table):
        alias = table.alias.lower() if table.alias else ""
        if table.arg_key == "indexed":
            continue
        if not isinstance(table.this, exp.Identifier) or not table.name:
            opaque = True  # a table-valued function such as json_each(...)
            sources.setdefault(alias, []).append(None)
            continue
        name = table.name.lower()
        if name in ctes or (table.db and table.db.lower() != "main"):
            opaque = True
            sources.setdefault(alias or name, []).append(None)
            continue
        named.append(name)
        sources.setdefault(alias or name, []).append(name)
    for sub in tree.find_all(exp.Subquery):
        if sub.alias:
            opaque = True
            sources.setdefault(sub.alias.lower(), []).append(None)
    tables.extend(named)
    target = _target(tree)
    if target is not None and isinstance(tree.this, exp.Schema):
        columns.extend(
            ColumnRef((target,), ident.name)
            for ident in tree.this.expressions
            if isinstance(ident, exp.Identifier)
        )
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    candidates = tuple(dict.fromkeys(named))
    for column in tree.find_all(exp.Column):
        if not column.name or _in_raise(column):
            continue
        qualifier = column.table.lower()
        owners: tuple[str | None, ...]
        if qualifier in ("new", "old"):
            owners = (qualifier,)
        elif qualifier == "excluded":
            owners = (target,)
        elif qualifier:
            owners = tuple(sources.get(qualifier, [None]))
        elif (
            (isinstance(column.this, exp.Identifier) and column.this.quoted)
            or opaque
            or not candidates
            or column.name.lower() in aliases
        ):
            continue  # a string, or a column of something whose columns are not listed
        else:
            owners = candidates
        if all(o is not None for o in owners):
            columns.append(ColumnRef(tuple(o for o in owners if o is not None), column.name))


def _target(tree: Tree) -> str | None:
    """The lower-cased table an ``INSERT`` writes to, else ``None``."""
    from sqlglot import exp

    if not isinstance(tree, exp.Insert):
        return None
    table: Any = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    return table.name.lower() if isinstance(table, exp.Table) and table.name else None


def _in_raise(node: Tree) -> bool:
    """True inside ``RAISE(ABORT, ...)``, whose first argument is a keyword, not a column."""
    from sqlglot import exp

    found = node.find_ancestor(exp.Anonymous)
    return found is not None and str(found.this).upper() == "RAISE"


# -- views -----------------------------------------------------------------------------------


@lru_cache(maxsize=_CACHE)
def view_reads(create_view_sql: str) -> tuple[str, ...]:
    """Lower-cased names of the tables and views a ``CREATE VIEW`` statement's query names,
    sorted (common table expressions and table-valued functions left out); ``()`` when sqlglot
    cannot parse it."""
    from sqlglot import exp

    tree = _parse(create_view_sql)
    if tree is None:
        return ()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = {
        t.name.lower()
        for t in tree.find_all(exp.Table)
        if isinstance(t.this, exp.Identifier) and t.name and t.arg_key != "indexed"
    }
    own = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    view = own.name.lower() if isinstance(own, exp.Table) else ""
    return tuple(sorted(found - ctes - {view}))
