"""SQLAlchemy mapped classes for the tables of a schema snapshot, one per :class:`TablePlan`.

Each class is named after its table (``order_items`` -> ``OrderItems``) and maps every column
under a Python attribute (``metadata`` -> ``metadata_``, ``"unit price"`` -> ``unit_price``), with
a many-to-one relationship per foreign key (``orders.customer_id`` -> ``order.customer``).
Columns read and write what the database stores, unconverted, so every row the schema allows
reads back (SQLite keeps any value in any column): text is ``str``, integers ``int``, JSON
columns their JSON text. A timestamp column also accepts a ``datetime`` and writes it in the
schema's own format (:class:`Timestamp`). A table without a primary key is mapped on its
``rowid``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    FetchedValue,
    Float,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    and_,
    inspect,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from .plan import TablePlan
from .timeformats import TimeFormat

__all__ = ["Stored", "Timestamp", "build_models"]


class Stored(TypeDecorator[Any]):
    """A column type that passes values through as SQLite stores them (no conversion either
    way), so reading a row never fails whatever its column holds. ``affinity`` picks the type
    SQL expressions see (``INTEGER``, ``TEXT``, ``REAL``, ``BLOB``, ``NUMERIC``)."""

    impl: Any = Text
    cache_ok = True

    def __init__(self, affinity: str = "TEXT") -> None:
        super().__init__()
        self.affinity = affinity

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        kinds: dict[str, TypeEngine[Any]] = {
            "INTEGER": Integer(),
            "REAL": Float(),
            "BLOB": LargeBinary(),
            "NUMERIC": Numeric(),
        }
        return dialect.type_descriptor(kinds.get(self.affinity, Text()))

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None

    @property
    def python_type(self) -> type[Any]:
        return object


class Timestamp(Stored):
    """A timestamp column in the schema's format ``fmt``: reads what is stored (text or a
    number); writes stored values as they are and a ``datetime`` in ``fmt`` (a naive one is
    taken as UTC)."""

    cache_ok = True

    def __init__(self, fmt: TimeFormat, affinity: str = "TEXT") -> None:
        super().__init__(affinity)
        self.fmt = fmt

    def bind_processor(self, dialect: Dialect) -> Any:
        fmt = self.fmt

        def process(value: Any) -> Any:
            if isinstance(value, datetime):
                return fmt.write(value if value.tzinfo else value.replace(tzinfo=UTC))
            return value

        return process


class _Model:
    """What every generated class shares: a ``repr`` naming the class and the primary key only
    (never other values: a row may hold a secret)."""

    def __repr__(self) -> str:
        state = inspect(self)
        keys = [str(c.key) for c in state.mapper.primary_key]
        values = state.identity or tuple(state.dict.get(k) for k in keys)
        shown = " ".join(f"{k}={v!r}" for k, v in zip(keys, values, strict=True))
        return f"<{type(self).__name__} {shown}>"


def _type(plan_column: Any) -> Stored:
    affinity = plan_column.column.affinity
    if plan_column.fmt is not None:
        return Timestamp(plan_column.fmt, affinity)
    return Stored(affinity)


def build_models(plans: dict[str, TablePlan]) -> dict[str, type[Any]]:
    """``{table: mapped class}`` for ``plans``, in a registry of their own (one
    ``DeclarativeBase`` per call, its ``metadata`` holding the tables)."""

    class Base(DeclarativeBase, _Model):
        pass

    tables: dict[str, Table] = {}
    for plan in plans.values():
        tables[plan.name] = _table(plan, Base.metadata)
    for plan in plans.values():
        for edge in plan.parents:
            tables[plan.name].append_constraint(
                ForeignKeyConstraint(
                    [tables[plan.name].c[_key(plan, c)] for c in edge.key.columns],
                    [
                        tables[edge.parent].c[_key(plans[edge.parent], c)]
                        for c in edge.parent_columns
                    ],
                )
            )
    classes: dict[str, type[Any]] = {}
    for plan in plans.values():
        classes[plan.name] = type(
            plan.class_name,
            (Base,),
            {"__table__": tables[plan.name], "__module__": __name__},
        )
    for plan in plans.values():
        child = tables[plan.name]
        for edge in plan.parents:
            parent = tables[edge.parent]
            local = [child.c[_key(plan, c)] for c in edge.key.columns]
            remote = [parent.c[_key(plans[edge.parent], c)] for c in edge.parent_columns]
            join = and_(*(a == b for a, b in zip(local, remote, strict=True)))
            setattr(
                classes[plan.name],
                edge.name,
                relationship(classes[edge.parent], foreign_keys=local, primaryjoin=join),
            )
    return classes


def _key(plan: TablePlan, column: str) -> str:
    if plan.rowid_key is not None and column.lower() == plan.rowid_key.lower():
        return plan.rowid_key
    found = plan.column(column)
    if found is None:
        raise KeyError(f"{plan.name} has no mapped column {column!r}")
    return found.attribute


def _table(plan: TablePlan, metadata: MetaData) -> Table:
    columns: list[Any] = []
    alias = plan.table.rowid_alias
    taken = {c.attribute for c in plan.columns}
    for col in plan.table.columns:
        cp = plan.column(col.name)
        if cp is None:  # generated: read-only, the database computes it
            name = col.name if col.name.isidentifier() else f"c{len(taken)}"
            while name in taken:
                name += "_"
            taken.add(name)
            columns.append(
                Column(
                    col.name,
                    Stored(col.affinity),
                    key=name,
                    server_default=FetchedValue(),
                    server_onupdate=FetchedValue(),
                )
            )
            continue
        columns.append(
            Column(
                col.name,
                Integer() if col.name == alias else _type(cp),
                key=cp.attribute,
                primary_key=bool(col.pk),
                nullable=not col.notnull and not col.pk,
                autoincrement=col.name == alias,
                server_default=FetchedValue() if col.default is not None else None,
            )
        )
    if plan.rowid_key is not None:
        columns.insert(0, Column(plan.rowid_key, Integer, key=plan.rowid_key, primary_key=True))
    return Table(plan.name, metadata, *columns)
