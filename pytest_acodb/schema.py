"""Normalised schema snapshots of a SQLite database, and the differences between two.

Schemas are compared by structure, not by their SQL text (SQLite rewrites the text of a table on
``ALTER TABLE ... RENAME``): tables with their columns (type, NOT NULL, default, primary-key
position), CHECK constraints and foreign keys; indexes with their table, columns, uniqueness and
WHERE clause; triggers and views by whitespace-normalised SQL.

Introspection reads SQLite's own PRAGMA table-valued functions in a handful of queries per
snapshot, whatever the number of tables, so snapshotting after every migration step stays linear.
SQLAlchemy's inspector would issue several queries per table and does not report triggers.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

SYSTEM_PREFIX = "sqlite_"


@dataclass(frozen=True)
class Column:
    """One column: ``type`` as declared (upper-cased), ``default`` as SQL text or ``None``,
    ``pk`` the 1-based position in the primary key (0 when not in it)."""

    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int


@dataclass(frozen=True, order=True)
class ForeignKey:
    """A foreign key of a table: its ``columns`` referencing ``parent``'s ``parent_columns``
    (empty when the parent's primary key is meant), with ``on_delete`` / ``on_update`` actions."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True)
class Table:
    """A table: columns in declaration order, foreign keys, CHECK expressions (normalised SQL),
    and its original ``sql`` (not compared)."""

    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...]
    checks: tuple[str, ...]
    virtual: bool = False
    sql: str = field(default="", compare=False)

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case-insensitive, as SQLite matches), or ``None``."""
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Names of the primary-key columns in key order (empty for a rowid-only table)."""
        return tuple(c.name for c in sorted(self.columns, key=lambda c: c.pk) if c.pk)


@dataclass(frozen=True)
class Index:
    """An index: ``columns`` (``"<expr>"`` for an expression), ``unique``, ``where`` (normalised
    partial-index clause or ``None``), ``origin``: ``c`` (CREATE INDEX), ``u`` (UNIQUE), ``pk``."""

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool
    where: str | None
    origin: str


@dataclass(frozen=True)
class Trigger:
    """A trigger on ``table`` with its whitespace-normalised ``sql``."""

    name: str
    table: str
    sql: str


@dataclass(frozen=True)
class Change:
    """One difference between two schemas: ``what`` is ``added``, ``removed`` or ``changed`` (in
    the second schema relative to the first); ``kind`` one of table, index, trigger, view."""

    what: Literal["added", "removed", "changed"]
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.kind} {self.name} was {self.what}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True)
class Schema:
    """A normalised snapshot; equal snapshots mean structurally equal databases."""

    tables: dict[str, Table]
    indexes: dict[str, Index]
    triggers: dict[str, Trigger]
    views: dict[str, str]

    def diff(self, other: Schema) -> list[Change]:
        """What changed from ``self`` to ``other``, sorted by kind and name."""
        changes: list[Change] = []
        for kind, mine, theirs in (
            ("table", self.tables, other.tables),
            ("index", self.indexes, other.indexes),
            ("trigger", self.triggers, other.triggers),
            ("view", self.views, other.views),
        ):
            for name in sorted(mine.keys() | theirs.keys()):
                if name not in theirs:
                    changes.append(Change("removed", kind, name))
                elif name not in mine:
                    changes.append(Change("added", kind, name))
                elif mine[name] != theirs[name]:
                    changes.append(
                        Change("changed", kind, name, _describe(mine[name], theirs[name]))
                    )
        return changes

    def to_json(self) -> str:
        """The snapshot as indented JSON (tables, indexes, triggers, views)."""
        data = {
            "tables": {n: _strip(asdict(t)) for n, t in self.tables.items()},
            "indexes": {n: asdict(i) for n, i in self.indexes.items()},
            "triggers": {n: asdict(t) for n, t in self.triggers.items()},
            "views": self.views,
        }
        return json.dumps(data, indent=2, sort_keys=True)

    def to_sql(self) -> str:
        """The schema as SQL: each object's CREATE statement, tables first, sorted by name."""
        parts = [t.sql for _, t in sorted(self.tables.items())]
        parts += [t.sql for _, t in sorted(self.triggers.items())]
        parts += [v for _, v in sorted(self.views.items())]
        return ";\n\n".join(parts) + (";\n" if parts else "")


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    data.pop("sql", None)
    return data


def _describe(before: object, after: object) -> str:
    if isinstance(before, Table) and isinstance(after, Table):
        notes = []
        cols_b = {c.name: c for c in before.columns}
        cols_a = {c.name: c for c in after.columns}
        notes += [f"column {n} removed" for n in cols_b if n not in cols_a]
        notes += [f"column {n} added" for n in cols_a if n not in cols_b]
        notes += [
            f"column {n}: {_fmt(cols_b[n])} -> {_fmt(cols_a[n])}"
            for n in cols_b
            if n in cols_a and cols_b[n] != cols_a[n]
        ]
        if [c.name for c in before.columns] != [c.name for c in after.columns] and not notes:
            notes.append("column order changed")
        if before.foreign_keys != after.foreign_keys:
            notes.append(f"foreign keys {_fks(before)} -> {_fks(after)}")
        if before.checks != after.checks:
            notes.append(f"checks {list(before.checks)} -> {list(after.checks)}")
        return "; ".join(notes)
    return f"{before} -> {after}"


