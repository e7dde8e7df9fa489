"""The ``models_match`` check: SQLAlchemy models against the migrated schema (model drift).

Compares a ``MetaData`` with the schema the migrations build: tables, columns, nullability, type
affinity (how SQLite stores the values), foreign keys and named indexes. Types are compared by
storage, not by name: SQLAlchemy's ``JSON``, ``DateTime`` and ``Uuid`` live in TEXT columns on
SQLite, ``Boolean`` in INTEGER ones.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import AcodbError, MetadataSpecError
from ..schema import Column, Schema
from .base import fail, require_complete
from .walk import Walk

if TYPE_CHECKING:
    from sqlalchemy import MetaData

BUNDLED_METADATA = "pytest_acodb.acolib.models:Base.metadata"
"""Import spec of the bundled models, always compared with the bundled schema."""


def model_affinity(sa_type: Any) -> str:
    """The affinity a SQLAlchemy column type needs on SQLite, judged by how it stores values;
    compared with the schema's :attr:`Column.affinity <pytest_acodb.schema.Column.affinity>`."""
    from sqlalchemy import types

    impl = sa_type
    while isinstance(impl, types.TypeDecorator):
        impl = impl.impl_instance
    if isinstance(impl, types.Boolean | types.Integer):
        return "INTEGER"
    if isinstance(impl, types.Float):
        return "REAL"
    if isinstance(impl, types.Numeric):
        return "NUMERIC"
    if isinstance(impl, types._Binary):
        return "BLOB"
    return "TEXT"  # String, Text, Enum, JSON, DateTime, Date, Time, Uuid, Interval...


def load_metadata(spec: str) -> MetaData:
    """Import ``package.module:attribute.path`` (e.g. ``app.models:Base.metadata``).

    Raises :class:`MetadataSpecError` saying what is wrong when the module cannot be imported
    (a relative name, a missing module, or any exception its code raises on import), or the
    attribute is missing or is not a ``MetaData``.
    """
    from sqlalchemy import MetaData

    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise MetadataSpecError(
            f"acodb_metadata = {spec!r}: write it as package.module:Base.metadata", spec=spec
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # the user's module may raise anything while it is imported
        raise MetadataSpecError(
            f"acodb_metadata = {spec!r}: cannot import {module_name}: {type(exc).__name__}: {exc}",
            spec=spec,
        ) from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise MetadataSpecError(
                f"acodb_metadata = {spec!r}: {module_name} has no {attr}", spec=spec
            )
        obj = getattr(obj, part)
    if not isinstance(obj, MetaData):
        raise MetadataSpecError(
            f"acodb_metadata = {spec!r} is a {type(obj).__name__}, not a MetaData", spec=spec
        )
    return obj


def drift(metadata: MetaData, schema: Schema) -> list[str]:
    """Every difference between ``metadata`` and ``schema``, one sentence each; empty if none."""
    problems: list[str] = []
    for table in metadata.sorted_tables:
        actual = schema.tables.get(table.name)
        if actual is None:
            problems.append(f"model table {table.name} does not exist in the migrated schema")
            continue
        for column in table.columns:
            found = actual.column(column.name)
            if found is None:
                problems.append(f"{table.name}.{column.name} is in the model but not the schema")
                continue
            problems += _column_drift(table.name, column, found)
        modelled = {c.name.lower() for c in table.columns}
        problems += [
            f"{table.name}.{c.name} is in the schema but not the model"
            for c in actual.columns
            if c.name.lower() not in modelled and c.hidden != 1
        ]
        model_fks = {
            (tuple(e.parent.name for e in fk.elements), fk.referred_table.name)
            for fk in table.foreign_key_constraints
        }
        schema_fks = {(fk.columns, fk.parent) for fk in actual.foreign_keys}
        problems += [
            f"{table.name}: foreign key {c} -> {p} is in the model but not the schema"
            for c, p in sorted(model_fks - schema_fks)
        ]
        problems += [
            f"{table.name}: foreign key {c} -> {p} is in the schema but not the model"
            for c, p in sorted(schema_fks - model_fks)
        ]
        for index in table.indexes:
            have = schema.indexes.get(str(index.name))
            want = tuple(c.name for c in index.columns)
            if have is None:
                problems.append(f"index {index.name} is in the model but not the schema")
            elif have.columns != want or have.unique != bool(index.unique):
                problems.append(
                    f"index {index.name}: model {want} unique={bool(index.unique)}, "
                    f"schema {have.columns} unique={have.unique}"
                )
    return problems


def _column_drift(table: str, column: Any, found: Column) -> list[str]:
    problems = []

    def words(notnull: bool) -> str:
        return "NOT NULL" if notnull else "NULL"

    # A primary key's nullability is SQLite's business (rowid keys are never NULL), not drift.
    if not column.primary_key and found.notnull != (not column.nullable):
        problems.append(
            f"{table}.{column.name}: model says {words(not column.nullable)}, "
            f"schema says {words(found.notnull)}"
        )
    want, have = model_affinity(column.type), found.affinity
    if want != have:
        problems.append(
            f"{table}.{column.name}: model stores {want} ({column.type!r}), schema "
            f"column is {found.type or '(no type)'} ({have} affinity)"
        )
    return problems


def check_models_match(walk: Walk, metadata: MetaData | str) -> None:
    """``models_match``: the models in ``metadata`` (a ``MetaData`` or an import spec) match
    the fully migrated schema; fails listing every difference."""
    require_complete(walk)
    subject = metadata if isinstance(metadata, str) else "metadata"
    try:
        meta = load_metadata(metadata) if isinstance(metadata, str) else metadata
    except AcodbError as exc:  # one line naming the spec, not an import traceback
        fail("models_match", subject, str(exc))
    problems = drift(meta, walk.steps[-1].schema)
    if problems:
        fail("models_match", subject, "models and migrations disagree: " + "; ".join(problems))
