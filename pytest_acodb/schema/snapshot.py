"""Normalised schema snapshots of a SQLite database: the one place that reads its structure.

Schemas are compared by structure, not by their SQL text (SQLite rewrites the text of a table on
``ALTER TABLE ... RENAME``): tables with their columns (type, NOT NULL, default, primary-key
position, hidden and generated columns), CHECK constraints, foreign keys, options (``WITHOUT
ROWID``, ``STRICT``) and kind (ordinary, virtual with its module, shadow); indexes with their
table, keys (column or expression, order, collation), uniqueness and WHERE clause; triggers
(with their timing and event) and views by whitespace-normalised SQL.

Introspection reads SQLite's own PRAGMA table-valued functions (``table_list``, ``table_xinfo``,
``foreign_key_list``, ``index_list``, ``index_xinfo``) in a handful of queries per snapshot,
whatever the number of tables; with a :class:`SnapshotCache` only the objects whose SQL text is
new are read, so snapshotting after every migration step costs what the step changed (plus one
read of ``sqlite_schema``), not the size of the schema. What only the SQL text says (CHECKs,
trigger events, index expressions) is read by :mod:`~pytest_acodb.schema.parse`, cached by text.
SQLAlchemy's inspector would issue several queries per table and does not report triggers.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .model import Column, ForeignKey, Index, IndexKey, Schema, Table, Trigger, View
from .parse import (
    check_constraints,
    index_parts,
    normalise_sql,
    single_quoted,
    table_options,
    trigger_event,
    view_reads,
    virtual_module,
)

__all__ = [
    "SHADOW_NAMES",
    "SnapshotCache",
    "check_constraints",
    "functions",
    "modules",
    "normalise_sql",
    "snapshot",
]

VIRTUAL_PREFIX = "CREATE VIRTUAL TABLE"
"""How SQLite's stored text of every virtual table starts (it rewrites the first words)."""

SHADOW_NAMES: dict[str, frozenset[str]] = {
    "fts3": frozenset({"content", "segments", "segdir", "docsize", "stat"}),
    "fts4": frozenset({"content", "segments", "segdir", "docsize", "stat"}),
    "fts5": frozenset({"data", "idx", "content", "docsize", "config"}),
    "rtree": frozenset({"node", "parent", "rowid"}),
    "geopoly": frozenset({"node", "parent", "rowid"}),
    "vec0": frozenset({"info", "chunks", "rowids", "auxiliary"}),
}
"""The suffixes of the shadow tables each module keeps (``docs_data`` for an FTS5 table
``docs``), used only when SQLite is too old for ``pragma_table_list`` (before 3.37) to say
which tables are shadow tables; a module not listed here gets the union of them all."""

TABLE_LIST = (3, 37, 0)
"""The first SQLite with ``pragma_table_list``."""