def _fmt(c: Column) -> str:
    parts = [c.type or "(no type)"]
    parts += ["NOT NULL"] if c.notnull else []
    parts += [f"DEFAULT {c.default}"] if c.default is not None else []
    parts += [f"PK#{c.pk}"] if c.pk else []
    return " ".join(parts)


def _fks(t: Table) -> list[str]:
    return [
        f"({','.join(f.columns)})->{f.parent}({','.join(f.parent_columns)}) ON DELETE {f.on_delete}"
        for f in t.foreign_keys
    ]


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


def snapshot(conn: sqlite3.Connection, *, exclude: tuple[str, ...] = ()) -> Schema:
    """Take a normalised snapshot of the ``main`` schema of ``conn``.

    ``exclude``: table names left out (e.g. the migrations bookkeeping table), with their
    indexes and triggers. SQLite's internal ``sqlite_*`` objects are always left out.
    """
    skip = set(exclude)
    objects = conn.execute(
        "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema "
        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    tables_sql = {n: s for t, n, _, s in objects if t == "table" and n not in skip}
    columns: dict[str, list[Column]] = {n: [] for n in tables_sql}
    for table, name, ctype, notnull, default, pk, hidden in conn.execute(
        'SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
        "FROM sqlite_schema m, pragma_table_xinfo(m.name) p WHERE m.type = 'table' "
        "ORDER BY m.name, p.cid"
    ):
        if table in columns and hidden in (0, 2, 3):
            columns[table].append(Column(name, (ctype or "").upper(), bool(notnull), default, pk))
    fks: dict[str, dict[int, list[tuple[Any, ...]]]] = {n: {} for n in tables_sql}
    for table, fk_id, parent, col, to, on_update, on_delete in conn.execute(
        'SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete '
        "FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
        "ORDER BY m.name, f.id, f.seq"
    ):
        if table in fks:
            fks[table].setdefault(fk_id, []).append((parent, col, to, on_update, on_delete))
    tables = {
        name: Table(
            name=name,
            columns=tuple(columns[name]),
            foreign_keys=tuple(sorted(_foreign_key(rows) for rows in fks[name].values())),
            checks=check_constraints(sql),
            virtual=sql.upper().startswith("CREATE VIRTUAL"),
            sql=sql,
        )
        for name, sql in tables_sql.items()
    }
    return Schema(
        tables=dict(sorted(tables.items())),
        indexes=_indexes(conn, set(tables)),
        triggers={
            n: Trigger(n, tbl, normalise_sql(s))
            for t, n, tbl, s in sorted(objects, key=lambda o: o[1])
            if t == "trigger" and tbl not in skip
        },
        views={
            n: normalise_sql(s) for t, n, _, s in sorted(objects, key=lambda o: o[1]) if t == "view"
        },
    )


def _foreign_key(rows: list[tuple[Any, ...]]) -> ForeignKey:
    return ForeignKey(
        columns=tuple(r[1] for r in rows),
        parent=rows[0][0],
        parent_columns=tuple(r[2] for r in rows if r[2] is not None),
        on_delete=rows[0][4],
        on_update=rows[0][3],
    )


def _indexes(conn: sqlite3.Connection, tables: set[str]) -> dict[str, Index]:
    found: dict[str, dict[str, Any]] = {}
    for table, name, unique, origin, partial, col, key in conn.execute(
        'SELECT m.name, il.name, il."unique", il.origin, il.partial, ix.name, ix.key '
        "FROM sqlite_schema m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) ix "
        "WHERE m.type = 'table' ORDER BY m.name, il.name, ix.seqno"
    ):
        if table not in tables or not key:
            continue
        entry = found.setdefault(
            name,
            {
                "table": table,
                "unique": bool(unique),
                "origin": origin,
                "partial": bool(partial),
                "columns": [],
            },
        )
        entry["columns"].append(col if col is not None else "<expr>")
    sql_of = dict(
        conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
    )
    indexes = {}
    for name, e in found.items():
        # Automatic indexes are named by position (sqlite_autoindex_t_1); key them by content.
        key = (
            name if e["origin"] == "c" else f"{e['table']}({','.join(e['columns'])}) {e['origin']}"
        )
        where = None
        if e["partial"] and name in sql_of:
            match = re.search(r"\bWHERE\b(.*)$", sql_of[name], flags=re.I | re.S)
            where = normalise_sql(match.group(1)) if match else None
        indexes[key] = Index(name, e["table"], tuple(e["columns"]), e["unique"], where, e["origin"])
    return dict(sorted(indexes.items()))
