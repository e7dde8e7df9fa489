"""Normalised schema snapshots of a SQLite database: the one place that reads its structure.

Schemas are compared by structure, not by their SQL text (SQLite rewrites the text of a table on
``ALTER TABLE ... RENAME``): tables with their columns (type, NOT NULL, default, primary-key
position), CHECK constraints and foreign keys; indexes with their table, columns, uniqueness and
WHERE clause; triggers and views by whitespace-normalised SQL.

Introspection reads SQLite's own PRAGMA table-valued functions in a handful of queries per
snapshot, whatever the number of tables; with a :class:`SnapshotCache` only the objects whose SQL
text is new are read, so snapshotting after every migration step costs what the step changed
(plus one read of ``sqlite_schema``), not the size of the schema. SQLAlchemy's inspector would
issue several queries per table and does not report triggers.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .model import Column, ForeignKey, Index, Schema, Table, Trigger


def normalise_sql(sql: str) -> str:
    """Collapse whitespace runs to one space and drop ``IF NOT EXISTS`` (not kept by SQLite)."""
    text = " ".join(sql.split())
    return re.sub(r"\bIF NOT EXISTS\b ?", "", text, flags=re.I)


@lru_cache(maxsize=4096)
def check_constraints(create_table_sql: str) -> tuple[str, ...]:
    """The CHECK expressions of a ``CREATE TABLE`` statement, as SQLite SQL, in order.

    Parsed with sqlglot's SQLite dialect; a statement sqlglot cannot parse yields ``()``.
    Results are cached by statement text, so unchanged tables cost nothing across snapshots.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(create_table_sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return ()
    return tuple(
        node.this.sql(dialect="sqlite")
        for node in tree.find_all(exp.CheckColumnConstraint)
        if node.this is not None
    )


@dataclass
class SnapshotCache:
    """What earlier snapshots read, keyed by the SQL text SQLite keeps for each object, so a
    snapshot runs PRAGMA queries only for objects that are new or whose text changed.

    A table's columns, foreign keys, CHECKs and automatic (``UNIQUE`` / ``PRIMARY KEY``) indexes
    follow from its name and ``CREATE TABLE`` text alone (a foreign key names its parent as
    written, without resolving it); a ``CREATE INDEX`` index from its own name and text, its
    table's name and that table's text. SQLite rewrites the stored text on every ``ALTER TABLE``
    (rename, add, drop or rename column), so equal keys mean equal objects. ``tables``: ``(name,
    sql) -> (Table, ((key, automatic Index), ...))``; ``indexes``: ``(name, sql, table, table
    sql) -> Index``; ``triggers``: ``(name, table, sql) -> Trigger``; ``views``: ``sql ->
    normalised sql``. One cache serves snapshots of any number of connections (same SQLite
    library); it only grows, so keep it as long as the databases it describes (e.g. one walk).
    """

    tables: dict[tuple[str, str], tuple[Table, tuple[tuple[str, Index], ...]]] = field(
        default_factory=dict
    )
    indexes: dict[tuple[str, str, str, str], Index] = field(default_factory=dict)
    triggers: dict[tuple[str, str, str], Trigger] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    """One copy of each text kept in :attr:`Schema.rows`, so snapshots share them."""


_OBJECTS = (
    "SELECT type, name, tbl_name, COALESCE(sql, '') FROM main.sqlite_schema "
    "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
)
_CHUNK = 500
"""Names bound per query (SQLite before 3.32 allows 999 parameters)."""


def snapshot(
    conn: sqlite3.Connection,
    *,
    exclude: tuple[str, ...] = (),
    cache: SnapshotCache | None = None,
    known: tuple[Schema, ...] = (),
) -> Schema:
    """Take a normalised snapshot of the ``main`` schema of ``conn``.

    ``exclude``: table names left out (e.g. the migrations bookkeeping table), with their
    indexes and triggers. SQLite's internal ``sqlite_*`` objects are always left out.
    ``cache``: a :class:`SnapshotCache` shared with earlier snapshots; only objects it does not
    hold yet are read with PRAGMA queries (and added to it), so a snapshot after a migration
    costs one read of ``sqlite_schema`` plus the objects the migration created or changed.
    Without one, every object is read. ``known``: earlier snapshots taken with the same
    ``exclude``; when ``conn``'s ``sqlite_schema`` holds exactly the rows one of them was read
    from, that snapshot itself is returned (so comparing it is instant). Raises
    :class:`sqlite3.Error` when SQLite cannot read the schema (e.g. a virtual table whose module
    is not loaded).
    """
    cache = SnapshotCache() if cache is None else cache
    fetched = tuple(conn.execute(_OBJECTS).fetchall())
    for schema in known:
        if schema.rows == fetched:
            return schema
    text = cache.texts.setdefault
    objects = tuple(
        (text(t, t), text(n, n), text(tbl, tbl), text(s, s)) for t, n, tbl, s in fetched
    )
    skip = set(exclude)
    tables_sql = {n: s for t, n, _, s in objects if t == "table" and n not in skip}
    lower = {n.lower(): n for n in tables_sql}
    created = [  # CREATE INDEX indexes: (name, sql, table, table sql)
        (n, s, owner, tables_sql[owner])
        for t, n, tbl, s in objects
        if t == "index" and (owner := tbl if tbl in tables_sql else lower.get(tbl.lower()))
    ]
    missed = [n for n, s in tables_sql.items() if (n, s) not in cache.tables]
    missed_indexes = [key for key in created if key not in cache.indexes]
    if missed or missed_indexes:
        _read(conn, cache, tables_sql, missed, missed_indexes)
    tables: dict[str, Table] = {}
    indexes: dict[str, Index] = {}
    for name, sql in tables_sql.items():
        table, automatic = cache.tables[(name, sql)]
        tables[name] = table
        indexes.update(automatic)
    for key in created:
        index = cache.indexes.get(key)
        if index is not None:
            indexes[key[0]] = index
    triggers: dict[str, Trigger] = {}
    views: dict[str, str] = {}
    for kind, name, tbl, sql in objects:
        if kind == "trigger" and tbl not in skip:
            trigger = cache.triggers.get((name, tbl, sql))
            if trigger is None:
                trigger = Trigger(name, tbl, normalise_sql(sql))
                cache.triggers[(name, tbl, sql)] = trigger
            triggers[name] = trigger
        elif kind == "view":
            if sql not in cache.views:
                cache.views[sql] = normalise_sql(sql)
            views[name] = cache.views[sql]
    return Schema(tables, dict(sorted(indexes.items())), triggers, views, objects)


def _chunks(names: list[str]) -> list[list[str]]:
    return [names[i : i + _CHUNK] for i in range(0, len(names), _CHUNK)]


def _read(
    conn: sqlite3.Connection,
    cache: SnapshotCache,
    tables_sql: dict[str, str],
    missed: list[str],
    missed_indexes: list[tuple[str, str, str, str]],
) -> None:
    """Read the ``missed`` tables (with their automatic indexes) and ``missed_indexes`` with
    PRAGMA table-valued functions, a few queries per 500 names, and add them to ``cache``."""
    columns: dict[str, list[Column]] = {n: [] for n in missed}
    fks: dict[str, dict[int, list[tuple[Any, ...]]]] = {n: {} for n in missed}
    for chunk in _chunks(missed):
        marks = ", ".join("?" * len(chunk))
        for table, name, ctype, notnull, default, pk, hidden in conn.execute(
            'SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
            "FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') p "
            f"WHERE m.type = 'table' AND m.name IN ({marks}) ORDER BY m.name, p.cid",
            chunk,
        ):
            if table in columns and hidden in (0, 2, 3):
                columns[table].append(
                    Column(name, (ctype or "").upper(), bool(notnull), default, pk)
                )
        for table, fk_id, parent, col, to, on_update, on_delete in conn.execute(
            'SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete '
            "FROM main.sqlite_schema m, pragma_foreign_key_list(m.name, 'main') f "
            f"WHERE m.type = 'table' AND m.name IN ({marks}) ORDER BY m.name, f.id, f.seq",
            chunk,
        ):
            if table in fks:
                fks[table].setdefault(fk_id, []).append((parent, col, to, on_update, on_delete))
    wanted = {key[0]: key for key in missed_indexes}
    found = _index_rows(conn, sorted({*missed, *(key[2] for key in missed_indexes)}))
    automatic: dict[str, list[tuple[str, Index]]] = {n: [] for n in missed}
    for name, (table, unique, origin, partial, cols) in found.items():
        if origin == "c" and name in wanted:
            key = wanted[name]
            where = None
            if partial:
                match = re.search(r"\bWHERE\b(.*)$", key[1], flags=re.I | re.S)
                where = normalise_sql(match.group(1)) if match else None
            cache.indexes[key] = Index(name, table, cols, unique, where, origin)
        elif origin != "c" and table in automatic:
            content = f"{table}({','.join(cols)}) {origin}"
            automatic[table].append((content, Index(name, table, cols, unique, None, origin)))
    for name in missed:
        sql = tables_sql[name]
        table = Table(
            name=name,
            columns=tuple(columns[name]),
            foreign_keys=tuple(sorted(_foreign_key(rows) for rows in fks[name].values())),
            checks=check_constraints(sql),
            virtual=sql.upper().startswith("CREATE VIRTUAL"),
            sql=sql,
        )
        cache.tables[(name, sql)] = (table, tuple(automatic[name]))


def _foreign_key(rows: list[tuple[Any, ...]]) -> ForeignKey:
    return ForeignKey(
        columns=tuple(r[1] for r in rows),
        parent=rows[0][0],
        parent_columns=tuple(r[2] for r in rows if r[2] is not None),
        on_delete=rows[0][4],
        on_update=rows[0][3],
    )


def _index_rows(
    conn: sqlite3.Connection, tables: list[str]
) -> dict[str, tuple[str, bool, str, bool, tuple[str, ...]]]:
    """``{index name: (table, unique, origin, partial, key columns)}`` for every index of
    ``tables`` (``"<expr>"`` for an expression column)."""
    found: dict[str, tuple[str, bool, str, bool, list[str]]] = {}
    for chunk in _chunks(tables):
        for table, name, unique, origin, partial, col, key in conn.execute(
            'SELECT m.name, il.name, il."unique", il.origin, il.partial, ix.name, ix.key '
            "FROM main.sqlite_schema m, pragma_index_list(m.name, 'main') il, "
            "pragma_index_xinfo(il.name, 'main') ix "
            f"WHERE m.type = 'table' AND m.name IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY m.name, il.name, ix.seqno",
            chunk,
        ):
            if key:
                entry = found.setdefault(name, (table, bool(unique), origin, bool(partial), []))
                entry[4].append(col if col is not None else "<expr>")
    return {n: (t, u, o, p, tuple(c)) for n, (t, u, o, p, c) in found.items()}