@dataclass
class SnapshotCache:
    """What earlier snapshots read, keyed by the SQL text SQLite keeps for each object, so a
    snapshot runs PRAGMA queries only for objects that are new or whose text changed.

    A table's columns, foreign keys, CHECKs, options and automatic (``UNIQUE`` / ``PRIMARY
    KEY``) indexes follow from its name and ``CREATE TABLE`` text alone (a foreign key names its
    parent as written, without resolving it); whether it is a shadow table also from the text
    of the virtual table that may own it (the one named like it up to its last ``_``); a
    ``CREATE INDEX`` index from its own name and text, its table's name and that table's text.
    SQLite rewrites the stored text on every ``ALTER TABLE`` (rename, add, drop or rename
    column), so equal keys mean equal objects. ``tables``: ``(name, sql, owner sql) -> (Table,
    ((key, automatic Index), ...))``; ``indexes``: ``(name, sql, table, table sql) -> Index``;
    ``triggers``: ``(name, table, sql) -> Trigger``; ``views``: ``(name, sql) -> View``. One
    cache serves snapshots of any number of connections (same SQLite library); it only grows, so
    keep it as long as the databases it describes (e.g. one walk).
    """

    tables: dict[tuple[str, str, str], tuple[Table, tuple[tuple[str, Index], ...]]] = field(
        default_factory=dict
    )
    indexes: dict[tuple[str, str, str, str], Index] = field(default_factory=dict)
    triggers: dict[tuple[str, str, str], Trigger] = field(default_factory=dict)
    views: dict[tuple[str, str], View] = field(default_factory=dict)
    rows: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = field(default_factory=dict)
    """One copy of each ``sqlite_schema`` row kept in :attr:`Schema.rows`, so snapshots share
    them (a snapshot's own memory is then one pointer per object)."""


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
    from, that snapshot itself is returned (so comparing it is instant). Raises the driver's
    ``OperationalError`` when SQLite cannot read the schema (e.g. a virtual table whose module
    is not loaded).
    """
    cache = SnapshotCache() if cache is None else cache
    fetched = tuple(conn.execute(_OBJECTS).fetchall())
    for schema in known:
        if schema.rows == fetched:
            return schema
    kept = cache.rows.setdefault  # one copy of each row, shared by every snapshot
    objects = tuple(kept(row, row) for row in fetched)
    skip = set(exclude)
    tables_sql = {n: s for t, n, _, s in objects if t == "table" and n not in skip}
    keys = _table_keys(tables_sql)
    lower = {n.lower(): n for n in tables_sql}
    created = [  # CREATE INDEX indexes: (name, sql, table, table sql)
        (n, s, owner, tables_sql[owner])
        for t, n, tbl, s in objects
        if t == "index" and (owner := tbl if tbl in tables_sql else lower.get(tbl.lower()))
    ]
    missed = [n for n, key in keys.items() if key not in cache.tables]
    missed_indexes = [key for key in created if key not in cache.indexes]
    if missed or missed_indexes:
        _read(conn, cache, keys, missed, missed_indexes)
    tables: dict[str, Table] = {}
    indexes: dict[str, Index] = {}
    for name, key in keys.items():
        table, automatic = cache.tables[key]
        tables[name] = table
        indexes.update(automatic)
    for created_key in created:
        index = cache.indexes.get(created_key)
        if index is not None:
            indexes[created_key[0]] = index
    triggers: dict[str, Trigger] = {}
    views: dict[str, View] = {}
    names: set[str] | None = None  # every table, view and column name: what "x" may name

    def compared(sql: str) -> str:
        """The text two schemas compare: whitespace normalised, and a double-quoted string
        written as SQLite rewrites it on DROP COLUMN (:func:`single_quoted`)."""
        nonlocal names
        text = normalise_sql(sql)
        if '"' not in text:
            return text
        if names is None:
            names = {o[1].lower() for o in objects} | {
                c.name.lower() for t in tables.values() for c in t.columns
            }
        return single_quoted(text, names)

    for kind, name, tbl, sql in objects:
        if kind == "trigger" and tbl not in skip:
            trigger = cache.triggers.get((name, tbl, sql))
            if trigger is None:
                trigger = _trigger(name, tbl, sql, compared(sql))
                cache.triggers[(name, tbl, sql)] = trigger
            triggers[name] = trigger
        elif kind == "view":
            view = cache.views.get((name, sql))
            if view is None:
                view = View(name, compared(sql), view_reads(sql), sql)
                cache.views[(name, sql)] = view
            views[name] = view
    return Schema(tables, dict(sorted(indexes.items())), triggers, views, objects)


def _table_keys(tables_sql: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """``{name: (name, sql, owner sql)}``: the cache key of each table, where ``owner sql`` is
    the text of the virtual table that may keep it as a shadow table (SQLite looks for a
    virtual table named like it up to its last ``_``), else ``""``."""
    virtual = {n.lower(): s for n, s in tables_sql.items() if s.startswith(VIRTUAL_PREFIX)}
    keys = {}
    for name, sql in tables_sql.items():
        cut = name.rfind("_")
        owner = virtual.get(name[:cut].lower(), "") if virtual and cut > 0 else ""
        keys[name] = (name, sql, owner)
    return keys


def _trigger(name: str, table: str, sql: str, compared: str) -> Trigger:
    event = trigger_event(sql)
    if event is None:
        return Trigger(name, table, compared, text=sql)
    return Trigger(name, table, compared, event.timing, event.event, event.columns, text=sql)


def _chunks(names: list[str]) -> list[list[str]]:
    return [names[i : i + _CHUNK] for i in range(0, len(names), _CHUNK)]


def _read(
    conn: sqlite3.Connection,
    cache: SnapshotCache,
    keys: dict[str, tuple[str, str, str]],
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
            if table in columns:
                columns[table].append(
                    Column(name, (ctype or "").upper(), bool(notnull), default, pk, hidden)
                )
        for table, fk_id, parent, col, to, on_update, on_delete in conn.execute(
            'SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete '
            "FROM main.sqlite_schema m, pragma_foreign_key_list(m.name, 'main') f "
            f"WHERE m.type = 'table' AND m.name IN ({marks}) ORDER BY m.name, f.id, f.seq",
            chunk,
        ):
            if table in fks:
                fks[table].setdefault(fk_id, []).append((parent, col, to, on_update, on_delete))
    kinds = _table_kinds(conn, keys, missed)
    wanted = {key[0]: key for key in missed_indexes}
    found = _index_rows(conn, sorted({*missed, *(key[2] for key in missed_indexes)}))
    automatic: dict[str, list[tuple[str, Index]]] = {n: [] for n in missed}
    for name, (table, unique, origin, partial, index_keys) in found.items():
        cols = tuple(k.column if k.column is not None else "<expr>" for k in index_keys)
        if origin == "c" and name in wanted:
            sql = wanted[name][1]
            texts, where = index_parts(sql)
            if any('"' in t for t in (*texts, where or "")):
                known = {
                    str(r[0]).lower()
                    for r in conn.execute("SELECT name FROM pragma_table_xinfo(?)", (table,))
                }
                texts = tuple(single_quoted(t, known) for t in texts)
                where = single_quoted(where, known) if where else where
            index_keys = tuple(
                _expression(k, texts[i] if i < len(texts) else None)
                for i, k in enumerate(index_keys)
            )
            cache.indexes[wanted[name]] = Index(
                name, table, cols, unique, where if partial else None, origin, index_keys, sql
            )
        elif origin != "c" and table in automatic:
            content = f"{table}({','.join(cols)}) {origin}"
            automatic[table].append(
                (content, Index(name, table, cols, unique, None, origin, index_keys))
            )
    for name in missed:
        key = keys[name]
        sql = key[1]
        kind, without_rowid, strict = kinds[name]
        table = Table(
            name=name,
            columns=tuple(columns[name]),
            foreign_keys=tuple(sorted(_foreign_key(rows) for rows in fks[name].values())),
            checks=check_constraints(sql),
            virtual=kind == "virtual",
            module=virtual_module(sql) if kind == "virtual" else None,
            shadow=kind == "shadow",
            without_rowid=without_rowid,
            strict=strict,
            sql=sql,
        )
        cache.tables[key] = (table, tuple(automatic[name]))


def _expression(key: IndexKey, text: str | None) -> IndexKey:
    """``key`` with the text of its expression, when it is an expression key."""
    if key.column is not None or not text:
        return key
    return IndexKey(None, text, key.desc, key.collation)


def _table_kinds(
    conn: sqlite3.Connection, keys: dict[str, tuple[str, str, str]], names: list[str]
) -> dict[str, tuple[str, bool, bool]]:
    """``{name: (kind, without_rowid, strict)}`` of the tables ``names``, ``kind`` one of
    ``table``, ``virtual``, ``shadow``: as ``pragma_table_list`` says (SQLite 3.37+), else read
    from the text of each table and of the virtual table that may own it
    (:data:`SHADOW_NAMES`)."""
    kinds: dict[str, tuple[str, bool, bool]] = {}
    version = conn.execute("SELECT sqlite_version()").fetchone()[0] if names else "0"
    new = tuple(int(p) for p in version.split(".")[:3]) >= TABLE_LIST
    for chunk in _chunks(names) if new else []:
        for table, kind, wr, strict in conn.execute(
            "SELECT m.name, l.type, l.wr, l.strict "
            "FROM main.sqlite_schema m, pragma_table_list(m.name) l "
            "WHERE m.type = 'table' AND l.schema = 'main' "
            f"AND m.name IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            kinds[table] = (kind, bool(wr), bool(strict))
    return {name: kinds.get(name) or _kind_from_text(*keys[name]) for name in names}


def _kind_from_text(name: str, sql: str, owner: str) -> tuple[str, bool, bool]:
    """``(kind, without_rowid, strict)`` of table ``name`` from its text ``sql`` and the text
    ``owner`` of the virtual table it may be a shadow table of (see :func:`_table_keys`)."""
    if sql.startswith(VIRTUAL_PREFIX):
        return "virtual", False, False
    without_rowid, strict = table_options(sql)
    module = virtual_module(owner) if owner else None
    if module is not None:
        suffixes = SHADOW_NAMES.get(module) or frozenset().union(*SHADOW_NAMES.values())
        if name[name.rfind("_") + 1 :].lower() in suffixes:
            return "shadow", without_rowid, strict
    return "table", without_rowid, strict


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
) -> dict[str, tuple[str, bool, str, bool, tuple[IndexKey, ...]]]:
    """``{index name: (table, unique, origin, partial, keys)}`` for every index of ``tables``;
    an expression key has neither column nor text yet (only the index's SQL has it)."""
    found: dict[str, tuple[str, bool, str, bool, list[IndexKey]]] = {}
    for chunk in _chunks(tables):
        for table, name, unique, origin, partial, col, desc, coll in conn.execute(
            'SELECT m.name, il.name, il."unique", il.origin, il.partial, ix.name, ix.desc, '
            "ix.coll FROM main.sqlite_schema m, pragma_index_list(m.name, 'main') il, "
            "pragma_index_xinfo(il.name, 'main') ix "
            f"WHERE m.type = 'table' AND m.name IN ({', '.join('?' * len(chunk))}) "
            "AND ix.key ORDER BY m.name, il.name, ix.seqno",
            chunk,
        ):
            entry = found.setdefault(name, (table, bool(unique), origin, bool(partial), []))
            entry[4].append(IndexKey(col, None, bool(desc), coll or "BINARY"))
    return {n: (t, u, o, p, tuple(k)) for n, (t, u, o, p, k) in found.items()}


def functions(conn: sqlite3.Connection) -> frozenset[str]:
    """Lower-cased names of the SQL functions ``conn`` knows (built in, loaded from extensions
    or registered on it), from ``pragma_function_list``; empty when this SQLite cannot list
    them (before 3.30)."""
    try:
        return frozenset(
            str(n).lower() for (n,) in conn.execute("SELECT name FROM pragma_function_list")
        )
    except Exception:  # any driver's error: this SQLite cannot list them
        return frozenset()


def modules(conn: sqlite3.Connection) -> frozenset[str]:
    """Lower-cased names of the virtual-table modules ``conn`` knows (``fts5``, ``rtree``,
    ``vec0``...), from ``pragma_module_list``; empty when this SQLite cannot list them."""
    try:
        return frozenset(
            str(n).lower() for (n,) in conn.execute("SELECT name FROM pragma_module_list")
        )
    except Exception:  # any driver's error: this SQLite cannot list them
        return frozenset()
