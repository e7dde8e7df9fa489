"""A schema snapshot rendered as SQL, JSON or a Mermaid ER diagram.

:func:`to_mermaid` draws an ``erDiagram``: one entity per table with its columns (declared type,
``PK`` / ``FK`` / ``UK`` markers), one relationship per foreign key, from the parent table to the
child, labelled with the child's columns. Cardinality on the parent side is "exactly one" for a
foreign key whose columns are all NOT NULL and "zero or one" otherwise; on the child side "zero or
one" when the foreign key's columns are also the child's primary key or unique, "zero or more"
otherwise. Views, triggers and the hidden columns of virtual tables are not drawn.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields, is_dataclass
from typing import Any

from .model import Column, Schema, Table, View


def _data(obj: Any) -> Any:
    """A dataclass of the snapshot as plain data: its compared fields only (the SQL text kept
    for rendering is left out), and a column's ``affinity`` besides."""
    if is_dataclass(obj) and not isinstance(obj, type):
        data = {f.name: _data(getattr(obj, f.name)) for f in fields(obj) if f.compare}
        if isinstance(obj, Column):
            data["affinity"] = obj.affinity
        return data
    if isinstance(obj, tuple):
        return [_data(item) for item in obj]
    return obj


def to_json(schema: Schema) -> str:
    """The snapshot as indented JSON, keys sorted: ``tables``, ``indexes``, ``triggers`` and
    ``views`` by name, each object with its compared fields (see
    :mod:`~pytest_acodb.schema.model`) and each column with its ``affinity``."""
    data = {
        kind: {name: _data(obj) for name, obj in getattr(schema, kind).items()}
        for kind in ("tables", "indexes", "triggers", "views")
    }
    return json.dumps(data, indent=2, sort_keys=True)


def to_sql(schema: Schema) -> str:
    """The schema as SQL that replays to an equal snapshot, each statement as SQLite keeps it:
    virtual tables (``CREATE VIRTUAL TABLE``), then the other tables but shadow tables (a
    virtual table creates its own), each group sorted by name; then the ``CREATE INDEX``
    indexes (automatic ones come with their table), sorted by name; then views, each after the
    views it reads; then triggers, sorted by name. A table named like a virtual table plus
    ``_`` that SQLite does not count as a shadow table (sqlite-vec's ``*_vector_chunks00``) is
    created ``IF NOT EXISTS``, as its virtual table may have made it already."""
    tables = sorted(schema.tables.values(), key=lambda t: (not t.virtual, t.name))
    virtual = tuple(t.name.lower() + "_" for t in tables if t.virtual)
    parts = [_table_sql(t, virtual) for t in tables if not t.shadow]
    parts += [i.sql for _, i in sorted(schema.indexes.items()) if i.origin == "c" and i.sql]
    parts += [v.text or v.sql for v in _view_order(schema.views)]
    parts += [t.text or t.sql for _, t in sorted(schema.triggers.items())]
    return ";\n\n".join(parts) + (";\n" if parts else "")


def _table_sql(table: Table, virtual: tuple[str, ...]) -> str:
    prefix = "CREATE TABLE "
    if table.virtual or not table.name.lower().startswith(virtual):
        return table.sql
    if table.sql.upper().startswith(prefix):
        return f"{prefix}IF NOT EXISTS {table.sql[len(prefix) :]}"
    return table.sql


def _view_order(views: dict[str, View]) -> list[View]:
    """``views`` sorted by name, each moved after the views it reads (a cycle, which SQLite
    would refuse to query, keeps name order)."""
    by_name = {n.lower(): v for n, v in sorted(views.items())}
    done: dict[str, View] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path or name not in by_name:
            return
        for read in by_name[name].reads:
            visit(read, (*path, name))
        done[name] = by_name[name]

    for name in by_name:
        visit(name, ())
    return list(done.values())


_WORD = re.compile(r"[^A-Za-z0-9_]")


def _name(text: str) -> str:
    """An identifier Mermaid accepts: other characters become ``_``; a leading digit gets ``_``."""
    name = _WORD.sub("_", text) or "_"
    return f"_{name}" if name[0].isdigit() else name


def _type(text: str) -> str:
    """A column type as one Mermaid word: ``VARCHAR(20)`` -> ``VARCHAR_20``, none -> ``ANY``."""
    word = _WORD.sub("_", text.strip()).strip("_")
    return re.sub("_+", "_", word) or "ANY"


def _unique_sets(schema: Schema, table: Table) -> set[frozenset[str]]:
    sets = {
        frozenset(ix.columns)
        for ix in schema.indexes.values()
        if ix.table == table.name and ix.unique and "<expr>" not in ix.columns
    }
    if table.primary_key:
        sets.add(frozenset(table.primary_key))
    return sets


def _entity(schema: Schema, table: Table) -> list[str]:
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    unique_single = {c for cols in _unique_sets(schema, table) if len(cols) == 1 for c in cols}
    lines = [f"    {_name(table.name)} {{"]
    for column in table.columns:
        if column.hidden == 1:  # a virtual table's own hidden column (FTS5's rank...)
            continue
        keys = [
            k
            for k, on in (
                ("PK", column.pk > 0),
                ("FK", column.name in fk_columns),
                ("UK", column.name in unique_single and not column.pk),
            )
            if on
        ]
        marker = f" {', '.join(keys)}" if keys else ""
        lines.append(f"        {_type(column.type)} {_name(column.name)}{marker}")
    lines.append("    }")
    return lines


def to_mermaid(schema: Schema) -> str:
    """The schema as Mermaid ``erDiagram`` text (ends with a newline).

    Tables appear sorted by name, relationships in table then foreign-key order. A foreign key
    to a table that is not in ``schema`` still draws its relationship (Mermaid then shows the
    parent as an empty entity).
    """
    lines = ["erDiagram"]
    for table in schema.tables.values():
        lines += _entity(schema, table)
    for table in schema.tables.values():
        unique = _unique_sets(schema, table)
        for fk in table.foreign_keys:
            cols = {c.name: c for c in table.columns}
            required = all(cols[c].notnull for c in fk.columns if c in cols)
            one_child = frozenset(fk.columns) in unique
            parent_end = "||" if required else "|o"
            child_end = "o|" if one_child else "o{"
            label = ", ".join(fk.columns).replace('"', "'")
            lines.append(
                f'    {_name(fk.parent)} {parent_end}--{child_end} {_name(table.name)} : "{label}"'
            )
    return "\n".join(lines) + "\n"
