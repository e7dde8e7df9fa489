"""A schema snapshot rendered as SQL, JSON or a Mermaid ER diagram.

:func:`to_mermaid` draws an ``erDiagram``: one entity per table with its columns (declared type,
``PK`` / ``FK`` / ``UK`` markers), one relationship per foreign key, from the parent table to the
child, labelled with the child's columns. Cardinality on the parent side is "exactly one" for a
foreign key whose columns are all NOT NULL and "zero or one" otherwise; on the child side "zero or
one" when the foreign key's columns are also the child's primary key or unique, "zero or more"
otherwise. Views and triggers are not drawn.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from .model import Schema, Table


def to_json(schema: Schema) -> str:
    """The snapshot as indented JSON (tables, indexes, triggers, views), keys sorted."""

    def strip(data: dict[str, Any]) -> dict[str, Any]:
        data.pop("sql", None)
        return data

    data = {
        "tables": {n: strip(asdict(t)) for n, t in schema.tables.items()},
        "indexes": {n: asdict(i) for n, i in schema.indexes.items()},
        "triggers": {n: asdict(t) for n, t in schema.triggers.items()},
        "views": schema.views,
    }
    return json.dumps(data, indent=2, sort_keys=True)


def to_sql(schema: Schema) -> str:
    """The schema as SQL: each object's CREATE statement, tables first, sorted by name."""
    parts = [t.sql for _, t in sorted(schema.tables.items())]
    parts += [t.sql for _, t in sorted(schema.triggers.items())]
    parts += [v for _, v in sorted(schema.views.items())]
    return ";\n\n".join(parts) + (";\n" if parts else "")


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
